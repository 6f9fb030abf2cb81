package seed

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoadCSV: any bytes as a seed file load or fail with an error naming
// the file (and its line where the CSV breaks); never a panic.
func FuzzLoadCSV(f *testing.F) {
	for _, s := range []string{"email,firstname\na@b.c,Ann\n", "Id,LastName\n003A,X\n003A,Y\n", "\ufeffid,email\n1,\"a\nb\"\n",
		"a,b\n1,2,3\n", "\"unterminated\n", "", "x\xff\n1\n", "id\n\n\n", ",,\n,,\n"} {
		f.Add("hubspot/contacts.csv", []byte(s))
		f.Add("salesforce/Contact.csv", []byte(s))
	}
	f.Add("truth.csv", []byte("system,object,record_id,entity_id\nhubspot,contacts,1,e1\n"))
	f.Fuzz(func(t *testing.T, name string, body []byte) {
		switch name {
		case "hubspot/contacts.csv", "hubspot/companies.csv", "salesforce/Contact.csv", "salesforce/Account.csv", "truth.csv":
		default:
			return
		}
		dir := t.TempDir()
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, body, 0o644); err != nil {
			t.Fatal(err)
		}
		d, err := Load(dir)
		if err != nil {
			if !strings.Contains(err.Error(), filepath.Base(name)) {
				t.Errorf("error does not name the file %s: %v", name, err)
			}
			return
		}
		if d == nil {
			t.Fatal("no dataset and no error")
		}
	})
}

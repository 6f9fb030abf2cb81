package salesforce

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crmhub/crmhub/seed"
	simsf "github.com/crmhub/crmhub/sim/salesforce"
)

func TestBulkIngestAndQuery(t *testing.T) {
	f := newFixture(t, simsf.Options{}, nil)
	f.client.cfg.BulkPollInterval = time.Millisecond
	ctx := context.Background()
	if err := f.client.CreateCustomField(ctx, "Contact", "Ext_Id", "Ext", 32, true, true); err != nil {
		t.Fatal(err)
	}
	csvIn := "LastName,Email,Ext_Id__c\nOne,one@example.com,e1\nTwo,bad-email,e2\n\"Th,ree\",three@example.com,e3\n"
	res, err := f.client.BulkIngest(ctx, "Contact", "insert", "", strings.NewReader(csvIn))
	if err != nil {
		t.Fatal(err)
	}
	if res.Job.State != "JobComplete" || res.Job.NumberRecordsProcessed != 3 || res.Job.NumberRecordsFailed != 1 {
		t.Fatalf("job %+v", res.Job)
	}
	if got := strings.Join(res.Successful.Header, ","); got != "sf__Id,sf__Created,LastName,Email,Ext_Id__c" || len(res.Successful.Rows) != 2 ||
		res.Successful.Rows[1][2] != "Th,ree" || res.Successful.Rows[0][1] != "true" {
		t.Fatalf("successful %+v", res.Successful)
	}
	if len(res.Failed.Rows) != 1 || res.Failed.Header[1] != "sf__Error" || !strings.HasPrefix(res.Failed.Rows[0][1], "INVALID_EMAIL_ADDRESS:") {
		t.Fatalf("failed %+v", res.Failed)
	}
	tests := []struct {
		op, ext, data string
		ok, failed    int
	}{
		{"upsert", "Ext_Id__c", "Ext_Id__c,Title\ne1,Boss\ne9,NoName\n", 1, 1},
		{"update", "", "Id,Title\n" + res.Successful.Rows[1][0] + ",Chief\n003000000000000AAA,x\n", 1, 1},
		{"delete", "", "Id\n" + res.Successful.Rows[1][0] + "\n", 1, 0},
	}
	for _, tc := range tests {
		r, err := f.client.BulkIngest(ctx, "Contact", tc.op, tc.ext, strings.NewReader(tc.data))
		if err != nil || len(r.Successful.Rows) != tc.ok || len(r.Failed.Rows) != tc.failed {
			t.Fatalf("%s: %v %+v", tc.op, err, r)
		}
	}
	// A bad header fails the job; its rows come back unprocessed.
	r, err := f.client.BulkIngest(ctx, "Contact", "insert", "", strings.NewReader("Nope\nx\n"))
	if !errors.Is(err, ErrBulkJobFailed) || r.Job.State != "Failed" || len(r.Unprocessed.Rows) != 1 ||
		!strings.Contains(r.Job.ErrorMessage, "Nope") {
		t.Fatalf("bad header: %v %+v", err, r)
	}
	f.loadContacts(t, 2500)
	var rows, pages int
	err = f.client.BulkQuery(ctx, "SELECT Id, LastName, Title FROM Contact WHERE Title = 'Boss'", false, func(h []string, rs [][]string) error {
		if strings.Join(h, ",") != "Id,LastName,Title" || rs[0][1] != "One" {
			t.Fatalf("header %v rows %v", h, rs)
		}
		rows += len(rs)
		return nil
	})
	if err != nil || rows != 1 {
		t.Fatalf("bulk query: %v, %d rows", err, rows)
	}
	rows = 0
	err = f.client.BulkQuery(ctx, "SELECT Id FROM Contact", true, func(_ []string, rs [][]string) error {
		rows += len(rs)
		pages++
		return nil
	})
	if err != nil || rows != 2500+2 {
		t.Fatalf("bulk queryAll: %v, %d rows in %d pages", err, rows, pages)
	}
	if st := f.client.Calls()["bulk_job"]; st.Count < 2 {
		t.Fatalf("jobs were not polled: %+v", st)
	}
}

func TestRelationshipsAndReplication(t *testing.T) {
	f := newFixture(t, simsf.Options{}, nil)
	ctx := context.Background()
	acc, err := f.client.Create(ctx, "Account", []Record{{"Name": "Acme"}}, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.client.Create(ctx, "Contact", []Record{{"LastName": "A", "AccountId": acc[0].ID}, {"LastName": "B"}}, true); err != nil {
		t.Fatal(err)
	}
	recs := queryAll(t, f.client, "SELECT Id, LastName, Account.Name FROM Contact ORDER BY LastName", QueryOptions{})
	parent, ok := recs[0]["Account"].(map[string]any)
	if !ok || parent["Name"] != "Acme" || recs[1]["Account"] != nil {
		t.Fatalf("relationship: %v", recs)
	}
	if _, has := parent["attributes"]; has {
		t.Fatal("nested attributes not removed")
	}
	f.clk.Add(5 * time.Minute)
	del, err := f.client.Delete(ctx, []string{recs[1]["Id"].(string)}, true)
	if err != nil || !del[0].Success {
		t.Fatal(err, del)
	}
	f.clk.Add(time.Minute) // the current minute is covered once it is over
	start, end := f.clk.Now().Add(-time.Hour), f.clk.Now().Add(time.Hour)
	up, err := f.client.GetUpdated(ctx, "Contact", start, end)
	if err != nil || len(up.IDs) != 1 || up.IDs[0] != recs[0]["Id"] || up.LatestDateCovered != "2026-03-01T12:06:00.000+0000" {
		t.Fatalf("updated: %v %+v", err, up)
	}
	gone, err := f.client.GetDeleted(ctx, "Contact", start, end)
	if err != nil || len(gone.DeletedRecords) != 1 || gone.DeletedRecords[0].ID != recs[1]["Id"] || gone.EarliestDateAvailable == "" {
		t.Fatalf("deleted: %v %+v", err, gone)
	}
	var apiErr *APIError
	if _, err := f.client.GetDeleted(ctx, "Contact", start.AddDate(0, 0, -20), end); !errors.As(err, &apiErr) || apiErr.Code != "INVALID_REPLICATION_DATE" {
		t.Fatalf("16 days back: %v", err)
	}
}

func TestJWTBearer(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, k *rsa.PrivateKey) string {
		p := filepath.Join(dir, name)
		b := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good, bad := write("good.pem", key), write("bad.pem", other)
	sim := simsf.New(simsf.Options{JWTPublicKey: &key.PublicKey})
	if err := sim.Load("Account", []seed.Record{{Values: map[string]string{"Name": "x"}}}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("SF_TEST_KEY", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})))
	tests := []struct {
		name string
		cfg  Config
		err  string
	}{
		{"key file", Config{PrivateKeyFile: good, Username: "test-user@example.com"}, ""},
		{"key from env", Config{PrivateKeyEnv: "SF_TEST_KEY", Username: "test-user@example.com"}, ""},
		{"wrong key", Config{PrivateKeyFile: bad, Username: "test-user@example.com"}, "invalid_grant"},
		{"unknown user", Config{PrivateKeyFile: good, Username: "nobody@example.com"}, "invalid_grant"},
		{"wrong audience", Config{PrivateKeyFile: good, Username: "test-user@example.com", Audience: "https://evil.example.com"}, "invalid_grant"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.LoginURL, cfg.ClientID, cfg.HTTPClient = srv.URL, "test-client", srv.Client()
			c, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			recs := 0
			err = c.Query(context.Background(), "SELECT Id FROM Account", QueryOptions{}, func(rs []Record) error { recs += len(rs); return nil })
			var apiErr *APIError
			switch {
			case tc.err == "" && (err != nil || recs != 1):
				t.Fatalf("query: %v (%d records)", err, recs)
			case tc.err != "" && (!errors.As(err, &apiErr) || apiErr.Code != tc.err || !errors.Is(err, ErrAuth)):
				t.Fatalf("want %s, got %v", tc.err, err)
			case err != nil && strings.Contains(err.Error(), "PRIVATE KEY"):
				t.Fatal("error leaks the key")
			}
		})
	}
	if _, err := New(Config{LoginURL: srv.URL, ClientID: "c", PrivateKeyEnv: "SF_NO_SUCH_VAR", Username: "u"}); !errors.Is(err, ErrConfig) {
		t.Fatalf("missing env key: %v", err)
	}
	if _, err := New(Config{LoginURL: srv.URL, ClientID: "c", PrivateKeyFile: good}); !errors.Is(err, ErrConfig) {
		t.Fatalf("no username: %v", err)
	}
}

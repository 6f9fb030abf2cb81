package extract_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/crmhub/crmhub/crm/hubspot"
	"github.com/crmhub/crmhub/crm/salesforce"
	"github.com/crmhub/crmhub/extract"
)

const hsProps = `{"results":[{"name":"email","type":"string"},{"name":"score","type":"number"}]}`

func hsRecord(id string) string {
	return fmt.Sprintf(`{"id":%q,"properties":{"email":"a@b.c"},"createdAt":"2026-01-01T00:00:00Z","updatedAt":"2026-01-01T00:00:00Z","archived":false}`, id)
}

// TestBadPagesFailClearly: a page that is not JSON, has a value of the
// wrong JSON type, or lacks a record's id or time fails the extract with
// an error naming the object and the page; nothing is committed.
func TestBadPagesFailClearly(t *testing.T) {
	good := `{"results":[` + hsRecord("1") + `],"paging":{"next":{"after":"2"}}}`
	for _, tc := range []struct {
		name, page2 string
		want        []string
	}{
		{"malformed JSON", `{"results":[{"id":"2",`, []string{"contacts", "page 2", "decode"}},
		{"wrong type", `{"results":[{"id":"2","properties":{"email":42},"updatedAt":"2026-01-01T00:00:00Z"}]}`, []string{"contacts", "page 2", "decode", "string"}},
		{"missing id", `{"results":[` + hsRecord("3") + `,{"properties":{},"updatedAt":"2026-01-01T00:00:00Z"}]}`, []string{"contacts list page 2", "record 2 has no id"}},
		{"missing updatedAt", `{"results":[{"id":"4","properties":{}}]}`, []string{"contacts list page 2", "record 4 has no updatedAt"}},
	} {
		t.Run("hubspot "+tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				switch {
				case strings.HasPrefix(r.URL.Path, "/crm/v3/properties/"):
					fmt.Fprint(w, hsProps)
				case r.URL.Query().Get("after") == "2":
					fmt.Fprint(w, tc.page2)
				default:
					fmt.Fprint(w, good)
				}
			}))
			defer srv.Close()
			c, err := hubspot.New(hubspot.Config{BaseURL: srv.URL, Token: "t", RequestsPer10s: 1 << 20, MaxRetries: 1, RetryBackoff: time.Millisecond, Logger: quiet})
			if err != nil {
				t.Fatal(err)
			}
			checkBadPage(t, extract.HubSpotSource{Client: c, Obj: "contacts"}, tc.want)
		})
	}
	sfRec := func(id string) string {
		return fmt.Sprintf(`{"attributes":{"type":"Contact"},"Id":%q,"IsDeleted":false,"SystemModstamp":"2026-01-01T00:00:00.000+0000","LastName":"X"}`, id)
	}
	for _, tc := range []struct {
		name, page2 string
		want        []string
	}{
		{"malformed JSON", `{"totalSize":3,"done":true,"records":[`, []string{"Contact", "page 2", "decode"}},
		{"missing Id", `{"totalSize":3,"done":true,"records":[{"LastName":"Y","SystemModstamp":"2026-01-01T00:00:00.000+0000"}]}`, []string{"Contact page 2 record 1", "no Id"}},
		{"bad time", `{"totalSize":3,"done":true,"records":[{"Id":"003B","SystemModstamp":"yesterday"}]}`, []string{"Contact page 2 record 1", "SystemModstamp", "yesterday"}},
		{"wrong IsDeleted", `{"totalSize":3,"done":true,"records":[{"Id":"003B","IsDeleted":"no","SystemModstamp":"2026-01-01T00:00:00.000+0000"}]}`, []string{"Contact page 2 record 1", "IsDeleted"}},
	} {
		t.Run("salesforce "+tc.name, func(t *testing.T) {
			var srv *httptest.Server
			srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				switch {
				case r.URL.Path == "/services/oauth2/token":
					fmt.Fprintf(w, `{"access_token":"tok","instance_url":%q}`, srv.URL)
				case strings.HasSuffix(r.URL.Path, "/describe"):
					fmt.Fprint(w, `{"name":"Contact","fields":[{"name":"Id","type":"id"},{"name":"LastName","type":"string"},{"name":"SystemModstamp","type":"datetime"}]}`)
				case strings.Contains(r.URL.Path, "/queryAll/"):
					fmt.Fprint(w, tc.page2)
				default:
					fmt.Fprint(w, `{"totalSize":3,"done":false,"nextRecordsUrl":"/services/data/v62.0/queryAll/01gX-2000","records":[`+sfRec("003A")+`]}`)
				}
			}))
			defer srv.Close()
			c, err := salesforce.New(salesforce.Config{LoginURL: srv.URL, ClientID: "a", ClientSecret: "b", MaxRetries: -1})
			if err != nil {
				t.Fatal(err)
			}
			checkBadPage(t, extract.SalesforceSource{Client: c, Obj: "Contact"}, tc.want)
		})
	}
}

func checkBadPage(t *testing.T, src extract.Source, want []string) {
	t.Helper()
	store := localLake(t)
	_, err := extract.Run(context.Background(), extract.Options{Store: store, RunID: "r1", Sources: []extract.Source{src}, TempDir: t.TempDir(), Logger: quiet})
	if err == nil {
		t.Fatal("extract of a bad page succeeded")
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
	ms, merr := extract.Manifests(context.Background(), store, src.System(), src.Object())
	if merr != nil || len(ms) != 0 {
		t.Errorf("a failed extract committed %d manifests (%v)", len(ms), merr)
	}
}

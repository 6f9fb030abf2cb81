package salesforce_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmhub/crmhub/crm/salesforce"
)

// FuzzQueryPage serves arbitrary bytes as a query page to the client over
// a socket: records or an error; never a panic or a hang.
func FuzzQueryPage(f *testing.F) {
	for _, s := range []string{
		`{"totalSize":1,"done":true,"records":[{"attributes":{"type":"Contact"},"Id":"003A","LastName":"X"}]}`,
		`{"totalSize":3,"done":false,"nextRecordsUrl":"/services/data/v62.0/query/01g-2000","records":[]}`,
		`{"totalSize":3,"done":false,"records":[]}`, `{"done":true,"records":"none"}`, `{"records":[`, `null`, ``,
		`{"done":true,"records":[{"Id":null,"Account":{"Name":{"x":[1,2]}}}]}`, `[{"errorCode":"INVALID_FIELD","message":"x"}]`,
		"{\"done\":true,\"records\":[{\"Id\":\"\xff\xfe\",\"LastName\":\"\u202eevil\"}]}",
	} {
		f.Add([]byte(s))
	}
	var mu sync.Mutex
	var body []byte
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/services/oauth2/token" {
			fmt.Fprintf(w, `{"access_token":"tok","instance_url":%q}`, srv.URL)
			return
		}
		if strings.Contains(r.URL.Path, "/query/") { // a next page
			fmt.Fprint(w, `{"totalSize":0,"done":true,"records":[]}`)
			return
		}
		mu.Lock()
		b := body
		mu.Unlock()
		_, _ = w.Write(b)
	}))
	defer srv.Close()
	c, err := salesforce.New(salesforce.Config{LoginURL: srv.URL, ClientID: "a", ClientSecret: "b", MaxRetries: -1})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		mu.Lock()
		body = b
		mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := c.Query(ctx, "SELECT Id FROM Contact", salesforce.QueryOptions{}, func([]salesforce.Record) error { return nil })
		if err != nil && err.Error() == "" {
			t.Fatal("an error without text")
		}
		if ctx.Err() != nil {
			t.Fatalf("the query did not end: %v", err)
		}
	})
}

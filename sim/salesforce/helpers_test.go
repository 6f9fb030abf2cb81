package salesforce

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock is a settable time source for tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type env struct {
	t     *testing.T
	sim   *Server
	srv   *httptest.Server
	token string
	clk   *clock
}

func newEnv(t *testing.T, opts Options) *env {
	t.Helper()
	clk := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	if opts.Now == nil {
		opts.Now = clk.Now
	}
	sim := New(opts)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	e := &env{t: t, sim: sim, srv: srv, clk: clk}
	e.token = e.login()
	return e
}

func (e *env) login() string {
	e.t.Helper()
	resp, err := http.PostForm(e.srv.URL+"/services/oauth2/token", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {"test-client"}, "client_secret": {"test-secret"}})
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != 200 {
		e.t.Fatalf("login: status %d err %v", resp.StatusCode, err)
	}
	return tok["access_token"]
}

// do sends an API request and returns status, headers and body.
func (e *env) do(method, path string, body any, hdr ...string) (int, http.Header, []byte) {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.token)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, raw
}

func (e *env) query(q string) (int, map[string]any, []byte) {
	e.t.Helper()
	st, _, raw := e.do("GET", "/services/data/v62.0/query?q="+url.QueryEscape(q), nil)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return st, out, raw
}

// errorCode returns the errorCode of a [{message, errorCode}] body.
func errorCode(raw []byte) string {
	var list []struct {
		ErrorCode string `json:"errorCode"`
	}
	if json.Unmarshal(raw, &list) != nil || len(list) == 0 {
		return ""
	}
	return list[0].ErrorCode
}

type result struct {
	ID      string `json:"id"`
	Success bool   `json:"success"`
	Created *bool  `json:"created"`
	Errors  []struct {
		StatusCode string   `json:"statusCode"`
		Message    string   `json:"message"`
		Fields     []string `json:"fields"`
	} `json:"errors"`
}

func decodeResults(t *testing.T, raw []byte) []result {
	t.Helper()
	var out []result
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("results: %v: %s", err, raw)
	}
	return out
}

// Package salesforce simulates the Salesforce REST API (OAuth token
// exchange, describe, SOQL query and queryAll with cursors, sObject rows,
// sObject Collections, Tooling CustomField creation, API usage limits) for
// Account, Contact, Lead and Opportunity, faithful to the public contract
// so that clients written for the real service work against it unchanged.
package salesforce

import (
	"crypto/rsa"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/crmhub/crmhub/sim/fault"
)

// Options configure a Server; zero values take the documented defaults.
type Options struct {
	ClientID      string        // connected app consumer key; default "test-client"
	ClientSecret  string        // default "test-secret"
	DailyAPILimit int           // default 100000
	TokenTTL      time.Duration // session lifetime; default 2h
	Now           func() time.Time
	Logger        *slog.Logger
	// Users holds username -> password pairs accepted by the password grant;
	// default {"test-user@example.com": "test-password"}.
	Users map[string]string
	// Faults injects throttling, server errors, resets, latency and
	// per-record failures (UNABLE_TO_LOCK_ROW) into collection and bulk writes.
	Faults fault.Config
	// ExpireSessionsEvery expires every issued access token at each Nth API
	// request (0: never), so a long run crosses a token expiry.
	ExpireSessionsEvery int
	// JWTPublicKey verifies the RS256 assertions of the JWT bearer grant;
	// nil disables that grant.
	JWTPublicKey *rsa.PublicKey
}

// Server is the simulator; it is an http.Handler and safe for concurrent use.
type Server struct {
	opts    Options
	log     *slog.Logger
	inj     *fault.Injector
	handler http.Handler

	mu          sync.RWMutex
	tables      map[string]*table
	lastStampMs int64
	fieldSeq    uint64

	authMu   sync.Mutex
	sessions map[string]session
	refresh  map[string]string // refresh token -> user
	cursors  map[string]*cursor
	userCurs map[string][]string // user -> locator ids, oldest first
	curSeq   uint64
	usage    int
	usageDay string
	calls    map[string]int
	apiReqs  int

	bulkMu sync.Mutex
	jobs   map[string]*bulkJob
	jobSeq uint64
}

type session struct {
	user    string
	expires time.Time
}

// New returns a simulator with empty Account, Contact, Lead and Opportunity.
func New(opts Options) *Server {
	if opts.ClientID == "" {
		opts.ClientID = "test-client"
	}
	if opts.ClientSecret == "" {
		opts.ClientSecret = "test-secret"
	}
	if opts.DailyAPILimit <= 0 {
		opts.DailyAPILimit = 100000
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = 2 * time.Hour
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Users == nil {
		opts.Users = map[string]string{"test-user@example.com": "test-password"}
	}
	s := &Server{opts: opts, log: opts.Logger, tables: map[string]*table{},
		sessions: map[string]session{}, refresh: map[string]string{}, cursors: map[string]*cursor{},
		userCurs: map[string][]string{}, calls: map[string]int{}, jobs: map[string]*bulkJob{}}
	for name, def := range standardObjects() {
		s.tables[name] = newTable(def)
	}
	if opts.Faults.Enabled() {
		s.inj = fault.New(opts.Faults)
	}
	s.handler = s.inj.Wrap(http.HandlerFunc(s.serve), writeThrottled, writeServerError)
	return s
}

func (s *Server) now() time.Time { return s.opts.Now() }

// Calls returns how many requests each endpoint kind received.
func (s *Server) Calls() map[string]int {
	s.authMu.Lock()
	defer s.authMu.Unlock()
	out := make(map[string]int, len(s.calls))
	for k, v := range s.calls {
		out[k] = v
	}
	return out
}

// ExpireSessions invalidates every issued access token, as a session
// timeout or an admin revocation would. Refresh tokens stay valid.
func (s *Server) ExpireSessions() {
	s.authMu.Lock()
	defer s.authMu.Unlock()
	clear(s.sessions)
}

// apiError is the top-level error element of Salesforce REST answers.
type apiError struct {
	Message   string   `json:"message"`
	ErrorCode string   `json:"errorCode"`
	Fields    []string `json:"fields,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client went away; nothing to do
}

func writeRaw(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func writeErr(w http.ResponseWriter, status int, code, msg string, fields ...string) {
	writeJSON(w, status, []apiError{{Message: msg, ErrorCode: code, Fields: fields}})
}

func notFound(w http.ResponseWriter) {
	writeErr(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
}

func methodNotAllowed(w http.ResponseWriter, r *http.Request, allowed string) {
	w.Header().Set("Allow", allowed)
	writeErr(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED",
		"HTTP Method '"+r.Method+"' not allowed. Allowed are "+allowed)
}

var versionRE = regexp.MustCompile(`^v[0-9]{2,3}\.[0-9]$`)

// maxBody bounds request bodies (the REST API refuses larger payloads).
const maxBody = 50 << 20

// ServeHTTP answers a request, after any configured fault injection.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// serve routes a request to its endpoint.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("salesforce sim: handler panic", "panic", v, "path", r.URL.Path)
			writeErr(w, http.StatusInternalServerError, "UNKNOWN_EXCEPTION", "An unexpected error occurred.")
		}
	}()
	if r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	}
	path := r.URL.Path
	switch {
	case path == "/services/oauth2/token":
		s.count("token")
		s.handleToken(w, r)
		return
	case strings.HasPrefix(path, "/services/Soap/u/"):
		s.count("soap_login")
		s.handleSOAPLogin(w, r)
		return
	case path == "/services/data" || path == "/services/data/":
		s.count("versions")
		s.handleVersions(w, r)
		return
	case !strings.HasPrefix(path, "/services/data/"):
		notFound(w)
		return
	}
	rest := strings.TrimPrefix(path, "/services/data/")
	version, rest, _ := strings.Cut(rest, "/")
	if !versionRE.MatchString(version) {
		notFound(w)
		return
	}
	segs := strings.Split(strings.Trim(rest, "/"), "/")
	if len(segs) == 1 && segs[0] == "" {
		segs = nil
	}
	kind, h := s.route(r.Method, segs)
	s.count(kind)
	s.tickSessions()
	user, ok := s.authenticate(r)
	if !ok {
		writeErr(w, http.StatusUnauthorized, "INVALID_SESSION_ID", "Session expired or invalid")
		return
	}
	used, over := s.consumeAPI()
	w.Header().Set("Sforce-Limit-Info", "api-usage="+itoa(used)+"/"+itoa(s.opts.DailyAPILimit))
	if over {
		writeErr(w, http.StatusForbidden, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
		return
	}
	h(w, r, &reqCtx{user: user, version: version, segs: segs})
}

type reqCtx struct {
	user    string
	version string
	segs    []string
}

type handler func(http.ResponseWriter, *http.Request, *reqCtx)

// route picks the handler and endpoint kind for /services/data/vXX.X/<segs>.
func (s *Server) route(method string, segs []string) (string, handler) {
	n := len(segs)
	switch {
	case n == 0:
		return "resources", s.handleResources
	case segs[0] == "query" || segs[0] == "queryAll":
		if n == 1 {
			return segs[0], s.handleQuery
		}
		if n == 2 {
			return "queryMore", s.handleQueryMore
		}
	case segs[0] == "sobjects" && n == 1:
		return "describeGlobal", s.handleDescribeGlobal
	case segs[0] == "sobjects" && n == 3 && segs[2] == "describe":
		return "describe", s.handleDescribe
	case segs[0] == "sobjects" && n == 3 && method == http.MethodGet && (segs[2] == "updated" || segs[2] == "deleted"):
		return segs[2], s.handleReplication
	case segs[0] == "sobjects" && n == 4 && method == http.MethodGet:
		return "retrieve_external", s.handleExternalRetrieve
	case segs[0] == "sobjects" && n == 4:
		return "upsert", s.handleSingleUpsert
	case segs[0] == "jobs" && n >= 2 && segs[1] == "ingest":
		return "bulk_ingest", s.handleIngest
	case segs[0] == "jobs" && n >= 2 && segs[1] == "query":
		return "bulk_query", s.handleBulkQuery
	case segs[0] == "sobjects" && n == 2:
		if method == http.MethodPost {
			return "create", s.handleCreate
		}
		return "sobject", s.handleSObjectInfo
	case segs[0] == "sobjects" && n == 3:
		switch method {
		case http.MethodGet:
			return "retrieve", s.handleRecord
		case http.MethodPatch:
			return "update", s.handleRecord
		case http.MethodDelete:
			return "delete", s.handleRecord
		}
		return "record", s.handleRecord
	case n >= 2 && segs[0] == "composite" && segs[1] == "sobjects":
		switch {
		case n == 2 && method == http.MethodPost:
			return "composite_create", s.handleCollections
		case n == 2 && method == http.MethodPatch:
			return "composite_update", s.handleCollections
		case n == 2 && method == http.MethodDelete:
			return "composite_delete", s.handleCollections
		case n == 4 && method == http.MethodPatch:
			return "composite_upsert", s.handleCollections
		case n == 3 && (method == http.MethodGet || method == http.MethodPost):
			return "composite_retrieve", s.handleCollectionRetrieve
		}
		return "composite", s.handleCollections
	case n == 3 && segs[0] == "tooling" && segs[1] == "sobjects" && segs[2] == "CustomField":
		return "tooling_custom_field", s.handleCustomField
	}
	return "unknown", func(w http.ResponseWriter, _ *http.Request, _ *reqCtx) { notFound(w) }
}

func (s *Server) count(kind string) {
	s.authMu.Lock()
	s.calls[kind]++
	s.authMu.Unlock()
}

// consumeAPI counts one API request against the daily allocation; over is
// true when the allocation is already spent.
func (s *Server) consumeAPI() (used int, over bool) {
	s.authMu.Lock()
	defer s.authMu.Unlock()
	day := s.now().UTC().Format(sfDate)
	if day != s.usageDay {
		s.usageDay, s.usage = day, 0
	}
	if s.usage >= s.opts.DailyAPILimit {
		return s.usage, true
	}
	s.usage++
	return s.usage, false
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func (s *Server) handleVersions(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		methodNotAllowed(w, r, "GET")
		return
	}
	var out []map[string]string
	for v := 55; v <= 62; v++ {
		ver := itoa(v) + ".0"
		out = append(out, map[string]string{"label": releaseLabel(v), "url": "/services/data/v" + ver, "version": ver})
	}
	writeJSON(w, http.StatusOK, out)
}

func releaseLabel(v int) string {
	seasons := []string{"Spring", "Summer", "Winter"}
	// v55.0 was Summer '22; three releases a year.
	i := v - 55 + 1
	year := 22 + (i+2)/3
	return seasons[i%3] + " '" + itoa(year)
}

func (s *Server) handleResources(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	if r.Method != http.MethodGet {
		methodNotAllowed(w, r, "GET")
		return
	}
	base := "/services/data/" + c.version + "/"
	out := map[string]string{}
	for _, k := range []string{"sobjects", "query", "queryAll", "composite", "tooling", "limits"} {
		out[k] = base + k
	}
	writeJSON(w, http.StatusOK, out)
}

// readJSON decodes a request body with numbers kept exact. It answers the
// error itself and returns false on failure.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeErr(w, http.StatusRequestEntityTooLarge, "JSON_PARSER_ERROR", "request body could not be read: "+err.Error())
		return false
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		writeErr(w, http.StatusBadRequest, "JSON_PARSER_ERROR", "Unexpected character or malformed JSON: "+err.Error())
		return false
	}
	if dec.More() {
		writeErr(w, http.StatusBadRequest, "JSON_PARSER_ERROR", "Unexpected content after the JSON value")
		return false
	}
	return true
}

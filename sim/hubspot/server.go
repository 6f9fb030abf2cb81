// Package hubspot simulates the HubSpot CRM v3 objects, properties and v4
// associations APIs for contacts, companies and deals, in memory.
//
// Seeded records (Load) are stored as given: records without an id get fresh
// numeric ids above the current maximum, zero times become Now (or the
// createdate / last-modified property when it parses), unknown value keys
// become custom string properties, and "associatedcompanyid" on contacts and
// deals creates a company association (type 279 and 5).
package hubspot

import (
	"cmp"
	"log/slog"
	"maps"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/crmhub/crmhub/sim/fault"
)

// Options configure a simulator.
type Options struct {
	// Token is the accepted private-app Bearer token; default "test-token".
	Token string
	// RateLimit enforces 190 requests per rolling 10 s, 5 search requests
	// per second and 1,000,000 per day. Off by default.
	RateLimit bool
	// Now returns the current time; default time.Now.
	Now func() time.Time
	// Logger receives debug logs; default slog.Default().
	Logger *slog.Logger
	// Faults injects 429s, 5xx answers, connection resets, latency and
	// per-record batch failures, deterministically for Faults.Seed.
	Faults fault.Config
	// AppID is the sourceId that API writes carry in property history
	// (HubSpot records the private app's id); default "100001".
	AppID string

	// limits overrides the rate-limit policy (tests only).
	limits limitConfig
}

// Server is the simulator; it is an http.Handler and safe for concurrent use.
type Server struct {
	token   string
	now     func() time.Time
	log     *slog.Logger
	limiter *limiter // nil when rate limiting is off
	limits  limitConfig
	faults  *fault.Injector // nil when no fault is configured
	appID   string
	mux     *http.ServeMux
	handler http.Handler // mux behind the fault injector

	mu     genMutex // write locks count generations (search reuses matches)
	stores [len(objTypes)]*objStore
	search searchCache
	assoc  *assocStore

	callsMu sync.Mutex
	calls   map[string]int
}

// New returns an empty simulator.
func New(opts Options) *Server {
	s := &Server{
		token:  cmp.Or(opts.Token, "test-token"),
		now:    opts.Now,
		log:    opts.Logger,
		assoc:  newAssocStore(),
		calls:  map[string]int{},
		appID:  cmp.Or(opts.AppID, "100001"),
		limits: opts.limits.withDefaults(),
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if opts.RateLimit {
		s.limiter = newLimiter(s.limits)
	}
	if opts.Faults.Enabled() {
		s.faults = fault.New(opts.Faults)
	}
	now := s.now()
	for i := range s.stores {
		s.stores[i] = newObjStore(i, now)
	}
	s.routes()
	return s
}

func (s *Server) routes() {
	m := http.NewServeMux()
	h := func(pattern, kind string, search bool, fn func(http.ResponseWriter, *http.Request)) {
		m.Handle(pattern, s.wrap(kind, search, fn))
	}
	h("GET /crm/v3/objects/{type}", "list", false, s.handleList)
	h("POST /crm/v3/objects/{type}", "create", false, s.handleCreate)
	h("GET /crm/v3/objects/{type}/{id}", "get", false, s.handleGet)
	h("PATCH /crm/v3/objects/{type}/{id}", "update", false, s.handleUpdate)
	h("DELETE /crm/v3/objects/{type}/{id}", "archive", false, s.handleArchive)
	h("POST /crm/v3/objects/{type}/search", "search", true, s.handleSearch)
	h("POST /crm/v3/objects/{type}/merge", "merge", false, s.handleMerge)
	h("POST /crm/v3/objects/{type}/batch/read", "batch_read", false, s.handleBatchRead)
	h("POST /crm/v3/objects/{type}/batch/create", "batch_create", false, s.handleBatchCreate)
	h("POST /crm/v3/objects/{type}/batch/update", "batch_update", false, s.handleBatchUpdate)
	h("POST /crm/v3/objects/{type}/batch/upsert", "batch_upsert", false, s.handleBatchUpsert)
	h("POST /crm/v3/objects/{type}/batch/archive", "batch_archive", false, s.handleBatchArchive)
	h("GET /crm/v3/properties/{type}", "properties", false, s.handleProperties)
	h("POST /crm/v3/properties/{type}", "create_property", false, s.handleCreateProperty)
	h("GET /crm/v3/properties/{type}/{name}", "property", false, s.handleProperty)
	h("PUT /crm/v3/objects/{from}/{id}/associations/{to}/{toId}/{assocType}", "associate_v3", false, s.handleAssocV3)
	h("GET /crm/v4/objects/{from}/{id}/associations/{to}", "associations", false, s.handleAssocList)
	h("PUT /crm/v4/objects/{from}/{id}/associations/default/{to}/{toId}", "associate_default", false, s.handleAssocDefault)
	h("POST /crm/v4/associations/{from}/{to}/batch/read", "associations_batch_read", false, s.handleAssocBatchRead)
	h("POST /crm/v4/associations/{from}/{to}/batch/create", "associations_batch_create", false, s.handleAssocBatchCreate)
	h("POST /crm/v4/associations/{from}/{to}/batch/associate/default", "associations_batch_default", false, s.handleAssocBatchDefault)
	h("POST /crm/v4/associations/{from}/{to}/batch/archive", "associations_batch_archive", false, s.handleAssocBatchArchive)
	h("PUT /crm/v4/objects/{from}/{id}/associations/{to}/{toId}", "associate_labels", false, s.handleAssocCreate)
	h("DELETE /crm/v4/objects/{from}/{id}/associations/{to}/{toId}", "associations_archive", false, s.handleAssocArchive)
	h("/", "unknown", false, func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, http.StatusNotFound, "OBJECT_NOT_FOUND", "Unable to route "+r.Method+" "+r.URL.Path, nil)
	})
	s.mux = m
	s.handler = s.faults.Wrap(m, s.writeInjectedTooMany, s.writeInjectedServerError)
}

// ServeHTTP answers one API request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

// Faults reports the faults injected so far by kind and the number of batch
// records failed on purpose; both are empty without Options.Faults.
func (s *Server) Faults() (byKind map[fault.Kind]int, records int) {
	if s.faults == nil {
		return map[fault.Kind]int{}, 0
	}
	return s.faults.Counts()
}

// wrap counts the call, checks the token and applies the rate limits.
func (s *Server) wrap(kind string, search bool, fn func(http.ResponseWriter, *http.Request)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.callsMu.Lock()
		s.calls[kind]++
		s.callsMu.Unlock()
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler { //nolint:errorlint // sentinel panic value
					panic(v)
				}
				s.log.Error("hubspot sim: handler panic", "kind", kind, "panic", v)
				s.writeError(w, http.StatusInternalServerError, "INTERNAL_ERROR", "internal error", nil)
			}
		}()
		if !s.authorized(r) {
			msg := "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
			if r.Header.Get("Authorization") != "" {
				msg = "The OAuth token used to make this call expired or is invalid."
			}
			s.writeError(w, http.StatusUnauthorized, "INVALID_AUTHENTICATION", msg, nil)
			return
		}
		if s.limiter != nil && !s.limiter.admit(w, s.now(), search) {
			return
		}
		s.log.Debug("hubspot sim: request", "method", r.Method, "path", r.URL.Path, "kind", kind)
		fn(w, r)
	})
}

func (s *Server) authorized(r *http.Request) bool {
	auth := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(auth, "Bearer ")
	return ok && tok == s.token
}

// Calls returns the number of requests served per endpoint kind.
func (s *Server) Calls() map[string]int {
	s.callsMu.Lock()
	defer s.callsMu.Unlock()
	return maps.Clone(s.calls)
}

// objectType resolves the {type} path value or answers 400.
func (s *Server) objectType(w http.ResponseWriter, name string) (int, bool) {
	ti, ok := lookupType(name)
	if !ok {
		s.writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "Unable to infer object type from: "+name, nil)
	}
	return ti, ok
}

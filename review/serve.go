package review

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/crmhub/crmhub/review/decisions"
)

//go:embed web
var webFS embed.FS

// ErrTokenRequired refuses to serve beyond loopback without a token.
var ErrTokenRequired = errors.New("the review page serves only loopback without a token: set CRMHUB_REVIEW_TOKEN or --token-file to bind elsewhere")

// ServerConfig configures the review page.
type ServerConfig struct {
	Service *Service
	// Token, when set, is required of every request (login form, a cookie
	// afterwards, or Authorization: Bearer); it is never logged.
	Token string
	// Reviewer fills the page's "who" field.
	Reviewer string
	Logger   *slog.Logger
}

// Server is the review page: the queue, one item side by side with its
// explanation, decisions and undo, keyboard first, with no asset from the
// network (CSS and script are embedded).
type Server struct {
	cfg     ServerConfig
	csrf    string
	session string
	tmpl    *template.Template
	mux     *http.ServeMux
	// loopbackOnly makes the server refuse Host headers other than
	// loopback names (DNS rebinding); set by Serve for loopback binds.
	loopbackOnly bool
}

const sessionCookie = "crmhub_review"

// NewServer prepares the page.
func NewServer(cfg ServerConfig) (*Server, error) {
	if cfg.Service == nil {
		return nil, errors.New("review server: no service")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, csrf: hex.EncodeToString(b[:])}
	if cfg.Token != "" {
		h := sha256.Sum256([]byte("crmhub-review-session\x00" + cfg.Token))
		s.session = hex.EncodeToString(h[:])
	}
	t, err := template.New("page.html.tmpl").Funcs(funcs).ParseFS(webFS, "web/page.html.tmpl")
	if err != nil {
		return nil, err
	}
	s.tmpl = t
	static, err := fs.Sub(webFS, "web/static")
	if err != nil {
		return nil, err
	}
	s.mux = http.NewServeMux()
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	s.mux.HandleFunc("GET /{$}", s.page)
	s.mux.HandleFunc("GET /history", s.history)
	s.mux.HandleFunc("POST /decide", s.decide)
	s.mux.HandleFunc("POST /undo", s.undo)
	s.mux.HandleFunc("GET /login", s.loginForm)
	s.mux.HandleFunc("POST /login", s.login)
	return s, nil
}

// IsLoopback says whether addr (host:port) binds loopback only.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Serve listens on addr until ctx ends. Beyond loopback a token is required.
// ready, when set, receives the URL once listening.
func (s *Server) Serve(ctx context.Context, addr string, ready func(url string)) error {
	if !IsLoopback(addr) && s.cfg.Token == "" {
		return ErrTokenRequired
	}
	s.loopbackOnly = IsLoopback(addr)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("review page: %w", err)
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	u := "http://" + ln.Addr().String() + "/"
	s.cfg.Logger.Info("review page listening", "url", u, "token_required", s.cfg.Token != "")
	if ready != nil {
		ready(u)
	}
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// ServeHTTP checks the host, the token and the headers every page gets.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin") // no-referrer would make form posts send Origin: null
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
	if s.loopbackOnly && !loopbackHost(r.Host) {
		http.Error(w, "this page answers loopback names only", http.StatusMisdirectedRequest)
		return
	}
	if s.session != "" && !strings.HasPrefix(r.URL.Path, "/static/") && r.URL.Path != "/login" && !s.authorized(r) {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	s.mux.ServeHTTP(w, r)
}

func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (s *Server) authorized(r *http.Request) bool {
	if c, err := r.Cookie(sessionCookie); err == nil && subtle.ConstantTimeCompare([]byte(c.Value), []byte(s.session)) == 1 {
		return true
	}
	if a, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return subtle.ConstantTimeCompare([]byte(a), []byte(s.cfg.Token)) == 1
	}
	return false
}

// sameOrigin is the CSRF check of every POST: the form's token, and the
// browser's Origin / Sec-Fetch-Site when it sends them.
func (s *Server) sameOrigin(r *http.Request) bool {
	if subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(s.csrf)) != 1 {
		return false
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return false
	}
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return false
		}
	}
	return true
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, http.StatusOK, &pageData{Login: true, CSRF: s.csrf})
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if s.session == "" {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	if !s.sameOrigin(r) || subtle.ConstantTimeCompare([]byte(r.PostFormValue("token")), []byte(s.cfg.Token)) != 1 {
		s.render(w, http.StatusUnauthorized, &pageData{Login: true, CSRF: s.csrf, Error: "wrong token"})
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: s.session, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// pageData is what the template shows.
type pageData struct {
	Login    bool
	RunID    string
	Total    int
	Items    []Item
	Kind     string
	Entity   string
	Kinds    []kindLink
	Selected *Detail
	Prev     string
	Next     string
	Flash    string
	Error    string
	CSRF     string
	By       string
	Why      string
	Last     *HistoryEntry
	History  []HistoryEntry
	Now      time.Time
}

type kindLink struct {
	Kind, Label string
	Active      bool
}

func (s *Server) query(r *http.Request) (kind, entity, item string) {
	q := r.URL.Query()
	if r.Method == http.MethodPost {
		q = r.PostForm
	}
	kind, _ = NormalizeKind(q.Get("kind"))
	entity = q.Get("entity")
	if entity != "person" && entity != "company" && entity != "deal" {
		entity = ""
	}
	return kind, entity, q.Get("item")
}

// load fills the queue, the selected item and the last decision.
func (s *Server) load(ctx context.Context, d *pageData, kind, entity, item string) error {
	svc := s.cfg.Service
	q, err := svc.Queue(ctx, Filter{Kind: kind, Entity: entity})
	if err != nil {
		return err
	}
	d.RunID, d.Total, d.Items, d.Kind, d.Entity, d.CSRF, d.Now = q.RunID, q.Total, q.Items, kind, entity, s.csrf, svc.now()
	if d.By == "" {
		d.By = s.cfg.Reviewer
	}
	d.Kinds = []kindLink{{"", "all", kind == ""}, {KindMatch, "pairs", kind == KindMatch}, {KindDuplicate, "duplicates", kind == KindDuplicate},
		{KindConflict, "conflicts", kind == KindConflict}, {KindRefusedLoad, "refused loads", kind == KindRefusedLoad}}
	sel := -1
	for i, it := range q.Items {
		if it.ID == item {
			sel = i
		}
	}
	if sel < 0 && len(q.Items) > 0 && item == "" {
		sel = 0
	}
	if sel >= 0 {
		if sel > 0 {
			d.Prev = q.Items[sel-1].ID
		}
		if sel+1 < len(q.Items) {
			d.Next = q.Items[sel+1].ID
		}
		if d.Selected, err = svc.Show(ctx, q.Items[sel].ID); err != nil {
			return err
		}
	} else if item != "" {
		// decided or gone: show it if the run still lists it
		if det, err := svc.Show(ctx, item); err == nil {
			d.Selected = det
		}
	}
	h, err := svc.History(ctx)
	if err != nil {
		return err
	}
	for i := range h {
		if h[i].Action != decisions.Undo && h[i].UndoneBy == "" {
			d.Last = &h[i]
			break
		}
	}
	return nil
}

func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	kind, entity, item := s.query(r)
	d := &pageData{}
	if id := r.URL.Query().Get("recorded"); decisions.ValidID(id) {
		d.Flash = "Recorded " + id + ": the next run applies it."
	}
	if id := r.URL.Query().Get("undone"); decisions.ValidID(id) {
		d.Flash = "Recorded " + id + ": the decision is withdrawn."
	}
	if err := s.load(r.Context(), d, kind, entity, item); err != nil {
		s.fail(w, d, err)
		return
	}
	s.render(w, http.StatusOK, d)
}

func (s *Server) history(w http.ResponseWriter, r *http.Request) {
	h, err := s.cfg.Service.History(r.Context())
	d := &pageData{CSRF: s.csrf, By: s.cfg.Reviewer, History: h, Now: s.cfg.Service.now()}
	if err != nil {
		s.fail(w, d, err)
		return
	}
	d.RunID = "history"
	s.render(w, http.StatusOK, d)
}

func (s *Server) decide(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || !s.sameOrigin(r) {
		http.Error(w, "forbidden: the form did not come from this page", http.StatusForbidden)
		return
	}
	kind, entity, _ := s.query(r)
	f := r.PostForm
	req := Request{Target: f.Get("target"), Fingerprint: f.Get("fingerprint"), Verb: f.Get("verb"), Value: f.Get("value"),
		By: f.Get("by"), Why: f.Get("why")}
	if f.Get("group") == "1" && f.Get("group_key") != "" {
		req.Target, req.Fingerprint = f.Get("group_key"), f.Get("group_fingerprint")
	}
	if strings.HasPrefix(req.Verb, "use_") {
		req.Verb, req.Use = VerbUse, strings.TrimPrefix(req.Verb, "use_")
	}
	if e := strings.TrimSpace(f.Get("expires")); e != "" {
		t, err := time.Parse("2006-01-02", e)
		if err != nil {
			d := &pageData{By: req.By, Why: req.Why}
			_ = s.load(r.Context(), d, kind, entity, f.Get("item"))
			d.Error = fmt.Sprintf("expiry %q: want a date YYYY-MM-DD", e)
			s.render(w, http.StatusUnprocessableEntity, d)
			return
		}
		req.ExpiresAt = &t
	}
	var next string
	if q, err := s.cfg.Service.Queue(r.Context(), Filter{Kind: kind, Entity: entity}); err == nil {
		for i, it := range q.Items {
			if it.ID == req.Target || it.GroupKey == req.Target || it.ID == f.Get("item") {
				for _, n := range q.Items[i+1:] {
					if n.ID != req.Target && n.GroupKey != req.Target {
						next = n.ID
						break
					}
				}
				break
			}
		}
	}
	dec, err := s.cfg.Service.Decide(r.Context(), req)
	if err != nil {
		d := &pageData{By: req.By, Why: req.Why}
		_ = s.load(r.Context(), d, kind, entity, f.Get("item"))
		d.Error = err.Error()
		s.render(w, statusOf(err), d)
		return
	}
	s.cfg.Logger.Info("review decision recorded", "decision", dec.ID, "action", dec.Action, "by", dec.By, "items", len(dec.Items))
	http.Redirect(w, r, "/?"+s.params(kind, entity, next, "recorded", dec.ID), http.StatusSeeOther)
}

func (s *Server) undo(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || !s.sameOrigin(r) {
		http.Error(w, "forbidden: the form did not come from this page", http.StatusForbidden)
		return
	}
	kind, entity, item := s.query(r)
	f := r.PostForm
	dec, err := s.cfg.Service.Undo(r.Context(), f.Get("decision"), f.Get("by"), f.Get("why"))
	if err != nil {
		d := &pageData{By: f.Get("by")}
		_ = s.load(r.Context(), d, kind, entity, item)
		d.Error = err.Error()
		s.render(w, statusOf(err), d)
		return
	}
	s.cfg.Logger.Info("review decision undone", "decision", dec.ID, "undoes", dec.Undoes, "by", dec.By)
	if len(dec.Items) > 0 {
		item = dec.Items[0].ID
	}
	http.Redirect(w, r, "/?"+s.params(kind, entity, item, "undone", dec.ID), http.StatusSeeOther)
}

func (s *Server) params(kind, entity, item, flashKey, flash string) string {
	v := url.Values{}
	for k, x := range map[string]string{"kind": kind, "entity": entity, "item": item, flashKey: flash} {
		if x != "" {
			v.Set(k, x)
		}
	}
	return v.Encode()
}

func statusOf(err error) int {
	switch {
	case errors.Is(err, ErrStale), errors.Is(err, ErrNotOpen):
		return http.StatusConflict
	case errors.Is(err, ErrBadDecision), errors.Is(err, decisions.ErrInvalid):
		return http.StatusUnprocessableEntity
	}
	return http.StatusInternalServerError
}

func (s *Server) fail(w http.ResponseWriter, d *pageData, err error) {
	s.cfg.Logger.Error("review page", "err", err)
	d.Error = err.Error()
	d.CSRF = s.csrf
	s.render(w, http.StatusInternalServerError, d)
}

func (s *Server) render(w http.ResponseWriter, status int, d *pageData) {
	var buf bytes.Buffer
	if err := s.tmpl.Execute(&buf, d); err != nil {
		s.cfg.Logger.Error("review page template", "err", err)
		http.Error(w, "page error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

var funcs = template.FuncMap{
	"deref": func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	},
	"num": func(f *float64) string {
		if f == nil {
			return ""
		}
		return fmt.Sprintf("%.2f", *f)
	},
	"time": func(t any) string {
		switch v := t.(type) {
		case time.Time:
			if v.IsZero() {
				return ""
			}
			return v.UTC().Format("2006-01-02 15:04 UTC")
		case *time.Time:
			if v == nil {
				return "-"
			}
			return v.UTC().Format("2006-01-02 15:04 UTC")
		}
		return ""
	},
	"age": func(it Item, now time.Time) string {
		a := it.Age(now)
		switch {
		case a >= 48*time.Hour:
			return fmt.Sprintf("%dd", int(a.Hours()/24))
		case a >= time.Hour:
			return fmt.Sprintf("%dh", int(a.Hours()))
		}
		return fmt.Sprintf("%dm", int(a.Minutes()))
	},
	"weightClass": func(w *float64) string {
		switch {
		case w == nil:
			return ""
		case *w > 0:
			return "pos"
		case *w < 0:
			return "neg"
		}
		return ""
	},
	"isPair": func(k string) bool { return k == KindMatch || k == KindDuplicate },
	"label": func(k string) string {
		return map[string]string{KindMatch: "uncertain match", KindDuplicate: "duplicate in one system",
			KindConflict: "field conflict", KindRefusedLoad: "refused load"}[k]
	},
}

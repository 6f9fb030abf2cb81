// Package salesforce is crmhub's Salesforce REST client, shared by the
// extractors and loaders: OAuth client-credentials login with automatic
// re-authentication, SOQL query paging, sObject Collections writes,
// describe, Tooling custom fields, API usage tracking and retries.
package salesforce

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
)

// Config configures a Client.
type Config struct {
	LoginURL       string // default https://login.salesforce.com
	ClientID       string
	ClientSecret   string
	APIVersion     string        // default "v62.0"
	HTTPClient     *http.Client  // default: 2-minute timeout
	MaxRetries     int           // retries after the first attempt; default 3, negative disables
	RetryBaseDelay time.Duration // first backoff wait; default 500ms
	RetryMaxDelay  time.Duration // longest backoff wait; default 30s
	// BulkPollInterval is the wait between Bulk API 2.0 job status polls;
	// default 2s.
	BulkPollInterval time.Duration
	Logger           *slog.Logger

	// SlowdownAt is the share of the org's daily API allocation in use
	// (from Sforce-Limit-Info) past which calls are spaced out, so other
	// integrations keep headroom; default 0.9. StopAt is the share at which
	// calls fail with ErrLimitExceeded before being sent; default 0.98.
	// Set either to 1 to disable it.
	SlowdownAt float64
	StopAt     float64
	// SlowdownDelay is the wait before each call at StopAt; it grows
	// linearly from zero at SlowdownAt. Default 2s.
	SlowdownDelay time.Duration

	// JWT bearer grant: when a private key is configured the client logs in
	// with an RS256 assertion (iss ClientID, sub Username, aud LoginURL or
	// Audience) instead of client credentials; ClientSecret is then not
	// needed. The key is PEM (PKCS#1 or PKCS#8), read from PrivateKeyFile or
	// from the environment variable named by PrivateKeyEnv; it is never
	// logged.
	Username       string
	PrivateKeyFile string
	PrivateKeyEnv  string
	Audience       string // default LoginURL
}

// EndpointStats counts the calls of one endpoint kind.
type EndpointStats struct {
	Count   int           // calls made (a retried call counts once)
	Errors  int           // calls that ended in an error
	Retries int           // extra attempts
	Latency time.Duration // total time spent, retries included
	Status  map[int]int   // HTTP status (0: no answer) -> attempts
}

// CallStats maps endpoint kind (token, query, describe, create, ...) to stats.
type CallStats map[string]EndpointStats

// Client talks to one Salesforce org. It is safe for concurrent use.
type Client struct {
	cfg  Config
	log  *slog.Logger
	http *http.Client

	key *rsa.PrivateKey

	authMu   sync.Mutex
	token    string
	instance string

	statsMu  sync.Mutex
	stats    map[string]*EndpointStats
	used     int
	maxUsage int
}

var versionRE = regexp.MustCompile(`^v[0-9]{2,3}\.[0-9]$`)

// New validates cfg and returns a client; it authenticates lazily.
func New(cfg Config) (*Client, error) {
	if cfg.LoginURL == "" {
		cfg.LoginURL = "https://login.salesforce.com"
	}
	cfg.LoginURL = strings.TrimRight(cfg.LoginURL, "/")
	if u, err := url.Parse(cfg.LoginURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: LoginURL %q is not an http(s) URL", ErrConfig, cfg.LoginURL)
	}
	key, err := loadKey(cfg)
	if err != nil {
		return nil, err
	}
	switch {
	case cfg.ClientID == "":
		return nil, fmt.Errorf("%w: ClientID is required", ErrConfig)
	case key == nil && cfg.ClientSecret == "":
		return nil, fmt.Errorf("%w: ClientSecret (or a private key for the JWT bearer grant) is required", ErrConfig)
	case key != nil && cfg.Username == "":
		return nil, fmt.Errorf("%w: Username is required for the JWT bearer grant", ErrConfig)
	}
	if cfg.Audience == "" {
		cfg.Audience = cfg.LoginURL
	}
	if cfg.APIVersion == "" {
		cfg.APIVersion = "v62.0"
	}
	if !versionRE.MatchString(cfg.APIVersion) {
		return nil, fmt.Errorf("%w: APIVersion %q is not like v62.0", ErrConfig, cfg.APIVersion)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 2 * time.Minute}
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = 3
	}
	if cfg.MaxRetries < 0 {
		cfg.MaxRetries = 0
	}
	if cfg.RetryBaseDelay <= 0 {
		cfg.RetryBaseDelay = 500 * time.Millisecond
	}
	if cfg.RetryMaxDelay <= 0 {
		cfg.RetryMaxDelay = 30 * time.Second
	}
	if cfg.BulkPollInterval <= 0 {
		cfg.BulkPollInterval = 2 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.SlowdownAt <= 0 {
		cfg.SlowdownAt = 0.9
	}
	if cfg.StopAt <= 0 {
		cfg.StopAt = 0.98
	}
	if cfg.SlowdownDelay <= 0 {
		cfg.SlowdownDelay = 2 * time.Second
	}
	return &Client{cfg: cfg, key: key, log: cfg.Logger, http: cfg.HTTPClient, stats: map[string]*EndpointStats{}}, nil
}

// Usage returns the API usage of the last Sforce-Limit-Info header seen.
func (c *Client) Usage() (used, max int) {
	c.statsMu.Lock()
	defer c.statsMu.Unlock()
	return c.used, c.maxUsage
}

// Calls returns a copy of the per-endpoint statistics.
func (c *Client) Calls() CallStats {
	c.statsMu.Lock()
	defer c.statsMu.Unlock()
	out := make(CallStats, len(c.stats))
	for k, v := range c.stats {
		cp := *v
		cp.Status = maps.Clone(v.Status)
		out[k] = cp
	}
	return out
}

func (c *Client) noteStatus(kind string, status int) {
	c.statsMu.Lock()
	defer c.statsMu.Unlock()
	st := c.stats[kind]
	if st == nil {
		st = &EndpointStats{}
		c.stats[kind] = st
	}
	if st.Status == nil {
		st.Status = map[int]int{}
	}
	st.Status[status]++
}

// pace waits before a call when the org's API usage is near its daily
// allocation, and refuses the call at StopAt.
func (c *Client) pace(ctx context.Context, kind string) error {
	if kind == "token" {
		return nil
	}
	used, limit := c.Usage()
	if limit <= 0 {
		return nil
	}
	share := float64(used) / float64(limit)
	if c.cfg.StopAt < 1 && share >= c.cfg.StopAt {
		return fmt.Errorf("%w: %d of %d daily API requests used; stopping at %.0f%% to leave headroom",
			ErrLimitExceeded, used, limit, c.cfg.StopAt*100)
	}
	if c.cfg.SlowdownAt >= 1 || share < c.cfg.SlowdownAt {
		return nil
	}
	span := max(c.cfg.StopAt, c.cfg.SlowdownAt+0.01) - c.cfg.SlowdownAt
	d := time.Duration(float64(c.cfg.SlowdownDelay) * min(1, (share-c.cfg.SlowdownAt)/span))
	c.log.Debug("salesforce: near the daily API allocation, slowing down", "used", used, "limit", limit, "wait", d)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (c *Client) record(kind string, start time.Time, retries int, err error) {
	c.statsMu.Lock()
	defer c.statsMu.Unlock()
	st := c.stats[kind]
	if st == nil {
		st = &EndpointStats{}
		c.stats[kind] = st
	}
	st.Count++
	st.Retries += retries
	st.Latency += time.Since(start)
	if err != nil {
		st.Errors++
	}
}

func (c *Client) noteUsage(h http.Header) {
	v := h.Get("Sforce-Limit-Info")
	_, rest, ok := strings.Cut(v, "api-usage=")
	if !ok {
		return
	}
	rest, _, _ = strings.Cut(rest, ",")
	u, m, ok := strings.Cut(strings.TrimSpace(rest), "/")
	used, err1 := strconv.Atoi(u)
	maxUsage, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil {
		return
	}
	c.statsMu.Lock()
	c.used, c.maxUsage = used, maxUsage
	c.statsMu.Unlock()
}

// session returns the current token and instance URL, logging in if needed.
func (c *Client) session(ctx context.Context) (string, string, error) {
	c.authMu.Lock()
	defer c.authMu.Unlock()
	if c.token != "" {
		return c.token, c.instance, nil
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {c.cfg.ClientID},
		"client_secret": {c.cfg.ClientSecret}}
	if c.key != nil {
		assertion, err := c.assertion()
		if err != nil {
			return "", "", err
		}
		form = url.Values{"grant_type": {jwtBearerGrant}, "assertion": {assertion}}
	}
	body := []byte(form.Encode())
	hdr := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	rep, err := c.send(ctx, "token", http.MethodPost, c.cfg.LoginURL+"/services/oauth2/token", "", body, hdr)
	var raw []byte
	if rep != nil {
		raw = rep.body
	}
	if err != nil {
		return "", "", fmt.Errorf("salesforce login: %w", err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		InstanceURL string `json:"instance_url"`
	}
	if err := json.Unmarshal(raw, &tok); err != nil || tok.AccessToken == "" || tok.InstanceURL == "" {
		return "", "", fmt.Errorf("%w: token answer without access_token or instance_url", ErrAuth)
	}
	if u, err := url.Parse(tok.InstanceURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", "", fmt.Errorf("%w: token answer has invalid instance_url", ErrAuth)
	}
	c.token, c.instance = tok.AccessToken, strings.TrimRight(tok.InstanceURL, "/")
	c.log.Info("salesforce: authenticated", "instance_url", c.instance)
	return c.token, c.instance, nil
}

// dropSession forgets token if it is still the current one.
func (c *Client) dropSession(token string) {
	c.authMu.Lock()
	if c.token == token {
		c.token = ""
	}
	c.authMu.Unlock()
}

// reply is a successful answer.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// call performs an API request against the instance and returns the body.
func (c *Client) call(ctx context.Context, kind, method, path string, body []byte, hdr http.Header) ([]byte, error) {
	rep, err := c.callReply(ctx, kind, method, path, body, hdr)
	if err != nil {
		return nil, err
	}
	return rep.body, nil
}

// callReply performs an API request against the instance. It
// re-authenticates once on INVALID_SESSION_ID.
func (c *Client) callReply(ctx context.Context, kind, method, path string, body []byte, hdr http.Header) (*reply, error) {
	for attempt := 0; ; attempt++ {
		token, instance, err := c.session(ctx)
		if err != nil {
			return nil, err
		}
		rep, err := c.send(ctx, kind, method, instance+path, token, body, hdr)
		if err != nil && errors.Is(err, ErrInvalidSession) && attempt == 0 {
			c.log.Info("salesforce: session invalid, re-authenticating", "kind", kind)
			c.dropSession(token)
			continue
		}
		return rep, err
	}
}

// retryable reports whether an error answer is worth another attempt:
// server errors, row locks and the concurrent-request limit (not the daily
// allocation, which is also REQUEST_LIMIT_EXCEEDED).
func retryable(e *APIError) bool {
	switch {
	case e.Status >= 500 || e.Status == http.StatusTooManyRequests:
		return true
	case e.Code == "UNABLE_TO_LOCK_ROW":
		return true
	case e.Code == "REQUEST_LIMIT_EXCEEDED":
		return strings.Contains(e.Message, "ConcurrentRequests") || strings.Contains(e.Message, "Concurrent")
	}
	return false
}

// send performs one HTTP exchange with retries on network errors and
// retryable answers.
func (c *Client) send(ctx context.Context, kind, method, target, token string, body []byte, hdr http.Header) (*reply, error) {
	start := time.Now()
	retries := 0
	op := func() (*reply, error) {
		if err := c.pace(ctx, kind); err != nil {
			return nil, backoff.Permanent(err)
		}
		req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
		if err != nil {
			return nil, backoff.Permanent(fmt.Errorf("salesforce: build request: %w", err))
		}
		for k, v := range hdr {
			req.Header[k] = v
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if body != nil && req.Header.Get("Content-Type") == "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if req.Header.Get("Accept") == "" {
			req.Header.Set("Accept", "application/json")
		}
		resp, err := c.http.Do(req)
		if err != nil {
			c.noteStatus(kind, 0)
			if ctx.Err() != nil {
				return nil, backoff.Permanent(err)
			}
			return nil, fmt.Errorf("salesforce: %s %s: %w", method, kind, err)
		}
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		c.noteUsage(resp.Header)
		c.noteStatus(kind, resp.StatusCode)
		if err != nil {
			return nil, fmt.Errorf("salesforce: read %s answer: %w", kind, err)
		}
		c.log.Debug("salesforce: call", "kind", kind, "method", method, "status", resp.StatusCode)
		if resp.StatusCode < 300 {
			return &reply{status: resp.StatusCode, header: resp.Header, body: raw}, nil
		}
		apiErr := parseError(resp.StatusCode, raw)
		if retryable(apiErr) {
			if wait := retryAfter(resp.Header); wait > 0 {
				// the server said how long; add up to a quarter of jitter
				wait += time.Duration(rand.Int64N(int64(wait/4) + 1))
				return nil, &waitError{err: apiErr, wait: &backoff.RetryAfterError{Duration: min(wait, c.cfg.RetryMaxDelay)}}
			}
			return nil, apiErr
		}
		return nil, backoff.Permanent(apiErr)
	}
	eb := backoff.NewExponentialBackOff()
	eb.InitialInterval = c.cfg.RetryBaseDelay
	eb.MaxInterval = c.cfg.RetryMaxDelay
	rep, err := backoff.Retry(ctx, op, backoff.WithBackOff(eb),
		backoff.WithMaxTries(uint(c.cfg.MaxRetries)+1),
		backoff.WithNotify(func(err error, d time.Duration) {
			retries++
			c.log.Warn("salesforce: retrying", "kind", kind, "error", err, "wait", d)
		}))
	c.record(kind, start, retries, err)
	var w *waitError
	if errors.As(err, &w) {
		err = w.err
	}
	return rep, err
}

// waitError carries a server's Retry-After to backoff, keeping the API error.
type waitError struct {
	err  error
	wait *backoff.RetryAfterError
}

func (w *waitError) Error() string   { return w.err.Error() }
func (w *waitError) Unwrap() []error { return []error{w.err, w.wait} }

// retryAfter reads a Retry-After header (seconds or an HTTP date).
func retryAfter(h http.Header) time.Duration {
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, time.Until(t))
	}
	return 0
}

// parseError decodes the error body of an answer.
func parseError(status int, raw []byte) *APIError {
	e := &APIError{Status: status}
	var list []struct {
		Message   string   `json:"message"`
		ErrorCode string   `json:"errorCode"`
		Fields    []string `json:"fields"`
	}
	var oauth struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	switch {
	case json.Unmarshal(raw, &list) == nil && len(list) > 0:
		e.Code, e.Message, e.Fields = list[0].ErrorCode, list[0].Message, list[0].Fields
	case json.Unmarshal(raw, &oauth) == nil && oauth.Error != "":
		e.Code, e.Message = oauth.Error, oauth.Description
	default:
		e.Code = http.StatusText(status)
		e.Message = strings.TrimSpace(string(raw))
		if len(e.Message) > 200 {
			e.Message = e.Message[:200] + "..."
		}
	}
	return e
}

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
		out[k] = *v
	}
	return out
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
			if ctx.Err() != nil {
				return nil, backoff.Permanent(err)
			}
			return nil, fmt.Errorf("salesforce: %s %s: %w", method, kind, err)
		}
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		c.noteUsage(resp.Header)
		if err != nil {
			return nil, fmt.Errorf("salesforce: read %s answer: %w", kind, err)
		}
		c.log.Debug("salesforce: call", "kind", kind, "method", method, "status", resp.StatusCode)
		if resp.StatusCode < 300 {
			return &reply{status: resp.StatusCode, header: resp.Header, body: raw}, nil
		}
		apiErr := parseError(resp.StatusCode, raw)
		if retryable(apiErr) {
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
	return rep, err
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

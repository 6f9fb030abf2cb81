// Package hubspot is crmhub's client for the HubSpot CRM v3/v4 APIs: objects,
// search, batch writes, properties and associations, with client-side rate
// limiting and retries with exponential backoff and jitter.
package hubspot

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
	gojson "github.com/goccy/go-json"
	"golang.org/x/time/rate"
)

// Config configures a Client. Zero values take the documented defaults.
type Config struct {
	BaseURL    string // default https://api.hubapi.com
	Token      string // private-app token (required)
	HTTPClient *http.Client
	// RequestsPer10s is the client-side limit for non-search calls in any
	// rolling ten seconds; default 180, under the documented 190 of
	// Professional and Enterprise private apps.
	RequestsPer10s int
	// SearchPerSecond is the client-side limit for search calls; default
	// 4.5, under the documented 5.
	SearchPerSecond float64
	MaxRetries      int // default 6
	// DailyReserve is how much of the account's daily budget to leave to
	// other apps: once X-HubSpot-RateLimit-Daily-Remaining is at or below
	// it, calls fail with ErrDailyBudget instead of spending it. Default 0.
	DailyReserve int
	// RefreshToken, when set, is asked for a new access token after a 401
	// (OAuth apps); the call is then tried once more. Private-app tokens do
	// not expire, so it is nil for them.
	RefreshToken func(ctx context.Context) (string, error)
	Logger       *slog.Logger
	// RetryBackoff is the first interval of the exponential backoff between
	// attempts; default 500 ms.
	RetryBackoff time.Duration
	// MaxRetryWait caps any single wait between attempts, including waits
	// the server asks for (Retry-After, a used-up rolling window); default
	// 30 s. Tests set both short.
	MaxRetryWait time.Duration
}

// Client talks to one HubSpot account. It is safe for concurrent use.
type Client struct {
	base       string
	http       *http.Client
	refresh    func(ctx context.Context) (string, error)
	reserve    int
	general    *rate.Limiter
	search     *rate.Limiter
	maxRetries int
	initial    time.Duration
	maxWait    time.Duration
	log        *slog.Logger

	mu    sync.Mutex
	token string
	stats CallStats
	// pauseUntil holds every call back when the server's headers say the
	// rolling window is almost used up (other apps share it).
	pauseUntil     time.Time
	dailyRemaining int // -1 until a header says
}

// EndpointStats are the counters of one endpoint kind.
type EndpointStats struct {
	Calls   int           // logical calls
	Errors  int           // calls that finally failed
	Retries int           // extra attempts
	Latency time.Duration // total time spent in HTTP attempts
	Status  map[int]int   // HTTP status (0: no answer) -> attempts
}

// CallStats maps endpoint kind (list, search, batch_update, ...) to counters.
type CallStats map[string]EndpointStats

// New validates cfg and returns a client.
func New(cfg Config) (*Client, error) {
	if cfg.Token == "" {
		return nil, fmt.Errorf("%w: token is required", ErrBadConfig)
	}
	base := strings.TrimRight(cmp.Or(cfg.BaseURL, "https://api.hubapi.com"), "/")
	if u, err := url.Parse(base); err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("%w: base URL %q is not absolute", ErrBadConfig, base)
	}
	if cfg.RequestsPer10s < 0 || cfg.SearchPerSecond < 0 || cfg.MaxRetries < 0 || cfg.RetryBackoff < 0 || cfg.MaxRetryWait < 0 || cfg.DailyReserve < 0 {
		return nil, fmt.Errorf("%w: limits and retries must not be negative", ErrBadConfig)
	}
	per10s := cmp.Or(cfg.RequestsPer10s, 180)
	perSec := cmp.Or(cfg.SearchPerSecond, 4.5)
	retries := cfg.MaxRetries
	if retries == 0 {
		retries = 6
	}
	c := &Client{
		base:  base,
		token: cfg.Token,

		http: cfg.HTTPClient,
		// the sustained rate is per10s per 10 s; burst + rate*10s stays
		// within per10s*1.05 in any rolling window
		general:        rate.NewLimiter(rate.Limit(float64(per10s)/10), max(1, per10s/20)),
		search:         rate.NewLimiter(rate.Limit(perSec), 1),
		refresh:        cfg.RefreshToken,
		reserve:        cfg.DailyReserve,
		dailyRemaining: -1,
		maxRetries:     retries,
		initial:        cmp.Or(cfg.RetryBackoff, 500*time.Millisecond),
		maxWait:        cmp.Or(cfg.MaxRetryWait, 30*time.Second),
		log:            cfg.Logger,
		stats:          CallStats{},
	}
	if c.http == nil {
		c.http = &http.Client{Timeout: 60 * time.Second}
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	return c, nil
}

// Calls returns a copy of the per-endpoint counters.
func (c *Client) Calls() CallStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(CallStats, len(c.stats))
	for k, v := range c.stats {
		v.Status = maps.Clone(v.Status)
		out[k] = v
	}
	return out
}

func (c *Client) countStatus(kind string, status int, d time.Duration) {
	c.count(kind, func(s *EndpointStats) {
		s.Latency += d
		if s.Status == nil {
			s.Status = map[int]int{}
		}
		s.Status[status]++
	})
}

// DailyRemaining returns the account's daily budget left as the last
// answer's headers said, or -1 when no answer has said.
func (c *Client) DailyRemaining() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.dailyRemaining
}

// observe reads the rate-limit headers of an answer: when the rolling
// window is nearly used up (the limit is per account, shared with other
// apps), later calls wait; the daily remainder is kept for DailyReserve.
func (c *Client) observe(h http.Header) {
	remaining, err1 := strconv.Atoi(h.Get("X-HubSpot-RateLimit-Remaining"))
	maxPer, err2 := strconv.Atoi(h.Get("X-HubSpot-RateLimit-Max"))
	interval, err3 := strconv.Atoi(h.Get("X-HubSpot-RateLimit-Interval-Milliseconds"))
	daily, err4 := strconv.Atoi(h.Get("X-HubSpot-RateLimit-Daily-Remaining"))
	c.mu.Lock()
	defer c.mu.Unlock()
	if err4 == nil {
		c.dailyRemaining = daily
	}
	if err1 != nil || err2 != nil || err3 != nil || maxPer <= 0 || interval <= 0 {
		return
	}
	// Keep a twentieth of the window in reserve; below it, wait in
	// proportion to how far below it the window is.
	reserve := max(1, maxPer/20)
	if remaining >= reserve {
		return
	}
	pause := time.Duration(interval) * time.Millisecond * time.Duration(reserve-remaining) / time.Duration(maxPer)
	if until := time.Now().Add(pause); until.After(c.pauseUntil) {
		c.pauseUntil = until
	}
}

// hold waits while the headers asked to pause, and refuses calls past the
// daily reserve.
func (c *Client) hold(ctx context.Context) error {
	c.mu.Lock()
	until, daily := c.pauseUntil, c.dailyRemaining
	c.mu.Unlock()
	if c.reserve > 0 && daily >= 0 && daily <= c.reserve {
		return fmt.Errorf("%w: %d calls left today, %d kept in reserve", ErrDailyBudget, daily, c.reserve)
	}
	if d := time.Until(until); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}

func (c *Client) currentToken() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.token
}

// refreshToken asks for a new token unless another call already replaced
// the one that failed.
func (c *Client) refreshToken(ctx context.Context, failed string) error {
	if c.refresh == nil {
		return errors.New("no token refresh configured")
	}
	c.mu.Lock()
	cur := c.token
	c.mu.Unlock()
	if cur != failed {
		return nil
	}
	tok, err := c.refresh(ctx)
	if err != nil {
		return err
	}
	if tok == "" {
		return errors.New("token refresh returned an empty token")
	}
	c.mu.Lock()
	c.token = tok
	c.mu.Unlock()
	return nil
}

func (c *Client) count(kind string, f func(*EndpointStats)) {
	c.mu.Lock()
	s := c.stats[kind]
	f(&s)
	c.stats[kind] = s
	c.mu.Unlock()
}

// hinted carries a server wait hint to backoff while keeping the API error.
type hinted struct {
	err  error
	wait *backoff.RetryAfterError
}

func (h *hinted) Error() string   { return h.err.Error() }
func (h *hinted) Unwrap() []error { return []error{h.err, h.wait} }

// call is one API request description.
type call struct {
	kind   string
	method string
	path   string
	query  url.Values
	body   any
	out    any
}

// do sends a request with rate limiting and retries and decodes a 2xx (or
// 207) answer into c.out. It returns the final HTTP status.
func (c *Client) do(ctx context.Context, rq call) (int, error) {
	var payload []byte
	if rq.body != nil {
		b, err := json.Marshal(rq.body)
		if err != nil {
			return 0, fmt.Errorf("hubspot: encode %s request: %w", rq.kind, err)
		}
		payload = b
	}
	target := c.base + rq.path
	if len(rq.query) > 0 {
		target += "?" + rq.query.Encode()
	}
	limiter := c.general
	if rq.kind == "search" {
		limiter = c.search
	}
	attempt := 0
	refreshed := false
	op := func() (int, error) {
		attempt++
		if err := c.hold(ctx); err != nil {
			return 0, backoff.Permanent(err)
		}
		if err := limiter.Wait(ctx); err != nil {
			return 0, backoff.Permanent(err)
		}
		token := c.currentToken()
		status, err := c.attempt(ctx, rq, target, payload, token)
		if status == http.StatusUnauthorized && c.refresh != nil && !refreshed {
			refreshed = true
			if rerr := c.refreshToken(ctx, token); rerr != nil {
				return status, backoff.Permanent(fmt.Errorf("%w (token refresh failed: %v)", err, rerr))
			}
			c.log.Info("hubspot: access token refreshed after 401", "kind", rq.kind)
			var apiErr *APIError
			if errors.As(err, &apiErr) {
				err = apiErr // drop the Permanent mark: the next attempt may succeed
			}
			return status, &hinted{err: err, wait: &backoff.RetryAfterError{Duration: time.Millisecond}}
		}
		return status, err
	}
	expo := &backoff.ExponentialBackOff{InitialInterval: c.initial, RandomizationFactor: 0.5,
		Multiplier: 2, MaxInterval: c.maxWait}
	c.count(rq.kind, func(s *EndpointStats) { s.Calls++ })
	status, err := backoff.Retry(ctx, op,
		backoff.WithBackOff(expo),
		backoff.WithMaxTries(uint(c.maxRetries)+1),
		backoff.WithMaxElapsedTime(10*time.Minute),
		backoff.WithNotify(func(err error, wait time.Duration) {
			c.count(rq.kind, func(s *EndpointStats) { s.Retries++ })
			c.log.Warn("hubspot: retrying", "kind", rq.kind, "method", rq.method, "path", rq.path,
				"attempt", attempt, "wait", wait, "err", err)
		}))
	if err != nil {
		var h *hinted
		if errors.As(err, &h) {
			err = h.err
		}
		c.count(rq.kind, func(s *EndpointStats) { s.Errors++ })
		return status, err
	}
	return status, nil
}

// attempt performs one HTTP exchange and classifies its failure.
func (c *Client) attempt(ctx context.Context, rq call, target string, payload []byte, token string) (int, error) {
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, rq.method, target, body)
	if err != nil {
		return 0, backoff.Permanent(fmt.Errorf("hubspot: build request: %w", err))
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		c.countStatus(rq.kind, 0, time.Since(start))
		if ctx.Err() != nil {
			return 0, backoff.Permanent(ctx.Err())
		}
		return 0, fmt.Errorf("hubspot: %s %s: %w", rq.method, rq.path, err)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	resp.Body.Close()
	c.countStatus(rq.kind, resp.StatusCode, time.Since(start))
	c.observe(resp.Header)
	if err != nil {
		return resp.StatusCode, fmt.Errorf("hubspot: read %s answer: %w", rq.kind, err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if rq.out != nil && len(bytes.TrimSpace(data)) > 0 {
			// goccy/go-json, encoding/json's API: a list page of 100
			// contacts decodes 2.5 times as fast (docs/scaling.md), and
			// the pages of a full extract are most of its CPU
			if err := gojson.Unmarshal(data, rq.out); err != nil {
				return resp.StatusCode, backoff.Permanent(fmt.Errorf("hubspot: decode %s answer: %w", rq.kind, err))
			}
		}
		return resp.StatusCode, nil
	}
	apiErr := parseAPIError(resp.StatusCode, data)
	switch {
	case resp.StatusCode == http.StatusTooManyRequests && apiErr.PolicyName == "DAILY":
		return resp.StatusCode, backoff.Permanent(apiErr)
	case resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode == http.StatusLocked,
		resp.StatusCode >= 500:
		if hint := retryHint(resp.Header, resp.StatusCode); hint > 0 {
			jitter := time.Duration(rand.Int64N(int64(hint/4) + 1))
			wait := min(hint+jitter, c.maxWait)
			return resp.StatusCode, &hinted{err: apiErr, wait: &backoff.RetryAfterError{Duration: wait}}
		}
		return resp.StatusCode, apiErr
	default:
		return resp.StatusCode, backoff.Permanent(apiErr)
	}
}

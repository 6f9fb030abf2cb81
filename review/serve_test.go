package review_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/crmhub/crmhub/internal/browser"
	"github.com/crmhub/crmhub/review"
	"github.com/crmhub/crmhub/review/decisions"
)

// serve starts the review page on a free loopback port.
func serve(t *testing.T, cfg review.ServerConfig) string {
	t.Helper()
	srv, err := review.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, "127.0.0.1:0", func(u string) { ready <- u }) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	select {
	case u := <-ready:
		return u
	case err := <-done:
		t.Fatalf("serve: %v", err)
	}
	return ""
}

// chromium is a headless Chromium tab recording console errors and requests.
type chromium struct {
	ctx      context.Context
	mu       sync.Mutex
	errors   []string
	requests []string
}

func newChromium(t *testing.T) *chromium {
	t.Helper()
	bin, err := browser.Path()
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1400, 1000),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc(); cancel() })
	c := &chromium{ctx: bctx}
	err = chromedp.Listen(bctx, func(ev any) {
		c.mu.Lock()
		defer c.mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			c.errors = append(c.errors, e.ExceptionDetails.Text)
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError {
				c.errors = append(c.errors, "console.error")
			}
		case *network.EventRequestWillBeSent:
			c.requests = append(c.requests, e.Request.URL)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(bctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *chromium) do(t *testing.T, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(c.ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

func (c *chromium) eval(t *testing.T, js string) string {
	t.Helper()
	s, err := chromedp.Run(c.ctx, chromedp.Evaluate[string](js))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return s
}

// waitFor polls a JavaScript condition; a navigation in between (the
// page's own form posts and key presses) is retried, not an error.
func (c *chromium) waitFor(t *testing.T, js string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok, err := chromedp.Run(c.ctx, chromedp.Evaluate[bool](js))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: %v (page: %s)", js, err, c.eval(t, "document.body.innerText.slice(0, 600)"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (c *chromium) screenshot(t *testing.T, name string) {
	t.Helper()
	var png []byte
	var err error
	for range 20 { // right after a navigation the page may not be laid out yet
		if png, err = chromedp.Run(c.ctx, chromedp.FullScreenshot(100)); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("..", "test-artifacts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
	if len(png) < 10_000 {
		t.Errorf("%s is %d bytes: the page did not paint", name, len(png))
	}
}

// TestReviewPageKeyboardDecisionHonouredByNextRun: a field conflict held for
// review waits a night undecided (the page shows how long), then is decided
// on the page with the keyboard only; the decision is in
// the lake with who and why, the next run makes the chosen value golden and
// writes it to the other CRM, and a later user edit ends it.
func TestReviewPageKeyboardDecisionHonouredByNextRun(t *testing.T) {
	e := newEnv(t, 120, titleReviewPipeline())
	e.run("test: first sync")
	gid, hsID, _ := e.titleConflict("Head of Platform", "VP Engineering")
	rep := e.run("test: night 2")
	if rep.Counts.Conflicts == 0 {
		t.Fatalf("night 2 found no conflict")
	}
	// a night when nobody decides: the conflict waits, a day older
	e.run("test: night 2b")
	q, err := e.svc.Queue(e.ctx, review.Filter{Kind: review.KindConflict})
	if err != nil {
		t.Fatal(err)
	}
	var item review.Item
	for _, it := range q.Items {
		if it.LeftGoldenID == gid && it.Field == "title" {
			item = it
		}
	}
	if item.ID == "" {
		t.Fatalf("no title conflict of %s in the queue: %+v", gid, q.Items)
	}

	base := serve(t, review.ServerConfig{Service: e.svc, Reviewer: "alice"})
	c := newChromium(t)
	// the whole queue: j moves to the next item, k back
	c.do(t, chromedp.Navigate(base), chromedp.WaitVisible(chromedp.CSS("#item-id")))
	first := c.eval(t, `document.getElementById("item-id").textContent`)
	c.screenshot(t, "review-queue.png")
	c.do(t, chromedp.KeyEvent("j"))
	c.waitFor(t, `document.getElementById("item-id") !== null && document.getElementById("item-id").textContent !== `+jsString(first))
	// the page moves the focus to the selected queue item after it renders
	// the item (a moment later on a loaded machine): wait for it
	c.waitFor(t, `document.activeElement !== null && document.activeElement.getAttribute("aria-current") === "true"`)
	c.do(t, chromedp.KeyEvent("k"))
	c.waitFor(t, `document.getElementById("item-id") !== null && document.getElementById("item-id").textContent === `+jsString(first))

	// the conflict, side by side with both values and their change times
	c.do(t, chromedp.Navigate(base+"?kind=field_conflict&item="+url.QueryEscape(item.ID)), chromedp.WaitVisible(chromedp.CSS("#item-id")))
	text := c.eval(t, "document.body.innerText")
	for _, want := range []string{item.ID, "Head of Platform", "VP Engineering", "changed in HubSpot at", "golden now",
		"waiting 24h (since " + item.FirstSeenAt.UTC().Format("2006-01-02 15:04 UTC"), "Held until decided: crmhub writes title to neither CRM"} {
		if !strings.Contains(text, want) {
			t.Errorf("conflict page lacks %q", want)
		}
	}
	c.screenshot(t, "review-conflict.png")
	// f arms "use Salesforce's value" and focuses why; Enter records
	c.do(t, chromedp.KeyEvent("f"))
	if got := c.eval(t, `document.activeElement.id`); got != "why" {
		t.Fatalf("after f the focus is on %q, want the why field", got)
	}
	c.do(t, chromedp.KeyEvent("Salesforce owns job titles"), chromedp.KeyEvent(kb.Enter))
	c.waitFor(t, `document.querySelector("p.flash") !== null && document.querySelector("p.flash").textContent.includes("Recorded D")`)
	c.screenshot(t, "review-decided.png")

	h, err := e.svc.History(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 1 || h[0].Action != decisions.Override || h[0].By != "alice" || h[0].Why != "Salesforce owns job titles" ||
		len(h[0].Overrides) != 1 || h[0].Overrides[0].Value != "VP Engineering" || h[0].Overrides[0].GoldenID != gid {
		t.Fatalf("recorded decisions: %+v", h)
	}

	// the next night honours it: golden value, provenance, and HubSpot gets it
	e.run("test: night 3")
	if v, rule := e.golden(gid, "title"); v != "VP Engineering" || rule != "review" {
		t.Errorf("night 3: golden title %q by rule %q, want the reviewed value", v, rule)
	}
	obj, err := e.hs.Get(e.ctx, "contacts", hsID, "", []string{"jobtitle"})
	if err != nil {
		t.Fatal(err)
	}
	if got := obj.Properties["jobtitle"]; got == nil || *got != "VP Engineering" {
		t.Errorf("night 3: HubSpot contact %s title %v, want the reviewed value written", hsID, got)
	}
	// crmhub's own write coming back changes nothing
	e.run("test: night 4")
	if v, rule := e.golden(gid, "title"); v != "VP Engineering" || rule != "review" {
		t.Errorf("night 4 (echo): golden title %q by rule %q", v, rule)
	}
	// a user changes the field again: the decision has done its job
	e.setTitle("hubspot", "contacts", hsID, "CTO")
	e.run("test: night 5")
	if v, rule := e.golden(gid, "title"); v != "CTO" || rule == "review" {
		t.Errorf("night 5 after a new edit: golden title %q by rule %q, want CTO by the field's rule", v, rule)
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.errors) > 0 {
		t.Errorf("console errors: %v", c.errors)
	}
	for _, r := range c.requests {
		if !strings.HasPrefix(r, base) && !strings.HasPrefix(r, "data:") { // data: is Chromium's own date-picker icon
			t.Errorf("the page asked for %s: it must work offline", r)
		}
	}
}

func jsString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// TestReviewPageGuards: a POST without the page's CSRF token or from
// another origin is refused, a foreign Host is refused on loopback, and
// beyond loopback the page needs a token.
func TestReviewPageGuards(t *testing.T) {
	e := newEnv(t, 40, titleReviewPipeline())
	e.run("test: first sync")
	base := serve(t, review.ServerConfig{Service: e.svc, Reviewer: "alice"})
	post := func(form url.Values, origin string) int {
		req, _ := http.NewRequest(http.MethodPost, base+"decide", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	form := url.Values{"target": {"R000000000000"}, "verb": {"same"}, "by": {"mallory"}, "why": {"x"}}
	if got := post(form, ""); got != http.StatusForbidden {
		t.Errorf("POST without CSRF token: %d, want 403", got)
	}
	res, err := http.Get(base)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	req, _ := http.NewRequest(http.MethodGet, base, nil)
	req.Host = "evil.example:8765"
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMisdirectedRequest {
		t.Errorf("foreign Host on loopback: %d, want 421", res.StatusCode)
	}
	srv, err := review.NewServer(review.ServerConfig{Service: e.svc})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Serve(context.Background(), "0.0.0.0:0", nil); err != review.ErrTokenRequired {
		t.Errorf("serving beyond loopback without a token: %v, want ErrTokenRequired", err)
	}
	// with a token: sign in once, or send it as a bearer token
	tokSrv, err := review.NewServer(review.ServerConfig{Service: e.svc, Token: "s3cret-token"})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(tokSrv)
	defer ts.Close()
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err = noRedirect.Get(ts.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login" {
		t.Errorf("without the token: %d %s, want a redirect to /login", res.StatusCode, res.Header.Get("Location"))
	}
	req, _ = http.NewRequest(http.MethodGet, ts.URL+"/", nil)
	req.Header.Set("Authorization", "Bearer s3cret-token")
	res, err = noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || strings.Contains(string(body), "s3cret-token") {
		t.Errorf("with the bearer token: %d (the page must never show the token)", res.StatusCode)
	}
	res, _ = http.Get(ts.URL + "/login")
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	csrf := regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`).FindStringSubmatch(string(body))
	if csrf == nil {
		t.Fatal("login form without a CSRF token")
	}
	for token, want := range map[string]int{"wrong": http.StatusUnauthorized, "s3cret-token": http.StatusSeeOther} {
		res, err = noRedirect.PostForm(ts.URL+"/login", url.Values{"csrf": {csrf[1]}, "token": {token}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want || (want == http.StatusSeeOther) != (len(res.Cookies()) == 1 && res.Cookies()[0].HttpOnly) {
			t.Errorf("login with %q: %d, cookies %v", token, res.StatusCode, res.Cookies())
		}
	}
	if ds, _ := decisions.Load(e.ctx, e.store); len(ds) != 0 {
		t.Errorf("refused requests recorded %d decisions", len(ds))
	}
}

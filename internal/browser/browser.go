// Package browser opens pages in headless Chromium (Debian's chromium
// package) for tests: it reports what rendered, every console error and
// every network request, and takes a screenshot.
package browser

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// ErrNoChromium says the browser is not installed.
var ErrNoChromium = errors.New("chromium not found: install Debian's chromium package (scripts/test.sh does, as root: apt-get install -y chromium) or set CHROMIUM to its path")

// Path returns the Chromium binary: $CHROMIUM, /usr/bin/chromium, or
// chromium on PATH.
func Path() (string, error) {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p, nil
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium", nil
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p, nil
	}
	return "", ErrNoChromium
}

// Page is what a loaded page showed.
type Page struct {
	Title string
	// Counts holds, per CSS selector asked for, how many elements match.
	Counts map[string]int
	// Text is the body's visible text.
	Text string
	// ConsoleErrors are console.error calls, uncaught exceptions and
	// browser log entries of level error (failed loads among them).
	ConsoleErrors []string
	// Requests are the URLs the page asked for, the page itself included.
	Requests []string
	// Screenshot is a PNG of the whole page.
	Screenshot []byte
}

// Open loads url in a new headless Chromium with an empty profile, waits
// for the body, counts each selector and takes a full-page screenshot.
func Open(ctx context.Context, pageURL string, selectors ...string) (*Page, error) {
	bin, err := Path()
	if err != nil {
		return nil, err
	}
	profile, err := os.MkdirTemp("", "crmhub-chromium-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(profile)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1400, 1000),
	)
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()

	p := &Page{Counts: map[string]int{}}
	var mu sync.Mutex
	add := func(list *[]string, s string) {
		mu.Lock()
		*list = append(*list, s)
		mu.Unlock()
	}
	err = chromedp.Listen(bctx, func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeAssert {
				var parts []string
				for _, a := range e.Args {
					parts = append(parts, strings.Trim(string(a.Value), `"`)+a.Description)
				}
				add(&p.ConsoleErrors, "console.error: "+strings.Join(parts, " "))
			}
		case *runtime.EventExceptionThrown:
			msg := e.ExceptionDetails.Text
			if e.ExceptionDetails.Exception != nil {
				msg += " " + e.ExceptionDetails.Exception.Description
			}
			add(&p.ConsoleErrors, "exception: "+msg)
		case *log.EventEntryAdded:
			if e.Entry.Level == log.EntryLevelError {
				add(&p.ConsoleErrors, fmt.Sprintf("log %s: %s %s", e.Entry.Source, e.Entry.Text, e.Entry.URL))
			}
		case *network.EventRequestWillBeSent:
			add(&p.Requests, e.Request.URL)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("chromium: %w", err)
	}
	if _, err := chromedp.Call(bctx, network.Enable, network.EnableParams{}); err != nil {
		return nil, fmt.Errorf("chromium: %w", err)
	}
	if _, err := chromedp.Call(bctx, log.Enable, cdp.Empty{}); err != nil {
		return nil, fmt.Errorf("chromium: %w", err)
	}
	if err := chromedp.Do(bctx, chromedp.Navigate(pageURL), chromedp.WaitReady(chromedp.CSS("body"))); err != nil {
		return nil, fmt.Errorf("chromium %s: %w", pageURL, err)
	}
	if p.Title, err = chromedp.Run(bctx, chromedp.Title()); err != nil {
		return nil, fmt.Errorf("chromium %s: title: %w", pageURL, err)
	}
	if p.Text, err = chromedp.Run(bctx, chromedp.Text(chromedp.CSS("body"))); err != nil {
		return nil, fmt.Errorf("chromium %s: text: %w", pageURL, err)
	}
	counts := make([]int, len(selectors))
	for i, sel := range selectors {
		if counts[i], err = chromedp.Run(bctx, chromedp.Evaluate[int](fmt.Sprintf("document.querySelectorAll(%q).length", sel))); err != nil {
			return nil, fmt.Errorf("chromium %s: count %s: %w", pageURL, sel, err)
		}
	}
	if p.Screenshot, err = chromedp.Run(bctx, chromedp.FullScreenshot(100)); err != nil { // 100: PNG
		return nil, fmt.Errorf("chromium %s: screenshot: %w", pageURL, err)
	}
	for i, sel := range selectors {
		p.Counts[sel] = counts[i]
	}
	mu.Lock()
	defer mu.Unlock()
	p.ConsoleErrors = append([]string(nil), p.ConsoleErrors...)
	p.Requests = append([]string(nil), p.Requests...)
	return p, nil
}

// FileURL turns a local path into a file:// URL.
func FileURL(path string) string {
	return (&url.URL{Scheme: "file", Path: path}).String()
}

// External returns the requests that left the machine (anything but
// file: and data: URLs).
func (p *Page) External() []string {
	var out []string
	for _, r := range p.Requests {
		if !strings.HasPrefix(r, "file:") && !strings.HasPrefix(r, "data:") {
			out = append(out, r)
		}
	}
	return out
}

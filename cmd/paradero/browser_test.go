package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowser drives Debian's chromium through the pages a documenter
// uses, in Spanish and English, on a desktop and a phone-sized screen. It
// fails, never skips, when chromium is missing: CI installs it (.ci/run).
//
// Screenshots go to a temporary directory, or to $PARADERO_SCREENSHOTS
// (docs/screenshots when refreshing the documentation's).
func TestBrowser(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is not installed (apt-get install chromium; .ci/run does it): ", err)
	}
	shots := os.Getenv("PARADERO_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	} else if shots, err = filepath.Abs(shots); err != nil {
		t.Fatal(err)
	}
	w := newWebWorld(t)

	actx, cancelAlloc := chromedp.NewExecAllocator(t.Context(),
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	if err := chromedp.Do(browser, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}

	for _, screen := range []struct {
		name          string
		width, height int64
		phone         bool
	}{
		{"desktop", 1100, 760, false},
		{"phone", 390, 800, true},
	} {
		for _, lang := range []string{"es", "en"} {
			t.Run(screen.name+"-"+lang, func(t *testing.T) {
				tab, cancelTab := chromedp.NewContext(browser)
				defer cancelTab()
				ctx, cancel := context.WithTimeout(tab, 60*time.Second)
				defer cancel()
				b := &browserRun{t: t, ctx: ctx, base: w.url, shots: shots, prefix: lang + "-" + screen.name}
				opts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(1)}
				if screen.phone {
					opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch)
				}
				b.do(chromedp.EmulateViewport(screen.width, screen.height, opts...))
				b.documenterSession(lang, screen.phone)
			})
		}
	}
}

type browserRun struct {
	t      *testing.T
	ctx    context.Context
	base   string
	shots  string
	prefix string
}

func (b *browserRun) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatal(err)
	}
}

func (b *browserRun) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.Join(strings.Fields(s), " ")
}

func (b *browserRun) eval(js string) bool {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](js))
	if err != nil {
		b.t.Fatalf("%s: %v", js, err)
	}
	return v
}

func (b *browserRun) screenshot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b.shots, b.prefix+"-"+name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// documenterSession signs in with the keyboard, opens a source, a record
// and a redacted record, checks what each shows, and signs out.
func (b *browserRun) documenterSession(lang string, phone bool) {
	t := b.t
	want := map[string]map[string]string{
		"es": {"dashboard": "Panel", "redacted": "Redactado el ", "stats": "Estadísticas públicas", "sources": "Fuentes"},
		"en": {"dashboard": "Dashboard", "redacted": "Redacted on ", "stats": "Public statistics", "sources": "Sources"},
	}[lang]

	b.do(chromedp.Navigate(b.base+"/stats"),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`form.lang button[value=%q]`, lang))),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`html[lang=%q]`, lang))),
		chromedp.WaitVisible(chromedp.CSS(`#count-records`)))
	if got := b.text("h1"); got != want["stats"] {
		t.Errorf("statistics h1 = %q, want %q", got, want["stats"])
	}
	b.screenshot("stats")

	// The first Tab reaches the skip link: the page is keyboard-usable.
	b.do(chromedp.Navigate(b.base+"/login"), chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.KeyEvent("\t"))
	if !b.eval(`document.activeElement.classList.contains("skip")`) {
		t.Error("the first Tab does not reach the skip link")
	}
	// Every form field has a label.
	if !b.eval(`[...document.querySelectorAll("input:not([type=hidden])")].every(i => i.labels.length > 0)`) {
		t.Error("a sign-in field has no label")
	}
	b.screenshot("login")
	b.do(chromedp.SendKeys(chromedp.ID("email"), "documenter@example.org"),
		chromedp.SendKeys(chromedp.ID("password"), webPassword+"\r"),
		chromedp.WaitVisible(chromedp.ID("count-sources")))
	if got := b.text("h1"); got != want["dashboard"] {
		t.Errorf("dashboard h1 = %q, want %q", got, want["dashboard"])
	}
	b.screenshot("dashboard")

	b.do(chromedp.Click(chromedp.CSS(`nav a[href="/sources"]`)), chromedp.WaitVisible(chromedp.ID("sources")))
	if got := b.text("h1"); got != want["sources"] {
		t.Errorf("sources h1 = %q, want %q", got, want["sources"])
	}
	b.do(chromedp.Click(chromedp.CSS(`#sources tbody a`)), chromedp.WaitVisible(chromedp.ID("source-meta")))
	if got := b.text("#source-records"); !strings.Contains(got, "<script>alert(1)</script>") {
		t.Errorf("the source's records %q do not show the hostile name as text", got)
	}
	b.screenshot("source")

	b.do(chromedp.Click(chromedp.CSS(`#source-records tbody tr:first-child td:nth-child(3) a`)),
		chromedp.WaitVisible(chromedp.ID("record-fields")))
	if got := b.text("#record-fields"); !strings.Contains(got, "José Luis") || !strings.Contains(got, "Pérez Gómez") {
		t.Errorf("record fields = %q, want the name as written", got)
	}
	b.screenshot("record")

	b.do(chromedp.Navigate(b.base+"/records/3"), chromedp.WaitVisible(chromedp.ID("redaction")))
	if got := b.text("#redaction"); !strings.HasPrefix(got, want["redacted"]) || !strings.HasSuffix(got, ": protección de un menor") {
		t.Errorf("redaction notice = %q, want %q… : protección de un menor", got, want["redacted"])
	}
	b.screenshot("redacted")

	if phone && !b.eval(`document.documentElement.scrollWidth <= window.innerWidth`) {
		t.Error("the record page scrolls sideways on a phone")
	}
	if !b.eval(`document.querySelectorAll("script").length === 0`) {
		t.Error("a page holds a script element")
	}

	b.do(chromedp.Click(chromedp.CSS(`form.logout button`)), chromedp.WaitVisible(chromedp.ID("email")))
	b.do(chromedp.Navigate(b.base+"/sources"), chromedp.WaitVisible(chromedp.ID("email")))
}

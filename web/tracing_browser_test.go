package web_test

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

// TestTracingBrowser drives Debian's chromium through a tracing request
// end to end: a family member files one; a documenter verifies them,
// searches, confirms a candidate and answers; the family member reads the
// answer. In Spanish and English, on a desktop and a phone-sized screen.
// Like cmd/paradero's TestBrowser it fails, never skips, when chromium is
// missing. Screenshots go to $PARADERO_SCREENSHOTS when set.
func TestTracingBrowser(t *testing.T) {
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
				w := newWorld(t)
				w.linked()
				// Each run its own browser context: its own cookies.
				tab, cancelTab := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
				defer cancelTab()
				ctx, cancel := context.WithTimeout(tab, 90*time.Second)
				defer cancel()
				b := &tracingBrowser{t: t, ctx: ctx, base: w.srv.URL, shots: shots, prefix: lang + "-" + screen.name, lang: lang, phone: screen.phone}
				opts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(1)}
				if screen.phone {
					opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch)
				}
				// The first action opens the tab, which lives as long as
				// the context it runs in: b.ctx, not a step's timeout.
				if err := chromedp.Do(ctx, chromedp.EmulateViewport(screen.width, screen.height, opts...)); err != nil {
					t.Fatal(err)
				}
				b.flow()
			})
		}
	}
}

type tracingBrowser struct {
	t      *testing.T
	ctx    context.Context
	base   string
	shots  string
	prefix string
	lang   string
	phone  bool
}

// do runs steps, each batch within 20 seconds; on failure it says where
// the browser is and what the page shows.
func (b *tracingBrowser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		where, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`location.pathname + "\n" + document.body.innerText.slice(0, 600)`))
		b.t.Fatalf("%v; the browser is at %s", err, where)
	}
}

func (b *tracingBrowser) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.Join(strings.Fields(s), " ")
}

func (b *tracingBrowser) eval(js string) bool {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](js))
	if err != nil {
		b.t.Fatalf("%s: %v", js, err)
	}
	return v
}

func (b *tracingBrowser) screenshot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b.shots, b.prefix+"-tracing-"+name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// fits fails the test if the page scrolls sideways on a phone.
func (b *tracingBrowser) fits(page string) {
	b.t.Helper()
	if b.phone && !b.eval(`document.documentElement.scrollWidth <= window.innerWidth`) {
		b.t.Errorf("the %s page scrolls sideways on a phone", page)
	}
}

// signIn signs in as the fixture user of role and makes the run's
// language theirs.
func (b *tracingBrowser) signIn(role string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.base+"/login"), chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), role+"@example.org"),
		chromedp.SendKeys(chromedp.ID("password"), testPassword+"\r"),
		chromedp.WaitVisible(chromedp.CSS(`form.logout`)))
	// Only a change of language reloads the page, so waiting for the new
	// lang attribute waits for the reload.
	if !b.eval(fmt.Sprintf(`document.documentElement.lang === %q`, b.lang)) {
		b.do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`form.lang button[value=%q]`, b.lang))),
			chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`html[lang=%q] form.logout`, b.lang))))
	}
}

func (b *tracingBrowser) signOut() {
	b.t.Helper()
	b.do(chromedp.Click(chromedp.CSS(`form.logout button`)), chromedp.WaitVisible(chromedp.ID("email")))
}

func (b *tracingBrowser) flow() {
	t := b.t
	want := map[string]map[string]string{
		"es": {"own": "Mis solicitudes de búsqueda", "filed": "pendiente de confirmar su identidad", "located": "Hay información",
			"staff": "Solicitudes de búsqueda", "verified": "Verificada"},
		"en": {"own": "My tracing requests", "filed": "awaiting identity check", "located": "Information found",
			"staff": "Tracing requests", "verified": "Verified"},
	}[b.lang]

	// The family member lands on their requests and files one.
	b.signIn("family")
	b.do(chromedp.WaitVisible(chromedp.ID("how")))
	if got := b.text("h1"); got != want["own"] {
		t.Errorf("family home h1 = %q, want %q", got, want["own"])
	}
	if b.eval(`document.querySelector('nav a[href="/search"], nav a[href="/sources"]') !== null`) {
		t.Error("a family member's navigation offers search or sources")
	}
	b.do(chromedp.Click(chromedp.ID("new-request")), chromedp.WaitVisible(chromedp.ID("tracing-form")))
	if !b.eval(`[...document.querySelectorAll("#tracing-form input:not([type=hidden]), #tracing-form textarea")].every(i => i.labels.length > 0)`) {
		t.Error("a field of the tracing form has no label")
	}
	b.do(chromedp.SendKeys(chromedp.ID("sought_name"), "José Pérez Gómez"),
		chromedp.SendKeys(chromedp.ID("sought_birth_date"), "02/04/1990"),
		chromedp.SendKeys(chromedp.ID("last_seen_place"), "Maracaibo"),
		chromedp.SendKeys(chromedp.ID("details"), "Cicatriz en la mano izquierda."),
		chromedp.SendKeys(chromedp.ID("relationship"), "madre"),
		chromedp.SendKeys(chromedp.ID("contact"), "+58 412 555 0101"))
	b.screenshot("form")
	b.fits("tracing form")
	b.do(chromedp.Click(chromedp.CSS(`#tracing-form button[type=submit]`)), chromedp.WaitVisible(chromedp.ID("request-state")))
	if got := b.text("#request-state"); !strings.Contains(got, want["filed"]) {
		t.Errorf("state after filing = %q, want %q", got, want["filed"])
	}
	ref := b.text("#request-ref")
	b.screenshot("filed")
	b.fits("request")
	b.signOut()

	// A documenter verifies the requester, searches, confirms and answers.
	b.signIn("documenter")
	b.do(chromedp.Click(chromedp.CSS(`nav a[href="/tracing"]`)), chromedp.WaitVisible(chromedp.ID("requests")))
	if got := b.text("h1"); got != want["staff"] {
		t.Errorf("staff list h1 = %q, want %q", got, want["staff"])
	}
	b.do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`#requests a[href="/tracing/%s"]`, ref))), chromedp.WaitVisible(chromedp.ID("verify")))
	if !b.eval(`document.getElementById("search-candidates") === null && document.getElementById("search-locked") !== null`) {
		t.Error("the search is offered before the requester is verified")
	}
	b.do(chromedp.Click(chromedp.ID("method-video-call")),
		chromedp.SendKeys(chromedp.ID("verify-note"), "Cédula vista por videollamada."),
		chromedp.Click(chromedp.CSS(`#verify button[type=submit]`)), chromedp.WaitVisible(chromedp.ID("verified")))
	if got := b.text("#verified"); !strings.Contains(got, want["verified"]) {
		t.Errorf("verification = %q", got)
	}
	b.do(chromedp.Click(chromedp.ID("search-candidates")), chromedp.WaitVisible(chromedp.ID("found")))
	if got := b.text("#found > li:first-child .hit-name"); !strings.Contains(got, "José Pérez Gómez") {
		t.Errorf("first candidate = %q", got)
	}
	b.screenshot("candidates")
	b.fits("candidates")
	b.do(chromedp.Click(chromedp.CSS(`#found > li:first-child input[value=same]`)),
		chromedp.Click(chromedp.CSS(`#found > li:first-child button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#found > li:first-child .done`)),
		chromedp.Click(chromedp.ID("back")), chromedp.WaitVisible(chromedp.ID("answer-form")))
	if got := b.text("#decisions"); !strings.Contains(got, "José Pérez Gómez") {
		t.Errorf("decisions = %q", got)
	}
	msg, err := chromedp.Run(b.ctx, chromedp.Value(chromedp.ID("message")))
	if err != nil || !strings.Contains(msg, "CECOT") {
		t.Errorf("the draft answer = %q, %v; want the last place, CECOT", msg, err)
	}
	b.do(chromedp.Click(chromedp.ID("outcome-located")), chromedp.Click(chromedp.CSS(`#answer-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("answer-given")))
	b.screenshot("answered")
	b.fits("answered request")
	b.signOut()

	// The family member reads the answer.
	b.signIn("family")
	b.do(chromedp.WaitVisible(chromedp.ID("requests")),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#requests a[href="/tracing/%s"]`, ref))), chromedp.WaitVisible(chromedp.ID("answer")))
	if got := b.text("#answer-outcome"); !strings.Contains(got, want["located"]) {
		t.Errorf("the family reads outcome %q, want %q", got, want["located"])
	}
	if got := b.text("#answer-message"); !strings.Contains(got, "CECOT") {
		t.Errorf("the family reads %q", got)
	}
	if !b.eval(`document.querySelectorAll('a[href^="/records/"], a[href^="/persons/"], a[href^="/sources/"], script').length === 0`) {
		t.Error("the family's answer links evidence or holds a script")
	}
	b.screenshot("answer")
	b.fits("answer")
}

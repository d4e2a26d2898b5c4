package web_test

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/report"
	"golang.org/x/net/html"
)

// auditActions returns the actions and objects of role's entries, sign-ins
// left out, oldest first.
func (w *world) auditActions(role paradero.Role) []string {
	w.t.Helper()
	es, _, err := w.db.FindAuditEntries(w.t.Context(), paradero.AuditFilter{ActorID: w.users[role].ID})
	if err != nil {
		w.t.Fatal(err)
	}
	var got []string
	for i := len(es) - 1; i >= 0; i-- {
		if e := es[i]; e.Action != paradero.AuditLogin {
			got = append(got, e.Action+" "+e.Object)
		}
	}
	return got
}

func TestPersonDossier(t *testing.T) {
	w := newWorld(t)
	w.linked()
	id := w.personOf(w.records[0])
	c := w.client()
	c.login(paradero.RoleDocumenter)
	path := fmt.Sprintf("/persons/%d", id)
	for _, lang := range []string{"es", "en"} {
		c.post("/language", url.Values{"lang": {lang}, "csrf": {c.csrfFrom("/")}})
		doc := parse(t, c.get(path).body)
		if a := byID(doc, "dossier-html"); a == nil || attr(a, "href") != path+"/dossier?format=html" {
			t.Fatalf("%s person page: no dossier link to %s?format=html", lang, path+"/dossier")
		}
		r := c.get(path + "/dossier?format=html")
		if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
			t.Fatalf("%s dossier = %d %s", lang, r.status, r.header.Get("Content-Type"))
		}
		if cd := r.header.Get("Content-Disposition"); cd != fmt.Sprintf(`attachment; filename=paradero-person-%d-%s.html`, id, lang) {
			t.Errorf("%s dossier Content-Disposition = %q", lang, cd)
		}
		d := parse(t, r.body)
		if h := findAll(d, "html"); len(h) != 1 || attr(h[0], "lang") != lang {
			t.Errorf("%s dossier is not in %s", lang, lang)
		}
		proofs := 0
		walk(d, func(n *html.Node) {
			if n.Type == html.ElementNode && n.Data == "pre" && strings.Contains(attr(n, "class"), "proof-json") {
				proofs++
			}
		})
		if proofs != 2 {
			t.Errorf("%s dossier holds %d proofs, want 2 (José's two records)", lang, proofs)
		}
		if len(findAll(d, "script")) != 0 {
			t.Errorf("%s dossier has a script", lang)
		}
	}
	pdf := c.get(path + "/dossier?format=pdf")
	if pdf.status != http.StatusOK || pdf.header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(pdf.body, "%PDF-") {
		t.Errorf("PDF dossier = %d %s %.8q", pdf.status, pdf.header.Get("Content-Type"), pdf.body)
	}
	obj := fmt.Sprintf("person:%d", id)
	var exports int
	for _, a := range w.auditActions(paradero.RoleDocumenter) {
		if a == report.AuditDossierExport+" "+obj {
			exports++
		}
	}
	if exports != 3 {
		t.Errorf("audit holds %d dossier exports of %s, want 3", exports, obj)
	}
	// A record not linked yet is shown as its own person, with no dossier.
	lone := newWorld(t)
	lc := lone.client()
	lc.login(paradero.RoleDocumenter)
	if own := parse(t, lc.get(lone.recordPath(lone.records[0])+"/person").body); byID(own, "own-person") == nil || byID(own, "dossier-html") != nil {
		t.Errorf("an unlinked record's page: own-person note %v, dossier link %v; want the note and no link",
			byID(own, "own-person") != nil, byID(own, "dossier-html") != nil)
	}
}

func TestReconciliationPage(t *testing.T) {
	w := newWorld(t)
	second := w.linked()
	c := w.client()
	c.login(paradero.RoleDocumenter)
	doc := parse(t, c.get("/reconciliation").body)

	// Sources' sizes in persons: the roster names José and four others;
	// the habeas filing José and Marta.
	sizes := map[string]string{}
	for _, tr := range findAll(byID(doc, "source-sizes"), "tr")[1:] {
		tds := findAll(tr, "td")
		sizes[attr(tr, "data-source")] = text(tds[len(tds)-1])
	}
	want := map[string]string{fmt.Sprint(w.source.ID): "5", fmt.Sprint(second[0].SourceID): "2"}
	if fmt.Sprint(sizes) != fmt.Sprint(want) {
		t.Errorf("source sizes = %v, want %v", sizes, want)
	}
	if byID(doc, "unlinked") != nil {
		t.Error("the page says records are not linked, though every record is")
	}
	if up := byID(doc, "upset"); up == nil || len(findAll(up, "svg")) != 1 {
		t.Error("no UpSet chart")
	}
	if rows := findAll(byID(doc, "intersections"), "tr"); len(rows) != 1+3 {
		t.Errorf("intersections table has %d rows, want a header and 3 (roster only, both, habeas only)", len(rows))
	}
	// By default the first source against the last: the four on the
	// roster named by nothing since the habeas filing.
	if got := text(byID(doc, "unaccounted-count")); !strings.HasPrefix(got, "4 personas") {
		t.Errorf("unaccounted = %q, want 4 personas", got)
	}
	if rows := findAll(byID(doc, "unaccounted"), "tr"); len(rows) != 1+4 {
		t.Errorf("unaccounted table has %d rows, want a header and 4", len(rows))
	}
	if !strings.Contains(text(byID(doc, "unaccounted")), scriptName) {
		t.Errorf("unaccounted table does not show the hostile name as text")
	}

	// The estimate: roster 5, habeas 2, both 1: n1·n2/m = 10 (Lincoln–
	// Petersen, which the two-list independence model reproduces), of
	// whom 6 are on a list; one person in common is too little overlap, so
	// the page warns.
	if got := text(byID(doc, "estimate-observed")); got != "6" {
		t.Errorf("observed = %q, want 6", got)
	}
	if got := text(byID(doc, "estimate-total")); got != "10" {
		t.Errorf("estimated total = %q, want 10", got)
	}
	if byID(doc, "estimate-interval") == nil || byID(doc, "estimate-model") == nil {
		t.Error("no interval or model shown")
	}
	if byID(doc, "estimate-warning") == nil {
		t.Error("no warning although the lists share one person")
	}
	// Package estimate's own sentences are worded in the page's language
	// (Spanish, the default), as in the exported report.
	details := text(byID(doc, "estimate-details"))
	if !strings.Contains(details, "solo tienen 1 personas en común") || strings.Contains(details, "in common") || strings.Contains(details, "(en inglés)") {
		t.Errorf("estimate details are not in Spanish: %q", details)
	}
	if byID(doc, "estimate-pending") != nil {
		t.Error("estimate still pending after the page waited for it")
	}

	// A second visit shows the same estimate (TestEstimatesCache checks
	// that it is not computed again).
	at := text(byID(doc, "estimate"))
	if again := text(byID(parse(t, c.get("/reconciliation").body), "estimate")); again != at {
		t.Errorf("second visit shows another estimate:\n%s\n%s", at, again)
	}

	// The CSV of the unaccounted, and the audit of both reads.
	r := c.get(fmt.Sprintf("/reconciliation/unaccounted.csv?on=%d&absent=%d", w.source.ID, second[0].SourceID))
	rows, err := csv.NewReader(strings.NewReader(r.body)).ReadAll()
	if err != nil || len(rows) != 1+4 || r.header.Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Errorf("unaccounted.csv = %d rows, %v, %s", len(rows), err, r.header.Get("Content-Type"))
	}
	got := strings.Join(w.auditActions(paradero.RoleDocumenter), "|")
	if want := "reconciliation.view |reconciliation.view |reconciliation.export "; got != want {
		t.Errorf("audit = %q, want %q", got, want)
	}
}

// TestReconciliationCSVNeutralisesFormulas imports a list with names that
// a spreadsheet would run, and reads every CSV back.
func TestReconciliationCSVNeutralisesFormulas(t *testing.T) {
	w := newWorld(t)
	ctx := paradero.NewContextWithActor(t.Context(), paradero.Actor{Name: "cli:test", Role: paradero.RoleAdmin})
	im, err := w.db.BeginImport(ctx, &paradero.Source{Kind: paradero.KindNGOReport, Title: "=HYPERLINK(\"http://x\")",
		Published: paradero.PartialDate{Year: 2025, Month: 2}, Filename: "ngo.csv", MediaType: "text/csv"}, strings.NewReader("ngo"))
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range []string{`=HYPERLINK("http://x","clic")`, "+1+2", "@SUM(A1)", "-3"} {
		if err := im.AddRecord(ctx, &paradero.Record{Row: i + 2, FullName: n}); err != nil {
			t.Fatal(err)
		}
	}
	src, err := im.Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := w.client()
	c.login(paradero.RoleAdmin)
	for _, path := range []string{"/reconciliation/persons.csv", "/reconciliation/intersections.csv",
		fmt.Sprintf("/reconciliation/unaccounted.csv?on=%d&absent=%d", src.ID, w.source.ID)} {
		r := c.get(path)
		rows, err := csv.NewReader(strings.NewReader(r.body)).ReadAll()
		if r.status != http.StatusOK || err != nil || len(rows) < 2 {
			t.Fatalf("%s = %d, %d rows, %v", path, r.status, len(rows), err)
		}
		for _, row := range rows {
			for _, cell := range row {
				if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
					t.Errorf("%s has the cell %q, a formula to a spreadsheet", path, cell)
				}
			}
		}
	}
}

// TestReconciliationUnlinked: before any link run every record is its own
// person, and one kind of source gives no estimate; the page says both.
func TestReconciliationUnlinked(t *testing.T) {
	w := newWorld(t)
	c := w.client()
	c.login(paradero.RoleAdmin)
	doc := parse(t, c.get("/reconciliation").body)
	if got := text(byID(doc, "unlinked")); !strings.HasPrefix(got, "5 registros aún no están vinculados") {
		t.Errorf("unlinked note = %q, want 5 registros…", got)
	}
	if byID(doc, "estimate-error") == nil || byID(doc, "estimate-total") != nil {
		t.Error("one list gave an estimate, or no word of why not")
	}
}

package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/paradero/paradero"
	"golang.org/x/net/html"
)

// auditOf returns the user's audit entries but sign-ins, oldest first, as
// "action object".
func (w *world) auditOf(role paradero.Role) []string {
	w.t.Helper()
	es, _, err := w.db.FindAuditEntries(w.t.Context(), paradero.AuditFilter{ActorID: w.users[role].ID})
	if err != nil {
		w.t.Fatal(err)
	}
	var out []string
	for i := len(es) - 1; i >= 0; i-- {
		if es[i].Action != paradero.AuditLogin {
			out = append(out, strings.TrimSpace(es[i].Action+" "+es[i].Object))
		}
	}
	return out
}

func rows(n *html.Node) []string {
	var out []string
	for _, tr := range findAll(n, "tr") {
		out = append(out, text(tr))
	}
	return out
}

func TestPersonPage(t *testing.T) {
	w := newWorld(t)
	second := w.linked()
	pid := w.personOf(w.records[0])
	c := w.client()
	c.login(paradero.RoleDocumenter)

	// The record page leads to its person.
	doc := parse(t, c.get(w.recordPath(w.records[0])).body)
	if href := attr(findAll(byID(doc, "record-person"), "a")[0], "href"); href != fmt.Sprintf("/persons/%d", pid) {
		t.Errorf("record page links the person at %q", href)
	}
	r := c.get(fmt.Sprintf("/persons/%d", pid))
	if r.status != http.StatusOK {
		t.Fatalf("person page = %d", r.status)
	}
	doc = parse(t, r.body)
	// Identity side by side: both names as written, the two birth dates
	// both shown and marked as differing.
	id := rows(byID(doc, "identity"))
	joined := strings.Join(id, "\n")
	for _, want := range []string{"José Pérez Gómez", "PEREZ GOMEZ, JOSE L.", "2 de abril de 1990", "4 de febrero de 1990"} {
		if !strings.Contains(joined, want) {
			t.Errorf("identity table lacks %q:\n%s", want, joined)
		}
	}
	var conflicts []string
	walk(byID(doc, "identity"), func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "tr" && attr(n, "class") == "conflict" {
			conflicts = append(conflicts, attr(n, "data-field"))
		}
	})
	if got := strings.Join(conflicts, " "); got != "full_name birth_date" {
		t.Errorf("conflicting fields = %q, want full_name birth_date", got)
	}
	// The timeline: held at CECOT on 16 March 2025, from the court filing;
	// a year and more without confirmation flags the whereabouts unknown.
	tl := text(byID(doc, "timeline"))
	if !strings.Contains(tl, "16 de marzo de 2025") || !strings.Contains(tl, "CECOT") || !strings.Contains(tl, "Habeas 2025-17") {
		t.Errorf("timeline = %q", tl)
	}
	if got := text(byID(doc, "person-status")); got != "Paradero desconocido" {
		t.Errorf("status = %q", got)
	}
	// The reason is in the page's language, not the timeline's English.
	if got := text(byID(doc, "flag-reason")); !strings.Contains(got, "ninguna fuente ha confirmado dónde está detenida desde el 16 de marzo de 2025") {
		t.Errorf("flag reason = %q, want it in Spanish", got)
	}
	if n := len(findAll(byID(doc, "lineage"), "tr")); n != 3 {
		t.Errorf("lineage has %d rows, want a header and 2 records", n)
	}
	for _, a := range findAll(byID(doc, "identity"), "a") {
		if h := attr(a, "href"); strings.HasSuffix(h, "/proof") && h != w.recordPath(w.records[0])+"/proof" && h != w.recordPath(second[0])+"/proof" {
			t.Errorf("unexpected proof link %q", h)
		}
	}

	// A record imported after the run is its own person, and says so.
	ctx := paradero.NewContextWithActor(t.Context(), paradero.Actor{Name: "cli:test", Role: paradero.RoleAdmin})
	im, err := w.db.BeginImport(ctx, &paradero.Source{Kind: paradero.KindNews, Title: "Nota"}, strings.NewReader("nota"))
	if err != nil {
		t.Fatal(err)
	}
	lone := &paradero.Record{Row: 2, FullName: "Yorman Rivas", Status: "deportado", Flight: "GST-123",
		EventDate: paradero.DateRange{From: paradero.PartialDate{Year: 2025, Month: 3, Day: 15}}}
	if err := im.AddRecord(ctx, lone); err != nil {
		t.Fatal(err)
	}
	if _, err := im.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	doc = parse(t, c.get(w.recordPath(lone)).body)
	if byID(doc, "record-person") == nil || !strings.Contains(text(byID(doc, "record-person")), "su propia persona") {
		t.Errorf("unlinked record page: %q", text(byID(doc, "record-person")))
	}
	own := c.get(w.recordPath(lone) + "/person")
	if own.status != http.StatusOK {
		t.Fatalf("own person = %d", own.status)
	}
	doc = parse(t, own.body)
	if byID(doc, "own-person") == nil || byID(doc, "lineage") != nil {
		t.Errorf("a record on its own should say so and have no lineage")
	}
	if got := text(byID(doc, "timeline")); !strings.Contains(got, "Vuelo de deportación") || !strings.Contains(got, "GST-123") {
		t.Errorf("own timeline = %q", got)
	}
	want := []string{
		fmt.Sprintf("record.view record:%d", w.records[0].ID),
		fmt.Sprintf("person.view person:%d", pid),
		fmt.Sprintf("record.view record:%d", lone.ID),
		fmt.Sprintf("record.view record:%d", lone.ID),
	}
	if got := w.auditOf(paradero.RoleDocumenter); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("audit = %q, want %q", got, want)
	}
	// Hidden and missing persons look alike.
	lawyer := w.client()
	lawyer.login(paradero.RoleLawyer)
	if a, b := lawyer.get(fmt.Sprintf("/persons/%d", pid)), lawyer.get("/persons/999"); a.status != http.StatusNotFound || a.body != b.body {
		t.Errorf("hidden person: %d, same as missing: %v", a.status, a.body == b.body)
	}
}

func TestSearchPage(t *testing.T) {
	w := newWorld(t)
	w.linked()
	c := w.client()
	c.login(paradero.RoleDocumenter)
	r := c.post("/search", url.Values{"name": {"Pepe Peres"}})
	if r.status != http.StatusOK {
		t.Fatalf("search = %d", r.status)
	}
	doc := parse(t, r.body)
	hits := findAll(byID(doc, "hits"), "li")
	var names, whys []string
	for _, li := range hits {
		if attr(li.Parent, "id") != "hits" {
			continue
		}
		names = append(names, text(findAll(li, "p")[0]))
		whys = append(whys, text(findAll(li, "ul")[0]))
	}
	if strings.Join(names, "|") != "José Pérez Gómez|PEREZ GOMEZ, JOSE L." {
		t.Fatalf("hits = %q", names)
	}
	for _, why := range whys {
		if !strings.Contains(why, "«pepe» es apodo de «jose»") || !strings.Contains(why, "«peres» suena igual") {
			t.Errorf("why = %q", why)
		}
	}
	if href := attr(findAll(findAll(byID(doc, "hits"), "li")[0], "a")[0], "href"); href != w.recordPath(w.records[0])+"/person" {
		t.Errorf("hit links %q", href)
	}
	// Every criterion at once; a swapped date still matches, and says so.
	doc = parse(t, c.post("/search", url.Values{"name": {"jose perez"}, "birth_date": {"02/04/1990"},
		"a_number": {"123456789"}, "facility": {"cecot"}}).body)
	if got := text(byID(doc, "hits")); !strings.Contains(got, "día y mes intercambiados") || !strings.Contains(got, "Número A: «123456789», igual") {
		t.Errorf("full search = %q", got)
	}
	if got := text(byID(doc, "hits-h")); got != "1 registro encontrado" {
		t.Errorf("count = %q", got)
	}
	// The redacted record is never found.
	if got := text(byID(parse(t, c.post("/search", url.Values{"name": {"Ana Quintero"}}).body), "hits-h")); got != "0 registros encontrados" {
		t.Errorf("redacted search = %q", got)
	}
	for _, bad := range []url.Values{{}, {"birth_date": {"mañana"}}, {"name": {"J"}}} {
		if r := c.post("/search", bad); r.status != http.StatusBadRequest || byID(parse(t, r.body), "search-error") == nil {
			t.Errorf("search %v = %d, want 400 with a message", bad, r.status)
		}
	}
	// Audited without the query; the log holds no name.
	for _, e := range w.auditOf(paradero.RoleDocumenter) {
		if e != paradero.AuditSearch {
			t.Errorf("audit entry %q", e)
		}
	}
	if logs := w.logs.String(); strings.Contains(logs, "Pepe") || strings.Contains(logs, "peres") {
		t.Errorf("the log holds the query:\n%s", logs)
	}
	// Rate-limited per user.
	for range 40 {
		r = c.post("/search", url.Values{"name": {"x y"}})
	}
	if r.status != http.StatusTooManyRequests || text(byID(parse(t, r.body), "search-error")) == "" {
		t.Errorf("after 40 searches: %d", r.status)
	}
	other := w.client()
	other.login(paradero.RoleAdmin)
	if r := other.post("/search", url.Values{"name": {"nadie"}}); r.status != http.StatusOK {
		t.Errorf("another user is limited too: %d", r.status)
	}
}

func TestReviewPage(t *testing.T) {
	w := newWorld(t)
	second := w.linked()
	pair := fmt.Sprintf("/review/%d/%d", w.records[3].ID, second[1].ID)
	c := w.client()
	c.login(paradero.RoleDocumenter)
	doc := parse(t, c.get("/review").body)
	if links := findAll(byID(doc, "queue"), "a"); len(links) != 1 || attr(links[0], "href") != pair {
		t.Fatalf("queue links %d", len(links))
	}
	doc = parse(t, c.get(pair).body)
	cmp := strings.Join(rows(byID(doc, "compare")), "\n")
	if !strings.Contains(cmp, "María Núñez") || !strings.Contains(cmp, "Marta Núñez") {
		t.Errorf("compare = %q", cmp)
	}
	wf := rows(byID(doc, "waterfall"))
	if len(wf) != 7 || wf[1] != "Previa −12,50 −12,50" || wf[3] != "Apellidos iguales Núñez / Núñez +6,60 −4,40" || wf[6] != "Total −4,40 −4,40" {
		t.Errorf("waterfall rows = %q", wf)
	}
	if n := len(findAll(doc, "rect")); n != 6 {
		t.Errorf("waterfall draws %d bars, want 6", n)
	}
	// A decision needs a verdict and a reason.
	if r := c.post(pair, url.Values{"verdict": {"same"}}); r.status != http.StatusBadRequest || text(byID(parse(t, r.body), "review-error")) != "Escriba el motivo." {
		t.Errorf("no reason: %d", r.status)
	}
	if r := c.post(pair, url.Values{"verdict": {"maybe"}, "reason": {"x"}}); r.status != http.StatusBadRequest {
		t.Errorf("bad verdict: %d", r.status)
	}
	r := c.post(pair, url.Values{"verdict": {"different"}, "reason": {"fechas de nacimiento y nombres distintos"}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/review?decided=1" {
		t.Fatalf("decision = %d to %q", r.status, r.header.Get("Location"))
	}
	reviews, err := w.db.FindReviews(t.Context())
	if err != nil || len(reviews) != 1 || reviews[0].Verdict != paradero.VerdictDifferent ||
		reviews[0].CreatedBy != paradero.UserActorName(w.users[paradero.RoleDocumenter].ID) {
		t.Fatalf("reviews = %+v, %v", reviews, err)
	}
	// A checkpoint covering the decision was signed.
	cp, err := w.db.LatestCheckpoint(t.Context())
	if err != nil || cp.Size != reviews[0].LedgerIndex+1 {
		t.Errorf("checkpoint = %+v, %v; want one of size %d", cp, err, reviews[0].LedgerIndex+1)
	}
	doc = parse(t, c.get("/review?decided=1").body)
	if byID(doc, "decided") == nil || byID(doc, "queue") != nil {
		t.Errorf("after the decision: confirmation %v, the pair still queued %v", byID(doc, "decided") != nil, byID(doc, "queue") != nil)
	}
	if r := c.get(pair); r.status != http.StatusNotFound {
		t.Errorf("a decided pair = %d, want 404", r.status)
	}
	got := w.auditOf(paradero.RoleDocumenter)
	want := fmt.Sprintf("record.view record:%d|record.view record:%d", w.records[3].ID, second[1].ID)
	if !strings.HasPrefix(strings.Join(got, "|"), want) || got[len(got)-1] != "review.create review:1" {
		t.Errorf("audit = %q", got)
	}
}

func TestImportPage(t *testing.T) {
	w := newWorld(t)
	c := w.client()
	c.login(paradero.RoleDocumenter)
	bad := "nombre,fecha de nacimiento\nLuis Rivas,1990-01-01\nAna Soto,31/02/1991\n"
	r := c.postMultipart("/import", map[string]string{"kind": "roster", "title": "Lista mala"}, "mala.csv", bad)
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad file = %d", r.status)
	}
	doc := parse(t, r.body)
	errs := rows(byID(doc, "line-errors"))
	if len(errs) != 2 || !strings.HasPrefix(errs[1], "3 ") {
		t.Errorf("line errors = %q", errs)
	}
	if byID(doc, "confirm") != nil {
		t.Error("a file with errors can be confirmed")
	}
	good := "nombre;fecha de nacimiento;columna rara\nLuis Rivas;1990-01-01;x\nAna Soto;28/02/1991;y\n"
	r = c.postMultipart("/import", map[string]string{"kind": "ngo-report", "published": "20/03/2025"}, "buena.csv", good)
	if r.status != http.StatusOK {
		t.Fatalf("good file = %d", r.status)
	}
	doc = parse(t, r.body)
	if got := strings.Join(rows(byID(doc, "columns")), "|"); got != "Columna del archivo Campo|nombre Nombre completo|fecha de nacimiento Fecha de nacimiento|columna rara se guarda como columna propia de la fuente" {
		t.Errorf("columns = %q", got)
	}
	if got := text(byID(doc, "preview-records")); got != "2" {
		t.Errorf("records = %q", got)
	}
	action := attr(byID(doc, "confirm"), "action")
	// Another user cannot confirm it.
	admin := w.client()
	admin.login(paradero.RoleAdmin)
	if r := admin.post(action, nil); r.status != http.StatusNotFound {
		t.Errorf("another user's confirmation = %d", r.status)
	}
	r = c.post(action, nil)
	if r.status != http.StatusSeeOther {
		t.Fatalf("confirm = %d", r.status)
	}
	var id int64
	if _, err := fmt.Sscanf(r.header.Get("Location"), "/sources/%d", &id); err != nil {
		t.Fatalf("confirm went to %q", r.header.Get("Location"))
	}
	src, err := w.db.FindSourceByID(t.Context(), id)
	if err != nil || src.Records != 2 || src.Title != "buena.csv" || src.Kind != paradero.KindNGOReport || src.Published.String() != "2025-03-20" {
		t.Fatalf("source = %+v, %v", src, err)
	}
	cp, err := w.db.LatestCheckpoint(t.Context())
	if err != nil || cp.Size < src.LedgerIndex+3 {
		t.Errorf("checkpoint %+v does not cover the import", cp)
	}
	if r := c.post(action, nil); r.status != http.StatusNotFound {
		t.Errorf("confirming twice = %d", r.status)
	}
	// The same file again: nothing would change.
	doc = parse(t, c.postMultipart("/import", map[string]string{"kind": "roster"}, "otra.csv", good).body)
	if byID(doc, "already") == nil || byID(doc, "confirm") != nil {
		t.Error("a file imported before is offered again")
	}
	if got := w.auditOf(paradero.RoleDocumenter); strings.Join(got, "|") != fmt.Sprintf("source.import source:%d", id) {
		t.Errorf("audit = %q", got)
	}
	// Those who may not import cannot send a large body at all.
	lawyer := w.client()
	lawyer.login(paradero.RoleLawyer)
	if r := lawyer.postMultipart("/import", map[string]string{"kind": "roster"}, "big.csv", strings.Repeat("x", 100<<10)); r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("a lawyer's upload = %d, want 413", r.status)
	}
}

// TestNewPagesTranslated renders the second slice's pages in both
// languages and looks for untranslated keys.
func TestNewPagesTranslated(t *testing.T) {
	w := newWorld(t)
	second := w.linked()
	c := w.client()
	c.login(paradero.RoleAdmin)
	missingKey := regexp.MustCompile(`\[[a-z_]+(\.[a-z_-]+)+\]`)
	pair := fmt.Sprintf("/review/%d/%d", w.records[3].ID, second[1].ID)
	for _, lang := range []string{"es", "en"} {
		c.post("/language", url.Values{"lang": {lang}, "csrf": {c.csrfFrom("/")}})
		bodies := map[string]string{}
		for _, p := range []string{fmt.Sprintf("/persons/%d", w.personOf(w.records[0])), "/search", "/review", pair, "/import", "/audit",
			w.recordPath(w.records[0]), w.recordPath(second[1])} {
			bodies[p] = c.get(p).body
		}
		bodies["POST /search"] = c.post("/search", url.Values{"name": {"pepe"}, "birth_date": {"1990"}}).body
		bodies["POST /review"] = c.post(pair, url.Values{"verdict": {"same"}}).body
		bodies["POST /import"] = c.postMultipart("/import", map[string]string{"kind": "roster"}, "a.csv", "nombre\nLuis\n").body
		for p, body := range bodies {
			if m := missingKey.FindString(body); m != "" {
				t.Errorf("%s %s shows the untranslated key %s", lang, p, m)
			}
			doc := parse(t, body)
			for _, tag := range []string{"script", "style"} {
				if len(findAll(doc, tag)) != 0 {
					t.Errorf("%s %s has a %s element", lang, p, tag)
				}
			}
		}
	}
}

package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/report"
	"golang.org/x/net/html"
)

// caseWorld is the fixture's cases and violations (withCases).
type caseWorld struct {
	mine   *paradero.Case // the lawyer's: it concerns María Núñez (records[3])
	other  *paradero.Case // no lawyer's: it concerns José (records[0])
	maria  int64          // María's person
	jose   int64          // José's person
	onHer  *paradero.Violation
	group  *paradero.Violation // against María and the <script> record, which is in none of the lawyer's cases
	onJose *paradero.Violation
	second []*paradero.Record // the court filing's records (linked)
}

// withCases links the world (w.linked) and adds two cases and three
// violations, as an administrator at the command line would.
func (w *world) withCases() *caseWorld {
	t := w.t
	t.Helper()
	cw := &caseWorld{second: w.linked()}
	ctx := paradero.NewContextWithActor(t.Context(), paradero.Actor{Name: "cli:test", Role: paradero.RoleAdmin})
	cw.maria, cw.jose = w.personOf(w.records[3]), w.personOf(w.records[0])
	cw.mine = &paradero.Case{Kind: paradero.CaseHabeas, Title: "Hábeas de María " + imgName, Court: "Sala de lo Constitucional",
		Number: "HC 12-2025", Status: paradero.CaseOpen, Opened: paradero.PartialDate{Year: 2025, Month: 3, Day: 20},
		People:  []paradero.CasePerson{{RecordID: w.records[3].ID}},
		Lawyers: []paradero.CaseLawyer{{UserID: w.users[paradero.RoleLawyer].ID}}}
	cw.other = &paradero.Case{Kind: paradero.CaseRemoval, Title: "Deportación de José", Status: paradero.CaseOpen,
		People: []paradero.CasePerson{{RecordID: w.records[0].ID}}}
	for _, c := range []*paradero.Case{cw.mine, cw.other} {
		if err := w.db.CreateCase(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.db.CreateCourtOrder(ctx, &paradero.CourtOrder{CaseID: cw.mine.ID, Date: paradero.PartialDate{Year: 2025, Month: 3, Day: 15},
		Kind: paradero.OrderNotToRemove, Text: "No trasladar.", Obeyed: paradero.ComplianceDisobeyed, ObeyedSource: w.source.ID}); err != nil {
		t.Fatal(err)
	}
	if err := w.db.CreateDeadline(ctx, &paradero.Deadline{CaseID: cw.mine.ID, Kind: paradero.DeadlineHearing,
		Due: paradero.PartialDate{Year: 2099, Month: 1, Day: 10}, What: "Audiencia", Status: paradero.DeadlinePending}); err != nil {
		t.Fatal(err)
	}
	mk := func(typ paradero.ViolationType, recs ...*paradero.Record) *paradero.Violation {
		v := &paradero.Violation{Type: typ, Date: paradero.DateRange{From: paradero.PartialDate{Year: 2025, Month: 3, Day: 16}},
			Place: "Tecoluca", Perpetrator: "Centros Penales", Sources: []paradero.Citation{{SourceID: w.source.ID}}}
		for _, r := range recs {
			v.Victims = append(v.Victims, paradero.Victim{RecordID: r.ID})
		}
		if err := w.db.CreateViolation(ctx, v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	cw.onHer = mk(paradero.ViolationIncommunicado, w.records[3])
	cw.group = mk(paradero.ViolationRemovalDespiteOrder, w.records[3], w.records[1])
	cw.onJose = mk(paradero.ViolationArbitraryDetention, w.records[0])
	return cw
}

func path(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// TestLawyerSeesTheirCasesPeopleAndNothingElse is the lawyer's access
// rule: their case, its person's page, records, proofs and dossiers, the
// violations against her; anything else answers byte for byte as
// something that does not exist.
func TestLawyerSeesTheirCasesPeopleAndNothingElse(t *testing.T) {
	w := newWorld(t)
	cw := w.withCases()
	c := w.client()
	c.login(paradero.RoleLawyer)

	for _, p := range []string{
		"/cases", path("/cases/%d", cw.mine.ID), path("/persons/%d", cw.maria), w.recordPath(w.records[3]),
		w.recordPath(w.records[3]) + "/proof", w.recordPath(w.records[3]) + "/person",
		path("/persons/%d/dossier", cw.maria), path("/cases/%d/dossier", cw.mine.ID),
		"/violations", path("/violations/%d", cw.onHer.ID), path("/violations/%d", cw.group.ID),
	} {
		if r := c.get(p); r.status != http.StatusOK && r.status != http.StatusSeeOther {
			t.Errorf("lawyer GET %s = %d, want it shown", p, r.status)
		}
	}
	missing := c.get("/cases/999").body
	for _, p := range []string{
		path("/cases/%d", cw.other.ID), path("/persons/%d", cw.jose), w.recordPath(w.records[0]),
		w.recordPath(w.records[0]) + "/proof", w.recordPath(cw.second[0]), path("/persons/%d/dossier", cw.jose),
		path("/cases/%d/dossier", cw.other.ID), path("/cases/%d/edit", cw.other.ID), path("/violations/%d", cw.onJose.ID),
		w.recordPath(w.records[1]), fmt.Sprintf("/sources/%d", w.source.ID), "/violations/new",
	} {
		r := c.get(p)
		if r.status != http.StatusNotFound || r.body != missing {
			t.Errorf("lawyer GET %s = %d, body equal to a missing case's: %v; want 404 and equal", p, r.status, r.body == missing)
		}
	}

	// The list holds their case alone; the violations list, the two
	// against María, the group's other victim counted, never named.
	list := parse(t, c.get("/cases").body)
	var rows []string
	for _, tr := range findAll(byID(list, "cases"), "tr") {
		if v := attr(tr, "data-case"); v != "" {
			rows = append(rows, v)
		}
	}
	if want := []string{fmt.Sprint(cw.mine.ID)}; !slices.Equal(rows, want) {
		t.Errorf("lawyer's case list = %v, want %v", rows, want)
	}
	vl := c.get("/violations").body
	vdoc := parse(t, vl)
	rows = nil
	for _, tr := range findAll(byID(vdoc, "violations"), "tr") {
		if v := attr(tr, "data-violation"); v != "" {
			rows = append(rows, v)
		}
	}
	if want := []string{fmt.Sprint(cw.group.ID), fmt.Sprint(cw.onHer.ID)}; !slices.Equal(rows, want) {
		t.Errorf("lawyer's violations = %v, want %v", rows, want)
	}
	gp := c.get(path("/violations/%d", cw.group.ID)).body
	gdoc := parse(t, gp)
	for _, named := range []string{text(byID(vdoc, "violations")), text(byID(gdoc, "victims"))} {
		if strings.Contains(named, scriptName) || strings.Contains(named, "José") {
			t.Errorf("a page names a victim outside the lawyer's cases: %q", named)
		}
	}
	if got := text(byID(gdoc, "victims")); !strings.Contains(got, "María Núñez") {
		t.Errorf("group violation's victims = %q, want María", got)
	}
	if got := text(byID(gdoc, "victims-hidden")); !strings.Contains(got, "1") {
		t.Errorf("group violation's hidden count = %q, want 1 person outside the lawyer's cases", got)
	}

	// Her person page shows the lawyer's case and the violations, and
	// only her current records.
	pdoc := parse(t, c.get(path("/persons/%d", cw.maria)).body)
	if byID(pdoc, "cases") == nil || !strings.Contains(text(byID(pdoc, "cases")), "Hábeas de María") {
		t.Errorf("María's page lacks the lawyer's case: %q", text(byID(pdoc, "person-cases")))
	}
	if n := len(findAll(byID(pdoc, "violations"), "li")); n != 2 {
		t.Errorf("María's page lists %d violations, want 2", n)
	}

	// The case dossier is María's, with her record's proof.
	r := c.get(path("/cases/%d/dossier?format=html", cw.mine.ID))
	d := parse(t, r.body)
	var proofs []string
	walk(d, func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "pre" && strings.Contains(attr(n, "class"), "proof-json") {
			proofs = append(proofs, attr(n, "data-record")+"/"+attr(n, "data-source"))
		}
	})
	if want := []string{fmt.Sprintf("%d/", w.records[3].ID), fmt.Sprintf("/%d", w.source.ID)}; !slices.Equal(proofs, want) {
		t.Errorf("case dossier proofs (record/source) = %v, want %v", proofs, want)
	}
	if strings.Contains(r.body, "alert(1)") && !strings.Contains(r.body, "&lt;script&gt;") {
		t.Errorf("case dossier names a victim outside the case unescaped")
	}

	// Every read was audited, each under its object.
	got := w.auditActions(paradero.RoleLawyer)
	for _, want := range []string{
		paradero.AuditCaseView + " " + paradero.CaseSubject(cw.mine.ID),
		"person.view " + path("person:%d", cw.maria),
		paradero.AuditRecordView + " " + path("record:%d", w.records[3].ID),
		report.AuditDossierExport + " " + paradero.CaseSubject(cw.mine.ID),
		paradero.AuditViolationView + " " + paradero.ViolationSubject(cw.group.ID),
		paradero.AuditViolationView + " ",
	} {
		if !slices.Contains(got, want) {
			t.Errorf("lawyer's audit lacks %q: %v", want, got)
		}
	}
	for _, a := range got {
		if strings.HasSuffix(a, paradero.CaseSubject(cw.other.ID)) || strings.HasSuffix(a, path("person:%d", cw.jose)) {
			t.Errorf("the audit holds %q, a read that must have been refused", a)
		}
	}
}

// TestLawyerWritesWithinTheirCase checks what a lawyer may change: their
// case's facts, hearings and orders; not who it concerns or who works on
// it, and no source outside it.
func TestLawyerWritesWithinTheirCase(t *testing.T) {
	w := newWorld(t)
	cw := w.withCases()
	c := w.client()
	c.login(paradero.RoleLawyer)
	base := path("/cases/%d", cw.mine.ID)

	r := c.post(base+"/deadlines", url.Values{"kind": {"deadline"}, "due": {"2099-02-01"}, "what": {"Escrito de réplica"}, "remind": {"7"}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != base+"#deadlines" {
		t.Fatalf("lawyer adds a deadline: %d to %q", r.status, r.header.Get("Location"))
	}
	got, _ := w.db.FindDeadlines(t.Context(), paradero.DeadlineFilter{CaseID: cw.mine.ID})
	if len(got) != 2 || got[1].What != "Escrito de réplica" || got[1].RemindOn != (paradero.PartialDate{Year: 2099, Month: 1, Day: 25}) ||
		got[1].CreatedBy != paradero.UserActorName(w.users[paradero.RoleLawyer].ID) {
		t.Errorf("deadlines after the lawyer's = %+v", got)
	}
	// A source of María's records may be cited; the court filing (José's)
	// may not: it is not found, as a missing one.
	order := url.Values{"date": {"2025-04-02"}, "kind": {"release"}, "obeyed": {"unknown"}, "text": {"Libertad inmediata"}}
	order.Set("source", fmt.Sprint(cw.second[0].SourceID))
	r = c.post(base+"/orders", order)
	if doc := parse(t, r.body); r.status != http.StatusBadRequest || byID(doc, "orders-error") == nil {
		t.Errorf("lawyer cites a source outside the case: %d, error shown %v; want 400 with the error", r.status, byID(doc, "orders-error") != nil)
	}
	order.Set("source", fmt.Sprint(w.source.ID))
	if r = c.post(base+"/orders", order); r.status != http.StatusSeeOther {
		t.Errorf("lawyer adds an order citing María's source: %d", r.status)
	}
	facts := url.Values{"kind": {"habeas"}, "status": {"appeal"}, "title": {cw.mine.Title}, "court": {"Corte"}, "number": {"HC 12-2025"}}
	if r = c.post(base, facts); r.status != http.StatusSeeOther {
		t.Errorf("lawyer edits the case's facts: %d", r.status)
	}
	missing := c.get("/cases/999").body
	for _, p := range []struct {
		path string
		form url.Values
	}{
		{base + "/people", url.Values{"person": {fmt.Sprint(cw.jose)}}},
		{base + path("/people/%d/remove", w.records[3].ID), nil},
		{base + "/lawyers", url.Values{"lawyer": {fmt.Sprint(w.users[paradero.RoleLawyer].ID)}}},
		{base + "/documents", url.Values{"source": {fmt.Sprint(w.source.ID)}}},
		{path("/cases/%d/deadlines", cw.other.ID), url.Values{"kind": {"hearing"}, "due": {"2099-01-01"}, "what": {"x"}, "remind": {"0"}}},
		{path("/cases/%d", cw.other.ID), facts},
		{"/violations", url.Values{"type": {"torture"}}},
	} {
		r := c.post(p.path, p.form)
		if r.status != http.StatusNotFound || r.body != missing {
			t.Errorf("lawyer POST %s = %d; want 404 as for a missing case", p.path, r.status)
		}
	}
	// A lawyer opens a case and is its lawyer; it concerns no one yet.
	r = c.post("/cases", url.Values{"kind": {"removal"}, "status": {"open"}, "title": {"Nuevo"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("lawyer opens a case: %d", r.status)
	}
	cases, _, _ := w.db.FindCases(t.Context(), paradero.CaseFilter{LawyerID: w.users[paradero.RoleLawyer].ID})
	if len(cases) != 2 || cases[0].Title != "Nuevo" || len(cases[0].People) != 0 {
		t.Errorf("the lawyer's cases after opening one = %+v", cases)
	}
	if got := w.auditActions(paradero.RoleLawyer); !slices.Contains(got, paradero.AuditCaseAccess+" "+paradero.CaseSubject(cases[0].ID)) ||
		!slices.Contains(got, paradero.AuditCaseUpdate+" "+paradero.CaseSubject(cw.mine.ID)) {
		t.Errorf("lawyer's audit = %v", got)
	}
}

// TestCaseWorkflow runs a documenter through a case from its opening to
// its dossier, through the forms, and checks what the page shows.
func TestCaseWorkflow(t *testing.T) {
	w := newWorld(t)
	cw := w.withCases()
	c := w.client()
	c.login(paradero.RoleDocumenter)
	// Open, with a person and a lawyer.
	r := c.post("/cases", url.Values{"kind": {"international"}, "status": {"open"}, "title": {"Medidas cautelares " + scriptName},
		"court": {"CIDH"}, "opened": {"2025-05"}, "people": {path("person:%d", cw.jose)}, "lawyer": {fmt.Sprint(w.users[paradero.RoleLawyer].ID)}})
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/cases/") {
		t.Fatalf("open a case: %d to %q", r.status, r.header.Get("Location"))
	}
	base := r.header.Get("Location")
	step := func(what, p string, form url.Values, section string) {
		t.Helper()
		r := c.post(base+p, form)
		if r.status != http.StatusSeeOther || r.header.Get("Location") != base+"#"+section {
			t.Fatalf("%s: %d to %q\n%s", what, r.status, r.header.Get("Location"), text(byID(parse(t, r.body), section+"-error")))
		}
	}
	step("link María by record", "/people", url.Values{"person": {path("record:%d", w.records[3].ID)}}, "people")
	step("add a hearing", "/deadlines", url.Values{"kind": {"hearing"}, "due": {"2099-03-01"}, "time": {"09:30"}, "what": {"Audiencia pública"}, "remind": {"3"}}, "deadlines")
	step("add an order", "/orders", url.Values{"date": {"2025-06-01"}, "kind": {"disclose"}, "obeyed": {"unknown"}, "text": {"Informar el paradero."}}, "orders")
	step("cite a document", "/documents", url.Values{"source": {fmt.Sprint(cw.second[0].SourceID)}, "note": {"La petición"}}, "documents")

	doc := parse(t, c.get(base).body)
	for id, want := range map[string]string{
		"case-kind": "Petición o medidas cautelares internacionales", "case-court": "CIDH",
		"case-people": "José Pérez Gómez", "case-deadlines": "Audiencia pública", "case-orders": "Informar el paradero",
		"case-documents": "Habeas 2025-17", "case-lawyers": "Nombre",
	} {
		if got := text(byID(doc, id)); !strings.Contains(got, want) {
			t.Errorf("case page #%s = %q, want it to hold %q", id, got, want)
		}
	}
	if got := text(byID(doc, "case-people")); !strings.Contains(got, "María Núñez") {
		t.Errorf("case people = %q, want María too", got)
	}
	if h1 := text(findAll(doc, "h1")[0]); !strings.Contains(h1, scriptName) {
		t.Errorf("title = %q, want the hostile title as text", h1)
	}
	// The order's compliance is updated from its row; the hearing is held.
	var orderID, deadlineID string
	walk(doc, func(n *html.Node) {
		if v := attr(n, "data-order"); v != "" {
			orderID = v
		}
		if v := attr(n, "data-deadline"); v != "" {
			deadlineID = v
		}
	})
	step("the order was disobeyed", "/orders/"+orderID, url.Values{"obeyed": {"disobeyed"}, "source": {fmt.Sprint(w.source.ID)}, "note": {"Trasladada"}}, "orders")
	step("the hearing was held", "/deadlines/"+deadlineID, url.Values{"status": {"done"}}, "deadlines")
	doc = parse(t, c.get(base).body)
	var obeyed string
	walk(doc, func(n *html.Node) {
		if attr(n, "data-order") == orderID {
			obeyed = attr(n, "data-obeyed")
		}
	})
	if obeyed != "disobeyed" || !strings.Contains(text(byID(doc, "case-deadlines")), "Cumplido") {
		t.Errorf("after the updates: order obeyed = %q, deadlines %q", obeyed, text(byID(doc, "case-deadlines")))
	}
	hist := text(byID(doc, "case-history"))
	for _, want := range []string{"creó", "vinculó a una persona", "asignó un abogado", "añadió una audiencia o plazo", "cambió una orden judicial (order:2): obeyed,obeyed_source,obeyed_note"} {
		if !strings.Contains(hist, want) {
			t.Errorf("history lacks %q: %s", want, hist)
		}
	}

	// Mistakes answer 400 with the message in the form's section.
	for _, bad := range []struct {
		p       string
		form    url.Values
		section string
	}{
		{"/people", url.Values{"person": {"person:999"}}, "people"},
		{"/people", url.Values{"person": {path("record:%d", w.records[3].ID)}}, "people"},
		{"/deadlines", url.Values{"kind": {"hearing"}, "due": {"2099-03"}, "what": {"x"}, "remind": {"0"}}, "deadlines"},
		{"/deadlines", url.Values{"kind": {"hearing"}, "due": {"2099-03-01"}, "what": {""}, "remind": {"0"}}, "deadlines"},
		{"/orders", url.Values{"date": {"mañana"}, "kind": {"release"}, "obeyed": {"unknown"}}, "orders"},
		{"/orders", url.Values{"date": {"2025"}, "kind": {"release"}, "obeyed": {"unknown"}, "source": {"999"}}, "orders"},
		{"/documents", url.Values{"source": {"abc"}}, "documents"},
	} {
		r := c.post(base+bad.p, bad.form)
		if doc := parse(t, r.body); r.status != http.StatusBadRequest || byID(doc, bad.section+"-error") == nil {
			t.Errorf("POST %s %v = %d, error in #%s-error %v; want 400 with it", bad.p, bad.form, r.status, bad.section, byID(doc, bad.section+"-error") != nil)
		}
	}
	// Without the CSRF token nothing happens.
	if r := c.do("POST", base+"/people", url.Values{"person": {path("person:%d", cw.jose)}}); r.status != http.StatusForbidden {
		t.Errorf("a form without its CSRF token = %d, want 403", r.status)
	}

	// The dossier in both formats.
	pdf := c.get(base + "/dossier?format=pdf")
	if pdf.status != http.StatusOK || pdf.header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(pdf.body, "%PDF-") {
		t.Errorf("PDF case dossier = %d %s", pdf.status, pdf.header.Get("Content-Type"))
	}
	hd := c.get(base + "/dossier")
	if doc := parse(t, hd.body); hd.status != http.StatusOK || len(findAll(doc, "script")) != 0 ||
		!strings.Contains(text(byID(doc, "people")), "José Pérez Gómez") || byID(doc, "person-2") == nil {
		t.Errorf("HTML case dossier = %d; people %q", hd.status, text(byID(doc, "people")))
	}
}

// TestViolationForm records a violation against a group and edits it.
func TestViolationForm(t *testing.T) {
	w := newWorld(t)
	cw := w.withCases()
	c := w.client()
	c.login(paradero.RoleDocumenter)
	form := url.Values{"type": {"enforced-disappearance"}, "victims": {path("person:%d\nrecord:%d", cw.jose, w.records[3].ID)},
		"group": {"Trasladados del 15 de marzo"}, "from": {"2025-03-15"}, "to": {"2025-07"}, "place": {"CECOT"},
		"perpetrator": {"Gobierno de El Salvador"}, "sources": {path("source:%d, record:%d", w.source.ID, cw.second[0].ID)},
		"case": {fmt.Sprint(cw.mine.ID)}}
	r := c.post("/violations", form)
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/violations/") {
		t.Fatalf("record a violation: %d\n%s", r.status, text(byID(parse(t, r.body), "form-error")))
	}
	loc := r.header.Get("Location")
	doc := parse(t, c.get(loc).body)
	if got := text(byID(doc, "victims")); !strings.Contains(got, "José Pérez Gómez") || !strings.Contains(got, "María Núñez") {
		t.Errorf("victims = %q", got)
	}
	if got := text(byID(doc, "citations")); !strings.Contains(got, w.source.SHA256.String()) || !strings.Contains(got, fmt.Sprint(cw.second[0].ID)) {
		t.Errorf("citations = %q", got)
	}
	if got := text(byID(doc, "violation-date")); got != "15 de marzo de 2025 – julio de 2025" {
		t.Errorf("date = %q", got)
	}
	// Shown on José's page and on the case it belongs to.
	if !strings.Contains(text(byID(parse(t, c.get(path("/persons/%d", cw.jose)).body), "violations")), "Desaparición forzada") {
		t.Errorf("José's page lacks the violation")
	}
	if !strings.Contains(text(byID(parse(t, c.get(path("/cases/%d", cw.mine.ID)).body), "case-violations")), "Desaparición forzada") {
		t.Errorf("the case page lacks the violation")
	}
	for name, change := range map[string]func(url.Values){
		"no victims":   func(f url.Values) { f.Set("victims", "") },
		"no sources":   func(f url.Values) { f.Set("sources", "") },
		"no date":      func(f url.Values) { f.Set("from", ""); f.Set("to", "") },
		"bad date":     func(f url.Values) { f.Set("from", "15/03/2025") },
		"bad type":     func(f url.Values) { f.Set("type", "rudeness") },
		"no person":    func(f url.Values) { f.Set("victims", "person:999") },
		"wrong source": func(f url.Values) { f.Set("sources", path("source:%d record:%d", 999, 1)) },
	} {
		f := url.Values{}
		for k, v := range form {
			f[k] = slices.Clone(v)
		}
		change(f)
		r := c.post("/violations", f)
		if doc := parse(t, r.body); r.status != http.StatusBadRequest || byID(doc, "form-error") == nil {
			t.Errorf("%s: %d, error shown %v; want 400 with it", name, r.status, byID(doc, "form-error") != nil)
		}
	}
	edit := parse(t, c.get(loc+"/edit").body)
	if f := byID(edit, "v-victims"); f == nil || !strings.Contains(text(f), path("record:%d", w.records[3].ID)) {
		t.Fatalf("the edit form does not hold the victims")
	}
	form.Set("type", "incommunicado-detention")
	form.Set("victims", path("record:%d", w.records[3].ID))
	if r := c.post(loc, form); r.status != http.StatusSeeOther {
		t.Fatalf("edit: %d", r.status)
	}
	doc = parse(t, c.get(loc).body)
	if got := text(byID(doc, "violation-type")); got != "Detención incomunicada" {
		t.Errorf("type after edit = %q", got)
	}
	if got := text(byID(doc, "violation-history")); !strings.Contains(got, "type,victims") {
		t.Errorf("history = %q, want the fields changed", got)
	}
}

// TestCasePagesTranslated renders the new pages in both languages and
// looks for untranslated keys, which Printer shows as "[key]".
func TestCasePagesTranslated(t *testing.T) {
	w := newWorld(t)
	cw := w.withCases()
	missingKey := regexp.MustCompile(`\[[a-z_]+(\.[a-z_-]+)+\]`)
	for _, role := range []paradero.Role{paradero.RoleAdmin, paradero.RoleLawyer} {
		c := w.client()
		c.login(role)
		pages := []string{"/cases", "/cases/new", path("/cases/%d", cw.mine.ID), path("/cases/%d/edit", cw.mine.ID),
			"/violations", path("/violations/%d", cw.group.ID), path("/persons/%d", cw.maria)}
		if role == paradero.RoleAdmin {
			pages = append(pages, "/violations/new", path("/violations/%d/edit", cw.group.ID), "/audit")
		}
		for _, lang := range []string{"es", "en"} {
			c.post("/language", url.Values{"lang": {lang}, "csrf": {c.csrfFrom("/")}})
			for _, p := range pages {
				r := c.get(p)
				if r.status != http.StatusOK {
					t.Errorf("%s %s %s = %d", role, lang, p, r.status)
				}
				if m := missingKey.FindString(r.body); m != "" {
					t.Errorf("%s %s %s shows the untranslated key %s", role, lang, p, m)
				}
				if doc := parse(t, r.body); len(findAll(doc, "script")) != 0 || len(findAll(doc, "style")) != 0 {
					t.Errorf("%s has a script or style element", p)
				}
			}
		}
	}
}

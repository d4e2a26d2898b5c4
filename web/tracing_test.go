package web_test

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/web"
	"golang.org/x/net/html"
)

// tracingForm is a complete filing for name; every other field is the
// same whoever is sought, so two filings differ only by the name.
func tracingForm(name string) url.Values {
	return url.Values{
		"sought_name": {name}, "sought_other_names": {"Pepe"}, "sought_birth_date": {"02/04/1990"},
		"sought_nationality": {"venezolana"}, "last_seen_place": {"Maracaibo"}, "last_seen_date": {"03/2025"},
		"details": {"cicatriz en la mano izquierda\r\ntatuaje de una rosa"}, "relationship": {"madre"},
		"contact": {"+58 412 555 0101"},
	}
}

// file files a request and returns its reference, from the redirect.
func (c *client) file(name string) (string, *response) {
	c.w.t.Helper()
	r := c.post("/tracing", tracingForm(name))
	loc := r.header.Get("Location")
	ref, ok := strings.CutPrefix(loc, "/tracing/")
	if r.status != http.StatusSeeOther || !ok || !paradero.ValidTracingRef(ref) {
		c.w.t.Fatalf("filing for %q = %d to %q, want 303 to the request", name, r.status, loc)
	}
	return ref, r
}

// secondFamily adds another family member's account, with the same name
// as the fixture's (the page header shows it), and signs them in.
func (w *world) secondFamily() *client {
	w.t.Helper()
	h, err := web.HashPassword(testPassword, cheapParams)
	if err != nil {
		w.t.Fatal(err)
	}
	u := &paradero.User{Email: "family2@example.org", Name: w.users[paradero.RoleFamily].Name, Role: paradero.RoleFamily, Language: "es", PasswordHash: h}
	if err := w.db.CreateUser(w.t.Context(), u); err != nil {
		w.t.Fatal(err)
	}
	c := w.client()
	r := c.post("/login", url.Values{"email": {u.Email}, "password": {testPassword}})
	if r.status != http.StatusSeeOther {
		w.t.Fatalf("login as the second family member: %d", r.status)
	}
	return c
}

// TestTracingAntiEnumeration files two requests from two family
// accounts, one for someone the store holds (José Pérez Gómez, born 2
// April 1990, linked across two sources) and one for no one, and checks
// that everything each family member is shown is the same bytes, but for
// the request's own reference, the name they typed and the session's CSRF
// token — before verification and after it — and that nothing on their
// path read a record or ran a search.
func TestTracingAntiEnumeration(t *testing.T) {
	w := newWorld(t)
	w.linked()
	present, absent := w.client(), w.secondFamily()
	present.login(paradero.RoleFamily)
	const (
		inStore = "José Pérez Gómez"
		nobody  = "Nadie Ninguno Jamás"
	)
	type view struct {
		c          *client
		name, ref  string
		csrf       string
		normalised func(string) string
	}
	views := []*view{{c: present, name: inStore}, {c: absent, name: nobody}}
	filings := make([]*response, 2)
	for i, v := range views {
		v.csrf = v.c.csrfFrom("/stats")
		v.ref, filings[i] = v.c.file(v.name)
		v.normalised = func(s string) string {
			s = strings.ReplaceAll(s, v.ref, "REF")
			s = strings.ReplaceAll(s, v.name, "NAME")
			return strings.ReplaceAll(s, v.csrf, "CSRF")
		}
	}
	if a, b := views[0].normalised(filings[0].header.Get("Location")+"|"+filings[0].body),
		views[1].normalised(filings[1].header.Get("Location")+"|"+filings[1].body); a != b {
		t.Errorf("the filings' answers differ: %q and %q", a, b)
	}
	compare := func(stage string) {
		t.Helper()
		for _, path := range []string{"/tracing/REF", "/tracing", "/", "/tracing/new"} {
			var bodies [2]string
			var statuses [2]int
			for i, v := range views {
				r := v.c.get(strings.ReplaceAll(path, "REF", v.ref))
				bodies[i], statuses[i] = v.normalised(r.statusLine()+r.header.Get("Location")+"\n"+r.body), r.status
			}
			if statuses[0] != statuses[1] || bodies[0] != bodies[1] {
				t.Errorf("%s: GET %s differs between the request for someone in the store and for no one:\n%s", stage, path, firstDiff(bodies[0], bodies[1]))
			}
			if len(bodies[0]) < 200 && path != "/" {
				t.Errorf("%s: GET %s is almost empty; the comparison means little: %q", stage, path, bodies[0])
			}
		}
	}
	compare("filed")
	// The page says what was filed and where it stands, nothing more.
	doc := parse(t, present.get("/tracing/"+views[0].ref).body)
	if got := text(byID(doc, "request-name")); got != inStore {
		t.Errorf("the request page names %q, want %q", got, inStore)
	}
	if byID(doc, "next-step") == nil || byID(doc, "answer") != nil {
		t.Error("the filed request's page lacks the next step or shows an answer")
	}

	// Staff verify both requesters without searching: still the same.
	staff := w.client()
	staff.login(paradero.RoleDocumenter)
	for _, v := range views {
		r := staff.post("/tracing/"+v.ref+"/verify", url.Values{"method": {"video-call"}, "note": {"cédula vista"}})
		if r.status != http.StatusSeeOther {
			t.Fatalf("verify %s = %d", v.ref, r.status)
		}
	}
	compare("verified")

	for _, role := range []paradero.Role{paradero.RoleFamily} {
		for _, got := range w.auditOf(role) {
			if !strings.HasPrefix(got, "tracing.file ") && !strings.HasPrefix(got, "tracing.view") {
				t.Errorf("a family member's path wrote %q: only filing and viewing their requests is theirs", got)
			}
		}
	}
}

func (r *response) statusLine() string { return fmt.Sprintf("%d ", r.status) }

// firstDiff shows where two strings part.
func firstDiff(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	lo := max(0, i-80)
	return fmt.Sprintf("…%s…\n---\n…%s…", a[lo:min(len(a), i+80)], b[lo:min(len(b), i+80)])
}

// TestTracingAccess checks who reaches the tracing pages, and that a
// family member asking for anything but their own requests gets exactly
// the not-found answer.
func TestTracingAccess(t *testing.T) {
	w := newWorld(t)
	w.linked()
	fam := w.client()
	fam.login(paradero.RoleFamily)
	ref, _ := fam.file("José Pérez Gómez")
	other := w.secondFamily()
	missing := other.get("/tracing/ZZZZZ-ZZZZZ")
	if missing.status != http.StatusNotFound {
		t.Fatalf("a missing request = %d, want 404", missing.status)
	}
	// Another family member asking for this request, for the staff pages
	// of it, or for any evidence page: the same bytes as a missing one.
	for _, path := range []string{"/tracing/" + ref, "/tracing/" + ref + "/candidates", "/tracing/not-a-ref",
		"/search", "/persons/1", fmt.Sprintf("/sources/%d", w.source.ID), fmt.Sprintf("/sources/%d/file", w.source.ID),
		w.recordPath(w.records[0]), "/review", "/import", "/reconciliation", "/audit"} {
		r := other.get(path)
		if r.status != http.StatusNotFound || r.body != missing.body {
			t.Errorf("second family member GET %s = %d, body equal to a missing request's: %v", path, r.status, r.body == missing.body)
		}
	}
	famMissing := fam.get("/tracing/ZZZZZ-ZZZZZ").body
	for _, path := range []string{"/search", "/persons/1", fmt.Sprintf("/sources/%d", w.source.ID), w.recordPath(w.records[0]),
		"/tracing/" + ref + "/candidates"} {
		if r := fam.get(path); r.status != http.StatusNotFound || r.body != famMissing {
			t.Errorf("the requester GET %s = %d, equal to not found: %v", path, r.status, r.body == missing.body)
		}
	}
	for _, p := range []struct {
		path string
		form url.Values
	}{
		{"/search", url.Values{"name": {"Pérez"}}},
		{"/tracing/" + ref + "/verify", url.Values{"method": {"in-person"}, "note": {"yo misma"}}},
		{"/tracing/" + ref + "/candidates", url.Values{"record": {"1"}, "verdict": {"same"}}},
		{"/tracing/" + ref + "/answer", url.Values{"outcome": {"not-located"}}},
		{"/tracing/" + ref + "/close", url.Values{"reason": {"withdrawn"}}},
	} {
		for name, c := range map[string]*client{"requester": fam, "other": other} {
			want := c.get("/tracing/ZZZZZ-ZZZZZ").body
			if r := c.post(p.path, maps.Clone(p.form)); r.status != http.StatusNotFound || r.body != want {
				t.Errorf("%s POST %s = %d, equal to not found: %v", name, p.path, r.status, r.body == missing.body)
			}
		}
	}
	if r := fam.get("/"); r.status != http.StatusSeeOther || r.header.Get("Location") != "/tracing" {
		t.Errorf("a family member's / = %d to %q, want 303 to /tracing", r.status, r.header.Get("Location"))
	}
	// Every role, and nobody, on the tracing pages.
	const ok, toLogin, nf = http.StatusOK, -1, http.StatusNotFound
	routes := []struct {
		path string
		want [6]int // nobody, admin, documenter, lawyer, family, public
	}{
		{"/tracing", [6]int{toLogin, ok, ok, nf, ok, nf}},
		{"/tracing/new", [6]int{toLogin, nf, nf, nf, ok, nf}},
		{"/tracing/" + ref, [6]int{toLogin, ok, ok, nf, ok, nf}},
		{"/tracing/" + ref + "/candidates", [6]int{toLogin, http.StatusConflict, http.StatusConflict, nf, nf, nf}},
		{"/tracing/ZZZZZ-ZZZZZ", [6]int{toLogin, nf, nf, nf, nf, nf}},
	}
	posts := []struct {
		path string
		form url.Values
		want [6]int
	}{
		{"/tracing", tracingForm("Otra Persona"), [6]int{toLogin, nf, nf, nf, http.StatusSeeOther, nf}},
		{"/tracing/ZZZZZ-ZZZZZ/verify", url.Values{"method": {"in-person"}, "note": {"x"}}, [6]int{toLogin, nf, nf, nf, nf, nf}},
		{"/tracing/ZZZZZ-ZZZZZ/close", url.Values{"reason": {"other"}}, [6]int{toLogin, nf, nf, nf, nf, nf}},
	}
	who := []paradero.Role{"", paradero.RoleAdmin, paradero.RoleDocumenter, paradero.RoleLawyer, paradero.RoleFamily, paradero.RolePublic}
	for i, role := range who {
		c := w.client()
		if role != "" {
			c.login(role)
		}
		check := func(method, path string, r *response, want int) {
			t.Helper()
			if want == toLogin {
				if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/login") {
					t.Errorf("%q %s %s = %d to %q, want 303 to /login", role, method, path, r.status, r.header.Get("Location"))
				}
			} else if r.status != want {
				t.Errorf("%q %s %s = %d, want %d", role, method, path, r.status, want)
			}
		}
		for _, rt := range routes {
			check("GET", rt.path, c.get(rt.path), rt.want[i])
		}
		for _, p := range posts {
			check("POST", p.path, c.post(p.path, maps.Clone(p.form)), p.want[i])
		}
	}
}

// TestTracingFlow goes through a request end to end: filed, verified,
// searched (only then), a candidate confirmed, answered from the
// confirmed person's timeline in the family's language, and read by the
// family. Every step is attributed and audited.
func TestTracingFlow(t *testing.T) {
	w := newWorld(t)
	w.linked()
	fam := w.client()
	fam.login(paradero.RoleFamily)
	ref, _ := fam.file("José Pérez Gómez")

	staff := w.client()
	staff.login(paradero.RoleDocumenter)
	list := parse(t, staff.get("/tracing?state=filed").body)
	if got := text(byID(list, "requests")); !strings.Contains(got, ref) || !strings.Contains(got, "José Pérez Gómez") {
		t.Errorf("staff list of filed requests = %q", got)
	}
	doc := parse(t, staff.get("/tracing/"+ref).body)
	if byID(doc, "search-locked") == nil || byID(doc, "verify") == nil || byID(doc, "search-candidates") != nil {
		t.Error("before verification the staff page must offer the verification and lock the search")
	}
	if got := text(byID(doc, "requester")); !strings.Contains(got, "family@example.org") {
		t.Errorf("requester = %q, want the account's address for the identity check", got)
	}
	if r := staff.get("/tracing/" + ref + "/candidates"); r.status != http.StatusConflict {
		t.Errorf("candidates before verification = %d, want 409", r.status)
	}
	if r := staff.post("/tracing/"+ref+"/verify", url.Values{"note": {"x"}}); r.status != http.StatusBadRequest ||
		byID(parse(t, r.body), "tracing-error") == nil {
		t.Errorf("verify without a method = %d, want 400 with the error", r.status)
	}
	if r := staff.post("/tracing/"+ref+"/verify", url.Values{"method": {"video-call"}, "note": {"cédula vista por videollamada"}}); r.status != http.StatusSeeOther {
		t.Fatalf("verify = %d", r.status)
	}
	if r := staff.post("/tracing/"+ref+"/verify", url.Values{"method": {"video-call"}, "note": {"otra vez"}}); r.status != http.StatusConflict {
		t.Errorf("verifying twice = %d, want 409", r.status)
	}

	r := staff.get("/tracing/" + ref + "/candidates")
	if r.status != http.StatusOK {
		t.Fatalf("candidates = %d", r.status)
	}
	doc = parse(t, r.body)
	first := findAll(byID(doc, "found"), "li")
	if len(first) == 0 || attr(first[0], "id") != fmt.Sprintf("record-%d", w.records[0].ID) {
		t.Fatalf("the first candidate is not José Pérez Gómez (record %d): %q", w.records[0].ID, text(byID(doc, "found")))
	}
	if got := text(first[0]); !strings.Contains(got, "coincide") {
		t.Errorf("the first candidate does not say its birth date agrees: %q", got)
	}
	r = staff.post("/tracing/"+ref+"/candidates", url.Values{"record": {fmt.Sprint(w.records[0].ID)}, "verdict": {"same"}, "note": {"nombre y fecha"}})
	if r.status != http.StatusSeeOther || !strings.Contains(r.header.Get("Location"), "/candidates#record-") {
		t.Fatalf("decide = %d to %q", r.status, r.header.Get("Location"))
	}
	doc = parse(t, staff.get("/tracing/"+ref).body)
	if got := text(byID(doc, "decisions")); !strings.Contains(got, "José Pérez Gómez") || !strings.Contains(got, "nombre y fecha") {
		t.Errorf("decisions = %q", got)
	}
	var draft string
	for _, ta := range findAll(doc, "textarea") {
		if attr(ta, "id") == "message" {
			draft = text(ta)
		}
	}
	if !strings.Contains(draft, "CECOT") || !strings.Contains(draft, "2 fuentes") || !strings.Contains(draft, "José Pérez Gómez") {
		t.Errorf("the draft answer = %q, want the person's last place (CECOT) from its two sources, in Spanish", draft)
	}
	if byID(doc, "answer-blocked") != nil {
		t.Errorf("an adult's answer is blocked: %q", text(byID(doc, "answer-blocked")))
	}
	// Before the answer, the family sees that the search is under way.
	if got := text(byID(parse(t, fam.get("/tracing/"+ref).body), "request-state")); !strings.Contains(got, "búsqueda en curso") {
		t.Errorf("family sees state %q", got)
	}
	if r := staff.post("/tracing/"+ref+"/answer", url.Values{"outcome": {"located"}}); r.status != http.StatusSeeOther {
		t.Fatalf("answer = %d: %s", r.status, text(byID(parse(t, r.body), "tracing-error")))
	}
	doc = parse(t, fam.get("/tracing/"+ref).body)
	if got := text(byID(doc, "answer-outcome")); !strings.Contains(got, "Hay información") {
		t.Errorf("family reads outcome %q", got)
	}
	if got := text(byID(doc, "answer-message")); got != strings.Join(strings.Fields(draft), " ") {
		t.Errorf("family reads %q, want the draft %q", got, draft)
	}
	// The family's page shows no record, source or person.
	for _, a := range findAll(doc, "a") {
		if h := attr(a, "href"); strings.HasPrefix(h, "/records/") || strings.HasPrefix(h, "/persons/") || strings.HasPrefix(h, "/sources/") {
			t.Errorf("the family's page links %s", h)
		}
	}
	doc = parse(t, staff.get("/tracing/"+ref).body)
	if got := text(byID(doc, "history")); !strings.Contains(got, "verificó la identidad") || !strings.Contains(got, "respondió") {
		t.Errorf("history = %q", got)
	}
	staffAudit := strings.Join(w.auditOf(paradero.RoleDocumenter), "\n")
	for _, want := range []string{"tracing.verify tracing-request:", "tracing.search tracing-request:", "search.run",
		"tracing.candidate tracing-request:", "tracing.answer tracing-request:", "person.view person:"} {
		if !strings.Contains(staffAudit, want) {
			t.Errorf("staff audit lacks %q:\n%s", want, staffAudit)
		}
	}
}

// TestTracingMinorNeverDisclosed confirms a child's record for a request
// and checks that the composer offers no located answer, that forcing one
// is refused and stores nothing, that the family sees no answer, and that
// referring the request discloses nothing about the record.
func TestTracingMinorNeverDisclosed(t *testing.T) {
	w := newWorld(t)
	ctx := paradero.NewContextWithActor(t.Context(), paradero.Actor{Name: "cli:test", Role: paradero.RoleAdmin})
	im, err := w.db.BeginImport(ctx, &paradero.Source{Kind: paradero.KindRoster, Title: "Lista de menores",
		Published: paradero.PartialDate{Year: time.Now().Year()}, Filename: "menores.csv", MediaType: "text/csv"}, strings.NewReader("menores"))
	if err != nil {
		t.Fatal(err)
	}
	child := &paradero.Record{Row: 2, FullName: "Luisa Fernanda Rivas", BirthDate: paradero.PartialDate{Year: time.Now().Year() - 12, Month: 5, Day: 1},
		Facility: "Centro de Menores de Tornillo", Status: "detenida"}
	if err := im.AddRecord(ctx, child); err != nil {
		t.Fatal(err)
	}
	if _, err := im.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	fam := w.client()
	fam.login(paradero.RoleFamily)
	form := tracingForm("Luisa Fernanda Rivas")
	form.Set("sought_birth_date", "")
	form.Set("sought_other_names", "")
	r := fam.post("/tracing", form)
	ref := strings.TrimPrefix(r.header.Get("Location"), "/tracing/")
	staff := w.client()
	staff.login(paradero.RoleAdmin)
	staff.post("/tracing/"+ref+"/verify", url.Values{"method": {"in-person"}, "note": {"pasaporte visto"}})
	doc := parse(t, staff.get("/tracing/"+ref+"/candidates").body)
	if byID(doc, fmt.Sprintf("minor-%d", child.ID)) == nil {
		t.Errorf("the candidate list does not mark the child: %q", text(byID(doc, "found")))
	}
	staff.post("/tracing/"+ref+"/candidates", url.Values{"record": {fmt.Sprint(child.ID)}, "verdict": {"same"}})
	doc = parse(t, staff.get("/tracing/"+ref).body)
	if byID(doc, "answer-blocked") == nil {
		t.Error("the composer does not say the answer cannot disclose a child")
	}
	if n := byID(doc, "outcome-located"); n == nil || !hasAttr(n, "disabled") {
		t.Error("the composer offers a located answer about a child")
	}
	for _, msg := range []string{"", "Está en el Centro de Menores de Tornillo."} {
		r = staff.post("/tracing/"+ref+"/answer", url.Values{"outcome": {"located"}, "message": {msg}})
		if r.status != http.StatusForbidden || byID(parse(t, r.body), "tracing-error") == nil {
			t.Errorf("a located answer about a child = %d, want 403 with the reason", r.status)
		}
	}
	req, err := w.db.FindTracingRequestByRef(paradero.NewContextWithActor(t.Context(), w.users[paradero.RoleAdmin].Actor()), ref)
	if err != nil || req.State != paradero.TracingVerified || req.Answer != nil {
		t.Fatalf("after the refusals the request is %+v, %v; want it verified and unanswered", req, err)
	}
	doc = parse(t, fam.get("/tracing/"+ref).body)
	if byID(doc, "answer") != nil || strings.Contains(text(doc), "Tornillo") {
		t.Error("the family sees an answer or the child's place")
	}
	if r = staff.post("/tracing/"+ref+"/answer", url.Values{"outcome": {"referred"}}); r.status != http.StatusSeeOther {
		t.Fatalf("referral = %d", r.status)
	}
	doc = parse(t, fam.get("/tracing/"+ref).body)
	if got := text(byID(doc, "answer-message")); !strings.Contains(got, "equipo especializado") || strings.Contains(got, "Tornillo") {
		t.Errorf("the referral reads %q", got)
	}
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

// TestTracingFilingLimit files until the limit and checks the refusal is
// a form again, with the reason, and stores nothing.
func TestTracingFilingLimit(t *testing.T) {
	w := newWorld(t)
	fam := w.client()
	fam.login(paradero.RoleFamily)
	for i := range paradero.MaxTracingPerDay {
		fam.file(fmt.Sprintf("Persona Número %c", 'A'+i))
	}
	r := fam.post("/tracing", tracingForm("Una Más"))
	if r.status != http.StatusTooManyRequests || byID(parse(t, r.body), "tracing-errors") == nil {
		t.Errorf("filing over the limit = %d, want 429 with the reason", r.status)
	}
	r = fam.post("/tracing", url.Values{"sought_name": {"123"}, "sought_birth_date": {"31/02/1990"}})
	if got := text(byID(parse(t, r.body), "tracing-errors")); r.status != http.StatusBadRequest || !strings.Contains(got, "nombre") ||
		!strings.Contains(got, "contactarle") || !strings.Contains(got, "fecha de nacimiento") {
		t.Errorf("an incomplete filing = %d, %q", r.status, got)
	}
}

// TestTracingPagesTranslated renders every tracing page in both
// languages and looks for untranslated keys and script.
func TestTracingPagesTranslated(t *testing.T) {
	w := newWorld(t)
	w.linked()
	fam := w.client()
	fam.login(paradero.RoleFamily)
	ref, _ := fam.file("José Pérez Gómez")
	closed, _ := fam.file("Otra Persona")
	staff := w.client()
	staff.login(paradero.RoleAdmin)
	staff.post("/tracing/"+ref+"/verify", url.Values{"method": {"referral"}, "note": {"ONG aliada"}})
	staff.post("/tracing/"+ref+"/candidates", url.Values{"record": {fmt.Sprint(w.records[0].ID)}, "verdict": {"unsure"}})
	staff.post("/tracing/"+closed+"/close", url.Values{"reason": {"duplicate"}, "close_note": {"igual que " + ref}})
	missingKey := regexp.MustCompile(`\[[a-z_]+(\.[a-z_-]+)+\]`)
	for _, lang := range []string{"es", "en"} {
		for _, c := range []*client{fam, staff} {
			c.post("/language", url.Values{"lang": {lang}})
		}
		bodies := map[string]string{}
		for _, p := range []string{"/tracing", "/tracing/new", "/tracing/" + ref, "/tracing/" + closed} {
			bodies["family "+p] = fam.get(p).body
		}
		bodies["family POST /tracing"] = fam.post("/tracing", url.Values{"sought_name": {"x"}}).body
		for _, p := range []string{"/tracing", "/tracing?state=verified", "/tracing/" + ref, "/tracing/" + ref + "/candidates", "/tracing/" + closed, "/audit"} {
			bodies["staff "+p] = staff.get(p).body
		}
		bodies["staff POST answer"] = staff.post("/tracing/"+ref+"/answer", url.Values{"outcome": {"located"}}).body
		for p, body := range bodies {
			if m := missingKey.FindString(body); m != "" {
				t.Errorf("%s %s shows the untranslated key %s", lang, p, m)
			}
			if len(findAll(parse(t, body), "script")) != 0 {
				t.Errorf("%s %s has a script element", lang, p)
			}
		}
	}
}

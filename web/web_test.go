package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/locale"
)

// TestAuthorization tries every route as every role and as nobody.
func TestAuthorization(t *testing.T) {
	w := newWorld(t)
	cw := w.withCases() // links the world too (cases_test.go)
	second := cw.second
	src := fmt.Sprintf("/sources/%d", w.source.ID)
	rec := w.recordPath(w.records[0])
	person := fmt.Sprintf("/persons/%d", w.personOf(w.records[0]))
	pair := fmt.Sprintf("/review/%d/%d", w.records[3].ID, second[1].ID)
	unaccounted := fmt.Sprintf("/reconciliation?on=%d&absent=%d", w.source.ID, second[0].SourceID)
	mine, other := fmt.Sprintf("/cases/%d", cw.mine.ID), fmt.Sprintf("/cases/%d", cw.other.ID)
	maria, mariaRec := fmt.Sprintf("/persons/%d", cw.maria), w.recordPath(w.records[3])
	onHer, onJose := fmt.Sprintf("/violations/%d", cw.onHer.ID), fmt.Sprintf("/violations/%d", cw.onJose.ID)
	const (
		ok       = http.StatusOK
		toLogin  = -1 // 303 to /login
		toStats  = -2 // 303 to /stats
		toTrace  = -3 // 303 to /tracing: a family member's own requests
		notFound = http.StatusNotFound
	)
	// Expected status per route for: nobody, admin, documenter, lawyer, family, public.
	routes := []struct {
		path string
		want [6]int
	}{
		{"/", [6]int{toLogin, ok, ok, ok, toTrace, toStats}},
		{"/tracing", [6]int{toLogin, ok, ok, notFound, ok, notFound}},
		{"/tracing/new", [6]int{toLogin, notFound, notFound, notFound, ok, notFound}},
		{"/tracing/ZZZZZ-ZZZZZ", [6]int{toLogin, notFound, notFound, notFound, notFound, notFound}},
		{"/tracing/ZZZZZ-ZZZZZ/candidates", [6]int{toLogin, notFound, notFound, notFound, notFound, notFound}},
		{"/stats", [6]int{ok, ok, ok, ok, ok, ok}},
		{"/login", [6]int{ok, 303, 303, 303, 303, 303}},
		{"/sources", [6]int{toLogin, ok, ok, notFound, notFound, notFound}},
		{src, [6]int{toLogin, ok, ok, notFound, notFound, notFound}},
		{src + "/file", [6]int{toLogin, ok, ok, notFound, notFound, notFound}},
		{src + "/proof", [6]int{toLogin, ok, ok, notFound, notFound, notFound}},
		{rec, [6]int{toLogin, ok, ok, notFound, notFound, notFound}},
		{rec + "/proof", [6]int{toLogin, ok, ok, notFound, notFound, notFound}},
		{w.recordPath(w.redacted), [6]int{toLogin, ok, ok, notFound, notFound, notFound}},
		{"/audit", [6]int{toLogin, ok, notFound, notFound, notFound, notFound}},
		{person, [6]int{toLogin, ok, ok, notFound, notFound, notFound}},
		{"/persons/999", [6]int{toLogin, notFound, notFound, notFound, notFound, notFound}},
		{"/persons/x", [6]int{toLogin, notFound, notFound, notFound, notFound, notFound}},
		{person + "/dossier", [6]int{toLogin, ok, ok, notFound, notFound, notFound}},
		{person + "/dossier?format=pdf", [6]int{toLogin, ok, ok, notFound, notFound, notFound}},
		{person + "/dossier?format=doc", [6]int{toLogin, 400, 400, 400, notFound, notFound}},
		{"/persons/999/dossier", [6]int{toLogin, notFound, notFound, notFound, notFound, notFound}},
		{"/persons/999/dossier?format=doc", [6]int{toLogin, 400, 400, 400, notFound, notFound}},
		{"/reconciliation", [6]int{toLogin, ok, ok, notFound, notFound, notFound}},
		{unaccounted, [6]int{toLogin, ok, ok, notFound, notFound, notFound}},
		{"/reconciliation?on=1&absent=999", [6]int{toLogin, notFound, notFound, notFound, notFound, notFound}},
		{"/reconciliation?on=x", [6]int{toLogin, 400, 400, notFound, notFound, notFound}},
		{"/reconciliation/persons.csv", [6]int{toLogin, ok, ok, notFound, notFound, notFound}},
		{"/reconciliation/intersections.csv", [6]int{toLogin, ok, ok, notFound, notFound, notFound}},
		{strings.Replace(unaccounted, "?", "/unaccounted.csv?", 1), [6]int{toLogin, ok, ok, notFound, notFound, notFound}},
		{"/reconciliation/unaccounted.csv", [6]int{toLogin, 400, 400, notFound, notFound, notFound}},
		{"/reconciliation/other.csv", [6]int{toLogin, notFound, notFound, notFound, notFound, notFound}},
		{rec + "/person", [6]int{toLogin, 303, 303, notFound, notFound, notFound}},
		{w.recordPath(w.records[1]) + "/person", [6]int{toLogin, 303, 303, notFound, notFound, notFound}},
		{"/records/999/person", [6]int{toLogin, notFound, notFound, notFound, notFound, notFound}},
		{"/search", [6]int{toLogin, ok, ok, notFound, notFound, notFound}},
		{"/review", [6]int{toLogin, ok, ok, notFound, notFound, notFound}},
		{pair, [6]int{toLogin, ok, ok, notFound, notFound, notFound}},
		{"/review/1/999", [6]int{toLogin, notFound, notFound, notFound, notFound, notFound}},
		{"/review/2/1", [6]int{toLogin, notFound, notFound, notFound, notFound, notFound}},
		{"/import", [6]int{toLogin, ok, ok, notFound, notFound, notFound}},
		{"/sources/999", [6]int{toLogin, notFound, notFound, notFound, notFound, notFound}},
		{"/records/999", [6]int{toLogin, notFound, notFound, notFound, notFound, notFound}},
		{"/records/999/proof", [6]int{toLogin, notFound, notFound, notFound, notFound, notFound}},
		{"/records/abc", [6]int{toLogin, notFound, notFound, notFound, notFound, notFound}},
		{"/no/such/page", [6]int{notFound, notFound, notFound, notFound, notFound, notFound}},
		{"/static/style.css", [6]int{ok, ok, ok, ok, ok, ok}},
		// Cases and violations: the lawyer's case and its person, María;
		// José's case and person are no lawyer's.
		{"/cases", [6]int{toLogin, ok, ok, ok, notFound, notFound}},
		{"/cases/new", [6]int{toLogin, ok, ok, ok, notFound, notFound}},
		{mine, [6]int{toLogin, ok, ok, ok, notFound, notFound}},
		{mine + "/edit", [6]int{toLogin, ok, ok, ok, notFound, notFound}},
		{mine + "/dossier", [6]int{toLogin, ok, ok, ok, notFound, notFound}},
		{mine + "/dossier?format=pdf", [6]int{toLogin, ok, ok, ok, notFound, notFound}},
		{mine + "/dossier?format=doc", [6]int{toLogin, 400, 400, 400, notFound, notFound}},
		{other, [6]int{toLogin, ok, ok, notFound, notFound, notFound}},
		{other + "/edit", [6]int{toLogin, ok, ok, notFound, notFound, notFound}},
		{other + "/dossier", [6]int{toLogin, ok, ok, notFound, notFound, notFound}},
		{"/cases/999", [6]int{toLogin, notFound, notFound, notFound, notFound, notFound}},
		{"/cases/999/dossier", [6]int{toLogin, notFound, notFound, notFound, notFound, notFound}},
		{"/cases/x", [6]int{toLogin, notFound, notFound, notFound, notFound, notFound}},
		{maria, [6]int{toLogin, ok, ok, ok, notFound, notFound}},
		{maria + "/dossier", [6]int{toLogin, ok, ok, ok, notFound, notFound}},
		{mariaRec, [6]int{toLogin, ok, ok, ok, notFound, notFound}},
		{mariaRec + "/proof", [6]int{toLogin, ok, ok, ok, notFound, notFound}},
		{mariaRec + "/person", [6]int{toLogin, 303, 303, 303, notFound, notFound}},
		{"/violations", [6]int{toLogin, ok, ok, ok, notFound, notFound}},
		{"/violations/new", [6]int{toLogin, ok, ok, notFound, notFound, notFound}},
		{onHer, [6]int{toLogin, ok, ok, ok, notFound, notFound}},
		{onHer + "/edit", [6]int{toLogin, ok, ok, notFound, notFound, notFound}},
		{onJose, [6]int{toLogin, ok, ok, notFound, notFound, notFound}},
		{"/violations/999", [6]int{toLogin, notFound, notFound, notFound, notFound, notFound}},
	}
	who := []paradero.Role{"", paradero.RoleAdmin, paradero.RoleDocumenter, paradero.RoleLawyer, paradero.RoleFamily, paradero.RolePublic}
	for i, role := range who {
		c := w.client()
		name := "nobody"
		if role != "" {
			c.login(role)
			name = string(role)
		}
		for _, rt := range routes {
			r := c.get(rt.path)
			want := rt.want[i]
			switch want {
			case toLogin:
				if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/login") {
					t.Errorf("%s GET %s = %d to %q, want 303 to /login", name, rt.path, r.status, r.header.Get("Location"))
				}
			case toStats:
				if r.status != http.StatusSeeOther || r.header.Get("Location") != "/stats" {
					t.Errorf("%s GET %s = %d to %q, want 303 to /stats", name, rt.path, r.status, r.header.Get("Location"))
				}
			case toTrace:
				if r.status != http.StatusSeeOther || r.header.Get("Location") != "/tracing" {
					t.Errorf("%s GET %s = %d to %q, want 303 to /tracing", name, rt.path, r.status, r.header.Get("Location"))
				}
			default:
				if r.status != want {
					t.Errorf("%s GET %s = %d, want %d", name, rt.path, r.status, want)
				}
			}
		}
		// The forms, each with the client's CSRF token: the refusals come
		// before anything is read or written.
		posts := []struct {
			path string
			form url.Values
			want [6]int
		}{
			{"/search", url.Values{"name": {"Pérez"}}, [6]int{toLogin, ok, ok, notFound, notFound, notFound}},
			{pair, url.Values{"verdict": {"unsure"}, "reason": {"prueba"}}, [6]int{toLogin, 303, 303, notFound, notFound, notFound}},
			{"/review/1/999", url.Values{"verdict": {"same"}, "reason": {"x"}}, [6]int{toLogin, notFound, notFound, notFound, notFound, notFound}},
			{"/import", url.Values{"kind": {"roster"}}, [6]int{toLogin, 400, 400, notFound, notFound, notFound}},
			{"/import/nosuchtoken", url.Values{}, [6]int{toLogin, notFound, notFound, notFound, notFound, notFound}},
			// Case and violation forms, each with a mistake, so that none
			// changes anything: the refusals come first, then the 400.
			{"/cases", url.Values{"kind": {"habeas"}, "status": {"open"}}, [6]int{toLogin, 400, 400, 400, notFound, notFound}},
			{mine, url.Values{"kind": {"habeas"}, "status": {"open"}}, [6]int{toLogin, 400, 400, 400, notFound, notFound}},
			{other, url.Values{"kind": {"habeas"}, "status": {"open"}}, [6]int{toLogin, 400, 400, notFound, notFound, notFound}},
			{mine + "/people", url.Values{"person": {"person:999"}}, [6]int{toLogin, 400, 400, notFound, notFound, notFound}},
			{mine + "/lawyers", url.Values{}, [6]int{toLogin, 400, 400, notFound, notFound, notFound}},
			{mine + "/deadlines", url.Values{"kind": {"hearing"}}, [6]int{toLogin, 400, 400, 400, notFound, notFound}},
			{other + "/deadlines", url.Values{"kind": {"hearing"}}, [6]int{toLogin, 400, 400, notFound, notFound, notFound}},
			{mine + "/deadlines/999", url.Values{"status": {"done"}}, [6]int{toLogin, notFound, notFound, notFound, notFound, notFound}},
			{mine + "/orders", url.Values{"kind": {"release"}}, [6]int{toLogin, 400, 400, 400, notFound, notFound}},
			{mine + "/orders/999", url.Values{"obeyed": {"obeyed"}}, [6]int{toLogin, notFound, notFound, notFound, notFound, notFound}},
			{mine + "/documents", url.Values{}, [6]int{toLogin, 400, 400, notFound, notFound, notFound}},
			{mine + "/documents/999/remove", url.Values{}, [6]int{toLogin, notFound, notFound, notFound, notFound, notFound}},
			{mine + "/people/999/remove", url.Values{}, [6]int{toLogin, notFound, notFound, notFound, notFound, notFound}},
			{"/cases/999/deadlines", url.Values{"kind": {"hearing"}}, [6]int{toLogin, notFound, notFound, notFound, notFound, notFound}},
			{"/violations", url.Values{"type": {"torture"}}, [6]int{toLogin, 400, 400, notFound, notFound, notFound}},
			{onHer, url.Values{"type": {"torture"}}, [6]int{toLogin, 400, 400, notFound, notFound, notFound}},
			{"/violations/999", url.Values{"type": {"torture"}}, [6]int{toLogin, notFound, notFound, notFound, notFound, notFound}},
		}
		for _, pt := range posts {
			r := c.post(pt.path, pt.form)
			want := pt.want[i]
			if want == toLogin {
				if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/login") {
					t.Errorf("%s POST %s = %d to %q, want 303 to /login", name, pt.path, r.status, r.header.Get("Location"))
				}
			} else if r.status != want {
				t.Errorf("%s POST %s = %d, want %d", name, pt.path, r.status, want)
			}
		}
	}
}

// TestHiddenLooksMissing checks that a lawyer asking for a record that
// exists gets, byte for byte, what a documenter gets for one that does not.
func TestHiddenLooksMissing(t *testing.T) {
	w := newWorld(t)
	lawyer := w.client()
	lawyer.login(paradero.RoleLawyer)
	hidden := lawyer.get(w.recordPath(w.records[0]))
	missing := lawyer.get("/records/999")
	if hidden.status != http.StatusNotFound || hidden.body != missing.body {
		t.Errorf("hidden record: %d, body equal to a missing one's: %v; want 404 and equal", hidden.status, hidden.body == missing.body)
	}
	// Paths are echoed nowhere in a not-found page, so hidden and missing
	// sources compare equal too.
	if a, b := lawyer.get(fmt.Sprintf("/sources/%d", w.source.ID)), lawyer.get("/sources/999"); a.body != b.body {
		t.Errorf("hidden and missing source pages differ")
	}
}

func TestLoginLogoutRotation(t *testing.T) {
	w := newWorld(t)
	c := w.client()
	c.get("/login")
	anonCSRF := c.cookie("paradero_csrf")
	c.login(paradero.RoleDocumenter)
	first := c.cookie("paradero_session")
	if first == "" {
		t.Fatal("no session cookie after login")
	}
	if c.cookie("paradero_csrf") != "" {
		t.Errorf("the anonymous CSRF cookie survives login")
	}
	// The session's CSRF token differs from the one planted before login.
	if tok := c.csrfFrom("/"); tok == anonCSRF || tok == "" {
		t.Errorf("session CSRF token = %q, the anonymous one was %q", tok, anonCSRF)
	}
	// Signing in again replaces the session; the old token is dead.
	c.login(paradero.RoleDocumenter)
	second := c.cookie("paradero_session")
	if second == first {
		t.Fatal("the session token was not rotated at login")
	}
	old := w.client()
	old.jar.SetCookies(mustURL(w.srv.URL), []*http.Cookie{{Name: "paradero_session", Value: first}})
	if r := old.get("/sources"); r.status != http.StatusSeeOther {
		t.Errorf("the session before rotation still works: %d", r.status)
	}
	// Logout revokes the session in the store, not just in the browser.
	if r := c.post("/logout", url.Values{"csrf": {c.csrfFrom("/")}}); r.status != http.StatusSeeOther {
		t.Fatalf("logout = %d", r.status)
	}
	stolen := w.client()
	stolen.jar.SetCookies(mustURL(w.srv.URL), []*http.Cookie{{Name: "paradero_session", Value: second}})
	if r := stolen.get("/sources"); r.status != http.StatusSeeOther {
		t.Errorf("a session token still works after logout: %d", r.status)
	}
	// Both sign-ins and the sign-out are in the audit log, by id only.
	es, _, err := w.db.FindAuditEntries(t.Context(), paradero.AuditFilter{ActorID: w.users[paradero.RoleDocumenter].ID})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range es {
		actions = append(actions, e.Action)
	}
	if got := strings.Join(actions, " "); got != "session.logout session.login session.login" {
		t.Errorf("audit actions = %q", got)
	}
}

func TestSessionExpires(t *testing.T) {
	w := newWorld(t)
	c := w.client()
	c.login(paradero.RoleDocumenter)
	w.offset.Store(int64(11 * time.Hour))
	if r := c.get("/sources"); r.status != http.StatusOK {
		t.Fatalf("after 11 hours: %d, want 200", r.status)
	}
	w.offset.Store(int64(12*time.Hour + time.Minute))
	if r := c.get("/sources"); r.status != http.StatusSeeOther {
		t.Errorf("after 12 hours: %d, want 303 to sign in", r.status)
	}
	if c.cookie("paradero_session") != "" {
		t.Errorf("the dead session's cookie was not cleared")
	}
}

func TestCSRF(t *testing.T) {
	w := newWorld(t)
	c := w.client()
	c.login(paradero.RoleDocumenter)
	for _, tc := range []struct {
		name   string
		form   url.Values
		header []string
	}{
		{"no token", url.Values{}, nil},
		{"wrong token", url.Values{"csrf": {"x"}}, nil},
		{"cross-site", url.Values{"csrf": {c.csrfFrom("/")}}, []string{"Sec-Fetch-Site", "cross-site"}},
	} {
		r := c.do("POST", "/logout", tc.form, tc.header...)
		if r.status != http.StatusForbidden {
			t.Errorf("%s: POST /logout = %d, want 403", tc.name, r.status)
		}
	}
	if r := c.get("/sources"); r.status != http.StatusOK {
		t.Errorf("a refused logout signed the user out: %d", r.status)
	}
	// Sign-in forms need the browser's token too (login CSRF).
	anon := w.client()
	r := anon.do("POST", "/login", url.Values{"email": {"admin@example.org"}, "password": {testPassword}})
	if r.status != http.StatusForbidden {
		t.Errorf("login without a token = %d, want 403", r.status)
	}
}

func TestLoginThrottle(t *testing.T) {
	w := newWorld(t)
	c := w.client()
	for i := range 5 {
		r := c.post("/login", url.Values{"email": {"admin@example.org"}, "password": {"wrong password " + fmt.Sprint(i)}})
		if r.status != http.StatusUnauthorized {
			t.Fatalf("attempt %d = %d, want 401", i, r.status)
		}
		if e := byID(parse(t, r.body), "login-error"); e == nil {
			t.Fatalf("attempt %d: no error message", i)
		}
	}
	r := c.post("/login", url.Values{"email": {"admin@example.org"}, "password": {testPassword}})
	if r.status != http.StatusTooManyRequests {
		t.Errorf("the right password after 5 failures = %d, want 429", r.status)
	}
	// Another account is not locked by this one's failures.
	c.login(paradero.RoleDocumenter)
	// An unknown address fails exactly like a wrong password.
	a := w.client().post("/login", url.Values{"email": {"nadie@example.org"}, "password": {"x"}})
	b := w.client().post("/login", url.Values{"email": {"lawyer@example.org"}, "password": {"x"}})
	ta, tb := text(byID(parse(t, a.body), "login-error")), text(byID(parse(t, b.body), "login-error"))
	if a.status != b.status || ta != tb {
		t.Errorf("unknown address: %d %q; wrong password: %d %q", a.status, ta, b.status, tb)
	}
}

// TestEscaping checks that hostile names are shown as text wherever they
// appear: no element comes out of them.
func TestEscaping(t *testing.T) {
	w := newWorld(t)
	c := w.client()
	c.login(paradero.RoleAdmin)
	for _, path := range []string{"/sources", fmt.Sprintf("/sources/%d", w.source.ID), w.recordPath(w.records[1]), w.recordPath(w.records[2]),
		"/reconciliation"} {
		r := c.get(path)
		if r.status != http.StatusOK {
			t.Fatalf("GET %s = %d", path, r.status)
		}
		doc := parse(t, r.body)
		if n := len(findAll(doc, "script")); n != 0 {
			t.Errorf("%s has %d script elements", path, n)
		}
		if n := len(findAll(doc, "img")); n != 0 {
			t.Errorf("%s has %d img elements", path, n)
		}
		main := findAll(doc, "main")[0]
		if !strings.Contains(text(main), scriptName) {
			t.Errorf("%s does not show %q as text", path, scriptName)
		}
	}
	doc := parse(t, c.get(w.recordPath(w.records[2])).body)
	if got := text(byID(doc, "record-fields")); !strings.Contains(got, imgName) {
		t.Errorf("record fields = %q, want the name %q as text", got, imgName)
	}
}

func TestRecordPage(t *testing.T) {
	w := newWorld(t)
	c := w.client()
	c.login(paradero.RoleDocumenter)
	doc := parse(t, c.get(w.recordPath(w.records[0])).body)
	fields := text(byID(doc, "record-fields"))
	for _, want := range []string{"Nombre completo José Pérez Gómez", "Fecha de nacimiento 2 de abril de 1990", "columna " + scriptName} {
		if !strings.Contains(fields, want) {
			t.Errorf("record fields %q lack %q", fields, want)
		}
	}
	if byID(doc, "redaction") != nil {
		t.Errorf("an unredacted record shows a redaction notice")
	}
	if href := attr(byID(doc, "proof"), "href"); href != w.recordPath(w.records[0])+"/proof" {
		t.Errorf("proof link = %q", href)
	}
	// The redacted record, in both languages.
	for lang, want := range map[string]string{
		"es": "Redactado el 1 de junio de 2025: " + redactionReason,
		"en": "Redacted on 1 June 2025: " + redactionReason,
	} {
		if r := c.post("/language", url.Values{"lang": {lang}, "csrf": {c.csrfFrom("/")}}); r.status != http.StatusSeeOther {
			t.Fatalf("language %s: %d", lang, r.status)
		}
		doc := parse(t, c.get(w.recordPath(w.redacted)).body)
		if got := text(byID(doc, "redaction")); got != want {
			t.Errorf("%s redaction notice = %q, want %q", lang, got, want)
		}
		if byID(doc, "record-fields") != nil {
			t.Errorf("%s: a redacted record shows fields", lang)
		}
	}
}

func TestSourceDownloadAndAudit(t *testing.T) {
	w := newWorld(t)
	c := w.client()
	c.login(paradero.RoleDocumenter)
	path := fmt.Sprintf("/sources/%d", w.source.ID)
	doc := parse(t, c.get(path).body)
	if got := text(byID(doc, "sha256")); got != w.source.SHA256.String() {
		t.Errorf("SHA-256 shown = %q, want %s", got, w.source.SHA256)
	}
	if rows := findAll(byID(doc, "source-records"), "tr"); len(rows) != 1+len(w.records) {
		t.Errorf("source page lists %d rows, want a header and %d records", len(rows), len(w.records))
	}
	r := c.get(path + "/file")
	if r.status != http.StatusOK || r.body != w.file {
		t.Fatalf("download = %d, %d bytes; want the file byte for byte", r.status, len(r.body))
	}
	if cd := r.header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") {
		t.Errorf("Content-Disposition = %q", cd)
	}
	p := c.get(path + "/proof")
	if p.status != http.StatusOK || !strings.Contains(p.body, `"format":"paradero-proof/1"`) {
		t.Errorf("proof = %d %.80s", p.status, p.body)
	}
	c.get(w.recordPath(w.records[0]))

	es, _, err := w.db.FindAuditEntries(t.Context(), paradero.AuditFilter{ActorID: w.users[paradero.RoleDocumenter].ID})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range es {
		if e.Action != paradero.AuditLogin {
			got = append(got, e.Action+" "+e.Object)
		}
	}
	want := fmt.Sprintf("record.view record:%d|proof.download source:%d|source.download source:%d|source.view source:%d",
		w.records[0].ID, w.source.ID, w.source.ID, w.source.ID)
	if strings.Join(got, "|") != want {
		t.Errorf("audit = %q, want %q", strings.Join(got, "|"), want)
	}
	// The admin reads it at /audit, linked to the objects.
	admin := w.client()
	admin.login(paradero.RoleAdmin)
	adoc := parse(t, admin.get("/audit").body)
	var links []string
	for _, a := range findAll(byID(adoc, "audit"), "a") {
		links = append(links, attr(a, "href"))
	}
	if !strings.Contains(strings.Join(links, " "), w.recordPath(w.records[0])) {
		t.Errorf("audit page links %v, want the viewed record", links)
	}
}

func TestLanguageRemembered(t *testing.T) {
	w := newWorld(t)
	anon := w.client()
	if lang := attr(findAll(parse(t, anon.get("/stats").body), "html")[0], "lang"); lang != "es" {
		t.Errorf("default language = %q, want es", lang)
	}
	en := anon.do("GET", "/stats", nil, "Accept-Language", "en-GB,en;q=0.9")
	if lang := attr(findAll(parse(t, en.body), "html")[0], "lang"); lang != "en" {
		t.Errorf("Accept-Language en: lang = %q", lang)
	}
	anon.post("/language", url.Values{"lang": {"en"}})
	doc := parse(t, anon.get("/stats").body)
	if h1 := text(findAll(doc, "h1")[0]); h1 != "Public statistics" {
		t.Errorf("after switching to English, h1 = %q", h1)
	}
	// Signed in, the choice is the user's setting, kept across sessions.
	c := w.client()
	c.login(paradero.RoleDocumenter)
	c.post("/language", url.Values{"lang": {"en"}, "csrf": {c.csrfFrom("/")}})
	again := w.client()
	again.login(paradero.RoleDocumenter)
	if h1 := text(findAll(parse(t, again.get("/sources").body), "h1")[0]); h1 != "Sources" {
		t.Errorf("a new session of an English user: h1 = %q", h1)
	}
	u, _ := w.db.FindUserByID(t.Context(), w.users[paradero.RoleDocumenter].ID)
	if u.Language != "en" {
		t.Errorf("user language = %q, want en", u.Language)
	}
}

func TestSecurityHeaders(t *testing.T) {
	w := newWorld(t)
	r := w.client().get("/stats")
	csp := r.header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "frame-ancestors 'none'", "form-action 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "script-src") {
		t.Errorf("CSP %q allows scripts or inline code", csp)
	}
	for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
		"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"} {
		if got := r.header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	for _, ck := range (&http.Response{Header: r.header}).Cookies() {
		if !ck.HttpOnly || ck.SameSite == http.SameSiteNoneMode || ck.SameSite == http.SameSiteDefaultMode {
			t.Errorf("cookie %s: HttpOnly %v SameSite %v", ck.Name, ck.HttpOnly, ck.SameSite)
		}
	}
	// No page uses inline style or script.
	c := w.client()
	c.login(paradero.RoleAdmin)
	for _, p := range []string{"/", "/stats", "/sources", fmt.Sprintf("/sources/%d", w.source.ID), w.recordPath(w.records[0]), "/audit", "/login"} {
		doc := parse(t, c.get(p).body)
		for _, tag := range []string{"script", "style"} {
			if len(findAll(doc, tag)) != 0 {
				t.Errorf("%s has a %s element", p, tag)
			}
		}
	}
}

// TestEveryPageTranslated renders every page in both languages and looks
// for untranslated keys, which Printer shows as "[key]".
func TestEveryPageTranslated(t *testing.T) {
	w := newWorld(t)
	c := w.client()
	c.login(paradero.RoleAdmin)
	w.linked()
	pages := []string{"/", "/stats", "/sources", fmt.Sprintf("/sources/%d", w.source.ID), w.recordPath(w.records[0]),
		w.recordPath(w.redacted), "/audit", "/records/999", fmt.Sprintf("/persons/%d", w.personOf(w.records[0])),
		"/reconciliation"}
	missingKey := regexp.MustCompile(`\[[a-z_]+(\.[a-z_-]+)+\]`)
	for _, lang := range []string{"es", "en"} {
		c.post("/language", url.Values{"lang": {lang}, "csrf": {c.csrfFrom("/")}})
		for _, p := range pages {
			body := c.get(p).body
			if m := missingKey.FindString(body); m != "" {
				t.Errorf("%s %s shows the untranslated key %s", lang, p, m)
			}
		}
	}
	anon := w.client()
	if m := missingKey.FindString(anon.get("/login").body); m != "" {
		t.Errorf("/login shows %s", m)
	}
}

// TestTemplateKeysExist checks every key a template names literally.
func TestTemplateKeysExist(t *testing.T) {
	cat, err := locale.Load()
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`\.(?:T|Plural) "([a-z_.-]+)"`)
	files, err := os.ReadDir("templates")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range files {
		b, err := os.ReadFile("templates/" + f.Name())
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			n++
			if !cat.Has(m[1]) {
				t.Errorf("%s uses the unknown key %q", f.Name(), m[1])
			}
		}
	}
	if n < 50 {
		t.Errorf("found only %d keys in templates; is the pattern right?", n)
	}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

// TestLogsHoldNoPersonalData runs through failures and reads, then checks
// that no name, address or form value reached the log.
func TestLogsHoldNoPersonalData(t *testing.T) {
	w := newWorld(t)
	c := w.client()
	c.post("/login", url.Values{"email": {"admin@example.org"}, "password": {"José Pérez wrong"}})
	c.post("/login", url.Values{"email": {"nadie@example.org"}, "password": {"x"}})
	c.do("POST", "/login", url.Values{"email": {"admin@example.org"}, "password": {"x"}}) // no CSRF token
	c.login(paradero.RoleLawyer)
	c.get(w.recordPath(w.records[0]) + "?q=José")
	c.get("/sources/999?name=María")
	d := w.client()
	d.login(paradero.RoleDocumenter)
	d.get(w.recordPath(w.records[1]))
	d.get(fmt.Sprintf("/sources/%d", w.source.ID))
	logs := w.logs.String()
	if !strings.Contains(logs, "request refused") {
		t.Fatalf("nothing was logged; the test checks nothing:\n%s", logs)
	}
	for _, secret := range []string{"example.org", "José", "María", "Pérez", "script", "wrong", "q=", "name="} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds %q:\n%s", secret, logs)
		}
	}
}

// TestPublicStatisticsSuppressSmallCells checks that the fixture's five
// records are not counted out on the public page.
func TestPublicStatisticsSuppressSmallCells(t *testing.T) {
	w := newWorld(t)
	for lang, want := range map[string]string{"es": "menos de 10", "en": "fewer than 10"} {
		c := w.client()
		c.post("/language", url.Values{"lang": {lang}})
		doc := parse(t, c.get("/stats").body)
		if got := text(byID(doc, "count-records")); got != want {
			t.Errorf("%s: records = %q, want %q", lang, got, want)
		}
		for _, n := range findAll(doc, "td") {
			if got := text(n); got == "5" || got == "4" {
				t.Errorf("%s: a table cell shows %q", lang, got)
			}
		}
		if n := len(findAll(doc, "rect")); n != 0 {
			t.Errorf("%s: the chart draws %d bars for suppressed cells", lang, n)
		}
	}
	// Staff see the figure itself.
	c := w.client()
	c.login(paradero.RoleDocumenter)
	if got := text(byID(parse(t, c.get("/").body), "count-records")); got != "5" {
		t.Errorf("dashboard records = %q, want 5", got)
	}
}

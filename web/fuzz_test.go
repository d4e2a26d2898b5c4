package web_test

// Fuzz targets for every form and every API body (issue 7, "Attack it").
// Each posts arbitrary bodies to the real application, as each role (and
// as nobody) with a valid session and CSRF token or a live API token, and
// checks what must hold whatever the body:
//
//   - the server never panics and never answers 5xx;
//   - the answer is well formed: a page (HTML with the layout, nothing
//     executable, no link or form leaving the site), a redirect within the
//     site, or, from the API, JSON in the one error format and as the
//     OpenAPI document describes it;
//   - nothing is written that the role may not write: every table of the
//     store is read before and after through a second, read-only
//     connection, and every row added or removed is checked against the
//     access rules (writeRules).
//
// The routes come from routes.go and from the OpenAPI document, so a new
// form or API route is fuzzed, and seeded, without a change here. One
// application serves every input of a process (a fresh one per input
// would cost a hundred times more); sessions and tokens are made afresh
// for each input, and the clock moves on so that rate limits reset.
//
// Without -fuzz, the targets run their seeds (one per route, and the
// corpus in testdata/fuzz) in a few seconds. To fuzz:
//
//	go test ./web/ -run '^$' -fuzz '^FuzzForms$' -fuzztime 5m
//	go test ./web/ -run '^$' -fuzz '^FuzzUpload$' -fuzztime 5m
//	go test ./web/ -run '^$' -fuzz '^FuzzAPI$' -fuzztime 5m

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	pathpkg "path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/ledger"
	"github.com/paradero/paradero/locale"
	"github.com/paradero/paradero/sqlite"
	"github.com/paradero/paradero/web"
	"golang.org/x/net/html"
)

// fuzzRoles are who a fuzz input acts as, by index: nobody, then every
// role.
var fuzzRoles = []paradero.Role{"", paradero.RoleAdmin, paradero.RoleDocumenter, paradero.RoleLawyer,
	paradero.RoleFamily, paradero.RolePublic}

func fuzzRole(i uint8) paradero.Role { return fuzzRoles[int(i)%len(fuzzRoles)] }

func roleIndex(r paradero.Role) uint8 { return uint8(slices.Index(fuzzRoles, r)) }

// fuzzApp is an application over a store with something of everything in
// it — sources, linked persons, a review pair, two cases (one the
// lawyer's), deadlines, orders, violations, tracing requests of two
// families, follows and API tokens — built once per process.
type fuzzApp struct {
	tb     testing.TB
	db     *sqlite.DB
	ro     *sql.DB // a second, read-only connection: the state before and after
	app    *web.Server
	doc    *openAPI
	offset atomic.Int64 // added to the server's clock
	users  map[paradero.Role]*paradero.User
	creds  map[paradero.Role]credentials // as
	params map[string]string             // path values (fill)
}

var cliAdmin = paradero.Actor{Name: "cli:test", Role: paradero.RoleAdmin}

func (a *fuzzApp) now() time.Time { return time.Now().Add(time.Duration(a.offset.Load())) }

func newFuzzApp(tb testing.TB) *fuzzApp {
	tb.Helper()
	must := func(err error) {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
	}
	ctx := paradero.NewContextWithActor(tb.Context(), cliAdmin)
	db, err := sqlite.Open(ctx, tb.TempDir(), nil)
	must(err)
	tb.Cleanup(func() { db.Close() })
	a := &fuzzApp{tb: tb, db: db, users: make(map[paradero.Role]*paradero.User), creds: make(map[paradero.Role]credentials)}
	a.ro = openReadOnly(tb, db)
	key, err := ledger.LoadOrCreateKey(tb.TempDir())
	must(err)
	log := ledger.New(db, key)

	// Evidence: a roster with hostile names, a court filing, a link run
	// that makes José one person and queues (María, Marta) for review.
	importList := func(src *paradero.Source, recs []*paradero.Record) *paradero.Source {
		im, err := db.BeginImport(ctx, src, strings.NewReader(src.Title+" "+src.Filename))
		must(err)
		for _, r := range recs {
			must(im.AddRecord(ctx, r))
		}
		saved, err := im.Commit(ctx)
		must(err)
		return saved
	}
	first := []*paradero.Record{
		{Row: 2, FullName: "José Pérez Gómez", BirthDate: paradero.PartialDate{Year: 1990, Month: 4, Day: 2}, Nationality: "venezolana"},
		{Row: 3, FullName: scriptName, Extra: []paradero.Field{{Name: "columna " + scriptName, Value: imgName}}},
		{Row: 4, FullName: imgName},
		{Row: 5, FullName: "María Núñez", BirthDate: paradero.PartialDate{Year: 1988}},
		{Row: 6, FullName: "Ana Quintero"},
	}
	src := importList(&paradero.Source{Kind: paradero.KindRoster, Title: "Lista " + scriptName, Filename: "lista.csv", MediaType: "text/csv",
		Published: paradero.PartialDate{Year: 2025, Month: 3, Day: 16}}, first)
	second := []*paradero.Record{
		{Row: 2, FullName: "PEREZ GOMEZ, JOSE L.", BirthDate: paradero.PartialDate{Year: 1990, Month: 2, Day: 4}, ANumber: "A123456789",
			Facility: "CECOT", EventDate: paradero.DateRange{From: paradero.PartialDate{Year: 2025, Month: 3, Day: 16}}},
		{Row: 3, FullName: "Marta Núñez", BirthDate: paradero.PartialDate{Year: 1988}},
	}
	importList(&paradero.Source{Kind: paradero.KindCourtFiling, Title: "Habeas 2025-17", Filename: "habeas.csv", MediaType: "text/csv",
		Published: paradero.PartialDate{Year: 2025, Month: 3, Day: 20}}, second)
	_, err = log.Checkpoint(ctx)
	must(err)
	clusters := [][]int64{{first[0].ID, second[0].ID}}
	for _, r := range append(first[1:], second[1]) {
		clusters = append(clusters, []int64{r.ID})
	}
	must(db.SaveLinkRun(ctx, &paradero.LinkRun{CreatedBy: "cli:test", Settings: []byte("{}")}, clusters,
		[]paradero.ReviewPair{{RecordA: first[3].ID, RecordB: second[1].ID, Probability: 0.4, Weight: 9.1, Explanation: []byte(`{}`)}}))
	jose, err := db.FindPersonOfRecord(ctx, first[0].ID)
	must(err)

	// A user of each role, a second lawyer and a second family member
	// (someone else's objects), each with a password no input holds.
	secret := make([]byte, 24)
	rand.Read(secret)
	hash, err := web.HashPassword(base64.StdEncoding.EncodeToString(secret), cheapParams)
	must(err)
	var lawyer2, family2 *paradero.User
	for _, email := range []string{"admin", "documenter", "lawyer", "family", "public", "lawyer2", "family2"} {
		role := paradero.Role(strings.TrimSuffix(email, "2"))
		u := &paradero.User{Email: email + "@example.org", Name: "Nombre " + scriptName, Role: role, Language: "es", PasswordHash: hash}
		must(db.CreateUser(ctx, u))
		switch email {
		case "lawyer2":
			lawyer2 = u
		case "family2":
			family2 = u
		default:
			a.users[role] = u
		}
	}

	// Cases: the lawyer's (María) and no lawyer's (José), each with a
	// deadline and an order; violations against each.
	mine := &paradero.Case{Kind: paradero.CaseHabeas, Title: "Hábeas de María", Status: paradero.CaseOpen,
		People: []paradero.CasePerson{{RecordID: first[3].ID}}, Lawyers: []paradero.CaseLawyer{{UserID: a.users[paradero.RoleLawyer].ID}}}
	other := &paradero.Case{Kind: paradero.CaseRemoval, Title: "Deportación de José", Status: paradero.CaseOpen,
		People: []paradero.CasePerson{{RecordID: first[0].ID}}, Lawyers: []paradero.CaseLawyer{{UserID: lawyer2.ID}}}
	var deadlines, orders []int64
	for _, c := range []*paradero.Case{mine, other} {
		must(db.CreateCase(ctx, c))
		d := &paradero.Deadline{CaseID: c.ID, Kind: paradero.DeadlineHearing, Due: paradero.PartialDate{Year: 2099, Month: 1, Day: 10},
			What: "Audiencia", Status: paradero.DeadlinePending}
		must(db.CreateDeadline(ctx, d))
		o := &paradero.CourtOrder{CaseID: c.ID, Date: paradero.PartialDate{Year: 2025, Month: 3, Day: 15}, Kind: paradero.OrderNotToRemove,
			Text: "No trasladar.", Obeyed: paradero.ComplianceDisobeyed, ObeyedSource: src.ID}
		must(db.CreateCourtOrder(ctx, o))
		deadlines, orders = append(deadlines, d.ID), append(orders, o.ID)
	}
	must(db.AddCaseDocument(ctx, mine.ID, &paradero.CaseDocument{SourceID: src.ID, Note: "lista"}))
	var violations []int64
	for _, r := range []*paradero.Record{first[3], first[0]} {
		v := &paradero.Violation{Type: paradero.ViolationIncommunicado, Date: paradero.DateRange{From: paradero.PartialDate{Year: 2025, Month: 3, Day: 16}},
			Place: "Tecoluca", Perpetrator: "Centros Penales", Victims: []paradero.Victim{{RecordID: r.ID}},
			Sources: []paradero.Citation{{SourceID: src.ID}}}
		must(db.CreateViolation(ctx, v))
		violations = append(violations, v.ID)
	}

	// Tracing requests of both families, follows of both staff, a
	// long-lived API token of the second lawyer.
	var refs []string
	for _, u := range []*paradero.User{a.users[paradero.RoleFamily], family2} {
		tr := &paradero.TracingRequest{SoughtName: "José Pérez", Relationship: "madre", Contact: "+58 412 555 0101",
			LastSeenPlace: "Maracaibo"}
		must(db.CreateTracingRequest(paradero.NewContextWithActor(ctx, u.Actor()), tr))
		refs = append(refs, tr.Ref)
	}
	var follows []int64
	for _, role := range []paradero.Role{paradero.RoleAdmin, paradero.RoleDocumenter} {
		f := &paradero.Follow{UserID: a.users[role].ID, Kind: paradero.FollowPerson, Object: strconv.FormatInt(jose.ID, 10)}
		must(db.CreateFollow(ctx, f))
		follows = append(follows, f.ID)
	}
	tok, _ := paradero.NewAPIToken(lawyer2.ID, "otra", "cli:test", time.Now(), 365*24*time.Hour)
	must(db.CreateAPIToken(ctx, tok))

	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	a.params = map[string]string{
		"persons/{id}": id(jose.ID), "records/{id}": id(first[0].ID), "sources/{id}": id(src.ID),
		"cases/{id}": id(mine.ID), "violations/{id}": id(violations[0]), "follows/{id}": id(follows[1]),
		"tokens/{id}": id(tok.ID), "users/{id}": id(lawyer2.ID),
		"{record}": id(first[3].ID), "{user}": id(a.users[paradero.RoleLawyer].ID), "{did}": id(deadlines[0]),
		"{oid}": id(orders[0]), "{source}": id(src.ID), "{ref}": refs[0], "{a}": id(first[3].ID), "{b}": id(second[1].ID),
		"{token}": "nosuchtoken", "{file}": "persons.csv",
	}

	cat, err := locale.Load()
	must(err)
	a.app, err = web.New(web.Config{
		Store: db, Catalog: cat, Password: cheapParams, SessionTTL: time.Hour, Now: a.now, EstimateWait: time.Minute,
		Prove: func(ctx context.Context, index int64) ([]byte, error) {
			p, err := log.Prove(ctx, index)
			if err != nil {
				return nil, err
			}
			return json.Marshal(p)
		},
	})
	must(err)
	tb.Cleanup(func() { a.app.Close() })
	a.doc, err = readOpenAPI()
	must(err)
	return a
}

// fill makes a path of a route pattern, each {value} from the fixture:
// the lawyer's case, José's person, the first family's request…
func (a *fuzzApp) fill(pattern string) string {
	segs := strings.Split(pattern, "/")
	for i, s := range segs {
		if !strings.HasPrefix(s, "{") {
			continue
		}
		v, ok := a.params[segs[i-1]+"/"+s]
		if !ok {
			v, ok = a.params[s]
		}
		if !ok {
			v = "1"
		}
		segs[i] = v
	}
	return strings.Join(segs, "/")
}

// credentials are what a request carries to act as someone: cookies and
// a CSRF token for the pages, a bearer token for the API.
type credentials struct {
	role   paradero.Role
	user   int64
	cookie string
	csrf   string
	bearer string
}

// as returns credentials for role: a session and an API token, made
// straight in the store and kept from one input to the next until an
// input signs out or revokes the token. Nobody gets a browser's CSRF
// cookie.
func (a *fuzzApp) as(t testing.TB, role paradero.Role) credentials {
	t.Helper()
	ctx := paradero.NewContextWithActor(t.Context(), cliAdmin)
	now := a.now()
	if c, ok := a.creds[role]; ok {
		if role == "" {
			return c
		}
		_, _, errS := a.db.FindSession(ctx, sha256.Sum256([]byte(strings.TrimPrefix(c.cookie, "paradero_session="))), now)
		_, _, errT := a.db.FindAPITokenByHash(ctx, paradero.APITokenHash(c.bearer), now)
		if errS == nil && errT == nil {
			return c
		}
	}
	c := credentials{role: role, csrf: randomToken43()}
	defer func() { a.creds[role] = c }()
	if role == "" {
		c.cookie = "paradero_csrf=" + c.csrf
		return c
	}
	u := a.users[role]
	c.user = u.ID
	// They outlive most runs (the clock moves on 90 seconds an input); as
	// makes new ones when they expire.
	const life = 365 * 24 * time.Hour
	tok := randomToken43()
	if err := a.db.CreateSession(ctx, &paradero.Session{TokenHash: sha256.Sum256([]byte(tok)), UserID: u.ID, CSRFToken: c.csrf,
		CreatedAt: now, ExpiresAt: now.Add(life), LastSeenAt: now}); err != nil {
		t.Fatal(err)
	}
	c.cookie = "paradero_session=" + tok
	at, secret := paradero.NewAPIToken(u.ID, "fuzz", "cli:test", now, life)
	if err := a.db.CreateAPIToken(ctx, at); err != nil {
		t.Fatal(err)
	}
	c.bearer = secret
	return c
}

// restore undoes what an input may legitimately have done to the
// fixture's users (an administrator may change anyone's role or disable
// them through the API), so the next input acts as the role it names.
func (a *fuzzApp) restore(t testing.TB) {
	ctx := paradero.NewContextWithActor(t.Context(), cliAdmin)
	for role, u := range a.users {
		now, err := a.db.FindUserByID(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if now.Role != role || now.Disabled {
			r, off := role, false
			if _, err := a.db.UpdateUser(ctx, u.ID, paradero.UserUpdate{Role: &r, Disabled: &off}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Every input starts a minute and a half later: rate limits (searches
	// per minute) never carry over, and a login throttle's window (15
	// minutes) passes within ten inputs.
	a.offset.Add(int64(90 * time.Second))
}

func randomToken43() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// serve runs one request through the application, in this goroutine, so
// that a panic fails the input with its stack.
func (a *fuzzApp) serve(req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	a.app.ServeHTTP(rec, req)
	return rec
}

// newRequest builds a request to target, or nil when target is not a
// path a client could send.
func newRequest(tb testing.TB, method, target string, body []byte) *http.Request {
	if !strings.HasPrefix(target, "/") || strings.HasPrefix(target, "//") || len(target) > 4096 {
		return nil
	}
	req, err := http.NewRequestWithContext(tb.Context(), method, "http://paradero.test"+target, bytes.NewReader(body))
	if err != nil || req.URL.Host != "paradero.test" {
		return nil
	}
	req.RemoteAddr = "192.0.2.7:4321"
	return req
}

// Pages.

// postRoutes are the patterns of every unsafe route of the pages, read
// from routes.go.
func postRoutes(tb testing.TB) []string {
	b, err := os.ReadFile("routes.go")
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, m := range regexp.MustCompile(`"(POST|PUT|PATCH|DELETE) (/[^"]*)"`).FindAllStringSubmatch(string(b), -1) {
		out = append(out, m[2])
	}
	if len(out) < 10 {
		tb.Fatalf("found only %d unsafe routes in routes.go; is the pattern right?", len(out))
	}
	return out
}

// formSeeds are the forms the pages offer, as each role sees them: the
// action and the fields, each with its default value or, when empty,
// something plausible — a first guess the fuzzer mutates from.
func (a *fuzzApp) formSeeds() map[string][]url.Values {
	plausible := map[string]string{
		"due": "2099-01-10", "date": "2025-03-15", "from": "2025-03-16", "opened": "2025-03-20", "published": "16/03/2025",
		"what": "Audiencia", "title": "Prueba " + imgName, "text": "Orden", "place": "Tecoluca", "perpetrator": "Centros Penales",
		"court": "Sala", "number": "HC 1", "notes": "notas", "note": "nota", "close_note": "nota", "reason": "prueba",
		"message": "mensaje", "sought_name": "José Pérez", "relationship": "madre", "contact": "+58 412 555 0101",
		"last_seen_place": "Maracaibo", "name": "Pérez", "email": "admin@example.org", "password": "x", "code": "123456",
		"victims": "record:" + a.params["{record}"], "sources": "source:" + a.params["{source}"],
		"person": "record:" + a.params["{record}"], "record": a.params["{record}"], "source": a.params["{source}"],
		"target": "person:" + a.params["persons/{id}"],
	}
	seeds := make(map[string][]url.Values)
	seen := make(map[string]bool)
	pages := []string{"/", "/stats", "/login", "/search", "/review", "/import", "/tracing", "/tracing/new", "/alerts", "/follows",
		"/cases", "/cases/new", "/violations", "/violations/new", "/account/two-factor", "/account/two-factor/setup",
		a.fill("/persons/{id}"), a.fill("/cases/{id}"), a.fill("/cases/{id}/edit"), a.fill("/violations/{id}/edit"),
		a.fill("/review/{a}/{b}"), a.fill("/tracing/{ref}"), a.fill("/tracing/{ref}/candidates")}
	for _, role := range []paradero.Role{"", paradero.RoleAdmin, paradero.RoleLawyer, paradero.RoleFamily} {
		for _, p := range pages {
			c := a.as(a.tb, role)
			req := newRequest(a.tb, "GET", p, nil)
			req.Header.Set("Cookie", c.cookie)
			doc, err := html.Parse(a.serve(req).Body)
			if err != nil {
				continue
			}
			for _, f := range findAll(doc, "form") {
				if !strings.EqualFold(attr(f, "method"), "post") {
					continue
				}
				v := url.Values{}
				walk(f, func(n *html.Node) {
					name := attr(n, "name")
					if n.Type != html.ElementNode || name == "" || name == "csrf" {
						return
					}
					switch n.Data {
					case "input":
						switch attr(n, "type") {
						case "checkbox":
							if !hasAttr(n, "checked") {
								return
							}
						case "radio":
							if v.Has(name) && !hasAttr(n, "checked") {
								return
							}
							v.Del(name)
						}
						v.Add(name, attr(n, "value"))
					case "textarea":
						v.Add(name, text(n))
					case "select":
						if opts := findAll(n, "option"); len(opts) > 0 {
							v.Add(name, attr(opts[len(opts)-1], "value"))
						}
					case "button":
						if attr(n, "value") != "" {
							v.Set(name, attr(n, "value"))
						}
					}
				})
				for k, vs := range v {
					if len(vs) == 1 && vs[0] == "" && plausible[k] != "" {
						v.Set(k, plausible[k])
					}
				}
				action := attr(f, "action")
				if key := action + "?" + v.Encode(); !seen[key] {
					seen[key] = true
					seeds[action] = append(seeds[action], v)
				}
			}
		}
	}
	return seeds
}

// FuzzForms posts an arbitrary form body to an arbitrary path as role,
// with the session's CSRF token first. kind 1 sends the body as the
// content of a multipart form (with the token as its first part) instead
// of form-encoded.
func FuzzForms(f *testing.F) {
	a := newFuzzApp(f)
	forms := a.formSeeds()
	for _, pattern := range postRoutes(f) {
		p := a.fill(pattern)
		vs := forms[p]
		if len(vs) == 0 {
			vs = []url.Values{{}}
		}
		for _, role := range []paradero.Role{paradero.RoleAdmin, paradero.RoleLawyer, paradero.RoleFamily} {
			f.Add(roleIndex(role), uint8(0), p, []byte(vs[0].Encode()))
		}
		f.Add(roleIndex(""), uint8(1), p, []byte(vs[len(vs)-1].Encode()))
	}
	// Multipart bodies go on from the CSRF part's value.
	part := "\r\n--fuzzboundary\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nroster" +
		"\r\n--fuzzboundary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"l.csv\"\r\n" +
		"Content-Type: text/csv\r\n\r\nnombre;nacimiento\r\nAna;1990\r\n--fuzzboundary--\r\n"
	f.Add(roleIndex(paradero.RoleDocumenter), uint8(1), "/import", []byte(part))
	f.Add(roleIndex(paradero.RoleFamily), uint8(1), "/tracing", []byte(strings.ReplaceAll(part, "kind", "sought_name")))
	f.Fuzz(func(t *testing.T, role, kind uint8, target string, body []byte) {
		defer a.restore(t)
		c := a.as(t, fuzzRole(role))
		ctype := "application/x-www-form-urlencoded"
		if kind%2 == 1 {
			var b bytes.Buffer
			mw := multipart.NewWriter(&b)
			mw.SetBoundary("fuzzboundary")
			mw.WriteField("csrf", c.csrf)
			b.Write(body)
			ctype, body = mw.FormDataContentType(), b.Bytes()
		} else {
			body = append([]byte("csrf="+c.csrf+"&"), body...)
		}
		req := newRequest(t, "POST", target, body)
		if req == nil {
			return
		}
		req.Header.Set("Content-Type", ctype)
		req.Header.Set("Cookie", c.cookie)
		before := a.state(t)
		rec := a.serve(req)
		checkPage(t, req, rec)
		a.checkWrites(t, c, before)
	})
}

// FuzzUpload sends a file to the import page (and confirms the import
// when the preview offers it) or to the API's import, as role: fields
// (form-encoded) give kind, title and published.
func FuzzUpload(f *testing.F) {
	a := newFuzzApp(f)
	csvFile := "nombre;nacimiento\r\nJosé Pérez Gómez;1990-04-02\r\n" + scriptName + ";\r\n"
	for _, role := range []paradero.Role{paradero.RoleAdmin, paradero.RoleDocumenter, paradero.RoleFamily} {
		for api := range 2 {
			f.Add(roleIndex(role), api == 1, "kind=roster&title=Lista&published=16/03/2025", "lista.csv", []byte(csvFile), true)
		}
	}
	f.Add(roleIndex(paradero.RoleAdmin), false, "kind=roster", "../../etc/passwd", []byte("a,b\n1,2\n"), true)
	f.Add(roleIndex(paradero.RoleAdmin), false, "kind=court_filing", `x"><img src=x onerror=alert(1)>.jsonl`, []byte(`{"nombre":"Ana"}`+"\n"), true)
	f.Add(roleIndex(paradero.RoleDocumenter), true, "kind=roster&published=2025-02", "l.xlsx", []byte("PK\x03\x04garbage"), true)
	f.Add(roleIndex(paradero.RoleAdmin), false, "kind=roster", "l.csv", []byte("nombre\n31/02/1990;\xff\xfe\x00\n"), false)
	f.Add(roleIndex(paradero.RoleLawyer), true, "kind=roster", "l.csv", []byte(csvFile), true)
	f.Fuzz(func(t *testing.T, role uint8, api bool, fields, filename string, content []byte, confirm bool) {
		defer a.restore(t)
		c := a.as(t, fuzzRole(role))
		vals, _ := url.ParseQuery(fields)
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		if !api {
			mw.WriteField("csrf", c.csrf)
		}
		for _, k := range slices.Sorted(maps.Keys(vals)) {
			for _, v := range vals[k] {
				mw.WriteField(k, v)
			}
		}
		if fw, err := mw.CreateFormFile("file", filename); err == nil {
			fw.Write(content)
		}
		mw.Close()
		before := a.state(t)
		if api {
			target := "/api/v1/sources?dry_run=true"
			if confirm {
				target = "/api/v1/sources"
			}
			req := newRequest(t, "POST", target, b.Bytes())
			req.Header.Set("Content-Type", mw.FormDataContentType())
			if c.bearer != "" {
				req.Header.Set("Authorization", "Bearer "+c.bearer)
			}
			rec := a.serve(req)
			a.checkAPI(t, req, rec)
			a.checkWrites(t, c, before)
			return
		}
		req := newRequest(t, "POST", "/import", b.Bytes())
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Cookie", c.cookie)
		rec := a.serve(req)
		doc := checkPage(t, req, rec)
		a.checkWrites(t, c, before)
		if !confirm || doc == nil {
			return
		}
		for _, form := range findAll(doc, "form") {
			action := attr(form, "action")
			if !strings.HasPrefix(action, "/import/") {
				continue
			}
			before := a.state(t)
			req := newRequest(t, "POST", action, []byte(url.Values{"csrf": {c.csrf}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Cookie", c.cookie)
			checkPage(t, req, a.serve(req))
			a.checkWrites(t, c, before)
		}
	})
}

// checkPage checks a page's answer to an unsafe request: no server error,
// a redirect within the site, or a whole page with nothing executable in
// it. It returns the page, or nil for a redirect.
func checkPage(t *testing.T, req *http.Request, rec *httptest.ResponseRecorder) *html.Node {
	t.Helper()
	what := req.Method + " " + req.URL.RequestURI()
	if rec.Code >= 500 {
		t.Fatalf("%s = %d:\n%.2000s", what, rec.Code, rec.Body.String())
	}
	if rec.Code >= 300 && rec.Code < 400 {
		loc := rec.Header().Get("Location")
		if !localTarget(loc) {
			t.Fatalf("%s = %d to %q, a redirect off the site", what, rec.Code, loc)
		}
		return nil
	}
	if ct := rec.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Fatalf("%s = %d with Content-Type %q, want a page", what, rec.Code, ct)
	}
	doc, err := html.Parse(bytes.NewReader(rec.Body.Bytes()))
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if len(findAll(doc, "main")) != 1 || !strings.HasSuffix(strings.TrimSpace(rec.Body.String()), "</html>") {
		t.Fatalf("%s = %d: not a whole page:\n%.2000s", what, rec.Code, rec.Body.String())
	}
	if err := inertHTML(doc, 0); err != nil {
		t.Fatalf("%s = %d: %v", what, rec.Code, err)
	}
	return doc
}

// localTarget reports whether a link or redirect stays on this site.
func localTarget(u string) bool {
	if !strings.HasPrefix(u, "/") || strings.HasPrefix(u, "//") || strings.HasPrefix(u, `/\`) {
		return false
	}
	p, err := url.Parse(u)
	return err == nil && p.Host == "" && p.Scheme == ""
}

// inertHTML returns an error naming the first thing in doc that a browser
// could run or that would leave the site: a script, frame, object or
// image element, an event-handler or style attribute, a base element, a
// meta refresh, a URL with a scheme other than http(s) or mailto, a form
// sent elsewhere. styles is how many style elements the document may have
// (a self-contained dossier has its own); pages have none.
func inertHTML(doc *html.Node, styles int) error {
	var err error
	nstyle := 0
	walk(doc, func(n *html.Node) {
		if err != nil || n.Type != html.ElementNode {
			return
		}
		switch n.Data {
		case "script", "iframe", "frame", "object", "embed", "img", "base", "applet", "foreignObject",
			"animate", "set", "handler", "listener", "audio", "video", "source", "track", "portal":
			err = fmt.Errorf("a <%s> element", n.Data)
			return
		case "style":
			if nstyle++; nstyle > styles {
				err = fmt.Errorf("a <style> element")
				return
			}
		case "meta":
			if strings.EqualFold(attr(n, "http-equiv"), "refresh") {
				err = fmt.Errorf("a meta refresh")
				return
			}
		case "form":
			if act := attr(n, "action"); act != "" && !localTarget(act) {
				err = fmt.Errorf("a form sent to %q", act)
				return
			}
		}
		for _, at := range n.Attr {
			key := strings.ToLower(at.Key)
			switch {
			case strings.HasPrefix(key, "on"):
				err = fmt.Errorf("<%s %s=%q>", n.Data, at.Key, at.Val)
			case key == "style":
				err = fmt.Errorf("<%s style=%q>", n.Data, at.Val)
			case key == "href" || key == "src" || key == "action" || key == "formaction" || key == "xlink:href" ||
				key == "data" || key == "poster" || key == "srcset" || key == "ping" || key == "background" || key == "cite":
				if !safeURL(at.Val) {
					err = fmt.Errorf("<%s %s=%q>", n.Data, at.Key, at.Val)
				}
			}
			if err != nil {
				return
			}
		}
	})
	return err
}

// safeURL reports whether a URL attribute is relative or http(s)/mailto,
// as a browser reads it: leading spaces and control characters stripped,
// tabs and newlines removed, the scheme in any case.
func safeURL(v string) bool {
	v = strings.TrimLeftFunc(v, func(r rune) bool { return r <= ' ' })
	v = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, v)
	i := strings.IndexAny(v, ":/?#")
	if i <= 0 || v[i] != ':' {
		return true // no scheme: relative
	}
	switch strings.ToLower(v[:i]) {
	case "http", "https", "mailto":
		return true
	}
	return false
}

// The API.

// apiWriteRoutes are the documented operations that take a body or
// change something: method and path pattern under /api/v1.
func (a *fuzzApp) apiWriteRoutes() [][2]string {
	var out [][2]string
	for p, ops := range a.doc.Paths {
		for m := range ops {
			switch m {
			case "post", "put", "patch", "delete":
				out = append(out, [2]string{strings.ToUpper(m), "/api/v1" + p})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i][1]+out[i][0] < out[j][1]+out[j][0] })
	return out
}

var apiMethods = []string{"POST", "PATCH", "DELETE", "PUT"}

// apiBodySeeds are a valid body of each operation that takes JSON, and
// a few that are not quite.
var apiBodySeeds = map[string][]string{
	"/api/v1/tokens":  {`{"name":"script <script>","expires_in_days":30}`, `{"name":"x","user_id":1}`, `{"name":"x","expires_in_days":100000}`},
	"/api/v1/search":  {`{"name":"Pérez","birth_date":"1990","limit":10}`, `{"a_number":"A123456789","offset":-1}`, `{"name":"` + strings.Repeat("a", 300) + `"}`},
	"/api/v1/users":   {`{"email":"n@example.org","name":"Nuevo","role":"documenter"}`, `{"email":"x","role":"root","password":"1"}`},
	"/api/v1/reviews": {`{"verdict":"unsure","reason":"prueba"}`, `{"verdict":"same","reason":""}`, `[]`},
	"/api/v1/users/":  {`{"role":"admin"}`, `{"disabled":true}`, `{"language":"fr","name":null}`},
}

// FuzzAPI sends an arbitrary body to an arbitrary API path with a
// method of apiMethods, as role with a live token: kind picks the method
// (low two bits) and the content type (the next: JSON, none, text).
func FuzzAPI(f *testing.F) {
	a := newFuzzApp(f)
	for _, rt := range a.apiWriteRoutes() {
		p := a.fill(rt[1])
		m := uint8(slices.Index(apiMethods, rt[0]))
		var bodies []string
		for prefix, bs := range apiBodySeeds {
			if strings.HasPrefix(rt[1], prefix) {
				bodies = append(bodies, bs...)
			}
		}
		if len(bodies) == 0 {
			bodies = []string{"{}"}
		}
		for i, b := range bodies {
			f.Add(roleIndex(fuzzRoles[1+i%(len(fuzzRoles)-1)]), m, p, []byte(b))
		}
		f.Add(roleIndex(""), m, p, []byte(bodies[0]))
	}
	f.Fuzz(func(t *testing.T, role, kind uint8, target string, body []byte) {
		defer a.restore(t)
		c := a.as(t, fuzzRole(role))
		req := newRequest(t, apiMethods[kind%4], target, body)
		if req == nil || !strings.HasPrefix(req.URL.Path, "/api/") {
			return
		}
		switch (kind / 4) % 3 {
		case 0:
			req.Header.Set("Content-Type", "application/json")
		case 2:
			req.Header.Set("Content-Type", "text/plain")
		}
		if c.bearer != "" {
			req.Header.Set("Authorization", "Bearer "+c.bearer)
		}
		before := a.state(t)
		rec := a.serve(req)
		a.checkAPI(t, req, rec)
		a.checkWrites(t, c, before)
	})
}

// cleanPath is path as http.ServeMux cleans it before routing.
func cleanPath(p string) string {
	np := pathpkg.Clean(p)
	if strings.HasSuffix(p, "/") && np != "/" {
		np += "/"
	}
	return np
}

// apiErrorCodes are the codes of the one error format (api.go).
var apiErrorCodes = []string{"invalid", "unauthorized", "forbidden", "not_found", "conflict", "unavailable", "internal",
	"too_large", "rate_limited", "unprocessable", "unsupported_media_type"}

// checkAPI checks an API answer: no server error, JSON, the error format
// for a failure, and what the OpenAPI document says of the route.
func (a *fuzzApp) checkAPI(t *testing.T, req *http.Request, rec *httptest.ResponseRecorder) {
	t.Helper()
	what := req.Method + " " + req.URL.RequestURI()
	body := rec.Body.Bytes()
	if rec.Code >= 500 {
		t.Fatalf("%s = %d:\n%.2000s", what, rec.Code, body)
	}
	if rec.Code >= 300 && rec.Code < 400 && cleanPath(req.URL.Path) != req.URL.Path {
		// The mux sends a path with "." or ".." segments, or doubled
		// slashes, to its clean form, before any route sees it.
		if loc := rec.Header().Get("Location"); !localTarget(loc) {
			t.Fatalf("%s = %d to %q, a redirect off the site", what, rec.Code, loc)
		}
		return
	}
	ct := rec.Header().Get("Content-Type")
	if mt, _, _ := mime.ParseMediaType(ct); mt != "application/json" || !json.Valid(body) {
		t.Fatalf("%s = %d with Content-Type %q and a body that is JSON: %v\n%.2000s", what, rec.Code, ct, json.Valid(body), body)
	}
	if rec.Code >= 400 {
		var e struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
				Lines   []struct {
					Line, Column int
					Reason       string
				} `json:"lines"`
			} `json:"error"`
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil || !slices.Contains(apiErrorCodes, e.Error.Code) || e.Error.Message == "" {
			t.Fatalf("%s = %d: not the error format (%v):\n%.2000s", what, rec.Code, err, body)
		}
	}
	if a.doc.documented(req.Method, req.URL.Path) {
		if err := a.doc.checkResponse(req.Method, req.URL.Path, rec.Code, ct, body); err != nil {
			t.Fatalf("%s: the answer does not follow the OpenAPI document: %v\n%.2000s", what, err, body)
		}
	}
}

// The store's state, and who may change what.

// tableState is a table's rows, each by its content.
type tableState struct {
	cols []string
	rows map[string][]any
}

// dbState is every table of the store but those whose changes need no
// check (ignoredTables).
type dbState map[string]*tableState

// ignoredTables change on any request, by anyone, and hold nothing a role
// could abuse: the append-only audit log, sessions and sign-in
// challenges (made and ended by signing in and out), and the search
// index, which catches up with the records whoever searches.
var ignoredTables = map[string]bool{"audit_log": true, "sessions": true, "login_challenges": true,
	"search_terms": true, "search_vocab": true, "search_state": true, "sqlite_sequence": true}

// openReadOnly opens a second, read-only connection to db's file.
func openReadOnly(tb testing.TB, db *sqlite.DB) *sql.DB {
	tb.Helper()
	ro, err := sql.Open("sqlite", "file:"+filepath.ToSlash(filepath.Join(db.Dir(), sqlite.DatabaseFile))+"?mode=ro")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ro.Close() })
	return ro
}

func (a *fuzzApp) state(t testing.TB) dbState { return readState(t, a.ro) }

// readState reads every table of the store through ro.
func readState(t testing.TB, ro *sql.DB) dbState {
	t.Helper()
	ctx := t.Context()
	tables, err := ro.QueryContext(ctx, `SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for tables.Next() {
		var n string
		if err := tables.Scan(&n); err != nil {
			t.Fatal(err)
		}
		if !ignoredTables[n] {
			names = append(names, n)
		}
	}
	tables.Close()
	st := make(dbState, len(names))
	for _, n := range names {
		rows, err := ro.QueryContext(ctx, `SELECT * FROM "`+n+`"`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		ts := &tableState{cols: cols, rows: make(map[string][]any)}
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			ts.rows[fmt.Sprintf("%#v", vals)] = vals
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		st[n] = ts
	}
	return st
}

// changedRow is a row a request added or removed (an update is both).
type changedRow struct {
	table string
	added bool
	row   map[string]any
}

func diffStates(before, after dbState) []changedRow {
	var out []changedRow
	for name, b := range before {
		a := after[name]
		if a == nil {
			a = &tableState{cols: b.cols}
		}
		for k, v := range b.rows {
			if _, ok := a.rows[k]; !ok {
				out = append(out, changedRow{table: name, row: rowMap(b.cols, v)})
			}
		}
		for k, v := range a.rows {
			if _, ok := b.rows[k]; !ok {
				out = append(out, changedRow{table: name, added: true, row: rowMap(a.cols, v)})
			}
		}
	}
	for name, a := range after {
		if before[name] == nil {
			for _, v := range a.rows {
				out = append(out, changedRow{table: name, added: true, row: rowMap(a.cols, v)})
			}
		}
	}
	return out
}

func rowMap(cols []string, vals []any) map[string]any {
	m := make(map[string]any, len(cols))
	for i, c := range cols {
		m[c] = vals[i]
	}
	return m
}

func asInt(v any) int64 {
	switch v := v.(type) {
	case int64:
		return v
	case []byte:
		n, _ := strconv.ParseInt(string(v), 10, 64)
		return n
	case string:
		n, _ := strconv.ParseInt(v, 10, 64)
		return n
	}
	return 0
}

// staffTables are written only by those who handle evidence (admin,
// documenter): imports, reviews, link runs, violations, tracing decisions
// and answers, and the notices their changes may raise.
var staffTables = map[string]bool{
	"sources": true, "records": true, "redactions": true, "ledger_entries": true, "checkpoints": true,
	"reviews": true, "link_runs": true, "person_records": true, "person_lineage": true, "review_queue": true,
	"violations": true, "violation_victims": true, "violation_sources": true,
	"tracing_answer_records": true, "tracing_candidates": true, "alert_notices": true, "alert_outbox": true,
}

// caseTables are the cases' tables: staff write any row; a lawyer, rows
// of their own cases as writeRules says.
var caseTables = map[string]bool{"cases": true, "case_people": true, "case_lawyers": true, "case_deadlines": true,
	"case_orders": true, "case_documents": true, "case_changes": true}

// writeRule decides whether c's request may have added or removed a row.
// It returns "" if so, else why not.
func (a *fuzzApp) writeRule(c credentials, before, after dbState, ch changedRow) string {
	staff := c.role == paradero.RoleAdmin || c.role == paradero.RoleDocumenter
	own := c.user != 0 && asInt(ch.row["user_id"]) == c.user
	switch t := ch.table; {
	case staffTables[t]:
		if staff {
			return ""
		}
	case caseTables[t]:
		if staff {
			return ""
		}
		if c.role == paradero.RoleLawyer {
			return lawyerCaseRule(c, before, after, ch)
		}
	case t == "watch_sightings" || t == "watch_state":
		return "only the watch writes its state"
	case t == "follows" || t == "twofactor" || t == "recovery_codes":
		if own {
			return ""
		}
	case t == "alerts" || t == "alert_items":
		if own || staff {
			return ""
		}
	case t == "api_tokens":
		if own || c.role == paradero.RoleAdmin {
			return ""
		}
	case t == "tracing_requests":
		if staff || c.role == paradero.RoleFamily && asInt(ch.row["requester_id"]) == c.user {
			return ""
		}
	case t == "users":
		if c.role == paradero.RoleAdmin {
			return ""
		}
		if c.user == 0 || asInt(ch.row["id"]) != c.user {
			return "another user's account"
		}
		// One's own account: the language and second factor only.
		for _, v := range before["users"].rows {
			old := rowMap(before["users"].cols, v)
			if asInt(old["id"]) != c.user {
				continue
			}
			for _, col := range []string{"email", "name", "role", "password_hash", "disabled"} {
				if fmt.Sprintf("%#v", old[col]) != fmt.Sprintf("%#v", ch.row[col]) {
					return "own account's " + col
				}
			}
			return ""
		}
	default:
		return "a table writeRule does not know: give it a rule"
	}
	return "not for this role"
}

// lawyerCaseRule: a lawyer changes their own cases' facts, deadlines and
// orders, and opens cases, which are assigned to them; linking people,
// assigning lawyers and citing documents is for who manages cases.
func lawyerCaseRule(c credentials, before, after dbState, ch changedRow) string {
	mine := make(map[int64]bool)
	for _, v := range before["case_lawyers"].rows {
		r := rowMap(before["case_lawyers"].cols, v)
		if asInt(r["user_id"]) == c.user {
			mine[asInt(r["case_id"])] = true
		}
	}
	created := make(map[int64]bool)
	old := make(map[int64]bool)
	for _, v := range before["cases"].rows {
		old[asInt(rowMap(before["cases"].cols, v)["id"])] = true
	}
	for _, v := range after["cases"].rows {
		if id := asInt(rowMap(after["cases"].cols, v)["id"]); !old[id] {
			created[id] = true
		}
	}
	var caseID int64
	switch ch.table {
	case "cases":
		caseID = asInt(ch.row["id"])
	case "case_changes":
		s, _ := ch.row["subject"].(string)
		id, ok := strings.CutPrefix(s, "case:")
		if !ok {
			return "a change to " + s
		}
		caseID, _ = strconv.ParseInt(id, 10, 64)
	case "case_lawyers":
		if created[asInt(ch.row["case_id"])] && asInt(ch.row["user_id"]) == c.user && ch.added {
			return ""
		}
		return "assigning lawyers"
	case "case_deadlines", "case_orders":
		caseID = asInt(ch.row["case_id"])
	default:
		return "managing a case"
	}
	if mine[caseID] || created[caseID] {
		return ""
	}
	return "another lawyer's case"
}

// checkWrites fails the input if its request added or removed a row c's
// role may not.
func (a *fuzzApp) checkWrites(t *testing.T, c credentials, before dbState) {
	t.Helper()
	after := a.state(t)
	for _, ch := range diffStates(before, after) {
		if why := a.writeRule(c, before, after, ch); why != "" {
			verb := "removed"
			if ch.added {
				verb = "added"
			}
			t.Fatalf("as %q (user %d): a row of %s was %s (%s): %v", c.role, c.user, ch.table, verb, why, ch.row)
		}
	}
}

// TestFuzzSeedsCoverEveryRoute checks that the fuzz targets reach every
// unsafe route of the pages and of the API: each seed path is routed by
// the pattern it was made from.
func TestFuzzSeedsCoverEveryRoute(t *testing.T) {
	a := newFuzzApp(t)
	mux := http.NewServeMux()
	for _, p := range postRoutes(t) {
		mux.HandleFunc("POST "+p, func(http.ResponseWriter, *http.Request) {})
	}
	for _, p := range postRoutes(t) {
		req := httptest.NewRequest("POST", a.fill(p), nil)
		if _, got := mux.Handler(req); got != "POST "+p {
			t.Errorf("the seed for POST %s is %s, routed to %q", p, a.fill(p), got)
		}
	}
	routes := a.apiWriteRoutes()
	if len(routes) < 5 {
		t.Fatalf("only %d API write routes documented", len(routes))
	}
	for _, rt := range routes {
		if !slices.Contains(apiMethods, rt[0]) {
			t.Errorf("%s %s: FuzzAPI sends no %s", rt[0], rt[1], rt[0])
		}
		if !a.doc.documented(rt[0], a.fill(rt[1])) {
			t.Errorf("the seed for %s %s is %s, which the document does not describe", rt[0], rt[1], a.fill(rt[1]))
		}
	}
}

package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paradero/paradero"
)

// apiToken makes an API token for the fixture's user of role, straight in
// the store, and returns its secret.
func (w *world) apiToken(role paradero.Role) string {
	w.t.Helper()
	tok, secret := paradero.NewAPIToken(w.users[role].ID, "prueba", "cli:test", time.Now(), 24*time.Hour)
	if err := w.db.CreateAPIToken(w.t.Context(), tok); err != nil {
		w.t.Fatal(err)
	}
	return secret
}

// apiClient calls the API with a bearer token (none when empty) and checks
// every answer against the OpenAPI document.
type apiClient struct {
	w      *world
	token  string
	header []string // more headers, name then value
}

var (
	docOnce sync.Once
	docErr  error
	theDoc  *openAPI
)

// openAPI is the document, read once for every test.
func (w *world) openAPI() *openAPI {
	w.t.Helper()
	docOnce.Do(func() { theDoc, docErr = readOpenAPI() })
	if docErr != nil {
		w.t.Fatal(docErr)
	}
	return theDoc
}

func (w *world) api(role paradero.Role) *apiClient {
	w.t.Helper()
	c := &apiClient{w: w}
	if role != "" {
		c.token = w.apiToken(role)
	}
	return c
}

type apiResp struct {
	status int
	header http.Header
	body   []byte
}

// decode reads the body into v, failing the test if it does not fit.
func (r *apiResp) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decoding %s: %v", r.body, err)
	}
}

// errorCode is the code of an error body, or "".
func (r *apiResp) errorCode() string {
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	json.Unmarshal(r.body, &e)
	return e.Error.Code
}

func (c *apiClient) send(method, path string, body io.Reader, contentType string, header ...string) *apiResp {
	t := c.w.t
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, c.w.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	hs := append(slices.Clone(c.header), header...)
	for i := 0; i+1 < len(hs); i += 2 {
		req.Header.Set(hs[i], hs[i+1])
	}
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(path)
	doc := c.w.openAPI()
	if doc.documented(method, u.Path) {
		if err := doc.checkResponse(method, u.Path, resp.StatusCode, resp.Header.Get("Content-Type"), b); err != nil {
			t.Errorf("the answer does not follow the OpenAPI document: %v\n%s", err, b)
		}
	}
	return &apiResp{status: resp.StatusCode, header: resp.Header, body: b}
}

func (c *apiClient) get(path string) *apiResp { c.w.t.Helper(); return c.send("GET", path, nil, "") }

// json sends v as a JSON body.
func (c *apiClient) json(method, path string, v any) *apiResp {
	c.w.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		c.w.t.Fatal(err)
	}
	return c.send(method, path, bytes.NewReader(b), "application/json")
}

// upload posts a file to the import route.
func (c *apiClient) upload(query string, fields map[string]string, name, content string) *apiResp {
	c.w.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	if name != "" {
		fw, _ := mw.CreateFormFile("file", name)
		fw.Write([]byte(content))
	}
	mw.Close()
	return c.send("POST", "/api/v1/sources"+query, &body, mw.FormDataContentType())
}

// apiRequest is one request of the authorisation matrix.
type apiRequest struct {
	method, path string
	body         any    // JSON, unless upload
	upload       string // a CSV file to import (dry run)
}

func (c *apiClient) do(rq apiRequest) *apiResp {
	c.w.t.Helper()
	switch {
	case rq.upload != "":
		return c.upload("?dry_run=true", map[string]string{"kind": "roster"}, "lista.csv", rq.upload)
	case rq.body != nil:
		return c.json(rq.method, rq.path, rq.body)
	}
	return c.send(rq.method, rq.path, nil, "")
}

// TestAPIAuthorization tries every API route as every role, as nobody and
// with a revoked token. Refusals come before anything is read; what a
// role may not see is not found. Every documented route is tried.
func TestAPIAuthorization(t *testing.T) {
	w := newWorld(t)
	second := w.linked()
	src := fmt.Sprintf("/api/v1/sources/%d", w.source.ID)
	rec := fmt.Sprintf("/api/v1/records/%d", w.records[0].ID)
	person := fmt.Sprintf("/api/v1/persons/%d", w.personOf(w.records[0]))
	pair := fmt.Sprintf("/api/v1/reviews/%d/%d", w.records[3].ID, second[1].ID)
	unaccounted := fmt.Sprintf("/api/v1/reconciliation/unaccounted?on=%d&absent=%d", w.source.ID, second[0].SourceID)
	// A token of the documenter's, for the revocation route: revoking it
	// twice changes nothing, so every role that may, may again.
	victim, _ := paradero.NewAPIToken(w.users[paradero.RoleDocumenter].ID, "to revoke", "cli:test", time.Now(), time.Hour)
	if err := w.db.CreateAPIToken(t.Context(), victim); err != nil {
		t.Fatal(err)
	}
	const (
		ok      = http.StatusOK
		created = http.StatusCreated
		nf      = http.StatusNotFound
		ua      = http.StatusUnauthorized
	)
	staff := [6]int{ua, ok, ok, nf, nf, nf}
	// Expected status for: nobody, admin, documenter, lawyer, family, public.
	routes := []struct {
		rq   apiRequest
		want [6]int
	}{
		{apiRequest{method: "GET", path: "/api/v1/openapi.json"}, [6]int{ok, ok, ok, ok, ok, ok}},
		{apiRequest{method: "GET", path: "/api/v1/stats"}, [6]int{ok, ok, ok, ok, ok, ok}},
		{apiRequest{method: "GET", path: "/api/v1/me"}, [6]int{ua, ok, ok, ok, ok, ok}},
		{apiRequest{method: "GET", path: "/api/v1/tokens"}, [6]int{ua, ok, ok, ok, ok, ok}},
		{apiRequest{method: "POST", path: "/api/v1/tokens", body: map[string]any{"name": "otro"}}, [6]int{ua, created, created, created, created, created}},
		{apiRequest{method: "DELETE", path: fmt.Sprintf("/api/v1/tokens/%d", victim.ID)}, [6]int{ua, ok, ok, nf, nf, nf}},
		{apiRequest{method: "GET", path: "/api/v1/dashboard"}, [6]int{ua, ok, ok, ok, nf, nf}},
		{apiRequest{method: "GET", path: "/api/v1/sources"}, staff},
		{apiRequest{method: "POST", path: "/api/v1/sources", upload: "nombre\nAna Pérez\n"}, staff},
		{apiRequest{method: "GET", path: src}, staff},
		{apiRequest{method: "GET", path: src + "/records"}, staff},
		{apiRequest{method: "GET", path: src + "/file"}, staff},
		{apiRequest{method: "GET", path: src + "/proof"}, staff},
		{apiRequest{method: "GET", path: rec}, staff},
		{apiRequest{method: "GET", path: rec + "/proof"}, staff},
		{apiRequest{method: "GET", path: rec + "/person"}, staff},
		{apiRequest{method: "GET", path: fmt.Sprintf("/api/v1/records/%d", w.redacted.ID)}, staff},
		{apiRequest{method: "GET", path: person}, staff},
		{apiRequest{method: "GET", path: person + "/dossier"}, staff},
		{apiRequest{method: "POST", path: "/api/v1/search", body: map[string]any{"name": "Pérez"}}, staff},
		{apiRequest{method: "GET", path: "/api/v1/reviews"}, staff},
		{apiRequest{method: "GET", path: pair}, staff},
		{apiRequest{method: "POST", path: pair, body: map[string]any{"verdict": "unsure", "reason": "prueba"}}, [6]int{ua, created, created, nf, nf, nf}},
		{apiRequest{method: "GET", path: "/api/v1/reconciliation"}, staff},
		{apiRequest{method: "GET", path: unaccounted}, staff},
		{apiRequest{method: "GET", path: "/api/v1/reconciliation/persons.csv"}, staff},
		{apiRequest{method: "GET", path: "/api/v1/estimate"}, staff},
		{apiRequest{method: "GET", path: "/api/v1/audit"}, [6]int{ua, ok, nf, nf, nf, nf}},
		{apiRequest{method: "GET", path: "/api/v1/users"}, [6]int{ua, ok, nf, nf, nf, nf}},
		{apiRequest{method: "GET", path: fmt.Sprintf("/api/v1/users/%d", w.users[paradero.RolePublic].ID)}, [6]int{ua, ok, nf, nf, nf, nf}},
		{apiRequest{method: "PATCH", path: fmt.Sprintf("/api/v1/users/%d", w.users[paradero.RolePublic].ID), body: map[string]any{"language": "en"}}, [6]int{ua, ok, nf, nf, nf, nf}},
		{apiRequest{method: "POST", path: "/api/v1/users", body: map[string]any{"email": "nueva@example.org", "name": "Nueva", "role": "documenter"}}, [6]int{ua, created, nf, nf, nf, nf}},
		// Missing things, and paths that lead nowhere.
		{apiRequest{method: "GET", path: "/api/v1/sources/999"}, [6]int{ua, nf, nf, nf, nf, nf}},
		{apiRequest{method: "GET", path: "/api/v1/sources/x/records"}, [6]int{ua, nf, nf, nf, nf, nf}},
		{apiRequest{method: "GET", path: "/api/v1/records/999"}, [6]int{ua, nf, nf, nf, nf, nf}},
		{apiRequest{method: "GET", path: "/api/v1/persons/999"}, [6]int{ua, nf, nf, nf, nf, nf}},
		{apiRequest{method: "GET", path: "/api/v1/reviews/1/999"}, [6]int{ua, nf, nf, nf, nf, nf}},
		{apiRequest{method: "GET", path: "/api/v1/users/999"}, [6]int{ua, nf, nf, nf, nf, nf}},
		{apiRequest{method: "DELETE", path: "/api/v1/tokens/999"}, [6]int{ua, nf, nf, nf, nf, nf}},
		{apiRequest{method: "GET", path: "/api/v1/no/such/thing"}, [6]int{nf, nf, nf, nf, nf, nf}},
		{apiRequest{method: "DELETE", path: "/api/v1/sources"}, [6]int{nf, nf, nf, nf, nf, nf}},
	}
	who := []paradero.Role{"", paradero.RoleAdmin, paradero.RoleDocumenter, paradero.RoleLawyer, paradero.RoleFamily, paradero.RolePublic}
	doc := w.openAPI()
	tried := make(map[string]bool)
	for i, role := range who {
		c := w.api(role)
		name := string(role)
		if role == "" {
			name = "nobody"
		}
		for _, rt := range routes {
			r := c.do(rt.rq)
			if want := rt.want[i]; r.status != want {
				t.Errorf("%s %s %s = %d, want %d: %s", name, rt.rq.method, rt.rq.path, r.status, want, r.body)
			}
			u, _ := url.Parse(rt.rq.path)
			if tmpl, ok := doc.templateFor(u.Path); ok && doc.documented(rt.rq.method, u.Path) {
				tried[rt.rq.method+" "+tmpl] = true
			}
		}
	}
	// A dead token is refused on every route, open ones included.
	dead := w.api(paradero.RoleAdmin)
	if r := dead.send("DELETE", "/api/v1/tokens/"+fmt.Sprint(tokenID(t, dead)), nil, ""); r.status != ok {
		t.Fatalf("revoking the admin's own token = %d", r.status)
	}
	for _, rt := range routes {
		if r := dead.do(rt.rq); r.status != ua || r.errorCode() != "unauthorized" {
			t.Errorf("revoked token: %s %s = %d %s, want 401 unauthorized", rt.rq.method, rt.rq.path, r.status, r.errorCode())
		}
	}
	for tmpl, ops := range doc.Paths {
		for m := range ops {
			if key := strings.ToUpper(m) + " " + tmpl; !tried[key] {
				t.Errorf("the authorisation test does not try %s", key)
			}
		}
	}
}

// tokenID is the id of the client's own token.
func tokenID(t *testing.T, c *apiClient) int64 {
	t.Helper()
	var me struct {
		Token struct{ ID int64 } `json:"token"`
	}
	c.get("/api/v1/me").decode(t, &me)
	return me.Token.ID
}

// TestAPISessionDoesNotAuthenticate checks that a signed-in browser's
// session cookie is no credential for the API (so no other site can make
// the browser call it), and that the API sets no cookie.
func TestAPISessionDoesNotAuthenticate(t *testing.T) {
	w := newWorld(t)
	c := w.client()
	c.login(paradero.RoleAdmin)
	r := c.get("/api/v1/sources")
	if r.status != http.StatusUnauthorized || !strings.Contains(r.header.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("the API with a session cookie only = %d %q, want 401 asking for a bearer token", r.status, r.header.Get("WWW-Authenticate"))
	}
	// A POST with the session cookie and the session's CSRF token is
	// refused too.
	r = c.do("POST", "/api/v1/tokens", url.Values{"name": {"x"}, "csrf": {c.csrfFrom("/")}})
	if r.status != http.StatusUnauthorized {
		t.Errorf("a form POST with a session = %d, want 401", r.status)
	}
	api := w.api(paradero.RoleDocumenter)
	for _, p := range []string{"/api/v1/stats", "/api/v1/sources", "/api/v1/no/such"} {
		if got := api.get(p).header.Values("Set-Cookie"); len(got) != 0 {
			t.Errorf("GET %s sets cookies %v", p, got)
		}
	}
	if got := w.api("").get("/api/v1/stats").header.Values("Set-Cookie"); len(got) != 0 {
		t.Errorf("the API sets cookies for nobody: %v", got)
	}
}

// TestAPIHiddenLooksMissing checks that a lawyer asking for a record that
// exists gets, byte for byte, what anyone gets for one that does not, and
// what a path that leads nowhere gets.
func TestAPIHiddenLooksMissing(t *testing.T) {
	w := newWorld(t)
	lawyer := w.api(paradero.RoleLawyer)
	hidden := lawyer.get(fmt.Sprintf("/api/v1/records/%d", w.records[0].ID))
	missing := w.api(paradero.RoleDocumenter).get("/api/v1/records/999")
	nowhere := lawyer.get("/api/v1/nowhere")
	if hidden.status != http.StatusNotFound || !bytes.Equal(hidden.body, missing.body) || !bytes.Equal(hidden.body, nowhere.body) {
		t.Errorf("hidden %d %s, missing %s, nowhere %s: want three equal 404s", hidden.status, hidden.body, missing.body, nowhere.body)
	}
	if got := string(hidden.body); got != `{"error":{"code":"not_found","message":"not found"}}`+"\n" {
		t.Errorf("not found body = %s", got)
	}
	// Every kind of object, and every download, as a lawyer and a family
	// member: the one that exists and the one that does not answer alike.
	w.linked()
	pid := w.personOf(w.records[0])
	for _, role := range []paradero.Role{paradero.RoleLawyer, paradero.RoleFamily, paradero.RolePublic} {
		c := w.api(role)
		for _, p := range []struct{ real, none string }{
			{fmt.Sprintf("/api/v1/sources/%d", w.source.ID), "/api/v1/sources/999"},
			{fmt.Sprintf("/api/v1/sources/%d/records", w.source.ID), "/api/v1/sources/999/records"},
			{fmt.Sprintf("/api/v1/sources/%d/file", w.source.ID), "/api/v1/sources/999/file"},
			{fmt.Sprintf("/api/v1/records/%d/proof", w.records[0].ID), "/api/v1/records/999/proof"},
			{fmt.Sprintf("/api/v1/records/%d/person", w.records[0].ID), "/api/v1/records/999/person"},
			{fmt.Sprintf("/api/v1/persons/%d", pid), "/api/v1/persons/999"},
			{fmt.Sprintf("/api/v1/persons/%d/dossier", pid), "/api/v1/persons/999/dossier"},
			{fmt.Sprintf("/api/v1/persons/%d/dossier?format=doc", pid), "/api/v1/persons/999/dossier?format=doc"},
			{fmt.Sprintf("/api/v1/users/%d", w.users[paradero.RoleAdmin].ID), "/api/v1/users/999"},
		} {
			a, b := c.get(p.real), c.get(p.none)
			if a.status != b.status || !bytes.Equal(a.body, b.body) {
				t.Errorf("%s: %s = %d %s, %s = %d %s: want the same answer", role, p.real, a.status, a.body, p.none, b.status, b.body)
			}
		}
	}
	for _, h := range []string{"Content-Type", "Content-Length", "Cache-Control"} {
		if hidden.header.Get(h) != missing.header.Get(h) {
			t.Errorf("header %s: hidden %q, missing %q", h, hidden.header.Get(h), missing.header.Get(h))
		}
	}
	if ct := hidden.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
}

// TestAPIErrors checks the one error format for each kind of failure.
func TestAPIErrors(t *testing.T) {
	w := newWorld(t)
	doc := w.api(paradero.RoleDocumenter)
	cases := []struct {
		name   string
		r      *apiResp
		status int
		code   string
	}{
		{"no token", w.api("").get("/api/v1/sources"), 401, "unauthorized"},
		{"unknown token", (&apiClient{w: w, token: "pdr_nope"}).get("/api/v1/stats"), 401, "unauthorized"},
		{"not bearer", (&apiClient{w: w, header: []string{"Authorization", "Basic YTpi"}}).get("/api/v1/stats"), 401, "unauthorized"},
		{"bad limit", doc.get("/api/v1/sources?limit=0"), 400, "invalid"},
		{"limit over the bound", doc.get("/api/v1/sources?limit=201"), 400, "invalid"},
		{"bad offset", doc.get("/api/v1/sources?offset=-1"), 400, "invalid"},
		{"bad kind", doc.get("/api/v1/sources?kind=novel"), 400, "invalid"},
		{"not JSON", doc.send("POST", "/api/v1/search", strings.NewReader("name=x"), "application/x-www-form-urlencoded"), 415, "unsupported_media_type"},
		{"broken JSON", doc.send("POST", "/api/v1/search", strings.NewReader(`{"name":`), "application/json"), 400, "invalid"},
		{"unknown field", doc.json("POST", "/api/v1/search", map[string]string{"nombre": "x"}), 400, "invalid"},
		{"two values", doc.send("POST", "/api/v1/search", strings.NewReader(`{"name":"Ana"}{}`), "application/json"), 400, "invalid"},
		{"empty search", doc.json("POST", "/api/v1/search", map[string]string{}), 400, "invalid"},
		{"bad date", doc.json("POST", "/api/v1/search", map[string]string{"birth_date": "2/4/1990"}), 400, "invalid"},
		{"too large", doc.json("POST", "/api/v1/search", map[string]string{"name": strings.Repeat("a", 70<<10)}), 413, "too_large"},
		{"import as JSON", doc.json("POST", "/api/v1/sources", map[string]string{}), 415, "unsupported_media_type"},
	}
	for _, c := range cases {
		if c.r.status != c.status || c.r.errorCode() != c.code {
			t.Errorf("%s: %d %s, want %d %s", c.name, c.r.status, c.r.body, c.status, c.code)
		}
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if err := json.Unmarshal(c.r.body, &e); err != nil || e.Error.Message == "" {
			t.Errorf("%s: body %s is not the error format", c.name, c.r.body)
		}
		if ct := c.r.header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s: Content-Type %q", c.name, ct)
		}
	}
	if got := cases[0].r.header.Get("WWW-Authenticate"); got != `Bearer realm="paradero"` {
		t.Errorf("WWW-Authenticate = %q", got)
	}
	// A too-large body is refused without its content in the answer.
	if r := cases[13].r; bytes.Contains(r.body, []byte("aaaa")) {
		t.Errorf("the refusal echoes the body")
	}
}

// TestAPIPagination walks a source's records two at a time by the next
// links.
func TestAPIPagination(t *testing.T) {
	w := newWorld(t)
	c := w.api(paradero.RoleDocumenter)
	next := fmt.Sprintf("/api/v1/sources/%d/records?limit=2", w.source.ID)
	var ids []int64
	pages := 0
	for next != "" {
		var page struct {
			Items []struct{ ID int64 }
			Total int
			Limit int
			Next  *string
		}
		r := c.get(next)
		if r.status != http.StatusOK {
			t.Fatalf("GET %s = %d %s", next, r.status, r.body)
		}
		r.decode(t, &page)
		if page.Total != len(w.records) || page.Limit != 2 || len(page.Items) > 2 {
			t.Errorf("page %d: total %d, limit %d, %d items", pages, page.Total, page.Limit, len(page.Items))
		}
		for _, it := range page.Items {
			ids = append(ids, it.ID)
		}
		next = ""
		if page.Next != nil {
			next = *page.Next
		}
		if pages++; pages > 5 {
			t.Fatal("the next links do not end")
		}
	}
	var want []int64
	for _, r := range w.records {
		want = append(want, r.ID)
	}
	if pages != 3 || !slices.Equal(ids, want) {
		t.Errorf("walked %d pages, records %v; want 3 pages, %v", pages, ids, want)
	}
	// Past the end: an empty page, no next link.
	var past struct {
		Items []any
		Total int
		Next  *string
	}
	c.get(fmt.Sprintf("/api/v1/sources/%d/records?offset=10", w.source.ID)).decode(t, &past)
	if len(past.Items) != 0 || past.Total != len(w.records) || past.Next != nil || past.Items == nil {
		t.Errorf("past the end: %+v, want an empty list of a total of %d and no next", past, len(w.records))
	}
}

// TestAPIEvidence reads a source, its records, its file and proof, a
// record, a redacted one and a person, and checks that the audit log says
// what the pages' reads would.
func TestAPIEvidence(t *testing.T) {
	w := newWorld(t)
	c := w.api(paradero.RoleDocumenter)
	src := fmt.Sprintf("/api/v1/sources/%d", w.source.ID)
	// Before linkage a record is a person of its own, id null.
	var own struct {
		ID      *int64
		Records []struct{ ID int64 }
		Status  string
	}
	c.get(fmt.Sprintf("/api/v1/records/%d/person", w.records[1].ID)).decode(t, &own)
	if own.ID != nil || len(own.Records) != 1 || own.Records[0].ID != w.records[1].ID || own.Status == "" {
		t.Errorf("own person of record %d = %+v", w.records[1].ID, own)
	}
	w.linked()

	var s struct {
		ID      int64
		Title   string
		SHA256  string
		Records int
		Kind    string
	}
	c.get(src).decode(t, &s)
	if s.ID != w.source.ID || s.Title != "Lista "+scriptName || s.SHA256 != w.source.SHA256.String() || s.Records != 5 || s.Kind != "roster" {
		t.Errorf("source = %+v", s)
	}
	var list struct {
		Items []struct {
			ID int64
		}
		Total int
	}
	c.get("/api/v1/sources?kind=court-filing").decode(t, &list)
	if list.Total != 1 || len(list.Items) != 1 || list.Items[0].ID == w.source.ID {
		t.Errorf("court filings = %+v, want the second source only", list)
	}
	var recs struct {
		Items []struct {
			ID     int64
			Fields map[string]string
			Extra  []struct{ Name, Value string }
		}
	}
	c.get(src+"/records").decode(t, &recs)
	if len(recs.Items) != 5 || recs.Items[1].Fields["full_name"] != scriptName || recs.Items[0].Fields["birth_date"] != "1990-04-02" ||
		recs.Items[0].Extra[0].Name != "columna "+scriptName {
		t.Errorf("records = %+v", recs.Items)
	}
	file := c.get(src + "/file")
	if file.status != http.StatusOK || string(file.body) != w.file || file.header.Get("X-Paradero-SHA256") != w.source.SHA256.String() {
		t.Errorf("file = %d, %d bytes, sha %q", file.status, len(file.body), file.header.Get("X-Paradero-SHA256"))
	}
	var proof struct {
		Format string
		Index  int64
	}
	c.get(src+"/proof").decode(t, &proof)
	if proof.Format != "paradero-proof/1" || proof.Index != w.source.LedgerIndex {
		t.Errorf("proof = %+v", proof)
	}
	var rd struct {
		Record struct {
			ID     int64
			Fields map[string]string
		}
		Source   struct{ ID int64 }
		PersonID *int64 `json:"person_id"`
	}
	c.get(fmt.Sprintf("/api/v1/records/%d", w.records[0].ID)).decode(t, &rd)
	if rd.Record.ID != w.records[0].ID || rd.Source.ID != w.source.ID || rd.PersonID == nil || *rd.PersonID != w.personOf(w.records[0]) {
		t.Errorf("record detail = %+v", rd)
	}
	var red struct {
		Record struct {
			Fields    map[string]string
			Redaction *struct{ Reason string }
		}
	}
	c.get(fmt.Sprintf("/api/v1/records/%d", w.redacted.ID)).decode(t, &red)
	if len(red.Record.Fields) != 0 || red.Record.Redaction == nil || red.Record.Redaction.Reason != redactionReason {
		t.Errorf("redacted record = %+v", red.Record)
	}
	// The person: both records side by side, held at CECOT on 16 March
	// 2025 by the court filing, and flagged as the page flags them.
	var p struct {
		ID      *int64
		Records []struct{ ID int64 }
		Sources []struct{ ID int64 }
		Status  string
		Flag    *struct{ Rule string }
		Events  []struct {
			Kind     string
			Facility string
			Date     struct{ From *string }
			Evidence []struct{ RecordID int64 } `json:"evidence"`
		}
		Lineage []struct{ RecordID int64 } `json:"lineage"`
	}
	pid := w.personOf(w.records[0])
	c.get(fmt.Sprintf("/api/v1/persons/%d", pid)).decode(t, &p)
	if p.ID == nil || *p.ID != pid || len(p.Records) != 2 || len(p.Sources) != 2 || len(p.Lineage) != 2 {
		t.Errorf("person = %+v", p)
	}
	held := false
	for _, e := range p.Events {
		if e.Facility == "CECOT" && e.Date.From != nil && *e.Date.From == "2025-03-16" {
			held = true
		}
	}
	if !held || p.Status != "whereabouts-unknown" || p.Flag == nil || p.Flag.Rule == "" {
		t.Errorf("person's timeline: status %q, flag %+v, events %+v; want held at CECOT on 2025-03-16, whereabouts unknown", p.Status, p.Flag, p.Events)
	}
	// Once linked, a record leads to its person.
	var linked struct{ ID *int64 }
	c.get(fmt.Sprintf("/api/v1/records/%d/person", w.records[0].ID)).decode(t, &linked)
	if linked.ID == nil || *linked.ID != pid {
		t.Errorf("person of record %d = %+v, want %d", w.records[0].ID, linked, pid)
	}
	dossier := c.send("GET", fmt.Sprintf("/api/v1/persons/%d/dossier", pid), nil, "", "Accept-Language", "en")
	if dossier.status != http.StatusOK || !strings.HasPrefix(dossier.header.Get("Content-Type"), "text/html") ||
		!strings.Contains(dossier.header.Get("Content-Disposition"), "-en.html") {
		t.Errorf("dossier = %d %q %q", dossier.status, dossier.header.Get("Content-Type"), dossier.header.Get("Content-Disposition"))
	}

	want := []string{
		fmt.Sprintf("record.view record:%d", w.records[1].ID),
		fmt.Sprintf("source.view source:%d", w.source.ID),
		fmt.Sprintf("source.download source:%d", w.source.ID),
		fmt.Sprintf("proof.download source:%d", w.source.ID),
		fmt.Sprintf("record.view record:%d", w.records[0].ID),
		fmt.Sprintf("record.view record:%d", w.redacted.ID),
		fmt.Sprintf("person.view person:%d", pid),
		fmt.Sprintf("record.view record:%d", w.records[0].ID),
		fmt.Sprintf("person.view person:%d", pid),
		fmt.Sprintf("dossier.export person:%d", pid),
	}
	if got := w.auditOf(paradero.RoleDocumenter); !slices.Equal(got, want) {
		t.Errorf("audit =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestAPISearch finds records with reasons and shares the search page's
// rate limit.
func TestAPISearch(t *testing.T) {
	w := newWorld(t)
	c := w.api(paradero.RoleDocumenter)
	var res struct {
		Items []struct {
			Record  struct{ ID int64 }
			Reasons []struct{ Field, Kind string }
		}
		Total      int
		NextOffset *int `json:"next_offset"`
	}
	r := c.json("POST", "/api/v1/search", map[string]any{"name": "Perez", "birth_date": "1990"})
	if r.status != http.StatusOK {
		t.Fatalf("search = %d %s", r.status, r.body)
	}
	r.decode(t, &res)
	if res.Total != 1 || len(res.Items) != 1 || res.Items[0].Record.ID != w.records[0].ID || len(res.Items[0].Reasons) != 2 || res.NextOffset != nil {
		t.Errorf("search = %s", r.body)
	}
	if got := w.auditOf(paradero.RoleDocumenter); !slices.Equal(got, []string{"search.run"}) {
		t.Errorf("audit = %v, want one search.run naming nothing", got)
	}
	// The limit counts the pages' searches and the API's together.
	page := w.client()
	page.login(paradero.RoleDocumenter)
	page.post("/search", url.Values{"name": {"Ana"}})
	for range 28 {
		c.json("POST", "/api/v1/search", map[string]any{"name": "Ana"})
	}
	r = c.json("POST", "/api/v1/search", map[string]any{"name": "Ana"})
	if r.status != http.StatusTooManyRequests || r.errorCode() != "rate_limited" || r.header.Get("Retry-After") != "60" {
		t.Errorf("search 31 in a minute = %d %s, Retry-After %q; want 429 rate_limited, 60", r.status, r.body, r.header.Get("Retry-After"))
	}
	w.offset.Store(int64(2 * time.Minute))
	if r := c.json("POST", "/api/v1/search", map[string]any{"name": "Ana"}); r.status != http.StatusOK {
		t.Errorf("a minute later: %d", r.status)
	}
}

// TestAPIReview decides a queued pair.
func TestAPIReview(t *testing.T) {
	w := newWorld(t)
	second := w.linked()
	c := w.api(paradero.RoleDocumenter)
	var q struct {
		Items []struct {
			RecordA int64 `json:"record_a"`
			RecordB int64 `json:"record_b"`
		} `json:"items"`
		Total int
	}
	c.get("/api/v1/reviews").decode(t, &q)
	a, b := w.records[3].ID, second[1].ID
	if q.Total != 1 || q.Items[0].RecordA != a || q.Items[0].RecordB != b {
		t.Fatalf("queue = %+v", q)
	}
	pair := fmt.Sprintf("/api/v1/reviews/%d/%d", a, b)
	var d struct {
		Explanation struct {
			Prior  float64
			Fields []struct{ Comparison, ValueA string } `json:"fields"`
		}
		Records []struct{ ID int64 }
	}
	c.get(pair).decode(t, &d)
	if d.Explanation.Prior != -12.5 || len(d.Explanation.Fields) != 4 || len(d.Records) != 2 || d.Records[1].ID != b {
		t.Errorf("pair = %+v", d)
	}
	for _, bad := range []map[string]any{
		{"verdict": "maybe", "reason": "x"},
		{"verdict": "same", "reason": "  "},
		{"verdict": "same", "reason": strings.Repeat("x", 2001)},
	} {
		if r := c.json("POST", pair, bad); r.status != http.StatusBadRequest {
			t.Errorf("decision %v = %d, want 400", bad, r.status)
		}
	}
	r := c.json("POST", pair, map[string]any{"verdict": "different", "reason": "otra persona: otra madre"})
	var x struct {
		ID          int64
		Verdict     string
		CreatedBy   string `json:"created_by"`
		LedgerIndex int64  `json:"ledger_index"`
	}
	r.decode(t, &x)
	if r.status != http.StatusCreated || x.Verdict != "different" || x.CreatedBy != paradero.UserActorName(w.users[paradero.RoleDocumenter].ID) || x.LedgerIndex == 0 {
		t.Errorf("decision = %d %s", r.status, r.body)
	}
	c.get("/api/v1/reviews").decode(t, &q)
	if q.Total != 0 {
		t.Errorf("after the decision the queue holds %d", q.Total)
	}
	if r := c.json("POST", pair, map[string]any{"verdict": "same", "reason": "x"}); r.status != http.StatusNotFound {
		t.Errorf("deciding a pair no longer queued = %d, want 404", r.status)
	}
	got := w.auditOf(paradero.RoleDocumenter)
	want := []string{fmt.Sprintf("record.view record:%d", a), fmt.Sprintf("record.view record:%d", b), fmt.Sprintf("review.create review:%d", x.ID)}
	if !slices.Equal(got, want) {
		t.Errorf("audit = %v, want %v", got, want)
	}
	if cp, err := w.db.LatestCheckpoint(t.Context()); err != nil || cp.Size <= x.LedgerIndex {
		t.Errorf("latest checkpoint = %+v, %v; want one covering entry %d", cp, err, x.LedgerIndex)
	}
}

// TestAPIImport previews a file with errors, refuses to import it, imports
// a good one, and refuses it a second time.
func TestAPIImport(t *testing.T) {
	w := newWorld(t)
	c := w.api(paradero.RoleDocumenter)
	bad := "nombre;nacimiento\nAna Pérez;1990-13-45\nLuis Díaz;1985\n"
	r := c.upload("?dry_run=true", map[string]string{"kind": "roster"}, "mala.csv", bad)
	var dry struct {
		DryRun  bool `json:"dry_run"`
		Preview struct {
			Format  string
			Records int
			Columns []struct{ Name, Key string }
			Errors  []struct {
				Line   int
				Reason string
			}
		}
	}
	r.decode(t, &dry)
	if r.status != http.StatusOK || !dry.DryRun || dry.Preview.Format != "csv" || len(dry.Preview.Errors) != 1 || dry.Preview.Errors[0].Line != 2 ||
		dry.Preview.Columns[0].Key != "full_name" || dry.Preview.Columns[1].Key != "birth_date" {
		t.Errorf("dry run = %d %s", r.status, r.body)
	}
	r = c.upload("", map[string]string{"kind": "roster"}, "mala.csv", bad)
	var e struct {
		Error struct {
			Code  string
			Lines []struct{ Line int }
		}
	}
	r.decode(t, &e)
	if r.status != http.StatusUnprocessableEntity || e.Error.Code != "unprocessable" || len(e.Error.Lines) != 1 || e.Error.Lines[0].Line != 2 {
		t.Errorf("import with an error = %d %s", r.status, r.body)
	}
	good := "nombre;nacimiento\nAna Pérez;1990-03-04\nLuis Díaz;1985\n"
	r = c.upload("", map[string]string{"kind": "court-filing", "title": "Lista nueva", "published": "2025-04"}, "buena.csv", good)
	var imp struct {
		Source struct {
			ID        int64
			Records   int
			Published string
			Kind      string
		}
	}
	r.decode(t, &imp)
	if r.status != http.StatusCreated || imp.Source.Records != 2 || imp.Source.Published != "2025-04" || imp.Source.Kind != "court-filing" ||
		r.header.Get("Location") != fmt.Sprintf("/api/v1/sources/%d", imp.Source.ID) {
		t.Fatalf("import = %d %s (Location %q)", r.status, r.body, r.header.Get("Location"))
	}
	if cp, err := w.db.LatestCheckpoint(t.Context()); err != nil || cp.Size < 10 {
		t.Errorf("checkpoint after the import = %+v, %v", cp, err)
	}
	if r := c.upload("", map[string]string{"kind": "roster"}, "otra.csv", good); r.status != http.StatusConflict {
		t.Errorf("the same file again = %d %s, want 409", r.status, r.body)
	}
	for name, r := range map[string]*apiResp{
		"bad kind":    c.upload("", map[string]string{"kind": "novel"}, "x.csv", good),
		"bad date":    c.upload("", map[string]string{"kind": "roster", "published": "abril"}, "x.csv", good),
		"no file":     c.upload("", map[string]string{"kind": "roster"}, "", ""),
		"empty file":  c.upload("", map[string]string{"kind": "roster"}, "x.csv", ""),
		"bad dry run": c.upload("?dry_run=yes", map[string]string{"kind": "roster"}, "x.csv", good),
	} {
		if r.status != http.StatusBadRequest {
			t.Errorf("%s = %d %s, want 400", name, r.status, r.body)
		}
	}
	if got, want := w.auditOf(paradero.RoleDocumenter), []string{fmt.Sprintf("source.import source:%d", imp.Source.ID)}; !slices.Equal(got, want) {
		t.Errorf("audit = %v, want %v", got, want)
	}
	// Those who may not import may not send a large body either: the
	// body is bounded before it is read.
	big := w.api(paradero.RoleFamily).upload("", map[string]string{"kind": "roster"}, "x.csv", strings.Repeat("a", 100<<10))
	if big.status != http.StatusNotFound {
		t.Errorf("a family member's upload = %d, want 404", big.status)
	}
}

// TestAPITokens makes, lists, uses and revokes tokens through the API.
func TestAPITokens(t *testing.T) {
	w := newWorld(t)
	doc := w.api(paradero.RoleDocumenter)
	r := doc.json("POST", "/api/v1/tokens", map[string]any{"name": "importación nocturna", "expires_in_days": 30})
	var made struct {
		Token struct {
			ID        int64
			UserID    int64     `json:"user_id"`
			ExpiresAt time.Time `json:"expires_at"`
			Active    bool
		}
		Secret string
	}
	r.decode(t, &made)
	if r.status != http.StatusCreated || !strings.HasPrefix(made.Secret, paradero.APITokenPrefix) || made.Token.UserID != w.users[paradero.RoleDocumenter].ID ||
		!made.Token.Active || time.Until(made.Token.ExpiresAt) < 29*24*time.Hour {
		t.Fatalf("made = %d %s", r.status, r.body)
	}
	// The store keeps the hash, never the secret.
	stored, err := w.db.FindAPITokenByID(t.Context(), made.Token.ID)
	if err != nil || stored.TokenHash != paradero.APITokenHash(made.Secret) {
		t.Errorf("stored token = %+v, %v", stored, err)
	}
	fresh := &apiClient{w: w, token: made.Secret}
	if r := fresh.get("/api/v1/sources"); r.status != http.StatusOK {
		t.Errorf("the new token = %d", r.status)
	}
	var mine struct {
		Items []struct {
			UserID int64 `json:"user_id"`
		}
		Total int
	}
	doc.get("/api/v1/tokens").decode(t, &mine)
	if mine.Total != 2 {
		t.Errorf("the documenter lists %d tokens, want 2 (the fixture's and the new one)", mine.Total)
	}
	// Another user's tokens are not found; an administrator sees them all
	// and makes one for anyone.
	lawyer := w.api(paradero.RoleLawyer)
	if r := lawyer.get(fmt.Sprintf("/api/v1/tokens?user_id=%d", w.users[paradero.RoleDocumenter].ID)); r.status != http.StatusNotFound {
		t.Errorf("a lawyer listing a documenter's tokens = %d", r.status)
	}
	if r := lawyer.send("DELETE", fmt.Sprintf("/api/v1/tokens/%d", made.Token.ID), nil, ""); r.status != http.StatusNotFound {
		t.Errorf("a lawyer revoking a documenter's token = %d", r.status)
	}
	if r := lawyer.json("POST", "/api/v1/tokens", map[string]any{"name": "x", "user_id": w.users[paradero.RoleDocumenter].ID}); r.status != http.StatusNotFound {
		t.Errorf("a lawyer making a documenter's token = %d", r.status)
	}
	admin := w.api(paradero.RoleAdmin)
	var all struct{ Total int }
	admin.get("/api/v1/tokens").decode(t, &all)
	if all.Total != 4 {
		t.Errorf("the admin lists %d tokens, want 4", all.Total)
	}
	r = admin.json("POST", "/api/v1/tokens", map[string]any{"name": "para la familia", "user_id": w.users[paradero.RoleFamily].ID})
	if r.status != http.StatusCreated {
		t.Errorf("admin makes a family member's token = %d %s", r.status, r.body)
	}
	for _, bad := range []map[string]any{{"name": ""}, {"name": "x", "expires_in_days": 367}, {"name": "x", "expires_in_days": -1}, {"name": "a\nb"}} {
		if r := doc.json("POST", "/api/v1/tokens", bad); r.status != http.StatusBadRequest {
			t.Errorf("token %v = %d, want 400", bad, r.status)
		}
	}
	if r := admin.json("POST", "/api/v1/tokens", map[string]any{"name": "x", "user_id": 999}); r.status != http.StatusNotFound {
		t.Errorf("a token for no user = %d, want 404", r.status)
	}
	// Revoked, expired, or of a disabled user: refused alike.
	if r := doc.send("DELETE", fmt.Sprintf("/api/v1/tokens/%d", made.Token.ID), nil, ""); r.status != http.StatusOK {
		t.Errorf("revoke = %d", r.status)
	}
	if r := fresh.get("/api/v1/me"); r.status != http.StatusUnauthorized {
		t.Errorf("a revoked token = %d", r.status)
	}
	yes := true
	if _, err := w.db.UpdateUser(t.Context(), w.users[paradero.RoleLawyer].ID, paradero.UserUpdate{Disabled: &yes}); err != nil {
		t.Fatal(err)
	}
	if r := lawyer.get("/api/v1/me"); r.status != http.StatusUnauthorized {
		t.Errorf("a disabled user's token = %d", r.status)
	}
	w.offset.Store(int64(25 * time.Hour))
	if r := doc.get("/api/v1/me"); r.status != http.StatusUnauthorized {
		t.Errorf("an expired token = %d", r.status)
	}
	want := []string{fmt.Sprintf("api-token.create api-token:%d", made.Token.ID), fmt.Sprintf("api-token.revoke api-token:%d", made.Token.ID)}
	if got := w.auditOf(paradero.RoleDocumenter); !slices.Equal(got, want) {
		t.Errorf("audit = %v, want %v", got, want)
	}
}

// TestAPIUsers runs the administration of accounts.
func TestAPIUsers(t *testing.T) {
	w := newWorld(t)
	admin := w.api(paradero.RoleAdmin)
	var list struct {
		Items []struct{ Email string }
		Total int
	}
	admin.get("/api/v1/users?role=lawyer").decode(t, &list)
	if list.Total != 1 || list.Items[0].Email != "lawyer@example.org" {
		t.Errorf("lawyers = %+v", list)
	}
	r := admin.json("POST", "/api/v1/users", map[string]any{"email": " Nueva@Example.org", "name": "Nueva " + scriptName, "role": "lawyer", "language": "en"})
	var made struct {
		User struct {
			ID       int64
			Email    string
			Role     string
			Language string
		}
		Password *string
	}
	r.decode(t, &made)
	if r.status != http.StatusCreated || made.User.Email != "nueva@example.org" || made.Password == nil || len(*made.Password) < 20 {
		t.Fatalf("create = %d %s", r.status, r.body)
	}
	// The password made works on the sign-in page.
	page := w.client()
	if r := page.post("/login", url.Values{"email": {"nueva@example.org"}, "password": {*made.Password}}); r.status != http.StatusSeeOther {
		t.Errorf("signing in with the password made = %d", r.status)
	}
	if r := admin.json("POST", "/api/v1/users", map[string]any{"email": "nueva@example.org", "name": "x", "role": "lawyer"}); r.status != http.StatusConflict {
		t.Errorf("the same address twice = %d, want 409", r.status)
	}
	for _, bad := range []map[string]any{
		{"email": "no", "name": "x", "role": "lawyer"},
		{"email": "a@example.org", "name": "x", "role": "king"},
		{"email": "a@example.org", "name": "x", "role": "lawyer", "password": "short"},
	} {
		if r := admin.json("POST", "/api/v1/users", bad); r.status != http.StatusBadRequest {
			t.Errorf("create %v = %d, want 400", bad, r.status)
		}
	}
	path := fmt.Sprintf("/api/v1/users/%d", made.User.ID)
	var u struct {
		Role     string
		Disabled bool
	}
	admin.json("PATCH", path, map[string]any{"role": "documenter", "disabled": true}).decode(t, &u)
	if u.Role != "documenter" || !u.Disabled {
		t.Errorf("after the change: %+v", u)
	}
	self := fmt.Sprintf("/api/v1/users/%d", w.users[paradero.RoleAdmin].ID)
	for _, change := range []map[string]any{{"role": "documenter"}, {"disabled": true}} {
		if r := admin.json("PATCH", self, change); r.status != http.StatusBadRequest {
			t.Errorf("the admin changing their own %v = %d, want 400", change, r.status)
		}
	}
	if r := admin.json("PATCH", self, map[string]any{"language": "en"}); r.status != http.StatusOK {
		t.Errorf("the admin changing their own language = %d", r.status)
	}
	want := []string{fmt.Sprintf("user.create user:%d", made.User.ID), fmt.Sprintf("user.update user:%d", made.User.ID),
		fmt.Sprintf("user.update user:%d", w.users[paradero.RoleAdmin].ID)}
	if got := w.auditOf(paradero.RoleAdmin); !slices.Equal(got, want) {
		t.Errorf("audit = %v, want %v", got, want)
	}
	// The audit log through the API, filtered.
	var audit struct {
		Items []struct{ Action, Object string }
		Total int
	}
	admin.get("/api/v1/audit?action=user.create").decode(t, &audit)
	if audit.Total != 1 || audit.Items[0].Object != fmt.Sprintf("user:%d", made.User.ID) {
		t.Errorf("audit of user.create = %+v", audit)
	}
	if r := admin.get("/api/v1/audit?actor_id=x"); r.status != http.StatusBadRequest {
		t.Errorf("audit?actor_id=x = %d", r.status)
	}
}

// TestAPIStatistics reads the public figures, the dashboard, the
// reconciliation and the estimate.
func TestAPIStatistics(t *testing.T) {
	w := newWorld(t)
	var st struct {
		Sources int
		Records *int
		ByKind  []struct {
			Kind    string
			Records *int
		} `json:"by_kind"`
		SmallCell int `json:"small_cell"`
	}
	w.api("").get("/api/v1/stats").decode(t, &st)
	if st.Sources != 1 || st.Records != nil || len(st.ByKind) != 1 || st.ByKind[0].Records != nil || st.SmallCell != 10 {
		t.Errorf("public statistics = %+v: want the five records suppressed", st)
	}
	second := w.linked()
	// Store-wide counts are shared for 30 s; the dashboard counts afresh
	// after that.
	w.offset.Add(int64(time.Minute))
	var dash struct {
		Status struct {
			Records int
			Persons int
		}
		Checkpoint *struct{ Size int64 }
		ByKind     []struct{ Records *int } `json:"by_kind"`
	}
	w.api(paradero.RoleLawyer).get("/api/v1/dashboard").decode(t, &dash)
	if dash.Status.Records != 7 || dash.Checkpoint == nil || len(dash.ByKind) != 2 || dash.ByKind[0].Records == nil {
		t.Errorf("dashboard = %+v", dash)
	}
	doc := w.api(paradero.RoleDocumenter)
	var rec struct {
		Persons       int
		Unlinked      int
		Sources       []struct{ Size int }
		Intersections []struct {
			Sources []int64
			Count   int
		}
	}
	doc.get("/api/v1/reconciliation").decode(t, &rec)
	if rec.Persons != 6 || len(rec.Sources) != 2 || len(rec.Intersections) == 0 {
		t.Errorf("reconciliation = %+v", rec)
	}
	var un struct {
		Items []struct {
			PersonID *int64 `json:"person_id"`
			Name     string
		}
		Total int
	}
	doc.get(fmt.Sprintf("/api/v1/reconciliation/unaccounted?on=%d&absent=%d&limit=2", w.source.ID, second[0].SourceID)).decode(t, &un)
	if un.Total != 4 || len(un.Items) != 2 {
		t.Errorf("unaccounted = %+v, want 4 in all, 2 on the page", un)
	}
	for name, p := range map[string]string{
		"missing pair": "/api/v1/reconciliation/unaccounted",
		"bad id":       "/api/v1/reconciliation/unaccounted?on=x&absent=1",
	} {
		if r := doc.get(p); r.status != http.StatusBadRequest {
			t.Errorf("%s = %d, want 400", name, r.status)
		}
	}
	if r := doc.get("/api/v1/reconciliation/unaccounted?on=1&absent=999"); r.status != http.StatusNotFound {
		t.Errorf("unaccounted from no source = %d, want 404", r.status)
	}
	var est struct {
		State    string
		Reason   *string
		Estimate *struct{ Observed int64 }
	}
	doc.get("/api/v1/estimate").decode(t, &est)
	if est.State != "ready" || est.Estimate == nil || est.Estimate.Observed != 6 {
		t.Errorf("estimate = %+v", est)
	}
	csv := doc.get("/api/v1/reconciliation/intersections.csv")
	if csv.status != http.StatusOK || !strings.HasPrefix(csv.header.Get("Content-Type"), "text/csv") {
		t.Errorf("intersections.csv = %d %q", csv.status, csv.header.Get("Content-Type"))
	}
}

// TestAPILogsHoldNoPersonalData checks that the access log names routes,
// never paths, queries or bodies.
func TestAPILogsHoldNoPersonalData(t *testing.T) {
	w := newWorld(t)
	c := w.api(paradero.RoleDocumenter)
	c.get(fmt.Sprintf("/api/v1/records/%d?q=José", w.records[0].ID))
	c.json("POST", "/api/v1/search", map[string]any{"name": "María Núñez"})
	w.api(paradero.RoleLawyer).get("/api/v1/sources/999?name=Pérez")
	(&apiClient{w: w, token: "pdr_secretito"}).get("/api/v1/me")
	logs := w.logs.String()
	if !strings.Contains(logs, `route="GET /api/v1/records/{id}"`) || !strings.Contains(logs, "status=404") {
		t.Fatalf("the access log lacks the requests:\n%s", logs)
	}
	for _, secret := range []string{"José", "María", "Pérez", "secretito", "q=", "name=", fmt.Sprintf("/records/%d", w.records[0].ID), "127.0.0.1"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds %q:\n%s", secret, logs)
		}
	}
}

// TestAPIOperationsDescribed checks that every documented operation has a
// summary and an id, and that the document is served as it is.
func TestAPIOperationsDescribed(t *testing.T) {
	w := newWorld(t)
	doc := w.openAPI()
	var missing []string
	for tmpl, ops := range doc.Paths {
		for m, raw := range ops {
			var op struct {
				Summary     string
				OperationID string `json:"operationId"`
			}
			json.Unmarshal(raw, &op)
			if op.Summary == "" || op.OperationID == "" {
				missing = append(missing, m+" "+tmpl)
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("operations without a summary or id: %v", missing)
	}
	r := w.api("").get("/api/v1/openapi.json")
	var served map[string]any
	if err := json.Unmarshal(r.body, &served); err != nil || served["openapi"] != "3.1.0" {
		t.Errorf("the served document = %v, %.60s", err, r.body)
	}
}

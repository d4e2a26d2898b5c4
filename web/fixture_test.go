package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/ledger"
	"github.com/paradero/paradero/linkage"
	"github.com/paradero/paradero/locale"
	"github.com/paradero/paradero/sqlite"
	"github.com/paradero/paradero/web"
	"golang.org/x/net/html"
)

// Hostile names: every page that shows them must show them as text.
const (
	scriptName = "<script>alert(1)</script>"
	imgName    = `"><img src=x onerror=alert(1)>`
)

// testPassword is every fixture user's password; cheapParams keep argon2id
// fast under the race detector.
const testPassword = "correct horse battery staple"

var cheapParams = web.PasswordParams{Memory: 64, Time: 1, Threads: 1}

// world is a store with one source of five records (two with hostile
// names, one redacted), a user per role, and a server over it.
type world struct {
	t        *testing.T
	db       *sqlite.DB
	srv      *httptest.Server
	app      *web.Server
	source   *paradero.Source
	records  []*paradero.Record
	redacted *paradero.Record
	file     string // the source file's bytes
	users    map[paradero.Role]*paradero.User
	offset   atomic.Int64 // added to the server's clock, in nanoseconds
	logs     *syncBuffer  // everything the server logged, at debug level
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

const redactionReason = "protección de un menor / protecting a minor"

// opts change the server's configuration (twofactor_test.go turns the
// two-factor policy on).
func newWorld(t *testing.T, opts ...func(*web.Config)) *world {
	t.Helper()
	ctx := paradero.NewContextWithActor(t.Context(), paradero.Actor{Name: "cli:test", Role: paradero.RoleAdmin})
	db, err := sqlite.Open(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	key, err := ledger.LoadOrCreateKey(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	log := ledger.New(db, key)
	w := &world{t: t, db: db, users: make(map[paradero.Role]*paradero.User), logs: &syncBuffer{}}

	w.file = "nombre;nacimiento\r\nJosé Pérez Gómez;1990-04-02\r\n" + scriptName + ";\r\n" + imgName + ";\r\nMaría Núñez;1988\r\nAna Quintero;1999-12-31\r\n"
	im, err := db.BeginImport(ctx, &paradero.Source{Kind: paradero.KindRoster, Title: "Lista " + scriptName,
		Published: paradero.PartialDate{Year: 2025, Month: 3, Day: 16}, Filename: "lista.csv", MediaType: "text/csv"},
		strings.NewReader(w.file))
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"José Pérez Gómez", scriptName, imgName, "María Núñez", "Ana Quintero"}
	for i, n := range names {
		r := &paradero.Record{Row: i + 2, FullName: n, Nationality: "venezolana", Status: "detenido",
			Extra: []paradero.Field{{Name: "columna " + scriptName, Value: imgName}}}
		if i == 0 {
			r.BirthDate = paradero.PartialDate{Year: 1990, Month: 4, Day: 2}
		}
		if err := im.AddRecord(ctx, r); err != nil {
			t.Fatal(err)
		}
		w.records = append(w.records, r)
	}
	if w.source, err = im.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := log.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	w.redacted = w.records[4]
	salt := make([]byte, 32)
	x := &paradero.Redaction{RecordID: w.redacted.ID, Reason: redactionReason, CreatedBy: "cli:test", Salt: salt,
		CreatedAt: paradero.Timestamp(time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC))}
	x.Commitment = paradero.Commit(salt, paradero.RedactionContent(x.Reason, x.CreatedBy))
	if err := log.SignRedaction(x, w.redacted.Commitment); err != nil {
		t.Fatal(err)
	}
	if err := db.RedactRecord(ctx, x); err != nil {
		t.Fatal(err)
	}

	h, err := web.HashPassword(testPassword, cheapParams)
	if err != nil {
		t.Fatal(err)
	}
	for _, role := range paradero.Roles {
		u := &paradero.User{Email: string(role) + "@example.org", Name: "Nombre " + scriptName, Role: role, Language: "es", PasswordHash: h}
		if err := db.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		w.users[role] = u
	}

	cat, err := locale.Load()
	if err != nil {
		t.Fatal(err)
	}
	cfg := web.Config{
		Store: db, Catalog: cat, Password: cheapParams,
		Logger: slog.New(slog.NewTextHandler(w.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:    func() time.Time { return time.Now().Add(time.Duration(w.offset.Load())) },
		// The fixture's estimates take milliseconds; waiting this long
		// only guards against a slow machine, never sleeps.
		EstimateWait: time.Minute,
		Prove: func(ctx context.Context, index int64) ([]byte, error) {
			p, err := log.Prove(ctx, index)
			if err != nil {
				return nil, err
			}
			return json.Marshal(p)
		},
	}
	for _, o := range opts {
		o(&cfg)
	}
	w.app, err = web.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.app.Close() })
	w.srv = httptest.NewServer(w.app)
	t.Cleanup(w.srv.Close)
	return w
}

// client is a browser: a cookie jar that does not follow redirects.
type client struct {
	w   *world
	c   *http.Client
	jar *cookiejar.Jar
}

func (w *world) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{w: w, jar: jar, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// response is what a request got back.
type response struct {
	status int
	header http.Header
	body   string
}

func (c *client) do(method, path string, form url.Values, header ...string) *response {
	c.w.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(c.w.t.Context(), method, c.w.srv.URL+path, body)
	if err != nil {
		c.w.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.c.Do(req)
	if err != nil {
		c.w.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.w.t.Fatal(err)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func (c *client) get(path string) *response { c.w.t.Helper(); return c.do("GET", path, nil) }

// post sends a form with the client's CSRF token.
func (c *client) post(path string, form url.Values) *response {
	c.w.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if form.Get("csrf") == "" {
		form.Set("csrf", c.csrfFrom("/stats"))
	}
	return c.do("POST", path, form)
}

// csrfFrom reads the CSRF token from the forms of the page at path.
func (c *client) csrfFrom(path string) string {
	c.w.t.Helper()
	doc := parse(c.w.t, c.get(path).body)
	for _, n := range findAll(doc, "input") {
		if attr(n, "name") == "csrf" {
			return attr(n, "value")
		}
	}
	c.w.t.Fatalf("no CSRF field on %s", path)
	return ""
}

// login signs in as the user of role and fails the test otherwise.
func (c *client) login(role paradero.Role) {
	c.w.t.Helper()
	r := c.post("/login", url.Values{"email": {string(role) + "@example.org"}, "password": {testPassword}})
	if r.status != http.StatusSeeOther {
		c.w.t.Fatalf("login as %s: status %d, want 303", role, r.status)
	}
}

func (c *client) cookie(name string) string {
	u, _ := url.Parse(c.w.srv.URL)
	for _, ck := range c.jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

// HTML helpers: pages are checked by elements, not substrings.

func parse(t *testing.T, s string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func walk(n *html.Node, fn func(*html.Node)) {
	fn(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, fn)
	}
}

func findAll(root *html.Node, tag string) []*html.Node {
	var out []*html.Node
	walk(root, func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == tag {
			out = append(out, n)
		}
	})
	return out
}

func byID(root *html.Node, id string) *html.Node {
	var found *html.Node
	walk(root, func(n *html.Node) {
		if found == nil && n.Type == html.ElementNode && attr(n, "id") == id {
			found = n
		}
	})
	return found
}

func text(n *html.Node) string {
	if n == nil {
		return ""
	}
	var b strings.Builder
	walk(n, func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
			b.WriteByte(' ')
		}
	})
	return strings.Join(strings.Fields(b.String()), " ")
}

func (w *world) recordPath(r *paradero.Record) string { return fmt.Sprintf("/records/%d", r.ID) }

// linked adds a second source (a court filing that names José Pérez Gómez
// again, differently, and says where he is held) and a link run: the two
// José records are person 1, every other record a person of its own, and
// the pair (María Núñez, Marta Núñez) waits for review. It returns the
// second source's records.
func (w *world) linked() []*paradero.Record {
	t := w.t
	t.Helper()
	ctx := paradero.NewContextWithActor(t.Context(), paradero.Actor{Name: "cli:test", Role: paradero.RoleAdmin})
	im, err := w.db.BeginImport(ctx, &paradero.Source{Kind: paradero.KindCourtFiling, Title: "Habeas 2025-17",
		Published: paradero.PartialDate{Year: 2025, Month: 3, Day: 20}, Filename: "habeas.csv", MediaType: "text/csv"},
		strings.NewReader("habeas filing"))
	if err != nil {
		t.Fatal(err)
	}
	recs := []*paradero.Record{
		{Row: 2, FullName: "PEREZ GOMEZ, JOSE L.", BirthDate: paradero.PartialDate{Year: 1990, Month: 2, Day: 4},
			ANumber: "A123456789", Status: "detenido", Facility: "CECOT", EventDate: paradero.DateRange{From: paradero.PartialDate{Year: 2025, Month: 3, Day: 16}}},
		{Row: 3, FullName: "Marta Núñez", BirthDate: paradero.PartialDate{Year: 1988}},
	}
	for _, r := range recs {
		if err := im.AddRecord(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := im.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	exp := linkage.Explanation{Prior: -12.5, Weight: 9.1, Probability: 0.4, Decision: "review", Fields: []linkage.Contribution{
		{Comparison: "given_name", ValueA: "María", ValueB: "Marta", Level: 2, Label: "similar (Jaro–Winkler ≥ 0.80) or a shared name", Weight: 1.5},
		{Comparison: "surname", ValueA: "Núñez", ValueB: "Núñez", Level: 6, Label: "exact", Weight: 6.2, TermFrequency: 0.4},
		{Comparison: "birth_date", ValueA: "", ValueB: "1988", Level: 0, Label: "missing"},
		{Comparison: "country", ValueA: "venezolana", ValueB: "", Level: 0, Label: "missing"},
	}}
	raw, err := json.Marshal(exp)
	if err != nil {
		t.Fatal(err)
	}
	clusters := [][]int64{{w.records[0].ID, recs[0].ID}}
	for _, r := range append(w.records[1:], recs[1]) {
		clusters = append(clusters, []int64{r.ID})
	}
	run := &paradero.LinkRun{CreatedBy: "cli:test", Settings: []byte("{}")}
	if err := w.db.SaveLinkRun(ctx, run, clusters, []paradero.ReviewPair{
		{RecordA: w.records[3].ID, RecordB: recs[1].ID, Probability: 0.4, Weight: 9.1, Explanation: raw}}); err != nil {
		t.Fatal(err)
	}
	return recs
}

func (w *world) personOf(r *paradero.Record) int64 {
	w.t.Helper()
	p, err := w.db.FindPersonOfRecord(w.t.Context(), r.ID)
	if err != nil {
		w.t.Fatal(err)
	}
	return p.ID
}

// postMultipart sends a file upload with the client's CSRF token.
func (c *client) postMultipart(path string, fields map[string]string, file, content string) *response {
	c.w.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if _, ok := fields["csrf"]; !ok {
		mw.WriteField("csrf", c.csrfFrom("/stats"))
	}
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	if file != "" {
		fw, err := mw.CreateFormFile("file", file)
		if err != nil {
			c.w.t.Fatal(err)
		}
		fw.Write([]byte(content))
	}
	mw.Close()
	req, err := http.NewRequestWithContext(c.w.t.Context(), "POST", c.w.srv.URL+path, &body)
	if err != nil {
		c.w.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := c.c.Do(req)
	if err != nil {
		c.w.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return &response{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

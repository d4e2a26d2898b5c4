package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/linkage"
	"github.com/paradero/paradero/web"
	"golang.org/x/net/html"
)

// webRoster is a small source whose names try to break out of HTML.
const webRoster = "nombres,apellidos,fecha de nacimiento,nacionalidad,número A\n" +
	"José Luis,Pérez Gómez,15/03/1990,venezolana,A123456789\n" +
	"<script>alert(1)</script>,\"\"\"><img src=x onerror=alert(1)>\",1992,venezolana,\n" +
	"Yorman,Rivas,02-feb-1999,venezolana,A987654321\n"

const webPassword = "una contraseña de prueba"

// webFiling is a court filing that names José Luis Pérez Gómez (record 1)
// again, with his date of birth one day off, and says
// where he is held; and four more spellings of him that linkage could not
// decide (records 5 to 8).
const webFiling = "nombre completo,fecha de nacimiento,número A,estado,centro de detención,fecha\n" +
	"\"PEREZ GOMEZ, JOSE L.\",16/03/1990,A123456789,detenido,CECOT,16/03/2025\n" +
	"José Peres,,,,,\n" +
	"Jose Luis Perez,1990,,,,\n" +
	"J. L. Pérez Gómez,,,,,\n" +
	"Pepe Pérez,,,,,\n"

// reviewPairs is the review queue the web world starts with: record 1
// against each of records 5 to 8, most uncertain first.
var reviewPairs = []struct {
	b int64
	p float64
}{{5, 0.5}, {6, 0.45}, {7, 0.4}, {8, 0.35}}

// webWorld is a data directory with the roster imported, record 3 redacted
// and one user per role (password webPassword), served on 127.0.0.1:0.
type webWorld struct {
	cli *cli
	m   *webMain
	url string
}

func newWebWorld(t *testing.T) *webWorld {
	t.Helper()
	c := newCLI(t)
	c.ok("import", "--kind", "roster", "--published", "20/03/2025", writeFile(t, "lista.csv", webRoster))
	c.ok("redact", "--reason", "protección de un menor", "3")
	c.ok("import", "--kind", "court-filing", "--title", "Hábeas 2025-17", "--published", "20/03/2025", writeFile(t, "habeas.csv", webFiling))

	g := &globals{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard,
		getenv: func(string) string { return "" }, dataDir: c.data}
	if err := g.open(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.close)
	// Cheap hashes: argon2id at full cost is slow under the race detector.
	cheap := web.PasswordParams{Memory: 64, Time: 1, Threads: 1}
	store := g.store.(accessStore)
	ctx := operatorContext(t.Context())
	for _, role := range paradero.Roles {
		if _, err := createUser(ctx, store, string(role)+"@example.org", "Demo "+string(role), role, "es", webPassword, cheap); err != nil {
			t.Fatal(err)
		}
	}
	linkWebWorld(t, ctx, g.store)
	m := &webMain{g: g, Listen: "127.0.0.1:0", Password: cheap}
	if err := m.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return &webWorld{cli: c, m: m, url: m.URL()}
}

func TestServeEndToEnd(t *testing.T) {
	w := newWebWorld(t)
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := hc.Get(w.url + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Fatalf("/healthz = %d", code)
	}
	get("/login")
	u, _ := url.Parse(w.url)
	var csrf string
	for _, ck := range jar.Cookies(u) {
		if ck.Name == "paradero_csrf" {
			csrf = ck.Value
		}
	}
	resp, err := hc.PostForm(w.url+"/login", url.Values{"csrf": {csrf}, "email": {"documenter@example.org"}, "password": {webPassword}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.Path != "/" || resp.StatusCode != 200 {
		t.Fatalf("login ended at %s with %d", resp.Request.URL.Path, resp.StatusCode)
	}
	code, body := get("/sources/1/file")
	if code != 200 || body != webRoster {
		t.Errorf("download = %d, %d bytes; want the roster byte for byte", code, len(body))
	}
	// The proof the page offers is the one `paradero prove` writes, and it
	// checks offline.
	code, body = get("/records/1/proof")
	if code != 200 {
		t.Fatalf("proof = %d", code)
	}
	var p struct {
		Format string `json:"format"`
		Index  int64  `json:"index"`
	}
	if err := json.Unmarshal([]byte(body), &p); err != nil || p.Format != "paradero-proof/1" || p.Index != 1 {
		t.Fatalf("proof = %+v, %v", p, err)
	}
	proof := filepath.Join(t.TempDir(), "record1.proof.json")
	if err := os.WriteFile(proof, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	w.cli.ok("verify-proof", "--state", t.TempDir(), "--key-file", filepath.Join(w.cli.data, "ledger.pub"), proof)

	// The dossier of record 1's person, from the page's button: each of
	// its proofs checks offline too.
	resp, err = hc.Get(w.url + "/records/1/person")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	person := resp.Request.URL.Path
	code, body = get(person + "/dossier?format=html")
	if code != 200 {
		t.Fatalf("%s/dossier = %d", person, code)
	}
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var proofs []string
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "pre" {
			for _, a := range n.Attr {
				if a.Key == "class" && strings.Contains(a.Val, "proof-json") && n.FirstChild != nil {
					proofs = append(proofs, n.FirstChild.Data)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if len(proofs) != 2 {
		t.Fatalf("dossier of %s holds %d proofs, want 2 (records 1 and 4)", person, len(proofs))
	}
	for i, pj := range proofs {
		f := filepath.Join(t.TempDir(), fmt.Sprintf("dossier%d.proof.json", i))
		if err := os.WriteFile(f, []byte(pj), 0o644); err != nil {
			t.Fatal(err)
		}
		w.cli.ok("verify-proof", "--state", t.TempDir(), "--key-file", filepath.Join(w.cli.data, "ledger.pub"), f)
	}
	// The reconciliation's estimate, as `paradero estimate` makes it from
	// the store: roster 3 persons, filing 5, one on both: 15.
	code, body = get("/reconciliation")
	if code != 200 || !strings.Contains(body, `<dd id="estimate-total">15</dd>`) {
		t.Errorf("/reconciliation = %d, estimate-total not 15", code)
	}
	var est struct{ Estimate float64 }
	if err := json.Unmarshal([]byte(w.cli.ok("estimate", "--json")), &est); err != nil || math.Round(est.Estimate) != 15 {
		t.Errorf("paradero estimate gives %v (%v), want 15 as the page", est.Estimate, err)
	}
	// The audit entries written by the server do not break the ledger.
	w.cli.ok("verify")
}

func TestUserCommand(t *testing.T) {
	c := newCLI(t)
	out := c.ok("user", "add", "--email", "Ana@Example.org", "--name", "Ana <b>", "--role", "documenter", "--language", "en")
	if !strings.Contains(out, "Created user 1, ana@example.org (documenter).") || !strings.Contains(out, "Password: ") {
		t.Errorf("user add printed %q", out)
	}
	pwFile := writeFile(t, "pw", "una contraseña bastante larga\n")
	c.ok("user", "add", "--email", "luis@example.org", "--name", "Luis", "--role", "lawyer", "--password-file", pwFile)
	if code, _, errs := c.run("user", "add", "--email", "ana@example.org", "--name", "X", "--role", "admin"); code != 1 || !strings.Contains(errs, "exists") {
		t.Errorf("duplicate user add: exit %d, %q", code, errs)
	}
	if code, _, _ := c.run("user", "add", "--email", "x@example.org", "--name", "X", "--role", "root"); code != 2 {
		t.Errorf("bad role: exit %d, want 2", code)
	}
	if code, _, errs := c.run("user", "add", "--email", "y@example.org", "--name", "Y", "--role", "admin", "--password-file", writeFile(t, "short", "short")); code != 1 || !strings.Contains(errs, "at least 12") {
		t.Errorf("short password: exit %d, %q", code, errs)
	}
	var users []struct {
		ID    int64  `json:"id"`
		Email string `json:"email"`
		Role  string `json:"role"`
	}
	if err := json.Unmarshal([]byte(c.ok("user", "list", "--json")), &users); err != nil {
		t.Fatal(err)
	}
	if len(users) != 2 || users[0].Email != "ana@example.org" || users[1].Role != "lawyer" {
		t.Errorf("user list = %+v", users)
	}
	out = c.ok("user", "passwd", "luis@example.org")
	if !strings.Contains(out, "New password set for user 2") || !strings.Contains(out, "Password: ") {
		t.Errorf("user passwd printed %q", out)
	}
	if table := c.ok("user", "list"); !strings.Contains(table, "luis@example.org") {
		t.Errorf("user list table = %q", table)
	}
}

// linkWebWorld saves a link run: records 1 and 4 are one person, every
// other record a person of its own, and reviewPairs wait for review.
func linkWebWorld(t *testing.T, ctx context.Context, store paradero.Store) {
	t.Helper()
	ps := store.(paradero.PersonService)
	clusters := [][]int64{{1, 4}, {2}, {3}, {5}, {6}, {7}, {8}}
	var queue []paradero.ReviewPair
	for _, rp := range reviewPairs {
		exp := linkage.Explanation{Prior: -11, Weight: 11, Probability: rp.p, Decision: "review", Fields: []linkage.Contribution{
			{Comparison: "given_name", ValueA: "José Luis", ValueB: "José", Level: 3, Label: "one name contains the other (initials allowed)", Weight: 4.2, TermFrequency: 0.3},
			{Comparison: "surname", ValueA: "Pérez Gómez", ValueB: "Peres", Level: 3, Label: "one name contains the other (initials allowed)", Weight: 3.1},
			{Comparison: "birth_date", ValueA: "1990-03-15", Level: 0, Label: "missing"},
			{Comparison: "a_number", ValueA: "A123456789", Level: 0, Label: "missing"},
			{Comparison: "country", ValueA: "venezolana", ValueB: "", Level: 0, Label: "missing"},
		}}
		raw, err := json.Marshal(exp)
		if err != nil {
			t.Fatal(err)
		}
		queue = append(queue, paradero.ReviewPair{RecordA: 1, RecordB: rp.b, Probability: rp.p, Weight: 11 + rp.p, Explanation: raw})
	}
	if err := ps.SaveLinkRun(ctx, &paradero.LinkRun{CreatedBy: "cli:test", Settings: []byte("{}")}, clusters, queue); err != nil {
		t.Fatal(err)
	}
}

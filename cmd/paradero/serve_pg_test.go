package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/postgres"
	"github.com/paradero/paradero/postgres/pgtest"
	"github.com/paradero/paradero/sqlite"
	"github.com/paradero/paradero/web"
	"golang.org/x/net/html"
)

// serve opens whichever store the flags name; both must serve the web
// application.
var (
	_ web.Store = (*postgres.DB)(nil)
	_ web.Store = (*sqlite.DB)(nil)
)

// TestServePostgreSQL runs `paradero serve --database-url URL` on the real
// PostgreSQL server, listening on 127.0.0.1:0: a documenter signs in and
// opens a source's page, which lists its records, and the view is in the
// audit log in PostgreSQL.
func TestServePostgreSQL(t *testing.T) {
	dbURL := pgtest.NewDatabase(t)
	c := newCLI(t)
	pg := func(args ...string) string {
		t.Helper()
		return c.ok(append([]string{"--database-url", dbURL}, args...)...)
	}
	pg("import", "--kind", "roster", "--published", "20/03/2025", writeFile(t, "lista.csv", webRoster))
	pg("user", "add", "--email", "documenter@example.org", "--name", "Documentadora", "--role", "documenter",
		"--password-file", writeFile(t, "pw", webPassword+"\n"))

	// The real command, as an operator starts it; it prints its address
	// once it listens and serves until its context ends.
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	out, outW := io.Pipe()
	exit := make(chan int, 1)
	go func() {
		defer outW.Close()
		// Two-factor sign-in off: this test is about the store
		// (twofactor_test.go runs serve with its default policy).
		exit <- run(ctx, []string{"--data", c.data, "--database-url", dbURL, "serve", "--listen", "127.0.0.1:0", "--require-2fa=false"},
			strings.NewReader(""), outW, t.Output())
	}()
	first := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		first <- line
		io.Copy(io.Discard, out)
	}()
	var base string
	select {
	case line := <-first:
		var ok bool
		if base, ok = strings.CutPrefix(strings.TrimSpace(line), "Paradero: "); !ok {
			t.Fatalf("serve printed %q, want its address; exit status %d", line, <-exit)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start within 30 s")
	}

	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := hc.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("/login"); code != 200 {
		t.Fatalf("/login = %d", code)
	}
	u, _ := url.Parse(base)
	var csrf string
	for _, ck := range jar.Cookies(u) {
		if ck.Name == "paradero_csrf" {
			csrf = ck.Value
		}
	}
	resp, err := hc.PostForm(base+"/login", url.Values{"csrf": {csrf}, "email": {"documenter@example.org"}, "password": {webPassword}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.Path != "/" || resp.StatusCode != 200 {
		t.Fatalf("sign-in ended at %s with %d, want / with 200", resp.Request.URL.Path, resp.StatusCode)
	}

	code, body := get("/sources/1")
	if code != 200 {
		t.Fatalf("/sources/1 = %d", code)
	}
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	table := pgElementByID(doc, "source-records")
	if table == nil {
		t.Fatal("/sources/1 has no #source-records table")
	}
	var names []string
	for _, a := range pgElements(table, "a") {
		if txt := pgText(a); txt != "" && strings.Trim(txt, "0123456789") != "" {
			names = append(names, txt)
		}
	}
	want := []string{"José Luis Pérez Gómez", `<script>alert(1)</script> "><img src=x onerror=alert(1)>`, "Yorman Rivas"}
	if strings.Join(names, "|") != strings.Join(want, "|") {
		t.Errorf("names on the source's page = %q, want %q", names, want)
	}
	if n := len(pgElements(doc, "img")) + len(pgElements(table, "script")); n != 0 {
		t.Errorf("the page has %d <img>/<script> elements from the records' names; want them as text", n)
	}

	cancel()
	select {
	case code := <-exit:
		if code != 0 {
			t.Fatalf("serve exited with status %d", code)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop within 30 s of its context ending")
	}

	db, err := postgres.Open(t.Context(), dbURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	views, n, err := db.FindAuditEntries(t.Context(), paradero.AuditFilter{Action: paradero.AuditSourceView})
	if err != nil || n != 1 || views[0].Object != "source:1" || views[0].ActorRole != paradero.RoleDocumenter {
		t.Errorf("audit log in PostgreSQL: %d source views %v, %v; want the documenter's view of source:1", n, views, err)
	}
	if _, n, err := db.FindAuditEntries(t.Context(), paradero.AuditFilter{Action: paradero.AuditLogin}); err != nil || n != 1 {
		t.Errorf("audit log in PostgreSQL: %d sign-ins, %v; want 1", n, err)
	}
}

func pgWalk(n *html.Node, fn func(*html.Node)) {
	fn(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		pgWalk(c, fn)
	}
}

func pgElements(root *html.Node, tag string) []*html.Node {
	var out []*html.Node
	pgWalk(root, func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == tag {
			out = append(out, n)
		}
	})
	return out
}

func pgElementByID(root *html.Node, id string) *html.Node {
	var found *html.Node
	pgWalk(root, func(n *html.Node) {
		for _, a := range n.Attr {
			if found == nil && n.Type == html.ElementNode && a.Key == "id" && a.Val == id {
				found = n
			}
		}
	})
	return found
}

func pgText(n *html.Node) string {
	var b strings.Builder
	pgWalk(n, func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
	})
	return strings.TrimSpace(b.String())
}

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/paradero/paradero/ledger"
	"github.com/paradero/paradero/postgres/pgtest"
)

// startServer starts `paradero serve` as a child process and returns its
// address once it listens.
func startServer(t *testing.T, args ...string) string {
	t.Helper()
	cmd := binary(t, append(args, "serve", "--listen", "127.0.0.1:0", "--require-2fa=false")...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		defer func() {
			if t.Failed() {
				t.Logf("serve %v wrote:\n%s", args, errb.String())
			}
		}()
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	first := make(chan string, 1)
	go func() {
		r := bufio.NewReader(out)
		line, _ := r.ReadString('\n')
		first <- line
		io.Copy(io.Discard, r)
	}()
	select {
	case line := <-first:
		base, ok := strings.CutPrefix(strings.TrimSpace(line), "Paradero: ")
		if !ok {
			t.Fatalf("serve printed %q, want its address\n%s", line, errb.String())
		}
		return base
	case <-time.After(60 * time.Second):
		t.Fatalf("serve did not start within 60 s\n%s", errb.String())
	}
	return ""
}

// apiClient calls the JSON API with a bearer token.
type apiClient struct {
	t     *testing.T
	base  string
	token string
	http  *http.Client
}

func (c *apiClient) do(method, path, contentType string, body io.Reader) (int, []byte) {
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		c.t.Error(err)
		return 0, nil
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Error(err)
		return 0, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (c *apiClient) importList(name, body string) (int, []byte) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("kind", "roster")
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write([]byte(body))
	mw.Close()
	return c.do(http.MethodPost, "/api/v1/sources", mw.FormDataContentType(), &buf)
}

// TestSeveralServersOnePostgreSQL runs two `paradero serve` processes on
// one PostgreSQL database, started together on an empty database (the
// migrations run once, under a lock), sharing one ledger key as deployed
// servers do. Through the JSON API of both at once, imports and review
// decisions interleave; afterwards every import and every decision is
// there once, and the ledger is one consistent sequence that verifies.
func TestSeveralServersOnePostgreSQL(t *testing.T) {
	dbURL := pgtest.NewDatabase(t)
	dataA, dataB := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	a := crashStore{t: t, flags: []string{"--data", dataA, "--database-url", dbURL}}

	// The shared key: made by the first server's data directory, copied
	// to the second's, as docs/operations.md says.
	if err := os.MkdirAll(dataB, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := ledger.LoadOrCreateKey(dataA); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{ledger.SignerKeyFile, ledger.VerifierKeyFile} {
		b, err := os.ReadFile(filepath.Join(dataA, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dataB, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	// Both servers start at once on the empty database.
	var bases [2]string
	var wg sync.WaitGroup
	for i, dir := range []string{dataA, dataB} {
		wg.Go(func() { bases[i] = startServer(t, "--data", dir, "--database-url", dbURL) })
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	// A linked world with a review queue.
	world := t.TempDir()
	a.ok("synth", "--persons", "400", "--seed", "3", "--out", world)
	lists, err := filepath.Glob(filepath.Join(world, "sources", "*.csv"))
	if err != nil || len(lists) < 4 {
		t.Fatalf("synth wrote %v (%v)", lists, err)
	}
	for _, l := range lists {
		a.ok("import", "--kind", "roster", l)
	}
	a.ok("link")
	a.ok("user", "add", "--email", "doc@example.org", "--name", "Documentadora", "--role", "documenter",
		"--password-file", writeFile(t, "pw", webPassword+"\n"))
	_, token, ok := strings.Cut(a.ok("token", "create", "--user", "doc@example.org", "--name", "carga"), "Secret (shown once): ")
	if !ok {
		t.Fatal("token create printed no secret")
	}
	token = strings.TrimSpace(token)
	before := a.status()

	clients := [2]*apiClient{}
	for i := range clients {
		clients[i] = &apiClient{t: t, base: bases[i], token: token, http: &http.Client{Timeout: 60 * time.Second}}
	}
	code, body := clients[0].do(http.MethodGet, "/api/v1/reviews?limit=200", "", nil)
	if code != http.StatusOK {
		t.Fatalf("review queue: %d %s", code, body)
	}
	var queue struct {
		Items []struct {
			RecordA int64 `json:"record_a"`
			RecordB int64 `json:"record_b"`
		} `json:"items"`
	}
	if err := json.Unmarshal(body, &queue); err != nil {
		t.Fatal(err)
	}
	if len(queue.Items) < 4 {
		t.Fatalf("the review queue has %d pairs; the test needs a few", len(queue.Items))
	}

	// Each server: imports of new lists and decisions on half the queue,
	// all at once.
	const importsPerServer = 12
	var decided [2]int
	for i, c := range clients {
		wg.Go(func() {
			for n := range importsPerServer {
				list := fmt.Sprintf("nombres,apellidos,número A\nPersona %d-%d,Apellido Segundo,A%09d\nOtra %d-%d,Apellido Tercero,A%09d\n",
					i, n, 300000000+i*1000+n, i, n, 310000000+i*1000+n)
				if code, body := c.importList(fmt.Sprintf("lista-%d-%d.csv", i, n), list); code != http.StatusCreated {
					t.Errorf("server %d, import %d: %d %s", i, n, code, body)
				}
			}
		})
		wg.Go(func() {
			for k, p := range queue.Items {
				if k%2 != i {
					continue
				}
				body := strings.NewReader(`{"verdict":"different","reason":"fechas de nacimiento distintas"}`)
				code, resp := c.do(http.MethodPost, fmt.Sprintf("/api/v1/reviews/%d/%d", p.RecordA, p.RecordB), "application/json", body)
				if code != http.StatusCreated {
					t.Errorf("server %d, decision on %d–%d: %d %s", i, p.RecordA, p.RecordB, code, resp)
					continue
				}
				decided[i]++
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	after := a.status()
	if after.Sources != before.Sources+2*importsPerServer || after.Records != before.Records+2*2*importsPerServer {
		t.Errorf("after the imports from both servers: %d sources, %d records; want %d and %d",
			after.Sources, after.Records, before.Sources+2*importsPerServer, before.Records+4*importsPerServer)
	}
	want := before.LedgerSize + int64(2*importsPerServer*3) + int64(decided[0]+decided[1])
	if after.LedgerSize != want {
		t.Errorf("the ledger has %d entries after the interleaved writes, want %d (every import, record and decision once)", after.LedgerSize, want)
	}
	out := a.ok("verify")
	if !strings.Contains(out, "Ledger intact") {
		t.Errorf("verify after the interleaved writes: %s", out)
	}
	// The other server's key signs the same log.
	b := crashStore{t: t, flags: []string{"--data", dataB, "--database-url", dbURL}}
	b.ok("verify")
}

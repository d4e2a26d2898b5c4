package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/paradero/paradero"
	"github.com/paradero/paradero/postgres/pgtest"
	"github.com/paradero/paradero/sqlite"
)

// cli runs the paradero command in-process and returns its exit status and
// output.
type cli struct {
	t    *testing.T
	data string
}

func newCLI(t *testing.T) *cli { return &cli{t: t, data: filepath.Join(t.TempDir(), "data")} }

func (c *cli) run(args ...string) (code int, stdout, stderr string) {
	c.t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), append([]string{"--data", c.data}, args...), strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func (c *cli) ok(args ...string) string {
	c.t.Helper()
	code, out, errs := c.run(args...)
	if code != 0 {
		c.t.Fatalf("paradero %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const roster = "nombres,apellidos,fecha de nacimiento,nacionalidad,número A\n" +
	"José Luis,Pérez Gómez,15/03/1990,venezolana,A123456789\n" +
	"María José,Quintero Salas,1992,venezolana,\n" +
	"Yorman,Rivas,02-feb-1999,venezolana,A987654321\n"

type statusJSON struct {
	Sources, Records, Redactions int
	LedgerSize                   int64 `json:"ledger_size"`
	CheckpointSize               int64 `json:"checkpoint_size"`
}

func (c *cli) status() statusJSON {
	c.t.Helper()
	var st statusJSON
	if err := json.Unmarshal([]byte(c.ok("status", "--json")), &st); err != nil {
		c.t.Fatal(err)
	}
	return st
}

func TestImportStatusVerify(t *testing.T) {
	c := newCLI(t)
	f := writeFile(t, "lista.csv", roster)
	out := c.ok("import", "--kind", "roster", "--published", "20/03/2025", f)
	if !strings.Contains(out, "3 records") {
		t.Errorf("import output %q does not say 3 records", out)
	}
	want := statusJSON{Sources: 1, Records: 3, LedgerSize: 4, CheckpointSize: 4}
	if st := c.status(); st != want {
		t.Errorf("status = %+v, want %+v", st, want)
	}
	out = c.ok("import", f)
	if !strings.Contains(out, "imported already as source 1") {
		t.Errorf("second import says %q, want it recognised", out)
	}
	if st := c.status(); st != want {
		t.Errorf("after importing again: status = %+v, want unchanged %+v", st, want)
	}
	if cp := c.ok("checkpoint"); !strings.HasPrefix(cp, "paradero/") || !strings.Contains(cp, "\n4\n") || !strings.Contains(cp, "\n— paradero/") {
		t.Errorf("checkpoint = %q, want the signed origin/size/hash note", cp)
	}
	if out := c.ok("verify"); !strings.Contains(out, "Ledger intact: 4 entries") {
		t.Errorf("verify = %q", out)
	}
}

func TestImportErrorWritesNothing(t *testing.T) {
	c := newCLI(t)
	bad := writeFile(t, "mala.csv", roster+"Ana,Díaz,31/02/1990,venezolana,\n")
	code, _, errs := c.run("import", bad)
	if code != 1 || !strings.Contains(errs, "mala.csv:5:10:") {
		t.Fatalf("import of a file with an impossible date: exit %d, %q; want exit 1 and mala.csv:5:10:", code, errs)
	}
	if st := c.status(); st != (statusJSON{}) {
		t.Errorf("after a failed import: status = %+v, want nothing written", st)
	}
	blobs, _ := filepath.Glob(filepath.Join(c.data, "blobs", "*", "*"))
	tmps, _ := filepath.Glob(filepath.Join(c.data, "blobs", "*.tmp"))
	if len(blobs)+len(tmps) != 0 {
		t.Errorf("after a failed import the blob store holds %v %v", blobs, tmps)
	}
	// The fixed file then imports.
	c.ok("import", writeFile(t, "buena.csv", roster))
}

func TestUsageErrors(t *testing.T) {
	c := newCLI(t)
	for _, args := range [][]string{
		{"import"},
		{"import", "--kind", "gossip", "x.csv"},
		{"redact", "1"},
		{"redact", "abc", "--reason", "x"},
		{"prove"},
		{"nonsense"},
	} {
		if code, _, _ := c.run(args...); code != 2 {
			t.Errorf("paradero %v: exit %d, want 2", args, code)
		}
	}
	if code, _, errs := c.run("import", filepath.Join(t.TempDir(), "missing.csv")); code != 1 || !strings.Contains(errs, "missing.csv") {
		t.Errorf("import of a missing file: exit %d, %q", code, errs)
	}
}

func TestVerifyNamesTamperedRecord(t *testing.T) {
	c := newCLI(t)
	c.ok("import", writeFile(t, "lista.csv", roster))
	db, err := sql.Open("sqlite", filepath.Join(c.data, sqlite.DatabaseFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE records SET content = replace(content, 'María José', 'Maria Jose') WHERE id = 2`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	code, out, _ := c.run("verify")
	if code != 1 || !strings.Contains(out, "First bad entry: entry 2: record 2 (source 1, row 3)") {
		t.Errorf("verify after changing a name: exit %d, %q; want exit 1 naming record 2, row 3", code, out)
	}
}

func TestRedact(t *testing.T) {
	c := newCLI(t)
	c.ok("import", writeFile(t, "lista.csv", roster))
	out := c.ok("redact", "2", "--reason", "la familia lo pidió")
	if !strings.Contains(out, "Record 2 redacted on") {
		t.Errorf("redact said %q", out)
	}
	if st := c.status(); st.Redactions != 1 || st.LedgerSize != 5 || st.CheckpointSize != 5 {
		t.Errorf("status after redaction = %+v", st)
	}
	c.ok("verify")
	if code, _, errs := c.run("redact", "2", "--reason", "again"); code != 1 || !strings.Contains(errs, "was redacted on") {
		t.Errorf("redacting twice: exit %d, %q", code, errs)
	}
}

func TestProofsRollbackAndFork(t *testing.T) {
	a := newCLI(t)
	a.ok("import", writeFile(t, "lista.csv", roster))
	state := filepath.Join(t.TempDir(), "witness")
	p1 := filepath.Join(t.TempDir(), "p1.json")
	a.ok("prove", "record:1", "--out", p1)
	if out := a.ok("verify-proof", "--state", state, p1); !strings.Contains(out, "OK: entry 1 is in log") {
		t.Errorf("verify-proof = %q", out)
	}

	// A copy of the data directory shares the key: a second history.
	b := newCLI(t)
	if err := os.CopyFS(b.data, os.DirFS(a.data)); err != nil {
		t.Fatal(err)
	}
	a.ok("import", writeFile(t, "segunda.csv", "nombre completo\nAna Díaz\n"))
	b.ok("import", writeFile(t, "otra.csv", "nombre completo\nPersona Distinta\n"))

	pa := filepath.Join(t.TempDir(), "pa.json")
	a.ok("prove", "record:4", "--out", pa)
	if out := a.ok("verify-proof", "--state", state, pa); !strings.Contains(out, "as of its signed checkpoint of 6 entries") {
		t.Errorf("verify-proof of the grown log = %q", out)
	}
	pb := filepath.Join(t.TempDir(), "pb.json")
	b.ok("prove", "record:4", "--out", pb)
	code, _, errs := b.run("verify-proof", "--state", state, pb)
	if code != 3 || !strings.Contains(errs, "FORK") || strings.Count(errs, "— paradero/") != 2 {
		t.Errorf("verify-proof of a forked log: exit %d, %q; want exit 3, FORK and both signed checkpoints", code, errs)
	}
	code, _, errs = a.run("verify-proof", "--state", state, p1)
	if code != 1 || !strings.Contains(errs, "rollback") {
		t.Errorf("verify-proof of an older checkpoint: exit %d, %q; want a rollback", code, errs)
	}
	// A proof whose leaf was edited fails.
	raw, _ := os.ReadFile(pa)
	edited := filepath.Join(t.TempDir(), "edited.json")
	os.WriteFile(edited, bytes.Replace(raw, []byte(`kind record\nid 4`), []byte(`kind record\nid 5`), 1), 0o644)
	if code, _, errs := a.run("verify-proof", "--forget", edited); code != 1 || !strings.Contains(errs, "not in the signed tree") {
		t.Errorf("verify-proof of an edited leaf: exit %d, %q", code, errs)
	}
	// The partner's kept checkpoint catches the fork too.
	cpA := filepath.Join(t.TempDir(), "a.checkpoint")
	a.ok("checkpoint", "--out", cpA)
	if code, out, _ := b.run("verify", "--checkpoint", cpA); code != 1 || !strings.Contains(out, "forked") {
		t.Errorf("verify against the other history's checkpoint: exit %d, %q", code, out)
	}
}

func TestShow(t *testing.T) {
	c := newCLI(t)
	c.ok("import", "--kind", "roster", writeFile(t, "lista.csv", roster))
	out := c.ok("show", "record:2")
	for _, want := range []string{"source 1 \"lista.csv\" (roster), line 3", "given_names", "María José", "birth_date", "1992"} {
		if !strings.Contains(out, want) {
			t.Errorf("show record:2 = %q, want %q in it", out, want)
		}
	}
	c.ok("redact", "2", "--reason", "protege a un testigo")
	out = c.ok("show", "record:2")
	if !strings.Contains(out, "REDACTED") || !strings.Contains(out, "protege a un testigo") || strings.Contains(out, "María") {
		t.Errorf("show of a redacted record = %q, want the date and reason and no content", out)
	}
	if got := c.ok("show", "source:1", "--file", "-"); got != roster {
		t.Errorf("show source:1 --file - = %q, want the file byte for byte", got)
	}
	if code, _, _ := c.run("show", "record:99"); code != 1 {
		t.Errorf("show of a missing record: exit %d, want 1", code)
	}
	// Every read of a record and every download is audited, by id only.
	db, err := sqlite.Open(t.Context(), c.data, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	entries, _, err := db.FindAuditEntries(t.Context(), paradero.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var views, downloads int
	for _, e := range entries {
		switch {
		case e.Action == paradero.AuditRecordView && e.Object == "record:2":
			views++
		case e.Action == paradero.AuditSourceDownload && e.Object == "source:1":
			downloads++
		}
	}
	if views != 2 || downloads != 1 {
		t.Errorf("audit log has %d views of record 2 and %d downloads, want 2 and 1", views, downloads)
	}
}

// TestPostgreSQL runs the newcomer's path — import, status, tamper, verify —
// against the real PostgreSQL server.
func TestPostgreSQL(t *testing.T) {
	dbURL := pgtest.NewDatabase(t)
	c := newCLI(t)
	pg := func(args ...string) (int, string, string) {
		return c.run(append([]string{"--database-url", dbURL}, args...)...)
	}
	if code, out, errs := pg("import", "--kind", "roster", writeFile(t, "lista.csv", roster)); code != 0 {
		t.Fatalf("import: exit %d\n%s%s", code, out, errs)
	}
	code, out, _ := pg("status", "--json")
	var st statusJSON
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil || st.Records != 3 || st.CheckpointSize != 4 {
		t.Fatalf("status: exit %d, %s", code, out)
	}
	if code, out, _ := pg("verify"); code != 0 || !strings.Contains(out, "Ledger intact: 4 entries") {
		t.Fatalf("verify: exit %d, %s", code, out)
	}
	conn, err := pgx.Connect(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	_, err = conn.Exec(t.Context(), `UPDATE records SET content = replace(content, 'Yorman', 'Jorman')`)
	conn.Close(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if code, out, _ := pg("verify"); code != 1 || !strings.Contains(out, "First bad entry: entry 3: record") {
		t.Errorf("verify after tampering: exit %d, %s", code, out)
	}
}

// TestLinkAndReview links the store, then undoes a merge and the undoing
// by reviewers' decisions, each a ledger entry that later runs honour.
func TestLinkAndReview(t *testing.T) {
	c := newCLI(t)
	c.ok("import", "--kind", "roster", writeFile(t, "lista.csv", "nombres,apellidos,fecha de nacimiento,número A\n"+
		"José Luis,Pérez Gómez,15/03/1990,A123456789\n"+
		"Yorman,Rivas Salas,02/02/1999,A987654321\n"))
	c.ok("import", "--kind", "family-report", writeFile(t, "familia.csv", "nombre completo,fecha de nacimiento,número A\n"+
		"PEREZ GOMEZ JOSE LUIS,15/03/1990,A123456789\n"+
		"Ana Quintero,1985,\n"))
	// merges links the store and returns how many records joined another.
	merges := func() string {
		out := c.ok("link", "--json", "--quiet")
		var res linkStoreResult
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(c.status().Records - res.Persons)
	}
	if merged := merges(); merged != "1" {
		t.Fatalf("after linking, %s records were merged into others, want 1 (records 1 and 3 are one man)", merged)
	}
	c.ok("review", "1", "3", "different", "--reason", "two men of the same name, says the family")
	if merged := merges(); merged != "0" {
		t.Errorf("after a 'different' review, %s merges remain, want none", merged)
	}
	c.ok("review", "3", "1", "same", "--reason", "the consulate confirmed one passport")
	if merged := merges(); merged != "1" {
		t.Errorf("after undoing with a 'same' review, %s merges, want 1", merged)
	}
	if out := c.ok("verify"); !strings.Contains(out, "Ledger intact: 8 entries") {
		t.Errorf("verify after two reviews = %q, want 8 entries (2 sources, 4 records, 2 reviews)", out)
	}
}

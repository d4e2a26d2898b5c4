package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paradero/paradero/postgres/pgtest"
)

var crashBudget = flag.Duration("crash-budget", 20*time.Second,
	"how long each crash test may go on killing imports (bench: -crash-budget 10m)")

// TestMain lets the test binary stand in for the paradero command, so
// tests can run it as a child process without building it again.
func TestMain(m *testing.M) {
	if os.Getenv("PARADERO_TEST_RUN_MAIN") == "1" {
		main()
	}
	os.Exit(m.Run())
}

// binary returns a command that runs paradero as a child process.
func binary(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), "PARADERO_TEST_RUN_MAIN=1")
	return cmd
}

// crashStore is a store the crash tests break: the flags that name it.
type crashStore struct {
	t     *testing.T
	flags []string
	// settle waits, after a kill, until the store has finished with the
	// killed process: a PostgreSQL server may still be running (and even
	// committing, if the COMMIT was sent) the dead client's transaction.
	settle func()
}

func (s crashStore) args(args ...string) []string {
	return append(append([]string{}, s.flags...), args...)
}

// run runs paradero in-process against the store.
func (s crashStore) run(args ...string) (int, string, string) {
	var out, errb strings.Builder
	code := run(context.Background(), s.args(args...), strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func (s crashStore) ok(args ...string) string {
	s.t.Helper()
	code, out, errs := s.run(args...)
	if code != 0 {
		s.t.Fatalf("paradero %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

func (s crashStore) status() statusJSON {
	s.t.Helper()
	var st statusJSON
	if err := json.Unmarshal([]byte(s.ok("status", "--json")), &st); err != nil {
		s.t.Fatal(err)
	}
	return st
}

// writeList writes a roster of n rows whose every row is unique to list i,
// so no import is recognised as a repeat of another.
func writeList(t *testing.T, dir string, i, n int) string {
	t.Helper()
	name := filepath.Join(dir, fmt.Sprintf("lista-%04d.csv", i))
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "nombres,apellidos,fecha de nacimiento,número A,centro de detención")
	for r := range n {
		fmt.Fprintf(w, "Persona %d-%d,Apellido%d Segundo,%02d/%02d/19%02d,A%09d,CECOT\n",
			i, r, r%977, 1+r%28, 1+r%12, 50+r%50, 100000000+i*10000+r)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return name
}

// TestImportSurvivesSIGKILL kills `paradero import` with SIGKILL at random
// points, again and again for a bounded time, on both stores. After every
// kill the store holds each import wholly or not at all (its counts are
// those of the whole imports alone), the earlier imports are all there, and
// the ledger verifies.
func TestImportSurvivesSIGKILL(t *testing.T) {
	stores := map[string]func(t *testing.T) crashStore{
		"embedded": func(t *testing.T) crashStore {
			return crashStore{t: t, flags: []string{"--data", filepath.Join(t.TempDir(), "data")}, settle: func() {}}
		},
		"postgresql": func(t *testing.T) crashStore {
			url := pgtest.NewDatabase(t)
			return crashStore{t: t, flags: []string{"--data", t.TempDir(), "--database-url", url}, settle: func() { pgSettle(t, url) }}
		},
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) { killImports(t, open(t)) })
	}
}

// pgSettle waits until no other session is working in the database: the
// backend of a killed client goes on until it notices, and a transaction
// whose COMMIT it had received still commits — whole.
func pgSettle(t *testing.T, url string) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	for deadline := time.Now().Add(30 * time.Second); ; {
		var busy int
		if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'`).Scan(&busy); err != nil {
			t.Fatal(err)
		}
		if busy == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions still busy 30 s after the kill", busy)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func killImports(t *testing.T, s crashStore) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(7, 7))

	// The first import runs to the end, as a child process like the rest:
	// it must survive every kill after it, and its duration sets the
	// range of kill times, which follows the imports that finish.
	start := time.Now()
	if out, err := binary(t, s.args("import", writeList(t, dir, 0, 2000))...).CombinedOutput(); err != nil {
		t.Fatalf("the first import: %v\n%s", err, out)
	}
	whole := time.Since(start)
	want := statusJSON{Sources: 1, Records: 2000}

	// Two stores share the budget; a slow machine gets up to twice as
	// long to make its ten kills.
	deadline, hard := time.Now().Add(*crashBudget/2), time.Now().Add(*crashBudget)
	var kills, finished, iterations int
	for i := 1; iterations < 400 && (time.Now().Before(deadline) || (kills < 10 && time.Now().Before(hard))); i++ {
		iterations++
		rows := 500 + rng.IntN(2500)
		file := writeList(t, dir, i, rows)
		cmd := binary(t, s.args("import", file)...)
		begun := time.Now()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		// Kill anywhere from the process's start to a little after a
		// typical import would have finished.
		delay := time.Duration(rng.Int64N(int64(whole*6/5) + 1))
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("import %d failed without a kill: %v", i, err)
			}
			finished++
			whole = (whole + time.Since(begun)) / 2
		case <-time.After(delay):
			cmd.Process.Signal(syscall.SIGKILL)
			<-done
			kills++
			s.settle()
		}
		st := s.status()
		switch {
		case st.Sources == want.Sources && st.Records == want.Records:
		case st.Sources == want.Sources+1 && st.Records == want.Records+rows:
			want = statusJSON{Sources: st.Sources, Records: st.Records}
		default:
			t.Fatalf("after the kill of import %d (%d rows, at %v): %d sources, %d records; want %d/%d or %d/%d",
				i, rows, delay, st.Sources, st.Records, want.Sources, want.Records, want.Sources+1, want.Records+rows)
		}
		if i%25 == 0 {
			s.ok("verify")
		}
	}
	s.ok("verify")
	if kills < 10 {
		t.Fatalf("only %d of %d imports were killed before they finished; the test proved little", kills, iterations)
	}
	t.Logf("%d imports: %d killed midway, %d finished; %d sources and %d records survived, all verified",
		iterations, kills, finished, want.Sources, want.Records)
}

// TestImportOnFullDisk imports into a data directory on a tiny tmpfs: the
// import that does not fit fails with a clear error, nothing of it stays,
// the earlier import is intact and verifies, and once there is room again
// an import succeeds. Mounting needs root, as CI has.
func TestImportOnFullDisk(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs needs root (CI runs as root)")
	}
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1536k", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", mnt).Run() })
	s := crashStore{t: t, flags: []string{"--data", filepath.Join(mnt, "data")}}
	dir := t.TempDir()

	s.ok("import", writeList(t, dir, 0, 300))
	for _, rows := range []int{60000, 8000} { // the file itself does not fit; the file fits, its records do not
		code, _, errs := s.run("import", writeList(t, dir, rows, rows))
		if code == 0 {
			t.Fatalf("an import of %d rows fit into 1.5 MiB", rows)
		}
		t.Logf("import of %d rows on a full disk: %s", rows, strings.TrimSpace(errs))
		if !strings.Contains(errs, "no space left on device") && !strings.Contains(errs, "disk is full") {
			t.Errorf("import of %d rows on a full disk: the error does not say the disk is full:\n%s", rows, errs)
		}
		if st := s.status(); st.Sources != 1 || st.Records != 300 {
			t.Fatalf("after the failed import of %d rows: %d sources, %d records; want the first import alone", rows, st.Sources, st.Records)
		}
		s.ok("verify")
		tmps, _ := filepath.Glob(filepath.Join(mnt, "data", "blobs", "import-*.tmp"))
		if len(tmps) > 0 {
			t.Errorf("the failed import left %v behind", tmps)
		}
	}
	s.ok("import", writeList(t, dir, 1, 100))
	if st := s.status(); st.Sources != 2 || st.Records != 400 {
		t.Fatalf("after freeing the disk: %d sources, %d records; want 2 and 400", st.Sources, st.Records)
	}
	s.ok("verify")
}

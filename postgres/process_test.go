package postgres

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"

	"github.com/paradero/paradero"
)

// The child side of TestProcesses: set by the parent, never by hand.
const (
	childURLEnv = "PARADERO_TEST_CHILD_URL"
	childIDEnv  = "PARADERO_TEST_CHILD_ID"
)

const (
	processes         = 3
	importsPerProcess = 3
	recordsPerImport  = flushRecords + 1000
	entriesPerProcess = importsPerProcess * (recordsPerImport + 1)
)

// TestProcesses runs imports from several operating-system processes on
// one fresh database, as several paradero servers would: they migrate it
// together (once, under the lock) and append to one ledger, which must come
// out as one contiguous, verifiable sequence with each import's entries
// together.
func TestProcesses(t *testing.T) {
	if os.Getenv(childURLEnv) != "" {
		t.Skip("in a child process")
	}
	t.Parallel()
	url := newTestDatabase(t)
	cmds := make([]*exec.Cmd, processes)
	for i := range cmds {
		cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestChildImports$", "-test.v")
		cmd.Env = append(os.Environ(), childURLEnv+"="+url, childIDEnv+"="+strconv.Itoa(i))
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[i] = cmd
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("child %d: %v", i, err)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	db, err := Open(t.Context(), url, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	names, _ := migrations.ReadDir("migrations")
	assertCounts(t, db, map[string]int{"schema_migrations": len(names), "sources": processes * importsPerProcess})
	srcs, _, err := db.FindSources(t.Context(), paradero.SourceFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range srcs {
		recs, total, err := db.FindRecords(t.Context(), paradero.RecordFilter{SourceID: src.ID, Limit: recordsPerImport})
		if err != nil || total != recordsPerImport {
			t.Fatalf("source %d: %d records, %v", src.ID, total, err)
		}
		for j, r := range recs {
			if r.LedgerIndex != src.LedgerIndex+1+int64(j) {
				t.Fatalf("source %d: record %d at entry %d, want %d", src.ID, j, r.LedgerIndex, src.LedgerIndex+1+int64(j))
			}
		}
	}
	verifyLedger(t, db, processes*entriesPerProcess)
}

// TestChildImports is TestProcesses' child: it opens the store and imports.
func TestChildImports(t *testing.T) {
	url := os.Getenv(childURLEnv)
	if url == "" {
		t.Skip("run by TestProcesses")
	}
	db, err := Open(t.Context(), url, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	id := os.Getenv(childIDEnv)
	for k := range importsPerProcess {
		importFile(t, db, fmt.Appendf(nil, "process %s file %d", id, k), recordsPerImport, person)
	}
}

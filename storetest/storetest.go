// Package storetest is the contract every paradero.Store must keep: one
// suite, run against the SQLite and the PostgreSQL store alike, so that the
// two behave identically. It includes the tamper tests: each changes the
// database (or a stored file) behind the store's back, the way an attacker
// with disk access would, and checks that ledger verification names the
// damage.
package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/paradero/paradero"
	"github.com/paradero/paradero/ledger"
)

// Harness is what the suite needs of a store implementation.
type Harness struct {
	// Open returns a fresh, empty store, closed by the test's cleanup.
	Open func(t *testing.T) paradero.Store
	// Exec runs one SQL statement (no parameters) directly on the store's
	// database, bypassing the store.
	Exec func(t *testing.T, s paradero.Store, query string)
	// CorruptBlob changes one byte of the stored file with this hash.
	CorruptBlob func(t *testing.T, s paradero.Store, sum paradero.Hash)
}

// Run runs the contract suite.
func Run(t *testing.T, h Harness) {
	tests := []struct {
		name string
		fn   func(*testing.T, Harness)
	}{
		{"ImportRoundTrip", testImportRoundTrip},
		{"ImportSameFileTwice", testImportSameFileTwice},
		{"ImportRollbackLeavesNothing", testImportRollback},
		{"ImportInvalidRecord", testImportInvalidRecord},
		{"ImportHashMismatch", testImportHashMismatch},
		{"NotFound", testNotFound},
		{"HostileContentRoundTrip", testHostileContent},
		{"FindPages", testFindPages},
		{"LedgerMatchesReference", testLedgerMatchesReference},
		{"Redact", testRedact},
		{"Checkpoints", testCheckpoints},
		{"ConcurrentImports", testConcurrentImports},
		{"ScanLedgerItemsMayBeKept", testScanLedgerItemsMayBeKept},
		{"Tamper", testTamper},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, h) })
	}
}

// testScanLedgerItemsMayBeKept keeps every item ScanLedger hands over,
// as verify does when it checks them on another goroutine, across more
// entries than a store reads in one batch: each must still be its own
// entry at the end.
func testScanLedgerItemsMayBeKept(t *testing.T, h Harness) {
	s := h.Open(t)
	const n = 12000
	importFile(t, s, "lista grande", sampleRecords(n))
	var kept []*paradero.LedgerItem
	if err := s.ScanLedger(t.Context(), func(it *paradero.LedgerItem) error {
		kept = append(kept, it)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(kept) != n+1 {
		t.Fatalf("ScanLedger gave %d entries, want %d", len(kept), n+1)
	}
	for i, it := range kept {
		if it.Index != int64(i) {
			t.Fatalf("item %d, kept until the scan ended, now says entry %d: the store reused it", i, it.Index)
		}
		if i > 0 && (it.Record == nil || it.Record.LedgerIndex != it.Index) {
			t.Fatalf("item %d kept until the scan ended holds another entry's record", i)
		}
	}
}

func actorCtx(t *testing.T) context.Context {
	return paradero.NewContextWithActor(t.Context(), paradero.Actor{Name: "test:documenter", Role: paradero.RoleDocumenter})
}

// sampleRecords returns n synthetic records.
func sampleRecords(n int) []*paradero.Record {
	given := []string{"José Luis", "María José", "Yorman", "Ana", "Kelvin"}
	sur := []string{"Pérez Gómez", "Rodríguez", "Quintero Salas", "Hernández", "Núñez Díaz"}
	out := make([]*paradero.Record, n)
	for i := range out {
		out[i] = &paradero.Record{
			Row:         i + 2,
			GivenNames:  given[i%len(given)],
			Surnames:    sur[(i/len(given))%len(sur)],
			BirthDate:   paradero.PartialDate{Year: 1990 + i%10, Month: 1 + i%12, Day: 1 + i%28},
			Nationality: "venezolana",
			ANumber:     fmt.Sprintf("2%08d", i),
			Facility:    "CECOT",
			EventDate:   paradero.DateRange{From: paradero.PartialDate{Year: 2025, Month: 3, Day: 16}},
			Extra:       []paradero.Field{{Name: "nro", Value: fmt.Sprint(i + 1)}},
		}
	}
	return out
}

// importFile imports records with a file whose bytes are body.
func importFile(t *testing.T, s paradero.Store, body string, recs []*paradero.Record) *paradero.Source {
	t.Helper()
	ctx := actorCtx(t)
	im, err := s.BeginImport(ctx, &paradero.Source{Kind: paradero.KindRoster, Title: "Lista de prueba",
		Published: paradero.PartialDate{Year: 2025, Month: 3}, Filename: "lista.csv", MediaType: "text/csv"}, strings.NewReader(body))
	if err != nil {
		t.Fatalf("BeginImport: %v", err)
	}
	defer im.Rollback()
	for _, r := range recs {
		if err := im.AddRecord(ctx, r); err != nil {
			t.Fatalf("AddRecord(row %d): %v", r.Row, err)
		}
	}
	src, err := im.Commit(ctx)
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}
	return src
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := paradero.ErrorCode(err); got != code {
		t.Fatalf("error = %v (code %q), want code %q", err, got, code)
	}
}

var recordCmp = []cmp.Option{cmpopts.EquateEmpty(), cmpopts.EquateApproxTime(0)}

func testImportRoundTrip(t *testing.T, h Harness) {
	s := h.Open(t)
	ctx := actorCtx(t)
	body := "nombres,apellidos\nJosé Luis,Pérez Gómez\n"
	recs := sampleRecords(7)
	src := importFile(t, s, body, recs)

	if src.ID == 0 || src.Records != 7 || src.Size != int64(len(body)) || src.SHA256 != sha256.Sum256([]byte(body)) {
		t.Fatalf("source = %+v, want an id, 7 records, size %d and the file's SHA-256", src, len(body))
	}
	if src.ImportedBy != "test:documenter" {
		t.Errorf("ImportedBy = %q, want the actor's name", src.ImportedBy)
	}
	got, err := s.FindSourceByID(ctx, src.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(src, got, recordCmp...); diff != "" {
		t.Errorf("FindSourceByID differs from the committed source (-committed +found):\n%s", diff)
	}
	if bySum, err := s.FindSourceBySHA256(ctx, src.SHA256); err != nil || bySum.ID != src.ID {
		t.Errorf("FindSourceBySHA256 = %v, %v; want source %d", bySum, err, src.ID)
	}
	rc, err := s.OpenBlob(ctx, src.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != body {
		t.Errorf("OpenBlob = %q, want the file byte for byte %q", b, body)
	}
	list, total, err := s.FindRecords(ctx, paradero.RecordFilter{SourceID: src.ID})
	if err != nil {
		t.Fatal(err)
	}
	if total != 7 || len(list) != 7 {
		t.Fatalf("FindRecords: %d of %d, want 7 of 7", len(list), total)
	}
	for i, r := range list {
		if diff := cmp.Diff(recs[i], r, recordCmp...); diff != "" {
			t.Errorf("record %d (-added +found):\n%s", i, diff)
		}
		if r.Commitment != paradero.Commit(r.Salt, r.Content()) || len(r.Salt) != 32 {
			t.Errorf("record %d: commitment does not open with its salt", r.ID)
		}
	}
	one, err := s.FindRecordByID(ctx, list[3].ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(list[3], one, recordCmp...); diff != "" {
		t.Errorf("FindRecordByID (-list +byID):\n%s", diff)
	}
	size, err := s.LedgerSize(ctx)
	if err != nil || size != 8 {
		t.Fatalf("LedgerSize = %d, %v; want 8 (the source and 7 records)", size, err)
	}
	e, err := s.FindEntry(ctx, src.LedgerIndex)
	if err != nil || e.Kind != paradero.EntrySource || e.Subject != src.ID || !bytes.Equal(e.Leaf, paradero.SourceLeaf(src)) {
		t.Errorf("source entry = %+v, %v; want the source's leaf", e, err)
	}
	for _, r := range list {
		e, err := s.FindEntry(ctx, r.LedgerIndex)
		if err != nil || e.Kind != paradero.EntryRecord || !bytes.Equal(e.Leaf, paradero.RecordLeaf(r)) {
			t.Errorf("record %d entry = %+v, %v; want its leaf", r.ID, e, err)
		}
		if bytes.Contains(e.Leaf, []byte("Pérez")) || bytes.Contains(e.Leaf, []byte(r.ANumber)) {
			t.Errorf("record %d: the leaf reveals personal content: %q", r.ID, e.Leaf)
		}
	}
	st, err := s.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Sources != 1 || st.Records != 7 || st.LedgerSize != 8 || st.Redactions != 0 {
		t.Errorf("Status = %+v, want 1 source, 7 records, 8 entries", st)
	}
	mustVerify(t, s)
}

func testImportSameFileTwice(t *testing.T, h Harness) {
	s := h.Open(t)
	ctx := actorCtx(t)
	importFile(t, s, "same bytes", sampleRecords(2))
	_, err := s.BeginImport(ctx, &paradero.Source{Kind: paradero.KindRoster}, strings.NewReader("same bytes"))
	wantCode(t, err, paradero.ECONFLICT)
	st, _ := s.Status(ctx)
	if st.Sources != 1 || st.Records != 2 || st.LedgerSize != 3 {
		t.Errorf("after importing the same file again: %+v, want nothing changed", st)
	}
}

func testImportRollback(t *testing.T, h Harness) {
	s := h.Open(t)
	ctx := actorCtx(t)
	body := "rolled back"
	im, err := s.BeginImport(ctx, &paradero.Source{Kind: paradero.KindNews}, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range sampleRecords(5) {
		if err := im.AddRecord(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := im.Rollback(); err != nil {
		t.Fatal(err)
	}
	st, err := s.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if *st != (paradero.Status{}) {
		t.Errorf("after rollback: %+v, want an empty store", st)
	}
	_, err = s.OpenBlob(ctx, sha256.Sum256([]byte(body)))
	wantCode(t, err, paradero.ENOTFOUND)
	// The same file imports cleanly afterwards.
	importFile(t, s, body, sampleRecords(1))
	mustVerify(t, s)
}

func testImportInvalidRecord(t *testing.T, h Harness) {
	s := h.Open(t)
	ctx := actorCtx(t)
	im, err := s.BeginImport(ctx, &paradero.Source{Kind: paradero.KindRoster}, strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	defer im.Rollback()
	for _, r := range []*paradero.Record{
		{Row: 2, Notes: "no name at all"},
		{Row: 3, FullName: "bad\x00byte"},
		{Row: 4, FullName: "bad \xff utf8"},
		{Row: 5, FullName: strings.Repeat("a", paradero.MaxFieldBytes+1)},
		{Row: 6, FullName: "x", BirthDate: paradero.PartialDate{Year: 2025, Month: 2, Day: 30}},
	} {
		wantCode(t, im.AddRecord(ctx, r), paradero.EINVALID)
	}
}

func testImportHashMismatch(t *testing.T, h Harness) {
	s := h.Open(t)
	_, err := s.BeginImport(actorCtx(t), &paradero.Source{Kind: paradero.KindRoster, SHA256: sha256.Sum256([]byte("other"))}, strings.NewReader("this"))
	wantCode(t, err, paradero.EINVALID)
	_, err = s.BeginImport(actorCtx(t), &paradero.Source{Kind: "gossip"}, strings.NewReader("this"))
	wantCode(t, err, paradero.EINVALID)
}

func testNotFound(t *testing.T, h Harness) {
	s := h.Open(t)
	ctx := actorCtx(t)
	_, err := s.FindSourceByID(ctx, 42)
	wantCode(t, err, paradero.ENOTFOUND)
	_, err = s.FindSourceBySHA256(ctx, paradero.Hash{1})
	wantCode(t, err, paradero.ENOTFOUND)
	_, err = s.FindRecordByID(ctx, 42)
	wantCode(t, err, paradero.ENOTFOUND)
	_, err = s.OpenBlob(ctx, paradero.Hash{1})
	wantCode(t, err, paradero.ENOTFOUND)
	_, err = s.FindEntry(ctx, 0)
	wantCode(t, err, paradero.ENOTFOUND)
	_, err = s.LatestCheckpoint(ctx)
	wantCode(t, err, paradero.ENOTFOUND)
}

func testHostileContent(t *testing.T, h Harness) {
	s := h.Open(t)
	ctx := actorCtx(t)
	recs := []*paradero.Record{
		{Row: 2, FullName: "<script>alert(1)</script>", Notes: `"><img src=x onerror=alert(1)>`},
		{Row: 3, FullName: "=HYPERLINK(\"http://example.invalid\",\"clic\")"},
		{Row: 4, FullName: "محمد عبد الله", GivenNames: "e\u0301\u0301"}, // RTL, combining marks
		{Row: 5, FullName: strings.Repeat("Ñ", 10000)},
		{Row: 6, FullName: "tab\there", Notes: "line\nbreak\\back\rslash", Extra: []paradero.Field{{Name: "col\twith\ttabs", Value: "v\n"}, {Name: "ñ", Value: ""}}},
		{Row: 7, FullName: "'; DROP TABLE records; --"},
	}
	src := importFile(t, s, "hostile", recs)
	list, _, err := s.FindRecords(ctx, paradero.RecordFilter{SourceID: src.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != len(recs) {
		t.Fatalf("got %d records, want %d", len(list), len(recs))
	}
	for i, r := range list {
		if diff := cmp.Diff(recs[i], r, recordCmp...); diff != "" {
			t.Errorf("row %d not kept faithfully (-added +found):\n%s", recs[i].Row, diff)
		}
	}
	mustVerify(t, s)
}

func testFindPages(t *testing.T, h Harness) {
	s := h.Open(t)
	ctx := actorCtx(t)
	a := importFile(t, s, "file a", sampleRecords(5))
	b := importFile(t, s, "file b", sampleRecords(3))
	srcs, total, err := s.FindSources(ctx, paradero.SourceFilter{})
	if err != nil || total != 2 || len(srcs) != 2 || srcs[0].ID != b.ID || srcs[1].ID != a.ID {
		t.Fatalf("FindSources = %v, %d, %v; want [b a] of 2", srcs, total, err)
	}
	srcs, total, _ = s.FindSources(ctx, paradero.SourceFilter{Kind: paradero.KindNews})
	if total != 0 || len(srcs) != 0 {
		t.Errorf("FindSources(news) = %d, want none", total)
	}
	page, total, err := s.FindRecords(ctx, paradero.RecordFilter{Offset: 4, Limit: 3})
	if err != nil || total != 8 || len(page) != 3 {
		t.Fatalf("FindRecords page = %d of %d, %v; want 3 of 8", len(page), total, err)
	}
	if page[0].SourceID != a.ID || page[1].SourceID != b.ID {
		t.Errorf("page crosses sources in id order: got sources %d, %d", page[0].SourceID, page[1].SourceID)
	}
}

// testLedgerMatchesReference checks the stored tree against a naive RFC 6962
// implementation over the stored leaves.
func testLedgerMatchesReference(t *testing.T, h Harness) {
	s := h.Open(t)
	ctx := actorCtx(t)
	for i, n := range []int{0, 1, 6, 13} {
		importFile(t, s, fmt.Sprint("file ", i), sampleRecords(n))
	}
	size, err := s.LedgerSize(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var leaves [][]byte
	for i := range size {
		e, err := s.FindEntry(ctx, i)
		if err != nil {
			t.Fatal(err)
		}
		leaves = append(leaves, e.Leaf)
	}
	key := newKey(t)
	log := ledger.New(s, key)
	for n := int64(1); n <= size; n++ {
		app := paradero.NewLedgerAppender(n, func(idx []int64) ([]paradero.Hash, error) { return s.ReadHashes(ctx, idx) })
		got, err := app.TreeHash()
		if err != nil {
			t.Fatal(err)
		}
		if want := referenceRoot(leaves[:n]); got != want {
			t.Fatalf("tree hash of the first %d entries = %s, want %s (RFC 6962 reference)", n, got, want)
		}
	}
	cp, err := log.Checkpoint(ctx)
	if err != nil || cp.Size != size || cp.Hash != referenceRoot(leaves) {
		t.Fatalf("Checkpoint = %+v, %v; want size %d and the reference root", cp, err, size)
	}
}

func testRedact(t *testing.T, h Harness) {
	s := h.Open(t)
	ctx := actorCtx(t)
	src := importFile(t, s, "to redact", sampleRecords(3))
	list, _, _ := s.FindRecords(ctx, paradero.RecordFilter{SourceID: src.ID})
	target := list[1]
	log := ledger.New(s, newKey(t))
	if _, err := log.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	x := newRedaction(t, log, target, "protects a witness")
	if err := s.RedactRecord(ctx, x); err != nil {
		t.Fatal(err)
	}
	got, err := s.FindRecordByID(ctx, target.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Redaction == nil || got.Redaction.Reason != "protects a witness" || got.Redaction.ID != x.ID {
		t.Errorf("redacted record's Redaction = %+v, want the reason", got.Redaction)
	}
	if len(got.Content()) != 0 || got.Salt != nil || got.DisplayName() != "" {
		t.Errorf("redacted record still has content %q or salt", got.Content())
	}
	if got.Commitment != target.Commitment || got.LedgerIndex != target.LedgerIndex {
		t.Errorf("redaction changed the commitment or ledger index")
	}
	list2, _, _ := s.FindRecords(ctx, paradero.RecordFilter{SourceID: src.ID})
	if list2[1].Redaction == nil || list2[0].Redaction != nil {
		t.Errorf("FindRecords does not show the redaction on the right record")
	}
	wantCode(t, s.RedactRecord(ctx, newRedaction(t, log, target, "again")), paradero.ECONFLICT)
	wantCode(t, s.RedactRecord(ctx, newRedaction(t, log, &paradero.Record{ID: 999}, "none")), paradero.ENOTFOUND)
	wantCode(t, s.RedactRecord(ctx, &paradero.Redaction{RecordID: list[0].ID, Reason: " "}), paradero.EINVALID)
	st, _ := s.Status(ctx)
	if st.Redactions != 1 || st.LedgerSize != 5 {
		t.Errorf("Status = %+v, want 1 redaction and 5 entries", st)
	}
	mustVerify(t, s, log)
}

// newRedaction prepares a signed redaction of r.
func newRedaction(t *testing.T, log *ledger.Log, r *paradero.Record, reason string) *paradero.Redaction {
	t.Helper()
	salt := make([]byte, 32)
	copy(salt, reason)
	x := &paradero.Redaction{RecordID: r.ID, Reason: reason, CreatedBy: "test:admin", Salt: salt,
		CreatedAt: paradero.Timestamp(r.CreatedAt.Add(1e9))}
	x.Commitment = paradero.Commit(salt, paradero.RedactionContent(reason, x.CreatedBy))
	if err := log.SignRedaction(x, r.Commitment); err != nil {
		t.Fatal(err)
	}
	return x
}

func testCheckpoints(t *testing.T, h Harness) {
	s := h.Open(t)
	ctx := actorCtx(t)
	log := ledger.New(s, newKey(t))
	c0, err := log.Checkpoint(ctx)
	if err != nil || c0.Size != 0 {
		t.Fatalf("Checkpoint of an empty ledger = %+v, %v", c0, err)
	}
	importFile(t, s, "one", sampleRecords(2))
	c1, err := log.Checkpoint(ctx)
	if err != nil || c1.Size != 3 {
		t.Fatalf("Checkpoint = %+v, %v; want size 3", c1, err)
	}
	again, err := log.Checkpoint(ctx)
	if err != nil || !bytes.Equal(again.Note, c1.Note) {
		t.Errorf("Checkpoint of an unchanged tree signed a new one")
	}
	wantCode(t, s.AddCheckpoint(ctx, &paradero.Checkpoint{Size: 3, Hash: paradero.Hash{9}, Note: []byte("x")}), paradero.ECONFLICT)
	all, err := s.FindCheckpoints(ctx)
	if err != nil || len(all) != 2 || all[0].Size != 0 || all[1].Size != 3 {
		t.Fatalf("FindCheckpoints = %v, %v; want sizes 0 and 3", all, err)
	}
	latest, err := s.LatestCheckpoint(ctx)
	if err != nil || latest.Size != 3 || !bytes.Equal(latest.Note, c1.Note) {
		t.Errorf("LatestCheckpoint = %+v, %v", latest, err)
	}
}

func testConcurrentImports(t *testing.T, h Harness) {
	s := h.Open(t)
	ctx := actorCtx(t)
	const n = 4
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			im, err := s.BeginImport(ctx, &paradero.Source{Kind: paradero.KindRoster}, strings.NewReader(fmt.Sprint("concurrent ", i)))
			if err != nil {
				errs[i] = err
				return
			}
			defer im.Rollback()
			for _, r := range sampleRecords(20) {
				if err := im.AddRecord(ctx, r); err != nil {
					errs[i] = err
					return
				}
			}
			_, errs[i] = im.Commit(ctx)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	st, _ := s.Status(ctx)
	if st.Sources != n || st.Records != 20*n || st.LedgerSize != 21*n {
		t.Errorf("Status = %+v, want %d sources, %d records, %d entries", st, n, 20*n, 21*n)
	}
	// Each import's entries are contiguous: the source, then its records.
	srcs, _, _ := s.FindSources(ctx, paradero.SourceFilter{})
	for _, src := range srcs {
		recs, _, _ := s.FindRecords(ctx, paradero.RecordFilter{SourceID: src.ID})
		for i, r := range recs {
			if r.LedgerIndex != src.LedgerIndex+1+int64(i) {
				t.Errorf("source %d: record %d is entry %d, want %d", src.ID, r.ID, r.LedgerIndex, src.LedgerIndex+1+int64(i))
			}
		}
	}
	mustVerify(t, s)
}

func newKey(t *testing.T) *ledger.Key {
	t.Helper()
	k, err := ledger.LoadOrCreateKey(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// mustVerify fails the test unless the ledger verifies.
func mustVerify(t *testing.T, s paradero.Store, logs ...*ledger.Log) {
	t.Helper()
	log := ledger.New(s, newKey(t))
	if len(logs) > 0 {
		log = logs[0]
	}
	rep, err := log.Verify(t.Context(), ledger.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Fatalf("verify found problems in an untouched store: %v", rep.Problems)
	}
}

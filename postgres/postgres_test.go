package postgres

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"reflect"
	"runtime"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/paradero/paradero"
	"golang.org/x/mod/sumdb/tlog"
)

func actorCtx(t *testing.T) context.Context {
	return paradero.NewContextWithActor(t.Context(), paradero.Actor{Name: "cli:test", Role: paradero.RoleAdmin})
}

// importFile imports blob with records made by rec(i), i in [0, n).
func importFile(t *testing.T, db *DB, blob []byte, n int, rec func(i int) *paradero.Record) (*paradero.Source, []*paradero.Record) {
	t.Helper()
	ctx := actorCtx(t)
	im, err := db.BeginImport(ctx, &paradero.Source{Kind: paradero.KindRoster, Title: "Lista", Filename: "lista.csv", MediaType: "text/csv"}, bytes.NewReader(blob))
	if err != nil {
		t.Fatalf("BeginImport: %v", err)
	}
	defer im.Rollback()
	var rs []*paradero.Record
	for i := range n {
		r := rec(i)
		if err := im.AddRecord(ctx, r); err != nil {
			t.Fatalf("AddRecord(%d): %v", i, err)
		}
		rs = append(rs, r)
	}
	src, err := im.Commit(ctx)
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}
	return src, rs
}

func person(i int) *paradero.Record {
	return &paradero.Record{
		Row:          i + 2,
		FullName:     fmt.Sprintf("José María Pérez Núñez %d", i),
		FirstSurname: "Pérez",
		BirthDate:    paradero.PartialDate{Year: 1990, Month: 7},
		Nationality:  "VE",
		Facility:     "CECOT",
		EventDate:    paradero.DateRange{From: paradero.PartialDate{Year: 2025, Month: 3, Day: 15}},
		Notes:        "línea 1\nlínea 2\ttab \\ barra",
		Extra:        []paradero.Field{{Name: "z", Value: "último"}, {Name: "a", Value: ""}, {Name: "m", Value: "<b>\"x\"</b>"}},
	}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func code(err error) string { return paradero.ErrorCode(err) }

func TestImportRoundTrip(t *testing.T) {
	t.Parallel()
	db := openTest(t)
	ctx := t.Context()
	blob := []byte("nombre;fecha\nJosé;1990-07\n")
	src, rs := importFile(t, db, blob, 3, person)

	if src.ID == 0 || src.Records != 3 || src.Size != int64(len(blob)) || src.SHA256 != sha256.Sum256(blob) ||
		src.ImportedBy != "cli:test" || len(src.Salt) != 32 || src.LedgerIndex != 0 {
		t.Fatalf("Commit returned %+v", src)
	}
	if src.ImportedAt != paradero.Timestamp(src.ImportedAt) {
		t.Errorf("ImportedAt %v is not a store timestamp", src.ImportedAt)
	}
	if src.Commitment != paradero.Commit(src.Salt, src.Content()) {
		t.Errorf("source commitment does not open")
	}
	for _, find := range []func() (*paradero.Source, error){
		func() (*paradero.Source, error) { return db.FindSourceByID(ctx, src.ID) },
		func() (*paradero.Source, error) { return db.FindSourceBySHA256(ctx, src.SHA256) },
	} {
		got, err := find()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, src) {
			t.Errorf("found source\n%+v\nwant\n%+v", got, src)
		}
	}
	srcs, total, err := db.FindSources(ctx, paradero.SourceFilter{Kind: paradero.KindRoster})
	if err != nil || total != 1 || len(srcs) != 1 || !reflect.DeepEqual(srcs[0], src) {
		t.Errorf("FindSources = %v, %d, %v", srcs, total, err)
	}
	if _, total, _ := db.FindSources(ctx, paradero.SourceFilter{Kind: paradero.KindNews}); total != 0 {
		t.Errorf("FindSources(news) total = %d, want 0", total)
	}

	for i, want := range rs {
		if want.ID == 0 || want.SourceID != src.ID || want.LedgerIndex != int64(i+1) || want.CreatedAt != src.ImportedAt {
			t.Errorf("record %d: store set %+v", i, want)
		}
		got, err := db.FindRecordByID(ctx, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("FindRecordByID(%d) =\n%+v\nwant\n%+v", want.ID, got, want)
		}
		if got.Commitment != paradero.Commit(got.Salt, got.Content()) {
			t.Errorf("record %d commitment does not open", got.ID)
		}
	}
	got, total, err := db.FindRecords(ctx, paradero.RecordFilter{SourceID: src.ID, Offset: 1, Limit: 1})
	if err != nil || total != 3 || len(got) != 1 || !reflect.DeepEqual(got[0], rs[1]) {
		t.Errorf("FindRecords page = %v, %d, %v", got, total, err)
	}
	if _, err := db.FindRecordByID(ctx, 999999); code(err) != paradero.ENOTFOUND {
		t.Errorf("FindRecordByID(missing) error %v, want ENOTFOUND", err)
	}
	if _, err := db.FindSourceByID(ctx, 999999); code(err) != paradero.ENOTFOUND {
		t.Errorf("FindSourceByID(missing) error %v, want ENOTFOUND", err)
	}

	rc, err := db.OpenBlob(ctx, src.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(b, blob) {
		t.Errorf("OpenBlob read %q, %v; want %q", b, err, blob)
	}
	st, err := db.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := (paradero.Status{Sources: 1, Records: 3, Persons: 3, LedgerSize: 4}); *st != want {
		t.Errorf("Status = %+v, want %+v", *st, want)
	}
	verifyLedger(t, db, 4)
}

// verifyLedger checks, independently of the store's code, that the ledger
// has n entries whose leaves match their subjects, whose commitments open,
// and whose stored tree hashes are what tlog computes from the leaves.
func verifyLedger(t *testing.T, db *DB, n int64) {
	t.Helper()
	ctx := t.Context()
	var mem []tlog.Hash
	reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = mem[x]
		}
		return out, nil
	})
	var next int64
	err := db.ScanLedger(ctx, func(it *paradero.LedgerItem) error {
		if it.Index != next {
			return fmt.Errorf("entry %d where %d was expected", it.Index, next)
		}
		next++
		hs, err := tlog.StoredHashes(it.Index, it.Leaf, reader)
		if err != nil {
			return err
		}
		var want []byte
		for _, h := range hs {
			want = append(want, h[:]...)
		}
		if !bytes.Equal(it.Hashes, want) {
			return fmt.Errorf("entry %d: stored hashes differ from tlog's", it.Index)
		}
		mem = append(mem, hs...)
		var leaf []byte
		switch it.Kind {
		case paradero.EntrySource:
			if it.Source == nil {
				return fmt.Errorf("entry %d: source %d missing", it.Index, it.Subject)
			}
			leaf = paradero.SourceLeaf(it.Source)
			if it.Source.Commitment != paradero.Commit(it.Source.Salt, it.Source.Content()) {
				return fmt.Errorf("source %d: commitment does not open", it.Subject)
			}
		case paradero.EntryRecord:
			if it.Record == nil {
				return fmt.Errorf("entry %d: record %d missing", it.Index, it.Subject)
			}
			leaf = paradero.RecordLeaf(it.Record)
			if it.Record.Salt != nil && it.Record.Commitment != paradero.Commit(it.Record.Salt, it.Content) {
				return fmt.Errorf("record %d: commitment does not open", it.Subject)
			}
		case paradero.EntryRedaction:
			if it.Redaction == nil {
				return fmt.Errorf("entry %d: redaction %d missing", it.Index, it.Subject)
			}
			leaf = paradero.RedactionLeaf(it.Redaction)
		}
		if !bytes.Equal(leaf, it.Leaf) {
			return fmt.Errorf("entry %d: leaf differs from its subject", it.Index)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("ScanLedger: %v", err)
	}
	if next != n {
		t.Fatalf("ledger has %d entries, want %d", next, n)
	}
	size, err := db.LedgerSize(ctx)
	if err != nil || size != n {
		t.Fatalf("LedgerSize = %d, %v; want %d", size, err, n)
	}
	if n == 0 {
		return
	}
	want, err := tlog.TreeHash(n, reader)
	if err != nil {
		t.Fatal(err)
	}
	got, err := tlog.TreeHash(n, tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		hs, err := db.ReadHashes(ctx, idx)
		out := make([]tlog.Hash, len(hs))
		for i, h := range hs {
			out[i] = tlog.Hash(h)
		}
		return out, err
	}))
	if err != nil || got != want {
		t.Fatalf("tree hash from ReadHashes = %v, %v; want %v", got, err, want)
	}
}

func TestBlobs(t *testing.T) {
	t.Parallel()
	db := openTest(t)
	ctx := t.Context()
	for _, size := range []int{0, 1, chunkSize - 1, chunkSize, chunkSize + 1, 2*chunkSize + 12345} {
		blob := randomBytes(size)
		src, _ := importFile(t, db, blob, 1, person)
		if src.Size != int64(size) {
			t.Errorf("size %d: stored size %d", size, src.Size)
		}
		rc, err := db.OpenBlob(ctx, sha256.Sum256(blob))
		if err != nil {
			t.Fatal(err)
		}
		// Read in odd sizes, across chunk boundaries.
		var got bytes.Buffer
		buf := make([]byte, 100_003)
		for {
			n, err := rc.Read(buf)
			got.Write(buf[:n])
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		rc.Close()
		if !bytes.Equal(got.Bytes(), blob) {
			t.Errorf("size %d: read back %d bytes that differ", size, got.Len())
		}
	}
	if _, err := db.OpenBlob(ctx, paradero.Hash{1}); code(err) != paradero.ENOTFOUND {
		t.Errorf("OpenBlob(missing) error %v, want ENOTFOUND", err)
	}
}

func TestImportConflicts(t *testing.T) {
	t.Parallel()
	db := openTest(t)
	ctx := actorCtx(t)
	blob := []byte("a,b\n1,2\n")
	importFile(t, db, blob, 1, person)
	src := &paradero.Source{Kind: paradero.KindRoster}
	if _, err := db.BeginImport(ctx, src, bytes.NewReader(blob)); code(err) != paradero.ECONFLICT {
		t.Errorf("second import error %v, want ECONFLICT", err)
	}
	src.SHA256 = sha256.Sum256(blob)
	if _, err := db.BeginImport(ctx, src, bytes.NewReader(blob)); code(err) != paradero.ECONFLICT {
		t.Errorf("second import with hash error %v, want ECONFLICT", err)
	}
	src.SHA256 = paradero.Hash{7}
	if _, err := db.BeginImport(ctx, src, bytes.NewReader([]byte("other"))); code(err) != paradero.EINVALID {
		t.Errorf("import with wrong hash error %v, want EINVALID", err)
	}
	if _, err := db.BeginImport(ctx, &paradero.Source{Kind: "poem"}, bytes.NewReader(nil)); code(err) != paradero.EINVALID {
		t.Errorf("import of unknown kind error %v, want EINVALID", err)
	}
	im, err := db.BeginImport(ctx, &paradero.Source{Kind: paradero.KindNews}, bytes.NewReader([]byte("x")))
	if err != nil {
		t.Fatal(err)
	}
	defer im.Rollback()
	if err := im.AddRecord(ctx, &paradero.Record{Notes: "nobody"}); code(err) != paradero.EINVALID {
		t.Errorf("AddRecord without identity error %v, want EINVALID", err)
	}
	if err := im.AddRecord(ctx, &paradero.Record{FullName: "a\x00b"}); code(err) != paradero.EINVALID {
		t.Errorf("AddRecord with NUL error %v, want EINVALID", err)
	}
	assertCounts(t, db, map[string]int{"sources": 1, "records": 1, "ledger_entries": 2, "blobs": 1})
}

func TestImportReadError(t *testing.T) {
	t.Parallel()
	db := openTest(t)
	r := io.MultiReader(bytes.NewReader(randomBytes(chunkSize+10)), iotestErrReader{})
	_, err := db.BeginImport(actorCtx(t), &paradero.Source{Kind: paradero.KindRoster}, r)
	if err == nil {
		t.Fatal("BeginImport of a failing reader succeeded")
	}
	assertCounts(t, db, map[string]int{"sources": 0, "blobs": 0, "blob_chunks": 0, "ledger_entries": 0})
}

type iotestErrReader struct{}

func (iotestErrReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

// assertCounts checks row counts by table, reading the database directly.
func assertCounts(t *testing.T, db *DB, want map[string]int) {
	t.Helper()
	for table, n := range want {
		var got int
		if err := db.pool.QueryRow(t.Context(), "SELECT count(*) FROM "+pgx.Identifier{table}.Sanitize()).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != n {
			t.Errorf("%s has %d rows, want %d", table, got, n)
		}
	}
}

func TestImportRollback(t *testing.T) {
	t.Parallel()
	db := openTest(t)
	ctx := actorCtx(t)
	im, err := db.BeginImport(ctx, &paradero.Source{Kind: paradero.KindRoster}, bytes.NewReader(randomBytes(3*chunkSize)))
	if err != nil {
		t.Fatal(err)
	}
	for i := range flushRecords + 10 { // one flush written, some staged
		if err := im.AddRecord(ctx, person(i)); err != nil {
			t.Fatal(err)
		}
	}
	// Invisible to others before Commit.
	if st, err := db.Status(ctx); err != nil || st.Records != 0 || st.LedgerSize != 0 {
		t.Errorf("Status during import = %+v, %v", st, err)
	}
	if err := im.Rollback(); err != nil {
		t.Fatal(err)
	}
	if err := im.Rollback(); err != nil {
		t.Errorf("second Rollback: %v", err)
	}
	if _, err := im.Commit(ctx); err == nil {
		t.Error("Commit after Rollback succeeded")
	}
	assertCounts(t, db, map[string]int{"sources": 0, "records": 0, "blobs": 0, "blob_chunks": 0, "ledger_entries": 0})
	// The lock is free again: another import proceeds.
	importFile(t, db, []byte("after"), 2, person)
	verifyLedger(t, db, 3)
}

// TestConcurrentImports runs imports from two stores on one database, as
// two servers would: the ledger stays one contiguous sequence and each
// import's entries stay together.
func TestConcurrentImports(t *testing.T) {
	t.Parallel()
	url := newTestDatabase(t)
	var dbs []*DB
	for range 2 {
		db, err := Open(t.Context(), url, testLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		dbs = append(dbs, db)
	}
	const imports, perImport = 6, flushRecords + 500
	var wg sync.WaitGroup
	srcs := make([]*paradero.Source, imports)
	for i := range imports {
		wg.Go(func() {
			srcs[i], _ = importFile(t, dbs[i%2], fmt.Appendf(nil, "file %d", i), perImport, person)
		})
	}
	// And two imports of one file, racing: one must lose with ECONFLICT.
	var conflicts, wins int
	var mu sync.Mutex
	for i := range 2 {
		wg.Go(func() {
			ctx := actorCtx(t)
			im, err := dbs[i].BeginImport(ctx, &paradero.Source{Kind: paradero.KindNews}, bytes.NewReader([]byte("same file")))
			if err == nil {
				defer im.Rollback()
				if err = im.AddRecord(ctx, person(0)); err == nil {
					_, err = im.Commit(ctx)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			switch code(err) {
			case "":
				wins++
			case paradero.ECONFLICT:
				conflicts++
			default:
				t.Errorf("racing import: %v", err)
			}
		})
	}
	wg.Wait()
	if wins != 1 || conflicts != 1 {
		t.Errorf("racing imports of one file: %d won, %d conflicted; want 1 and 1", wins, conflicts)
	}
	for _, src := range srcs {
		if src == nil {
			t.FailNow()
		}
		recs, total, err := dbs[0].FindRecords(t.Context(), paradero.RecordFilter{SourceID: src.ID, Limit: perImport})
		if err != nil || total != perImport {
			t.Fatalf("FindRecords(source %d) = %d records, %v", src.ID, total, err)
		}
		for j, r := range recs {
			if r.LedgerIndex != src.LedgerIndex+1+int64(j) {
				t.Fatalf("source %d record %d at ledger index %d, want %d", src.ID, j, r.LedgerIndex, src.LedgerIndex+1+int64(j))
			}
		}
	}
	verifyLedger(t, dbs[1], imports*(perImport+1)+2)
}

func TestOpenConcurrently(t *testing.T) {
	t.Parallel()
	url := newTestDatabase(t)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			db, err := Open(t.Context(), url, testLogger(t))
			if err != nil {
				t.Error(err)
				return
			}
			db.Close()
		})
	}
	wg.Wait()
	db, err := Open(t.Context(), url, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	names, _ := migrations.ReadDir("migrations")
	assertCounts(t, db, map[string]int{"schema_migrations": len(names)})
}

func TestOpenUnreachable(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 10_000_000_000)
	defer cancel()
	_, err := Open(ctx, "postgres://nobody:secret@127.0.0.1:1/x?sslmode=disable&connect_timeout=2", nil)
	if code(err) != paradero.EUNAVAILABLE {
		t.Errorf("Open(unreachable) error %v, want EUNAVAILABLE", err)
	}
	if err != nil && bytes.Contains([]byte(err.Error()), []byte("secret")) {
		t.Errorf("error reveals the password: %v", err)
	}
	if _, err := Open(ctx, "postgres://%zz", nil); code(err) != paradero.EINVALID {
		t.Errorf("Open(bad URL) error %v, want EINVALID", err)
	}
}

func TestRedactRecord(t *testing.T) {
	t.Parallel()
	db := openTest(t)
	ctx := t.Context()
	_, rs := importFile(t, db, []byte("redact me"), 3, person)
	target := rs[1]
	x := &paradero.Redaction{
		RecordID: target.ID, Reason: "risk to family", CreatedBy: "cli:test",
		CreatedAt: db.now(), Salt: randomBytes(32), Signature: []byte("signed note"),
	}
	x.Commitment = paradero.Commit(x.Salt, paradero.RedactionContent(x.Reason, x.CreatedBy))
	if err := db.RedactRecord(ctx, x); err != nil {
		t.Fatal(err)
	}
	if x.ID == 0 || x.LedgerIndex != 4 || x.CreatedAt != paradero.Timestamp(x.CreatedAt) {
		t.Errorf("RedactRecord set %+v", x)
	}
	got, err := db.FindRecordByID(ctx, target.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := &paradero.Record{ID: target.ID, SourceID: target.SourceID, Row: target.Row, Commitment: target.Commitment,
		CreatedAt: target.CreatedAt, LedgerIndex: target.LedgerIndex, Redaction: x}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("redacted record =\n%+v\nwant\n%+v", got, want)
	}
	if err := db.RedactRecord(ctx, x); code(err) != paradero.ECONFLICT {
		t.Errorf("second redaction error %v, want ECONFLICT", err)
	}
	x2 := *x
	x2.RecordID = 424242
	if err := db.RedactRecord(ctx, &x2); code(err) != paradero.ENOTFOUND {
		t.Errorf("redaction of missing record error %v, want ENOTFOUND", err)
	}
	x2.RecordID, x2.Reason = rs[0].ID, " "
	if err := db.RedactRecord(ctx, &x2); code(err) != paradero.EINVALID {
		t.Errorf("redaction without reason error %v, want EINVALID", err)
	}
	// No visible row holds the name any more.
	var n int
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM records WHERE content LIKE '%' || $1 || '%' OR id = $2 AND content IS NOT NULL`,
		target.FullName, target.ID).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d rows still hold the redacted content (%v)", n, err)
	}
	st, _ := db.Status(ctx)
	if st.Redactions != 1 || st.LedgerSize != 5 {
		t.Errorf("Status = %+v", st)
	}
	verifyLedger(t, db, 5)
}

func TestUnledgeredAndScan(t *testing.T) {
	t.Parallel()
	db := openTest(t)
	ctx := t.Context()
	_, rs := importFile(t, db, []byte("tamper"), 2, person)
	if got, err := db.FindUnledgered(ctx, 10); err != nil || len(got) != 0 {
		t.Fatalf("FindUnledgered = %v, %v; want none", got, err)
	}
	// Tamper: drop the second record's entry and the first record's row.
	if _, err := db.pool.Exec(ctx, `DELETE FROM ledger_entries WHERE idx = $1`, rs[1].LedgerIndex); err != nil {
		t.Fatal(err)
	}
	if _, err := db.pool.Exec(ctx, `DELETE FROM records WHERE id = $1`, rs[0].ID); err != nil {
		t.Fatal(err)
	}
	got, err := db.FindUnledgered(ctx, 10)
	if want := []string{fmt.Sprintf("record %d", rs[1].ID)}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("FindUnledgered = %v, %v; want %v", got, err, want)
	}
	var items []*paradero.LedgerItem
	if err := db.ScanLedger(ctx, func(it *paradero.LedgerItem) error { items = append(items, it); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 || items[0].Source == nil || items[1].Index != rs[0].LedgerIndex || items[1].Record != nil {
		t.Errorf("ScanLedger after tampering = %+v", items)
	}
	stop := errors.New("stop")
	calls := 0
	if err := db.ScanLedger(ctx, func(*paradero.LedgerItem) error { calls++; return stop }); err != stop || calls != 1 {
		t.Errorf("ScanLedger returned %v after %d calls; want fn's error after 1", err, calls)
	}
	if _, err := db.FindEntry(ctx, rs[1].LedgerIndex); code(err) != paradero.ENOTFOUND {
		t.Errorf("FindEntry(deleted) error %v, want ENOTFOUND", err)
	}
	e, err := db.FindEntry(ctx, 0)
	if err != nil || e.Kind != paradero.EntrySource || e.Index != 0 {
		t.Errorf("FindEntry(0) = %+v, %v", e, err)
	}
}

func TestCheckpoints(t *testing.T) {
	t.Parallel()
	db := openTest(t)
	ctx := t.Context()
	if _, err := db.LatestCheckpoint(ctx); code(err) != paradero.ENOTFOUND {
		t.Errorf("LatestCheckpoint(none) error %v, want ENOTFOUND", err)
	}
	c1 := &paradero.Checkpoint{Size: 1, Hash: paradero.Hash{1}, Note: []byte("note 1"), CreatedAt: db.now()}
	c5 := &paradero.Checkpoint{Size: 5, Hash: paradero.Hash{5}, Note: []byte("note 5"), CreatedAt: db.now()}
	for _, c := range []*paradero.Checkpoint{c5, c1} {
		if err := db.AddCheckpoint(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.AddCheckpoint(ctx, &paradero.Checkpoint{Size: 5, Hash: paradero.Hash{5}, Note: []byte("again")}); err != nil {
		t.Errorf("re-adding a checkpoint: %v", err)
	}
	if err := db.AddCheckpoint(ctx, &paradero.Checkpoint{Size: 5, Hash: paradero.Hash{6}}); code(err) != paradero.ECONFLICT {
		t.Errorf("conflicting checkpoint error %v, want ECONFLICT", err)
	}
	latest, err := db.LatestCheckpoint(ctx)
	if err != nil || !reflect.DeepEqual(latest, c5) {
		t.Errorf("LatestCheckpoint = %+v, %v; want %+v", latest, err, c5)
	}
	all, err := db.FindCheckpoints(ctx)
	if err != nil || !reflect.DeepEqual(all, []*paradero.Checkpoint{c1, c5}) {
		t.Errorf("FindCheckpoints = %+v, %v", all, err)
	}
}

// patternReader yields n deterministic bytes and records the largest heap
// seen while they are read.
type patternReader struct {
	n, off  int64
	maxHeap uint64
}

func (r *patternReader) Read(p []byte) (int, error) {
	if r.off >= r.n {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), r.n-r.off)]
	for i := range p {
		p[i] = byte((r.off + int64(i)) * 7 >> 3)
	}
	r.off += int64(len(p))
	if r.off%(8<<20) < int64(len(p)) {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		r.maxHeap = max(r.maxHeap, ms.HeapAlloc)
	}
	return len(p), nil
}

// TestBlobStreams imports and reads back a 96 MiB file and checks that the
// heap never holds more than a few chunks of it: a 2 GB file must stream.
func TestBlobStreams(t *testing.T) {
	db := openTest(t)
	ctx := actorCtx(t)
	const size = 96 << 20
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	r := &patternReader{n: size}
	im, err := db.BeginImport(ctx, &paradero.Source{Kind: paradero.KindOther}, r)
	if err != nil {
		t.Fatal(err)
	}
	defer im.Rollback()
	if err := im.AddRecord(ctx, person(0)); err != nil {
		t.Fatal(err)
	}
	src, err := im.Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	grew := int64(r.maxHeap) - int64(base)
	t.Logf("heap grew by at most %.1f MiB while importing %d MiB", float64(grew)/(1<<20), size>>20)
	if grew > 24<<20 {
		t.Errorf("heap grew by %d MiB while importing a %d MiB file; want it streamed", grew>>20, size>>20)
	}
	rc, err := db.OpenBlob(ctx, src.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	h := sha256.New()
	want := &patternReader{n: size}
	wh := sha256.New()
	io.Copy(wh, want)
	if n, err := io.Copy(h, rc); err != nil || n != size || !bytes.Equal(h.Sum(nil), wh.Sum(nil)) {
		t.Errorf("read back %d bytes, %v; want the %d bytes imported", n, err, size)
	}
}

// TestImportCancelled cancels an import's context in the middle of its
// writes: the import fails, leaves nothing, and frees the ledger for the
// next one.
func TestImportCancelled(t *testing.T) {
	t.Parallel()
	db := openTest(t)
	ctx, cancel := context.WithCancel(actorCtx(t))
	defer cancel()
	im, err := db.BeginImport(ctx, &paradero.Source{Kind: paradero.KindRoster}, bytes.NewReader([]byte("cancelled")))
	if err != nil {
		t.Fatal(err)
	}
	defer im.Rollback()
	for i := range 3*flushRecords + 7 {
		if i == 2*flushRecords+1 {
			cancel()
		}
		if err = im.AddRecord(ctx, person(i)); err != nil {
			break
		}
	}
	if err == nil {
		_, err = im.Commit(ctx)
	}
	if err == nil {
		t.Fatal("an import whose context was cancelled committed")
	}
	if err := im.Rollback(); err != nil {
		t.Logf("Rollback: %v", err)
	}
	assertCounts(t, db, map[string]int{"sources": 0, "records": 0, "blobs": 0, "blob_chunks": 0, "ledger_entries": 0})
	importFile(t, db, []byte("cancelled"), 2, person)
	verifyLedger(t, db, 3)
}

package postgres

import (
	"fmt"
	"strings"
	"testing"

	"github.com/paradero/paradero"
)

func searchRedaction(t *testing.T, r *paradero.Record) *paradero.Redaction {
	t.Helper()
	x := &paradero.Redaction{RecordID: r.ID, Reason: "risk to family", CreatedBy: "cli:test",
		CreatedAt: r.CreatedAt, Salt: randomBytes(32), Signature: []byte("signed note")}
	x.Commitment = paradero.Commit(x.Salt, paradero.RedactionContent(x.Reason, x.CreatedBy))
	return x
}

// indexRowsHolding counts the live rows of the search index that hold one
// of the words: a term containing it, or one of its typing variants.
func indexRowsHolding(t *testing.T, db *DB, words ...string) int {
	t.Helper()
	var dels []string
	for _, w := range words {
		dels = append(dels, deletions(w)...)
	}
	var n int
	if err := db.pool.QueryRow(t.Context(), `SELECT
		(SELECT count(*) FROM search_lexicon l, unnest($1::text[]) w WHERE strpos(l.term, w) > 0) +
		(SELECT count(*) FROM search_vocab WHERE del = ANY($2))`, words, dels).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func searchIDs(t *testing.T, db *DB, q paradero.SearchQuery) []int64 {
	t.Helper()
	res, err := db.SearchRecords(t.Context(), q)
	if err != nil {
		t.Fatalf("SearchRecords(%+v): %v", q, err)
	}
	var ids []int64
	for _, h := range res.Hits {
		ids = append(ids, h.RecordID)
	}
	return ids
}

// TestRedactionUnindexesInItsTransaction: the index loses a record, and
// every term only it held, exactly when the redaction commits — not when
// it fails — and keeps the terms other records share.
func TestRedactionUnindexesInItsTransaction(t *testing.T) {
	t.Parallel()
	db := openTest(t)
	ctx := actorCtx(t)
	_, rs := importFile(t, db, []byte("to redact from the index"), 2, func(i int) *paradero.Record {
		return []*paradero.Record{
			{Row: 2, FullName: "Xiomara Quintanilla Rivas", BirthDate: paradero.PartialDate{Year: 1987, Month: 6, Day: 30}, ANumber: "A201234567", Facility: "Krome"},
			{Row: 3, FullName: "Otra Persona Rivas", Facility: "Krome"},
		}[i]
	})
	secret := []string{"xiomara", "quintanilla", "1987-06-30", "201234567"}
	if n := indexRowsHolding(t, db, secret...); n == 0 {
		t.Fatal("the index holds nothing of the record before its redaction")
	}

	// A redaction that fails leaves the index as it was.
	if err := db.ExecUnsafe(ctx, `CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$;
		CREATE TRIGGER refuse BEFORE INSERT ON redactions FOR EACH ROW EXECUTE FUNCTION refuse()`); err != nil {
		t.Fatal(err)
	}
	if err := db.RedactRecord(ctx, searchRedaction(t, rs[0])); err == nil {
		t.Fatal("the redaction went through the refusing trigger")
	}
	if ids := searchIDs(t, db, paradero.SearchQuery{Name: "xiomara"}); len(ids) != 1 || ids[0] != rs[0].ID {
		t.Fatalf("after a failed redaction: %v, want the record still found", ids)
	}
	if err := db.ExecUnsafe(ctx, `DROP TRIGGER refuse ON redactions`); err != nil {
		t.Fatal(err)
	}

	if err := db.RedactRecord(ctx, searchRedaction(t, rs[0])); err != nil {
		t.Fatal(err)
	}
	if n := indexRowsHolding(t, db, secret...); n != 0 {
		t.Errorf("%d live index rows still hold the redacted record's words", n)
	}
	var docs int
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM search_docs WHERE record_id = $1`, rs[0].ID).Scan(&docs); err != nil || docs != 0 {
		t.Errorf("the redacted record's index row: %d, %v", docs, err)
	}
	for _, q := range []paradero.SearchQuery{{Name: "rivas"}, {Facility: "krome"}} {
		if ids := searchIDs(t, db, q); len(ids) != 1 || ids[0] != rs[1].ID {
			t.Errorf("search %+v = %v, want the other record, whose words stay", q, ids)
		}
	}
}

// TestIndexSearchBackfill: records imported before the index existed are
// indexed by IndexSearch in chunks, skipping those redacted meanwhile, and
// only once.
func TestIndexSearchBackfill(t *testing.T) {
	t.Parallel()
	db := openTest(t)
	ctx := actorCtx(t)
	n := backfillChunk + 7
	_, rs := importFile(t, db, []byte("before the index"), n, func(i int) *paradero.Record {
		return &paradero.Record{Row: i + 2, FullName: fmt.Sprintf("Yorman Quintero %c%c%c", 'a'+i%26, 'a'+i/26%26, 'a'+i/676%26), ANumber: fmt.Sprintf("A%09d", 300000000+i)}
	})
	// As if these records were imported before migration 0005.
	if err := db.ExecUnsafe(ctx, `DELETE FROM search_docs; DELETE FROM search_lexicon;
		UPDATE search_state SET backfilled = 0, backfill_to = (SELECT max(id) FROM records)`); err != nil {
		t.Fatal(err)
	}
	if err := db.RedactRecord(ctx, searchRedaction(t, rs[1])); err != nil {
		t.Fatal(err)
	}
	got, err := db.IndexSearch(ctx)
	if err != nil || got != n-1 {
		t.Fatalf("IndexSearch = %d, %v; want %d (all but the redacted record)", got, err, n-1)
	}
	if got, err := db.IndexSearch(ctx); got != 0 || err != nil {
		t.Errorf("IndexSearch again = %d, %v", got, err)
	}
	for _, i := range []int{0, 1, n - 1} {
		ids := searchIDs(t, db, paradero.SearchQuery{ANumber: rs[i].ANumber})
		if want := i != 1; (len(ids) == 1 && ids[0] == rs[i].ID) != want {
			t.Errorf("record %d by A-number: %v, want found %v", i, ids, want)
		}
	}
	res, err := db.SearchRecords(ctx, paradero.SearchQuery{Name: "yorman quinteor"})
	if err != nil || !res.Truncated || res.Total != paradero.MaxSearchScan {
		t.Errorf("common words after the backfill: %+v, %v", res, err)
	}
	if ids := searchIDs(t, db, paradero.SearchQuery{Name: strings.ToUpper(rs[n-1].FullName)}); len(ids) == 0 || ids[0] != rs[n-1].ID {
		t.Errorf("the last record by name: %v, want it first", ids)
	}
}

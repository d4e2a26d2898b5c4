package sqlite_test

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/ledger"
	"github.com/paradero/paradero/sqlite"
)

// searchFixture imports recs as one source and returns the store.
func searchFixture(t testing.TB, recs ...*paradero.Record) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(t.Context(), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	importRecords(t, db, "one", recs...)
	return db
}

func importRecords(t testing.TB, db *sqlite.DB, blob string, recs ...*paradero.Record) {
	t.Helper()
	ctx := paradero.NewContextWithActor(t.Context(), paradero.Actor{Name: "cli:test", Role: paradero.RoleAdmin})
	im, err := db.BeginImport(ctx, &paradero.Source{Kind: paradero.KindRoster}, strings.NewReader(blob))
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range recs {
		r.Row = i + 2
		if err := im.AddRecord(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := im.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

// found runs q and returns "id:field/kind,…" for each hit, best first.
func found(t *testing.T, db *sqlite.DB, q paradero.SearchQuery) string {
	t.Helper()
	res, err := db.SearchRecords(t.Context(), q)
	if err != nil {
		t.Fatalf("SearchRecords(%+v): %v", q, err)
	}
	var out []string
	for _, h := range res.Hits {
		var rs []string
		for _, m := range h.Reasons {
			rs = append(rs, m.Field+"/"+string(m.Kind))
		}
		out = append(out, fmt.Sprintf("%d:%s", h.RecordID, strings.Join(rs, ",")))
	}
	return strings.Join(out, " ")
}

func TestSearch(t *testing.T) {
	db := searchFixture(t,
		&paradero.Record{FullName: "JOSE LUIS PEREZ GOMEZ", BirthDate: paradero.PartialDate{Year: 1990, Month: 4, Day: 2}, ANumber: "A123456789", Facility: "CECOT, Tecoluca"},
		&paradero.Record{GivenNames: "Pepe", Surnames: "Pérez", BirthDate: paradero.PartialDate{Year: 1990}},
		&paradero.Record{FullName: "Yorman Vásquez Quintero", BirthDate: paradero.PartialDate{Year: 1990, Month: 2, Day: 4}, Facility: "Krome"},
		&paradero.Record{FullName: "María Basques", ANumber: "987654321"},
		&paradero.Record{FullName: "Ana de la Cruz", Facility: "CECOT"},
	)
	for _, tc := range []struct {
		q    paradero.SearchQuery
		want string
	}{
		// Exact, nickname both ways, any order, accents ignored.
		{paradero.SearchQuery{Name: "josé pérez"}, "1:name/exact,name/exact 2:name/nickname,name/exact"},
		{paradero.SearchQuery{Name: "Pérez, Pepe"}, "2:name/exact,name/exact 1:name/nickname,name/exact"},
		// Sound: Spanish seseo and b = v, not English Soundex.
		{paradero.SearchQuery{Name: "vazquez"}, "3:name/sound 4:name/sound"},
		// One typing error.
		{paradero.SearchQuery{Name: "Quinteor"}, "3:name/typo"},
		{paradero.SearchQuery{Name: "yorman quintreo"}, "3:name/exact,name/typo"},
		// Particles are not criteria.
		{paradero.SearchQuery{Name: "de la cruz"}, "5:name/exact"},
		// Dates: exact first, then less precise, then swapped.
		{paradero.SearchQuery{BirthDate: paradero.PartialDate{Year: 1990, Month: 4, Day: 2}}, "1:birth_date/exact 2:birth_date/partial-date 3:birth_date/swapped-date"},
		{paradero.SearchQuery{BirthDate: paradero.PartialDate{Year: 1990}}, "2:birth_date/exact 1:birth_date/partial-date 3:birth_date/partial-date"},
		// Document numbers compare normalised.
		{paradero.SearchQuery{ANumber: "123-456-789"}, "1:a_number/exact"},
		{paradero.SearchQuery{ANumber: "0987654321"}, "4:a_number/exact"},
		// Facility words, and every criterion at once.
		{paradero.SearchQuery{Facility: "cecot"}, "1:facility/exact 5:facility/exact"},
		{paradero.SearchQuery{Name: "perez", Facility: "cecot"}, "1:name/exact,facility/exact"},
		{paradero.SearchQuery{Name: "nadie"}, ""},
	} {
		if got := found(t, db, tc.q); got != tc.want {
			t.Errorf("search %+v = %q, want %q", tc.q, got, tc.want)
		}
	}
	for _, bad := range []paradero.SearchQuery{{}, {Name: "J."}, {ANumber: "--"}} {
		if _, err := db.SearchRecords(t.Context(), bad); paradero.ErrorCode(err) != paradero.EINVALID {
			t.Errorf("search %+v: %v, want EINVALID", bad, err)
		}
	}
}

// TestSearchIndexFollowsImportsAndRedactions checks that a later import is
// found and a redacted record is not, and that nothing of its name stays
// in the index.
func TestSearchIndexFollowsImportsAndRedactions(t *testing.T) {
	db := searchFixture(t, &paradero.Record{FullName: "Xiomara Quintanilla"}, &paradero.Record{FullName: "Otra Persona"})
	if got := found(t, db, paradero.SearchQuery{Name: "quintanila"}); got != "1:name/typo" {
		t.Fatalf("before: %q", got)
	}
	importRecords(t, db, "two", &paradero.Record{FullName: "Xiomara Quintanilla Rivas"})
	if got := found(t, db, paradero.SearchQuery{Name: "xiomara quintanilla"}); got != "1:name/exact,name/exact 3:name/exact,name/exact" {
		t.Fatalf("after a second import: %q", got)
	}
	ctx := paradero.NewContextWithActor(t.Context(), paradero.Actor{Name: "cli:test", Role: paradero.RoleAdmin})
	key, err := ledger.LoadOrCreateKey(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	log := ledger.New(db, key)
	for _, id := range []int64{1, 3} {
		r, err := db.FindRecordByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		x := &paradero.Redaction{RecordID: id, Reason: "r", CreatedBy: "cli:test", Salt: bytes.Repeat([]byte{7}, 32), CreatedAt: time.Now()}
		x.Commitment = paradero.Commit(x.Salt, paradero.RedactionContent(x.Reason, x.CreatedBy))
		if err := log.SignRedaction(x, r.Commitment); err != nil {
			t.Fatal(err)
		}
		if err := db.RedactRecord(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{"xiomara", "quintanila", "rivas"} {
		if got := found(t, db, paradero.SearchQuery{Name: q}); got != "" {
			t.Errorf("after redaction, %q finds %q", q, got)
		}
	}
	if got := found(t, db, paradero.SearchQuery{Name: "persona"}); got != "2:name/exact" {
		t.Errorf("the unredacted record: %q", got)
	}
	if n, err := db.IndexSearch(t.Context()); n != 0 || err != nil {
		t.Errorf("IndexSearch on a current index = %d, %v", n, err)
	}
}

// TestSearchScanIsBounded checks that a word every record holds reads at
// most MaxSearchScan entries and says so.
func TestSearchScanIsBounded(t *testing.T) {
	recs := make([]*paradero.Record, paradero.MaxSearchScan+100)
	for i := range recs {
		recs[i] = &paradero.Record{FullName: fmt.Sprintf("José Pérez %d", i)}
	}
	recs[len(recs)-1].FullName = "José Zambrano"
	db := searchFixture(t, recs...)
	res, err := db.SearchRecords(t.Context(), paradero.SearchQuery{Name: "jose"})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Truncated || res.Total != paradero.MaxSearchScan || len(res.Hits) != 50 {
		t.Errorf("common word: truncated %v, total %d, %d hits", res.Truncated, res.Total, len(res.Hits))
	}
	// A rare word drives the search: the one José Zambrano is found.
	if got := found(t, db, paradero.SearchQuery{Name: "jose zambrano"}); got != fmt.Sprintf("%d:name/exact,name/exact", len(recs)) {
		t.Errorf("rare word: %q", got)
	}
}

// BenchmarkSearch measures a search by given name and surname, one with a
// birth year, and one by A-number over a store of SEARCH_BENCH_RECORDS
// records (default 100 000) with common Spanish names, after indexing
// them. Run with -benchtime 200x; the indexing time is reported once.
func BenchmarkSearch(b *testing.B) {
	n := 100000
	if s := os.Getenv("SEARCH_BENCH_RECORDS"); s != "" {
		fmt.Sscan(s, &n)
	}
	given := []string{"José", "Luis", "María", "Carlos", "Ana", "Jesús", "Yorman", "Daniela", "Andrés", "Gabriela", "Miguel", "Rosa", "Pedro", "Carmen", "Juan", "Luisa"}
	sur := []string{"Pérez", "González", "Rodríguez", "Hernández", "García", "Martínez", "López", "Quintero", "Rivas", "Vásquez", "Gómez", "Díaz", "Torres", "Rojas", "Mendoza", "Silva", "Castillo", "Zambrano", "Suárez", "Ramírez"}
	recs := make([]*paradero.Record, n)
	seed := uint64(1)
	next := func(k int) int {
		seed = seed*6364136223846793005 + 1442695040888963407
		return int((seed >> 33) % uint64(k))
	}
	for i := range recs {
		recs[i] = &paradero.Record{
			FullName:  given[next(len(given))] + " " + given[next(len(given))] + " " + sur[next(len(sur))] + " " + sur[next(len(sur))],
			BirthDate: paradero.PartialDate{Year: 1960 + next(45), Month: 1 + next(12), Day: 1 + next(28)},
			ANumber:   fmt.Sprintf("A%09d", 100000000+i), Facility: []string{"CECOT", "Krome", "Otero", "Port Isabel"}[next(4)],
		}
	}
	db, err := sqlite.Open(b.Context(), b.TempDir(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	importRecords(b, db, "bench", recs...)
	start := time.Now()
	if _, err := db.IndexSearch(b.Context()); err != nil {
		b.Fatal(err)
	}
	b.Logf("indexed %d records in %v", n, time.Since(start))
	for _, q := range []paradero.SearchQuery{
		{Name: "yorman quintero"},
		{Name: "jose perez", BirthDate: paradero.PartialDate{Year: 1990}},
		{Name: "gabriela zambrano suares"},
		{ANumber: fmt.Sprintf("A%09d", 100000000+n/2)},
	} {
		b.Run(strings.ReplaceAll(q.Name+q.ANumber, " ", "_"), func(b *testing.B) {
			var total int
			for b.Loop() {
				res, err := db.SearchRecords(b.Context(), q)
				if err != nil {
					b.Fatal(err)
				}
				total = res.Total
			}
			b.ReportMetric(float64(total), "hits")
		})
	}
}

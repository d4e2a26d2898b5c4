package sqlite_test

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/sqlite"
	"github.com/paradero/paradero/storetest"
)

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

// TestSearchContract runs the SearchService contract, which the
// PostgreSQL store runs too.
func TestSearchContract(t *testing.T) {
	storetest.RunSearch(t, func(t *testing.T) storetest.SearchStore { return open(t).(*sqlite.DB) })
}

// BenchmarkSearch measures a search by given name and surname, one with a
// birth year, and one by A-number over a store of SEARCH_BENCH_RECORDS
// records (default 100 000) with common Spanish names, after indexing
// them; and all of them at once from 50 clients. Run with -benchtime 200x;
// the indexing time is reported once, and each search's latency as p50
// and p95 in ms. package postgres's BenchmarkSearch makes the same records
// and asks the same questions.
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
	queries := []paradero.SearchQuery{
		{Name: "yorman quintero"},
		{Name: "jose perez", BirthDate: paradero.PartialDate{Year: 1990}},
		{Name: "gabriela zambrano suares"},
		{ANumber: fmt.Sprintf("A%09d", 100000000+n/2)},
		{Name: "jose"}, // a common word alone: Truncated
	}
	for _, q := range queries {
		b.Run(strings.ReplaceAll(q.Name+q.ANumber, " ", "_"), func(b *testing.B) {
			var (
				total int
				lat   []time.Duration
			)
			for b.Loop() {
				t0 := time.Now()
				res, err := db.SearchRecords(b.Context(), q)
				if err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
				total = res.Total
			}
			b.ReportMetric(float64(total), "hits")
			percentiles(b, lat)
		})
	}
	b.Run("mixed_50_clients", func(b *testing.B) {
		var (
			mu  sync.Mutex
			lat []time.Duration
		)
		b.SetParallelism((50 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
		b.RunParallel(func(pb *testing.PB) {
			var mine []time.Duration
			i := 0
			for pb.Next() {
				t0 := time.Now()
				if _, err := db.SearchRecords(b.Context(), queries[i%len(queries)]); err != nil {
					b.Error(err)
					return
				}
				mine = append(mine, time.Since(t0))
				i++
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
		percentiles(b, lat)
	})
}

// percentiles reports the p50 and p95 of the durations, in milliseconds.
func percentiles(b *testing.B, d []time.Duration) {
	if len(d) == 0 {
		return
	}
	slices.Sort(d)
	at := func(p float64) float64 { return float64(d[min(len(d)-1, int(p*float64(len(d))))]) / 1e6 }
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.95), "p95-ms")
}

// TestSearchDuringCatchUp searches while another caller holds the index's
// catch-up (a large import being indexed in the background): the search
// answers at once from what is indexed and says how many records are not
// yet; once the catch-up is free the next search indexes them.
func TestSearchDuringCatchUp(t *testing.T) {
	db, err := sqlite.Open(t.Context(), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	importRecords(t, db, "primera", &paradero.Record{Row: 2, FullName: "Yorman Quintero Salas"})
	q := paradero.SearchQuery{Name: "Yorman Quintero"}
	if res, err := db.SearchRecords(t.Context(), q); err != nil || res.Total != 1 || res.Pending != 0 {
		t.Fatalf("first search: %+v, %v; want one hit, nothing pending", res, err)
	}
	importRecords(t, db, "segunda",
		&paradero.Record{Row: 2, FullName: "Yorman Quintero"},
		&paradero.Record{Row: 3, FullName: "Ana Rivas"})

	release := db.HoldIndexing()
	done := make(chan struct{})
	var res *paradero.SearchResult
	go func() {
		defer close(done)
		res, err = db.SearchRecords(t.Context(), q)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		release()
		t.Fatal("a search waited for the catch-up held elsewhere")
	}
	release()
	if err != nil || res.Total != 1 || res.Pending != 2 {
		t.Fatalf("search during the catch-up: %+v, %v; want the indexed hit and 2 pending", res, err)
	}
	if res, err := db.SearchRecords(t.Context(), q); err != nil || res.Total != 2 || res.Pending != 0 {
		t.Fatalf("search after the catch-up: %+v, %v; want both hits, nothing pending", res, err)
	}
}

// TestSearchScatteredCandidates: a rare word's records at both ends of a
// store, with a common word's records between them, are checked against
// the common word one by one rather than by reading it all between them,
// and are found just the same, each for its best reason; records found
// next to each other are found by reading on along the index.
func TestSearchScatteredCandidates(t *testing.T) {
	db, err := sqlite.Open(t.Context(), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	recs := []*paradero.Record{{FullName: "José Zambrano"}, {FullName: "Pepe Zambrano Rivas"}}
	for i := range paradero.MaxSearchScan + 100 {
		recs = append(recs, &paradero.Record{FullName: fmt.Sprintf("José Pérez %d", i)})
	}
	recs = append(recs, &paradero.Record{FullName: "Josue Zambrano"}, &paradero.Record{FullName: "Hosé Zambrano"})
	importRecords(t, db, "scattered", recs...)
	label := map[int64]string{recs[0].ID: "jose", recs[1].ID: "pepe", recs[len(recs)-2].ID: "josue", recs[len(recs)-1].ID: "hose"}
	for _, tc := range []struct{ q, want string }{
		{"jose zambrano", "jose:name/exact,name/exact pepe:name/nickname,name/exact josue:name/typo,name/exact hose:name/typo,name/exact"},
		{"zambrano rivas", "pepe:name/exact,name/exact"},
	} {
		res, err := db.SearchRecords(t.Context(), paradero.SearchQuery{Name: tc.q})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, h := range res.Hits {
			var rs []string
			for _, m := range h.Reasons {
				rs = append(rs, m.Field+"/"+string(m.Kind))
			}
			got = append(got, label[h.RecordID]+":"+strings.Join(rs, ","))
		}
		if g := strings.Join(got, " "); g != tc.want || res.Truncated {
			t.Errorf("search %q = %q (truncated %v), want %q", tc.q, g, res.Truncated, tc.want)
		}
	}
}

package postgres

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paradero/paradero"
)

// benchSearchRecords returns n synthetic records with common Spanish names,
// made as package sqlite's BenchmarkSearch makes them, so that the figures
// of the two stores compare.
func benchSearchRecords(n int) []*paradero.Record {
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
			Row:       i + 2,
			FullName:  given[next(len(given))] + " " + given[next(len(given))] + " " + sur[next(len(sur))] + " " + sur[next(len(sur))],
			BirthDate: paradero.PartialDate{Year: 1960 + next(45), Month: 1 + next(12), Day: 1 + next(28)},
			ANumber:   fmt.Sprintf("A%09d", 100000000+i), Facility: []string{"CECOT", "Krome", "Otero", "Port Isabel"}[next(4)],
		}
	}
	return recs
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

// BenchmarkSearch measures the searches of package sqlite's BenchmarkSearch
// over SEARCH_BENCH_RECORDS records (default 100 000), imported (and so
// indexed) in sources of 100 000, then analysed; and all of them at once
// from 50 clients. Run with
//
//	SEARCH_BENCH_RECORDS=1000000 go test ./postgres -run '^$' -bench Search -benchtime 200x
//
// Each search's latency is measured; p50 and p95 are reported in ms.
func BenchmarkSearch(b *testing.B) {
	n := 100000
	if s := os.Getenv("SEARCH_BENCH_RECORDS"); s != "" {
		fmt.Sscan(s, &n)
	}
	db := openTest(b)
	ctx := paradero.NewContextWithActor(b.Context(), paradero.Actor{Name: "bench"})
	recs := benchSearchRecords(n)
	start := time.Now()
	for i := 0; i < n; i += 100000 {
		im, err := db.BeginImport(ctx, &paradero.Source{Kind: paradero.KindRoster, Title: "bench"}, bytes.NewReader(fmt.Appendf(nil, "search bench %d", i)))
		if err != nil {
			b.Fatal(err)
		}
		defer im.Rollback()
		for _, r := range recs[i:min(i+100000, n)] {
			if err := im.AddRecord(ctx, r); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := im.Commit(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("imported and indexed %d records in %v", n, time.Since(start))
	if _, err := db.pool.Exec(ctx, `VACUUM ANALYZE`); err != nil {
		b.Fatal(err)
	}
	var size string
	if err := db.pool.QueryRow(ctx, `SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid)))
		FROM pg_class c WHERE c.relname IN ('search_docs', 'search_lexicon', 'search_vocab')`).Scan(&size); err != nil {
		b.Fatal(err)
	}
	b.Logf("search index: %s", size)
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

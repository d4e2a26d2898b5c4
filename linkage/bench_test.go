package linkage

import (
	"bytes"
	"context"
	"encoding/csv"
	"syscall"
	"testing"

	"github.com/paradero/paradero/linkage/fakeperson"
	"github.com/paradero/paradero/synth"
)

// fakeTables turns generated sources into tables.
func fakeTables(sources []fakeperson.Source) []Table {
	var ts []Table
	for _, s := range sources {
		t := Table{Name: s.Name, Columns: s.Columns}
		for _, r := range s.Rows {
			row := make([]string, len(s.Columns))
			for i, c := range s.Columns {
				row[i] = r.Values[c]
			}
			t.Rows = append(t.Rows, row)
		}
		ts = append(ts, t)
	}
	return ts
}

// BenchmarkComparePairs measures scoring candidate pairs: computing the
// comparison vector of each and its match weight. b.N counts pairs.
func BenchmarkComparePairs(b *testing.B) {
	tables := fakeTables(fakeperson.Generate(20000, 1))
	s := DefaultPersonSettings()
	ds, err := newDataset(s, NewNormalizer(), tables)
	if err != nil {
		b.Fatal(err)
	}
	bl, err := ds.block(ds.chooseBlocking())
	if err != nil {
		b.Fatal(err)
	}
	var pairs [][2]int32
	for _, c := range bl.chunks(1 << 15) {
		ds.eachPair(bl, c, nil, func(a, b int32) { pairs = append(pairs, [2]int32{a, b}) })
	}
	res, err := Link(context.Background(), s, tables, Options{})
	if err != nil {
		b.Fatal(err)
	}
	sc := newScorer(ds, res.Model)
	cpu0 := cpuTime()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		sum := 0.0
		for pb.Next() {
			p := pairs[i%len(pairs)]
			sum += sc.weight(ds.compare(int(p[0]), int(p[1])), int(p[0]), int(p[1]))
			i += 7919
		}
		_ = sum
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pairs/s")
	// On a shared machine wall time understates the speed; CPU time
	// does not.
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu, "pairs/cpu-s")
	}
}

// cpuTime returns the process's user and system CPU time in seconds.
func cpuTime() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}

// BenchmarkLinkIncremental links a 5 000-record new source against a
// store of about 200 000 records: all at once (full) and with the state of
// a full run over the store (incremental). The world is `paradero synth
// --persons 230000 --seed 3`; the new source is the first 5 000 rows of
// its smallest source of that size, which the store lacks.
//
//	go test -run '^$' -bench LinkIncremental -benchtime 3x ./linkage
func BenchmarkLinkIncremental(b *testing.B) {
	w, err := synth.Generate(synth.Config{Persons: 230000, Seed: 3})
	if err != nil {
		b.Fatal(err)
	}
	var tables []Table
	for _, s := range w.Sources {
		rows, err := csv.NewReader(bytes.NewReader(s.CSV)).ReadAll()
		if err != nil {
			b.Fatal(err)
		}
		tables = append(tables, Table{Name: s.Filename, Columns: rows[0], Rows: rows[1:]})
	}
	// The new source: the smallest with 5 000 rows or more, cut to 5 000
	// and put last.
	pick := -1
	for i, t := range tables {
		if len(t.Rows) >= 5000 && (pick < 0 || len(t.Rows) < len(tables[pick].Rows)) {
			pick = i
		}
	}
	if pick < 0 {
		b.Fatal("no source of 5 000 rows")
	}
	last := len(tables) - 1
	tables[pick], tables[last] = tables[last], tables[pick]
	tables[last].Rows = tables[last].Rows[:5000]
	s := DefaultPersonSettings()
	old, err := Link(b.Context(), s, tables[:last], Options{})
	if err != nil {
		b.Fatal(err)
	}
	st, persons := old.State(), personsOf(old)
	b.Logf("store: %d records; new: %d rows of %s", len(old.Records), len(tables[last].Rows), tables[last].Name)
	b.Run("full", func(b *testing.B) {
		for b.Loop() {
			res, err := Link(b.Context(), s, tables, Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(res.Stats.CandidatePairs), "pairs")
		}
	})
	b.Run("incremental", func(b *testing.B) {
		for b.Loop() {
			res, err := LinkIncremental(b.Context(), st, tables, persons, Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(res.Stats.CandidatePairs), "pairs")
			d := res.Stats.Durations
			b.ReportMetric((d["prepare"] + d["block"]).Seconds(), "read-keys-s")
			b.ReportMetric((d["compare"] + d["score"] + d["cluster"]).Seconds(), "new-s")
		}
	})
}

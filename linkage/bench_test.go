package linkage

import (
	"context"
	"syscall"
	"testing"

	"github.com/paradero/paradero/linkage/fakeperson"
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
		ds.eachPair(bl, c, 0, func(a, b int32) { pairs = append(pairs, [2]int32{a, b}) })
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

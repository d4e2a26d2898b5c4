package estimate

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// benchDir is the shared validation folder: fifteen published tables and
// the frozen results of R's Rcapture, dga, LCMCR (see its README). CI lays
// a copy of shared/ beside the checkout, so this relative path holds there
// as it does in a developer's work tree. A missing folder fails the tests.
const benchDir = "../../shared/benchmarks/mse"

func readBenchTable(t testing.TB, name string) *Table {
	t.Helper()
	f, err := os.Open(filepath.Join(benchDir, name+".csv"))
	if err != nil {
		t.Fatalf("validation table missing (shared/benchmarks/mse must sit beside the checkout): %v", err)
	}
	defer f.Close()
	tab, err := ReadCSV(f)
	if err != nil {
		t.Fatalf("ReadCSV(%s): %v", name, err)
	}
	return tab
}

// readBenchCSV returns the rows of a CSV under benchDir as maps from
// column name to field.
func readBenchCSV(t testing.TB, rel string) []map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join(benchDir, rel))
	if err != nil {
		t.Fatalf("reference file missing (shared/benchmarks/mse must sit beside the checkout): %v", err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("reading %s: %v", rel, err)
	}
	if len(recs) < 2 {
		t.Fatalf("%s has no rows", rel)
	}
	var rows []map[string]string
	for _, r := range recs[1:] {
		m := make(map[string]string, len(r))
		for i, h := range recs[0] {
			m[h] = r[i]
		}
		rows = append(rows, m)
	}
	return rows
}

func num(t testing.TB, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("bad number %q in reference: %v", s, err)
	}
	return v
}

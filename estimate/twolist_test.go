package estimate

import (
	"math"
	"strings"
	"testing"
)

// TestTwoListAgainstReference checks every pair of lists of four tables
// against peer/out/two_list_reference.csv (peer/06_two_list.R: exact
// formulas and Rcapture's profile interval) to 1e-3.
func TestTwoListAgainstReference(t *testing.T) {
	rows := readBenchCSV(t, "peer/out/two_list_reference.csv")
	tables := make(map[string]*Table)
	for _, r := range rows {
		tab, ok := tables[r["case"]]
		if !ok {
			tab = readBenchTable(t, r["case"])
			tables[r["case"]] = tab
		}
		a, b, _ := strings.Cut(r["lists"], "x")
		ia, ib := -1, -1
		for j, l := range tab.Lists {
			if l == a {
				ia = j
			}
			if l == b {
				ib = j
			}
		}
		if ia < 0 || ib < 0 {
			t.Fatalf("%s: lists %s not in table", r["case"], r["lists"])
		}
		m, err := tab.Margin(ia, ib)
		if err != nil {
			t.Fatal(err)
		}
		got, err := TwoListEstimate(m, 0.95)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			col string
			v   float64
		}{
			{"n1", got.N1}, {"n2", got.N2}, {"m", got.M}, {"M", got.Seen},
			{"LP", got.Petersen}, {"Chapman", got.Chapman}, {"se", got.SE},
			{"wald_lo", got.Wald.Lower}, {"wald_hi", got.Wald.Upper},
			{"chao_lo", got.Chao.Lower}, {"chao_hi", got.Chao.Upper},
			{"prof_N", got.Profile.Point}, {"prof_lo", got.Profile.Lower}, {"prof_hi", got.Profile.Upper},
		} {
			// The reference is rounded to 3 decimals.
			if d := math.Abs(c.v - num(t, r[c.col])); d > 1e-3+5e-4 {
				t.Errorf("%s %s: %s = %.4f, want %s", r["case"], r["lists"], c.col, c.v, r[c.col])
			}
		}
	}
}

package estimate

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestFaceShortcutMatchesLP checks the shortcut of faceOf — the face left
// by zero margins, certified by a Newton step instead of a linear
// programme — against the linear programme alone, on every third model
// of the sparse tables (and every 13th pairwise model of a six-list one): the
// same models must be found without an estimate or on the boundary, with
// the same estimates, deviances and flags.
func TestFaceShortcutMatchesLP(t *testing.T) {
	cases := []struct {
		name     string
		maxOrder int
		every    int
	}{
		{"artificial_sparse_3", 2, 1},
		{"us_western_5", 4, 3},
		{"new_orleans_5", 4, 3},
		{"congenital_ma_5", 4, 1},
		{"uk_slavery_6", 2, 13},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tab := readBenchTable(t, c.name)
			fast, slow := newFitter(tab), newFitter(tab)
			slow.lpOnly = true
			fs, ss := fast.newScratch(), slow.newScratch()
			bad, boundary, none := 0, 0, 0
			every := c.every
			if testing.Short() && every > 1 {
				every *= 5
			}
			for i, m := range HierarchicalModels(tab.K(), c.maxOrder) {
				if i%every != 0 {
					continue
				}
				a, b := fast.fit(m, fs), slow.fit(m, ss)
				if b.Boundary {
					boundary++
				}
				if !b.Exists {
					none++
				}
				same := a.Exists == b.Exists && a.Boundary == b.Boundary && a.Clean == b.Clean && a.Problem == b.Problem
				if same && b.Exists {
					same = math.Abs(a.N-b.N) <= 1e-8*b.N && math.Abs(a.Deviance-b.Deviance) <= 1e-6
				}
				if !same {
					bad++
					if bad <= 10 {
						t.Errorf("%s: shortcut exists=%v boundary=%v N=%.6f dev=%.6f; LP exists=%v boundary=%v N=%.6f dev=%.6f",
							m, a.Exists, a.Boundary, a.N, a.Deviance, b.Exists, b.Boundary, b.N, b.Deviance)
					}
				}
			}
			if boundary == 0 && c.name != "congenital_ma_5" {
				t.Errorf("no boundary model: the test tests nothing")
			}
			t.Logf("%d boundary models, %d without estimate, %d differ", boundary, none, bad)
		})
	}
}

// TestFaceShortcutRandomSparse does the same on random sparse tables of
// four and five lists, where zero cells fall in every arrangement.
func TestFaceShortcutRandomSparse(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 1))
	tables := 40
	if testing.Short() {
		tables = 10
	}
	bad, boundary, none := 0, 0, 0
	for i := range tables {
		k := 4 + i%2
		tab, _ := NewTable([]string{"A", "B", "C", "D", "E"}[:k]...)
		for h := 1; h < len(tab.Counts); h++ {
			if rng.Float64() < 0.45 {
				tab.Counts[h] = float64(1 + rng.IntN(1+rng.IntN(60)))
			}
		}
		if tab.Observed() == 0 {
			continue
		}
		fast, slow := newFitter(tab), newFitter(tab)
		slow.lpOnly = true
		fs, ss := fast.newScratch(), slow.newScratch()
		models := HierarchicalModels(k, k-1)
		for j, m := range models {
			if k == 5 && j%17 != i%17 {
				continue
			}
			a, b := fast.fit(m, fs), slow.fit(m, ss)
			if b.Boundary {
				boundary++
			}
			if !b.Exists {
				none++
			}
			same := a.Exists == b.Exists && a.Boundary == b.Boundary && a.Clean == b.Clean && a.Problem == b.Problem
			if same && b.Exists {
				same = math.Abs(a.N-b.N) <= 1e-6*b.N && math.Abs(a.Deviance-b.Deviance) <= 1e-6
			}
			if !same {
				bad++
				if bad <= 10 {
					t.Errorf("table %v, model %s: shortcut exists=%v boundary=%v N=%.6g; LP exists=%v boundary=%v N=%.6g",
						tab.Counts, m, a.Exists, a.Boundary, a.N, b.Exists, b.Boundary, b.N)
				}
			}
		}
	}
	t.Logf("%d boundary fits, %d without estimate, %d differ", boundary, none, bad)
}

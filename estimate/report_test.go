package estimate

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func TestReadCSVErrors(t *testing.T) {
	tests := []struct{ name, in string }{
		{"no count column", "A,B\n1,0\n"},
		{"not binary", "A,B,count\n2,0,3\n"},
		{"negative", "A,B,count\n1,0,-3\n"},
		{"fraction", "A,B,count\n1,0,2.5\n"},
		{"repeated", "A,B,count\n1,0,2\n1,0,3\n"},
		{"all-zero counted", "A,B,count\n0,0,4\n1,1,2\n"},
		{"one list", "A,count\n1,3\n"},
		{"empty", ""},
		{"all zero counts", "A,B,count\n1,0,0\n"},
	}
	for _, tt := range tests {
		if _, err := ReadCSV(strings.NewReader(tt.in)); err == nil {
			t.Errorf("ReadCSV(%s) succeeded, want an error", tt.name)
		}
	}
	tab, err := ReadCSV(strings.NewReader("count,A,B\n5,1,0\n7,0,1\n2,1,1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if tab.Counts[1] != 5 || tab.Counts[2] != 7 || tab.Counts[3] != 2 || tab.Observed() != 14 {
		t.Errorf("ReadCSV counts = %v, want [0 5 7 2]", tab.Counts)
	}
}

func TestDiagnose(t *testing.T) {
	tab, _ := NewTable("A", "B", "C")
	// C is inside A; B and C share nobody.
	tab.Counts = []float64{0, 50, 40, 4, 0, 5, 0, 0}
	w := strings.Join(Diagnose(tab), "\n")
	for _, want := range []string{"Everyone on list C is also on list A", "Lists B and C have nobody in common", "combinations of lists have nobody"} {
		if !strings.Contains(w, want) {
			t.Errorf("Diagnose lacks %q; got:\n%s", want, w)
		}
	}
}

// TestSparseExcluded checks that on the artificial sparse table of Chan,
// Silverman & Vincent (2021) every model with the A–B interaction is left
// out and the others are kept, as SparseMSE::checkident finds.
func TestSparseExcluded(t *testing.T) {
	tab := readBenchTable(t, "artificial_sparse_3")
	fits, err := FitModels(t.Context(), tab, HierarchicalModels(3, 2))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fits {
		want := !f.Model.Has(0b011)
		if f.Exists != want {
			t.Errorf("%s: exists = %v, want %v", f.Name, f.Exists, want)
		}
		if f.Exists && (f.N > 1e5 || math.IsNaN(f.N)) {
			t.Errorf("%s: N = %g, an absurd total", f.Name, f.N)
		}
	}
	r, err := Estimate(t.Context(), tab, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Excluded != 4 || r.Chosen == nil || r.Chosen.N > 1e5 {
		t.Errorf("Estimate: %d excluded, chosen %+v", r.Excluded, r.Chosen)
	}
	var buf bytes.Buffer
	if err := r.WriteJSON(&buf); err != nil {
		t.Fatalf("WriteJSON: %v", err)
	}
	if !json.Valid(buf.Bytes()) {
		t.Errorf("WriteJSON wrote invalid JSON")
	}
}

// TestKosovoPublished checks Ball et al. (2002): best-BIC estimate within
// 1% of 10,356 killings.
func TestKosovoPublished(t *testing.T) {
	r, err := Estimate(t.Context(), readBenchTable(t, "kosovo_4"), Options{Criterion: BIC})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(r.Estimate-10356)/10356 > 0.01 {
		t.Errorf("Kosovo best-BIC estimate %.1f, published 10,356", r.Estimate)
	}
	var buf bytes.Buffer
	if err := r.WriteText(&buf, 5); err != nil || !strings.Contains(buf.String(), "[123,14,34]") {
		t.Errorf("WriteText = %v:\n%s", err, buf.String())
	}
}

func TestEstimateStrata(t *testing.T) {
	a := readBenchTable(t, "spina_bifida_3")
	b := readBenchTable(t, "hav_taiwan_3")
	b.Lists = a.Lists
	r, err := EstimateStrata(t.Context(), []Stratum{{"one", a}, {"two", b}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := r.Strata[0].Estimate + r.Strata[1].Estimate
	if len(r.Strata) != 2 || r.Estimate != want || r.Observed != a.Observed()+b.Observed() {
		t.Errorf("strata total %g (observed %g), want %g", r.Estimate, r.Observed, want)
	}
}

func TestTwoListNoOverlap(t *testing.T) {
	tab, _ := NewTable("A", "B")
	tab.Counts = []float64{0, 10, 12, 0}
	r, err := TwoListEstimate(tab, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsInf(r.Petersen, 1) || r.Chapman != 11*13-1 {
		t.Errorf("no overlap: Petersen %g, Chapman %g; want +Inf, 142", r.Petersen, r.Chapman)
	}
}

// TestEstimateOtherMethods checks that the latent-class model and the
// bootstrap interval appear in the report, its text and its JSON.
func TestEstimateOtherMethods(t *testing.T) {
	r, err := Estimate(t.Context(), readBenchTable(t, "spina_bifida_3"), Options{
		Bootstrap:   200,
		Seed:        5,
		LatentClass: &LCMOptions{Seed: 5, Burnin: 500, Samples: 1000, Thinning: 5},
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.Bootstrap == nil || !(r.Bootstrap.Lower < r.Estimate && r.Estimate < r.Bootstrap.Upper) {
		t.Errorf("bootstrap interval %+v around %.1f", r.Bootstrap, r.Estimate)
	}
	if r.LCM == nil || len(r.LCM.Draws) != 1000 || !(r.LCM.Lower < r.LCM.Median && r.LCM.Median < r.LCM.Upper) {
		t.Fatalf("latent class result %+v", r.LCM)
	}
	var text bytes.Buffer
	if err := r.WriteText(&text, 3); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"95% interval (parametric bootstrap):", "Latent classes (LCMCR, K=10, seed 5):"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
	var js bytes.Buffer
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Bootstrap struct {
			Method string  `json:"method"`
			Lower  float64 `json:"lower"`
		} `json:"bootstrap_interval"`
		LCM struct {
			Median  float64 `json:"median"`
			RHat    float64 `json:"rhat"`
			Options struct {
				Seed uint64 `json:"seed"`
			} `json:"options"`
		} `json:"latent_class"`
	}
	if err := json.Unmarshal(js.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Bootstrap.Method != "bootstrap" || got.Bootstrap.Lower != r.Bootstrap.Lower || got.LCM.Median != r.LCM.Median || got.LCM.Options.Seed != 5 || got.LCM.RHat == 0 {
		t.Errorf("JSON %+v does not carry the report's %+v and %v", got, r.Bootstrap, r.LCM)
	}
}

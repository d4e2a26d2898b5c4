package estimate

import (
	"math"
	"sort"
	"strings"
	"testing"
)

func TestDecomposableGraphsCount(t *testing.T) {
	for _, tt := range []struct{ k, want int }{{2, 2}, {3, 8}, {4, 61}, {5, 822}, {6, 18154}} {
		if got := len(DecomposableGraphs(tt.k)); got != tt.want {
			t.Errorf("len(DecomposableGraphs(%d)) = %d, want %d", tt.k, got, tt.want)
		}
	}
}

// canonicalGraph writes a graph name with its cliques' digits and the
// cliques themselves sorted, so that "[14,3,2]" and "[2,3,14]" agree.
func canonicalGraph(name string) string {
	s := strings.Trim(name, "[]")
	parts := strings.Split(s, ",")
	for i, p := range parts {
		b := []byte(p)
		sort.Slice(b, func(x, y int) bool { return b[x] < b[y] })
		parts[i] = string(b)
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// TestBMAAgainstDga checks the posterior probability of every decomposable
// graph, and each graph's posterior mean of N, against R's dga 2.0.2
// (peer/out/dga_modelprobs_*.csv, from peer/09_dga_modelprobs.R) to 1e-8,
// and Madigan & York's spina-bifida result.
func TestBMAAgainstDga(t *testing.T) {
	grid := func(from, to float64) []float64 {
		var g []float64
		for m := from; m <= to; m++ {
			g = append(g, m)
		}
		return g
	}
	// Madigan & York's negative-binomial prior on N.
	nbPrior := func(N float64) float64 {
		const a, b = 13.14, 55.17
		l1, _ := math.Lgamma(N + a)
		l2, _ := math.Lgamma(N + 1)
		l3, _ := math.Lgamma(a)
		return N*math.Log(b) - (N+a)*math.Log(1+b) + l1 - l2 - l3
	}
	cases := []struct {
		label, table string
		opt          BMAOptions
		mean, mode   float64 // posterior mean and mode of N (peer/out/dga_modelprobs.txt)
	}{
		{"spina_MY", "spina_bifida_3", BMAOptions{Delta: 1, Missing: grid(1, 300), LogPrior: nbPrior}, 733.4524, 728},
		{"congenital_delta0.5", "congenital_ma_5", BMAOptions{Delta: 0.5, Missing: grid(1, 300)}, 617.8159, 614},
		{"kosovo_default", "kosovo_4", BMAOptions{Delta: 1.0 / 16, Missing: grid(0, 60000)}, 12749.3445, 12267},
		{"hiv_default", "hiv_rome_4", BMAOptions{Delta: 1.0 / 16, Missing: grid(0, 60000)}, 11357.1320, 10992},
	}
	for _, c := range cases {
		t.Run(c.label, func(t *testing.T) {
			tab := readBenchTable(t, c.table)
			res, err := BMA(t.Context(), tab, c.opt)
			if err != nil {
				t.Fatal(err)
			}
			ref := readBenchCSV(t, "peer/out/dga_modelprobs_"+c.label+".csv")
			if len(ref) != len(res.Graphs) {
				t.Fatalf("%d graphs, dga has %d", len(res.Graphs), len(ref))
			}
			got := make(map[string]GraphPosterior)
			for _, g := range res.Graphs {
				got[canonicalGraph(g.Name)] = g
			}
			for _, r := range ref {
				g, ok := got[canonicalGraph(r["graph"])]
				if !ok {
					t.Errorf("graph %s missing", r["graph"])
					continue
				}
				if d := math.Abs(g.Prob - num(t, r["post_prob"])); d > 1e-8 {
					t.Errorf("P(%s) = %.10g, dga %s", r["graph"], g.Prob, r["post_prob"])
				}
				if want := num(t, r["mean_N"]); g.Prob > 1e-12 && math.Abs(g.MeanN-want) > 1e-6*want {
					t.Errorf("E[N | %s] = %.10g, dga %s", r["graph"], g.MeanN, r["mean_N"])
				}
			}
			if math.Abs(res.Mean-c.mean) > 1e-4 || res.Mode != c.mode {
				t.Errorf("E[N] = %.4f, mode %g; dga %.4f, mode %g", res.Mean, res.Mode, c.mean, c.mode)
			}
		})
	}
}

// TestMadiganYork checks the published spina-bifida result (Madigan & York
// 1997): top graph "D–M edge, B independent" with probability 0.37, Bayes
// estimate under relative squared-error loss 731 and posterior mode 728.
func TestMadiganYork(t *testing.T) {
	tab := readBenchTable(t, "spina_bifida_3")
	var miss []float64
	for m := 1.0; m <= 300; m++ {
		miss = append(miss, m)
	}
	prior := func(N float64) float64 {
		const a, b = 13.14, 55.17
		l1, _ := math.Lgamma(N + a)
		l2, _ := math.Lgamma(N + 1)
		l3, _ := math.Lgamma(a)
		return N*math.Log(b) - (N+a)*math.Log(1+b) + l1 - l2 - l3
	}
	res, err := BMA(t.Context(), tab, BMAOptions{Delta: 1, Missing: miss, LogPrior: prior})
	if err != nil {
		t.Fatal(err)
	}
	top := res.Graphs[0]
	if top.Name != "[23,1]" || math.Round(top.Prob*100) != 37 {
		t.Errorf("top graph %s with probability %.3f, want [23,1] (B, D–M) with 0.37", top.Name, top.Prob)
	}
	var e1, e2 float64
	for i, p := range res.Post {
		e1 += p / res.N[i]
		e2 += p / (res.N[i] * res.N[i])
	}
	if bayes := e1 / e2; math.Round(bayes) != 731 {
		t.Errorf("Bayes estimate E[1/N]/E[1/N²] = %.1f, want 731", bayes)
	}
	if res.Mode != 728 {
		t.Errorf("posterior mode %g, want 728", res.Mode)
	}
}

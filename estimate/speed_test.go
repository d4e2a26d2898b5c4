package estimate

import (
	"testing"
)

// The speed targets of issue 6: every hierarchical model for 5 lists
// (6,893) in under 1 s; every pairwise model for 6 lists (32,768) in under
// 3 s; model averaging over all 18,154 decomposable graphs for 6 lists in
// under 10 s. Rcapture takes 33–42 s for the first and 167–185 s for the
// second on a 2-core machine (peer/out/rcapture_timing.csv).

func benchFitAll(b *testing.B, name string, maxOrder int) {
	tab := readBenchTable(b, name)
	models := HierarchicalModels(tab.K(), maxOrder)
	b.ResetTimer()
	for b.Loop() {
		if _, err := FitModels(b.Context(), tab, models); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(models)), "models")
}

func BenchmarkAllModels5Congenital(b *testing.B) { benchFitAll(b, "congenital_ma_5", 4) }
func BenchmarkAllModels5UKSlavery(b *testing.B)  { benchFitAll(b, "uk_slavery_5", 4) }
func BenchmarkAllModels5NewOrleans(b *testing.B) { benchFitAll(b, "new_orleans_5", 4) }
func BenchmarkPairwise6UKSlavery(b *testing.B)   { benchFitAll(b, "uk_slavery_6", 2) }
func BenchmarkPairwise6Netherlands(b *testing.B) { benchFitAll(b, "netherlands_6", 2) }

func BenchmarkBMA6UKSlavery(b *testing.B) {
	tab := readBenchTable(b, "uk_slavery_6")
	graphs := DecomposableGraphs(6)
	b.ResetTimer()
	for b.Loop() {
		if _, err := BMA(b.Context(), tab, BMAOptions{Graphs: graphs}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(graphs)), "graphs")
}

func BenchmarkBMA6UKSlaveryWithEnumeration(b *testing.B) {
	tab := readBenchTable(b, "uk_slavery_6")
	for b.Loop() {
		if _, err := BMA(b.Context(), tab, BMAOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// LCMCR took 6.9–7.7 s for its 510,000 sweeps on kosovo_4
// (peer/out/lcmcr_summary.csv); here the same run length, in two chains.
func BenchmarkLCMKosovo(b *testing.B) {
	tab := readBenchTable(b, "kosovo_4")
	for b.Loop() {
		if _, err := LatentClass(b.Context(), tab, LCMOptions{Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBootstrapKosovo(b *testing.B) {
	tab := readBenchTable(b, "kosovo_4")
	m, _ := ParseModel(4, "[123,14,34]")
	for b.Loop() {
		if _, err := BootstrapInterval(b.Context(), tab, m, 0.95, 1000, 1); err != nil {
			b.Fatal(err)
		}
	}
}

package estimate

import (
	"fmt"
	"math"
	"testing"
)

// TestAllModelsAgainstRcapture checks every hierarchical model of six
// tables against Rcapture 1.4-4's closedpMS.t (peer/out/allmodels_*.csv):
// N to relative 1e-6, deviance, AIC and BIC to 1e-4, df exactly, and clean
// versus not clean as Rcapture's infoFit flag. Models whose estimate does
// not exist are not compared, but must be ones Rcapture flags.
func TestAllModelsAgainstRcapture(t *testing.T) {
	cases := []string{"spina_bifida_3", "hav_taiwan_3", "hiv_rome_4", "kosovo_4", "diabetes_italy_4", "congenital_ma_5"}
	for _, name := range cases {
		t.Run(name, func(t *testing.T) {
			tab := readBenchTable(t, name)
			ref := readBenchCSV(t, "peer/out/allmodels_"+name+".csv")
			models := HierarchicalModels(tab.K(), tab.K()-1)
			if len(models) != len(ref) {
				t.Fatalf("%d models, Rcapture fitted %d", len(models), len(ref))
			}
			fits, err := FitModels(t.Context(), tab, models)
			if err != nil {
				t.Fatal(err)
			}
			byName := make(map[string]ModelFit)
			for _, f := range fits {
				byName[f.Name] = f
			}
			bad := 0
			for _, r := range ref {
				m, err := ParseModel(tab.K(), r["model"])
				if err != nil {
					t.Fatal(err)
				}
				f, ok := byName[m.String()]
				if !ok {
					t.Errorf("model %s (Rcapture %s) not fitted", m, r["model"])
					continue
				}
				flag := r["infoFit"]
				clean := flag == "0"
				var errs []string
				if f.DF != int(num(t, r["df"])) {
					errs = append(errs, fmt.Sprintf("df %d, want %s", f.DF, r["df"]))
				}
				if f.Clean != clean {
					errs = append(errs, fmt.Sprintf("clean %v, Rcapture infoFit %s (%s)", f.Clean, flag, f.Problem))
				}
				if !f.Exists {
					// Excluding a model must never hide a usable estimate:
					// Rcapture either warns about it or reports a degenerate
					// one (nobody missing, or an astronomical number).
					n0 := num(t, r["abundance"]) - tab.Observed()
					if clean && n0 > 1e-3 && n0 < 1e6*tab.Observed() {
						errs = append(errs, fmt.Sprintf("estimate reported as not existing, but Rcapture fits it cleanly with %.6g missing", n0))
					}
				} else {
					if d := math.Abs(f.N-num(t, r["abundance"])) / num(t, r["abundance"]); d > 1e-6 {
						errs = append(errs, fmt.Sprintf("N %.6f, want %s (rel %.2g)", f.N, r["abundance"], d))
					}
					for _, c := range []struct {
						name string
						got  float64
					}{{"deviance", f.Deviance}, {"AIC", f.AIC}, {"BIC", f.BIC}} {
						if d := math.Abs(c.got - num(t, r[c.name])); d > 1e-4 {
							errs = append(errs, fmt.Sprintf("%s %.6f, want %s", c.name, c.got, r[c.name]))
						}
					}
				}
				if len(errs) > 0 {
					bad++
					if bad <= 20 {
						t.Errorf("%s: %v", r["model"], errs)
					}
				}
			}
			if bad > 0 {
				t.Errorf("%d of %d models differ from Rcapture", bad, len(ref))
			}
		})
	}
}

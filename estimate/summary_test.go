package estimate

import (
	"flag"
	"fmt"
	"math"
	"strings"
	"testing"
)

// long enables the validation runs that fit 32,768 models per table.
var long = flag.Bool("long", false, "run the six-list validations too")

func TestNormalQuantile(t *testing.T) {
	tests := []struct{ p, want float64 }{
		{0.975, 1.959963984540054},
		{0.5, 0},
		{0.995, 2.5758293035489004},
		{1e-10, -6.361340902404056},
	}
	for _, tt := range tests {
		if got := normalQuantile(tt.p); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("normalQuantile(%g) = %.15g, want %.15g", tt.p, got, tt.want)
		}
	}
}

// TestRcaptureSummary checks, for every table Rcapture was run on, the
// independence model, the best-BIC and best-AIC models and their 95%
// profile-likelihood intervals (peer/out/rcapture_summary.csv) to 0.1
// person. Where Rcapture's best model is one whose estimate does not exist
// (it printed 1.2·10^13 people), ours must be another, existing model.
func TestRcaptureSummary(t *testing.T) {
	rows := readBenchCSV(t, "peer/out/rcapture_summary.csv")
	byCase := make(map[string][]map[string]string)
	var order []string
	for _, r := range rows {
		if _, ok := byCase[r["case"]]; !ok {
			order = append(order, r["case"])
		}
		byCase[r["case"]] = append(byCase[r["case"]], r)
	}
	for _, name := range order {
		t.Run(name, func(t *testing.T) {
			tab := readBenchTable(t, name)
			maxOrder := tab.K() - 1
			if tab.K() == 6 {
				maxOrder = 2
			}
			if tab.K() >= 6 && !*long {
				t.Skip("six lists: 32,768 models each, too slow for -race; scripts/test runs them with -long, without -race")
			}
			fits, err := FitModels(t.Context(), tab, HierarchicalModels(tab.K(), maxOrder))
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range byCase[name] {
				kind, refName, _ := strings.Cut(r["model"], " [")
				refName = "[" + refName
				var m Model
				switch kind {
				case "independence":
					m, _ = NewModel(tab.K())
				case "best BIC", "best AIC", "best BIC_clean":
					crit := Criterion(strings.TrimPrefix(strings.TrimSuffix(kind, "_clean"), "best "))
					best, ok := Best(fits, crit, kind == "best BIC_clean")
					ref, err := ParseModel(tab.K(), refName)
					if err != nil {
						t.Fatal(err)
					}
					refFit := findFit(fits, ref)
					if !refFit.Exists {
						if ok && best.Name == ref.String() {
							t.Errorf("%s: chose %s, whose estimate does not exist", kind, best.Name)
						}
						continue
					}
					if !ok || best.Name != ref.String() {
						t.Errorf("%s = %s, Rcapture chose %s", kind, best.Name, ref)
						continue
					}
					m = best.Model
				default:
					t.Fatalf("unknown reference row %q", r["model"])
				}
				iv, err := ProfileInterval(tab, m, 0.95)
				if err != nil {
					t.Errorf("%s %s: %v", kind, m, err)
					continue
				}
				fit := findFit(fits, m)
				check := func(what string, got float64, want string) {
					w := num(t, strings.TrimPrefix(want, ">"))
					// R's uniroot stops at the end of its search range,
					// 3·N̂; we report such a bound as not reached.
					if what == "upper" && math.IsInf(got, 1) && w >= 3*fit.N-1 {
						return
					}
					if math.Abs(got-w) > 0.1+1e-9 {
						t.Errorf("%s %s: %s = %.2f, Rcapture %s", kind, m, what, got, want)
					}
				}
				check("N", iv.Point, r["N"])
				check("lower", iv.Lower, r["lcl"])
				check("upper", iv.Upper, r["ucl"])
				for _, c := range []struct {
					name string
					got  float64
				}{{"AIC", fit.AIC}, {"BIC", fit.BIC}} {
					if d := math.Abs(c.got - num(t, r[c.name])); d > 1e-3+1e-9 {
						t.Errorf("%s %s: %s = %.4f, Rcapture %s", kind, m, c.name, c.got, r[c.name])
					}
				}
			}
		})
	}
}

func findFit(fits []ModelFit, m Model) ModelFit {
	for _, f := range fits {
		if f.Name == m.String() {
			return f
		}
	}
	panic(fmt.Sprintf("model %s not fitted", m))
}

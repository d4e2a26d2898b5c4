package report

import (
	"strings"
	"testing"

	"github.com/paradero/paradero/estimate"
)

// TestEstimateWarningsInSpanish: every warning package estimate gives —
// produced here from real tables, not copied — is worded in Spanish, so a
// change of wording there fails here rather than leaving English in a
// Spanish report.
func TestEstimateWarningsInSpanish(t *testing.T) {
	var ws []string
	for _, counts := range [][]float64{
		// C names nobody; A is inside B with only 3 in common; nothing to
		// estimate with.
		{0, 0, 50, 3, 0, 0, 0, 0},
		// Sparse: models left out, and the chosen one has a problem.
		{0, 30, 40, 5, 20, 0, 0, 0},
	} {
		tab, err := estimate.TableOf([]string{"roster", "manifest", "family-report"}, counts)
		if err != nil {
			t.Fatal(err)
		}
		r, err := estimate.Estimate(t.Context(), tab, estimate.Options{})
		if err != nil {
			t.Fatal(err)
		}
		ws = append(ws, r.Warnings...)
	}
	covered := make(map[int]bool)
	for _, w := range ws {
		es := EstimateWarning("es", w)
		if strings.HasPrefix(es, "(en inglés)") || es == w {
			t.Errorf("not worded in Spanish: %q", w)
		}
		for i, p := range estimateWarningsEs() {
			if p.re.MatchString(w) {
				covered[i] = true
			}
		}
		if EstimateWarning("en", w) != w {
			t.Errorf("the English warning was changed: %q", w)
		}
	}
	// Every pattern met a real warning but the notes of the interval, the
	// bootstrap, latent classes and model averaging, which these tables and
	// the default options do not raise.
	for i, p := range estimateWarningsEs() {
		if !covered[i] && !strings.HasPrefix(p.re.String(), "^Interval") && !strings.HasPrefix(p.re.String(), "^Bootstrap") &&
			!strings.HasPrefix(p.re.String(), "^Latent") && !strings.HasPrefix(p.re.String(), "^Model averaging") {
			t.Errorf("pattern %s met no warning", p.re)
		}
	}
	if got, want := EstimateWarning("es", "Everyone on list roster is also on list manifest: roster may have been built from manifest, and the two are not independent sources."),
		"Todas las personas de la lista roster están también en la lista manifest: roster puede haberse hecho a partir de manifest, y las dos no son fuentes independientes."; got != want {
		t.Errorf("EstimateWarning = %q, want %q", got, want)
	}
	if got := EstimateWarning("es", "Something new."); got != "(en inglés) Something new." {
		t.Errorf("an unknown warning = %q", got)
	}
}

// TestEstimateWarningsOfOptions: the warnings only some options raise are
// worded in Spanish too (their sentences are copied from package estimate,
// with figures of the kind it prints).
func TestEstimateWarningsOfOptions(t *testing.T) {
	for w, want := range map[string]string{
		"Latent classes: the chains disagree (split R̂ = 1.35): the posterior has more than one mode and this result depends on the seed; compare seeds or run longer chains.": "Clases latentes: las cadenas no concuerdan (R̂ dividido = 1.35)",
		"Model averaging: the posterior has not vanished at 30 times the number observed; its upper tail is cut.":                                                              "Promedio de modelos:",
		"Bootstrap: 7 of 999 bootstrap tables gave no estimate and were left out, which narrows the interval.":                                                                 "Bootstrap: 7 de 999 tablas bootstrap no dieron estimación y se excluyeron",
		"Interval: the lower bound is the number observed.":                                                                                                                    "Intervalo: el límite inferior es el número observado.",
		"Bootstrap: 12 of 200 resamples gave no estimate.":                                                                                                                     "Bootstrap (en inglés): 12 of 200",
	} {
		if got := EstimateWarning("es", w); !strings.HasPrefix(got, want) {
			t.Errorf("EstimateWarning(es, %q) = %q, want it to start %q", w, got, want)
		}
	}
}

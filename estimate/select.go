package estimate

import (
	"fmt"
	"math"
	"strings"
)

// Criterion is an information criterion for choosing among models.
type Criterion string

// The criteria. BIC, with its heavier penalty, is the usual choice in
// multiple systems estimation: AIC tends to pick richer models whose
// estimates of the unobserved cell are unstable (Ball et al. 2002; Silverman
// 2020, J. R. Statist. Soc. A 183:1179).
const (
	AIC Criterion = "AIC"
	BIC Criterion = "BIC"
)

// ParseCriterion reads "aic" or "bic", in any case.
func ParseCriterion(s string) (Criterion, error) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "AIC":
		return AIC, nil
	case "BIC":
		return BIC, nil
	}
	return "", fmt.Errorf("estimate: unknown criterion %q (want aic or bic)", s)
}

// Of returns the criterion's value for a fit.
func (c Criterion) Of(f ModelFit) float64 {
	if c == AIC {
		return f.AIC
	}
	return f.BIC
}

// Best returns the fit with the smallest criterion among those whose
// estimate exists, or among the clean ones only if cleanOnly (Rcapture's
// infoFit 0: no warning from the fit, small asymptotic bias). It reports
// false if there is none. Ties go to the earlier fit.
func Best(fits []ModelFit, c Criterion, cleanOnly bool) (ModelFit, bool) {
	best, found := ModelFit{}, false
	for _, f := range fits {
		if !f.Exists || cleanOnly && !f.Clean {
			continue
		}
		v := c.Of(f)
		if math.IsNaN(v) {
			continue
		}
		if !found || v < c.Of(best) {
			best, found = f, true
		}
	}
	return best, found
}

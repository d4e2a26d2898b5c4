package estimate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"text/tabwriter"
)

// Options chooses what Estimate does.
type Options struct {
	// MaxOrder is the highest interaction order of the models fitted;
	// 0 means k−1 up to 5 lists and 2 beyond (Rcapture's practice).
	MaxOrder int
	// Criterion chooses the model; "" means BIC.
	Criterion Criterion
	// Level is the confidence level of intervals; 0 means 0.95.
	Level float64
	// BMA adds Bayesian model averaging over decomposable graphs (3 to 6
	// lists) with dga's default prior.
	BMA bool
	// LatentClass adds the latent-class model of LCMCR with these options
	// (nil: not fitted).
	LatentClass *LCMOptions
	// Bootstrap adds a parametric bootstrap interval for the chosen model
	// with this many replicate tables (0: none), seeded by Seed.
	Bootstrap int
	Seed      uint64
}

// Report is the outcome of Estimate: the total estimated, its interval,
// the model chosen and every model considered, with warnings in plain
// words. It prints as a table (WriteText) or JSON (WriteJSON).
type Report struct {
	Name       string     `json:"name,omitempty"` // the stratum, if any
	Lists      []string   `json:"lists"`
	Observed   float64    `json:"observed"`
	Cells      int        `json:"cells"`
	EmptyCells int        `json:"empty_cells"`
	Warnings   []string   `json:"warnings"`
	Criterion  Criterion  `json:"criterion"`
	MaxOrder   int        `json:"max_order"`
	Estimate   float64    `json:"estimate"` // N̂ of the chosen model (Poisson)
	Interval   *Interval  `json:"interval,omitempty"`
	Chosen     *ModelFit  `json:"chosen,omitempty"`
	TwoList    *TwoList   `json:"two_list,omitempty"`
	Models     []ModelFit `json:"models"` // by increasing criterion; those without estimate last
	Excluded   int        `json:"excluded"`
	Bootstrap  *Interval  `json:"bootstrap_interval,omitempty"`
	BMA        *BMAResult `json:"bma,omitempty"`
	LCM        *LCMResult `json:"latent_class,omitempty"`
	Strata     []*Report  `json:"strata,omitempty"`
}

// Estimate fits every hierarchical model up to opt.MaxOrder, excludes
// those whose estimate does not exist, chooses one by the criterion and
// computes its profile-likelihood interval. Two-list tables also get the
// classical estimates. It fails on an invalid table or options.
func Estimate(ctx context.Context, t *Table, opt Options) (*Report, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	k := t.K()
	if opt.Criterion == "" {
		opt.Criterion = BIC
	}
	if opt.Criterion != AIC && opt.Criterion != BIC {
		return nil, fmt.Errorf("estimate: unknown criterion %q", opt.Criterion)
	}
	if opt.Level == 0 {
		opt.Level = 0.95
	}
	if opt.Level <= 0 || opt.Level >= 1 {
		return nil, errors.New("estimate: confidence level must be in (0, 1)")
	}
	if opt.MaxOrder == 0 {
		opt.MaxOrder = k - 1
		if k > 5 {
			opt.MaxOrder = 2
		}
	}
	if opt.MaxOrder < 1 || opt.MaxOrder > k-1 {
		return nil, fmt.Errorf("estimate: interaction order must be between 1 and %d for %d lists", k-1, k)
	}
	r := &Report{Lists: t.Lists, Observed: t.Observed(), Cells: len(t.Counts) - 1, Criterion: opt.Criterion, MaxOrder: opt.MaxOrder}
	for _, c := range t.Counts[1:] {
		if c == 0 {
			r.EmptyCells++
		}
	}
	r.Warnings = Diagnose(t)
	if k == 2 {
		tl, err := TwoListEstimate(t, opt.Level)
		if err != nil {
			return nil, err
		}
		r.TwoList = &tl
	}
	fits, err := FitModels(ctx, t, HierarchicalModels(k, opt.MaxOrder))
	if err != nil {
		return nil, err
	}
	sort.SliceStable(fits, func(a, b int) bool {
		fa, fb := fits[a], fits[b]
		if fa.Exists != fb.Exists {
			return fa.Exists
		}
		return opt.Criterion.Of(fa) < opt.Criterion.Of(fb)
	})
	r.Models = fits
	for _, f := range fits {
		if !f.Exists {
			r.Excluded++
		}
	}
	if r.Excluded > 0 {
		r.Warnings = append(r.Warnings, fmt.Sprintf("%d of %d models were left out because the data cannot give them an estimate (their estimate does not exist).", r.Excluded, len(fits)))
	}
	best, ok := Best(fits, opt.Criterion, false)
	if !ok {
		r.Estimate = math.NaN()
		r.Warnings = append(r.Warnings, "No model gives an estimate: the lists overlap too little.")
		return r, nil
	}
	r.Chosen = &best
	r.Estimate = best.N
	if !best.Clean {
		r.Warnings = append(r.Warnings, "The chosen model has a problem: "+best.Problem+".")
	}
	if iv, err := ProfileInterval(t, best.Model, opt.Level); err == nil {
		r.Interval = &iv
		if iv.Note != "" {
			r.Warnings = append(r.Warnings, "Interval: "+iv.Note+".")
		}
	}
	if opt.Bootstrap > 0 {
		iv, err := BootstrapInterval(ctx, t, best.Model, opt.Level, opt.Bootstrap, opt.Seed)
		if err != nil {
			return nil, err
		}
		r.Bootstrap = &iv
		if iv.Note != "" {
			r.Warnings = append(r.Warnings, "Bootstrap: "+iv.Note+".")
		}
	}
	if opt.LatentClass != nil {
		l, err := LatentClass(ctx, t, *opt.LatentClass)
		if err != nil {
			return nil, err
		}
		r.LCM = l
		if l.RHat > 1.1 {
			r.Warnings = append(r.Warnings, fmt.Sprintf("Latent classes: the chains disagree (split R̂ = %.2f): the posterior has more than one mode and this result depends on the seed; compare seeds or run longer chains.", l.RHat))
		}
	}
	if opt.BMA && k >= 3 && k <= 6 {
		b, err := BMA(ctx, t, BMAOptions{})
		if err != nil {
			return nil, err
		}
		r.BMA = b
		if b.AtEnd > 1e-4 {
			r.Warnings = append(r.Warnings, "Model averaging: the posterior has not vanished at 30 times the number observed; its upper tail is cut.")
		}
	}
	return r, nil
}

// Stratum is one part of a stratified table, e.g. one nationality.
type Stratum struct {
	Name  string
	Table *Table
}

// EstimateStrata estimates each stratum separately, as heterogeneity of
// capture between strata biases a pooled estimate (Sekar & Deming 1949;
// Lum, Price & Banks 2013), and reports the sum of the strata's estimates.
// The total's interval adds the strata's bounds, which is conservative.
func EstimateStrata(ctx context.Context, strata []Stratum, opt Options) (*Report, error) {
	if len(strata) == 0 {
		return nil, errors.New("estimate: no strata")
	}
	total := &Report{Name: "total", Lists: strata[0].Table.Lists}
	iv := &Interval{Method: "sum of strata", Level: opt.Level}
	for _, s := range strata {
		r, err := Estimate(ctx, s.Table, opt)
		if err != nil {
			return nil, fmt.Errorf("stratum %s: %w", s.Name, err)
		}
		r.Name = s.Name
		total.Strata = append(total.Strata, r)
		total.Observed += r.Observed
		total.Estimate += r.Estimate
		total.Criterion, total.MaxOrder = r.Criterion, r.MaxOrder
		iv.Level = opt.Level
		if r.Interval != nil {
			iv.Lower += r.Interval.Lower
			iv.Upper += r.Interval.Upper
		} else {
			iv.Lower, iv.Upper = math.NaN(), math.NaN()
		}
		for _, w := range r.Warnings {
			total.Warnings = append(total.Warnings, s.Name+": "+w)
		}
	}
	iv.Point = total.Estimate
	total.Interval = iv
	return total, nil
}

// Diagnose returns plain-words warnings about what in the table can make
// an estimate unreliable: empty lists, lists that share nobody or too few
// people, a list contained in another, empty combinations of lists.
func Diagnose(t *Table) []string {
	var w []string
	k := t.K()
	n := t.Observed()
	for j := 0; j < k; j++ {
		if t.ListSize(j) == 0 {
			w = append(w, fmt.Sprintf("List %s names nobody.", t.Lists[j]))
		}
	}
	for a := 0; a < k; a++ {
		for b := a + 1; b < k; b++ {
			var both, onlyA, onlyB float64
			for h := 1; h < len(t.Counts); h++ {
				inA, inB := h&(1<<a) != 0, h&(1<<b) != 0
				switch {
				case inA && inB:
					both += t.Counts[h]
				case inA:
					onlyA += t.Counts[h]
				case inB:
					onlyB += t.Counts[h]
				}
			}
			switch {
			case both == 0:
				w = append(w, fmt.Sprintf("Lists %s and %s have nobody in common: what one says about the other cannot be checked.", t.Lists[a], t.Lists[b]))
			case both < 5:
				w = append(w, fmt.Sprintf("Lists %s and %s have only %g people in common: too little overlap for a stable estimate.", t.Lists[a], t.Lists[b], both))
			}
			if both > 0 && onlyA == 0 {
				w = append(w, fmt.Sprintf("Everyone on list %s is also on list %s: %s may have been built from %s, and the two are not independent sources.", t.Lists[a], t.Lists[b], t.Lists[a], t.Lists[b]))
			}
			if both > 0 && onlyB == 0 {
				w = append(w, fmt.Sprintf("Everyone on list %s is also on list %s: %s may have been built from %s, and the two are not independent sources.", t.Lists[b], t.Lists[a], t.Lists[b], t.Lists[a]))
			}
		}
	}
	var multi float64
	empty := 0
	for h := 1; h < len(t.Counts); h++ {
		if popcount(h) >= 2 {
			multi += t.Counts[h]
		}
		if t.Counts[h] == 0 {
			empty++
		}
	}
	if multi < 0.05*n || multi < 10 {
		w = append(w, fmt.Sprintf("Only %g of the %g people are on more than one list: the estimate of those on no list rests on very little.", multi, n))
	}
	if empty > 0 {
		w = append(w, fmt.Sprintf("%d of the %d combinations of lists have nobody: some models cannot be estimated and are left out.", empty, len(t.Counts)-1))
	}
	return w
}

// WriteJSON writes the report as indented JSON. Numbers that do not exist
// (NaN) or are unbounded (±Inf) are written as null.
func (r *Report) WriteJSON(w io.Writer) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	_, err = w.Write(b)
	return err
}

// WriteText writes the report as a human-readable table. maxModels limits
// the models listed (0 for all).
func (r *Report) WriteText(w io.Writer, maxModels int) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	r.writeText(tw, maxModels)
	return tw.Flush()
}

func (r *Report) writeText(w io.Writer, maxModels int) {
	title := "Multiple systems estimation"
	if r.Name != "" {
		title += " — " + r.Name
	}
	fmt.Fprintf(w, "%s\n\n", title)
	if len(r.Strata) > 0 {
		for _, s := range r.Strata {
			s.writeText(w, maxModels)
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "Total over %d strata:\t%s\n", len(r.Strata), fmtN(r.Estimate))
		if r.Interval != nil {
			fmt.Fprintf(w, "Interval (sum of strata bounds):\t%s – %s\n", fmtN(r.Interval.Lower), fmtN(r.Interval.Upper))
		}
		writeWarnings(w, r.Warnings)
		return
	}
	fmt.Fprintf(w, "Lists:\t%s\n", strings.Join(r.Lists, ", "))
	fmt.Fprintf(w, "People observed:\t%s\n", fmtN(r.Observed))
	if r.Chosen != nil {
		fmt.Fprintf(w, "Estimated total:\t%s\n", fmtN(r.Estimate))
		fmt.Fprintf(w, "Estimated on no list:\t%s\n", fmtN(r.Chosen.Missing))
		if r.Interval != nil {
			fmt.Fprintf(w, "%g%% interval (profile likelihood):\t%s – %s (multinomial estimate %s)\n", r.Interval.Level*100, fmtN(r.Interval.Lower), fmtN(r.Interval.Upper), fmtN(r.Interval.Point))
		}
		fmt.Fprintf(w, "Model chosen by %s:\t%s  (%s)\n", r.Criterion, r.Chosen.Name, r.Chosen.Label)
	} else {
		fmt.Fprintf(w, "Estimated total:\tnone\n")
	}
	if tl := r.TwoList; tl != nil {
		fmt.Fprintf(w, "Lincoln–Petersen:\t%s\n", fmtN(tl.Petersen))
		fmt.Fprintf(w, "Chapman:\t%s (SE %s; Chao interval %s – %s)\n", fmtN(tl.Chapman), fmtN(tl.SE), fmtN(tl.Chao.Lower), fmtN(tl.Chao.Upper))
	}
	if b := r.Bootstrap; b != nil && !math.IsNaN(b.Lower) {
		fmt.Fprintf(w, "%g%% interval (parametric bootstrap):\t%s – %s\n", b.Level*100, fmtN(b.Lower), fmtN(b.Upper))
	}
	if l := r.LCM; l != nil {
		fmt.Fprintf(w, "Latent classes (LCMCR, K=%d, seed %d):\tmedian %s, %g%% %s – %s, mean %s\n",
			l.Options.K, l.Options.Seed, fmtN(l.Median), l.Options.Level*100, fmtN(l.Lower), fmtN(l.Upper), fmtN(l.Mean))
	}
	if b := r.BMA; b != nil {
		fmt.Fprintf(w, "Model averaging (dga, δ=%g):\tmedian %s, 95%% %s – %s, mean %s; top graph %s (p=%.3f)\n",
			b.Delta, fmtN(b.Median), fmtN(b.Lower), fmtN(b.Upper), fmtN(b.Mean), b.Graphs[0].Name, b.Graphs[0].Prob)
	}
	writeWarnings(w, r.Warnings)
	fmt.Fprintf(w, "\nModels considered (%d, interactions up to order %d; %d without an estimate):\n", len(r.Models), r.MaxOrder, r.Excluded)
	fmt.Fprintf(w, "model\tN\tSE\tdeviance\tdf\tAIC\tBIC\tnote\n")
	for i, m := range r.Models {
		if maxModels > 0 && i >= maxModels {
			fmt.Fprintf(w, "… %d more\t\t\t\t\t\t\t\n", len(r.Models)-maxModels)
			break
		}
		note := ""
		switch {
		case !m.Exists:
			note = "no estimate"
		case m.Boundary:
			note = "boundary"
		case !m.Clean:
			note = "warning"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%.3f\t%d\t%.3f\t%.3f\t%s\n", m.Name, fmtN(m.N), fmtN(m.SE), m.Deviance, m.DF, m.AIC, m.BIC, note)
	}
}

func writeWarnings(w io.Writer, ws []string) {
	if len(ws) == 0 {
		return
	}
	fmt.Fprintf(w, "\nWarnings:\n")
	for _, s := range ws {
		fmt.Fprintf(w, "  - %s\n", s)
	}
}

func fmtN(x float64) string {
	switch {
	case math.IsNaN(x):
		return "—"
	case math.IsInf(x, 1):
		return "∞"
	case math.Abs(x) >= 1e9:
		return fmt.Sprintf("%.3g", x)
	}
	return fmt.Sprintf("%.1f", x)
}

// jsonFloat writes NaN and infinities as null, which JSON cannot carry.
type jsonFloat float64

func (f jsonFloat) MarshalJSON() ([]byte, error) {
	x := float64(f)
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(x)
}

// MarshalJSON writes a fit with NaN (no estimate) as null.
func (m ModelFit) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Name     string    `json:"model"`
		Label    string    `json:"label"`
		Params   int       `json:"params"`
		N        jsonFloat `json:"N"`
		Missing  jsonFloat `json:"missing"`
		SE       jsonFloat `json:"se"`
		Deviance jsonFloat `json:"deviance"`
		DF       int       `json:"df"`
		AIC      jsonFloat `json:"aic"`
		BIC      jsonFloat `json:"bic"`
		Exists   bool      `json:"exists"`
		Boundary bool      `json:"boundary"`
		Clean    bool      `json:"clean"`
		Problem  string    `json:"problem,omitempty"`
	}{m.Name, m.Label, m.Params, jsonFloat(m.N), jsonFloat(m.Missing), jsonFloat(m.SE), jsonFloat(m.Deviance), m.DF,
		jsonFloat(m.AIC), jsonFloat(m.BIC), m.Exists, m.Boundary, m.Clean, m.Problem})
}

// MarshalJSON writes the latent-class result with NaN diagnostics as null.
func (l LCMResult) MarshalJSON() ([]byte, error) {
	type plain LCMResult
	return json.Marshal(struct {
		plain
		MCSE jsonFloat `json:"mcse_median"`
		RHat jsonFloat `json:"rhat"`
	}{plain(l), jsonFloat(l.MCSE), jsonFloat(l.RHat)})
}

// MarshalJSON writes an interval with an unreached bound as null.
func (iv Interval) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Level  float64   `json:"level"`
		Method string    `json:"method"`
		Point  jsonFloat `json:"point"`
		Lower  jsonFloat `json:"lower"`
		Upper  jsonFloat `json:"upper"`
		Note   string    `json:"note,omitempty"`
	}{iv.Level, iv.Method, jsonFloat(iv.Point), jsonFloat(iv.Lower), jsonFloat(iv.Upper), iv.Note})
}

// MarshalJSON writes the report with NaN as null.
func (r Report) MarshalJSON() ([]byte, error) {
	type plain Report
	return json.Marshal(struct {
		plain
		Estimate jsonFloat `json:"estimate"`
	}{plain(r), jsonFloat(r.Estimate)})
}

// MarshalJSON writes Lincoln–Petersen as null when the lists share nobody.
func (t TwoList) MarshalJSON() ([]byte, error) {
	type plain TwoList
	return json.Marshal(struct {
		plain
		Petersen jsonFloat `json:"lincoln_petersen"`
	}{plain(t), jsonFloat(t.Petersen)})
}

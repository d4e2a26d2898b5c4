package estimate

import (
	"context"
	"math"
	"runtime"
	"sync"
)

// ModelFit is one hierarchical log-linear model fitted to a table by
// Poisson regression, with the estimate of the total it implies.
//
// The fit follows Rcapture's closedp/closedpMS.t (Baillargeon & Rivest
// 2007, J. Stat. Softw. 19(5)): N = n + exp(β₀) with β₀ the intercept;
// SE(N) = √(e^β₀ + e^{2β₀} Var β₀); AIC = −2 log L + 2p with the full
// Poisson log-likelihood; BIC = AIC + p(ln n − 2), p counting the intercept.
type ModelFit struct {
	Model    Model   `json:"-"`
	Name     string  `json:"model"`             // Rcapture notation, e.g. "[12,3]"
	Label    string  `json:"label"`             // with list names, e.g. "A*B + C"
	Params   int     `json:"params"`            // including the intercept
	N        float64 `json:"N"`                 // estimated total; NaN if it does not exist
	Missing  float64 `json:"missing"`           // estimated people on no list, N − n
	SE       float64 `json:"se"`                // standard error of N
	Deviance float64 `json:"deviance"`          // against the saturated model
	DF       int     `json:"df"`                // residual degrees of freedom
	AIC      float64 `json:"aic"`               //
	BIC      float64 `json:"bic"`               //
	Bias     float64 `json:"bias"`              // asymptotic bias of N (Rcapture)
	Iter     int     `json:"iterations"`        // IRLS iterations
	Exists   bool    `json:"exists"`            // the estimate of N exists
	Boundary bool    `json:"boundary"`          // fitted on the facial set: some empty cells fitted as 0
	Clean    bool    `json:"clean"`             // R's glm fits it without warning and its bias is small (Rcapture infoFit 0)
	Problem  string  `json:"problem,omitempty"` // plain words, when not clean
}

// FitModel fits model m to table t. It never fails: a model whose estimate
// does not exist comes back with Exists false, N NaN and the reason in
// Problem.
func FitModel(t *Table, m Model) ModelFit {
	f := newFitter(t)
	return f.fit(m)
}

// fitter holds what every model fitted to one table shares.
type fitter struct {
	t        *Table
	k        int
	n        float64
	y        []float64
	active   []bool
	hasZero  bool
	lgammaY1 float64 // Σ log y!
}

func newFitter(t *Table) *fitter {
	f := &fitter{t: t, k: t.K(), n: t.Observed(), y: t.Counts, active: make([]bool, len(t.Counts))}
	for h := 1; h < len(t.Counts); h++ {
		f.active[h] = true
		if t.Counts[h] == 0 {
			f.hasZero = true
		}
		lg, _ := math.Lgamma(t.Counts[h] + 1)
		f.lgammaY1 += lg
	}
	return f
}

func (f *fitter) fit(m Model) ModelFit {
	cols := m.columns()
	w := newIRLS(f.k, cols)
	r := w.fit(f.y, f.active, glmMaxIter, glmEpsilon)
	mf := ModelFit{
		Model:  m,
		Name:   m.String(),
		Label:  m.Label(f.t.Lists),
		Params: len(cols),
		DF:     len(f.y) - 1 - len(cols),
		Iter:   r.iter,
		Exists: true,
	}
	// What R's glm would warn about: non-convergence within 25
	// iterations, and fitted rates numerically 0.
	rConverged := r.ok && r.converged
	zeroRate := false
	minZeroCell := math.Inf(1)
	for h := 1; h < len(f.y); h++ {
		if r.mu[h] < glmZeroRate {
			zeroRate = true
		}
		if f.y[h] == 0 {
			minZeroCell = math.Min(minZeroCell, r.mu[h])
		}
	}
	final, fcols, fw, active := r, cols, w, f.active
	// Rcapture's own verdict on the fit, from R's 25 iterations.
	if rConverged {
		if v := w.covariance(r); v != nil {
			n0 := math.Exp(r.beta[0])
			b := rcaptureBias(w, v, r.mu, f.active, n0)
			mf.Clean = !zeroRate && !(math.Abs(b) > 0.1*(f.n+n0))
		}
	}
	if !rConverged || (f.hasZero && minZeroCell < 1e-3) {
		face, all := f.faceOf(cols)
		switch {
		case !all && !interceptEstimable(cols, face):
			mf.Exists = false
			mf.N, mf.Missing, mf.SE = math.NaN(), math.NaN(), math.NaN()
			mf.Deviance, mf.AIC, mf.BIC, mf.Bias = math.NaN(), math.NaN(), math.NaN(), math.NaN()
			mf.Problem = "the estimate does not exist: some combinations of lists are empty in a way that lets this model fit any number of unobserved people"
			return mf
		case !all:
			mf.Boundary = true
			fcols = independentColumns(cols, face)
			fw = newIRLS(f.k, fcols)
			active = face
			final = fw.fitFrom(f.y, face, deepMaxIter, deepEpsilon, r.mu)
		case !rConverged:
			final = w.fitFrom(f.y, f.active, deepMaxIter, deepEpsilon, r.mu)
		}
		if !final.ok {
			mf.Exists = false
			mf.N, mf.Missing, mf.SE = math.NaN(), math.NaN(), math.NaN()
			mf.Deviance, mf.AIC, mf.BIC, mf.Bias = math.NaN(), math.NaN(), math.NaN(), math.NaN()
			mf.Problem = "the model could not be fitted: its equations are singular"
			return mf
		}
	}
	mu := final.mu
	if mf.Boundary {
		for h := range mu {
			if !active[h] {
				mu[h] = 0
			}
		}
	}
	mf.Deviance = poissonDev(f.y, mu, f.active)
	var ll float64
	for h := 1; h < len(f.y); h++ {
		if f.y[h] > 0 {
			ll += f.y[h]*math.Log(mu[h]) - mu[h]
		} else {
			ll -= mu[h]
		}
	}
	ll -= f.lgammaY1
	p := float64(len(cols))
	mf.AIC = -2*ll + 2*p
	mf.BIC = mf.AIC + p*(math.Log(f.n)-2)
	n0 := math.Exp(final.beta[0])
	mf.Missing = n0
	mf.N = f.n + n0
	v := fw.covariance(final)
	if v != nil {
		mf.SE = math.Sqrt(n0 + n0*n0*v[0])
		mf.Bias = rcaptureBias(fw, v, mu, active, n0)
	} else {
		mf.SE, mf.Bias = math.NaN(), math.NaN()
	}
	largeBias := !math.IsNaN(mf.Bias) && math.Abs(mf.Bias) > 0.1*mf.N
	switch {
	case mf.Boundary:
		mf.Problem = "some combinations of lists are empty and this model fits them as impossible; the estimate rests on the other cells only"
	case !rConverged:
		mf.Problem = "the fit converges slowly: the estimate is unstable"
	case zeroRate:
		mf.Problem = "some fitted counts are numerically zero"
	case largeBias:
		mf.Problem = "the estimate's asymptotic bias exceeds 10% of it: too little data for this model"
	}
	return mf
}

// faceOf returns the facial set of the observed cells for the columns.
func (f *fitter) faceOf(cols []int) ([]bool, bool) {
	if !f.hasZero {
		return f.active, true
	}
	return facialSet(cols, f.y, f.active)
}

// rcaptureBias is the asymptotic bias of N used by Rcapture to warn about
// unreliable estimates (closedp.fitone, "code de Louis-Paul"): with V the
// inverse Fisher information and q_h = x_h'Vx_h the leverage of cell h,
// ψ = X' diag(μ) q − e₀ and bias = ½ e^β₀ (−Vψ)₀.
func rcaptureBias(w *irls, v, mu []float64, active []bool, n0 float64) float64 {
	p := w.p
	a := make([]float64, w.cell)
	for h := range a {
		if !active[h] {
			continue
		}
		var q float64
		for i, ci := range w.cols {
			if ci&h != ci {
				continue
			}
			for j, cj := range w.cols {
				if cj&h == cj {
					q += v[i*p+j]
				}
			}
		}
		a[h] = mu[h] * q
	}
	supersetSum(a, w.k)
	psi := make([]float64, p)
	for i, c := range w.cols {
		psi[i] = a[c]
	}
	psi[0]--
	var vec float64
	for j := 0; j < p; j++ {
		vec -= v[j] * psi[j]
	}
	return 0.5 * n0 * vec
}

// FitModels fits every model to t, in parallel on all CPUs, and returns
// the fits in the order of models. It stops early, returning ctx.Err(), if
// ctx is cancelled.
func FitModels(ctx context.Context, t *Table, models []Model) ([]ModelFit, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	f := newFitter(t)
	out := make([]ModelFit, len(models))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(models)/16))
	var wg sync.WaitGroup
	var mu sync.Mutex
	next := 0
	const chunk = 32
	for range workers {
		wg.Go(func() {
			for {
				if ctx.Err() != nil {
					return
				}
				mu.Lock()
				i := next
				next += chunk
				mu.Unlock()
				if i >= len(models) {
					return
				}
				for j := i; j < min(i+chunk, len(models)); j++ {
					out[j] = f.fit(models[j])
				}
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

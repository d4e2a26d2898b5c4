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
	return f.fit(m, f.newScratch())
}

// fitter holds what every model fitted to one table shares.
type fitter struct {
	t        *Table
	k        int
	n        float64
	y        []float64
	active   []bool
	hasZero  bool
	lgammaY1 float64   // Σ log y!
	margin   []float64 // margin[c]: people on every list of pattern c
	lpOnly   bool      // find facial sets by linear programming only (tests)
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
	f.margin = append([]float64(nil), t.Counts...)
	supersetSum(f.margin, f.k)
	return f
}

// scratch is the working memory of one goroutine fitting models.
type scratch struct {
	w, fw    *irls  // the model's own columns; the columns kept on a face
	r, final glmFit // R's fit; the fit the estimate is read from
	face     []bool
	cols     []int
	deepAll  bool // faceOf left in final R's fit continued to convergence on every cell
}

func (f *fitter) newScratch() *scratch {
	return &scratch{w: newIRLS(f.k, nil), fw: newIRLS(f.k, nil), face: make([]bool, len(f.y))}
}

func (f *fitter) fit(m Model, s *scratch) ModelFit {
	mf, _ := f.fitMu(m, s)
	return mf
}

// fitMu is fit returning also the fitted values by pattern (0 on cells
// fitted as impossible, and at pattern 0 nothing), in s's memory: valid
// until the next fit with s. They are nil when the estimate does not
// exist.
func (f *fitter) fitMu(m Model, s *scratch) (ModelFit, []float64) {
	cols := m.columns()
	w := s.w
	w.setCols(cols)
	w.fitInto(&s.r, f.y, f.active, glmMaxIter, glmEpsilon, nil)
	r := &s.r
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
	// Rcapture's own verdict on the fit, from R's 25 iterations.
	if rConverged {
		if v := w.covariance(*r); v != nil {
			n0 := math.Exp(r.beta[0])
			b := rcaptureBias(w, v, r.mu, f.active, n0)
			mf.Clean = !zeroRate && !(math.Abs(b) > 0.1*(f.n+n0))
		}
	}
	final, fw, active := r, w, f.active
	if rConverged && !(f.hasZero && minZeroCell < 1e-3) && w.newtonOK(r, f.y, f.active) {
		// R's fit is the maximum-likelihood estimate, which exists.
	} else {
		switch face, kind := f.faceOf(cols, s, r); kind {
		case faceNoEstimate:
			return noEstimate(mf, "the estimate does not exist: some combinations of lists are empty in a way that lets this model fit any number of unobserved people"), nil
		case faceAll:
			if !rConverged {
				final = &s.final
				if !s.deepAll {
					w.fitInto(final, f.y, f.active, deepMaxIter, deepEpsilon, r.mu)
				}
			}
		case faceBoundary:
			mf.Boundary = true
			final, fw, active = &s.final, s.fw, face
		}
		if !final.ok {
			return noEstimate(mf, "the model could not be fitted: its equations are singular"), nil
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
	v := fw.covariance(*final)
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
	return mf, mu
}

func noEstimate(mf ModelFit, problem string) ModelFit {
	mf.Exists = false
	mf.N, mf.Missing, mf.SE = math.NaN(), math.NaN(), math.NaN()
	mf.Deviance, mf.AIC, mf.BIC, mf.Bias = math.NaN(), math.NaN(), math.NaN(), math.NaN()
	mf.Problem = problem
	return mf
}

// What faceOf found.
const (
	faceAll        = iota // every cell: the MLE exists
	faceBoundary          // a proper facial set; s.final is the fit on it by s.fw
	faceNoEstimate        // the unobserved cell cannot be estimated
)

// faceOf finds the facial set of the observed table for the columns cols,
// whose R-style fit r looked divergent, and decides whether the estimate
// exists. For a boundary face it leaves the fit on the face in s.final,
// made by s.fw with the columns independent on the face; when the face is
// every cell and r has not converged, it leaves there the fit continued
// to convergence.
//
// The linear programme of facialSet is exact but costly, and most sparse
// tables need it for thousands of models. So it first tries the face F₀
// left when every cell under a zero margin is removed: a term whose
// people number zero forces every cell containing it to 0, so the facial
// set F ⊆ F₀ always. If the intercept is not estimable on F₀, it is not on
// F either, and the estimate does not exist. Otherwise the model is fitted
// on F₀, and if that fit passes newtonOK, a strictly positive table on F₀
// with the observed margins exists, which puts every cell of F₀ in F:
// F = F₀, proved, with no linear programme. Only when the certificate fails
// does the linear programme run.
func (f *fitter) faceOf(cols []int, s *scratch, r *glmFit) ([]bool, int) {
	s.deepAll = false
	if !f.hasZero {
		return f.active, faceAll
	}
	if f.lpOnly {
		return f.faceByLP(cols, s, r)
	}
	face := s.face
	copy(face, f.active)
	// The columns that are not identically zero on F₀.
	s.cols = s.cols[:0]
	for _, c := range cols {
		if f.margin[c] != 0 {
			s.cols = append(s.cols, c)
			continue
		}
		for h := c; h < len(face); h = (h + 1) | c {
			face[h] = false
		}
	}
	if len(s.cols) == len(cols) {
		final := &s.final
		if r.ok && r.converged && s.w.newtonOK(r, f.y, f.active) {
			return f.active, faceAll
		}
		s.w.fitInto(final, f.y, f.active, deepMaxIter, deepEpsilon, r.mu)
		s.deepAll = true
		if s.w.newtonOK(final, f.y, f.active) {
			return f.active, faceAll
		}
	} else {
		// If the columns left are linearly independent on F₀, the
		// intercept is estimable there; otherwise keep an independent
		// subset and check.
		fcols := s.cols
		if !fullRankOn(s.fw, fcols, face) {
			if !interceptEstimable(cols, face) {
				return nil, faceNoEstimate
			}
			fcols = independentColumns(cols, face)
		}
		s.fw.setCols(fcols)
		s.fw.fitInto(&s.final, f.y, face, deepMaxIter, deepEpsilon, r.mu)
		if s.fw.newtonOK(&s.final, f.y, face) {
			return face, faceBoundary
		}
	}
	return f.faceByLP(cols, s, r)
}

// faceByLP is faceOf by the linear programme alone.
func (f *fitter) faceByLP(cols []int, s *scratch, r *glmFit) ([]bool, int) {
	lp, all := facialSet(cols, f.y, f.active)
	if all {
		return f.active, faceAll
	}
	face := s.face
	copy(face, lp)
	if !interceptEstimable(cols, face) {
		return nil, faceNoEstimate
	}
	s.fw.setCols(independentColumns(cols, face))
	s.fw.fitInto(&s.final, f.y, face, deepMaxIter, deepEpsilon, r.mu)
	return face, faceBoundary
}

// fullRankOn reports whether the columns are linearly independent on the
// cells of face: whether their Gram matrix, whose entry (i, j) counts the
// cells of face containing t_i ∪ t_j, has a Cholesky factor with no pivot
// below 1e-9 of its diagonal entry (a dependent column's pivot is 0 but
// for rounding, an independent 0/1 column's is far from it). It uses w's
// buffers.
func fullRankOn(w *irls, cols []int, face []bool) bool {
	w.setCols(cols)
	for h, in := range face {
		w.ws[h] = 0
		if in {
			w.ws[h] = 1
		}
	}
	supersetSum(w.ws, w.k)
	p := w.p
	a := w.xtwx
	for i, ci := range cols {
		for j, cj := range cols[:i+1] {
			a[i*p+j] = w.ws[ci|cj]
		}
	}
	for i := 0; i < p; i++ {
		ri := a[i*p : i*p+i+1]
		for j := 0; j < i; j++ {
			rj := a[j*p : j*p+j]
			s := ri[j]
			for k, v := range rj {
				s -= ri[k] * v
			}
			ri[j] = s / a[j*p+j]
		}
		s := ri[i]
		for _, v := range ri[:i] {
			s -= v * v
		}
		if !(s > 1e-9*w.ws[cols[i]]) {
			return false
		}
		ri[i] = math.Sqrt(s)
	}
	return true
}

// rcaptureBias is the asymptotic bias of N used by Rcapture to warn about
// unreliable estimates (closedp.fitone, "code de Louis-Paul"): with V the
// inverse Fisher information and q_h = x_h'Vx_h the leverage of cell h,
// ψ = X' diag(μ) q − e₀ and bias = ½ e^β₀ (−Vψ)₀.
//
// q_h = Σ_{i,j: t_i ∪ t_j ⊆ h} V_ij, so it is the subset-sum transform of
// V gathered by t_i ∪ t_j; and ψ is the superset-sum transform of μq.
func rcaptureBias(w *irls, v, mu []float64, active []bool, n0 float64) float64 {
	p := w.p
	a := w.bias
	clear(a)
	for i, ci := range w.cols {
		for j, cj := range w.cols {
			a[ci|cj] += v[i*p+j]
		}
	}
	subsetSum(a, w.k)
	for h := range a {
		if active[h] {
			a[h] *= mu[h]
		} else {
			a[h] = 0
		}
	}
	supersetSum(a, w.k)
	var vec float64
	for j, c := range w.cols {
		psi := a[c]
		if j == 0 {
			psi--
		}
		vec -= v[j] * psi
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
			s := f.newScratch()
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
					out[j] = f.fit(models[j], s)
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

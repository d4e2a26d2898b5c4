package estimate

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack/lapack64"
)

// Constants of R's glm.fit for the Poisson family with log link, which
// Rcapture calls: convergence when the relative change of the deviance falls
// below glmEpsilon, at most glmMaxIter iterations (glm.control defaults),
// fitted values bounded below by machine epsilon, and "fitted rates
// numerically 0" reported below ten times that.
const (
	glmEpsilon  = 1e-8
	glmMaxIter  = 25
	machEps     = 2.220446049250313e-16
	glmZeroRate = 10 * machEps
	deepMaxIter = 100 // iterations allowed when we only need the limit
	deepEpsilon = 1e-12
)

// glmFit is the outcome of one Poisson IRLS fit. Its slices are reused
// from one fit to the next by the irls that filled it.
type glmFit struct {
	beta      []float64 // coefficients, one per column
	mu        []float64 // fitted values by pattern (0 for inactive cells)
	deviance  float64
	iter      int
	converged bool
	ok        bool      // false if the weighted normal equations were singular
	chol      []float64 // Cholesky factor L (lower, row major) of X'WX at the last step
}

// irls fits Poisson log-linear models to 2^k-cell tables by iteratively
// reweighted least squares (McCullagh & Nelder 1989, §2.5; R's glm.fit).
//
// The design is never formed. Each column of a hierarchical model is a term
// t, a set of lists, and its entry for pattern h is 1 exactly when t ⊆ h. So
// X'WX has entry (i, j) = Σ_{h ⊇ t_i ∪ t_j} w_h and X'Wz has entry
// i = Σ_{h ⊇ t_i} w_h z_h: one superset-sum (zeta) transform over the 2^k
// patterns gives all of them in O(k 2^k). Likewise η = Xβ is a subset-sum
// transform of β placed at its terms. Only the p×p Cholesky factorisation
// (LAPACK dpotrf through gonum) is cubic, in the number of parameters.
//
// An irls owns all its working memory and reuses it across fits and
// models (setCols), so that fitting tens of thousands of models does not
// keep the garbage collector busy; one irls serves one goroutine.
type irls struct {
	k    int
	cols []int // terms of the columns; cols[0] must be 0, the intercept
	p    int
	cell int // 2^k

	ws, wz, eta []float64 // by pattern
	mu, etaFit  []float64 // by pattern: the fit's current state
	xtwx, rhs   []float64
	beta, prev  []float64
	cov, bias   []float64 // covariance (p×p) and rcaptureBias's buffer by pattern
	ylogy       []float64 // y log y by pattern, for the deviance without logs
}

func newIRLS(k int, cols []int) *irls {
	n := 1 << k
	w := &irls{
		k: k, cell: n,
		ws: make([]float64, n), wz: make([]float64, n), eta: make([]float64, n),
		mu: make([]float64, n), etaFit: make([]float64, n), bias: make([]float64, n),
		ylogy: make([]float64, n),
	}
	w.setCols(cols)
	return w
}

// setCols makes w fit the model with the given columns, reusing its
// memory.
func (w *irls) setCols(cols []int) {
	w.cols = cols
	w.p = len(cols)
	p := w.p
	w.xtwx = grow(w.xtwx, p*p)
	w.cov = grow(w.cov, p*p)
	w.rhs = grow(w.rhs, p)
	w.beta = grow(w.beta, p)
	w.prev = grow(w.prev, p)
}

// grow returns s resliced to length n, reallocated if its capacity is
// short.
func grow(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}

// supersetSum replaces a[m] by Σ_{h ⊇ m} a[h]. The first two bits are
// unrolled: their blocks are one and two cells long, and the loop would
// cost more than the additions.
func supersetSum(a []float64, k int) {
	n := len(a)
	if k >= 2 {
		for m := 0; m+3 < n; m += 4 {
			q := a[m : m+4 : m+4]
			q[0] += q[1] + q[2] + q[3]
			q[1] += q[3]
			q[2] += q[3]
		}
	} else if k == 1 {
		a[0] += a[1]
	}
	for j := 2; j < k; j++ {
		bit := 1 << j
		for base := 0; base < n; base += 2 * bit {
			lo, hi := a[base:base+bit], a[base+bit:base+2*bit]
			for m := range lo {
				lo[m] += hi[m]
			}
		}
	}
}

// subsetSum replaces a[m] by Σ_{h ⊆ m} a[h], with the first two bits
// unrolled as in supersetSum.
func subsetSum(a []float64, k int) {
	n := len(a)
	if k >= 2 {
		for m := 0; m+3 < n; m += 4 {
			q := a[m : m+4 : m+4]
			q[3] += q[0] + q[1] + q[2]
			q[1] += q[0]
			q[2] += q[0]
		}
	} else if k == 1 {
		a[1] += a[0]
	}
	for j := 2; j < k; j++ {
		bit := 1 << j
		for base := 0; base < n; base += 2 * bit {
			lo, hi := a[base:base+bit], a[base+bit:base+2*bit]
			for m := range hi {
				hi[m] += lo[m]
			}
		}
	}
}

// expMu returns R's fitted value for linear predictor eta, e^η bounded
// below by machine epsilon (math.Max, with its NaN and signed-zero cases,
// is slow in the inner loop).
func expMu(eta float64) float64 {
	if m := math.Exp(eta); m > machEps {
		return m
	}
	return machEps
}

// linear sets w.eta to Xβ for every pattern.
func (w *irls) linear(beta []float64) {
	clear(w.eta)
	for i, t := range w.cols {
		w.eta[t] += beta[i]
	}
	subsetSum(w.eta, w.k)
}

// poissonDev returns the Poisson deviance of y against mu over active cells.
func poissonDev(y, mu []float64, active []bool) float64 {
	var d float64
	for h, a := range active {
		if !a {
			continue
		}
		if y[h] > 0 {
			d += y[h]*math.Log(y[h]/mu[h]) - (y[h] - mu[h])
		} else {
			d += mu[h]
		}
	}
	return 2 * d
}

func xlogx(x float64) float64 {
	if x > 0 {
		return x * math.Log(x)
	}
	return 0
}

// devEta is poissonDev for fitted values mu = max(e^eta, machEps), using
// log μ = η instead of a logarithm per cell.
func (w *irls) devEta(y, mu, eta []float64, active []bool) float64 {
	var d float64
	for h, a := range active {
		if !a {
			continue
		}
		if y[h] > 0 {
			lm := eta[h]
			if mu[h] == machEps {
				lm = math.Log(machEps)
			}
			d += w.ylogy[h] - y[h]*lm - (y[h] - mu[h])
		} else {
			d += mu[h]
		}
	}
	return 2 * d
}

// normal builds X'WX and X'Wr from weights ws and weighted responses wz
// given by pattern (overwritten), factorises X'WX (Cholesky, X'WX = LL',
// L lower and row major, left in w.xtwx) and solves for the coefficients, left in w.rhs. It reports
// false if X'WX is not positive definite.
func (w *irls) normal() bool {
	supersetSum(w.ws, w.k)
	supersetSum(w.wz, w.k)
	p := w.p
	for i := 0; i < p; i++ {
		ci := w.cols[i]
		row := w.xtwx[i*p : i*p+i+1]
		for j := range row {
			row[j] = w.ws[ci|w.cols[j]]
		}
		w.rhs[i] = w.wz[ci]
	}
	if !cholesky(w.xtwx, p) {
		return false
	}
	// Solve LL'β = r by two triangular substitutions.
	l, r := w.xtwx, w.rhs
	for i := 0; i < p; i++ {
		s := r[i]
		for k, v := range l[i*p : i*p+i] {
			s -= v * r[k]
		}
		r[i] = s / l[i*p+i]
	}
	for i := p - 1; i >= 0; i-- {
		s := r[i]
		for k := i + 1; k < p; k++ {
			s -= l[k*p+i] * r[k]
		}
		r[i] = s / l[i*p+i]
	}
	return true
}

// solve builds and solves the weighted normal equations X'WX β = X'Wz for
// the weights and working responses of the active cells, at fitted values
// mu = max(e^eta, machEps). For the Poisson family with log link the
// weight is μ and the working response η + (y − μ)/μ.
func (w *irls) solve(mu, eta []float64, y []float64, active []bool, beta []float64) bool {
	for h := range w.ws {
		w.ws[h], w.wz[h] = 0, 0
		if !active[h] {
			continue
		}
		w.ws[h] = mu[h]
		w.wz[h] = mu[h]*eta[h] + (y[h] - mu[h])
	}
	if !w.normal() {
		return false
	}
	copy(beta, w.rhs)
	return true
}

// fit runs IRLS on the active cells of y, started as R's glm does from
// μ = y + 0.1, until the relative change of the deviance is below eps or
// maxit iterations have run.
func (w *irls) fit(y []float64, active []bool, maxit int, eps float64) glmFit {
	var f glmFit
	w.fitInto(&f, y, active, maxit, eps, nil)
	return f
}

// fitInto is fit writing into f, whose slices it reuses, and started
// from the fitted values start instead when given: a warm start that
// reaches the same maximum in fewer iterations. start may be f.mu.
func (w *irls) fitInto(f *glmFit, y []float64, active []bool, maxit int, eps float64, start []float64) {
	for h := range y {
		w.ylogy[h] = xlogx(y[h])
	}
	mu, eta := w.mu, w.etaFit
	for h := range mu {
		mu[h], eta[h] = 0, 0
		if active[h] {
			mu[h] = y[h] + 0.1
			if start != nil && start[h] > 1e-300 {
				mu[h] = start[h]
			}
			eta[h] = math.Log(mu[h])
		}
	}
	beta, prev := w.beta, w.prev
	clear(beta)
	devold := poissonDev(y, mu, active)
	f.ok, f.converged = true, false
	// The first weights are those of R's glm.fit, μ.eta(η) = e^η, not the
	// starting μ itself (they differ in the last bit).
	for h := range mu {
		if active[h] {
			mu[h] = expMu(eta[h])
		}
	}
	for f.iter = 1; f.iter <= maxit; f.iter++ {
		copy(prev, beta)
		if !w.solve(mu, eta, y, active, beta) {
			f.ok = false
			break
		}
		var dev float64
		// Step halving as glm.fit does when the deviance is not finite.
		for half := 0; ; half++ {
			w.linear(beta)
			for h := range mu {
				if active[h] {
					eta[h] = w.eta[h]
					mu[h] = expMu(eta[h])
				}
			}
			dev = w.devEta(y, mu, eta, active)
			if !math.IsInf(dev, 0) && !math.IsNaN(dev) || half > 30 || f.iter == 1 {
				break
			}
			for i := range beta {
				beta[i] = (beta[i] + prev[i]) / 2
			}
		}
		if math.Abs(dev-devold)/(math.Abs(dev)+0.1) < eps {
			f.converged = true
			devold = dev
			break
		}
		devold = dev
	}
	if f.iter > maxit {
		f.iter = maxit
	}
	f.beta = append(f.beta[:0], beta...)
	f.mu = append(f.mu[:0], mu...)
	// The deviance reported is computed with a logarithm per cell: the
	// convergence test above needs only a cheaper approximation, but the
	// profile likelihood needs every digit.
	f.deviance = poissonDev(y, mu, active)
	f.chol = append(f.chol[:0], w.xtwx...)
}

// newtonOK reports whether fit f on the active cells certifies that the
// maximum-likelihood estimate on those cells exists: whether one more
// Newton step from its fitted values μ changes no log fitted value by as
// much as ½ in either direction.
//
// Why this is a certificate: the step Δη = XΔβ solves X'diag(μ)XΔβ =
// X'(y − μ), so μ' = μ(1 + Δη) satisfies X'μ' = X'μ + X'diag(μ)Δη = X'y,
// and μ' > 0 when every Δη > −1. A strictly positive table with the
// observed margins exists, so the observed margins are in the relative
// interior of the model's marginal cone and the MLE exists on these cells
// (Haberman 1974, thm 2.2). A fit running off towards the boundary instead
// has Newton steps near −1 on the cells it sends to zero.
//
// That is exact arithmetic. In floating point, weights at the rounding
// level of X'WX make the computed step meaningless, so every fitted value
// must be at least 1e-13 of their sum: then the relative error of the
// step is below about 1e-3 however small the cell (forming X'WX loses
// ε·Σμ), so a cell running off (step −1) cannot pass for one that is not.
// A fit that has run off far enough to fall below that floor fails, and
// so does, in theory, an existing MLE with fitted values that small; both
// go to the linear programme, which decides. The margins of μ' are also
// checked against the observed ones, against a failed solve.
func (w *irls) newtonOK(f *glmFit, y []float64, active []bool) bool {
	if !f.ok {
		return false
	}
	var total float64
	for h, a := range active {
		if a {
			total += f.mu[h]
		}
	}
	floor := 1e-13 * total
	for h := range w.ws {
		w.ws[h], w.wz[h] = 0, 0
		if active[h] {
			if !(f.mu[h] >= floor) || f.mu[h] <= 1e3*machEps {
				return false
			}
			w.ws[h] = f.mu[h]
			w.wz[h] = y[h] - f.mu[h]
		}
	}
	if !w.normal() {
		return false
	}
	w.linear(w.rhs)
	// w.ws := μ' − y and w.wz := y, to compare their margins.
	for h, a := range active {
		w.ws[h], w.wz[h] = 0, 0
		if !a {
			continue
		}
		d := w.eta[h]
		if !(d > -0.5 && d < 0.5) {
			return false
		}
		w.ws[h] = f.mu[h]*(1+d) - y[h]
		w.wz[h] = y[h]
	}
	supersetSum(w.ws, w.k)
	supersetSum(w.wz, w.k)
	for _, c := range w.cols {
		if !(math.Abs(w.ws[c]) <= 1e-7*(1+w.wz[c])) {
			return false
		}
	}
	return true
}

// cholesky factorises the symmetric positive definite p×p matrix whose
// lower triangle a holds (row major) as LL', in place, and reports false
// if it is not positive definite. It is LAPACK's unblocked dpotf2 without
// the calls: the matrices here are at most a few dozen wide, and calling
// through gonum costs more than the arithmetic.
func cholesky(a []float64, p int) bool {
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
		if !(s > 0) {
			return false
		}
		ri[i] = math.Sqrt(s)
	}
	return true
}

// covariance returns (X'WX)^{-1} from the Cholesky factor of fit f, row
// major, p×p, in memory owned by w. It returns nil if the factor is
// singular.
func (w *irls) covariance(f glmFit) []float64 {
	p := w.p
	c := w.cov[:p*p]
	copy(c, f.chol)
	a := blas64.Triangular{Uplo: blas.Lower, Diag: blas.NonUnit, N: p, Stride: p, Data: c}
	if _, ok := lapack64.Potri(a); !ok {
		return nil
	}
	for i := 0; i < p; i++ {
		for j := 0; j < i; j++ {
			c[j*p+i] = c[i*p+j]
		}
	}
	return c
}

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
	glmEpsilon   = 1e-8
	glmMaxIter   = 25
	machEps      = 2.220446049250313e-16
	glmZeroRate  = 10 * machEps
	deepMaxIter  = 100 // iterations allowed when we only need the limit
	deepEpsilon  = 1e-12
	superMaxSize = 1 << MaxLists
)

// glmFit is the outcome of one Poisson IRLS fit.
type glmFit struct {
	beta      []float64 // coefficients, one per column
	mu        []float64 // fitted values by pattern (0 for inactive cells)
	deviance  float64
	iter      int
	converged bool
	ok        bool      // false if the weighted normal equations were singular
	chol      []float64 // Cholesky factor (upper) of X'WX at the last step
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
type irls struct {
	k    int
	cols []int // terms of the columns; cols[0] must be 0, the intercept
	p    int
	cell int // 2^k

	ws, wz, eta []float64
	xtwx, rhs   []float64
}

func newIRLS(k int, cols []int) *irls {
	n := 1 << k
	p := len(cols)
	return &irls{
		k: k, cols: cols, p: p, cell: n,
		ws: make([]float64, n), wz: make([]float64, n), eta: make([]float64, n),
		xtwx: make([]float64, p*p), rhs: make([]float64, p),
	}
}

// supersetSum replaces a[m] by Σ_{h ⊇ m} a[h].
func supersetSum(a []float64, k int) {
	n := len(a)
	for j := 0; j < k; j++ {
		bit := 1 << j
		for m := 0; m < n; m++ {
			if m&bit == 0 {
				a[m] += a[m|bit]
			}
		}
	}
}

// subsetSum replaces a[m] by Σ_{h ⊆ m} a[h].
func subsetSum(a []float64, k int) {
	n := len(a)
	for j := 0; j < k; j++ {
		bit := 1 << j
		for m := 0; m < n; m++ {
			if m&bit != 0 {
				a[m] += a[m^bit]
			}
		}
	}
}

// linear sets w.eta to Xβ for every pattern.
func (w *irls) linear(beta []float64) {
	for i := range w.eta {
		w.eta[i] = 0
	}
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

// solve builds and solves the weighted normal equations X'WX β = X'Wz for
// the weights and working responses of the active cells. It leaves the
// Cholesky factor in w.xtwx.
func (w *irls) solve(mu, eta []float64, y []float64, active []bool, beta []float64) bool {
	for h := range w.ws {
		w.ws[h], w.wz[h] = 0, 0
		if !active[h] {
			continue
		}
		m := math.Max(math.Exp(eta[h]), machEps) // dμ/dη, as R's poisson()$mu.eta
		z := eta[h] + (y[h]-mu[h])/m
		wt := m * m / mu[h]
		w.ws[h] = wt
		w.wz[h] = wt * z
	}
	supersetSum(w.ws, w.k)
	supersetSum(w.wz, w.k)
	p := w.p
	for i := 0; i < p; i++ {
		for j := i; j < p; j++ {
			w.xtwx[i*p+j] = w.ws[w.cols[i]|w.cols[j]]
		}
		w.rhs[i] = w.wz[w.cols[i]]
	}
	a := blas64.Symmetric{Uplo: blas.Upper, N: p, Stride: p, Data: w.xtwx}
	if _, ok := lapack64.Potrf(a); !ok {
		return false
	}
	// Solve U'U β = r by two triangular substitutions (lapack64.Potrs
	// goes through a general multi-column Dtrsm, slow for one column).
	u, r := w.xtwx, w.rhs
	for i := 0; i < p; i++ {
		s := r[i]
		for k := 0; k < i; k++ {
			s -= u[k*p+i] * r[k]
		}
		r[i] = s / u[i*p+i]
	}
	for i := p - 1; i >= 0; i-- {
		s := r[i]
		for k := i + 1; k < p; k++ {
			s -= u[i*p+k] * r[k]
		}
		r[i] = s / u[i*p+i]
	}
	copy(beta, r)
	return true
}

// fit runs IRLS on the active cells of y, started as R's glm does from
// μ = y + 0.1, until the relative change of the deviance is below eps or
// maxit iterations have run.
func (w *irls) fit(y []float64, active []bool, maxit int, eps float64) glmFit {
	return w.fitFrom(y, active, maxit, eps, nil)
}

// fitFrom is fit started from the fitted values start instead, when given:
// a warm start that reaches the same maximum in fewer iterations.
func (w *irls) fitFrom(y []float64, active []bool, maxit int, eps float64, start []float64) glmFit {
	n := w.cell
	mu := make([]float64, n)
	eta := make([]float64, n)
	for h := range mu {
		if active[h] {
			mu[h] = y[h] + 0.1
			if start != nil && start[h] > 1e-300 {
				mu[h] = start[h]
			}
			eta[h] = math.Log(mu[h])
		}
	}
	beta := make([]float64, w.p)
	prev := make([]float64, w.p)
	devold := poissonDev(y, mu, active)
	f := glmFit{ok: true}
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
					mu[h] = math.Max(math.Exp(eta[h]), machEps)
				}
			}
			dev = poissonDev(y, mu, active)
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
	f.beta = beta
	f.mu = mu
	f.deviance = devold
	f.chol = append([]float64(nil), w.xtwx...)
	return f
}

// covariance returns (X'WX)^{-1} from the Cholesky factor of fit f, row
// major, p×p.
func (w *irls) covariance(f glmFit) []float64 {
	p := w.p
	c := append([]float64(nil), f.chol...)
	a := blas64.Triangular{Uplo: blas.Upper, Diag: blas.NonUnit, N: p, Stride: p, Data: c}
	if _, ok := lapack64.Potri(a); !ok {
		return nil
	}
	for i := 0; i < p; i++ {
		for j := 0; j < i; j++ {
			c[i*p+j] = c[j*p+i]
		}
	}
	return c
}

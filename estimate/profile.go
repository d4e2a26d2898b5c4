package estimate

import (
	"errors"
	"math"
)

// Interval is a confidence interval for the total N.
type Interval struct {
	Level  float64 `json:"level"`          // e.g. 0.95
	Method string  `json:"method"`         // "profile", "wald", "chao", ...
	Point  float64 `json:"point"`          // the estimate the interval is built around
	Lower  float64 `json:"lower"`          //
	Upper  float64 `json:"upper"`          // +Inf when not reached
	Note   string  `json:"note,omitempty"` // plain words when a bound was not reached
}

// ProfileInterval returns the multinomial profile-likelihood interval for N
// under model m, as Rcapture's closedpCI.t computes it (Baillargeon &
// Rivest 2007, §2.3; Cormack 1992, Biometrics 48:567): for a candidate N
// the unobserved cell is set to N − n and the model refitted to the
// completed table; the multinomial log-likelihood is −(D − 2c)/2 with D
// that fit's deviance and c Cormack's correction (Stirling's formula for
// large N). Point is the N that maximises it (the multinomial MLE, slightly
// below the Poisson N of FitModel), searched in (n, 3N̂); the bounds are
// where it falls by χ²₁(level)/2, the upper one searched up to fmax·N̂
// (Rcapture's fmaxSupCL, 3). A bound not reached is reported as n (lower)
// or +Inf (upper) with a Note.
func ProfileInterval(t *Table, m Model, level float64) (Interval, error) {
	if level <= 0 || level >= 1 {
		return Interval{}, errors.New("estimate: confidence level must be in (0, 1)")
	}
	f := newFitter(t)
	mf := f.fit(m, f.newScratch())
	if !mf.Exists {
		return Interval{}, errors.New("estimate: " + mf.Problem)
	}
	cols := m.columns()
	active := make([]bool, len(t.Counts))
	for h := range active {
		active[h] = true
	}
	if mf.Boundary {
		face, _ := facialSet(cols, f.y, f.active)
		copy(active, face)
		active[0] = true
		cols = independentColumns(cols, active)
	}
	w := newIRLS(f.k, cols)
	y := append([]float64(nil), t.Counts...)
	n := f.n
	loglik := func(N float64) float64 {
		n0 := N - n
		y[0] = n0
		r := w.fit(y, active, deepMaxIter, 1e-11)
		var ct float64
		if N > 100 {
			if n0 == 0 || n0 == 1 {
				ct = -N + 0.5*math.Log(2*math.Pi*N)
			} else {
				ct = n0 - N - 0.5*math.Log(n0/N)
			}
		} else {
			lgN, _ := math.Lgamma(N + 1)
			lgn0, _ := math.Lgamma(n0 + 1)
			ct = lgN - lgn0 - N*math.Log(N)
			if n0 > 0 {
				ct += n0 * math.Log(n0)
			}
		}
		return -(r.deviance - 2*ct) / 2
	}
	// The derivative of the profile log-likelihood: by the envelope
	// theorem the deviance changes with the count of the unobserved cell
	// by 2 log(n₀/μ̂₀) at fixed fitted values. Near the maximum the
	// log-likelihood is too flat (curvature ~1/Var N) for its own values
	// to place the maximiser within a tenth of a person on large tables;
	// its derivative can.
	score := func(N float64) float64 {
		n0 := N - n
		y[0] = n0
		r := w.fit(y, active, deepMaxIter, 1e-11)
		// Two more Newton steps: the deviance test stops IRLS with μ̂₀
		// correct to about 1e-8, the slope needs it to the last digits.
		w.fitInto(&r, y, active, 2, 0, r.mu)
		var ct float64
		switch {
		case N > 100 && (n0 == 0 || n0 == 1):
			ct = -1 + 0.5/N
		case N > 100:
			ct = -0.5/n0 + 0.5/N
		default:
			ct = digamma(N+1) - digamma(n0+1) - math.Log(N) + math.Log(n0)
		}
		return -math.Log(n0/r.mu[0]) + ct
	}
	hi := 3 * mf.N
	nmax := goldenMax(loglik, n, hi, 1e-7*mf.N)
	nmax = refineMax(score, nmax, n, hi)
	lmax := loglik(nmax)
	cut := lmax - chi2Quantile1(level)/2
	iv := Interval{Level: level, Method: "profile", Point: nmax}
	g := func(N float64) float64 { return loglik(N) - cut }
	if g(n) < 0 {
		iv.Lower = bisect(g, n, nmax, 1e-7*mf.N)
	} else {
		iv.Lower = n
		iv.Note = "the lower bound is the number observed"
	}
	if g(hi) < 0 {
		iv.Upper = bisect(g, nmax, hi, 1e-7*mf.N)
	} else {
		iv.Upper = math.Inf(1)
		iv.Note = "the upper bound is beyond three times the estimate: the data cannot bound the total from above"
	}
	return iv, nil
}

// goldenMax returns a local maximiser of f in (a, b) by golden-section
// search, to within tol.
func goldenMax(f func(float64) float64, a, b, tol float64) float64 {
	const r = 0.3819660112501051 // (3 − √5)/2, as in Brent's fmin
	c := a + r*(b-a)
	d := b - r*(b-a)
	fc, fd := f(c), f(d)
	for b-a > tol {
		if fc >= fd {
			b, d, fd = d, c, fc
			c = a + r*(b-a)
			fc = f(c)
		} else {
			a, c, fc = c, d, fd
			d = b - r*(b-a)
			fd = f(d)
		}
	}
	if fc >= fd {
		return c
	}
	return d
}

// refineMax returns the root of the decreasing slope score near x, within
// (lo, hi), or x itself if no change of sign brackets it there.
func refineMax(score func(float64) float64, x, lo, hi float64) float64 {
	step := math.Max(1, 1e-5*x)
	for range 20 {
		a, b := math.Max(lo, x-step), math.Min(hi, x+step)
		sa, sb := score(a), score(b)
		if sa > 0 && sb < 0 {
			// Regula falsi with the Illinois modification: the slope is
			// nearly linear here, so a few evaluations suffice.
			tol := math.Max(1e-3, 1e-9*x)
			side, prev := 0, math.NaN()
			for range 100 {
				m := (a*sb - b*sa) / (sb - sa)
				if !(m > a && m < b) {
					m = (a + b) / 2
				}
				sm := score(m)
				switch {
				case sm > 0:
					a, sa = m, sm
					if side == 1 {
						sb /= 2
					}
					side = 1
				case sm < 0:
					b, sb = m, sm
					if side == -1 {
						sa /= 2
					}
					side = -1
				default:
					return m
				}
				if b-a < tol || math.Abs(m-prev) < tol/10 {
					return m
				}
				prev = m
			}
			return (a + b) / 2
		}
		step *= 4
	}
	return x
}

// digamma returns ψ(x) for x > 0, by the recurrence up to x ≥ 6 and the
// asymptotic series there (Abramowitz & Stegun 6.3.18).
func digamma(x float64) float64 {
	var r float64
	for x < 6 {
		r -= 1 / x
		x++
	}
	f := 1 / (x * x)
	return r + math.Log(x) - 0.5/x - f*(1.0/12-f*(1.0/120-f*(1.0/252-f*(1.0/240-f/132))))
}

// bisect returns the root of g between a and b, where g changes sign.
func bisect(g func(float64) float64, a, b, tol float64) float64 {
	ga := g(a)
	for b-a > tol {
		m := (a + b) / 2
		gm := g(m)
		if (gm < 0) == (ga < 0) {
			a, ga = m, gm
		} else {
			b = m
		}
	}
	return (a + b) / 2
}

// chi2Quantile1 returns the level quantile of the χ² distribution with one
// degree of freedom: the square of the normal quantile at (1+level)/2.
func chi2Quantile1(level float64) float64 {
	z := normalQuantile((1 + level) / 2)
	return z * z
}

// normalQuantile returns Φ⁻¹(p), by Wichura's algorithm AS 241 (PPND16),
// accurate to about 1e-16, the algorithm R's qnorm uses.
func normalQuantile(p float64) float64 {
	q := p - 0.5
	if math.Abs(q) <= 0.425 {
		r := 0.180625 - q*q
		return q * (((((((r*2509.0809287301226727+33430.575583588128105)*r+67265.770927008700853)*r+45921.953931549871457)*r+13731.693765509461125)*r+1971.5909503065514427)*r+133.14166789178437745)*r + 3.387132872796366608) /
			(((((((r*5226.495278852545925+28729.085735721942674)*r+39307.89580009271061)*r+21213.794301586595867)*r+5394.1960214247511077)*r+687.1870074920579083)*r+42.313330701600911252)*r + 1)
	}
	r := p
	if q > 0 {
		r = 1 - p
	}
	r = math.Sqrt(-math.Log(r))
	var v float64
	if r <= 5 {
		r -= 1.6
		v = (((((((r*7.7454501427834140764e-4+0.0227238449892691845833)*r+0.24178072517745061177)*r+1.27045825245236838258)*r+3.64784832476320460504)*r+5.7694972214606914055)*r+4.6303378461565452959)*r + 1.42343711074968357734) /
			(((((((r*1.05075007164441684324e-9+5.475938084995344946e-4)*r+0.0151986665636164571966)*r+0.14810397642748007459)*r+0.68976733498510000455)*r+1.6763848301838038494)*r+2.05319162663775882187)*r + 1)
	} else {
		r -= 5
		v = (((((((r*2.01033439929228813265e-7+2.71155556874348757815e-5)*r+0.0012426609473880784386)*r+0.026532189526576123093)*r+0.29656057182850489123)*r+1.7848265399172913358)*r+5.4637849111641143699)*r + 6.6579046435011037772) /
			(((((((r*2.04426310338993978564e-15+1.4215117583164458887e-7)*r+1.8463183175100546818e-5)*r+7.868691311456132591e-4)*r+0.0148753612908506148525)*r+0.13692988092273580531)*r+0.59983220655588793769)*r + 1)
	}
	if q < 0 {
		return -v
	}
	return v
}

package estimate

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// Existence of the maximum-likelihood estimate.
//
// A Poisson log-linear model's MLE exists exactly when no direction d in
// parameter space has Xd = 0 on every cell with a positive count and Xd ≤ 0,
// not all zero, on the cells counted zero (Haberman 1974, thm 2.3; Fienberg
// & Rinaldo 2012, "Maximum likelihood estimation in log-linear models",
// Ann. Statist. 40:996). Along such a d the likelihood keeps rising while
// the fitted values of some zero cells go to 0: the IRLS "converges" with
// a coefficient running off to infinity, and an estimate of the
// unobserved cell read from it can be absurd (Rcapture reports 1.4·10^13
// people for one model of the artificial table of Chan, Silverman &
// Vincent 2021).
//
// The cells that can be sent to zero form the complement of the facial
// set F. On F the likelihood does have a maximum (the extended MLE). The
// estimate of the unobserved cell is exp(x_0'β) with x_0 = e_0 (intercept
// only); it is determined by the extended MLE exactly when e_0 lies in the
// row space of X restricted to F, that is when every null vector of X_F has
// zero intercept component. Otherwise the estimate does not exist: the
// data are equally well fitted by any number of unobserved people. This is
// the criterion of Chan, Silverman & Vincent (2021, JASA 116:1297, §3,
// implemented in R's SparseMSE::checkident) restated for hierarchical models.

const (
	nullTol     = 1e-9 // relative singular value below which a direction is null
	lpTol       = 1e-10
	lpMaxPivots = 10000
)

// designRows returns the rows of the 0/1 design for the listed cells.
func designRows(cols []int, cells []int) *mat.Dense {
	x := mat.NewDense(max(len(cells), 1), len(cols), nil)
	for r, h := range cells {
		for i, c := range cols {
			if c&h == c {
				x.Set(r, i, 1)
			}
		}
	}
	return x
}

// nullSpace returns a basis of {d : Xd = 0} as the columns of a matrix, or
// nil if it is {0}. It reduces X to row echelon form by Gaussian
// elimination with partial pivoting: the designs are small 0/1 matrices,
// for which this is exact enough and far cheaper than an SVD.
func nullSpace(x *mat.Dense, rows int) *mat.Dense {
	_, p := x.Dims()
	if rows == 0 {
		return identity(p)
	}
	a := make([][]float64, rows)
	for i := range a {
		a[i] = make([]float64, p)
		for j := range a[i] {
			a[i][j] = x.At(i, j)
		}
	}
	pivotCol := make([]int, 0, p)
	isPivot := make([]bool, p)
	r := 0
	for c := 0; c < p && r < rows; c++ {
		best, bi := 0.0, -1
		for i := r; i < rows; i++ {
			if v := math.Abs(a[i][c]); v > best {
				best, bi = v, i
			}
		}
		if best <= nullTol {
			continue
		}
		a[r], a[bi] = a[bi], a[r]
		pv := a[r][c]
		for j := c; j < p; j++ {
			a[r][j] /= pv
		}
		for i := 0; i < rows; i++ {
			if i == r || a[i][c] == 0 {
				continue
			}
			f := a[i][c]
			for j := c; j < p; j++ {
				a[i][j] -= f * a[r][j]
			}
		}
		pivotCol = append(pivotCol, c)
		isPivot[c] = true
		r++
	}
	free := p - r
	if free == 0 {
		return nil
	}
	ns := mat.NewDense(p, free, nil)
	k := 0
	for c := 0; c < p; c++ {
		if isPivot[c] {
			continue
		}
		ns.Set(c, k, 1)
		for i, pc := range pivotCol {
			ns.Set(pc, k, -a[i][c])
		}
		k++
	}
	return ns
}

func identity(p int) *mat.Dense {
	d := mat.NewDense(p, p, nil)
	for i := 0; i < p; i++ {
		d.Set(i, i, 1)
	}
	return d
}

// facialSet returns which active cells keep a positive fitted value at the
// extended MLE (the facial set), and whether it is every active cell. It
// solves a short sequence of linear programs: each finds a direction that
// makes as many still-constrained zero cells strictly negative as it can;
// the cells it makes negative are outside F and are freed; it stops when no
// further cell can be made negative.
func facialSet(cols []int, y []float64, active []bool) (face []bool, all bool) {
	var pos, zero []int
	for h, a := range active {
		if !a {
			continue
		}
		if y[h] > 0 {
			pos = append(pos, h)
		} else {
			zero = append(zero, h)
		}
	}
	face = append([]bool(nil), active...)
	if len(zero) == 0 {
		return face, true
	}
	ns := nullSpace(designRows(cols, pos), len(pos))
	if ns == nil {
		return face, true
	}
	constrained := zero
	for len(constrained) > 0 {
		var m mat.Dense
		m.Mul(designRows(cols, constrained), ns)
		sv := maxNegative(&m)
		var keep []int
		freed := false
		for i, h := range constrained {
			if sv[i] > 1e-7 {
				face[h] = false
				freed = true
			} else {
				keep = append(keep, h)
			}
		}
		if !freed {
			break
		}
		constrained = keep
	}
	all = true
	for h := range face {
		if face[h] != active[h] {
			all = false
		}
	}
	return face, all
}

// interceptEstimable reports whether e_0 lies in the row space of the
// design restricted to the cells of face.
func interceptEstimable(cols []int, face []bool) bool {
	var cells []int
	for h, in := range face {
		if in {
			cells = append(cells, h)
		}
	}
	ns := nullSpace(designRows(cols, cells), len(cells))
	if ns == nil {
		return true
	}
	_, r := ns.Dims()
	for j := 0; j < r; j++ {
		if math.Abs(ns.At(0, j)) > 1e-7 {
			return false
		}
	}
	return true
}

// independentColumns returns the columns, intercept first, that are
// linearly independent on the cells of face, chosen greedily in order.
func independentColumns(cols []int, face []bool) []int {
	var cells []int
	for h, in := range face {
		if in {
			cells = append(cells, h)
		}
	}
	var basis [][]float64
	var keep []int
	for _, c := range cols {
		v := make([]float64, len(cells))
		for r, h := range cells {
			if c&h == c {
				v[r] = 1
			}
		}
		norm0 := math.Sqrt(dot(v, v))
		for _, b := range basis {
			d := dot(v, b)
			for i := range v {
				v[i] -= d * b[i]
			}
		}
		n := math.Sqrt(dot(v, v))
		if norm0 == 0 || n <= 1e-9*norm0 {
			continue
		}
		for i := range v {
			v[i] /= n
		}
		basis = append(basis, v)
		keep = append(keep, c)
	}
	return keep
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// maxNegative solves the linear program
//
//	maximise Σ s  subject to  s = −Mv,  0 ≤ s ≤ 1,  v free
//
// and returns s. In standard form the variables are v⁺, v⁻, s and u (the
// slack of s ≤ 1), and v = 0, s = 0, u = 1 is a basic feasible solution, so
// no first phase is needed. It is a dense tableau simplex with Bland's
// rule, which cannot cycle on these highly degenerate programs (gonum's
// lp.Simplex was seen to loop on them).
func maxNegative(m *mat.Dense) []float64 {
	z, r := m.Dims()
	nv := 2*r + 2*z
	rows := 2 * z
	t := make([][]float64, rows)
	rhs := make([]float64, rows)
	basis := make([]int, rows)
	d := make([]float64, nv) // reduced costs of minimising −Σ s
	for i := 0; i < z; i++ {
		t[i] = make([]float64, nv)
		t[z+i] = make([]float64, nv)
		for j := 0; j < r; j++ {
			a := m.At(i, j)
			t[i][j], t[i][r+j] = a, -a
			t[z+i][j], t[z+i][r+j] = -a, a
			d[j] += a
			d[r+j] -= a
		}
		t[i][2*r+i] = 1
		t[z+i][2*r+z+i] = 1
		rhs[z+i] = 1
		basis[i], basis[z+i] = 2*r+i, 2*r+z+i
	}
	for range lpMaxPivots {
		enter := -1
		for j := 0; j < nv; j++ {
			if d[j] < -lpTol {
				enter = j
				break
			}
		}
		if enter < 0 {
			break
		}
		leave := -1
		var best float64
		for i := 0; i < rows; i++ {
			if t[i][enter] > lpTol {
				q := rhs[i] / t[i][enter]
				if leave < 0 || q < best-lpTol || q <= best+lpTol && basis[i] < basis[leave] {
					leave, best = i, q
				}
			}
		}
		if leave < 0 {
			break // unbounded: cannot happen, s is bounded
		}
		pv := t[leave][enter]
		for j := range t[leave] {
			t[leave][j] /= pv
		}
		rhs[leave] /= pv
		for i := 0; i < rows; i++ {
			if i == leave || t[i][enter] == 0 {
				continue
			}
			f := t[i][enter]
			for j := range t[i] {
				t[i][j] -= f * t[leave][j]
			}
			rhs[i] -= f * rhs[leave]
		}
		f := d[enter]
		for j := range d {
			d[j] -= f * t[leave][j]
		}
		basis[leave] = enter
	}
	s := make([]float64, z)
	for i, b := range basis {
		if b >= 2*r && b < 2*r+z {
			s[b-2*r] = rhs[i]
		}
	}
	return s
}

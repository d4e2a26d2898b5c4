package estimate

import (
	"errors"
	"math"
)

// TwoList holds the classical estimates from two lists: n1 and n2 people
// on each, m on both.
type TwoList struct {
	Lists    [2]string `json:"lists"`
	N1       float64   `json:"n1"`
	N2       float64   `json:"n2"`
	M        float64   `json:"m"`        // on both lists
	Seen     float64   `json:"observed"` // n1 + n2 − m
	Petersen float64   `json:"lincoln_petersen"`
	Chapman  float64   `json:"chapman"`
	SE       float64   `json:"se"`      // of Chapman's estimate (Seber 1970)
	Wald     Interval  `json:"wald"`    // Chapman ± z·SE
	Chao     Interval  `json:"chao"`    // log-transformed, never below the observed (Chao 1987)
	Profile  Interval  `json:"profile"` // multinomial profile likelihood (Rcapture's Mt)
}

// TwoListEstimate computes Lincoln–Petersen, Chapman (1951) with Seber's
// variance (n1+1)(n2+1)(n1−m)(n2−m)/((m+1)²(m+2)), a Wald interval, Chao's
// (1987, Biometrics 43:783) log-transformed interval
// n + f₀/C … n + f₀·C with f₀ = N̂ − n and C = exp(z√log(1 + V/f₀²)), and
// the profile-likelihood interval of the independence model. It fails if
// the table does not have exactly two lists. With no overlap (m = 0) the
// Lincoln–Petersen estimate is infinite and only Chapman's is given.
func TwoListEstimate(t *Table, level float64) (TwoList, error) {
	if t.K() != 2 {
		return TwoList{}, errors.New("estimate: two-list estimates need a table of exactly two lists")
	}
	if err := t.Validate(); err != nil {
		return TwoList{}, err
	}
	r := TwoList{Lists: [2]string{t.Lists[0], t.Lists[1]}}
	r.M = t.Counts[3]
	r.N1 = t.Counts[1] + r.M
	r.N2 = t.Counts[2] + r.M
	r.Seen = t.Observed()
	r.Petersen = r.N1 * r.N2 / r.M
	if r.M == 0 {
		r.Petersen = math.Inf(1)
	}
	r.Chapman = (r.N1+1)*(r.N2+1)/(r.M+1) - 1
	v := (r.N1 + 1) * (r.N2 + 1) * (r.N1 - r.M) * (r.N2 - r.M) / ((r.M + 1) * (r.M + 1) * (r.M + 2))
	r.SE = math.Sqrt(v)
	z := normalQuantile((1 + level) / 2)
	r.Wald = Interval{Level: level, Method: "wald", Point: r.Chapman, Lower: r.Chapman - z*r.SE, Upper: r.Chapman + z*r.SE}
	f0 := r.Chapman - r.Seen
	c := math.Exp(z * math.Sqrt(math.Log(1+v/(f0*f0))))
	r.Chao = Interval{Level: level, Method: "chao", Point: r.Chapman, Lower: r.Seen + f0/c, Upper: r.Seen + f0*c}
	ind, _ := NewModel(2)
	if iv, err := ProfileInterval(t, ind, level); err == nil {
		r.Profile = iv
	} else {
		r.Profile = Interval{Level: level, Method: "profile", Point: math.NaN(), Lower: math.NaN(), Upper: math.NaN(), Note: err.Error()}
	}
	return r, nil
}

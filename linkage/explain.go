package linkage

import (
	"fmt"
	"strings"

	"github.com/paradero/paradero"
)

// Explanation is why a pair scored as it did: the prior, then each
// comparison's contribution to the match weight, in settings order (a
// waterfall, as in Splink's charts). Weight = the sum of the fields'
// Weight and TermFrequency; Probability adds Prior.
type Explanation struct {
	A, B        RecordRef
	Prior       float64 // log2 prior odds of a match among candidate pairs
	Weight      float64
	Probability float64
	Decision    string // link, review or non-link
	Fields      []Contribution
}

// Contribution is one comparison's part in a pair's weight.
type Contribution struct {
	Comparison string
	ValueA     string
	ValueB     string
	Level      int
	Label      string
	M, U       float64
	Weight     float64 // log2(M/U); 0 for a missing value
	// TermFrequency is the adjustment for how common the agreed value is.
	TermFrequency float64
}

// Explain explains the score of records a and b (indexes in Records). It
// scores any pair, not only candidates.
func (r *Result) Explain(a, b int) (Explanation, error) {
	if a < 0 || b < 0 || a >= len(r.Records) || b >= len(r.Records) || a == b {
		return Explanation{}, paradero.Errorf(paradero.EINVALID, "no pair of distinct records %d, %d", a, b)
	}
	ds, sc := r.ds, r.sc
	p := ds.compare(a, b)
	e := Explanation{A: r.Records[a], B: r.Records[b], Prior: sc.prior}
	for k, c := range ds.cmps {
		l := p.level(k)
		f := Contribution{
			Comparison: r.Model.Comparisons[k].Name,
			ValueA:     c.value(a), ValueB: c.value(b),
			Level: int(l), Label: c.levels()[l],
			M: sc.m[k][l], U: sc.u[k][l], Weight: sc.w[k][l],
		}
		f.TermFrequency = sc.tf(k, l, a, b)
		e.Fields = append(e.Fields, f)
		e.Weight += f.Weight + f.TermFrequency
	}
	e.Probability = r.Model.Probability(e.Weight)
	e.Decision = r.Decision(e.Weight)
	return e, nil
}

// String renders the waterfall as text, one line per step.
func (e Explanation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s ~ %s: weight %+.2f, probability %.4f, %s\n", e.A, e.B, e.Weight, e.Probability, e.Decision)
	fmt.Fprintf(&b, "  %-16s %+7.2f\n", "prior", e.Prior)
	for _, f := range e.Fields {
		fmt.Fprintf(&b, "  %-16s %+7.2f", f.Comparison, f.Weight)
		if f.TermFrequency != 0 {
			fmt.Fprintf(&b, " %+6.2f tf", f.TermFrequency)
		}
		fmt.Fprintf(&b, "  %s: %q vs %q\n", f.Label, f.ValueA, f.ValueB)
	}
	return b.String()
}

package linkage

import (
	"context"
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/linkage/fakeperson"
)

// benchDir holds the public benchmarks; CI clones shared/ beside the
// repository. A missing file fails the test: accuracy is not optional.
const benchDir = "../../shared/benchmarks/linkage"

func readBenchTable(t *testing.T, name string) Table {
	t.Helper()
	f, err := os.Open(filepath.Join(benchDir, name))
	if err != nil {
		t.Fatalf("benchmark data: %v", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return Table{Name: name, Columns: rows[0], Rows: rows[1:]}
}

func readBenchSettings(t *testing.T, name string) Settings {
	t.Helper()
	f, err := os.Open(filepath.Join(benchDir, name))
	if err != nil {
		t.Fatalf("benchmark settings: %v", err)
	}
	defer f.Close()
	s, err := ReadSettings(f)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// pairScores returns pairwise precision, recall and F1 of a clustering
// against true entities, counting only pairs the link type allows when
// cross is set (pairs across inputs).
func pairScores(res *Result, entity func(RecordRef) string, cross bool) (p, r, f float64) {
	c2 := func(n int) float64 { return float64(n) * float64(n-1) / 2 }
	count := func(group func(i int) string) float64 {
		all := make(map[string]int)
		bySrc := make(map[[2]string]int)
		for i, ref := range res.Records {
			g := group(i)
			all[g]++
			bySrc[[2]string{g, ref.Source}]++
		}
		n := 0.0
		for _, v := range all {
			n += c2(v)
		}
		if cross {
			for _, v := range bySrc {
				n -= c2(v)
			}
		}
		return n
	}
	cl := func(i int) string { return formatInt(res.Cluster[i]) }
	pred := count(cl)
	truth := count(func(i int) string { return entity(res.Records[i]) })
	tp := count(func(i int) string { return cl(i) + "\x01" + entity(res.Records[i]) })
	p, r = tp/pred, tp/truth
	return p, r, 2 * p * r / (p + r)
}

func formatInt(n int) string { return strconv.Itoa(n) }

var febrlEntity = regexp.MustCompile(`^rec-(\d+)-`)

func febrl(r RecordRef) string { return febrlEntity.FindStringSubmatch(r.ID)[1] }

func TestFEBRL3(t *testing.T) {
	s := readBenchSettings(t, "febrl3.json")
	res, err := Link(t.Context(), s, []Table{readBenchTable(t, "febrl_dataset3.csv")}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, r, f := pairScores(res, febrl, false)
	t.Logf("FEBRL3: P=%.4f R=%.4f F1=%.4f, %d candidate pairs", p, r, f, res.Stats.CandidatePairs)
	// Hand-tuned Splink reaches 0.965.
	if f < 0.99 {
		t.Errorf("FEBRL3 pairwise F1 = %.4f, want ≥ 0.99", f)
	}
}

func TestFEBRL4(t *testing.T) {
	s := readBenchSettings(t, "febrl4.json")
	tables := []Table{readBenchTable(t, "febrl_dataset4a.csv"), readBenchTable(t, "febrl_dataset4b.csv")}
	res, err := Link(t.Context(), s, tables, Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, r, f := pairScores(res, febrl, true)
	t.Logf("FEBRL4: P=%.4f R=%.4f F1=%.4f, %d candidate pairs", p, r, f, res.Stats.CandidatePairs)
	if f < 0.995 {
		t.Errorf("FEBRL4 pairwise F1 = %.4f, want ≥ 0.995", f)
	}
	// Explanations add up to the pair's weight.
	for _, pr := range res.Pairs[:min(50, len(res.Pairs))] {
		e, err := res.Explain(pr.A, pr.B)
		if err != nil {
			t.Fatal(err)
		}
		sum := 0.0
		for _, c := range e.Fields {
			sum += c.Weight + c.TermFrequency
		}
		if math.Abs(sum-pr.Weight) > 1e-9 || math.Abs(e.Weight-pr.Weight) > 1e-9 {
			t.Fatalf("Explain(%d, %d): fields sum to %v, weight %v, want %v", pr.A, pr.B, sum, e.Weight, pr.Weight)
		}
	}
}

// quick returns the person settings with fewer random pairs, for tests
// that check behaviour rather than accuracy.
func quick() Settings {
	s := DefaultPersonSettings()
	s.RandomPairs = 50_000
	return s
}

// Splink's heavily corrupted historical_50k: hand-tuned Splink reaches
// pairwise F1 0.757.
func TestHistorical50k(t *testing.T) {
	s := readBenchSettings(t, "hist50k.json")
	truthTable := readBenchTable(t, "hist50k_truth.csv")
	truth := make(map[string]string, len(truthTable.Rows))
	for _, r := range truthTable.Rows {
		truth[r[0]] = r[1]
	}
	res, err := Link(t.Context(), s, []Table{readBenchTable(t, "hist50k.csv")}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, r, f := pairScores(res, func(x RecordRef) string { return truth[x.ID] }, false)
	t.Logf("historical_50k: P=%.4f R=%.4f F1=%.4f, %d candidate pairs", p, r, f, res.Stats.CandidatePairs)
	if f < 0.85 {
		t.Errorf("historical_50k pairwise F1 = %.4f, want ≥ 0.85", f)
	}
}

// fakeWorld returns a small synthetic world and its truth.
func fakeWorld(persons int, seed uint64) ([]Table, map[RecordRef]string) {
	sources := fakeperson.Generate(persons, seed)
	truth := make(map[RecordRef]string)
	for _, s := range sources {
		for _, r := range s.Rows {
			truth[RecordRef{s.Name, r.Values["rec_id"]}] = formatInt(r.Person)
		}
	}
	return fakeTables(sources), truth
}

func TestDefaultPersonSettings(t *testing.T) {
	tables, truth := fakeWorld(3000, 5)
	res, err := Link(t.Context(), DefaultPersonSettings(), tables, Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, r, f := pairScores(res, func(x RecordRef) string { return truth[x] }, false)
	t.Logf("fake world: P=%.4f R=%.4f F1=%.4f, %d records, %d candidate pairs", p, r, f, len(res.Records), res.Stats.CandidatePairs)
	if p < 0.97 || r < 0.75 {
		t.Errorf("fake world: P=%.4f R=%.4f, want P ≥ 0.97, R ≥ 0.75", p, r)
	}
}

// The same input gives the same output, however many workers run.
func TestDeterministic(t *testing.T) {
	tables, _ := fakeWorld(2000, 9)
	s := quick()
	s.Seed = 42
	var first *Result
	for _, w := range []int{1, 2, 4, 1} {
		res, err := Link(context.Background(), s, tables, Options{Workers: w})
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = res
			continue
		}
		if !reflect.DeepEqual(res.Cluster, first.Cluster) || !reflect.DeepEqual(res.Pairs, first.Pairs) || !reflect.DeepEqual(res.Model, first.Model) {
			t.Fatalf("run with %d workers differs from the first run", w)
		}
	}
}

func TestDecisions(t *testing.T) {
	tables, _ := fakeWorld(1000, 11)
	s := quick()
	res, err := Link(t.Context(), s, tables, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Find a linked pair and a pair in different clusters.
	var same, diff [2]int
	for _, p := range res.Pairs {
		if res.Cluster[p.A] == res.Cluster[p.B] {
			same = [2]int{p.A, p.B}
			break
		}
	}
	diff = [2]int{0, 1}
	for res.Cluster[diff[0]] == res.Cluster[diff[1]] {
		diff[1]++
	}
	ref := func(i int) RecordRef { return res.Records[i] }
	dec := []Decision{
		{A: ref(same[0]), B: ref(same[1]), Same: false},
		{A: ref(diff[0]), B: ref(diff[1]), Same: true},
	}
	res2, err := Link(t.Context(), s, tables, Options{Decisions: dec})
	if err != nil {
		t.Fatal(err)
	}
	if res2.Cluster[same[0]] == res2.Cluster[same[1]] {
		t.Errorf("cannot-link %v, %v: still in one cluster", ref(same[0]), ref(same[1]))
	}
	if res2.Cluster[diff[0]] != res2.Cluster[diff[1]] {
		t.Errorf("must-link %v, %v: in clusters %d and %d", ref(diff[0]), ref(diff[1]), res2.Cluster[diff[0]], res2.Cluster[diff[1]])
	}
	// Contradictory decisions are an error.
	bad := append(dec, Decision{A: ref(diff[0]), B: ref(diff[1]), Same: false})
	if _, err := Link(t.Context(), s, tables, Options{Decisions: bad}); paradero.ErrorCode(err) != paradero.EINVALID {
		t.Errorf("contradictory decisions: error %v, want EINVALID", err)
	}
	unknown := []Decision{{A: RecordRef{"nope", "1"}, B: ref(0), Same: true}}
	if _, err := Link(t.Context(), s, tables, Options{Decisions: unknown}); paradero.ErrorCode(err) != paradero.ENOTFOUND {
		t.Errorf("decision on an unknown record: error %v, want ENOTFOUND", err)
	}
}

// Linking a new source against a previous result scores only pairs that
// involve new records, keeps old clusters whole, and finds the new
// records' persons about as well as linking everything at once.
func TestExtend(t *testing.T) {
	tables, truth := fakeWorld(2000, 13)
	s := quick()
	old, err := Link(t.Context(), s, tables[:4], Options{})
	if err != nil {
		t.Fatal(err)
	}
	ext, err := old.Extend(t.Context(), tables[4:], Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ext.Records) != len(old.Records)+len(tables[4].Rows) {
		t.Fatalf("Extend: %d records, want %d", len(ext.Records), len(old.Records)+len(tables[4].Rows))
	}
	for i := range old.Records {
		for j := range old.Records[:i] {
			if old.Cluster[i] == old.Cluster[j] && ext.Cluster[i] != ext.Cluster[j] {
				t.Fatalf("Extend split %v from %v", old.Records[i], old.Records[j])
			}
		}
	}
	full, err := Link(t.Context(), s, tables, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ent := func(x RecordRef) string { return truth[x] }
	_, _, fe := pairScores(ext, ent, false)
	_, _, ff := pairScores(full, ent, false)
	t.Logf("F1 incremental %.4f, all at once %.4f; candidate pairs %d vs %d", fe, ff, ext.Stats.CandidatePairs, full.Stats.CandidatePairs)
	if fe < ff-0.03 {
		t.Errorf("incremental F1 %.4f, want within 0.03 of %.4f", fe, ff)
	}
	if ext.Stats.CandidatePairs >= full.Stats.CandidatePairs {
		t.Errorf("Extend scored %d pairs, want fewer than linking all (%d)", ext.Stats.CandidatePairs, full.Stats.CandidatePairs)
	}
}

// Thresholds come from the fitted model: the link threshold is the weight
// at posterior ½, and the review band surrounds it.
func TestThresholdsFromModel(t *testing.T) {
	tables, _ := fakeWorld(1000, 17)
	res, err := Link(t.Context(), quick(), tables, Options{})
	if err != nil {
		t.Fatal(err)
	}
	th := res.Thresholds
	if p := res.Model.Probability(th.Link); math.Abs(p-0.5) > 1e-9 {
		t.Errorf("Probability(link threshold) = %v, want 0.5", p)
	}
	if !(th.ReviewLow < th.Link && th.Link < th.ReviewHigh) {
		t.Errorf("thresholds %+v are not ordered low < link < high", th)
	}
	for _, p := range res.Review() {
		if p.Weight < th.ReviewLow || p.Weight >= th.ReviewHigh {
			t.Errorf("review pair with weight %v outside [%v, %v)", p.Weight, th.ReviewLow, th.ReviewHigh)
		}
	}
}

func TestReadSettings(t *testing.T) {
	for _, tt := range []struct {
		json string
		ok   bool
	}{
		{`{"link_type":"dedupe","unique_id_column":"id","comparisons":[{"column":"n","kind":"name"}]}`, true},
		{`{"link_type":"dedupe","unique_id_column":"id","comparisons":[{"column":"n","kind":"name"}],"blocking":[["phonetic(n)","year(d)"]]}`, true},
		{`{"link_type":"merge","unique_id_column":"id","comparisons":[{"column":"n","kind":"name"}]}`, false},
		{`{"unique_id_column":"id","comparisons":[{"column":"n","kind":"nickname"}]}`, false},
		{`{"unique_id_column":"id","comparisons":[]}`, false},
		{`{"unique_id_column":"id","comparisons":[{"kind":"date"}]}`, false},
		{`{"unique_id_column":"id","comparisons":[{"column":"n","kind":"name"}],"blocking":[["soundex(n)"]]}`, false},
		{`{"unique_id_column":"id","comparisons":[{"column":"n","kind":"name"}],"colour":1}`, false},
		{`{"unique_id_column":"id","comparisons":[{"column":"n","kind":"name"}],"review_band":[0.6,0.9]}`, false},
		{`not json`, false},
	} {
		_, err := ReadSettings(strings.NewReader(tt.json))
		if (err == nil) != tt.ok {
			t.Errorf("ReadSettings(%s) error = %v, want ok %v", tt.json, err, tt.ok)
		}
		if err != nil && paradero.ErrorCode(err) != paradero.EINVALID {
			t.Errorf("ReadSettings(%s) error code = %q, want EINVALID", tt.json, paradero.ErrorCode(err))
		}
	}
}

func TestLinkErrors(t *testing.T) {
	s := Settings{UniqueIDColumn: "id", Comparisons: []Comparison{{Column: "n", Kind: KindName}}}
	for name, tables := range map[string][]Table{
		"no id column": {{Name: "a", Columns: []string{"n"}, Rows: [][]string{{"x"}}}},
		"duplicate id": {{Name: "a", Columns: []string{"id", "n"}, Rows: [][]string{{"1", "x"}, {"1", "y"}}}},
		"empty id":     {{Name: "a", Columns: []string{"id", "n"}, Rows: [][]string{{"", "x"}}}},
		"same names":   {{Name: "a", Columns: []string{"id"}}, {Name: "a", Columns: []string{"id"}}},
	} {
		if _, err := Link(t.Context(), s, tables, Options{}); paradero.ErrorCode(err) != paradero.EINVALID {
			t.Errorf("%s: error %v, want EINVALID", name, err)
		}
	}
	lo := s
	lo.LinkType = LinkOnly
	one := []Table{{Name: "a", Columns: []string{"id", "n"}, Rows: [][]string{{"1", "x"}, {"2", "x"}}}}
	if _, err := Link(t.Context(), lo, one, Options{}); paradero.ErrorCode(err) != paradero.EINVALID {
		t.Errorf("link_only with one input: error %v, want EINVALID", err)
	}
	tables, _ := fakeWorld(500, 3)
	if _, err := Link(t.Context(), quick(), tables, Options{MaxCandidatePairs: 10}); paradero.ErrorCode(err) != paradero.EINVALID {
		t.Errorf("over MaxCandidatePairs: error %v, want EINVALID", err)
	}
}

// A link stands when no pair between the two clusters has evidence
// against it, however little the other pairs say; when one has, the mean
// posterior log-odds decides, as it always did.
func TestClusterEvidenceAgainst(t *testing.T) {
	const prior = -10.0
	for _, tt := range []struct {
		name    string
		against bool
		merged  bool
	}{
		{"other pairs weaker, none against", false, true},
		{"a pair against", true, false},
	} {
		score := func(a, b int32) (float64, bool, bool) {
			a, b = min(a, b), max(a, b)
			switch {
			case a == 2 && b == 3:
				return 12, false, true // the link: names and date agree
			case a == 0 && b == 3:
				// A second surname missing; or, against, another date
				// of birth that agreeing names outweigh.
				return 4, tt.against, true
			case b == 3:
				return 5, false, true
			}
			return 15, false, true
		}
		c := newClusterer(4, prior, score)
		c.union(0, 1)
		c.union(0, 2)
		c.run([]edge{{2, 3, 12 + prior}})
		if got := c.find(0) == c.find(3); got != tt.merged {
			t.Errorf("%s: merged %v, want %v", tt.name, got, tt.merged)
		}
	}
}

// Given names and surnames swapped between two sources still share a
// block of the rule on both (their keys are a set).
func TestBlockingSwappedNames(t *testing.T) {
	tables := []Table{
		{Name: "roster", Columns: []string{"rec_id", "given_names", "surnames"}, Rows: [][]string{{"1", "ALFREDO", "CONTRERAS GONZALEZ"}}},
		{Name: "list", Columns: []string{"rec_id", "given_names", "surnames"}, Rows: [][]string{{"1", "CONTRERAS GONZALEZ", "ALFREDO"}, {"2", "ALFREDO", "GONZALEZ"}}},
	}
	ds, err := newDataset(DefaultPersonSettings().Defaults(), NewNormalizer(), tables)
	if err != nil {
		t.Fatal(err)
	}
	bl, err := ds.block([][]string{{"phonetic(given_name)", "phonetic(surname)"}})
	if err != nil {
		t.Fatal(err)
	}
	k := bl.keys[0]
	if k[0] < 0 || k[0] != k[1] || k[0] == k[2] {
		t.Errorf("keys %v: want the swapped name with the first, the third apart", k)
	}
}

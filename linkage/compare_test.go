package linkage

import (
	"math"
	"math/rand/v2"
	"testing"
)

// levelOf builds a two-record dataset from the columns and values and
// returns the level of the one comparison.
func levelOf(t *testing.T, c Comparison, cols []string, a, b []string) uint8 {
	t.Helper()
	s := Settings{LinkType: Dedupe, UniqueIDColumn: "id", Comparisons: []Comparison{c}}.Defaults()
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	tb := Table{Name: "t", Columns: append([]string{"id"}, cols...), Rows: [][]string{append([]string{"1"}, a...), append([]string{"2"}, b...)}}
	ds, err := newDataset(s, NewNormalizer(), []Table{tb})
	if err != nil {
		t.Fatal(err)
	}
	return ds.compare(0, 1).level(0)
}

func TestCompareName(t *testing.T) {
	c := Comparison{Column: "name", Kind: KindName}
	for _, tt := range []struct {
		a, b string
		want uint8
	}{
		{"José", "JOSE", 6},
		{"José", "", 0},
		{"", "", 0},
		{"Pepe", "José", 5},
		{"Vásquez", "Basques", 5},
		{"Pérez Gómez", "Gómez Pérez", 5},
		{"Gonzalez", "Gonzales", 5},
		{"Rodriguez", "Rodrigues", 5},
		{"Rodriguez", "Rodirguez", 4},
		{"Pérez", "Pérez Gómez", 3},
		{"José", "José Luis", 3},
		{"J. Luis", "José Luis", 3},
		{"Pérez Gómez", "Pérez Rodríguez", 2},
		{"Martínez", "Hernández", 1},
		{"Alberto", "Roberto", 2},
		{"Ana", "Luz", 1},
	} {
		if got := levelOf(t, c, []string{"name"}, []string{tt.a}, []string{tt.b}); got != tt.want {
			t.Errorf("name level(%q, %q) = %d (%s), want %d (%s)", tt.a, tt.b, got, nameLevels[got], tt.want, nameLevels[tt.want])
		}
	}
}

// The example: one man written four ways. Every pair of his
// spellings must agree on given names and surnames at least partly.
func TestComparePersonName(t *testing.T) {
	cols := []string{"full_name", "given_names", "surnames"}
	spellings := [][]string{
		{"JOSE LUIS PEREZ GOMEZ", "", ""},
		{"José Pérez", "", ""},
		{"PEREZ GOMEZ, JOSE L.", "", ""},
		{"", "Pepe", "Pérez"},
		{"PEREZ GOMEZ JOSE LUIS", "", ""},
	}
	g := Comparison{Name: "given_name", Kind: KindGivenName}
	s := Comparison{Name: "surname", Kind: KindSurname}
	for i, a := range spellings {
		for _, b := range spellings[i+1:] {
			if lg := levelOf(t, g, cols, a, b); lg < 3 {
				t.Errorf("given level(%q, %q) = %d (%s), want ≥ 3", a, b, lg, nameLevels[lg])
			}
			if ls := levelOf(t, s, cols, a, b); ls < 3 {
				t.Errorf("surname level(%q, %q) = %d (%s), want ≥ 3", a, b, ls, nameLevels[ls])
			}
		}
	}
	// Given names and surnames swapped without a comma.
	a, b := []string{"", "Gómez", "Luis"}, []string{"", "Luis", "Gómez"}
	if lg, ls := levelOf(t, g, cols, a, b), levelOf(t, s, cols, a, b); lg != 6 || ls != 6 {
		t.Errorf("swapped names: levels %d, %d, want 6, 6", lg, ls)
	}
	// Different people stay different.
	a, b = []string{"MARIA LOPEZ", "", ""}, []string{"ANA TORRES", "", ""}
	if lg, ls := levelOf(t, g, cols, a, b), levelOf(t, s, cols, a, b); lg != 1 || ls != 1 {
		t.Errorf("different people: levels %d, %d, want 1, 1", lg, ls)
	}
}

func TestCompareDate(t *testing.T) {
	c := Comparison{Column: "dob", Kind: KindDate, Format: "20060102"}
	for _, tt := range []struct {
		a, b string
		want uint8
	}{
		{"19800704", "19800704", 6},
		{"19800704", "1980-07-04", 6},
		{"19800704", "", 0},
		{"garbage", "19800704", 0},
		{"1980", "19800704", 5},
		{"1980-07", "19800704", 5},
		{"1980-07", "19800804", 2},
		{"19800704", "19800407", 4},
		{"19800704", "19810704", 3},
		{"19800704", "19800705", 3},
		{"19800704", "19801125", 2},
		{"19800704", "19910101", 1},
		{"1981", "19800704", 1},
		{"19801304", "19801304", 6},
	} {
		if got := levelOf(t, c, []string{"dob"}, []string{tt.a}, []string{tt.b}); got != tt.want {
			t.Errorf("date level(%q, %q) = %d (%s), want %d (%s)", tt.a, tt.b, got, dateLevels[got], tt.want, dateLevels[tt.want])
		}
	}
}

func TestCompareID(t *testing.T) {
	c := Comparison{Column: "a", Kind: KindID}
	for _, tt := range []struct {
		a, b string
		want uint8
	}{
		{"A123456789", "123-456-789", 4},
		{"123456789", "123456788", 3},
		{"123456789", "123457689", 3},
		{"123456789", "12345678", 3},
		{"1234O6789", "123406789", 4},
		{"123456789", "123457698", 2},
		{"123456789", "987654321", 1},
		{"123456789", "", 0},
	} {
		if got := levelOf(t, c, []string{"a"}, []string{tt.a}, []string{tt.b}); got != tt.want {
			t.Errorf("id level(%q, %q) = %d (%s), want %d (%s)", tt.a, tt.b, got, idLevels[got], tt.want, idLevels[tt.want])
		}
	}
}

func TestCompareExactAndText(t *testing.T) {
	e := Comparison{Column: "x", Kind: KindExact}
	for _, tt := range []struct {
		a, b string
		want uint8
	}{{"NSW", "nsw", 2}, {"nsw", "vic", 1}, {"", "vic", 0}} {
		if got := levelOf(t, e, []string{"x"}, []string{tt.a}, []string{tt.b}); got != tt.want {
			t.Errorf("exact level(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
	x := Comparison{Column: "x", Kind: KindText}
	for _, tt := range []struct {
		a, b string
		want uint8
	}{
		{"pridham street", "pridhamstreet", 4},
		{"wallaby place", "place wallaby", 3},
		{"wallaby place", "wallaby plcae", 3},
		{"centro penal de tecoluca", "centro de tecoluca", 2},
		{"wallaby place", "kingsford smith drive", 1},
		{"", "x", 0},
	} {
		if got := levelOf(t, x, []string{"x"}, []string{tt.a}, []string{tt.b}); got != tt.want {
			t.Errorf("text level(%q, %q) = %d (%s), want %d (%s)", tt.a, tt.b, got, textLevels[got], tt.want, textLevels[tt.want])
		}
	}
}

// A column a table lacks is a missing value, not a disagreement.
func TestMissingColumn(t *testing.T) {
	s := Settings{UniqueIDColumn: "id", Comparisons: []Comparison{{Column: "dob", Kind: KindDate}}}.Defaults()
	ta := Table{Name: "a", Columns: []string{"id", "dob"}, Rows: [][]string{{"1", "1980-01-02"}}}
	tb := Table{Name: "b", Columns: []string{"id"}, Rows: [][]string{{"1"}}}
	ds, err := newDataset(s, NewNormalizer(), []Table{ta, tb})
	if err != nil {
		t.Fatal(err)
	}
	if got := ds.compare(0, 1).level(0); got != 0 {
		t.Errorf("level with a missing column = %d, want 0", got)
	}
}

// jaroWinklerNaive is the textbook definition, for checking JaroWinkler.
func jaroWinklerNaive(a, b string) float64 {
	if a == b {
		return 1
	}
	if a == "" || b == "" {
		return 0
	}
	window := max(len(a), len(b))/2 - 1
	window = max(window, 0)
	ma, mb := make([]bool, len(a)), make([]bool, len(b))
	m := 0
	for i := range len(a) {
		for j := max(0, i-window); j < min(len(b), i+window+1); j++ {
			if !mb[j] && a[i] == b[j] {
				ma[i], mb[j] = true, true
				m++
				break
			}
		}
	}
	if m == 0 {
		return 0
	}
	var sa, sb []byte
	for i := range len(a) {
		if ma[i] {
			sa = append(sa, a[i])
		}
	}
	for j := range len(b) {
		if mb[j] {
			sb = append(sb, b[j])
		}
	}
	tr := 0
	for i := range sa {
		if sa[i] != sb[i] {
			tr++
		}
	}
	fm := float64(m)
	jaro := (fm/float64(len(a)) + fm/float64(len(b)) + (fm-float64(tr/2))/fm) / 3
	if jaro <= 0.7 {
		return jaro
	}
	l := 0
	for l < 4 && l < len(a) && l < len(b) && a[l] == b[l] {
		l++
	}
	return jaro + float64(l)*0.1*(1-jaro)
}

func TestJaroWinkler(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want float64
	}{
		{"martha", "marhta", 0.9611},
		{"dwayne", "duane", 0.84},
		{"dixon", "dicksonx", 0.8133},
		{"abc", "xyz", 0},
		{"", "", 1},
	} {
		if got := JaroWinkler(tt.a, tt.b); math.Abs(got-tt.want) > 1e-3 {
			t.Errorf("JaroWinkler(%q, %q) = %.4f, want %.4f", tt.a, tt.b, got, tt.want)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	word := func() string {
		b := make([]byte, r.IntN(12))
		for i := range b {
			b[i] = "aeioulnrst"[r.IntN(10)]
		}
		return string(b)
	}
	for range 20000 {
		a, b := word(), word()
		if got, want := JaroWinkler(a, b), jaroWinklerNaive(a, b); math.Abs(got-want) > 1e-12 {
			t.Fatalf("JaroWinkler(%q, %q) = %v, naive %v", a, b, got, want)
		}
		if JaroWinkler(a, b) != JaroWinkler(b, a) {
			t.Fatalf("JaroWinkler(%q, %q) is not symmetric", a, b)
		}
	}
}

// editDistanceNaive is the full optimal-string-alignment table.
func editDistanceNaive(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			c := 1
			if a[i-1] == b[j-1] {
				c = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+c)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

func TestEditDistance(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	word := func() string {
		b := make([]byte, r.IntN(10))
		for i := range b {
			b[i] = "0123"[r.IntN(4)]
		}
		return string(b)
	}
	for range 20000 {
		a, b := word(), word()
		want := min(editDistanceNaive(a, b), 3)
		if got := editDistance(a, b, 2); got != want {
			t.Fatalf("editDistance(%q, %q, 2) = %d, want %d", a, b, got, want)
		}
	}
}

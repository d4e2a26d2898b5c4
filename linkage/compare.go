package linkage

import (
	"slices"
	"strconv"
	"strings"
)

// Table is one input: a source's records as rows of columns. Columns differ
// between tables; a column a table lacks is a missing value.
type Table struct {
	Name    string // the source, e.g. the file's base name
	Columns []string
	Rows    [][]string
}

// interner gives each distinct string a dense int32 id.
type interner struct {
	ids  map[string]int32
	strs []string
}

func newInterner() *interner { return &interner{ids: make(map[string]int32)} }

func (in *interner) id(s string) int32 {
	if id, ok := in.ids[s]; ok {
		return id
	}
	id := int32(len(in.strs))
	in.ids[s] = id
	in.strs = append(in.strs, s)
	return id
}

// comparator compares one field of two records, given by their indexes in
// the dataset, and returns a level: 0 when either value is missing (the
// comparison is then neutral), 1 for disagreement, higher for closer
// agreement; the top level is exact agreement.
type comparator interface {
	levels() []string
	compare(a, b int) uint8
	// value is the record's value as read, for explanations.
	value(i int) string
	// tfID is the id of the record's value for term frequencies, or -1.
	tfID(i int) int32
	// blockKey is the record's blocking key under fn, "" if none.
	blockKey(fn string, i int) string
	// present reports whether the record has a value to compare.
	present(i int) bool
}

// columnGetter reads a comparison's value from any table's row: the first
// non-empty of its columns that the table has.
type columnGetter struct {
	idx [][]int // per table, the column indexes
}

func newColumnGetter(tables []Table, cols []string) columnGetter {
	g := columnGetter{idx: make([][]int, len(tables))}
	for t, tb := range tables {
		for _, c := range cols {
			for j, h := range tb.Columns {
				if h == c {
					g.idx[t] = append(g.idx[t], j)
					break
				}
			}
		}
	}
	return g
}

func (g columnGetter) get(t int, row []string) string {
	for _, j := range g.idx[t] {
		if j < len(row) {
			if v := strings.TrimSpace(row[j]); v != "" {
				return v
			}
		}
	}
	return ""
}

func comparisonColumns(c Comparison) []string {
	if len(c.Columns) > 0 {
		return c.Columns
	}
	return []string{c.Column}
}

// rowIter visits every row of the tables in dataset order.
func rowIter(tables []Table, f func(i, t int, row []string)) {
	i := 0
	for t, tb := range tables {
		for _, row := range tb.Rows {
			f(i, t, row)
			i++
		}
	}
}

// ---- names ----

// nameDict holds the tokens and whole names of every name comparison of a
// dataset, so that given names and surnames can be compared crosswise.
type nameDict struct {
	tok   *interner
	tokPh []int32   // per token: its phonetic key's id
	tokNk [][]int32 // per token: ids of the names it may stand for, itself first
	full  *interner
	hist  [][27]uint8 // per whole name: letter counts, for jwBound
	ph    *interner
	nz    *Normalizer
}

// fullID interns a whole name and its letter counts.
func (d *nameDict) fullID(s string) int32 {
	n := int32(len(d.full.strs))
	id := d.full.id(s)
	if id == n {
		var h [27]uint8
		for i := 0; i < len(s); i++ {
			c := s[i]
			j := 26
			if 'a' <= c && c <= 'z' {
				j = int(c - 'a')
			}
			if h[j] < 255 {
				h[j]++
			}
		}
		d.hist = append(d.hist, h)
	}
	return id
}

// jwBound is an upper bound of the Jaro–Winkler similarity of two whole
// names, from their letter counts: at most Σ min(count) characters can
// match, with no transpositions and the full prefix bonus. It lets most
// pairs of unrelated names skip the quadratic comparison.
func (d *nameDict) jwBound(a, b int32) float64 {
	ha, hb := &d.hist[a], &d.hist[b]
	m := 0
	for i := range ha {
		m += int(min(ha[i], hb[i]))
	}
	la, lb := len(d.full.strs[a]), len(d.full.strs[b])
	if m == 0 || la == 0 || lb == 0 {
		return 0
	}
	fm := float64(min(m, la, lb))
	j := (fm/float64(la) + fm/float64(lb) + 1) / 3
	return j + 0.4*(1-j)
}

func newNameDict(nz *Normalizer) *nameDict {
	return &nameDict{tok: newInterner(), full: newInterner(), ph: newInterner(), nz: nz}
}

func (d *nameDict) token(t string) int32 {
	if id, ok := d.tok.ids[t]; ok {
		return id
	}
	id := d.tok.id(t)
	d.tokPh = append(d.tokPh, d.ph.id(Phonetic(t)))
	d.tokNk = append(d.tokNk, nil)
	nk := []int32{id}
	for _, e := range d.nz.lx.expansions(t) {
		if e != t && !strings.Contains(e, " ") {
			nk = append(nk, d.token(e))
		}
	}
	d.tokNk[id] = nk
	return id
}

// equiv reports whether two tokens name the same: equal, equal phonetic
// key, or related by the hypocorism table (Pepe ~ José; Beto ~ Alberto but
// not Alberto ~ Roberto).
func (d *nameDict) equiv(a, b int32) bool {
	if a == b || d.tokPh[a] == d.tokPh[b] {
		return true
	}
	na, nb := d.tokNk[a], d.tokNk[b]
	if len(na) <= 1 && len(nb) <= 1 {
		return false
	}
	for _, x := range na {
		if slices.Contains(nb, x) {
			return true
		}
	}
	return false
}

// initialOf reports whether a is a one-letter initial of b.
func (d *nameDict) initialOf(a, b int32) bool {
	sa, sb := d.tok.strs[a], d.tok.strs[b]
	return len(sa) == 1 && len(sb) > 0 && sa[0] == sb[0]
}

// nameValues are the prepared names of one comparison.
type nameValues struct {
	d    *nameDict
	orig []string
	full []int32 // id of the folded joined tokens; -1 missing
	ph   []int32 // id of the phonetic key of the joined tokens
	off  []int32 // tokens of record i: toks[off[i]:off[i+1]]
	toks []int32
}

func (v *nameValues) add(orig string, tokens []string) {
	if len(v.off) == 0 {
		v.off = append(v.off, 0)
	}
	v.orig = append(v.orig, orig)
	if len(tokens) == 0 {
		v.full = append(v.full, -1)
		v.ph = append(v.ph, -1)
		v.off = append(v.off, int32(len(v.toks)))
		return
	}
	joined := strings.Join(tokens, " ")
	v.full = append(v.full, v.d.fullID(joined))
	v.ph = append(v.ph, v.d.ph.id(Phonetic(joined)))
	for _, t := range tokens {
		v.toks = append(v.toks, v.d.token(t))
	}
	v.off = append(v.off, int32(len(v.toks)))
}

func (v *nameValues) tokens(i int) []int32 { return v.toks[v.off[i]:v.off[i+1]] }

// Name comparison levels, shared by every name kind.
var nameLevels = []string{
	"missing", "different", "similar (Jaro–Winkler ≥ 0.80) or a shared name",
	"one name contains the other (initials allowed)", "Jaro–Winkler ≥ 0.92",
	"same names in another order, same sound or nickname", "exact",
}

// nameSubsetLevel is the level "one name contains the other".
const nameSubsetLevel = 3

// nameValuesOf returns the prepared names of a name comparator, or nil.
func nameValuesOf(c comparator) *nameValues {
	switch c := c.(type) {
	case *nameComparator:
		return c.v
	case *personPartComparator:
		return c.part()
	}
	return nil
}

// nameLevel grades two token lists (see nameLevels). fa, fb are the ids of
// the joined strings, pa, pb of their phonetic keys.
func nameLevel(d *nameDict, fa, fb, pa, pb int32, ta, tb []int32) uint8 {
	if fa < 0 || fb < 0 {
		return 0
	}
	if fa == fb {
		return 6
	}
	if pa == pb {
		return 5
	}
	if len(ta) == len(tb) {
		same := true
		for i := range ta {
			if !d.equiv(ta[i], tb[i]) {
				same = false
				break
			}
		}
		if same || sameSet(ta, tb) {
			return 5
		}
	}
	jw := 0.0
	if d.jwBound(fa, fb) >= 0.80 {
		jw = JaroWinkler(d.full.strs[fa], d.full.strs[fb])
	}
	if jw >= 0.92 {
		return 4
	}
	short, long := ta, tb
	if len(short) > len(long) {
		short, long = long, short
	}
	used := uint64(0)
	matched, full := 0, 0
	for _, s := range short {
		for j, l := range long {
			if j < 64 && used&(1<<j) == 0 {
				if d.equiv(s, l) {
					used |= 1 << j
					matched++
					full++
					break
				}
				if d.initialOf(s, l) || d.initialOf(l, s) {
					used |= 1 << j
					matched++
					break
				}
			}
		}
	}
	if matched == len(short) && full > 0 {
		return 3
	}
	if full > 0 || jw >= 0.80 {
		return 2
	}
	return 1
}

// sameSet reports whether two short token lists hold the same tokens.
func sameSet(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	for _, x := range b {
		if !slices.Contains(a, x) {
			return false
		}
	}
	return true
}

// nameComparator compares a name held in one column.
type nameComparator struct{ v *nameValues }

func (c *nameComparator) levels() []string { return nameLevels }
func (c *nameComparator) value(i int) string {
	return c.v.orig[i]
}
func (c *nameComparator) tfID(i int) int32   { return c.v.full[i] }
func (c *nameComparator) present(i int) bool { return c.v.full[i] >= 0 }
func (c *nameComparator) compare(a, b int) uint8 {
	v := c.v
	return nameLevel(v.d, v.full[a], v.full[b], v.ph[a], v.ph[b], v.tokens(a), v.tokens(b))
}
func (c *nameComparator) blockKey(fn string, i int) string {
	return nameBlockKey(c.v, fn, i)
}

func nameBlockKey(v *nameValues, fn string, i int) string {
	if v.full[i] < 0 {
		return ""
	}
	t := v.tokens(i)
	switch fn {
	case "":
		return v.d.full.strs[v.full[i]]
	case "phonetic":
		return v.d.ph.strs[v.d.tokPh[t[0]]]
	case "phonetics":
		// Every token's key, sorted, so that order does not matter.
		keys := make([]string, len(t))
		for i, x := range t {
			keys[i] = v.d.ph.strs[v.d.tokPh[x]]
		}
		slices.Sort(keys)
		return strings.Join(keys, " ")
	case "first":
		return v.d.tok.strs[t[0]]
	case "initial":
		return v.d.tok.strs[t[0]][:1]
	}
	return ""
}

// personNames holds the given names and surnames parsed from a person's
// name columns; the given_name and surname comparators share it, so that a
// name written in swapped order (surnames where given names belong) is
// recognised by both.
type personNames struct {
	given, sur *nameValues
}

// levels grades the given names and the surnames of records a and b. When
// the direct grades are weak and a given name of one record is among the
// other's surnames, the names may be written in swapped order (surnames
// where given names belong); the better of the two readings wins.
func (p *personNames) levels(a, b int) (given, sur uint8) {
	g, s := p.given, p.sur
	lg := nameLevel(g.d, g.full[a], g.full[b], g.ph[a], g.ph[b], g.tokens(a), g.tokens(b))
	ls := nameLevel(s.d, s.full[a], s.full[b], s.ph[a], s.ph[b], s.tokens(a), s.tokens(b))
	if lg > 2 && ls > 2 || g.full[a] < 0 || g.full[b] < 0 || s.full[a] < 0 || s.full[b] < 0 {
		return lg, ls
	}
	if !anyEquiv(g.d, g.tokens(a), s.tokens(b)) && !anyEquiv(g.d, s.tokens(a), g.tokens(b)) {
		return lg, ls
	}
	xg := nameLevel(g.d, g.full[a], s.full[b], g.ph[a], s.ph[b], g.tokens(a), s.tokens(b))
	xs := nameLevel(g.d, s.full[a], g.full[b], s.ph[a], g.ph[b], s.tokens(a), g.tokens(b))
	if min(xg, xs) > max(lg, ls) {
		return xg, xs
	}
	return lg, ls
}

func anyEquiv(d *nameDict, a, b []int32) bool {
	for _, x := range a {
		for _, y := range b {
			if d.equiv(x, y) {
				return true
			}
		}
	}
	return false
}

type personPartComparator struct {
	p     *personNames
	given bool
}

func (c *personPartComparator) part() *nameValues {
	if c.given {
		return c.p.given
	}
	return c.p.sur
}
func (c *personPartComparator) levels() []string   { return nameLevels }
func (c *personPartComparator) value(i int) string { return c.part().orig[i] }
func (c *personPartComparator) tfID(i int) int32   { return c.part().full[i] }
func (c *personPartComparator) present(i int) bool { return c.part().full[i] >= 0 }
func (c *personPartComparator) compare(a, b int) uint8 {
	g, s := c.p.levels(a, b)
	if c.given {
		return g
	}
	return s
}
func (c *personPartComparator) blockKey(fn string, i int) string {
	return nameBlockKey(c.part(), fn, i)
}

// ---- dates ----

type ymd struct{ y, m, d int16 }

var dateLevels = []string{
	"missing", "different", "same year", "one of day, month, year differs",
	"day and month swapped", "partial date that agrees", "exact",
}

type dateComparator struct {
	orig []string
	v    []ymd
}

func (c *dateComparator) levels() []string { return dateLevels }
func (c *dateComparator) value(i int) string {
	return c.orig[i]
}
func (c *dateComparator) tfID(int) int32     { return -1 }
func (c *dateComparator) present(i int) bool { return c.v[i].y != 0 }
func (c *dateComparator) compare(a, b int) uint8 {
	x, y := c.v[a], c.v[b]
	if x.y == 0 || y.y == 0 {
		return 0
	}
	if x.m == 0 || x.d == 0 || y.m == 0 || y.d == 0 {
		// Partial: compare what both know.
		if x.y != y.y {
			return 1
		}
		if x.m != 0 && y.m != 0 && x.m != y.m {
			if x.d != 0 && y.d != 0 && x.m == y.d && x.d == y.m {
				return 4
			}
			return 2
		}
		if x.d != 0 && y.d != 0 && x.d != y.d {
			return 2
		}
		return 5
	}
	if x == y {
		return 6
	}
	if x.y == y.y && x.m == y.d && x.d == y.m {
		return 4
	}
	same := 0
	if x.y == y.y {
		same++
	}
	if x.m == y.m {
		same++
	}
	if x.d == y.d {
		same++
	}
	if same == 2 {
		return 3
	}
	if x.y == y.y {
		return 2
	}
	return 1
}
func (c *dateComparator) blockKey(fn string, i int) string {
	x := c.v[i]
	if x.y == 0 {
		return ""
	}
	switch fn {
	case "", "dm":
		if x.m == 0 || x.d == 0 {
			return ""
		}
		lo, hi := x.m, x.d
		if lo > hi {
			lo, hi = hi, lo
		}
		if fn == "" {
			lo, hi = x.m, x.d
		}
		return strconv.Itoa(int(x.y)) + "-" + strconv.Itoa(int(lo)) + "-" + strconv.Itoa(int(hi))
	case "year":
		return strconv.Itoa(int(x.y))
	}
	return ""
}

// parseDate reads a date by the Go layout (only the elements 2006, 01, 1,
// 02, 2 and literal separators), then as ISO at any precision, then as
// D/M/Y. Components are not checked against the calendar: corrupted dates
// (31 February) still compare component by component. It returns the zero
// ymd if nothing fits.
func parseDate(s, layout string) ymd {
	if layout != "" {
		if v, ok := parseLayout(s, layout); ok {
			return v
		}
	}
	if v, ok := parseLayout(s, "2006-01-02"); ok {
		return v
	}
	if v, ok := parseLayout(s, "2006-01"); ok {
		return ymd{v.y, v.m, 0}
	}
	if v, ok := parseLayout(s, "2006"); ok {
		return ymd{v.y, 0, 0}
	}
	if v, ok := parseLayout(s, "2/1/2006"); ok && v.m <= 12 {
		return v
	}
	return ymd{}
}

func parseLayout(s, layout string) (ymd, bool) {
	var v ymd
	num := func(max int) (int, bool) {
		n, k := 0, 0
		for k < len(s) && k < max && '0' <= s[k] && s[k] <= '9' {
			n = n*10 + int(s[k]-'0')
			k++
		}
		if k == 0 {
			return 0, false
		}
		s = s[k:]
		return n, true
	}
	var ok bool
	var n int
	for layout != "" {
		switch {
		case strings.HasPrefix(layout, "2006"):
			if len(s) < 4 {
				return v, false
			}
			save := s
			s = s[:4]
			n, ok = num(4)
			s = save[4:]
			if !ok {
				return v, false
			}
			v.y = int16(n)
			layout = layout[4:]
		case strings.HasPrefix(layout, "01"), strings.HasPrefix(layout, "02"):
			isDay := layout[1] == '2'
			if len(s) < 2 {
				return v, false
			}
			save := s
			s = s[:2]
			n, ok = num(2)
			s = save[2:]
			if !ok {
				return v, false
			}
			if isDay {
				v.d = int16(n)
			} else {
				v.m = int16(n)
			}
			layout = layout[2:]
		case layout[0] == '1' || layout[0] == '2':
			if n, ok = num(2); !ok {
				return v, false
			}
			if layout[0] == '2' {
				v.d = int16(n)
			} else {
				v.m = int16(n)
			}
			layout = layout[1:]
		default:
			if s == "" || s[0] != layout[0] {
				return v, false
			}
			s, layout = s[1:], layout[1:]
		}
	}
	if s != "" || v.y == 0 {
		return ymd{}, false
	}
	return v, true
}

// ---- identifiers ----

var idLevels = []string{"missing", "different", "two edits apart", "one typo or transposition", "exact"}

type idComparator struct {
	orig []string
	id   []int32
	in   *interner
}

// NormalizeID returns a document number's comparable form: letters and
// digits only, upper case; in a number that is mostly digits, the letters
// O and I/L that OCR and typists confuse with 0 and 1 become digits; a
// leading A before 8 or 9 digits (an A-number) and leading zeros are
// dropped.
func NormalizeID(s string) string {
	b := make([]byte, 0, len(s))
	digits, letters := 0, 0
	for _, r := range strings.ToUpper(s) {
		switch {
		case '0' <= r && r <= '9':
			b = append(b, byte(r))
			digits++
		case 'A' <= r && r <= 'Z':
			b = append(b, byte(r))
			letters++
		}
	}
	trimZeros := func() {
		for len(b) > 1 && b[0] == '0' {
			b = b[1:]
		}
	}
	if digits > 2*letters {
		first := 0
		if len(b) > 0 && b[0] == 'A' {
			first = 1
		}
		for i := first; i < len(b); i++ {
			switch b[i] {
			case 'O', 'Q', 'D':
				b[i] = '0'
			case 'I', 'L':
				b[i] = '1'
			}
		}
		trimZeros()
		if len(b) >= 9 && len(b) <= 10 && b[0] == 'A' && allDigits(b[1:]) {
			b = b[1:]
		}
	}
	trimZeros()
	return string(b)
}

func (c *idComparator) levels() []string { return idLevels }
func (c *idComparator) value(i int) string {
	return c.orig[i]
}
func (c *idComparator) tfID(i int) int32   { return c.id[i] }
func (c *idComparator) present(i int) bool { return c.id[i] >= 0 }
func (c *idComparator) compare(a, b int) uint8 {
	x, y := c.id[a], c.id[b]
	if x < 0 || y < 0 {
		return 0
	}
	if x == y {
		return 4
	}
	switch editDistance(c.in.strs[x], c.in.strs[y], 2) {
	case 1:
		return 3
	case 2:
		return 2
	}
	return 1
}
func (c *idComparator) blockKey(fn string, i int) string {
	if c.id[i] < 0 {
		return ""
	}
	s := c.in.strs[c.id[i]]
	if fn == "initial" {
		return s[:1]
	}
	return s
}

// ---- exact ----

var exactLevels = []string{"missing", "different", "exact"}

type exactComparator struct {
	orig []string
	id   []int32
	in   *interner
}

func (c *exactComparator) levels() []string { return exactLevels }
func (c *exactComparator) value(i int) string {
	return c.orig[i]
}
func (c *exactComparator) tfID(i int) int32   { return c.id[i] }
func (c *exactComparator) present(i int) bool { return c.id[i] >= 0 }
func (c *exactComparator) compare(a, b int) uint8 {
	x, y := c.id[a], c.id[b]
	if x < 0 || y < 0 {
		return 0
	}
	if x == y {
		return 2
	}
	return 1
}
func (c *exactComparator) blockKey(fn string, i int) string {
	if c.id[i] < 0 {
		return ""
	}
	return keyFunc(fn, c.in.strs[c.id[i]])
}

// keyFunc applies a blocking function to a folded string.
func keyFunc(fn, s string) string {
	switch fn {
	case "phonetic":
		f, _, _ := strings.Cut(s, " ")
		return Phonetic(f)
	case "first":
		f, _, _ := strings.Cut(s, " ")
		return f
	case "initial":
		return s[:1]
	case "year":
		return ""
	}
	return s
}

// ---- free text ----

var textLevels = []string{"missing", "different", "similar (Jaro–Winkler ≥ 0.80 or half the words)", "close (Jaro–Winkler ≥ 0.92 or same words)", "exact"}

type textComparator struct {
	orig    []string
	id      []int32 // id of the folded text without spaces
	in      *interner
	spaced  []int32 // id of the folded text with spaces
	sin     *interner
	off     []int32
	toks    []int32
	tokenIn *interner
}

func (c *textComparator) levels() []string { return textLevels }
func (c *textComparator) value(i int) string {
	return c.orig[i]
}
func (c *textComparator) tfID(i int) int32   { return c.id[i] }
func (c *textComparator) present(i int) bool { return c.id[i] >= 0 }
func (c *textComparator) compare(a, b int) uint8 {
	x, y := c.id[a], c.id[b]
	if x < 0 || y < 0 {
		return 0
	}
	if x == y {
		return 4
	}
	ta, tb := c.toks[c.off[a]:c.off[a+1]], c.toks[c.off[b]:c.off[b+1]]
	if sameSet(ta, tb) {
		return 3
	}
	jw := JaroWinkler(c.in.strs[x], c.in.strs[y])
	if jw >= 0.92 {
		return 3
	}
	if jw >= 0.80 {
		return 2
	}
	common := 0
	for _, t := range ta {
		if slices.Contains(tb, t) {
			common++
		}
	}
	if 2*common >= max(len(ta), len(tb)) {
		return 2
	}
	return 1
}
func (c *textComparator) blockKey(fn string, i int) string {
	if c.id[i] < 0 {
		return ""
	}
	return keyFunc(fn, c.sin.strs[c.spaced[i]])
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

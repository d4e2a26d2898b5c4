package linkage

import (
	"slices"
	"strings"

	"github.com/paradero/paradero"
)

// dataset is the prepared form of the input tables: every comparison's
// values normalised once per record (folded, tokenised, phonetic keys,
// parsed dates), so that scoring a pair does no parsing.
type dataset struct {
	s      Settings
	tables []Table
	n      int
	src    []int32  // per record: its table
	ids    []string // per record: its unique id
	cmps   []comparator
	tf     [][]float64 // per comparison: value id → share of records, nil if off
	tokDF  [][]float64 // per name comparison: token id → share of records holding it
	// person holds the parsed names when there are given_name and surname
	// comparisons, at givenK and surK (else -1).
	person       *personNames
	givenK, surK int
}

func newDataset(s Settings, nz *Normalizer, tables []Table) (*dataset, error) {
	ds := &dataset{s: s, tables: tables, givenK: -1, surK: -1}
	seenTable := make(map[string]bool)
	for t, tb := range tables {
		if seenTable[tb.Name] {
			return nil, paradero.Errorf(paradero.EINVALID, "two inputs are named %q", tb.Name)
		}
		seenTable[tb.Name] = true
		col := -1
		for j, h := range tb.Columns {
			if h == s.UniqueIDColumn {
				col = j
			}
		}
		if col < 0 {
			return nil, paradero.Errorf(paradero.EINVALID, "%s has no %s column", tb.Name, s.UniqueIDColumn)
		}
		seen := make(map[string]bool, len(tb.Rows))
		for r, row := range tb.Rows {
			id := ""
			if col < len(row) {
				id = strings.TrimSpace(row[col])
			}
			if id == "" {
				return nil, paradero.Errorf(paradero.EINVALID, "%s row %d has no %s", tb.Name, r+1, s.UniqueIDColumn)
			}
			if seen[id] {
				return nil, paradero.Errorf(paradero.EINVALID, "%s: %s %q appears twice", tb.Name, s.UniqueIDColumn, id)
			}
			seen[id] = true
			ds.src = append(ds.src, int32(t))
			ds.ids = append(ds.ids, id)
		}
	}
	ds.n = len(ds.ids)
	dict := newNameDict(nz)
	var person *personNames
	for _, c := range s.Comparisons {
		var cmp comparator
		switch c.Kind {
		case KindName:
			v := &nameValues{d: dict}
			g := newColumnGetter(tables, comparisonColumns(c))
			rowIter(tables, func(i, t int, row []string) {
				orig := g.get(t, row)
				v.add(orig, nameTokens(Fold(orig)))
			})
			cmp = &nameComparator{v: v}
		case KindGivenName, KindSurname:
			if person == nil {
				person = parsePersonNames(s, nz, dict, tables)
			}
			cmp = &personPartComparator{p: person, given: c.Kind == KindGivenName}
			if c.Kind == KindGivenName {
				ds.givenK = len(ds.cmps)
			} else {
				ds.surK = len(ds.cmps)
			}
		case KindDate:
			dc := &dateComparator{}
			g := newColumnGetter(tables, comparisonColumns(c))
			rowIter(tables, func(i, t int, row []string) {
				orig := g.get(t, row)
				dc.orig = append(dc.orig, orig)
				dc.v = append(dc.v, parseDate(orig, c.Format))
			})
			cmp = dc
		case KindID:
			ic := &idComparator{in: newInterner()}
			g := newColumnGetter(tables, comparisonColumns(c))
			rowIter(tables, func(i, t int, row []string) {
				orig := g.get(t, row)
				ic.orig = append(ic.orig, orig)
				id := int32(-1)
				if n := NormalizeID(orig); n != "" {
					id = ic.in.id(n)
				}
				ic.id = append(ic.id, id)
			})
			cmp = ic
		case KindExact, KindCountry:
			ec := &exactComparator{in: newInterner()}
			g := newColumnGetter(tables, comparisonColumns(c))
			var countries map[string]string
			if c.Kind == KindCountry {
				countries = newCountryTable()
			}
			rowIter(tables, func(i, t int, row []string) {
				orig := g.get(t, row)
				ec.orig = append(ec.orig, orig)
				id := int32(-1)
				if f := Fold(orig); f != "" {
					if countries != nil {
						f = countryCode(countries, f)
					}
					id = ec.in.id(f)
				}
				ec.id = append(ec.id, id)
			})
			cmp = ec
		case KindText:
			tc := &textComparator{in: newInterner(), sin: newInterner(), tokenIn: newInterner(), off: []int32{0}}
			g := newColumnGetter(tables, comparisonColumns(c))
			rowIter(tables, func(i, t int, row []string) {
				orig := g.get(t, row)
				tc.orig = append(tc.orig, orig)
				f := Fold(orig)
				id, sid := int32(-1), int32(-1)
				if f != "" {
					id = tc.in.id(strings.ReplaceAll(f, " ", ""))
					sid = tc.sin.id(f)
					for _, w := range strings.Fields(f) {
						tc.toks = append(tc.toks, tc.tokenIn.id(w))
					}
				}
				tc.id = append(tc.id, id)
				tc.spaced = append(tc.spaced, sid)
				tc.off = append(tc.off, int32(len(tc.toks)))
			})
			cmp = tc
		}
		ds.cmps = append(ds.cmps, cmp)
	}
	ds.person = person
	if ds.givenK < 0 || ds.surK < 0 {
		ds.givenK, ds.surK = -1, -1
	}
	ds.tf = make([][]float64, len(ds.cmps))
	ds.tokDF = make([][]float64, len(ds.cmps))
	for k, c := range s.Comparisons {
		if *c.TermFrequency {
			ds.tf[k] = termFrequencies(ds.cmps[k], ds.n)
			if nv := nameValuesOf(ds.cmps[k]); nv != nil {
				ds.tokDF[k] = documentFrequencies(nv, ds.n, len(dict.tok.strs))
			}
		}
	}
	return ds, nil
}

func parsePersonNames(s Settings, nz *Normalizer, dict *nameDict, tables []Table) *personNames {
	pn := s.PersonName
	full := newColumnGetter(tables, []string{pn.Full})
	given := newColumnGetter(tables, []string{pn.Given})
	sur := newColumnGetter(tables, []string{pn.Surnames})
	first := newColumnGetter(tables, []string{pn.FirstSurname})
	second := newColumnGetter(tables, []string{pn.SecondSurname})
	p := &personNames{given: &nameValues{d: dict}, sur: &nameValues{d: dict}}
	parts := func(t int, row []string) NameParts {
		return NameParts{
			Full: full.get(t, row), Given: given.get(t, row), Surnames: sur.get(t, row),
			FirstSurname: first.get(t, row), SecondSurname: second.get(t, row),
		}
	}
	// First the roles the sources state (see nameRoles), then every name
	// parsed with them.
	roles := make(nameRoles)
	rowIter(tables, func(i, t int, row []string) {
		nz.learnRoles(roles, parts(t, row))
	})
	rowIter(tables, func(i, t int, row []string) {
		n := nz.parseName(parts(t, row), roles)
		// Explanations show each part as parsed.
		p.given.add(strings.Join(n.Given, " "), n.Given)
		p.sur.add(strings.Join(n.Surnames, " "), n.Surnames)
	})
	return p
}

// termFrequencies returns, per value id, the share of records with a value
// that have that value (Winkler 1988, "Using the EM algorithm for weight
// computation in the Fellegi–Sunter model"; the u-probability of agreeing
// on one value).
func termFrequencies(c comparator, n int) []float64 {
	var counts []float64
	total := 0.0
	for i := 0; i < n; i++ {
		id := c.tfID(i)
		if id < 0 {
			continue
		}
		for int(id) >= len(counts) {
			counts = append(counts, 0)
		}
		counts[id]++
		total++
	}
	for i := range counts {
		counts[i] /= total
	}
	return counts
}

// documentFrequencies returns, per token id, the share of the records with
// a name that hold the token.
func documentFrequencies(v *nameValues, n, tokens int) []float64 {
	df := make([]float64, tokens)
	present := 0.0
	for i := 0; i < n; i++ {
		t := v.tokens(i)
		if len(t) == 0 {
			continue
		}
		present++
		for j, x := range t {
			if !slices.Contains(t[:j], x) {
				df[x]++
			}
		}
	}
	for i := range df {
		df[i] /= max(present, 1)
	}
	return df
}

// pattern packs the levels of every comparison of a pair, four bits each.
type pattern uint64

func (p pattern) level(k int) uint8 { return uint8(p>>(4*k)) & 0xf }

func (ds *dataset) compare(a, b int) pattern {
	var p pattern
	for k, c := range ds.cmps {
		if k == ds.givenK {
			// Given names and surnames are graded together, once.
			g, s := ds.person.levels(a, b)
			p |= pattern(g)<<(4*k) | pattern(s)<<(4*ds.surK)
			continue
		}
		if k == ds.surK && ds.givenK >= 0 {
			continue
		}
		p |= pattern(c.compare(a, b)) << (4 * k)
	}
	return p
}

// pairAllowed reports whether the link type lets a and b match.
func (ds *dataset) pairAllowed(a, b int) bool {
	switch ds.s.LinkType {
	case LinkOnly:
		return ds.src[a] != ds.src[b]
	}
	return true
}

// allowedPairs is the number of pairs the link type allows.
func (ds *dataset) allowedPairs() float64 {
	n := float64(ds.n)
	if ds.s.LinkType != LinkOnly {
		return n * (n - 1) / 2
	}
	per := make([]float64, len(ds.tables))
	for _, t := range ds.src {
		per[t]++
	}
	same := 0.0
	for _, c := range per {
		same += c * (c - 1) / 2
	}
	return n*(n-1)/2 - same
}

// presentPairs is the number of pairs the link type allows in which
// comparison k has both values.
func (ds *dataset) presentPairs(k int) float64 {
	per := make([]float64, len(ds.tables))
	n := 0.0
	for i := 0; i < ds.n; i++ {
		if ds.cmps[k].present(i) {
			per[ds.src[i]]++
			n++
		}
	}
	all := n * (n - 1) / 2
	if ds.s.LinkType == LinkOnly {
		for _, c := range per {
			all -= c * (c - 1) / 2
		}
	}
	return all
}

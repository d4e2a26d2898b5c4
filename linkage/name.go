package linkage

import (
	"math"
	"strings"
)

// NameParts is a person's name as one source wrote it: in one field, in
// parts, or both. Empty parts are unknown.
type NameParts struct {
	Full          string // the whole name, in any order ("PEREZ GOMEZ, JOSE L.")
	Given         string // given names ("José Luis")
	Surnames      string // all surnames in one field ("Pérez Gómez")
	FirstSurname  string // paternal
	SecondSurname string // maternal
}

// Name is a normalised person name. Tokens are folded (see Fold), without
// particles, in the order written: paternal surname first. The original is
// kept so that nothing the source wrote is lost.
type Name struct {
	Original string
	Given    []string
	Surnames []string
	// SurnameFirst says the source wrote the surnames before the given
	// names, with a comma or, without one, as recognised by the given-name
	// lexicon.
	SurnameFirst bool
}

// IsZero reports whether the name has no tokens.
func (n Name) IsZero() bool { return len(n.Given) == 0 && len(n.Surnames) == 0 }

// String returns the normalised name, given names first.
func (n Name) String() string {
	return strings.TrimSpace(strings.Join(n.Given, " ") + " " + strings.Join(n.Surnames, " "))
}

// Normalizer normalises Spanish person names. It holds the hypocorism table
// and the given-name lexicon, read once; it is safe for concurrent use.
type Normalizer struct {
	lx *nameLexicon
}

// NewNormalizer returns a Normalizer with the embedded tables.
func NewNormalizer() *Normalizer { return &Normalizer{lx: newNameLexicon()} }

// abbreviations are the short forms of given names that lists write
// (MA GUADALUPE, FCO JAVIER).
var abbreviations = map[string]string{
	"ma": "maria", "mª": "maria", "fco": "francisco", "gpe": "guadalupe",
}

// Nicknames returns the folded names a given name may stand for, the name
// itself first: Nicknames("Pepe") = [pepe jose].
func (nz *Normalizer) Nicknames(given string) []string {
	return nz.lx.expansions(Fold(given))
}

// ParseName normalises a name. Separate parts win over the full name:
// Given and Surnames (or FirstSurname and SecondSurname) are taken as
// written. A full name alone is split by these rules:
//
//  1. "SURNAMES, GIVEN NAMES": the part before the comma is surnames;
//  2. otherwise each token leans towards a given name if the lexicon knows
//     it as one (or towards either role as the dataset's sources use it,
//     when linking; see nameRoles), and the split maximises the lean of
//     the given names against that of the surnames, given names first
//     (JOSE LUIS PEREZ GOMEZ), or written last when that reads strictly
//     better (PEREZ GOMEZ JOSE LUIS); an unknown token is neutral
//     (JAVER MANUEL GIRALDO: two given names);
//  3. ties go to the count: one given name and the rest surnames when
//     there are two or three tokens, two given names when there are four
//     or more.
//
// Particles (de, del, de la, y…) are dropped from the tokens, digits in a
// name are read as the letters OCR mistakes them for (G0NZALEZ), and the
// abbreviations MA, Mª, FCO, GPE expand to María, Francisco, Guadalupe.
func (nz *Normalizer) ParseName(p NameParts) Name {
	return nz.parseName(p, nil)
}

// nameRoles counts, per folded token, how often a dataset's sources write
// it where the role is explicit: in a given-names field or after the comma
// of "SURNAMES, GIVEN" (given), in a surname field or before the comma
// (surname). Lists that split names teach which tokens are given names,
// so that the full names of the other lists split the same way: a
// hand-written lexicon cannot know every given name (Yesid, Duván,
// Robert), and an unknown one read as a surname ruins both comparisons.
type nameRoles map[string]*[2]float64

// learn counts the roles that one record's name parts state.
func (nz *Normalizer) learnRoles(r nameRoles, p NameParts) {
	add := func(folded string, role int) {
		for _, t := range nameTokens(folded) {
			if x, ok := abbreviations[t]; ok {
				t = x
			}
			if len(t) < 2 {
				continue // initials say nothing about a name
			}
			c := r[t]
			if c == nil {
				c = new([2]float64)
				r[t] = c
			}
			c[role]++
		}
	}
	if g := Fold(p.Given); g != "" {
		add(g, 0)
	}
	for _, sur := range []string{p.Surnames, p.FirstSurname, p.SecondSurname} {
		if f := Fold(sur); f != "" {
			add(f, 1)
		}
	}
	if p.Given == "" && p.Surnames == "" && p.FirstSurname == "" && p.SecondSurname == "" {
		if before, after, ok := strings.Cut(p.Full, ","); ok && strings.TrimSpace(after) != "" && strings.TrimSpace(before) != "" {
			add(Fold(before), 1)
			add(Fold(after), 0)
		}
	}
}

func (nz *Normalizer) parseName(p NameParts, roles nameRoles) Name {
	var n Name
	// A part counts only if it holds a name.
	for _, f := range []*string{&p.Full, &p.Given, &p.Surnames, &p.FirstSurname, &p.SecondSurname} {
		if Fold(*f) == "" {
			*f = ""
		}
	}
	sur := p.Surnames
	if sur == "" && (p.FirstSurname != "" || p.SecondSurname != "") {
		sur = strings.TrimSpace(p.FirstSurname + " " + p.SecondSurname)
	}
	switch {
	case p.Given != "" || sur != "":
		n.Original = strings.TrimSpace(p.Given + " " + sur)
		if p.Full != "" && (p.Given == "" || sur == "") {
			// One part and a full name: split the full name, then let the
			// part override what it names.
			full := nz.parseFull(p.Full, roles)
			n = full
			n.Original = p.Full
			if p.Given != "" {
				n.Given = nz.givenTokens(Fold(p.Given))
			}
			if sur != "" {
				n.Surnames = nameTokens(Fold(sur))
			}
			return n
		}
		n.Given = nz.givenTokens(Fold(p.Given))
		n.Surnames = nameTokens(Fold(sur))
		return n
	case p.Full != "":
		return nz.parseFull(p.Full, roles)
	}
	return n
}

func (nz *Normalizer) givenTokens(folded string) []string {
	t := nameTokens(folded)
	for i, w := range t {
		if x, ok := abbreviations[w]; ok {
			t[i] = x
		}
	}
	return t
}

func (nz *Normalizer) parseFull(full string, roles nameRoles) Name {
	n := Name{Original: full}
	if before, after, ok := strings.Cut(full, ","); ok && strings.TrimSpace(after) != "" && strings.TrimSpace(before) != "" {
		n.Surnames = nameTokens(Fold(before))
		n.Given = nz.givenTokens(Fold(after))
		n.SurnameFirst = true
		return n
	}
	toks := nz.givenTokens(Fold(full))
	switch len(toks) {
	case 0:
		return n
	case 1:
		if nz.givenLean(toks[0], roles) > 0 {
			n.Given = toks
		} else {
			n.Surnames = toks
		}
		return n
	}
	// Each token leans towards a given name (+) or a surname (−) as far
	// as the lexicon and the dataset's explicit uses say; an unknown
	// token (a typo, a rare name) is neutral rather than a stop, so that
	// "JAVER MANUEL GIRALDO" still splits after MANUEL. The split
	// maximises the lean of the given names minus that of the surnames;
	// a surname-first reading wins only when strictly better, and ties
	// go to the usual count: one given name before two or three tokens'
	// surnames, two before four or more.
	lean := make([]float64, len(toks))
	for i, t := range toks {
		lean[i] = nz.givenLean(t, roles)
	}
	def := 1
	if len(toks) >= 4 {
		def = 2
	}
	bestK, bestScore := 0, math.Inf(-1)
	worstK, worstScore := 0, math.Inf(1)
	for k := 1; k < len(toks); k++ {
		sc := 0.0
		for i, l := range lean {
			if i < k {
				sc += l
			} else {
				sc -= l
			}
		}
		closer := bestK == 0 || abs(k-def) < abs(bestK-def)
		if sc > bestScore+1e-9 || math.Abs(sc-bestScore) <= 1e-9 && closer {
			bestK, bestScore = k, sc
		}
		if sc < worstScore-1e-9 || math.Abs(sc-worstScore) <= 1e-9 && (worstK == 0 || abs(k-def) < abs(worstK-def)) {
			worstK, worstScore = k, sc
		}
	}
	// The surname-first reading that splits before token j scores the
	// negative of the given-first reading at j.
	if -worstScore > bestScore+1e-9 {
		n.Surnames, n.Given = toks[:worstK], toks[worstK:]
		n.SurnameFirst = true
		return n
	}
	n.Given, n.Surnames = toks[:bestK], toks[bestK:]
	return n
}

// givenLean is how far a folded token leans towards a given name, in
// [−1, 1]: +1 for a name only ever written as a given name, −1 for one
// only ever written as a surname, 0 for one never seen. An initial leans
// a little towards a given name (JOSE L. PEREZ). The lexicon counts as one
// use as a given name.
func (nz *Normalizer) givenLean(t string, roles nameRoles) float64 {
	if len(t) == 1 {
		return 0.5
	}
	g, s := 0.0, 0.0
	if nz.lx.isGiven(t) {
		g = 1
	}
	if c := roles[t]; c != nil {
		g += c[0]
		s += c[1]
	}
	if g+s == 0 {
		return 0
	}
	return (g - s) / (g + s)
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

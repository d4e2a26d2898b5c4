package linkage

import "strings"

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
// written. A full name alone is split by these rules, in order:
//
//  1. "SURNAMES, GIVEN NAMES": the part before the comma is surnames;
//  2. leading tokens that are known given names are given names, the rest
//     surnames (JOSE LUIS PEREZ GOMEZ);
//  3. otherwise trailing known given names are given names written last
//     (PEREZ GOMEZ JOSE LUIS);
//  4. otherwise by count: one given name and the rest surnames when there
//     are two or three tokens, two given names when there are four or more.
//
// Particles (de, del, de la, y…) are dropped from the tokens, and the
// abbreviations MA, Mª, FCO, GPE expand to María, Francisco, Guadalupe.
func (nz *Normalizer) ParseName(p NameParts) Name {
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
			full := nz.parseFull(p.Full)
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
		return nz.parseFull(p.Full)
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

func (nz *Normalizer) parseFull(full string) Name {
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
		if nz.lx.isGiven(toks[0]) {
			n.Given = toks
		} else {
			n.Surnames = toks
		}
		return n
	}
	known := func(t string) bool { return nz.lx.isGiven(t) || len(t) == 1 }
	lead := 0
	for lead < len(toks)-1 && known(toks[lead]) {
		lead++
	}
	if lead > 0 && nz.lx.isGiven(toks[0]) {
		n.Given, n.Surnames = toks[:lead], toks[lead:]
		return n
	}
	trail := 0
	for trail < len(toks)-1 && known(toks[len(toks)-1-trail]) {
		trail++
	}
	if trail > 0 && nz.lx.isGiven(toks[len(toks)-trail]) {
		k := len(toks) - trail
		n.Surnames, n.Given = toks[:k], toks[k:]
		n.SurnameFirst = true
		return n
	}
	g := 1
	if len(toks) >= 4 {
		g = 2
	}
	n.Given, n.Surnames = toks[:g], toks[g:]
	return n
}

package linkage

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// foldRune maps a letter with a diacritic to its base letter, in lower case.
// ñ folds to n because lists written on English keyboards lose the tilde;
// the phonetic key keeps them apart where it matters.
func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}
	r = unicode.ToLower(r)
	switch r {
	case 'á', 'à', 'â', 'ä', 'ã', 'å', 'ā':
		return 'a'
	case 'é', 'è', 'ê', 'ë', 'ē':
		return 'e'
	case 'í', 'ì', 'î', 'ï', 'ī', 'ı':
		return 'i'
	case 'ó', 'ò', 'ô', 'ö', 'õ', 'ø', 'ō':
		return 'o'
	case 'ú', 'ù', 'û', 'ü', 'ū':
		return 'u'
	case 'ñ':
		return 'n'
	case 'ç':
		return 'c'
	case 'ý', 'ÿ':
		return 'y'
	case 'ß', 'ş', 'š', 'ś':
		return 's'
	case 'ğ':
		return 'g'
	case 'č', 'ć':
		return 'c'
	case 'ł':
		return 'l'
	case 'ž', 'ź', 'ż':
		return 'z'
	case 'ř':
		return 'r'
	case 'ő':
		return 'o'
	case 'ű':
		return 'u'
	}
	return r
}

// Fold returns s in lower case without diacritics, with every run of
// characters that are neither letters nor digits turned into one space, and
// apostrophes dropped (O'Neil → oneil). It is the form names, text and codes
// are compared in; the original is always kept beside it.
func Fold(s string) string {
	return string(appendFold(nil, s))
}

func appendFold(dst []byte, s string) []byte {
	space := false
	start := len(dst)
	for _, r := range s {
		switch {
		case r == '\'' || r == '’' || r == '`' || r == '´':
			continue
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if space && len(dst) > start {
				dst = append(dst, ' ')
			}
			space = false
			dst = utf8.AppendRune(dst, foldRune(r))
		default:
			space = true
		}
	}
	return dst
}

// particles are the words that join Spanish (and Portuguese, Italian,
// Dutch) surnames: "de la Cruz", "del Valle", "Ortega y Gasset". They carry
// no identity of their own, so comparisons drop them.
var particles = map[string]bool{
	"de": true, "del": true, "la": true, "las": true, "los": true, "y": true,
	"e": true, "da": true, "das": true, "do": true, "dos": true, "di": true,
	"van": true, "von": true, "der": true, "le": true,
}

// isParticle reports whether the folded token is a surname particle.
func isParticle(t string) bool { return particles[t] }

// nameTokens splits a folded string into tokens and drops particles, unless
// nothing else is left ("De" alone stays a name).
func nameTokens(folded string) []string {
	if folded == "" {
		return nil
	}
	all := strings.Fields(folded)
	out := all[:0:0]
	for _, t := range all {
		if !isParticle(t) {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return all
	}
	return out
}

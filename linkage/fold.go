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
// nothing else is left ("De" alone stays a name). In a token that holds
// letters, the digits that OCR and typists put for letters are read as
// those letters (G0NZALEZ, 5OSA, ROBERT0, FA8IAN): names have no digits.
func nameTokens(folded string) []string {
	if folded == "" {
		return nil
	}
	all := strings.Fields(folded)
	for i, t := range all {
		all[i] = ocrLetters(t)
	}
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

// ocrDigits are the digits read as the letters they are mistaken for.
var ocrDigits = [10]byte{'o', 'l', 'z', 'e', 'a', 's', 'g', 't', 'b', 'g'}

// ocrLetters replaces the digits of a folded token that also holds a
// letter by the letters of ocrDigits; a token of digits only is kept.
func ocrLetters(t string) string {
	digits, letters := false, false
	for i := 0; i < len(t); i++ {
		c := t[i]
		digits = digits || '0' <= c && c <= '9'
		letters = letters || 'a' <= c && c <= 'z' || c >= 0x80
	}
	if !digits || !letters {
		return t
	}
	b := []byte(t)
	for i, c := range b {
		if '0' <= c && c <= '9' {
			b[i] = ocrDigits[c-'0']
		}
	}
	return string(b)
}

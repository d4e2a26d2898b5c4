package linkage

import "strings"

// Phonetic returns a phonetic key for a Spanish word or name, so that
// spellings a Latin American speaker pronounces alike share a key:
// Vásquez/Vázquez/Basques, Giménez/Jiménez/Ximénez, Yépez/Llépez,
// Hernández/Ernandez, Quintero/Kintero, Guillermo/Gillermo.
//
// English Soundex and Metaphone encode English spelling (they split b/v,
// keep h, tell s from z and c); this key follows the rules of Latin American
// Spanish pronunciation instead, in the spirit of the Spanish phonetic
// algorithms used for civil registries (Mosquera et al., "Spanish phonetic
// matching", and the "Fonetico" adaptation of Soundex):
//
//   - seseo: s, z and c before e/i are one sound (S);
//   - b and v are one sound (B); w before a vowel sounds like gu (G);
//   - yeísmo: ll and y before a vowel are one sound (Y);
//   - h is silent, except in ch (C);
//   - k, q(u) and c before a, o, u or a consonant are one sound (K);
//   - g before e/i and j are one sound (J), gu before e/i is G with the u
//     silent; an initial x before a vowel is J (Ximena/Jimena), otherwise
//     x is KS;
//   - ph is F, rr is R, n before b/v/p is M; doubled letters collapse;
//   - vowels are kept (they tell Ana from Ines), with y as a vowel at a word's
//     end or between consonants read as I.
//
// The input is folded first; spaces separate words in the key. The key is
// for blocking and comparison, never for display.
func Phonetic(s string) string {
	f := Fold(s)
	var b strings.Builder
	for i, w := range strings.Fields(f) {
		if i > 0 {
			b.WriteByte(' ')
		}
		phoneticWord(&b, w)
	}
	return b.String()
}

func isVowel(c byte) bool {
	switch c {
	case 'a', 'e', 'i', 'o', 'u':
		return true
	}
	return false
}

func phoneticWord(b *strings.Builder, w string) {
	at := func(i int) byte {
		if i < 0 || i >= len(w) {
			return 0
		}
		return w[i]
	}
	start := b.Len()
	var last byte
	emit := func(c byte) {
		if c == last {
			return
		}
		b.WriteByte(c)
		last = c
	}
	for i := 0; i < len(w); i++ {
		c := w[i]
		next := at(i + 1)
		switch c {
		case 'a', 'e', 'i', 'o':
			emit(c - 'a' + 'A')
		case 'u':
			// u is silent in gue, gui, que, qui.
			if (at(i-1) == 'g' || at(i-1) == 'q') && (next == 'e' || next == 'i') {
				continue
			}
			emit('U')
		case 'y':
			if isVowel(next) {
				emit('Y')
			} else {
				emit('I')
			}
		case 'b', 'v':
			emit('B')
		case 'w':
			if isVowel(next) {
				emit('G')
				emit('U')
			} else {
				emit('U')
			}
		case 'c':
			switch next {
			case 'e', 'i', 'y':
				emit('S')
			case 'h':
				emit('C')
				i++
			default:
				emit('K')
			}
		case 'k', 'q':
			emit('K')
		case 's', 'z':
			emit('S')
		case 'g':
			if next == 'e' || next == 'i' || next == 'y' {
				emit('J')
			} else {
				emit('G')
			}
		case 'j':
			emit('J')
		case 'h':
			// silent; ch, ph and sh are handled at their first letter.
		case 'l':
			if next == 'l' {
				emit('Y')
				i++
			} else {
				emit('L')
			}
		case 'p':
			if next == 'h' {
				emit('F')
				i++
			} else {
				emit('P')
			}
		case 'n':
			if next == 'b' || next == 'v' || next == 'p' {
				emit('M')
			} else {
				emit('N')
			}
		case 'x':
			if i == 0 && isVowel(next) {
				emit('J')
			} else {
				emit('K')
				emit('S')
			}
		case 't':
			if next == 'h' {
				i++
			}
			emit('T')
		default:
			if 'a' <= c && c <= 'z' {
				emit(c - 'a' + 'A')
			} else {
				emit(c)
			}
		}
	}
	if b.Len() == start {
		// A word of silent letters ("h") still needs a key.
		b.WriteString(strings.ToUpper(w))
	}
}

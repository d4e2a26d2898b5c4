package linkage

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// Normalisers take any text a source may hold. They must not panic, must
// return valid UTF-8 for valid input, and must be idempotent where they
// promise a canonical form.

func FuzzFold(f *testing.F) {
	for _, s := range []string{"José Pérez", "PEREZ GOMEZ, JOSE L.", "Ñandú", "O'Neil", "", "\xff\xfe", "İstanbul"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Fold(s)
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Fatalf("Fold(%q) = %q, not UTF-8", s, got)
		}
		if again := Fold(got); again != got {
			t.Fatalf("Fold(Fold(%q)) = %q, want %q", s, again, got)
		}
		if strings.HasPrefix(got, " ") || strings.HasSuffix(got, " ") || strings.Contains(got, "  ") {
			t.Fatalf("Fold(%q) = %q has stray spaces", s, got)
		}
	})
}

func FuzzPhonetic(f *testing.F) {
	for _, s := range []string{"Vásquez", "Ximena", "Guillermo", "chh", "h", "", "ll ll", "ẞ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Phonetic(s)
		if Fold(s) != "" && got == "" {
			t.Fatalf("Phonetic(%q) is empty for a non-empty word", s)
		}
		if len(strings.Fields(got)) != len(strings.Fields(Fold(s))) {
			t.Fatalf("Phonetic(%q) = %q: word count differs from %q", s, got, Fold(s))
		}
	})
}

func FuzzParseName(f *testing.F) {
	for _, s := range []string{"JOSE LUIS PEREZ GOMEZ", "PEREZ GOMEZ, JOSE L.", "de la", ",", "a,b,c", "MA GUADALUPE", ""} {
		f.Add(s, "", "")
	}
	f.Add("", "José Luis", "Pérez Gómez")
	nz := NewNormalizer()
	f.Fuzz(func(t *testing.T, full, given, sur string) {
		n := nz.ParseName(NameParts{Full: full, Given: given, Surnames: sur})
		for _, tok := range append(append([]string{}, n.Given...), n.Surnames...) {
			if tok == "" || strings.Contains(tok, " ") {
				t.Fatalf("ParseName(%q, %q, %q) has token %q", full, given, sur, tok)
			}
		}
		if Fold(full+" "+given+" "+sur) != "" && n.IsZero() {
			t.Fatalf("ParseName(%q, %q, %q) lost every token", full, given, sur)
		}
	})
}

func FuzzNormalizeID(f *testing.F) {
	for _, s := range []string{"A123456789", "123-456-789", "1234O6789", "", "AAAAAAAAA", "0000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := NormalizeID(s)
		if again := NormalizeID(got); again != got {
			t.Fatalf("NormalizeID(NormalizeID(%q)) = %q, want %q", s, again, got)
		}
		for _, c := range got {
			if !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z') {
				t.Fatalf("NormalizeID(%q) = %q has %q", s, got, c)
			}
		}
	})
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"19800704", "1980-07-04", "1980", "4/7/1980", "", "99999999", "1980-13-45"} {
		f.Add(s, "20060102")
	}
	f.Fuzz(func(t *testing.T, s, layout string) {
		v := parseDate(s, layout)
		if v.y == 0 && (v.m != 0 || v.d != 0) {
			t.Fatalf("parseDate(%q, %q) = %+v: month or day without a year", s, layout, v)
		}
	})
}

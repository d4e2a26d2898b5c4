package synth

import (
	"math/rand/v2"
	"strings"
	"unicode"

	"github.com/paradero/paradero"
)

// ErrorStat counts, for one source and one error kind, the records that
// could have had the error and those that got it.
type ErrorStat struct {
	Source   string
	Kind     ErrorKind
	Rate     float64 // configured
	Eligible int
	Applied  int
}

type counts struct {
	eligible, applied [numErrorKinds]int
}

// writer renders one record of one source: the person as the source writes
// them, with the source's errors drawn from r.
type writer struct {
	spec *SourceSpec
	t    *Tables
	r    *rand.Rand
	st   *counts
	mask uint32 // the errors applied to the record being written
}

// try decides whether the record gets error k, if it is eligible.
func (c *writer) try(k ErrorKind, eligible bool) bool {
	if !eligible {
		return false
	}
	c.st.eligible[k]++
	rate := c.spec.Errors[k]
	if rate <= 0 || (rate < 1 && c.r.Float64() >= rate) {
		return false
	}
	c.st.applied[k]++
	c.mask |= 1 << k
	return true
}

// columns is the set of record fields a source has.
type columns struct {
	full, given, surnames, first, second, birth bool
}

func columnSet(keys []string) columns {
	var c columns
	for _, k := range keys {
		switch k {
		case "full_name":
			c.full = true
		case "given_names":
			c.given = true
		case "surnames":
			c.surnames = true
		case "first_surname":
			c.first = true
		case "second_surname":
			c.second = true
		case "birth_date":
			c.birth = true
		}
	}
	return c
}

// name writes p's name into rec's name fields, with errors.
func (c *writer) name(p *person, rec *paradero.Record, cols columns) {
	var gbuf [4]string
	given := append(gbuf[:0], p.given...)
	sur := []string{p.sur[0], p.sur[1]}

	nicks := c.t.nicknames[p.sex+"/"+given[0]]
	if c.try(Nickname, len(nicks) > 0) {
		given = given[:0]
		given = append(given, pickWeighted(c.r, nicks))
	}
	if c.try(SecondGivenDropped, len(given) > 1) {
		given = given[:1]
	}
	if c.try(Initial, len(given) > 1) {
		// "de los Ángeles" becomes "Á.": the first letter of the last word.
		words := strings.Fields(given[1])
		last := []rune(words[len(words)-1])
		given[1] = string(last[0]) + "."
	}
	if c.try(MissingSecondSurname, true) {
		sur = sur[:1]
	}
	if c.try(SurnameSwap, len(sur) == 2 && sur[0] != sur[1]) {
		sur[0], sur[1] = sur[1], sur[0]
	}
	g, s := strings.Join(given, " "), strings.Join(sur, " ")
	if c.try(GivenSurnameSwap, cols.given && cols.surnames) {
		g, s = s, g
	}
	if cols.full {
		if c.try(SurnameFirst, true) {
			rec.FullName = s + ", " + g
		} else {
			rec.FullName = g + " " + s
		}
	}
	if cols.given {
		rec.GivenNames = g
	}
	if cols.surnames {
		rec.Surnames = s
	}
	if cols.first {
		rec.FirstSurname = sur[0]
	}
	if cols.second && len(sur) > 1 {
		rec.SecondSurname = sur[1]
	}

	fields := nameFields(rec)
	if c.try(Typo, true) {
		var f []*string
		for _, p := range fields {
			if *p != "" {
				f = append(f, p)
			}
		}
		if len(f) > 0 {
			p := f[c.r.IntN(len(f))]
			*p = typo(c.r, *p)
		}
	}
	accented := false
	for _, p := range fields {
		if !isASCII(*p) {
			accented = true
		}
	}
	if c.try(AccentLoss, accented) {
		for _, p := range fields {
			*p = foldAccents(*p)
		}
	}
	if c.spec.Upper {
		for _, p := range fields {
			*p = strings.ToUpper(*p)
		}
	}
}

func nameFields(rec *paradero.Record) []*string {
	return []*string{&rec.FullName, &rec.GivenNames, &rec.Surnames, &rec.FirstSurname, &rec.SecondSurname}
}

// birth writes p's birth date, with errors.
func (c *writer) birth(p *person, rec *paradero.Record) {
	if c.try(MissingBirthDate, true) {
		return
	}
	d := p.birth.partial()
	if c.try(PartialDate, true) {
		rec.BirthDate = paradero.PartialDate{Year: d.Year}
		return
	}
	if c.try(DayMonthSwap, d.Day <= 12 && d.Day != d.Month) {
		d.Day, d.Month = d.Month, d.Day
	}
	if c.try(DateTypo, true) {
		if c.r.IntN(2) == 0 {
			d.Year += 1 - 2*c.r.IntN(2)
		} else if d.Day > 1 {
			d.Day--
		} else {
			d.Day++
		}
	}
	rec.BirthDate = d
}

// number writes a document number, with NumberTypo.
func (c *writer) number(s string) string {
	if !c.try(NumberTypo, s != "") {
		return s
	}
	b := []byte(s)
	var digits []int
	for i, x := range b {
		if x >= '0' && x <= '9' {
			digits = append(digits, i)
		}
	}
	if len(digits) < 2 {
		return s
	}
	k := c.r.IntN(len(digits))
	if c.r.IntN(2) == 0 && k+1 < len(digits) && b[digits[k]] != b[digits[k+1]] {
		b[digits[k]], b[digits[k+1]] = b[digits[k+1]], b[digits[k]]
	} else {
		b[digits[k]] = '0' + byte((int(b[digits[k]]-'0')+1+c.r.IntN(9))%10)
	}
	return string(b)
}

// ocr misreads one character of the fields, as a scanner does.
func (c *writer) ocr(fields ...*string) {
	n := 0
	for _, f := range fields {
		for _, x := range *f {
			if ocrSwap(x) != 0 {
				n++
			}
		}
	}
	if !c.try(OCR, n > 0) {
		return
	}
	k := c.r.IntN(n)
	for _, f := range fields {
		rs := []rune(*f)
		for i, x := range rs {
			if ocrSwap(x) == 0 {
				continue
			}
			if k == 0 {
				rs[i] = ocrSwap(x)
				*f = string(rs)
				return
			}
			k--
		}
	}
}

// ocrSwap returns what a scanner may read x as, or 0.
func ocrSwap(x rune) rune {
	switch x {
	case 'O':
		return '0'
	case '0':
		return 'O'
	case 'I', 'l':
		return '1'
	case '1':
		return 'l'
	case 'S':
		return '5'
	case '5':
		return 'S'
	case 'B':
		return '8'
	case '8':
		return 'B'
	}
	return 0
}

func pickWeighted(r *rand.Rand, ws []weighted) string {
	t := 0.0
	for _, w := range ws {
		t += w.w
	}
	u := r.Float64() * t
	for _, w := range ws {
		if u < w.w {
			return w.s
		}
		u -= w.w
	}
	return ws[len(ws)-1].s
}

// keyboardRows are the letter rows of a Spanish keyboard, for typos that
// hit a neighbouring key.
const keyboardRows = "qwertyuiop|asdfghjklñ|zxcvbnm"

// typo makes one keyboard error in one letter of s: a neighbouring key
// instead, a letter left out or doubled, or two letters transposed.
func typo(r *rand.Rand, s string) string {
	rs := []rune(s)
	var letters []int
	for i, x := range rs {
		if unicode.IsLetter(x) {
			letters = append(letters, i)
		}
	}
	if len(letters) < 2 {
		return s
	}
	i := letters[r.IntN(len(letters))]
	switch r.IntN(4) {
	case 0: // neighbouring key
		lower := unicode.ToLower(foldRune(rs[i]))
		kb := []rune(keyboardRows)
		for j, k := range kb {
			if k != lower {
				continue
			}
			var near []rune
			if j > 0 && kb[j-1] != '|' {
				near = append(near, kb[j-1])
			}
			if j+1 < len(kb) && kb[j+1] != '|' {
				near = append(near, kb[j+1])
			}
			n := near[r.IntN(len(near))]
			if unicode.IsUpper(rs[i]) {
				n = unicode.ToUpper(n)
			}
			rs[i] = n
			return string(rs)
		}
		fallthrough
	case 1: // left out
		return string(append(rs[:i:i], rs[i+1:]...))
	case 2: // doubled
		return string(rs[:i+1]) + string(rs[i:])
	default: // transposed with the next character, if it is a different letter
		if i+1 < len(rs) && unicode.IsLetter(rs[i+1]) && rs[i+1] != rs[i] {
			rs[i], rs[i+1] = rs[i+1], rs[i]
			return string(rs)
		}
		return string(append(rs[:i:i], rs[i+1:]...))
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// foldRune removes the diacritic of a Spanish letter.
func foldRune(x rune) rune {
	switch x {
	case 'á', 'à', 'ä', 'â':
		return 'a'
	case 'é', 'è', 'ë', 'ê':
		return 'e'
	case 'í', 'ì', 'ï', 'î':
		return 'i'
	case 'ó', 'ò', 'ö', 'ô':
		return 'o'
	case 'ú', 'ù', 'ü', 'û':
		return 'u'
	case 'ñ':
		return 'n'
	case 'ç':
		return 'c'
	case 'Á', 'À', 'Ä', 'Â':
		return 'A'
	case 'É', 'È', 'Ë', 'Ê':
		return 'E'
	case 'Í', 'Ì', 'Ï', 'Î':
		return 'I'
	case 'Ó', 'Ò', 'Ö', 'Ô':
		return 'O'
	case 'Ú', 'Ù', 'Ü', 'Û':
		return 'U'
	case 'Ñ':
		return 'N'
	case 'Ç':
		return 'C'
	}
	return x
}

// foldAccents writes s without accents, as systems without Spanish letters
// do.
func foldAccents(s string) string {
	if isASCII(s) {
		return s
	}
	rs := []rune(s)
	for i, x := range rs {
		rs[i] = foldRune(x)
	}
	return string(rs)
}

package ingest

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/paradero/paradero"
)

// DateOrder says how to read a numeric date whose day and month could be
// swapped, such as 03/04/2025. The zero value, DMY, is day first, as Latin
// American lists write dates.
type DateOrder int

const (
	DMY DateOrder = iota // 03/04/2025 is 3 April 2025
	MDY                  // 03/04/2025 is 4 March 2025
	YMD                  // year first; only changes how three short numbers read
)

func (o DateOrder) String() string {
	switch o {
	case DMY:
		return "DMY"
	case MDY:
		return "MDY"
	case YMD:
		return "YMD"
	}
	return fmt.Sprintf("DateOrder(%d)", int(o))
}

// ParseDateOrder parses "DMY", "MDY" or "YMD", in any case.
func ParseDateOrder(s string) (DateOrder, error) {
	switch strings.ToUpper(s) {
	case "DMY":
		return DMY, nil
	case "MDY":
		return MDY, nil
	case "YMD":
		return YMD, nil
	}
	return 0, fmt.Errorf("date order %q is not DMY, MDY or YMD", s)
}

// monthNumber returns the month named by a lower-case, accent-free word in
// Spanish or English, full or abbreviated, or 0.
func monthNumber(w string) int {
	switch w {
	case "enero", "ene", "january", "jan":
		return 1
	case "febrero", "feb", "february":
		return 2
	case "marzo", "mar", "march":
		return 3
	case "abril", "abr", "april", "apr":
		return 4
	case "mayo", "may":
		return 5
	case "junio", "jun", "june":
		return 6
	case "julio", "jul", "july":
		return 7
	case "agosto", "ago", "august", "aug":
		return 8
	case "septiembre", "setiembre", "sep", "sept", "set", "september":
		return 9
	case "octubre", "oct", "october":
		return 10
	case "noviembre", "nov", "november":
		return 11
	case "diciembre", "dic", "december", "dec":
		return 12
	}
	return 0
}

// ignorableWord reports words that dates carry around their parts: "15 de
// marzo de 2025", "Monday, March 15th", "1ro de mayo".
func ignorableWord(w string) bool {
	switch w {
	case "de", "del", "of", "the",
		"lunes", "martes", "miercoles", "jueves", "viernes", "sabado", "domingo",
		"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
		"lun", "mie", "jue", "vie", "sab", "dom",
		"mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun":
		return true
	}
	return false
}

func ordinalSuffix(w string) bool {
	switch w {
	case "st", "nd", "rd", "th", "ro", "do", "to", "o", "er", "º", "°", "ª":
		return true
	}
	return false
}

type dateToken struct {
	num    int
	digits int // 0 for a month name
	month  int
}

// ParseDate reads a date as real lists write it, at the precision written:
//
//	2025-03-15  2025/03/15  2025.03.15  20250315     year first
//	15/03/2025  15-03-2025  15.03.2025  15 03 2025   day or month first, by order
//	15-mar-2025  15 de marzo de 2025  marzo 15, 2025  March 15th, 2025
//	2025-03  03/2025  marzo de 2025  Mar 2025        month
//	2025                                             year
//
// Month names and abbreviations are Spanish or English, in any case, with or
// without accents or a final dot; weekday names and "de", "del", "of" are
// skipped. A time after the date ("2025-03-15 10:30", "2025-03-15T10:30:00Z")
// is dropped. An ambiguous numeric date follows order. Two-digit years are
// refused as ambiguous, as are impossible dates (31/02/2025) and years
// outside 1800–2200. The empty string is the unknown date.
func ParseDate(s string, order DateOrder) (paradero.PartialDate, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return paradero.PartialDate{}, nil
	}
	if len(t) > 100 {
		return paradero.PartialDate{}, fmt.Errorf("%q is too long to be a date", shorten(t))
	}
	t = dropTime(t)
	var buf [3]dateToken
	toks, err := dateTokens(t, &buf)
	if err != nil {
		return paradero.PartialDate{}, fmt.Errorf("date %q: %v", s, err)
	}
	d, err := dateFromTokens(toks, order)
	if err != nil {
		return paradero.PartialDate{}, fmt.Errorf("date %q: %v", s, err)
	}
	if !d.Valid() {
		if d.Year < 1800 || d.Year > 2200 {
			return paradero.PartialDate{}, fmt.Errorf("date %q: year %d is outside 1800–2200", s, d.Year)
		}
		return paradero.PartialDate{}, fmt.Errorf("date %q is not a calendar date", s)
	}
	return d, nil
}

// dropTime removes a time of day after a date: " 10:30", "T10:30:00Z",
// " 10:30:00.000 p. m.", " 10:30 +02:00".
func dropTime(s string) string {
	i := strings.IndexByte(s, ':')
	if i < 0 {
		return s
	}
	// Walk back over the hour digits to the separator before them.
	j := i
	for j > 0 && s[j-1] >= '0' && s[j-1] <= '9' {
		j--
	}
	if j == i || i-j > 2 || j == 0 {
		return s
	}
	if c := s[j-1]; c != ' ' && c != 'T' && c != 't' {
		return s
	}
	// What follows the colon must look like a time.
	rest := s[i+1:]
	if len(rest) < 2 || rest[0] < '0' || rest[0] > '5' || rest[1] < '0' || rest[1] > '9' {
		return s
	}
	for _, r := range rest {
		if !strings.ContainsRune("0123456789:.+-zZ apmAPM", r) {
			return s
		}
	}
	return strings.TrimRight(s[:j-1], " ,")
}

// dateTokens splits a date into at most three numbers and month names,
// kept in buf.
func dateTokens(s string, buf *[3]dateToken) ([]dateToken, error) {
	toks := buf[:0]
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r >= '0' && r <= '9':
			j := i
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			if j-i > 8 {
				return nil, fmt.Errorf("%d digits in a row", j-i)
			}
			n, _ := strconv.Atoi(s[i:j])
			if len(toks) == 3 {
				return nil, fmt.Errorf("too many parts")
			}
			toks = append(toks, dateToken{num: n, digits: j - i})
			i = j
			// An ordinal suffix straight after the number: 15th, 1ro, 1º.
			k := i
			for k < len(s) {
				r, size := utf8.DecodeRuneInString(s[k:])
				if !unicode.IsLetter(r) && r != '°' {
					break
				}
				k += size
			}
			if k > i && ordinalSuffix(strings.ToLower(s[i:k])) {
				i = k
				if i < len(s) && s[i] == '.' {
					i++
				}
			}
		case unicode.IsLetter(r):
			j := i
			for j < len(s) {
				r, size := utf8.DecodeRuneInString(s[j:])
				if !unicode.IsLetter(r) {
					break
				}
				j += size
			}
			word := s[i:j]
			w := foldWord(word)
			i = j
			if i < len(s) && s[i] == '.' {
				i++ // "mar.", "Sept."
			}
			if ignorableWord(w) {
				continue
			}
			m := monthNumber(w)
			if m == 0 {
				return nil, fmt.Errorf("%q is not a month name", word)
			}
			if len(toks) == 3 {
				return nil, fmt.Errorf("too many parts")
			}
			toks = append(toks, dateToken{month: m})
		case r == ' ' || r == '-' || r == '/' || r == '.' || r == ',' || r == '\t' || r == '\u00a0':
			i += size
		default:
			return nil, fmt.Errorf("unexpected %q", r)
		}
	}
	return toks, nil
}

// foldWord lower-cases a word and drops its accents, fast for ASCII.
func foldWord(w string) string {
	for i := 0; i < len(w); i++ {
		if c := w[i]; c >= utf8.RuneSelf {
			return normHeader(w)
		}
	}
	return strings.ToLower(w)
}

func dateFromTokens(toks []dateToken, order DateOrder) (paradero.PartialDate, error) {
	var shapeBuf [3]byte
	shape := shapeBuf[:0] // 'Y' four-digit number, 'n' one or two digits, 'M' month name
	for _, t := range toks {
		switch {
		case t.digits == 0:
			shape = append(shape, 'M')
		case t.digits == 4:
			shape = append(shape, 'Y')
		case t.digits <= 2:
			shape = append(shape, 'n')
		case t.digits == 8:
			shape = append(shape, '8')
		default:
			return paradero.PartialDate{}, fmt.Errorf("a %d-digit number", t.digits)
		}
	}
	n := func(i int) int { return toks[i].num }
	m := func(i int) int { return toks[i].month }
	var d paradero.PartialDate
	switch string(shape) {
	case "Y":
		d = paradero.PartialDate{Year: n(0)}
	case "8": // YYYYMMDD
		v := n(0)
		d = paradero.PartialDate{Year: v / 10000, Month: v / 100 % 100, Day: v % 100}
	case "Yn":
		d = paradero.PartialDate{Year: n(0), Month: n(1)}
	case "nY":
		d = paradero.PartialDate{Year: n(1), Month: n(0)}
	case "Ynn":
		d = paradero.PartialDate{Year: n(0), Month: n(1), Day: n(2)}
	case "nnY":
		if order == MDY {
			d = paradero.PartialDate{Year: n(2), Month: n(0), Day: n(1)}
		} else {
			d = paradero.PartialDate{Year: n(2), Month: n(1), Day: n(0)}
		}
		if d.Month > 12 && d.Day <= 12 {
			other := "MDY"
			if order == MDY {
				other = "DMY"
			}
			return paradero.PartialDate{}, fmt.Errorf("has no month %d (read as %v; set \"date_order\": %q in the mapping if the list writes dates that way)", d.Month, orderName(order), other)
		}
	case "nMY":
		d = paradero.PartialDate{Year: n(2), Month: m(1), Day: n(0)}
	case "MnY":
		d = paradero.PartialDate{Year: n(2), Month: m(0), Day: n(1)}
	case "YMn":
		d = paradero.PartialDate{Year: n(0), Month: m(1), Day: n(2)}
	case "MY":
		d = paradero.PartialDate{Year: n(1), Month: m(0)}
	case "YM":
		d = paradero.PartialDate{Year: n(0), Month: m(1)}
	case "nnn", "nMn", "Mnn", "nn", "Mn", "nM", "n":
		return paradero.PartialDate{}, fmt.Errorf("has no four-digit year (two-digit years are ambiguous)")
	case "":
		return paradero.PartialDate{}, fmt.Errorf("no date in it")
	default:
		return paradero.PartialDate{}, fmt.Errorf("not a date format Paradero reads")
	}
	if len(shape) > 1 || shape[0] == '8' {
		if d.Month < 1 || d.Month > 12 {
			return paradero.PartialDate{}, fmt.Errorf("has no month %d", d.Month)
		}
	}
	if len(shape) == 3 || shape[0] == '8' {
		if d.Day < 1 || d.Day > 31 {
			return paradero.PartialDate{}, fmt.Errorf("has no day %d", d.Day)
		}
	}
	return d, nil
}

func orderName(o DateOrder) string {
	if o == MDY {
		return "month first"
	}
	return "day first"
}

func shorten(s string) string {
	if len(s) <= 40 {
		return s
	}
	r := []rune(s)
	if len(r) <= 40 {
		return s
	}
	return string(r[:40]) + "…"
}

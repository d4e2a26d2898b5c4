package paradero

import (
	"strconv"
	"strings"
	"time"
)

// PartialDate is a calendar date that may be known only to the year or the
// month, as lists often give it ("born 1998"). The zero value is an unknown
// date. Day set implies Month set.
type PartialDate struct {
	Year, Month, Day int
}

// IsZero reports whether nothing of the date is known.
func (d PartialDate) IsZero() bool { return d.Year == 0 }

// String returns the ISO 8601 form at the date's precision: "", "1998",
// "1998-07" or "1998-07-04".
func (d PartialDate) String() string {
	if d.Year == 0 {
		return ""
	}
	// By hand rather than through fmt: dates are formatted for every
	// imported row.
	b := make([]byte, 0, 10)
	b = appendPadded(b, d.Year, 4)
	if d.Month != 0 {
		b = appendPadded(append(b, '-'), d.Month, 2)
		if d.Day != 0 {
			b = appendPadded(append(b, '-'), d.Day, 2)
		}
	}
	return string(b)
}

func appendPadded(b []byte, v, width int) []byte {
	s := strconv.Itoa(v)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// Valid reports whether d is the zero value or a real calendar date at its
// precision, in the years 1800–2200.
func (d PartialDate) Valid() bool {
	if d.IsZero() {
		return d.Month == 0 && d.Day == 0
	}
	if d.Year < 1800 || d.Year > 2200 || d.Month < 0 || d.Month > 12 || d.Day < 0 {
		return false
	}
	if d.Month == 0 {
		return d.Day == 0
	}
	if d.Day == 0 {
		return true
	}
	last := time.Date(d.Year, time.Month(d.Month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
	return d.Day <= last
}

// ParsePartialDate parses the ISO forms String writes ("", "YYYY",
// "YYYY-MM", "YYYY-MM-DD"). The formats real lists use are read by package
// ingest; this is the canonical, stored form.
func ParsePartialDate(s string) (PartialDate, error) {
	if s == "" {
		return PartialDate{}, nil
	}
	parts := strings.Split(s, "-")
	if len(parts) > 3 || len(parts[0]) != 4 {
		return PartialDate{}, Errorf(EINVALID, "date %q is not YYYY, YYYY-MM or YYYY-MM-DD", s)
	}
	var n [3]int
	for i, p := range parts {
		if i > 0 && len(p) != 2 {
			return PartialDate{}, Errorf(EINVALID, "date %q is not YYYY, YYYY-MM or YYYY-MM-DD", s)
		}
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 {
			return PartialDate{}, Errorf(EINVALID, "date %q is not YYYY, YYYY-MM or YYYY-MM-DD", s)
		}
		n[i] = v
	}
	d := PartialDate{Year: n[0], Month: n[1], Day: n[2]}
	if d.IsZero() || !d.Valid() || (len(parts) > 1 && d.Month == 0) || (len(parts) > 2 && d.Day == 0) {
		return PartialDate{}, Errorf(EINVALID, "date %q is not a calendar date", s)
	}
	return d, nil
}

// DateRange is when something happened: one date (To zero) or an interval,
// each end possibly partial.
type DateRange struct {
	From, To PartialDate
}

// IsZero reports whether the range is unknown.
func (r DateRange) IsZero() bool { return r.From.IsZero() && r.To.IsZero() }

// String returns "FROM", "FROM/TO", "/TO" or "" (ISO 8601 interval form).
func (r DateRange) String() string {
	if r.To.IsZero() {
		return r.From.String()
	}
	return r.From.String() + "/" + r.To.String()
}

// ParseDateRange parses what String writes.
func ParseDateRange(s string) (DateRange, error) {
	from, to, ok := strings.Cut(s, "/")
	f, err := ParsePartialDate(from)
	if err != nil {
		return DateRange{}, err
	}
	if !ok {
		return DateRange{From: f}, nil
	}
	t, err := ParsePartialDate(to)
	if err != nil {
		return DateRange{}, err
	}
	if t.IsZero() {
		return DateRange{}, Errorf(EINVALID, "date range %q has an empty end", s)
	}
	return DateRange{From: f, To: t}, nil
}

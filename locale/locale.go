// Package locale holds Paradero's translations and formats numbers and
// dates the way each language writes them.
//
// Why this shape: messages are looked up by key from one JSON file per
// language (translations/es.json, en.json), embedded in the binary and
// parsed once into a Catalog at start-up; Load fails if a language lacks a
// key another has, or a plural message lacks a form, so an incomplete
// translation never ships. A message is a string, or an object with the
// plural forms "one" and "other" (the two categories Spanish and English
// use, CLDR). Arguments are fmt verbs; a count is passed first, already
// formatted with Number. No dependency beyond the standard library: two
// languages need no more than this.
package locale

import (
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/paradero/paradero"
)

//go:embed translations/*.json
var translations embed.FS

// Default is the language used when nothing says otherwise: the people
// Paradero serves speak Spanish first.
const Default = "es"

type message struct {
	One, Other string
	Plural     bool
}

func (m *message) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		m.Other = s
		return nil
	}
	var p struct {
		One   *string `json:"one"`
		Other *string `json:"other"`
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return fmt.Errorf("a message is a string or {\"one\", \"other\"}")
	}
	if p.One == nil || p.Other == nil {
		return fmt.Errorf("a plural message needs both \"one\" and \"other\"")
	}
	m.One, m.Other, m.Plural = *p.One, *p.Other, true
	return nil
}

// Catalog holds every language's messages. It is read-only after Load and
// safe for concurrent use.
type Catalog struct {
	langs map[string]map[string]message
}

// Load parses the embedded translations and checks that every language has
// exactly the same keys, with the same plural shape.
func Load() (*Catalog, error) {
	c := &Catalog{langs: make(map[string]map[string]message)}
	for _, lang := range paradero.Languages {
		b, err := translations.ReadFile(path.Join("translations", lang+".json"))
		if err != nil {
			return nil, fmt.Errorf("locale: %s: %w", lang, err)
		}
		m := make(map[string]message)
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("locale: %s.json: %w", lang, err)
		}
		c.langs[lang] = m
	}
	ref := c.langs[Default]
	for lang, m := range c.langs {
		for k, v := range ref {
			w, ok := m[k]
			if !ok {
				return nil, fmt.Errorf("locale: %s.json lacks %q", lang, k)
			}
			if w.Plural != v.Plural {
				return nil, fmt.Errorf("locale: %q is plural in one language and not the other", k)
			}
		}
		for k := range m {
			if _, ok := ref[k]; !ok {
				return nil, fmt.Errorf("locale: %s.json has %q, which %s.json lacks", lang, k, Default)
			}
		}
	}
	return c, nil
}

// Keys returns every message key, sorted.
func (c *Catalog) Keys() []string {
	var keys []string
	for k := range c.langs[Default] {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Has reports whether key exists.
func (c *Catalog) Has(key string) bool { _, ok := c.langs[Default][key]; return ok }

// Printer returns the printer for lang, or for Default if lang is not
// spoken.
func (c *Catalog) Printer(lang string) *Printer {
	if !paradero.ValidLanguage(lang) {
		lang = Default
	}
	return &Printer{Lang: lang, msgs: c.langs[lang]}
}

// Match returns the language to use for an Accept-Language header: the
// first spoken language it names (weights are honoured roughly, by order
// after sorting on q), else Default.
func Match(acceptLanguage string) string {
	type cand struct {
		lang string
		q    float64
	}
	var cs []cand
	for part := range strings.SplitSeq(acceptLanguage, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		base, _, _ := strings.Cut(strings.ToLower(tag), "-")
		if paradero.ValidLanguage(base) && q > 0 {
			cs = append(cs, cand{base, q})
		}
	}
	slices.SortStableFunc(cs, func(a, b cand) int {
		switch {
		case a.q > b.q:
			return -1
		case a.q < b.q:
			return 1
		}
		return 0
	})
	if len(cs) == 0 {
		return Default
	}
	return cs[0].lang
}

// Printer writes messages, numbers and dates in one language.
type Printer struct {
	Lang string
	msgs map[string]message
}

// T returns the message key with args in its fmt verbs. An unknown key
// comes back as "[key]", visible, so tests catch it.
func (p *Printer) T(key string, args ...any) string {
	m, ok := p.msgs[key]
	if !ok {
		return "[" + key + "]"
	}
	if len(args) == 0 {
		return m.Other
	}
	return fmt.Sprintf(m.Other, args...)
}

// N returns the plural message key for the count n: its "one" form for 1,
// "other" otherwise (the rule for both Spanish and English). The count,
// formatted with Number, is the first argument, then args.
func (p *Printer) N(key string, n int64, args ...any) string {
	m, ok := p.msgs[key]
	if !ok {
		return "[" + key + "]"
	}
	f := m.Other
	if n == 1 {
		f = m.One
	}
	return fmt.Sprintf(f, append([]any{p.Number(n)}, args...)...)
}

// Number formats n with the language's digit grouping: 1,234 in English;
// 1234 and 12.345 in Spanish (CLDR: Spanish groups only from five digits).
func (p *Printer) Number(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	sep, min := ",", 4
	if p.Lang == "es" {
		sep, min = ".", 5
	}
	if len(s) >= min {
		var b strings.Builder
		for i, c := range s {
			if i > 0 && (len(s)-i)%3 == 0 {
				b.WriteString(sep)
			}
			b.WriteRune(c)
		}
		s = b.String()
	}
	if neg {
		s = "-" + s
	}
	return s
}

// Int is Number for an int.
func (p *Printer) Int(n int) string { return p.Number(int64(n)) }

// Date formats the calendar date of t (in UTC): "25 de noviembre de 2026",
// "25 November 2026".
func (p *Printer) Date(t time.Time) string {
	t = t.UTC()
	return p.T("date.day", t.Day(), p.T("month."+strconv.Itoa(int(t.Month()))), t.Year())
}

// DateTime formats t (in UTC) with its time of day.
func (p *Printer) DateTime(t time.Time) string {
	t = t.UTC()
	return p.T("date.time", p.Date(t), t.Format("15:04"))
}

// PartialDate formats a date known perhaps only to the month or year.
func (p *Printer) PartialDate(d paradero.PartialDate) string {
	switch {
	case d.IsZero():
		return ""
	case d.Month == 0:
		return strconv.Itoa(d.Year)
	case d.Day == 0:
		return p.T("date.month", p.T("month."+strconv.Itoa(d.Month)), d.Year)
	}
	return p.T("date.day", d.Day, p.T("month."+strconv.Itoa(d.Month)), d.Year)
}

// Bytes formats a size in bytes.
func (p *Printer) Bytes(n int64) string { return p.N("unit.bytes", n) }

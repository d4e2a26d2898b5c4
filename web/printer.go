package web

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/locale"
)

// Printer is the locale.Printer as templates call it: counts of any integer
// type, and the words for Paradero's own values (kinds, roles, actions).
type Printer struct{ *locale.Printer }

func toInt64(n any) int64 {
	switch v := n.(type) {
	case int:
		return int64(v)
	case int64:
		return v
	case int32:
		return int64(v)
	case uint32:
		return int64(v)
	}
	panic(fmt.Sprintf("web: %T is not a count", n))
}

// Num formats a count.
func (p Printer) Num(n any) string { return p.Number(toInt64(n)) }

// Plural returns the plural message key for the count n.
func (p Printer) Plural(key string, n any, args ...any) string { return p.N(key, toInt64(n), args...) }

// When formats a time with its time of day.
func (p Printer) When(t time.Time) string { return p.DateTime(t) }

// Day formats a time's calendar date.
func (p Printer) Day(t time.Time) string { return p.Date(t) }

// Kind names a source kind.
func (p Printer) Kind(k paradero.SourceKind) string { return p.T("kind." + string(k)) }

// Role names a role.
func (p Printer) Role(r paradero.Role) string { return p.T("role." + string(r)) }

// Action names an audit action.
func (p Printer) Action(a string) string { return p.T("action." + a) }

// Field names a record field by its canonical key.
func (p Printer) Field(key string) string { return p.T("field." + key) }

// Status names a person's derived status.
func (p Printer) Status(st paradero.PersonStatus) string { return p.T("status." + string(st)) }

// Event names a kind of custody event.
func (p Printer) Event(k paradero.EventKind) string { return p.T("event." + string(k)) }

// Fact names a kind of due-process fact.
func (p Printer) Fact(k paradero.DueProcessKind) string { return p.T("fact." + string(k)) }

// Match says how a search criterion matched.
func (p Printer) Match(m paradero.MatchReason) string {
	if m.Found != "" {
		return p.T("match."+string(m.Kind)+".found", p.T("search.field."+m.Field), m.Query, m.Found)
	}
	return p.T("match."+string(m.Kind), p.T("search.field."+m.Field), m.Query)
}

// Verdict names a reviewer's verdict.
func (p Printer) Verdict(v paradero.Verdict) string { return p.T("verdict." + string(v)) }

// Weight formats a match weight in bits with its sign: "+3.25", "-1.50"
// ("+3,25" in Spanish).
func (p Printer) Weight(f float64) string {
	return p.decimal(strconv.FormatFloat(f, 'f', 2, 64), f >= 0)
}

// Percent formats a probability as a percentage with one decimal.
func (p Printer) Percent(f float64) string {
	return p.T("unit.percent", p.decimal(strconv.FormatFloat(100*f, 'f', 1, 64), false))
}

func (p Printer) decimal(s string, plus bool) string {
	if plus {
		s = "+" + s
	}
	if p.Lang == "es" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return strings.Replace(s, "-", "−", 1)
}

// ColumnKey says where an imported column goes: a record field, an extra
// field under the column's own name, or nowhere.
func (p Printer) ColumnKey(key string) string {
	switch {
	case key == "ignore":
		return p.T("import.ignored")
	case strings.HasPrefix(key, "x:"):
		return p.T("import.extra")
	}
	return p.Field(key)
}

package web

import (
	"fmt"
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

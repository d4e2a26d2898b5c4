package paradero

import (
	"errors"
	"fmt"
)

// Application error codes. They are few on purpose: each maps to one way a
// caller (a command, a page, the API) must react.
const (
	ECONFLICT     = "conflict"     // the action conflicts with what exists
	EINTERNAL     = "internal"     // a fault inside Paradero
	EINVALID      = "invalid"      // the input is malformed or not allowed
	ENOTFOUND     = "not_found"    // no such thing, or not visible to the actor
	EUNAUTHORIZED = "unauthorized" // the actor is not known
	EFORBIDDEN    = "forbidden"    // the actor may not do this
	ETAMPERED     = "tampered"     // stored evidence does not match the ledger
	EUNAVAILABLE  = "unavailable"  // a resource (disk, database) refused the work
)

// Error is Paradero's application error. Message is shown to users; Err, the
// cause, is for logs and is never rendered.
type Error struct {
	Code    string
	Message string
	Op      string // the operation that failed, e.g. "sqlite.ImportSource"
	Err     error
}

func (e *Error) Error() string {
	var s string
	if e.Op != "" {
		s = e.Op + ": "
	}
	switch {
	case e.Message != "" && e.Err != nil:
		s += e.Message + ": " + e.Err.Error()
	case e.Message != "":
		s += e.Message
	case e.Err != nil:
		s += e.Err.Error()
	default:
		s += e.Code
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		if e.Code != "" {
			return e.Code
		}
		if e.Err != nil {
			return ErrorCode(e.Err)
		}
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of err: the message of the
// first *Error with one, or a generic text that reveals no internals.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		if e.Message != "" {
			return e.Message
		}
		if e.Err != nil {
			return ErrorMessage(e.Err)
		}
	}
	return "internal error"
}

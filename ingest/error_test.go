package ingest_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/paradero/paradero/ingest"
)

// TestErrorCodes: the errors a user interface translates carry a code and
// the arguments their sentence takes, and keep their English reason.
func TestErrorCodes(t *testing.T) {
	for _, c := range []struct {
		name, body, code, args, reason string
	}{
		{"a.csv", "nombre,fecha de nacimiento\nAna Soto,31/13/1991\n", ingest.CodeBadDate,
			`[fecha de nacimiento 31/13/1991 date "31/13/1991": has no month 13`, `column "fecha de nacimiento": date`},
		{"a.jsonl", "{\"nombre\": \"Ana\"}\n{\"nombre\": \"Luis\"\n", ingest.CodeUnclosedJSON, "[]", "invalid JSON: the object is not closed"},
		{"a.csv", "nombre,doc\nAna,1,2\n", "too_many_columns", "[3 2 3]", "the row has 3 fields, the header 2"},
		{"a.csv", "nombre\n\"Ana\n", "unclosed_quote", "[]", "quoted field is never closed"},
	} {
		_, _, err := readAll(c.name, []byte(c.body), nil)
		var e *ingest.Error
		if !errors.As(err, &e) {
			t.Fatalf("%s %q: %v, want an *ingest.Error", c.name, c.body, err)
		}
		if e.Code != c.code || !strings.HasPrefix(fmt.Sprint(e.Args), c.args) || !strings.HasPrefix(e.Reason, c.reason) {
			t.Errorf("%s %q: code %q args %v reason %q; want %q %s… %q…", c.name, c.body, e.Code, e.Args, e.Reason, c.code, c.args, c.reason)
		}
	}
}

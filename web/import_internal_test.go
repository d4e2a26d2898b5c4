package web

import (
	"strings"
	"testing"

	"github.com/paradero/paradero/locale"
)

// TestImportErrorUnknownCode: a problem without a code the translations
// know keeps its English reason, marked as English.
func TestImportErrorUnknownCode(t *testing.T) {
	cat, err := locale.Load()
	if err != nil {
		t.Fatal(err)
	}
	p := cat.Printer("es")
	errs := []lineError{{Line: 2, Code: "no_such_code", Reason: "something new"}, {Line: 3, Reason: "a record's check"},
		{Line: 4, Code: "unclosed_quote", Reason: "quoted field is never closed"}}
	wordErrors(p, errs)
	if errs[0].Message != "something new" || !errs[0].English || errs[1].Message != "a record's check" || !errs[1].English {
		t.Errorf("unknown codes = %+v", errs[:2])
	}
	if errs[2].English || !strings.HasPrefix(errs[2].Message, "un campo entrecomillado nunca se cierra") {
		t.Errorf("unclosed quote = %+v", errs[2])
	}
}

package paradero

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestContentRoundTrip(t *testing.T) {
	for _, r := range []*Record{
		{},
		{FullName: "José Luis Pérez Gómez"},
		{GivenNames: "Yorman", Surnames: "Rivas", BirthDate: PartialDate{Year: 1999, Month: 2},
			EventDate: DateRange{From: PartialDate{Year: 2025, Month: 3, Day: 15}, To: PartialDate{Year: 2025, Month: 7, Day: 18}}},
		{FullName: "tab\there\\ and\r\nnewline", Extra: []Field{{Name: "col\\umn\t1", Value: "v\nw"}, {Name: "vacía", Value: ""}}},
		{Notes: "محمد e\u0301 " + strings.Repeat("Ñ", 100)},
	} {
		b := r.Content()
		var got Record
		if err := got.SetContent(b); err != nil {
			t.Fatalf("SetContent(%q): %v", b, err)
		}
		if diff := cmp.Diff(r, &got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("round trip of %q (-want +got):\n%s", b, diff)
		}
		if string(got.Content()) != string(b) {
			t.Errorf("Content after SetContent = %q, want %q", got.Content(), b)
		}
	}
}

func TestContentEncoding(t *testing.T) {
	r := &Record{GivenNames: "Ana", BirthDate: PartialDate{Year: 1990}, FullName: "a\tb", Extra: []Field{{Name: "nro", Value: "7"}}}
	want := "full_name\ta\\tb\ngiven_names\tAna\nbirth_date\t1990\nx:nro\t7\n"
	if got := string(r.Content()); got != want {
		t.Errorf("Content() = %q, want %q (docs/ledger.md)", got, want)
	}
}

func TestSetContentRejects(t *testing.T) {
	for _, bad := range []string{
		"full_name\tAna",           // no final LF
		"full_name Ana\n",          // no tab
		"nombre\tAna\n",            // unknown field
		"birth_date\t1990-13-01\n", // not a date
		"full_name\tA\\qna\n",      // unknown escape
		"full_name\tAna\\\n",       // dangling backslash
	} {
		var r Record
		if err := r.SetContent([]byte(bad)); ErrorCode(err) != EINVALID {
			t.Errorf("SetContent(%q) = %v, want EINVALID", bad, err)
		}
	}
}

func FuzzContent(f *testing.F) {
	f.Add("José", "x\ty", "n\\o")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		r := &Record{FullName: a, Notes: b, Extra: []Field{{Name: "k" + c, Value: c}}}
		var got Record
		if err := got.SetContent(r.Content()); err != nil {
			t.Fatalf("SetContent(Content()) = %v", err)
		}
		if string(got.Content()) != string(r.Content()) {
			t.Fatalf("round trip changed %q to %q", r.Content(), got.Content())
		}
	})
}

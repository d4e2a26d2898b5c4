package ingest_test

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/paradero/paradero/ingest"
)

// A bare list of names asserts nothing row by row; the mapping's
// every_row says what the whole list means, and a row's own cell wins.
func TestEveryRow(t *testing.T) {
	m, err := ingest.ParseMapping(strings.NewReader(`{"every_row": {"status": "in foreign custody", "facility": "CECOT",
		"custodian": "DGCP", "event_from": "2025-03-16"}}`))
	if err != nil {
		t.Fatal(err)
	}
	data := "full_name,facility\nANA PEREZ,\nJOSE DIAZ,IZALCO\n"
	rd, err := ingest.Open(strings.NewReader(data), int64(len(data)), ingest.Options{Filename: "cecot.csv", Mapping: m})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		r, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, strings.Join([]string{r.FullName, r.Status, r.Facility, r.Custodian, r.EventDate.String()}, "|"))
	}
	want := []string{"ANA PEREZ|in foreign custody|CECOT|DGCP|2025-03-16", "JOSE DIAZ|in foreign custody|IZALCO|DGCP|2025-03-16"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("records = %q, want %q", got, want)
	}
	for _, tc := range []struct{ in, want string }{
		{`{"every_row": {"full_name": "X"}}`, `mapping:1:16: every_row: "full_name" cannot be said of every row`},
		{`{"every_row": {"event_from": "16/03/2025"}}`, `mapping:1:30: every_row: "event_from": "16/03/2025" is not an ISO date`},
		{`{"every_row": {"status": ""}}`, `mapping:1:26: every_row: "status": the value is empty`},
		{`{"every_row": {"status": "a", "status": "b"}}`, `mapping:1:31: every_row: "status" appears twice`},
	} {
		if _, err := ingest.ParseMapping(strings.NewReader(tc.in)); err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("ParseMapping(%s) error = %v, want it to start %q", tc.in, err, tc.want)
		}
	}
}

package ingest_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/ingest"
)

// fuzzRead opens data as the named file and reads at most 1000 records,
// checking what must hold for any input: no panic; every error about the
// content is an *ingest.Error; every record is valid, with rows in order.
func fuzzRead(t *testing.T, name string, data []byte, m *ingest.Mapping) {
	r, err := ingest.Open(bytes.NewReader(data), int64(len(data)), ingest.Options{Filename: name, Mapping: m})
	if err != nil {
		checkErr(t, err)
		return
	}
	defer r.Close()
	for _, c := range r.Columns() {
		if c.Key == "" {
			t.Fatalf("column %q has no key", c.Name)
		}
	}
	last := 0
	for range 1000 {
		rec, err := r.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			checkErr(t, err)
			if _, err2 := r.Next(); err2 != err {
				t.Fatalf("Next after %v = %v, want the same error", err, err2)
			}
			return
		}
		if err := rec.Validate(); err != nil {
			t.Fatalf("record at row %d: %v", rec.Row, err)
		}
		if rec.Row <= last {
			t.Fatalf("record rows go %d then %d", last, rec.Row)
		}
		last = rec.Row
	}
}

func checkErr(t *testing.T, err error) {
	var e *ingest.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *ingest.Error", err, err)
	}
	if e.File == "" || e.Reason == "" || e.Line < 0 || e.Column < 0 {
		t.Fatalf("error %+v lacks a place or a reason", e)
	}
}

func FuzzOpenCSV(f *testing.F) {
	f.Add([]byte("nombre,apellidos,fecha de nacimiento\nJuan,Pérez,15/03/1990\n"))
	f.Add([]byte("a;b\n\"x\"\"y\";\"z\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRead(t, "f.csv", data, nil)
	})
}

func FuzzOpenJSONL(f *testing.F) {
	f.Add([]byte("{\"nombre\":\"Juan\",\"dob\":\"1990\",\"n\":1}\n{\"a_number\":\"A1\"}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRead(t, "f.jsonl", data, nil)
	})
}

func FuzzOpenXLSX(f *testing.F) {
	f.Add(makeXLSX(f))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRead(t, "f.xlsx", data, nil)
	})
}

func FuzzParseMapping(f *testing.F) {
	f.Add([]byte(`{"columns": {"Nombre": "full_name", "x": "ignore", "y": "x:Y"}, "date_order": "MDY", "delimiter": "tab"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ingest.ParseMapping(bytes.NewReader(data))
		if err != nil {
			checkErr(t, err)
			return
		}
		// A mapping that parses is one Open accepts.
		var header []string
		for h := range m.Columns {
			if strings.ContainsAny(h, "\"\r\n,;\t|") || strings.TrimSpace(h) != h {
				return
			}
			header = append(header, h)
		}
		file := strings.Join(append(header, "pasaporte"), string(rune(max(m.Delimiter, ',')))) + "\n"
		_, err = ingest.Open(strings.NewReader(file), int64(len(file)), ingest.Options{Filename: "m.csv", Mapping: &ingest.Mapping{Columns: m.Columns, DateOrder: m.DateOrder, Delimiter: m.Delimiter}})
		var e *ingest.Error
		if errors.As(err, &e) && strings.HasPrefix(e.Reason, "mapping:") {
			t.Fatalf("ParseMapping accepted a mapping Open refuses: %v", err)
		}
	})
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2025-03-15", "15/03/2025", "15-mar-2025", "15 de marzo de 2025", "March 15, 2025", "2025-03", "03/2025", "1998", "1º de mayo de 2024", "2025-03-15T10:30:00Z"} {
		f.Add(s, uint8(0))
	}
	f.Fuzz(func(t *testing.T, s string, o uint8) {
		order := ingest.DateOrder(o % 3)
		d, err := ingest.ParseDate(s, order)
		if err != nil {
			return
		}
		if !d.Valid() {
			t.Fatalf("ParseDate(%q) = %+v, not a valid date", s, d)
		}
		// The canonical form reads back as itself.
		again, err := ingest.ParseDate(d.String(), order)
		if err != nil || again != d {
			t.Fatalf("ParseDate(%q) = %v, which reads back as %v, %v", s, d, again, err)
		}
		if want, err := paradero.ParsePartialDate(d.String()); err != nil || want != d {
			t.Fatalf("ParseDate(%q) = %v, which the root package reads as %v, %v", s, d, want, err)
		}
	})
}

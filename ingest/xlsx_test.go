package ingest_test

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/paradero/paradero/ingest"
)

// makeXLSX builds a workbook in memory: a first sheet "Lista" with a
// header, dates in several display formats, a formula-looking text, a
// number, and a gap row; and a second sheet "Otra".
func makeXLSX(t testing.TB) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", "Lista"); err != nil {
		t.Fatal(err)
	}
	rows := [][]any{
		{"Nombre", "Apellidos", "Fecha de nacimiento", "Fecha", "Año", "Mes", "Número A", "Notas"},
		{"José", "Núñez Peña", time.Date(1990, 3, 15, 0, 0, 0, 0, time.UTC), time.Date(2025, 4, 2, 10, 30, 0, 0, time.UTC), time.Date(1985, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), 123456789, `=HYPERLINK("http://x.test")`},
		nil,
		{"Ana", "López", "15/03/1991", "2025-04-03", "1986", "", "", "+52 55 0000"},
	}
	for i, r := range rows {
		if r == nil {
			continue
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Lista", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	// The formula-looking note is text; make sure excelize stored it so.
	if err := f.SetCellStr("Lista", "H2", `=HYPERLINK("http://x.test")`); err != nil {
		t.Fatal(err)
	}
	style := func(code string) int {
		s, err := f.NewStyle(&excelize.Style{CustomNumFmt: &code})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	builtin14, err := f.NewStyle(&excelize.Style{NumFmt: 14}) // m/d/yyyy, shown per locale
	if err != nil {
		t.Fatal(err)
	}
	for cell, s := range map[string]int{
		"C2": builtin14,
		"D2": style(`dd/mm/yy\ hh:mm`),
		"E2": style(`"año "yyyy`),
		"F2": style("mmm-yy"),
	} {
		if err := f.SetCellStyle("Lista", cell, cell, s); err != nil {
			t.Fatal(err)
		}
	}
	// A passport typed as a number, in a styled cell: General would show
	// 1.23456789E+13.
	if err := f.SetCellValue("Lista", "I1", "Pasaporte"); err != nil {
		t.Fatal(err)
	}
	if err := f.SetCellValue("Lista", "I2", 12345678901234); err != nil {
		t.Fatal(err)
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.SetCellStyle("Lista", "I2", "I2", bold); err != nil {
		t.Fatal(err)
	}
	if _, err := f.NewSheet("Otra"); err != nil {
		t.Fatal(err)
	}
	if err := f.SetSheetRow("Otra", "A1", &[]any{"full_name", "passport"}); err != nil {
		t.Fatal(err)
	}
	if err := f.SetSheetRow("Otra", "A2", &[]any{"Juan Pérez", "P123"}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestXLSX(t *testing.T) {
	data := makeXLSX(t)
	r, recs, err := readAll("lista.xlsx", data, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Format() != "xlsx" || r.Encoding() != "" || !strings.Contains(r.MediaType(), "spreadsheetml") {
		t.Errorf("Format, Encoding, MediaType = %q, %q, %q", r.Format(), r.Encoding(), r.MediaType())
	}
	want := []string{
		"given_names\tJosé\nsurnames\tNúñez Peña\nbirth_date\t1990-03-15\na_number\t123456789\npassport\t12345678901234\nevent_from\t2025-04-02\nnotes\t=HYPERLINK(\"http://x.test\")\nx:Año\t1985\nx:Mes\t2025-03",
		"given_names\tAna\nsurnames\tLópez\nbirth_date\t1991-03-15\nevent_from\t2025-04-03\nnotes\t+52 55 0000\nx:Año\t1986",
	}
	if len(recs) != len(want) {
		t.Fatalf("got %d records, want %d", len(recs), len(want))
	}
	for i, rec := range recs {
		if got := fields(rec); got != want[i] {
			t.Errorf("record %d =\n%s\nwant\n%s", i, got, want[i])
		}
	}
	if recs[0].Row != 2 || recs[1].Row != 4 {
		t.Errorf("rows = %d, %d; want 2, 4 (sheet rows)", recs[0].Row, recs[1].Row)
	}

	// The mapping picks another sheet.
	_, recs, err = readAll("lista.xlsx", data, &ingest.Mapping{Sheet: "Otra"})
	if err != nil || len(recs) != 1 || recs[0].Passport != "P123" {
		t.Errorf("sheet Otra: %v, %v", recs, err)
	}
	_, _, err = readAll("lista.xlsx", data, &ingest.Mapping{Sheet: "Nada"})
	if err == nil || err.Error() != `lista.xlsx: the workbook has no sheet "Nada" (it has "Lista", "Otra")` {
		t.Errorf("absent sheet: error = %v", err)
	}
}

func TestXLSXErrors(t *testing.T) {
	// A cell error names the sheet row and column.
	f := excelize.NewFile()
	defer f.Close()
	_ = f.SetSheetRow("Sheet1", "A1", &[]any{"nombre", "dob"})
	_ = f.SetSheetRow("Sheet1", "A2", &[]any{"Juan", "1990"})
	_ = f.SetSheetRow("Sheet1", "A5", &[]any{"Ana", "30/02/1990"})
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	_, _, err := readAll("l.xlsx", buf.Bytes(), nil)
	var e *ingest.Error
	if !errors.As(err, &e) || e.Line != 5 || e.Column != 2 || !strings.Contains(e.Reason, "not a calendar date") {
		t.Errorf("error = %v, want l.xlsx:5:2 … not a calendar date", err)
	}

	// A zip whose worksheet claims 2.7 GB unpacked (a fuzzer's mutation of a
	// real workbook) is refused before anything allocates that much.
	lies, err := os.ReadFile("testdata/lies-about-size.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = readAll("l.xlsx", lies, nil)
	if !errors.As(err, &e) || !strings.Contains(e.Reason, `part "xl/worksheets/sheet1.xml" claims 2751464649 bytes unpacked`) {
		t.Errorf("lying workbook: error = %v", err)
	}

	// A damaged workbook.
	data := makeXLSX(t)
	_, _, err = readAll("l.xlsx", data[:len(data)/2], nil)
	if !errors.As(err, &e) || !strings.Contains(e.Reason, "not a valid XLSX workbook") {
		t.Errorf("truncated workbook: error = %v", err)
	}
}

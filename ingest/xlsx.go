package ingest

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"
)

// xlsxSource reads the rows of one worksheet with excelize's streaming row
// iterator. Cells come as the spreadsheet displays them (formulas as their
// last computed value, never evaluated here), except dates, which come in
// ISO 8601 at the precision their format shows, and numbers in the General
// format, which come whole (see readableFormats).
type xlsxSource struct {
	file   string
	f      *excelize.File
	rows   *excelize.Rows
	n      int // the sheet row of the last row returned
	values []string
}

func openXLSX(file string, r io.ReaderAt, size int64, sheet string) (x *xlsxSource, err error) {
	// A damaged workbook must be an error, not a crash of the import:
	// excelize is not hardened against every malformed archive.
	defer func() {
		if p := recover(); p != nil {
			if x != nil {
				x.close()
			}
			x, err = nil, &Error{File: file, Reason: fmt.Sprintf("not a valid XLSX workbook (%v)", p)}
		}
	}()
	if err := checkZip(file, r, size); err != nil {
		return nil, err
	}
	// excelize reads the zip into memory; worksheets larger than
	// UnzipXMLSizeLimit are unpacked to a temporary file and streamed.
	f, err := excelize.OpenReader(io.NewSectionReader(r, 0, size), excelize.Options{UnzipSizeLimit: maxUnzipped})
	if err != nil {
		if errors.Is(err, zip.ErrFormat) || errors.Is(err, excelize.ErrWorkbookFileFormat) {
			return nil, &Error{File: file, Reason: "not a valid XLSX workbook (damaged, or another kind of file)"}
		}
		return nil, &Error{File: file, Reason: fmt.Sprintf("cannot read the XLSX workbook: %v", err)}
	}
	x = &xlsxSource{file: file, f: f}
	list := f.GetSheetList()
	if len(list) == 0 {
		x.close()
		return nil, &Error{File: file, Reason: "the workbook has no sheets"}
	}
	if sheet == "" {
		sheet = list[0]
	}
	if err := readableFormats(f); err != nil {
		x.close()
		return nil, &Error{File: file, Reason: fmt.Sprintf("cannot read the workbook's styles: %v", err)}
	}
	x.rows, err = f.Rows(sheet)
	if err != nil {
		x.close()
		var nse excelize.ErrSheetNotExist
		if errors.As(err, &nse) {
			return nil, &Error{File: file, Reason: fmt.Sprintf("the workbook has no sheet %q (it has %s)", sheet, quoteList(list))}
		}
		return nil, &Error{File: file, Reason: fmt.Sprintf("cannot read sheet %q: %v", sheet, err)}
	}
	return x, nil
}

// Bounds on what a workbook's zip may declare, checked before excelize reads
// it. excelize allocates a part's declared size up front when it holds the
// part in memory, which it does for small parts and for any part it fails to
// unpack to a temporary file; so a damaged or hostile archive that claims
// gigabytes would exhaust memory. archive/zip refuses a part that inflates
// to other than its declared size, so checking large parts by inflating
// them once (to nowhere, in constant memory) makes their sizes true.
const (
	maxUnzipped  = 4 << 30  // all parts together
	maxSmallPart = 16 << 20 // excelize's UnzipXMLSizeLimit: larger parts are streamed
	maxLargePart = 2 << 30  // a worksheet or the shared strings
)

func checkZip(file string, r io.ReaderAt, size int64) error {
	bad := func(why string) error {
		return &Error{File: file, Reason: "not a valid XLSX workbook (" + why + ")"}
	}
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return bad("damaged, or another kind of file")
	}
	var total uint64
	for _, zf := range zr.File {
		total += zf.UncompressedSize64
		name := strings.ToLower(strings.ReplaceAll(zf.Name, "\\", "/"))
		large := strings.HasPrefix(name, "xl/worksheets/sheet") || name == "xl/sharedstrings.xml"
		switch {
		case total > maxUnzipped:
			return bad(fmt.Sprintf("over %d bytes unpacked", uint64(maxUnzipped)))
		case zf.UncompressedSize64 <= maxSmallPart:
			continue
		case !large || zf.UncompressedSize64 > maxLargePart:
			return bad(fmt.Sprintf("part %q claims %d bytes unpacked", zf.Name, zf.UncompressedSize64))
		}
		rc, err := zf.Open()
		if err == nil {
			_, err = io.Copy(io.Discard, rc)
			rc.Close()
		}
		if err != nil {
			return bad(fmt.Sprintf("part %q is damaged: %v", zf.Name, err))
		}
	}
	return nil
}

func quoteList(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

func (x *xlsxSource) close() error {
	var err error
	if x.rows != nil {
		err = x.rows.Close()
		x.rows = nil
	}
	if x.f != nil {
		if cerr := x.f.Close(); err == nil {
			err = cerr
		}
		x.f = nil
	}
	return err
}

func (x *xlsxSource) pos(i int) (int, int) { return x.n, i + 1 }

func (x *xlsxSource) next() (rw row, err error) {
	defer func() {
		if p := recover(); p != nil {
			rw, err = row{}, &Error{File: x.file, Line: x.n, Reason: fmt.Sprintf("damaged worksheet (%v)", p)}
		}
	}()
	if x.rows == nil {
		return row{}, io.EOF
	}
	for x.rows.Next() {
		x.n++
		cols, err := x.rows.Columns()
		if err != nil {
			return row{}, &Error{File: x.file, Line: x.n, Reason: fmt.Sprintf("cannot read the row: %v", err)}
		}
		blank := true
		for _, v := range cols {
			if !isBlank(v) {
				blank = false
				break
			}
		}
		if blank {
			continue
		}
		x.values = append(x.values[:0], cols...)
		return row{line: x.n, values: x.values}, nil
	}
	if err := x.rows.Error(); err != nil {
		return row{}, &Error{File: x.file, Line: x.n + 1, Reason: fmt.Sprintf("cannot read the sheet: %v", err)}
	}
	return row{}, io.EOF
}

// Date precisions of a number format.
const (
	notDate = iota
	yearOnly
	monthOnly
	dayOnly
	dayTime
)

// readableFormats changes the workbook's number formats, in memory only (the
// file is not written), so that cells display what a record must hold:
//
//   - Every date format displays ISO 8601 at the precision it showed: a day
//     ("15/03/25", "d-mmm-yy") as 2025-03-15, a month ("mmm-yy") as 2025-03,
//     a year as 2025, a date and time as 2025-03-15 10:30:00. Spreadsheets
//     store dates as serial numbers and show them through locale formats
//     that are often ambiguous (two-digit years, month first in a day-first
//     list); the serial number is exact, so the date is read from it.
//   - The General format displays numbers as text does ("@"): a passport or
//     A-number typed as a number comes whole (12345678901234), where General
//     would show 1.23456789E+13. Excel keeps 15 significant digits; longer
//     numbers were rounded when typed, and no reader can recover them.
func readableFormats(f *excelize.File) error {
	if f.Styles == nil || f.Styles.CellXfs == nil {
		return nil
	}
	custom := make(map[int]string)
	if f.Styles.NumFmts != nil {
		for _, nf := range f.Styles.NumFmts.NumFmt {
			code := nf.FormatCode
			if nf.FormatCode16 != "" {
				code = nf.FormatCode16
			}
			custom[nf.NumFmtID] = code
		}
	}
	const general, text = 0, 49 // ECMA-376 Part 1 §18.8.30
	textID := text
	n := len(f.Styles.CellXfs.Xf)
	kinds := make([]int, n)
	anyDate := false
	for i, xf := range f.Styles.CellXfs.Xf {
		id := general
		if xf.NumFmtID != nil {
			id = *xf.NumFmtID
		}
		if code, ok := custom[id]; ok {
			kinds[i] = dateKind(code)
		} else {
			kinds[i] = builtinDateKind(id)
		}
		anyDate = anyDate || kinds[i] != notDate
		if id == general {
			f.Styles.CellXfs.Xf[i].NumFmtID = &textID
		}
	}
	if !anyDate {
		return nil
	}
	var iso [dayTime + 1]*int
	codes := [...]string{yearOnly: "yyyy", monthOnly: "yyyy-mm", dayOnly: "yyyy-mm-dd", dayTime: "yyyy-mm-dd hh:mm:ss"}
	for k := yearOnly; k <= dayTime; k++ {
		code := codes[k]
		style, err := f.NewStyle(&excelize.Style{CustomNumFmt: &code})
		if err != nil {
			return err
		}
		id := *f.Styles.CellXfs.Xf[style].NumFmtID
		iso[k] = &id
	}
	for i := range n {
		if kinds[i] != notDate {
			f.Styles.CellXfs.Xf[i].NumFmtID = iso[kinds[i]]
		}
	}
	return nil
}

// builtinDateKind classifies the number formats ECMA-376 Part 1 §18.8.30
// predefines (14–22, and 27–36 and 50–58 for East Asian locales).
func builtinDateKind(id int) int {
	switch {
	case id == 14 || id == 15 || id == 16:
		return dayOnly
	case id == 17:
		return monthOnly
	case id == 22:
		return dayTime
	case id >= 27 && id <= 31, id == 36, id >= 50 && id <= 58:
		return dayOnly
	}
	return notDate
}

// dateKind classifies a custom number format code by the date parts its
// first section shows, ignoring quoted text, escaped characters, colours and
// locale tags.
func dateKind(code string) int {
	var b strings.Builder
	inQuote := false
	for i := 0; i < len(code); i++ {
		c := code[i]
		switch {
		case inQuote:
			if c == '"' {
				inQuote = false
			}
		case c == '"':
			inQuote = true
		case c == '\\' || c == '_' || c == '*':
			i++
		case c == '[':
			for i < len(code) && code[i] != ']' {
				i++
			}
		case c == ';':
			i = len(code)
		default:
			b.WriteByte(c | 0x20)
		}
	}
	s := b.String()
	if strings.Contains(s, "general") {
		return notDate
	}
	hasD, hasY := strings.ContainsAny(s, "d"), strings.ContainsRune(s, 'y')
	hasM, hasT := strings.ContainsRune(s, 'm'), strings.ContainsAny(s, "hs")
	switch {
	case hasD && hasT:
		return dayTime
	case hasD:
		return dayOnly
	case hasY && hasM:
		return monthOnly
	case hasY:
		return yearOnly
	}
	return notDate
}

package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/paradero/paradero"
)

// Options for reading one file.
type Options struct {
	Filename string   // the name as given; used in errors and to pick the format
	Mapping  *Mapping // nil: map headers automatically
}

// Error is every error about the content of a file: where and why. Line is
// 1-based: the text line for CSV and JSON Lines (where a row starts, or the
// exact line inside a multi-line quoted field), the sheet row for XLSX.
// Column is 1-based: for CSV and JSON Lines the character (not byte) in
// that line where the offending field, value or character starts; for XLSX
// the sheet column (A is 1). Line or Column is 0 when the error concerns the
// whole file or row.
//
// Code names the reason for translation, with the Args its sentence takes
// (error.go lists them); "" when the reason has no code. Reason is the
// English sentence, for the command line and logs.
//
// Error wraps a paradero.Error with code EINVALID whose message is the whole
// text, so paradero.ErrorCode and paradero.ErrorMessage work on it.
type Error struct {
	File         string
	Line, Column int
	Code         string
	Args         []any
	Reason       string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Column)
		}
	}
	b.WriteString(": ")
	b.WriteString(e.Reason)
	return b.String()
}

func (e *Error) Unwrap() error {
	return &paradero.Error{Code: paradero.EINVALID, Message: e.Error()}
}

// Reader reads the records of one file, one data row at a time.
type Reader struct {
	file      string
	format    string
	mediaType string
	encoding  string
	order     DateOrder
	src       rowSource

	syn     map[string]string // automatic header table
	mapping *Mapping
	mapNorm map[string]string // mapping columns by folded header

	columns    []Column
	targets    []target // for header-based formats, one per column
	headerLine int
	strictRows bool // rows must have exactly the header's fields (CSV)

	pending *row // JSON Lines: the first object, read by Open
	keyed   map[string]target
	nrec    int
	err     error
}

// target is where one column's values go.
type target struct {
	field int    // index in paradero.RecordFields, or -1
	extra string // the extra field's name, if field is -1 and not ignored
}

var ignoreTarget = target{field: -1}

// Open reads a file's header and prepares to read its records. It detects
// the format (CSV with delimiter , ; TAB or |; XLSX; JSON Lines) from the
// content and the name, and for text formats the encoding (UTF-8 with or
// without byte-order mark, UTF-16 with one, else Windows-1252, which covers
// Latin-1), scanning the whole file once to do so; a mapping can name both.
// r must stay valid while the Reader is used; size is the file's size.
// Errors about the file's content are *Error.
func Open(r io.ReaderAt, size int64, opts Options) (*Reader, error) {
	file := opts.Filename
	if file == "" {
		file = "input"
	}
	m := opts.Mapping
	if m == nil {
		m = &Mapping{}
	}
	if err := m.validate(); err != nil {
		return nil, &Error{File: file, Reason: "mapping: " + err.Error()}
	}
	if size <= 0 {
		return nil, &Error{File: file, Code: "empty_file", Reason: "empty file"}
	}
	head := make([]byte, min(size, 8<<10))
	if n, err := r.ReadAt(head, 0); n < len(head) {
		return nil, fmt.Errorf("ingest: reading %s: %w", file, err)
	}
	rd := &Reader{file: file, order: m.DateOrder, mapping: m, syn: headerSynonyms()}
	format, err := detectFormat(file, head, m.Format)
	if err != nil {
		return nil, err
	}
	rd.format = format
	switch format {
	case "xlsx":
		rd.mediaType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
		x, err := openXLSX(file, r, size, m.Sheet)
		if err != nil {
			return nil, err
		}
		rd.src = x
	default:
		enc, err := textEncodingFor(file, r, size, head, m.Encoding)
		if err != nil {
			return nil, err
		}
		rd.encoding = enc.name
		if format == "jsonl" {
			rd.mediaType = "application/jsonl"
			rd.src = newJSONLSource(file, enc.reader(r, size))
			break
		}
		sniff, err := io.ReadAll(io.LimitReader(enc.reader(r, size), 64<<10))
		if err != nil {
			return nil, fmt.Errorf("ingest: reading %s: %w", file, err)
		}
		delim, crOnly := sniffDelimiter(sniff)
		sepLine := excelSepLine(sniff)
		if sepLine != 0 {
			delim = sepLine
		}
		if m.Delimiter != 0 {
			delim = m.Delimiter
		} else if strings.EqualFold(filepath.Ext(file), ".tsv") {
			delim = '\t'
		}
		rd.mediaType = "text/csv"
		if delim == '\t' {
			rd.mediaType = "text/tab-separated-values"
		}
		text := enc.reader(r, size)
		if crOnly {
			text = crToLF{text}
		}
		cs := newCSVSource(file, text, delim)
		if sepLine != 0 {
			if _, err := cs.next(); err != nil { // the "sep=" line
				return nil, err
			}
		}
		rd.src = cs
		rd.strictRows = true
	}
	if err := rd.readHeader(); err != nil {
		rd.src.close()
		return nil, err
	}
	return rd, nil
}

// textEncodingFor returns the encoding the mapping names, checked to fit
// the file if it is UTF-8, or the one detected.
func textEncodingFor(file string, r io.ReaderAt, size int64, head []byte, name string) (textEncoding, error) {
	if name == "" {
		return detectEncoding(file, r, size)
	}
	enc, err := namedEncoding(name)
	if err != nil {
		return textEncoding{}, &Error{File: file, Reason: "mapping: " + err.Error()}
	}
	switch {
	case enc.name == "utf-8":
		if bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}) {
			enc.skip = 3
		}
		if err := scanUTF8(file, r, size, enc.skip); err != nil {
			var e *Error
			if errors.As(err, &e) {
				e.Reason = strings.Replace(e.Reason, "though the file starts with a UTF-8 byte-order mark", "though the mapping says the file is UTF-8", 1)
			}
			return textEncoding{}, err
		}
	case enc.name == "utf-16le" && bytes.HasPrefix(head, []byte{0xFF, 0xFE}),
		enc.name == "utf-16be" && bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		enc.skip = 2
	}
	return enc, nil
}

// detectFormat picks the format: the mapping's, else what the content is
// (a zip is XLSX, a line starting with '{' is JSON Lines), else CSV. A name
// that promises a format the content is not, and formats Paradero does not
// read, are errors.
func detectFormat(file string, head []byte, want string) (string, error) {
	ext := strings.ToLower(filepath.Ext(file))
	isZip := bytes.HasPrefix(head, []byte("PK\x03\x04"))
	switch {
	case bytes.HasPrefix(head, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}):
		return "", &Error{File: file, Code: "old_excel", Reason: "an Excel 97–2003 (.xls) or password-protected workbook: save it as XLSX without a password, or as CSV"}
	case bytes.HasPrefix(head, []byte("%PDF")):
		return "", &Error{File: file, Code: "pdf", Reason: "a PDF: Paradero imports lists as CSV, XLSX or JSON Lines (keep the PDF as a source, and extract its table to CSV)"}
	case ext == ".ods" || ext == ".numbers":
		return "", &Error{File: file, Code: "sheet_format", Args: []any{ext}, Reason: fmt.Sprintf("%s files are not read: save the sheet as XLSX or CSV", ext)}
	case ext == ".xls" && !isZip:
		return "", &Error{File: file, Code: "old_excel", Reason: "an Excel 97–2003 (.xls) workbook: save it as XLSX or CSV"}
	}
	if want != "" {
		return want, nil
	}
	if isZip {
		return "xlsx", nil
	}
	if ext == ".xlsx" || ext == ".xlsm" {
		return "", &Error{File: file, Code: "not_xlsx", Args: []any{ext}, Reason: "named " + ext + " but not a workbook (an XLSX file is a zip archive)"}
	}
	switch ext {
	case ".jsonl", ".ndjson", ".json":
		return "jsonl", nil
	case ".csv", ".tsv", ".tab":
		return "csv", nil
	}
	t := bytes.TrimLeft(head, " \t\r\n\xef\xbb\xbf")
	if len(t) > 0 && t[0] == '{' {
		return "jsonl", nil
	}
	return "csv", nil
}

// Format returns "csv", "xlsx" or "jsonl".
func (r *Reader) Format() string { return r.format }

// MediaType returns the file's media type: "text/csv",
// "text/tab-separated-values", "application/jsonl" or the XLSX type.
func (r *Reader) MediaType() string { return r.mediaType }

// Encoding returns the text encoding the file was read in: "utf-8",
// "utf-8-bom", "utf-16le", "utf-16be", "windows-1252", or another WHATWG
// name a mapping gave; "" for XLSX, whose XML declares its own.
func (r *Reader) Encoding() string { return r.encoding }

// Columns returns the header and where each column goes, for a mapping
// preview. For JSON Lines it is the keys of the first object; later objects
// may add keys, which map the same way.
func (r *Reader) Columns() []Column { return append([]Column(nil), r.columns...) }

// Close releases what the Reader holds (XLSX temporary files). It does not
// close r.
func (r *Reader) Close() error { return r.src.close() }

// resolve returns the key for a header: the mapping's, else the automatic
// one, else an extra field of the same name.
func (r *Reader) resolve(name string, hasSurname bool) (key string, mapped bool) {
	if k, ok := r.mapping.Columns[name]; ok {
		return k, true
	}
	if r.mapNorm == nil {
		r.mapNorm = make(map[string]string)
		for h, k := range r.mapping.Columns {
			r.mapNorm[normHeader(h)] = k
		}
	}
	if k, ok := r.mapNorm[normHeader(name)]; ok && normHeader(name) != "" {
		return k, true
	}
	if k := autoKey(r.syn, name, hasSurname); k != "" {
		return k, false
	}
	return ExtraPrefix + name, false
}

// mapColumns resolves every name and checks that no two columns fill the
// same field.
func (r *Reader) mapColumns(names []string) ([]Column, []target, error) {
	cols := make([]Column, len(names))
	hasSurname := false
	for i, n := range names {
		cols[i].Name = n
		cols[i].Key, cols[i].Mapped = r.resolve(n, false)
		hasSurname = hasSurname || isSurnameKey(cols[i].Key)
	}
	if hasSurname {
		for i, n := range names {
			cols[i].Key, cols[i].Mapped = r.resolve(n, true)
		}
	}
	targets := make([]target, len(names))
	owner := make(map[string]int)
	for i, c := range cols {
		if c.Key == KeyIgnore {
			targets[i] = ignoreTarget
			continue
		}
		if j, dup := owner[c.Key]; dup {
			what := "field " + c.Key
			if x, ok := strings.CutPrefix(c.Key, ExtraPrefix); ok {
				what = fmt.Sprintf("extra field %q", x)
			}
			line, col := r.src.pos(i)
			return nil, nil, &Error{File: r.file, Line: line, Column: col, Code: "same_field", Args: []any{cols[j].Name, c.Name, c.Key},
				Reason: fmt.Sprintf("columns %q and %q both go to %s: say in the mapping file where each goes (or \"ignore\")", cols[j].Name, c.Name, what)}
		}
		owner[c.Key] = i
		if x, ok := strings.CutPrefix(c.Key, ExtraPrefix); ok {
			targets[i] = target{field: -1, extra: x}
			continue
		}
		for k, f := range paradero.RecordFields {
			if f.Key == c.Key {
				targets[i] = target{field: k}
			}
		}
	}
	return cols, targets, nil
}

func (r *Reader) readHeader() error {
	first, err := r.src.next()
	if err == io.EOF {
		return &Error{File: r.file, Code: "empty_file", Reason: "empty file: no header row"}
	}
	if err != nil {
		return err
	}
	r.headerLine = first.line
	if first.names != nil { // JSON Lines: no header; the first object shows the keys.
		keep := first
		keep.names = append([]string(nil), first.names...)
		keep.values = append([]string(nil), first.values...)
		r.pending = &keep
		cols, _, err := r.mapColumns(keep.names)
		if err != nil {
			return err
		}
		r.columns = cols
		r.keyed = make(map[string]target)
		return nil
	}
	width := 0
	names := make([]string, len(first.values))
	for i, v := range first.values {
		names[i] = strings.TrimSpace(strings.TrimPrefix(v, "\ufeff"))
		if names[i] != "" {
			width = i + 1
		}
	}
	names = names[:width]
	seen := make(map[string]int)
	for i, n := range names {
		line, col := r.src.pos(i)
		if n == "" {
			return &Error{File: r.file, Line: line, Column: col, Code: "header_unnamed", Args: []any{i + 1}, Reason: fmt.Sprintf("column %d of the header has no name", i+1)}
		}
		if len(n) > 1024 {
			return &Error{File: r.file, Line: line, Column: col, Code: "header_too_long", Args: []any{i + 1, len(n)}, Reason: fmt.Sprintf("column %d of the header is %d bytes long: is the first row really a header?", i+1, len(n))}
		}
		if j, dup := seen[n]; dup {
			return &Error{File: r.file, Line: line, Column: col, Code: "header_duplicate", Args: []any{j + 1, i + 1, n}, Reason: fmt.Sprintf("columns %d and %d of the header are both named %q", j+1, i+1, n)}
		}
		seen[n] = i
	}
	cols, targets, err := r.mapColumns(names)
	if err != nil {
		return err
	}
	for h := range r.mapping.Columns {
		found := false
		for _, c := range cols {
			if c.Name == h || normHeader(c.Name) == normHeader(h) {
				found = true
				break
			}
		}
		if !found {
			return &Error{File: r.file, Line: r.headerLine, Code: "mapping_column", Args: []any{h}, Reason: fmt.Sprintf("the mapping names column %q, which the header does not have", h)}
		}
	}
	r.columns, r.targets = cols, targets
	return nil
}

// Next returns the record of the next data row, or io.EOF after the last.
// Blank rows are skipped. A file with a header and no data row is an
// *Error ("no records"), not an empty success. After an error, Next keeps
// returning it.
func (r *Reader) Next() (*paradero.Record, error) {
	if r.err != nil {
		return nil, r.err
	}
	rec, err := r.next()
	if err != nil {
		if err == io.EOF && r.nrec == 0 {
			err = &Error{File: r.file, Line: r.headerLine, Code: "no_records", Reason: "no records: the file has a header but no data rows"}
		}
		r.err = err
		return nil, err
	}
	r.nrec++
	return rec, nil
}

func (r *Reader) next() (*paradero.Record, error) {
	var rw row
	if r.pending != nil {
		rw, r.pending = *r.pending, nil
	} else {
		var err error
		if rw, err = r.src.next(); err != nil {
			return nil, err
		}
	}
	targets := r.targets
	if rw.names != nil {
		var err error
		if targets, err = r.keyTargets(rw); err != nil {
			return nil, err
		}
	} else if len(rw.values) != len(targets) {
		if err := r.checkWidth(rw); err != nil {
			return nil, err
		}
	}
	rec := &paradero.Record{Row: rw.line}
	for i, v := range rw.values {
		if i >= len(targets) {
			break
		}
		t := targets[i]
		if isBlank(v) || (t.field < 0 && t.extra == "") {
			continue
		}
		if len(v) > paradero.MaxFieldBytes {
			return nil, coded(r.cellErr(rw, i, "the value is %d bytes long, over the limit of %d", len(v), paradero.MaxFieldBytes),
				"value_too_long", r.colName(rw, i), len(v), paradero.MaxFieldBytes)
		}
		if t.field < 0 {
			rec.Extra = append(rec.Extra, paradero.Field{Name: t.extra, Value: v})
			continue
		}
		f := paradero.RecordFields[t.field]
		if f.Date {
			d, err := ParseDate(v, r.order)
			if err != nil {
				return nil, coded(r.cellErr(rw, i, "%v", err), CodeBadDate, r.colName(rw, i), shorten(strings.TrimSpace(v)), err.Error())
			}
			if p := datePtr(rec, f.Key); p != nil {
				*p = d
				continue
			}
			v = d.String()
		}
		if err := f.Set(rec, v); err != nil {
			return nil, coded(r.cellErr(rw, i, "%s", paradero.ErrorMessage(err)), "bad_value", r.colName(rw, i), paradero.ErrorMessage(err))
		}
	}
	if !rec.HasIdentity() {
		return nil, &Error{File: r.file, Line: rw.line, Code: "no_identity", Reason: "the row names no one: it has no name and no document number"}
	}
	// What the source says of every row, where the row says nothing
	// itself (checked by validate: assertion fields, ISO dates).
	for _, f := range paradero.RecordFields {
		if v, ok := r.mapping.EveryRow[f.Key]; ok && f.Get(rec) == "" {
			f.Set(rec, v)
		}
	}
	if err := rec.Validate(); err != nil {
		return nil, &Error{File: r.file, Line: rw.line, Reason: paradero.ErrorMessage(err)}
	}
	return rec, nil
}

// cellErr is an error about value i of a row, naming its column.
func (r *Reader) cellErr(rw row, i int, format string, args ...any) error {
	line, col := r.src.pos(i)
	return &Error{File: r.file, Line: line, Column: col, Reason: fmt.Sprintf("column %q: ", r.colName(rw, i)) + fmt.Sprintf(format, args...)}
}

// colName is the name of the column of value i of a row.
func (r *Reader) colName(rw row, i int) string {
	switch {
	case rw.names != nil:
		return rw.names[i]
	case i < len(r.columns):
		return r.columns[i].Name
	}
	return ""
}

// checkWidth accepts a row with more fields than the header only if the
// extra ones are blank (trailing separators), and, for CSV, no row with
// fewer: a short row has lost or shifted values. XLSX rows end at their
// last non-empty cell, so they may be short.
func (r *Reader) checkWidth(rw row) error {
	n, w := len(rw.values), len(r.targets)
	if n > w {
		for i := w; i < n; i++ {
			if !isBlank(rw.values[i]) {
				line, col := r.src.pos(i)
				return &Error{File: r.file, Line: line, Column: col, Code: "too_many_columns", Args: []any{n, w, i + 1},
					Reason: fmt.Sprintf("the row has %s, the header %d: field %d has a value but no column", plural(n, "field"), w, i+1)}
			}
		}
		return nil
	}
	if r.strictRows {
		return &Error{File: r.file, Line: rw.line, Code: "too_few_columns", Args: []any{n, w},
			Reason: fmt.Sprintf("the row has %s, the header %d (a missing separator, or a value split over two rows?)", plural(n, "field"), w)}
	}
	return nil
}

// keyTargets maps the keys of one JSON object.
func (r *Reader) keyTargets(rw row) ([]target, error) {
	hasSurname := false
	keys := make([]string, len(rw.names))
	for i, n := range rw.names {
		keys[i], _ = r.resolve(n, false)
		hasSurname = hasSurname || isSurnameKey(keys[i])
	}
	targets := make([]target, len(rw.names))
	owner := make(map[string]int, len(keys))
	for i, n := range rw.names {
		k := keys[i]
		if hasSurname {
			k, _ = r.resolve(n, true)
		}
		if k == KeyIgnore {
			targets[i] = ignoreTarget
			continue
		}
		if isBlank(rw.values[i]) {
			targets[i] = ignoreTarget
			continue
		}
		if j, dup := owner[k]; dup {
			return nil, coded(r.cellErr(rw, i, "keys %q and %q both go to %s: say in the mapping file where each goes", rw.names[j], n, k),
				"same_field", rw.names[j], n, k)
		}
		owner[k] = i
		if x, ok := strings.CutPrefix(k, ExtraPrefix); ok {
			if strings.TrimSpace(x) == "" {
				return nil, coded(r.cellErr(rw, i, "a key with an empty name"), "empty_key", n)
			}
			targets[i] = target{field: -1, extra: x}
			continue
		}
		t, ok := r.keyed[k]
		if !ok {
			t = target{field: -1}
			for f, rf := range paradero.RecordFields {
				if rf.Key == k {
					t.field = f
				}
			}
			r.keyed[k] = t
		}
		targets[i] = t
	}
	return targets, nil
}

// datePtr returns the date field of rec with the key, so that a parsed date
// is stored without a round trip through its ISO text; nil for a date field
// it does not know, which then goes through RecordField.Set.
func datePtr(rec *paradero.Record, key string) *paradero.PartialDate {
	switch key {
	case "birth_date":
		return &rec.BirthDate
	case "event_from":
		return &rec.EventDate.From
	case "event_to":
		return &rec.EventDate.To
	}
	return nil
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

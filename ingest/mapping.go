package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/paradero/paradero"
)

// maxMappingBytes bounds a mapping file; a real one is a few hundred bytes.
const maxMappingBytes = 1 << 20

// Mapping overrides how a file is read: its format, encoding, delimiter and
// sheet, how its dates read, and where its columns go. docs/import.md
// documents the JSON form ParseMapping reads. The zero Mapping changes
// nothing.
type Mapping struct {
	Format    string    // "csv", "xlsx" or "jsonl"; "" to detect
	Encoding  string    // a WHATWG encoding label ("utf-8", "windows-1252", "latin1", "utf-16le"…); "" to detect
	Delimiter byte      // CSV field separator; 0 to detect
	Sheet     string    // XLSX worksheet; "" for the first
	DateOrder DateOrder // how ambiguous numeric dates read; DMY by default
	// Columns maps a header, as written or folded as automatic headers are
	// (case, accents, spaces and punctuation ignored), to a canonical field
	// key, "ignore", or "x:NAME". Columns not named map automatically.
	Columns map[string]string
	// EveryRow is what the source says of every row at once, by canonical
	// key of the fields a source asserts (EveryRowKeys): a prison's bare
	// list of names means "held at FACILITY by CUSTODIAN since DATE".
	// A row's own non-blank cell wins. Dates are ISO 8601 (YYYY,
	// YYYY-MM or YYYY-MM-DD).
	EveryRow map[string]string
}

// EveryRowKeys are the fields Mapping.EveryRow may set: what a source
// asserts, never who someone is.
var EveryRowKeys = []string{"status", "facility", "place", "custodian", "event_from", "event_to", "flight"}

// checkEveryRow checks one EveryRow entry.
func checkEveryRow(key, value string) error {
	if !slices.Contains(EveryRowKeys, key) {
		return fmt.Errorf("%q cannot be said of every row (one of %s)", key, strings.Join(EveryRowKeys, ", "))
	}
	f, _ := paradero.LookupRecordField(key)
	if f.Date {
		if _, err := paradero.ParsePartialDate(value); err != nil || value == "" {
			return fmt.Errorf("%q: %q is not an ISO date (YYYY, YYYY-MM or YYYY-MM-DD)", key, value)
		}
	}
	if strings.TrimSpace(value) == "" || len(value) > paradero.MaxFieldBytes || strings.IndexByte(value, 0) >= 0 {
		return fmt.Errorf("%q: the value is empty, too long or holds a NUL byte", key)
	}
	return nil
}

// checkKey reports whether key is something a column may map to.
func checkKey(key string) error {
	if key == KeyIgnore {
		return nil
	}
	if name, ok := strings.CutPrefix(key, ExtraPrefix); ok {
		if strings.TrimSpace(name) == "" {
			return fmt.Errorf("%q names no extra field", key)
		}
		return nil
	}
	if _, ok := paradero.LookupRecordField(key); ok {
		return nil
	}
	keys := make([]string, 0, len(paradero.RecordFields))
	for _, f := range paradero.RecordFields {
		keys = append(keys, f.Key)
	}
	return fmt.Errorf("%q is not a field key (one of %s), \"ignore\", or \"x:NAME\"", key, strings.Join(keys, ", "))
}

// validate checks a Mapping built in code as ParseMapping checks a file.
func (m *Mapping) validate() error {
	switch m.Format {
	case "", "csv", "xlsx", "jsonl":
	default:
		return fmt.Errorf("format %q is not csv, xlsx or jsonl", m.Format)
	}
	if m.Encoding != "" {
		if _, err := namedEncoding(m.Encoding); err != nil {
			return err
		}
	}
	if err := checkDelimiter(m.Delimiter); err != nil {
		return err
	}
	if m.DateOrder < DMY || m.DateOrder > YMD {
		return fmt.Errorf("date order %v is not DMY, MDY or YMD", m.DateOrder)
	}
	for h, k := range m.Columns {
		if strings.TrimSpace(h) == "" {
			return fmt.Errorf("a column with an empty name")
		}
		if err := checkKey(k); err != nil {
			return fmt.Errorf("column %q: %v", h, err)
		}
	}
	for k, v := range m.EveryRow {
		if err := checkEveryRow(k, v); err != nil {
			return fmt.Errorf("every_row: %v", err)
		}
	}
	return nil
}

func checkDelimiter(d byte) error {
	if d == 0 {
		return nil
	}
	if d >= utf8.RuneSelf || d == '"' || d == '\r' || d == '\n' || (d < 0x20 && d != '\t') || (d >= '0' && d <= '9') || (d|0x20 >= 'a' && d|0x20 <= 'z') {
		return fmt.Errorf("delimiter %q cannot separate fields (use one ASCII punctuation character, or \"tab\")", d)
	}
	return nil
}

// ParseMapping reads a mapping file (JSON; see docs/import.md). Errors are
// *Error values that give the line and column (in characters) of the
// offending value; File is the name of r if r has a Name method, as an
// *os.File does, and "mapping" otherwise.
func ParseMapping(r io.Reader) (*Mapping, error) {
	file := "mapping"
	if n, ok := r.(interface{ Name() string }); ok {
		file = n.Name()
	}
	data, err := io.ReadAll(io.LimitReader(r, maxMappingBytes+1))
	if err != nil {
		return nil, fmt.Errorf("ingest: reading %s: %w", file, err)
	}
	p := &mappingParser{file: file, data: data}
	if len(data) > maxMappingBytes {
		return nil, p.errAt(maxMappingBytes, "mapping file is longer than %d bytes", maxMappingBytes)
	}
	if !utf8.Valid(data) {
		return nil, p.errAt(firstInvalidUTF8(data), "mapping file is not UTF-8")
	}
	return p.parse()
}

func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return len(b)
}

type mappingParser struct {
	file string
	data []byte
	dec  *json.Decoder
}

func (p *mappingParser) errAt(off int, format string, args ...any) error {
	off = min(max(off, 0), len(p.data))
	for off < len(p.data) && bytes.IndexByte([]byte(" \t\r\n,:"), p.data[off]) >= 0 {
		off++
	}
	line := 1 + bytes.Count(p.data[:off], []byte{'\n'})
	col := 1 + utf8.RuneCount(p.data[bytes.LastIndexByte(p.data[:off], '\n')+1:off])
	return &Error{File: p.file, Line: line, Column: col, Reason: fmt.Sprintf(format, args...)}
}

func (p *mappingParser) token() (json.Token, int, error) {
	off := int(p.dec.InputOffset())
	t, err := p.dec.Token()
	if err != nil {
		var se *json.SyntaxError
		switch {
		case errors.As(err, &se):
			return nil, off, p.errAt(int(se.Offset)-1, "invalid JSON: %v", se)
		case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF):
			return nil, off, p.errAt(len(p.data), "invalid JSON: the file ends early")
		}
		return nil, off, p.errAt(off, "invalid JSON: %v", err)
	}
	return t, off, nil
}

func (p *mappingParser) str(what string) (string, int, error) {
	t, off, err := p.token()
	if err != nil {
		return "", off, err
	}
	s, ok := t.(string)
	if !ok {
		return "", off, p.errAt(off, "%s must be a string", what)
	}
	return s, off, nil
}

func (p *mappingParser) openObject(what string) error {
	t, off, err := p.token()
	if err != nil {
		return err
	}
	if d, ok := t.(json.Delim); !ok || d != '{' {
		return p.errAt(off, "%s must be a JSON object", what)
	}
	return nil
}

func (p *mappingParser) parse() (*Mapping, error) {
	p.dec = json.NewDecoder(bytes.NewReader(p.data))
	if err := p.openObject("the mapping"); err != nil {
		return nil, err
	}
	m := &Mapping{}
	seen := make(map[string]bool)
	for p.dec.More() {
		key, off, err := p.str("a key")
		if err != nil {
			return nil, err
		}
		if seen[key] {
			return nil, p.errAt(off, "%q appears twice", key)
		}
		seen[key] = true
		switch key {
		case "format", "encoding", "delimiter", "sheet", "date_order":
			v, voff, err := p.str(fmt.Sprintf("%q", key))
			if err != nil {
				return nil, err
			}
			if err := p.setOption(m, key, v); err != nil {
				return nil, p.errAt(voff, "%v", err)
			}
		case "columns":
			if err := p.columns(m); err != nil {
				return nil, err
			}
		case "every_row":
			if err := p.everyRow(m); err != nil {
				return nil, err
			}
		default:
			return nil, p.errAt(off, "unknown key %q (the mapping has format, encoding, delimiter, sheet, date_order, columns and every_row)", key)
		}
	}
	if _, _, err := p.token(); err != nil {
		return nil, err
	}
	if end := int(p.dec.InputOffset()); len(bytes.TrimSpace(p.data[end:])) > 0 {
		return nil, p.errAt(end, "text after the mapping object")
	}
	return m, nil
}

func (p *mappingParser) setOption(m *Mapping, key, v string) error {
	switch key {
	case "format":
		switch v {
		case "csv", "xlsx", "jsonl":
			m.Format = v
		default:
			return fmt.Errorf("format %q is not csv, xlsx or jsonl", v)
		}
	case "encoding":
		if _, err := namedEncoding(v); err != nil {
			return err
		}
		m.Encoding = v
	case "delimiter":
		switch {
		case strings.EqualFold(v, "tab") || v == "\t":
			m.Delimiter = '\t'
		case len(v) == 1:
			if err := checkDelimiter(v[0]); err != nil {
				return err
			}
			m.Delimiter = v[0]
		default:
			return fmt.Errorf("delimiter %q is not one character (use \",\", \";\", \"tab\", \"|\"…)", v)
		}
	case "sheet":
		m.Sheet = v
	case "date_order":
		o, err := ParseDateOrder(v)
		if err != nil {
			return err
		}
		m.DateOrder = o
	}
	return nil
}

func (p *mappingParser) columns(m *Mapping) error {
	if err := p.openObject(`"columns"`); err != nil {
		return err
	}
	if m.Columns == nil {
		m.Columns = make(map[string]string)
	}
	for p.dec.More() {
		h, off, err := p.str("a column name")
		if err != nil {
			return err
		}
		if strings.TrimSpace(h) == "" {
			return p.errAt(off, "a column with an empty name")
		}
		if _, dup := m.Columns[h]; dup {
			return p.errAt(off, "column %q appears twice", h)
		}
		k, koff, err := p.str(fmt.Sprintf("the key of column %q", h))
		if err != nil {
			return err
		}
		if err := checkKey(k); err != nil {
			return p.errAt(koff, "column %q: %v", h, err)
		}
		m.Columns[h] = k
	}
	_, _, err := p.token()
	return err
}

func (p *mappingParser) everyRow(m *Mapping) error {
	if err := p.openObject(`"every_row"`); err != nil {
		return err
	}
	m.EveryRow = make(map[string]string)
	for p.dec.More() {
		k, off, err := p.str("a field key")
		if err != nil {
			return err
		}
		if _, dup := m.EveryRow[k]; dup {
			return p.errAt(off, "every_row: %q appears twice", k)
		}
		v, voff, err := p.str(fmt.Sprintf("the value of %q", k))
		if err != nil {
			return err
		}
		if err := checkEveryRow(k, v); err != nil {
			if !slices.Contains(EveryRowKeys, k) {
				voff = off
			}
			return p.errAt(voff, "every_row: %v", err)
		}
		m.EveryRow[k] = v
	}
	_, _, err := p.token()
	return err
}

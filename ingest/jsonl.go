package ingest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// jsonlSource reads JSON Lines: one flat JSON object per line, values
// strings, numbers (kept as written), booleans or null (empty).
type jsonlSource struct {
	file   string
	br     *bufio.Reader
	line   int // the number of the next line
	cur    []byte
	curNo  int
	offs   []int // offset in cur of each key
	names  []string
	values []string
}

func newJSONLSource(file string, r io.Reader) *jsonlSource {
	return &jsonlSource{file: file, br: bufio.NewReaderSize(r, 64<<10), line: 1}
}

func (j *jsonlSource) close() error { return nil }

func (j *jsonlSource) pos(i int) (int, int) {
	if i < 0 || i >= len(j.offs) {
		return j.curNo, 0
	}
	return j.curNo, j.col(j.offs[i])
}

func (j *jsonlSource) col(off int) int {
	off = min(max(off, 0), len(j.cur))
	// Skip separators to the token itself.
	for off < len(j.cur) && bytes.IndexByte([]byte(" \t\r,:{"), j.cur[off]) >= 0 {
		off++
	}
	return 1 + utf8.RuneCount(j.cur[:off])
}

func (j *jsonlSource) errAt(off int, format string, args ...any) error {
	return &Error{File: j.file, Line: j.curNo, Column: j.col(off), Reason: fmt.Sprintf(format, args...)}
}

func (j *jsonlSource) readLine() (bool, error) {
	j.cur = j.cur[:0]
	for {
		b, err := j.br.ReadSlice('\n')
		j.cur = append(j.cur, b...)
		if len(j.cur) > MaxRowBytes {
			return false, &Error{File: j.file, Line: j.line, Code: "row_too_long", Args: []any{MaxRowBytes}, Reason: fmt.Sprintf("line is longer than %d bytes", MaxRowBytes)}
		}
		if err == nil {
			break
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err == io.EOF {
			if len(j.cur) == 0 {
				return false, nil
			}
			break
		}
		return false, fmt.Errorf("ingest: reading %s: %w", j.file, err)
	}
	j.curNo = j.line
	j.line++
	for i, ch := range j.cur {
		if ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r' {
			return false, coded(j.errAt(i, "control character 0x%02X: this is not a text file, or it is damaged", ch), "not_text", fmt.Sprintf("control character 0x%02X", ch))
		}
	}
	return true, nil
}

func (j *jsonlSource) next() (row, error) {
	for {
		ok, err := j.readLine()
		if err != nil {
			return row{}, err
		}
		if !ok {
			return row{}, io.EOF
		}
		if len(bytes.TrimSpace(j.cur)) == 0 {
			continue
		}
		if err := j.parse(); err != nil {
			return row{}, err
		}
		blank := true
		for _, v := range j.values {
			if !isBlank(v) {
				blank = false
				break
			}
		}
		if blank {
			continue
		}
		return row{line: j.curNo, names: j.names, values: j.values}, nil
	}
}

func (j *jsonlSource) parse() error {
	j.offs, j.names, j.values = j.offs[:0], j.names[:0], j.values[:0]
	dec := json.NewDecoder(bytes.NewReader(j.cur))
	dec.UseNumber()
	syntax := func(err error) error {
		end := len(bytes.TrimRight(j.cur, "\r\n"))
		var se *json.SyntaxError
		// A line that ends inside the object: io.ErrUnexpectedEOF from
		// some Go releases, a syntax error at the end from others.
		if errors.Is(err, io.ErrUnexpectedEOF) || err == io.EOF || (errors.As(err, &se) && int(se.Offset) >= end) {
			return coded(j.errAt(end, "invalid JSON: the object is not closed on this line"), CodeUnclosedJSON)
		}
		if se != nil {
			return coded(j.errAt(int(se.Offset)-1, "invalid JSON: %v", se), "bad_json", se.Error())
		}
		return coded(j.errAt(int(dec.InputOffset()), "invalid JSON: %v", err), "bad_json", err.Error())
	}
	tok, err := dec.Token()
	if err != nil {
		return syntax(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		if d == '[' {
			return coded(j.errAt(0, "a JSON array: JSON Lines has one object per line"), "json_array")
		}
		return coded(j.errAt(0, "not a JSON object: JSON Lines has one object per line"), "not_json_object")
	}
	seen := make(map[string]bool)
	for dec.More() {
		off := int(dec.InputOffset())
		tok, err := dec.Token()
		if err != nil {
			return syntax(err)
		}
		key := tok.(string)
		if seen[key] {
			return coded(j.errAt(off, "key %q appears twice in the object", key), "duplicate_key", key)
		}
		seen[key] = true
		vOff := int(dec.InputOffset())
		tok, err = dec.Token()
		if err != nil {
			return syntax(err)
		}
		var v string
		switch t := tok.(type) {
		case string:
			v = t
		case json.Number:
			v = t.String()
		case bool:
			v = fmt.Sprint(t)
		case nil:
		case json.Delim:
			return coded(j.errAt(vOff, "the value of %q is an %s: JSON Lines rows must be flat", key, map[json.Delim]string{'{': "object", '[': "array"}[t]), "nested_value", key)
		}
		j.offs = append(j.offs, off)
		j.names = append(j.names, key)
		j.values = append(j.values, v)
	}
	if _, err := dec.Token(); err != nil {
		return syntax(err)
	}
	end := int(dec.InputOffset())
	if rest := bytes.TrimSpace(j.cur[end:]); len(rest) > 0 {
		return coded(j.errAt(end, "text after the object: JSON Lines has one object per line"), "text_after_json")
	}
	return nil
}

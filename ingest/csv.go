package ingest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// MaxRowBytes bounds one row of a text file (a CSV record, with every line a
// quoted field spans, or a JSON Lines line). A real row is a few hundred
// bytes; a longer one is a broken file, most often a quote never closed.
const MaxRowBytes = 4 << 20

// row is one row of a file: a CSV record, an XLSX sheet row or a JSON
// object. names is nil when the values follow the header.
type row struct {
	line   int
	names  []string
	values []string
}

// rowSource yields the rows of a file in order.
type rowSource interface {
	// next returns the next row that is not blank, or io.EOF.
	next() (row, error)
	// pos returns where value i of the last row starts.
	pos(i int) (line, col int)
	close() error
}

// csvSource reads RFC 4180 CSV with any one-byte delimiter, streaming.
// Beyond RFC 4180 it accepts LF or CRLF line ends, and a quote inside an
// unquoted field as a literal character (5'10"). It is strict where leniency
// would lose data silently: text after a closing quote, a quote never closed
// and control characters are errors.
type csvSource struct {
	file  string
	br    *bufio.Reader
	delim byte
	line  int // the number of the next physical line
	eof   bool

	// The current record.
	raw        []byte // its physical lines as read
	lineStarts []int  // offset in raw of each physical line
	startLine  int
	starts     []int // offset in raw of each field
	val        []byte
	ends       []int // end of each field in val
	values     []string
}

func newCSVSource(file string, r io.Reader, delim byte) *csvSource {
	return &csvSource{file: file, br: bufio.NewReaderSize(r, 64<<10), delim: delim, line: 1}
}

func (c *csvSource) close() error { return nil }

func (c *csvSource) errAt(off int, format string, args ...any) error {
	line, col := c.posOf(off)
	return &Error{File: c.file, Line: line, Column: col, Reason: fmt.Sprintf(format, args...)}
}

func (c *csvSource) posOf(off int) (line, col int) {
	i := len(c.lineStarts) - 1
	for i > 0 && c.lineStarts[i] > off {
		i--
	}
	return c.startLine + i, 1 + utf8.RuneCount(c.raw[c.lineStarts[i]:off])
}

func (c *csvSource) pos(i int) (line, col int) {
	if i < 0 || i >= len(c.starts) {
		return c.startLine, 0
	}
	return c.posOf(c.starts[i])
}

// readLine appends the next physical line to raw. It reports false at the
// end of the input.
func (c *csvSource) readLine() (bool, error) {
	if c.eof {
		return false, nil
	}
	start := len(c.raw)
	c.lineStarts = append(c.lineStarts, start)
	for {
		b, err := c.br.ReadSlice('\n')
		c.raw = append(c.raw, b...)
		if len(c.raw) > MaxRowBytes {
			return false, &Error{File: c.file, Line: c.startLine, Code: "row_too_long", Args: []any{MaxRowBytes}, Reason: fmt.Sprintf("row is longer than %d bytes (is a quote left open?)", MaxRowBytes)}
		}
		if err == nil {
			break
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err == io.EOF {
			c.eof = true
			if len(c.raw) == start {
				c.lineStarts = c.lineStarts[:len(c.lineStarts)-1]
				return false, nil
			}
			break
		}
		return false, fmt.Errorf("ingest: reading %s: %w", c.file, err)
	}
	c.line++
	// Control characters other than tab, CR and LF mean the file is not text.
	for i, ch := range c.raw[start:] {
		if ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r' {
			name := fmt.Sprintf("control character 0x%02X", ch)
			if ch == 0 {
				name = "NUL byte"
			}
			return false, coded(c.errAt(start+i, "%s: this is not a text file, or it is damaged", name), "not_text", name)
		}
	}
	return true, nil
}

// lineEnd reports whether raw[p:] is the end of a line: nothing, LF or CRLF.
func (c *csvSource) lineEnd(p int) bool {
	r := c.raw[p:]
	return len(r) == 0 || r[0] == '\n' || (r[0] == '\r' && (len(r) == 1 || r[1] == '\n'))
}

func (c *csvSource) next() (row, error) {
	for {
		c.raw, c.lineStarts, c.starts, c.val, c.ends = c.raw[:0], c.lineStarts[:0], c.starts[:0], c.val[:0], c.ends[:0]
		c.startLine = c.line
		ok, err := c.readLine()
		if err != nil {
			return row{}, err
		}
		if !ok {
			return row{}, io.EOF
		}
		if err := c.parse(); err != nil {
			return row{}, err
		}
		s := string(c.val)
		c.values = c.values[:0]
		blank := true
		prev := 0
		for _, e := range c.ends {
			v := s[prev:e]
			prev = e
			c.values = append(c.values, v)
			if !isBlank(v) {
				blank = false
			}
		}
		if blank {
			continue
		}
		return row{line: c.startLine, values: c.values}, nil
	}
}

// parse splits the record in raw (reading more lines for quoted fields that
// span them) into fields.
func (c *csvSource) parse() error {
	p := 0
	for {
		c.starts = append(c.starts, p)
		if p < len(c.raw) && c.raw[p] == '"' {
			open := p
			p++
			for {
				q := bytes.IndexByte(c.raw[p:], '"')
				if q < 0 {
					c.val = append(c.val, c.raw[p:]...)
					p = len(c.raw)
					more, err := c.readLine()
					if err != nil {
						return err
					}
					if !more {
						return coded(c.errAt(open, "quoted field is never closed (the quote opened here runs to the end of the file)"), "unclosed_quote")
					}
					continue
				}
				q += p
				c.val = append(c.val, c.raw[p:q]...)
				if q+1 < len(c.raw) && c.raw[q+1] == '"' {
					c.val = append(c.val, '"')
					p = q + 2
					continue
				}
				p = q + 1
				break
			}
			c.ends = append(c.ends, len(c.val))
			if c.lineEnd(p) {
				return nil
			}
			if c.raw[p] != c.delim {
				return coded(c.errAt(p, "unexpected %q after the closing quote of field %d (a quote inside a quoted field must be doubled)", c.raw[p], len(c.starts)),
					"text_after_quote", string(rune(c.raw[p])), len(c.starts))
			}
			p++
			continue
		}
		q := p
		for q < len(c.raw) && c.raw[q] != c.delim && !c.lineEnd(q) {
			q++
		}
		c.val = append(c.val, c.raw[p:q]...)
		c.ends = append(c.ends, len(c.val))
		if q >= len(c.raw) || c.raw[q] != c.delim {
			return nil
		}
		p = q + 1
	}
}

// sniffDelimiter picks the delimiter of a CSV file from its first row: the
// one of , ; TAB | that occurs most often outside quotes, preferring them in
// that order on a tie, and ',' if none occurs. It also reports whether lines
// end in a lone CR (classic Mac), which the reader then treats as LF.
func sniffDelimiter(head []byte) (delim byte, crOnly bool) {
	candidates := []byte{',', ';', '\t', '|'}
	counts := make([]int, len(candidates))
	inQuote := false
	seen := false
	for i := 0; i < len(head); i++ {
		ch := head[i]
		if ch == '"' {
			inQuote = !inQuote
			continue
		}
		if inQuote {
			continue
		}
		if ch == '\n' || ch == '\r' {
			if seen {
				break
			}
			continue
		}
		seen = true
		for k, d := range candidates {
			if ch == d {
				counts[k]++
			}
		}
	}
	best := 0
	for k := range candidates {
		if counts[k] > counts[best] {
			best = k
		}
	}
	crOnly = bytes.IndexByte(head, '\r') >= 0 && bytes.IndexByte(head, '\n') < 0
	return candidates[best], crOnly
}

// excelSepLine returns the delimiter an Excel "sep=;" first line declares,
// or 0 if the file has none.
func excelSepLine(head []byte) byte {
	line, _, _ := bytes.Cut(head, []byte{'\n'})
	line = bytes.TrimRight(line, "\r")
	if len(line) == 5 && bytes.EqualFold(line[:4], []byte("sep=")) && checkDelimiter(line[4]) == nil {
		return line[4]
	}
	return 0
}

// crToLF reads classic Mac text, whose lines end in CR, as LF-ended lines.
type crToLF struct{ r io.Reader }

func (c crToLF) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	for i := range p[:n] {
		if p[i] == '\r' {
			p[i] = '\n'
		}
	}
	return n, err
}

// isBlank reports whether a value says nothing: empty or only white space.
func isBlank(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\r', '\n':
		default:
			return isBlankSlow(s[i:])
		}
	}
	return true
}

func isBlankSlow(s string) bool {
	for _, r := range s {
		switch r {
		case ' ', '\t', '\r', '\n', '\u00a0', '\u2007', '\u202f', '\u3000', '\ufeff':
		default:
			return false
		}
	}
	return true
}

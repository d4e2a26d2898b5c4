package ingest

import (
	"bytes"
	"fmt"
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// scanChunk is how much of the file the encoding scan reads at a time.
const scanChunk = 1 << 20

// textEncoding is how a text file's bytes become UTF-8.
type textEncoding struct {
	name string // "utf-8", "utf-8-bom", "utf-16le", "windows-1252", …
	skip int64  // bytes of byte-order mark to skip
	dec  encoding.Encoding
}

// decoder returns the file's content from its start as UTF-8.
func (e textEncoding) reader(r io.ReaderAt, size int64) io.Reader {
	sr := io.NewSectionReader(r, e.skip, size-e.skip)
	if e.dec == nil {
		return sr
	}
	return transform.NewReader(sr, e.dec.NewDecoder())
}

// namedEncoding returns the encoding a mapping file names. Names are the
// WHATWG Encoding Standard labels ("utf-8", "windows-1252", "latin1",
// "iso-8859-1", "utf-16le", …); as there, Latin-1 is read as Windows-1252,
// its superset.
func namedEncoding(name string) (textEncoding, error) {
	e, err := htmlindex.Get(name)
	if err != nil {
		return textEncoding{}, fmt.Errorf("encoding %q is not known (try utf-8, windows-1252, utf-16le)", name)
	}
	canon, _ := htmlindex.Name(e)
	switch canon {
	case "utf-8":
		return textEncoding{name: "utf-8"}, nil
	case "utf-16le":
		return textEncoding{name: canon, dec: unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)}, nil
	case "utf-16be":
		return textEncoding{name: canon, dec: unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)}, nil
	}
	return textEncoding{name: canon, dec: e}, nil
}

// detectEncoding decides how the file's bytes are text. A byte-order mark
// decides: UTF-8, UTF-16LE or UTF-16BE. Otherwise the whole file is scanned
// once (in constant memory): valid UTF-8 is UTF-8; bytes that are not UTF-8,
// in a file with no UTF-8 multi-byte sequence, are Windows-1252 (which
// includes Latin-1's printable characters). A NUL byte, a mix of UTF-8 and
// other bytes, or a byte Windows-1252 leaves undefined is an error: the file
// is not text, or its encoding must be named in the mapping.
func detectEncoding(file string, r io.ReaderAt, size int64) (textEncoding, error) {
	head := make([]byte, 4)
	n, _ := r.ReadAt(head, 0)
	head = head[:n]
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		if err := scanUTF8(file, r, size, 3); err != nil {
			return textEncoding{}, err
		}
		return textEncoding{name: "utf-8-bom", skip: 3}, nil
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		return textEncoding{name: "utf-16le", skip: 2, dec: unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)}, nil
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return textEncoding{name: "utf-16be", skip: 2, dec: unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)}, nil
	}
	s := newScanner(file)
	chunk := int(min(size, scanChunk))
	buf := make([]byte, chunk+utf8.UTFMax)
	carry := 0
	for off := int64(0); off < size; {
		n, err := r.ReadAt(buf[carry:carry+chunk], off)
		if n == 0 && err != nil {
			if err == io.EOF {
				break
			}
			return textEncoding{}, fmt.Errorf("ingest: reading %s: %w", file, err)
		}
		off += int64(n)
		end := carry + n
		final := off >= size || (err == io.EOF)
		used, serr := s.scan(buf[:end], final)
		if serr != nil {
			return textEncoding{}, serr
		}
		carry = copy(buf, buf[used:end])
		if final {
			break
		}
	}
	if s.firstBad.line > 0 {
		if s.firstMulti.line > 0 {
			return textEncoding{}, &Error{File: file, Line: s.firstBad.line, Column: s.firstBad.col,
				Code: "mixed_encoding", Args: []any{fmt.Sprintf("0x%02X", s.firstBadByte), s.firstMulti.line},
				Reason: fmt.Sprintf("byte 0x%02X is not UTF-8, yet line %d is UTF-8: the file mixes encodings; convert it to UTF-8, or name its encoding in the mapping", s.firstBadByte, s.firstMulti.line)}
		}
		if s.undefined.line > 0 {
			return textEncoding{}, &Error{File: file, Line: s.undefined.line, Column: s.undefined.col,
				Code: "unknown_encoding", Args: []any{fmt.Sprintf("0x%02X", s.undefinedByte)},
				Reason: fmt.Sprintf("byte 0x%02X is neither UTF-8 nor Windows-1252: unknown text encoding; convert the file to UTF-8, or name its encoding in the mapping", s.undefinedByte)}
		}
		return textEncoding{name: "windows-1252", dec: charmap.Windows1252}, nil
	}
	return textEncoding{name: "utf-8"}, nil
}

type textPos struct{ line, col int }

// scanner walks the raw bytes of a file once, keeping line and column.
type scanner struct {
	file          string
	line, col     int
	firstBad      textPos // first byte that is not UTF-8
	firstBadByte  byte
	firstMulti    textPos // first valid multi-byte UTF-8 sequence
	undefined     textPos // first byte undefined in Windows-1252
	undefinedByte byte
}

func newScanner(file string) *scanner { return &scanner{file: file, line: 1, col: 1} }

// scan examines b and returns how many bytes it consumed; an incomplete
// UTF-8 sequence at the end is left for the next call unless final.
func (s *scanner) scan(b []byte, final bool) (int, error) {
	if n, ok := s.fast(b, final); ok {
		return n, nil
	}
	i := 0
	for i < len(b) {
		c := b[i]
		if c < utf8.RuneSelf {
			if c == 0 {
				return i, &Error{File: s.file, Line: s.line, Column: s.col, Code: "nul_byte",
					Reason: "NUL byte: this is not a text file (a spreadsheet saved as UTF-16 without a byte-order mark must name its encoding in the mapping)"}
			}
			if c == '\n' {
				s.line++
				s.col = 1
			} else {
				s.col++
			}
			i++
			continue
		}
		if !final && !utf8.FullRune(b[i:]) {
			return i, nil
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			if s.firstBad.line == 0 {
				s.firstBad, s.firstBadByte = textPos{s.line, s.col}, c
			}
			switch c {
			case 0x81, 0x8D, 0x8F, 0x90, 0x9D:
				if s.undefined.line == 0 {
					s.undefined, s.undefinedByte = textPos{s.line, s.col}, c
				}
			}
		} else if s.firstMulti.line == 0 {
			s.firstMulti = textPos{s.line, s.col}
		}
		s.col++
		i += size
	}
	return i, nil
}

// fast consumes b at memory speed when it is valid UTF-8 without NUL bytes
// and tells nothing new about the encoding (no multi-byte sequence, or one
// was seen already).
func (s *scanner) fast(b []byte, final bool) (int, bool) {
	end := len(b)
	if !final {
		for k := len(b) - 1; k >= 0 && k >= len(b)-utf8.UTFMax; k-- {
			if utf8.RuneStart(b[k]) {
				if !utf8.FullRune(b[k:]) {
					end = k
				}
				break
			}
		}
	}
	b = b[:end]
	if bytes.IndexByte(b, 0) >= 0 || !utf8.Valid(b) {
		return 0, false
	}
	if s.firstMulti.line == 0 && !isASCII(b) {
		return 0, false
	}
	if nl := bytes.Count(b, []byte{'\n'}); nl > 0 {
		s.line += nl
		s.col = 1 + utf8.RuneCount(b[bytes.LastIndexByte(b, '\n')+1:])
	} else {
		s.col += utf8.RuneCount(b)
	}
	return end, true
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// scanUTF8 checks that a file with a UTF-8 byte-order mark is UTF-8.
func scanUTF8(file string, r io.ReaderAt, size, skip int64) error {
	s := newScanner(file)
	chunk := int(min(max(size-skip, 1), scanChunk))
	buf := make([]byte, chunk+utf8.UTFMax)
	carry := 0
	for off := skip; off < size; {
		n, err := r.ReadAt(buf[carry:carry+chunk], off)
		if n == 0 && err != nil {
			if err == io.EOF {
				break
			}
			return fmt.Errorf("ingest: reading %s: %w", file, err)
		}
		off += int64(n)
		end := carry + n
		final := off >= size || err == io.EOF
		used, serr := s.scan(buf[:end], final)
		if serr != nil {
			return serr
		}
		if s.firstBad.line > 0 {
			return &Error{File: file, Line: s.firstBad.line, Column: s.firstBad.col,
				Code: "bad_utf8", Args: []any{fmt.Sprintf("0x%02X", s.firstBadByte)},
				Reason: fmt.Sprintf("byte 0x%02X is not UTF-8, though the file starts with a UTF-8 byte-order mark", s.firstBadByte)}
		}
		carry = copy(buf, buf[used:end])
		if final {
			break
		}
	}
	return nil
}

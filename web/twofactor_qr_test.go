package web

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestQRMatchesLibqrencode compares the encoder with libqrencode's output,
// module for module. testdata/qr/NAME.txt holds the input on its first line
// and then the symbol ('#' dark), made by
//
//	qrencode -8 -l M -m 0 -t ASCII -r INPUT     (qrencode 4.1.1, Debian)
//
// Encoders may choose different masks (both minimise §7.8.3's penalty,
// counted a little differently), so the symbol is encoded with the mask
// libqrencode chose, read from its format information.
func TestQRMatchesLibqrencode(t *testing.T) {
	files, err := filepath.Glob("testdata/qr/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden QR codes: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
		input, rows := lines[0], lines[1:]
		want := make([][]bool, len(rows))
		for y, r := range rows {
			want[y] = make([]bool, len(r))
			for x, c := range r {
				want[y][x] = c == '#'
			}
		}
		_, mask, err := readFormat(want)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		q, err := encodeQRMask([]byte(input), mask)
		if err != nil {
			t.Fatal(err)
		}
		if q.size != len(want) {
			t.Errorf("%s: size %d, want %d", f, q.size, len(want))
			continue
		}
		diff := 0
		for y := range want {
			for x := range want {
				if q.dark[y][x] != want[y][x] {
					diff++
				}
			}
		}
		if diff != 0 {
			t.Errorf("%s: %d modules differ from libqrencode's", f, diff)
		}
		// Whatever mask the encoder picks itself, the symbol decodes.
		auto, err := encodeQR([]byte(input))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := decodeQR(auto.dark); err != nil || got != input {
			t.Errorf("%s: decoding the encoder's own choice = %q, %v", f, got, err)
		}
	}
}

// TestQRRoundTrip encodes, at every version's boundary, the longest input
// that fits and one byte more, decodes each symbol (format information,
// mask, placement, Reed–Solomon syndromes, the byte segment) and checks
// the version chosen.
func TestQRRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for ver := 1; ver <= 40; ver++ {
		countBits := 8
		if ver >= 10 {
			countBits = 16
		}
		fit := (8*qrDataCodewords(ver) - 4 - countBits) / 8
		for _, n := range []int{fit, fit + 1} {
			if ver == 40 && n > fit {
				if _, err := encodeQR(make([]byte, n)); err == nil {
					t.Errorf("%d bytes encoded; the largest QR code holds %d", n, fit)
				}
				continue
			}
			data := make([]byte, n)
			for i := range data {
				data[i] = byte(r.UintN(256))
			}
			q, err := encodeQR(data)
			if err != nil {
				t.Fatalf("%d bytes: %v", n, err)
			}
			wantVer := ver
			if n > fit {
				wantVer++
			}
			if got := (q.size - 17) / 4; got != wantVer {
				t.Errorf("%d bytes: version %d, want %d", n, got, wantVer)
			}
			got, err := decodeQR(q.dark)
			if err != nil || got != string(data) {
				t.Errorf("version %d, %d bytes: decoded %d bytes, %v", wantVer, n, len(got), err)
			}
		}
	}
	if got := qrDataCodewords(40); got != 2334 {
		t.Errorf("version 40-M holds %d data codewords, want 2334 (Table 7)", got)
	}
}

// TestQRSVG checks that the SVG is well-formed, labelled, has a quiet zone,
// and draws exactly the dark modules.
func TestQRSVG(t *testing.T) {
	q, err := encodeQR([]byte("otpauth://totp/Paradero:a@example.org?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(q.svg(`QR <"&">`))
	var doc struct {
		XMLName xml.Name `xml:"svg"`
		ViewBox string   `xml:"viewBox,attr"`
		Role    string   `xml:"role,attr"`
		Label   string   `xml:"aria-label,attr"`
		Path    struct {
			D string `xml:"d,attr"`
		} `xml:"path"`
	}
	if err := xml.Unmarshal([]byte(s), &doc); err != nil {
		t.Fatalf("the SVG does not parse: %v", err)
	}
	side := q.size + 8
	if doc.ViewBox != fmt.Sprintf("0 0 %d %d", side, side) || doc.Role != "img" || doc.Label != `QR <"&">` {
		t.Errorf("svg viewBox %q role %q label %q", doc.ViewBox, doc.Role, doc.Label)
	}
	drawn := make([][]bool, q.size)
	for i := range drawn {
		drawn[i] = make([]bool, q.size)
	}
	runs := regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-(\d+)z`).FindAllStringSubmatch(doc.Path.D, -1)
	if strings.Join(regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-(\d+)z`).Split(doc.Path.D, -1), "") != "" {
		t.Fatalf("the path has more than runs: %.80s", doc.Path.D)
	}
	for _, m := range runs {
		x, _ := strconv.Atoi(m[1])
		y, _ := strconv.Atoi(m[2])
		n, _ := strconv.Atoi(m[3])
		for i := range n {
			mx, my := x+i-4, y-4
			if mx < 0 || my < 0 || mx >= q.size || my >= q.size || drawn[my][mx] {
				t.Fatalf("a run at %d,%d leaves the symbol or overlaps", x, y)
			}
			drawn[my][mx] = true
		}
	}
	for y := range q.size {
		for x := range q.size {
			if drawn[y][x] != q.dark[y][x] {
				t.Fatalf("module %d,%d: drawn %v, dark %v", x, y, drawn[y][x], q.dark[y][x])
			}
		}
	}
}

// The decoder below reads a symbol as a scanner does once it has the
// modules: it trusts nothing but the format and version information, and
// checks the Reed–Solomon codewords by their syndromes.

// readFormat reads both copies of the format information and returns the
// error correction level's bits and the mask. The copies must agree.
func readFormat(m [][]bool) (level, mask int, err error) {
	n := len(m)
	get := func(x, y int) int {
		if m[y][x] {
			return 1
		}
		return 0
	}
	var a, b int
	for i := range 6 {
		a |= get(8, i) << i
	}
	a |= get(8, 7)<<6 | get(8, 8)<<7 | get(7, 8)<<8
	for i := 9; i < 15; i++ {
		a |= get(14-i, 8) << i
	}
	for i := range 8 {
		b |= get(n-1-i, 8) << i
	}
	for i := 8; i < 15; i++ {
		b |= get(8, n-15+i) << i
	}
	if a != b {
		return 0, 0, fmt.Errorf("format copies differ: %015b, %015b", a, b)
	}
	for data := range 32 {
		rem := data
		for range 10 {
			rem = rem<<1 ^ (rem>>9)*0x537
		}
		if (data<<10|rem)^0x5412 == a {
			return data >> 3, data & 7, nil
		}
	}
	return 0, 0, fmt.Errorf("format bits %015b are no BCH codeword", a)
}

func decodeQR(m [][]bool) (string, error) {
	n := len(m)
	ver := (n - 17) / 4
	level, mask, err := readFormat(m)
	if err != nil {
		return "", err
	}
	if level != qrFormatLevelM {
		return "", fmt.Errorf("level bits %02b, want M", level)
	}
	if ver >= 7 {
		v1, v2 := 0, 0
		for i := range 18 {
			a, b := n-11+i%3, i/3
			if m[b][a] {
				v1 |= 1 << i
			}
			if m[a][b] {
				v2 |= 1 << i
			}
		}
		if v1 != v2 || v1>>12 != ver {
			return "", fmt.Errorf("version information %x, %x; want version %d", v1, v2, ver)
		}
	}
	fn := newQR(ver).fn
	var bits []bool
	for right := n - 1; right >= 1; right -= 2 {
		if right == 6 {
			right--
		}
		for v := range n {
			y := v
			if (right+1)&2 == 0 {
				y = n - 1 - v
			}
			for _, x := range []int{right, right - 1} {
				if !fn[y][x] {
					bits = append(bits, m[y][x] != qrMask(mask, x, y))
				}
			}
		}
	}
	raw := make([]byte, qrRawModules(ver)/8)
	for i := range raw {
		for j := range 8 {
			if bits[8*i+j] {
				raw[i] |= 0x80 >> j
			}
		}
	}
	// De-interleave into blocks and check each block's syndromes: the
	// codeword polynomial vanishes at α^0 … α^(ecc−1).
	nb, ecc := qrBlocks[ver], qrECCPerBlock[ver]
	short := nb - len(raw)%nb
	shortData := len(raw)/nb - ecc
	blocks := make([][]byte, nb)
	k := 0
	for i := 0; i <= shortData; i++ {
		for j := range blocks {
			if i < shortData || j >= short {
				blocks[j] = append(blocks[j], raw[k])
				k++
			}
		}
	}
	for range ecc {
		for j := range blocks {
			blocks[j] = append(blocks[j], raw[k])
			k++
		}
	}
	var data []byte
	for j, b := range blocks {
		alpha := byte(1)
		for i := range ecc {
			var s byte
			for _, c := range b {
				s = gfMul(s, alpha) ^ c
			}
			if s != 0 {
				return "", fmt.Errorf("block %d: syndrome %d is %d", j, i, s)
			}
			alpha = gfMul(alpha, 2)
		}
		data = append(data, b[:len(b)-ecc]...)
	}
	r := bitReader{data: data}
	if mode := r.read(4); mode != 0b0100 {
		return "", fmt.Errorf("mode %04b, want byte mode", mode)
	}
	count := 8
	if ver >= 10 {
		count = 16
	}
	length := r.read(count)
	var out bytes.Buffer
	for range length {
		out.WriteByte(byte(r.read(8)))
	}
	if r.pos > 8*len(data) {
		return "", fmt.Errorf("the segment overruns the data")
	}
	return out.String(), nil
}

type bitReader struct {
	data []byte
	pos  int
}

func (r *bitReader) read(n int) int {
	v := 0
	for range n {
		v <<= 1
		if r.pos < 8*len(r.data) && r.data[r.pos/8]&(0x80>>(r.pos%8)) != 0 {
			v |= 1
		}
		r.pos++
	}
	return v
}

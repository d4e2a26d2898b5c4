package web

import (
	"fmt"
	"html/template"
	"strings"
)

// A QR code encoder, just enough for an otpauth:// URI: byte mode, error
// correction level M, versions 1 to 40, the mask with the lowest penalty.
// It follows ISO/IEC 18004:2015; section numbers below are that
// standard's. It is here, not a dependency, because the enrolment page
// must draw the code on the server (the Content-Security-Policy allows no
// script) and the whole need is these two hundred lines. The tests decode
// what it draws and compare it with libqrencode's output.

// qrECCPerBlock and qrBlocks are Table 9 for level M: error correction
// codewords per block and number of blocks, by version (index 0 unused).
var (
	qrECCPerBlock = [41]int{0, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26,
		26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28}
	qrBlocks = [41]int{0, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16,
		17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49}
)

// qrFormatLevelM is the error correction level's two format bits (Table 12).
const qrFormatLevelM = 0

// qrCode is a symbol: dark[y][x] for row y, column x.
type qrCode struct {
	size int
	dark [][]bool
	fn   [][]bool // function patterns, which data and masks leave alone
}

// qrRawModules is how many modules of a version hold data and error
// correction codewords, remainder bits included: the whole symbol minus
// finder, separator, timing and alignment patterns, format and version
// information (§7.1, Table 1).
func qrRawModules(ver int) int {
	n := (16*ver+128)*ver + 64
	if ver >= 2 {
		align := ver/7 + 2
		n -= (25*align-10)*align - 55
		if ver >= 7 {
			n -= 36
		}
	}
	return n
}

// qrDataCodewords is the data capacity of a version at level M, in bytes.
func qrDataCodewords(ver int) int {
	return qrRawModules(ver)/8 - qrECCPerBlock[ver]*qrBlocks[ver]
}

// encodeQR encodes data in byte mode at level M in the smallest version
// that holds it. It fails only if data is longer than 2331 bytes.
func encodeQR(data []byte) (*qrCode, error) { return encodeQRMask(data, -1) }

// encodeQRMask is encodeQR with mask pattern mask, or the best if mask is
// -1 (tests compare with another encoder's choice).
func encodeQRMask(data []byte, mask int) (*qrCode, error) {
	ver := 1
	for ; ver <= 40; ver++ {
		countBits := 8
		if ver >= 10 {
			countBits = 16
		}
		if 4+countBits+8*len(data) <= 8*qrDataCodewords(ver) {
			break
		}
	}
	if ver > 40 {
		return nil, fmt.Errorf("web: %d bytes do not fit in a QR code", len(data))
	}
	// The bit stream: mode indicator 0100 (byte), character count,
	// the data, a terminator of up to four zeros, zeros to a byte
	// boundary, then the pad bytes 0xEC 0x11 alternately (§7.4).
	capacity := qrDataCodewords(ver)
	var bits qrBits
	bits.add(0b0100, 4)
	if ver >= 10 {
		bits.add(len(data), 16)
	} else {
		bits.add(len(data), 8)
	}
	for _, b := range data {
		bits.add(int(b), 8)
	}
	bits.add(0, min(4, 8*capacity-len(bits)))
	bits.add(0, (8-len(bits)%8)%8)
	codewords := bits.bytes()
	for pad := byte(0xEC); len(codewords) < capacity; pad ^= 0xEC ^ 0x11 {
		codewords = append(codewords, pad)
	}

	q := newQR(ver)
	q.placeData(interleave(ver, codewords))
	if mask < 0 {
		best := 0
		for m := range 8 {
			q.applyMask(m)
			q.drawFormat(m)
			if p := q.penalty(); m == 0 || p < best {
				best, mask = p, m
			}
			q.applyMask(m) // XOR again undoes it
		}
	}
	q.applyMask(mask)
	q.drawFormat(mask)
	return q, nil
}

// qrBits is a bit stream, one bool per bit.
type qrBits []bool

func (b *qrBits) add(v, n int) {
	for i := n - 1; i >= 0; i-- {
		*b = append(*b, v>>i&1 == 1)
	}
}

func (b qrBits) bytes() []byte {
	out := make([]byte, len(b)/8)
	for i, bit := range b {
		if bit {
			out[i/8] |= 0x80 >> (i % 8)
		}
	}
	return out
}

// interleave splits the data codewords into the version's blocks, appends
// each block's Reed–Solomon error correction codewords, and interleaves
// them: the first codeword of each block, then the second, … data first,
// error correction after (§7.5, §7.6). Shorter blocks come first.
func interleave(ver int, data []byte) []byte {
	nBlocks, eccLen := qrBlocks[ver], qrECCPerBlock[ver]
	raw := qrRawModules(ver) / 8
	short := nBlocks - raw%nBlocks // blocks one data codeword shorter
	shortData := raw/nBlocks - eccLen
	gen := rsGenerator(eccLen)
	var blocks, eccs [][]byte
	for i, k := 0, 0; i < nBlocks; i++ {
		n := shortData
		if i >= short {
			n++
		}
		blocks = append(blocks, data[k:k+n])
		eccs = append(eccs, rsRemainder(data[k:k+n], gen))
		k += n
	}
	out := make([]byte, 0, raw)
	for i := 0; i <= shortData; i++ {
		for _, b := range blocks {
			if i < len(b) {
				out = append(out, b[i])
			}
		}
	}
	for i := range eccLen {
		for _, e := range eccs {
			out = append(out, e[i])
		}
	}
	return out
}

// GF(256) with the QR code's polynomial x^8+x^4+x^3+x^2+1 (0x11D).
func gfMul(a, b byte) byte {
	var p byte
	for ; b > 0; b >>= 1 {
		if b&1 == 1 {
			p ^= a
		}
		carry := a & 0x80
		a <<= 1
		if carry != 0 {
			a ^= 0x1D
		}
	}
	return p
}

// rsGenerator returns the coefficients, highest degree first and the
// leading 1 left out, of (x−α^0)(x−α^1)…(x−α^(n−1)) with α = 2 (§7.5.2).
func rsGenerator(n int) []byte {
	g := make([]byte, n)
	g[n-1] = 1
	root := byte(1)
	for range n {
		for j := range n {
			g[j] = gfMul(g[j], root)
			if j+1 < n {
				g[j] ^= g[j+1]
			}
		}
		root = gfMul(root, 2)
	}
	return g
}

// rsRemainder is the remainder of data·x^n divided by the generator: the
// error correction codewords.
func rsRemainder(data, gen []byte) []byte {
	rem := make([]byte, len(gen))
	for _, b := range data {
		f := b ^ rem[0]
		copy(rem, rem[1:])
		rem[len(rem)-1] = 0
		for i, g := range gen {
			rem[i] ^= gfMul(g, f)
		}
	}
	return rem
}

// newQR draws a version's function patterns: finders with separators,
// timing, alignment, the dark module, and the version information; format
// information areas are reserved (§6.3).
func newQR(ver int) *qrCode {
	size := 17 + 4*ver
	q := &qrCode{size: size, dark: make([][]bool, size), fn: make([][]bool, size)}
	for i := range size {
		q.dark[i], q.fn[i] = make([]bool, size), make([]bool, size)
	}
	for i := range size {
		q.setFn(6, i, i%2 == 0)
		q.setFn(i, 6, i%2 == 0)
	}
	for _, c := range [][2]int{{3, 3}, {size - 4, 3}, {3, size - 4}} {
		for dy := -4; dy <= 4; dy++ {
			for dx := -4; dx <= 4; dx++ {
				x, y := c[0]+dx, c[1]+dy
				if x >= 0 && x < size && y >= 0 && y < size {
					d := max(abs(dx), abs(dy))
					q.setFn(x, y, d != 2 && d != 4)
				}
			}
		}
	}
	pos := qrAlignment(ver)
	for i, x := range pos {
		for j, y := range pos {
			if i == 0 && j == 0 || i == 0 && j == len(pos)-1 || i == len(pos)-1 && j == 0 {
				continue // the finder patterns' corners
			}
			for dy := -2; dy <= 2; dy++ {
				for dx := -2; dx <= 2; dx++ {
					q.setFn(x+dx, y+dy, max(abs(dx), abs(dy)) != 1)
				}
			}
		}
	}
	q.drawFormat(0) // reserves the areas; drawn again once the mask is chosen
	if ver >= 7 {
		// 6 bits of version and a BCH(18,6) remainder, generator 0x1F25
		// (§7.10, Annex D).
		rem := ver
		for range 12 {
			rem = rem<<1 ^ (rem>>11)*0x1F25
		}
		bits := ver<<12 | rem
		for i := range 18 {
			a, b := size-11+i%3, i/3
			q.setFn(a, b, bits>>i&1 == 1)
			q.setFn(b, a, bits>>i&1 == 1)
		}
	}
	return q
}

// qrAlignment returns the row and column coordinates of the alignment
// patterns' centres (Annex E): evenly spaced from the far edge, the first
// at 6.
func qrAlignment(ver int) []int {
	if ver == 1 {
		return nil
	}
	n := ver/7 + 2
	step := (ver*8 + n*3 + 5) / (n*4 - 4) * 2
	out := make([]int, n)
	out[0] = 6
	for i, p := n-1, 17+4*ver-7; i >= 1; i, p = i-1, p-step {
		out[i] = p
	}
	return out
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func (q *qrCode) setFn(x, y int, dark bool) { q.dark[y][x], q.fn[y][x] = dark, true }

// drawFormat draws both copies of the format information: the level and
// the mask, a BCH(15,5) remainder (generator 0x537), XORed with 0x5412
// (§7.9), and the dark module.
func (q *qrCode) drawFormat(mask int) {
	data := qrFormatLevelM<<3 | mask
	rem := data
	for range 10 {
		rem = rem<<1 ^ (rem>>9)*0x537
	}
	bits := (data<<10 | rem) ^ 0x5412
	bit := func(i int) bool { return bits>>i&1 == 1 }
	for i := range 6 {
		q.setFn(8, i, bit(i))
	}
	q.setFn(8, 7, bit(6))
	q.setFn(8, 8, bit(7))
	q.setFn(7, 8, bit(8))
	for i := 9; i < 15; i++ {
		q.setFn(14-i, 8, bit(i))
	}
	for i := range 8 {
		q.setFn(q.size-1-i, 8, bit(i))
	}
	for i := 8; i < 15; i++ {
		q.setFn(8, q.size-15+i, bit(i))
	}
	q.setFn(8, q.size-8, true)
}

// placeData fills the modules outside function patterns with the
// codewords' bits, most significant first, in two-module-wide columns
// from the right, upward and downward in turn, skipping the vertical
// timing pattern; what is left over are remainder bits, zero (§7.7.3).
func (q *qrCode) placeData(codewords []byte) {
	i := 0
	for right := q.size - 1; right >= 1; right -= 2 {
		if right == 6 {
			right = 5
		}
		upward := (right+1)&2 == 0
		for v := range q.size {
			y := v
			if upward {
				y = q.size - 1 - v
			}
			for j := range 2 {
				x := right - j
				if q.fn[y][x] {
					continue
				}
				if i < 8*len(codewords) {
					q.dark[y][x] = codewords[i/8]>>(7-i%8)&1 == 1
					i++
				}
			}
		}
	}
}

// qrMask reports whether mask pattern m inverts the module at row y,
// column x (Table 10).
func qrMask(m, x, y int) bool {
	switch m {
	case 0:
		return (x+y)%2 == 0
	case 1:
		return y%2 == 0
	case 2:
		return x%3 == 0
	case 3:
		return (x+y)%3 == 0
	case 4:
		return (x/3+y/2)%2 == 0
	case 5:
		return x*y%2+x*y%3 == 0
	case 6:
		return (x*y%2+x*y%3)%2 == 0
	default:
		return ((x+y)%2+x*y%3)%2 == 0
	}
}

func (q *qrCode) applyMask(m int) {
	for y := range q.size {
		for x := range q.size {
			if !q.fn[y][x] && qrMask(m, x, y) {
				q.dark[y][x] = !q.dark[y][x]
			}
		}
	}
}

// penalty scores the symbol by §7.8.3's four rules; the mask with the
// lowest score is used.
func (q *qrCode) penalty() int {
	n := q.size
	p := 0
	at := func(x, y int, col bool) bool {
		if col {
			return q.dark[x][y]
		}
		return q.dark[y][x]
	}
	for _, col := range []bool{false, true} {
		for y := range n {
			// Rule 1: five or more alike in a row: 3, plus 1 per extra.
			run := 1
			for x := 1; x <= n; x++ {
				if x < n && at(x, y, col) == at(x-1, y, col) {
					run++
					continue
				}
				if run >= 5 {
					p += 3 + run - 5
				}
				run = 1
			}
			// Rule 3: 1:1:3:1:1 dark-light-dark-dark-dark-light-dark
			// with four light modules before or after it: 40 each.
			// Beyond the edge counts as light (the quiet zone).
			light := func(x int) bool { return x < 0 || x >= n || !at(x, y, col) }
			for x := 0; x+7 <= n; x++ {
				if !at(x, y, col) || at(x+1, y, col) || !at(x+2, y, col) || !at(x+3, y, col) ||
					!at(x+4, y, col) || at(x+5, y, col) || !at(x+6, y, col) {
					continue
				}
				before, after := true, true
				for k := 1; k <= 4; k++ {
					before = before && light(x-k)
					after = after && light(x+6+k)
				}
				if before || after {
					p += 40
				}
			}
		}
	}
	// Rule 2: each 2×2 block of one colour: 3.
	dark := 0
	for y := range n {
		for x := range n {
			if q.dark[y][x] {
				dark++
			}
			if x+1 < n && y+1 < n {
				c := q.dark[y][x]
				if q.dark[y][x+1] == c && q.dark[y+1][x] == c && q.dark[y+1][x+1] == c {
					p += 3
				}
			}
		}
	}
	// Rule 4: 10 for every full 5% the dark share is away from 50%.
	total := n * n
	k := (abs(dark*20-total*10) + total - 1) / total
	p += max(k-1, 0) * 10
	return p
}

// svg draws the symbol with a four-module quiet zone (§6.3.8) as an inline
// SVG image: one path of dark runs, colours as presentation attributes
// (the style policy allows no inline style). label is its accessible name.
func (q *qrCode) svg(label string) template.HTML {
	const quiet = 4
	var d strings.Builder
	for y := range q.size {
		for x := 0; x < q.size; {
			if !q.dark[y][x] {
				x++
				continue
			}
			start := x
			for x < q.size && q.dark[y][x] {
				x++
			}
			fmt.Fprintf(&d, "M%d %dh%dv1h-%dz", start+quiet, y+quiet, x-start, x-start)
		}
	}
	side := q.size + 2*quiet
	return template.HTML(fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" `+
		`role="img" aria-label="%s" shape-rendering="crispEdges"><rect width="%d" height="%d" fill="#fff"/>`+
		`<path d="%s" fill="#000"/></svg>`,
		side, side, side*4, side*4, template.HTMLEscapeString(label), side, side, d.String()))
}

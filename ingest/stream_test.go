package ingest_test

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"testing"

	"github.com/paradero/paradero/ingest"
)

// synthCSV is a CSV file that exists only as a function of the offset: a
// header and n fixed-width rows, row k naming person k. It lets the tests
// read files of hundreds of megabytes without writing or holding them.
type synthCSV struct {
	header []byte
	n      int64
	width  int64
	row    []byte // scratch: the last row rendered
	rowNo  int64
}

const synthHeader = "nombre,primer apellido,segundo apellido,fecha de nacimiento,nacionalidad,número A,centro de detención,observaciones\n"

func newSynthCSV(n int64) *synthCSV {
	s := &synthCSV{header: []byte(synthHeader), n: n, rowNo: -1}
	s.width = int64(len(s.render(0)))
	return s
}

func (s *synthCSV) render(k int64) []byte {
	b := append(s.row[:0], "José "...)
	b = appendPadded(b, k, 9)
	b = append(b, ",Núñez,Peña,"...)
	b = appendPadded(b, 1+k%28, 2)
	b = append(b, '/')
	b = appendPadded(b, 1+k%12, 2)
	b = append(b, '/')
	b = appendPadded(b, 1950+k%60, 4)
	b = append(b, ",Venezolana,A"...)
	b = appendPadded(b, k, 9)
	return append(b, ",Centro de Confinamiento del Terrorismo,\"visto, según lista\"\n"...)
}

func appendPadded(b []byte, v int64, width int) []byte {
	var d [20]byte
	i := len(d)
	for ; v > 0 || i == len(d); v /= 10 {
		i--
		d[i] = byte('0' + v%10)
	}
	for range width - (len(d) - i) {
		b = append(b, '0')
	}
	return append(b, d[i:]...)
}

func (s *synthCSV) Size() int64 { return int64(len(s.header)) + s.n*s.width }

func (s *synthCSV) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	for n < len(p) {
		o := off + int64(n)
		if o >= s.Size() {
			return n, io.EOF
		}
		if o < int64(len(s.header)) {
			n += copy(p[n:], s.header[o:])
			continue
		}
		k := (o - int64(len(s.header))) / s.width
		if k != s.rowNo {
			s.row = s.render(k)
			s.rowNo = k
		}
		n += copy(p[n:], s.row[(o-int64(len(s.header)))%s.width:])
	}
	return n, nil
}

// TestStreamingMemory reads a large generated CSV and checks that the heap
// stays bounded while it does: memory must not grow with the file.
func TestStreamingMemory(t *testing.T) {
	rows := int64(2_000_000) // 236 MB
	switch {
	case testing.Short():
		rows = 200_000 // 24 MB
	case raceEnabled:
		rows = 1_000_000 // 118 MB
	}
	src := newSynthCSV(rows)
	t.Logf("file: %d rows, %d MB", rows, src.Size()>>20)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	r, err := ingest.Open(src, src.Size(), ingest.Options{Filename: "big.csv"})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var n int64
	var peak uint64
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if n%100_000 == 0 {
			if want := fmt.Sprintf("José %09d", n); rec.GivenNames != want {
				t.Fatalf("record %d: GivenNames = %q, want %q", n, rec.GivenNames, want)
			}
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
		}
		n++
	}
	if n != rows {
		t.Fatalf("read %d records, want %d", n, rows)
	}
	const bound = 16 << 20 // well under the size of the file in every mode
	t.Logf("heap in use: %d MB before, %d MB at peak", base>>20, peak>>20)
	if peak > base+bound {
		t.Errorf("heap in use grew from %d MB to %d MB reading a %d MB file; want under %d MB more", base>>20, peak>>20, src.Size()>>20, bound>>20)
	}
}

// BenchmarkCSV measures parse throughput over a generated 1 000 000-row CSV
// (encoding scan included), reported as records/s.
func BenchmarkCSV(b *testing.B) {
	const rows = 1_000_000
	src := newSynthCSV(rows)
	b.SetBytes(src.Size())
	b.ReportAllocs()
	for b.Loop() {
		r, err := ingest.Open(src, src.Size(), ingest.Options{Filename: "big.csv"})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			_, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != rows {
			b.Fatalf("read %d records, want %d", n, rows)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkOpenSmall measures the fixed cost of Open on a two-line file.
func BenchmarkOpenSmall(b *testing.B) {
	data := []byte("nombre,apellidos,fecha de nacimiento\nJuan,Pérez,15/03/1990\n")
	b.ReportAllocs()
	for b.Loop() {
		r, err := ingest.Open(bytes.NewReader(data), int64(len(data)), ingest.Options{Filename: "f.csv"})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := r.Next(); err != nil {
			b.Fatal(err)
		}
	}
}

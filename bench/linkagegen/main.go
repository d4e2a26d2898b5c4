// Command linkagegen writes a synthetic person world for the linkage
// benchmarks: one CSV per source (headers are Paradero's record field
// keys and rec_id) and truth.csv (source,rec_id,person_id). See
// bench/linkage.sh.
//
//	go run ./bench/linkagegen -persons 400000 -seed 1 -out DIR
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/paradero/paradero/linkage/fakeperson"
)

func main() {
	persons := flag.Int("persons", 10000, "number of invented persons")
	seed := flag.Uint64("seed", 1, "random seed")
	out := flag.String("out", ".", "output directory")
	flag.Parse()
	if err := run(*persons, *seed, *out); err != nil {
		fmt.Fprintln(os.Stderr, "linkagegen:", err)
		os.Exit(1)
	}
}

func run(persons int, seed uint64, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	sources := fakeperson.Generate(persons, seed)
	write := func(name string, f func(w *bufio.Writer) error) error {
		file, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		w := bufio.NewWriter(file)
		if err := f(w); err != nil {
			file.Close()
			return err
		}
		if err := w.Flush(); err != nil {
			file.Close()
			return err
		}
		return file.Close()
	}
	n := 0
	for _, s := range sources {
		n += len(s.Rows)
		if err := write(s.Name, func(w *bufio.Writer) error { return s.WriteCSV(w) }); err != nil {
			return err
		}
	}
	fmt.Printf("%d persons, %d records in %d sources\n", persons, n, len(sources))
	return write("truth.csv", func(w *bufio.Writer) error { return fakeperson.WriteTruth(w, sources) })
}

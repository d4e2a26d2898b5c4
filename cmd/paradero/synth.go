package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/paradero/paradero/synth"
)

// synthCommand writes a synthetic world: persons, their custody timelines,
// the overlapping lists that mention them, and the ground truth.
type synthCommand struct {
	stdout, stderr io.Writer
}

const synthUsage = `Usage: paradero synth [flags] --out DIR

Generates a synthetic world that follows the public facts of the 2025 CECOT
removals: people detained in the US, the men flown to El Salvador on 15-16 and
30-31 March 2025 and returned to Venezuela on 18 July, and the error-ridden
lists that mention them. Every name is a random combination of given names and
surnames from public frequency tables: no record is about a real person.

Writes, under DIR:
  sources/*.csv  the lists, one CSV each; header: rec_id and canonical record
                 field keys (full_name, given_names, surnames, birth_date, ...)
  truth.csv      source,rec_id,person_id (source: the file's base name, e.g.
                 leaked_roster.csv, as 'paradero link' writes it)
  persons.csv    every person's true identity and final whereabouts
  custody.csv    every step of every true custody timeline
  errors.csv     the errors each record carries
  world.json     sources' kinds, titles and dates; error counts

The same --persons and --seed give byte-identical files. See docs/synth.md.

Flags:
`

// Run parses args and writes the world.
func (c *synthCommand) Run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("synth", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	persons := fs.Int("persons", synth.DefaultPersons, "number of persons in the world")
	seed := fs.Uint64("seed", 1, "random seed")
	out := fs.String("out", "", "directory to write the world into (required)")
	force := fs.Bool("force", false, "write into a directory that is not empty")
	asJSON := fs.Bool("json", false, "print world.json instead of a table")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), synthUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q; see 'paradero synth -h'", fs.Arg(0))
	}
	if *out == "" {
		fs.Usage()
		return usagef("--out DIR is required")
	}
	if *persons <= 0 {
		return usagef("--persons must be positive, not %d", *persons)
	}
	if !*force {
		if ents, err := os.ReadDir(*out); err == nil && len(ents) > 0 {
			return fmt.Errorf("%s is not empty; use --force to write into it", *out)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	start := time.Now()
	srcs, _, err := synth.GenerateDir(synth.Config{Persons: *persons, Seed: *seed}, *out)
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	if *asJSON {
		b, err := os.ReadFile(filepath.Join(*out, synth.WorldFile))
		if err != nil {
			return err
		}
		if !json.Valid(b) {
			return fmt.Errorf("%s is not valid JSON", synth.WorldFile)
		}
		_, err = c.stdout.Write(b)
		return err
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FILE\tKIND\tPUBLISHED\tROWS\tTITLE")
	total := 0
	for _, s := range srcs {
		total += s.Rows
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", filepath.Join(synth.SourcesDir, s.Filename), s.Kind, s.Published, s.Rows, s.Title)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "\n%d persons, %d records in %d sources, written to %s in %s.\n",
		*persons, total, len(srcs), *out, elapsed.Round(time.Millisecond))
	fmt.Fprintf(c.stdout, "Ground truth: %s; persons: %s, %s.\n",
		filepath.Join(*out, synth.TruthFile), filepath.Join(*out, synth.PersonsFile), filepath.Join(*out, synth.CustodyFile))
	return nil
}

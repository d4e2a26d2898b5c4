package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/linkage"
)

const linkUsage = `
link [--settings S.json] [--json]
link --incremental [--json]
link [--settings S.json] --out clusters.csv [--pairs pairs.csv] [--model model.json] A.csv [B.csv ...]

Without files, links every record in the store into persons, honouring the
latest reviewer's decision on each pair ('paradero review'); person ids carry
over between runs and every person keeps the lineage of its records; pairs
the model cannot decide go to the review queue.

With files, links them without a store: blocks,
estimates a Fellegi–Sunter model by EM, scores candidate pairs and clusters
them. Writes source,record_id,cluster_id (source = the file's base name).
Without --settings, Paradero's person settings are used: columns named by
the record field keys (full_name, given_names, surnames, birth_date,
a_number, passport …) and a rec_id column. A column a file lacks is a
missing value. --pairs also writes the scored pairs from the review band up,
with each comparison's weight; --model writes the fitted model as JSON.
`

// linkCommand is `paradero link`.
type linkCommand struct {
	stdout, stderr io.Writer
	g              *globals // the store, for linking without files
}

// Run links the files named in args.
func (c *linkCommand) Run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("link", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() {
		fmt.Fprintf(c.stderr, "Usage: paradero %s\n\n", strings.TrimSpace(linkUsage))
		fs.PrintDefaults()
	}
	settingsPath := fs.String("settings", "", "linkage settings JSON (default: Paradero's person settings)")
	outPath := fs.String("out", "", "write clusters to this CSV file (- for standard output)")
	pairsPath := fs.String("pairs", "", "also write scored pairs to this CSV file")
	modelPath := fs.String("model", "", "also write the fitted model to this JSON file")
	quiet := fs.Bool("quiet", false, "do not report progress on standard error")
	asJSON := fs.Bool("json", false, "without files: print the run's summary as JSON")
	incremental := fs.Bool("incremental", false, "without files: link only records in no person yet, with the last full run's model")
	if c.g != nil {
		c.g.register(fs)
	}
	files, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(files) == 0 && c.g == nil {
		return paradero.Errorf(paradero.EUNAVAILABLE, "name CSV files to link them")
	}
	if *incremental && (len(files) > 0 || *settingsPath != "") {
		return paradero.Errorf(paradero.EINVALID, "--incremental links the store with the settings of the last full run: no files, no --settings")
	}
	if len(files) > 0 && *outPath == "" {
		return paradero.Errorf(paradero.EINVALID, "--out is required")
	}
	s := linkage.DefaultPersonSettings()
	if *settingsPath != "" {
		f, err := os.Open(*settingsPath)
		if err != nil {
			return paradero.Errorf(paradero.EINVALID, "cannot open settings: %v", err)
		}
		s, err = linkage.ReadSettings(f)
		f.Close()
		if err != nil {
			return err
		}
	}
	if len(files) == 0 {
		if err := c.g.open(ctx); err != nil {
			return err
		}
		var logf func(string, ...any)
		if !*quiet {
			logf = func(format string, args ...any) { fmt.Fprintf(c.stderr, format+"\n", args...) }
		}
		res, err := linkStore(cliContext(ctx), c.g, s, *incremental, logf)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(c.stdout, res)
		}
		printLinkStore(c.stdout, res)
		return nil
	}
	start := time.Now()
	tables := make([]linkage.Table, 0, len(files))
	for _, path := range files {
		t, err := linkReadCSV(path)
		if err != nil {
			return err
		}
		tables = append(tables, t)
	}
	opt := linkage.Options{}
	if !*quiet {
		opt.Logf = func(format string, args ...any) { fmt.Fprintf(c.stderr, format+"\n", args...) }
	}
	res, err := linkage.Link(ctx, s, tables, opt)
	if err != nil {
		return err
	}
	if err := linkWriteFile(*outPath, c.stdout, func(w io.Writer) error { return linkWriteClusters(w, res) }); err != nil {
		return err
	}
	if *pairsPath != "" {
		if err := linkWriteFile(*pairsPath, c.stdout, func(w io.Writer) error { return linkWritePairs(w, res) }); err != nil {
			return err
		}
	}
	if *modelPath != "" {
		err := linkWriteFile(*modelPath, c.stdout, func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(struct {
				Model      *linkage.Model     `json:"model"`
				Thresholds linkage.Thresholds `json:"thresholds"`
			}{res.Model, res.Thresholds})
		})
		if err != nil {
			return err
		}
	}
	if !*quiet {
		st := res.Stats
		fmt.Fprintf(c.stderr, "linkage: λ = %.4g; link at weight %.2f, review from %.2f to %.2f\n",
			res.Model.Lambda, res.Thresholds.Link, res.Thresholds.ReviewLow, res.Thresholds.ReviewHigh)
		fmt.Fprintf(c.stderr, "linkage: %d records, %d candidate pairs, %d links, %d to review, %d clusters in %.2fs\n",
			st.Records, st.CandidatePairs, st.Links, st.Review, st.Clusters, time.Since(start).Seconds())
	}
	return nil
}

// linkReadCSV reads a CSV file with a header row into a table named by the
// file's base name.
func linkReadCSV(path string) (linkage.Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return linkage.Table{}, paradero.Errorf(paradero.EINVALID, "cannot open %s: %v", path, err)
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReaderSize(f, 1<<20))
	r.FieldsPerRecord = -1
	r.ReuseRecord = false
	header, err := r.Read()
	if err != nil {
		return linkage.Table{}, paradero.Errorf(paradero.EINVALID, "%s: no header row: %v", path, err)
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff")
	}
	for i := range header {
		header[i] = strings.TrimSpace(header[i])
	}
	t := linkage.Table{Name: filepath.Base(path), Columns: header}
	for {
		row, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return linkage.Table{}, paradero.Errorf(paradero.EINVALID, "%s: %v", path, err)
		}
		t.Rows = append(t.Rows, row)
	}
	return t, nil
}

// linkWriteFile writes to path, or to stdout for "-", through a buffer.
func linkWriteFile(path string, stdout io.Writer, write func(io.Writer) error) error {
	if path == "-" {
		bw := bufio.NewWriter(stdout)
		if err := write(bw); err != nil {
			return err
		}
		return bw.Flush()
	}
	f, err := os.Create(path)
	if err != nil {
		return paradero.Errorf(paradero.EINVALID, "cannot create %s: %v", path, err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	err = write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func linkWriteClusters(w io.Writer, res *linkage.Result) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"source", "record_id", "cluster_id"})
	for i, r := range res.Records {
		cw.Write([]string{r.Source, r.ID, strconv.Itoa(res.Cluster[i])})
	}
	cw.Flush()
	return cw.Error()
}

func linkWritePairs(w io.Writer, res *linkage.Result) error {
	cw := csv.NewWriter(w)
	head := []string{"source_a", "record_id_a", "source_b", "record_id_b", "match_weight", "match_probability", "decision", "same_cluster"}
	for _, c := range res.Model.Comparisons {
		head = append(head, "w_"+c.Name)
	}
	cw.Write(head)
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', 4, 64) }
	for _, p := range res.Pairs {
		e, err := res.Explain(p.A, p.B)
		if err != nil {
			return err
		}
		row := []string{e.A.Source, e.A.ID, e.B.Source, e.B.ID, f(p.Weight), strconv.FormatFloat(p.Probability, 'g', 6, 64),
			res.Decision(p.Weight), strconv.FormatBool(res.Cluster[p.A] == res.Cluster[p.B])}
		for _, c := range e.Fields {
			row = append(row, f(c.Weight+c.TermFrequency))
		}
		cw.Write(row)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return errors.Join(paradero.Errorf(paradero.EINTERNAL, "writing pairs"), err)
	}
	return nil
}

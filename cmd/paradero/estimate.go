package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/estimate"
	"github.com/paradero/paradero/report"
)

// estimateCommand is `paradero estimate`: multiple systems estimation of
// how many people the lists miss, from a counts table.
type estimateCommand struct {
	stdout, stderr io.Writer
	g              *globals // the store, for estimating without --counts; nil in --counts-only tests
}

const estimateUsage = `usage: paradero estimate [--counts TABLE.csv | --by kind|source [--lists L,L…]] [flags]

Estimates how many people are on none of the lists (multiple systems
estimation): fits every hierarchical log-linear model up to an interaction
order, leaves out those whose estimate does not exist, chooses one by BIC or
AIC and gives its profile-likelihood interval. Prints the estimate of the
total, its interval, the chosen model and every model considered.

TABLE.csv has one 0/1 column per list and a "count" column, one row per
combination of lists (people on no list are, by nature, absent).

Without --counts the table is built from the store: the persons of the last
'paradero link' run, and for each the sources that name them. --by kind
(the default) makes one list per source kind (every roster is one list,
every locator snapshot another…), --by source one list per source; --lists
keeps only the kinds or source ids named. Only persons on at least one of
the lists kept are counted as observed. --print-counts prints the table
instead of estimating.

Flags:
`

// Run parses args and runs the command.
func (c *estimateCommand) Run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("estimate", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	if c.g != nil {
		c.g.register(fs)
	}
	counts := fs.String("counts", "", "counts table `TABLE.csv` (default: build it from the store's linked persons)")
	by := fs.String("by", "kind", "without --counts: one list per source `kind` or per source")
	lists := fs.String("lists", "", "without --counts: keep only these source kinds or source ids, comma-separated")
	printCounts := fs.Bool("print-counts", false, "without --counts: print the counts table as CSV and stop")
	asJSON := fs.Bool("json", false, "write JSON instead of a table")
	order := fs.Int("order", 0, "highest interaction order fitted (default k-1 up to 5 lists, 2 beyond)")
	crit := fs.String("criterion", "bic", "model choice: aic or bic")
	level := fs.Float64("level", 0.95, "confidence level of the interval")
	bma := fs.Bool("bma", false, "add Bayesian model averaging over decomposable graphs (3 to 6 lists)")
	lcm := fs.Bool("lcm", false, "add the latent-class model of R's LCMCR (a Gibbs sampler: a few seconds)")
	lcmSamples := fs.Int("lcm-samples", 5000, "with --lcm: posterior draws kept, each 100 sweeps apart, after 10,000 sweeps of burn-in")
	boot := fs.Int("bootstrap", 0, "add a parametric bootstrap interval for the chosen model from `N` replicate tables")
	seed := fs.Uint64("seed", 1, "seed of --lcm and --bootstrap: the same seed gives the same result")
	top := fs.Int("models", 0, "list at most this many models in the table output (0 = all)")
	fs.Usage = func() {
		fmt.Fprint(c.stderr, estimateUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if *by != "kind" && *by != "source" {
		return usagef("--by %q is not kind or source", *by)
	}
	cr, err := estimate.ParseCriterion(*crit)
	if err != nil {
		return err
	}
	var t *estimate.Table
	if *counts != "" {
		if t, err = readCounts(*counts); err != nil {
			return err
		}
	} else {
		if c.g == nil {
			return usagef("--counts is required here")
		}
		if t, err = storeCounts(ctx, c.g, *by == "kind", *lists); err != nil {
			return err
		}
		if *printCounts {
			return writeCounts(c.stdout, t)
		}
	}
	if *boot < 0 || *boot > 0 && *boot < 10 {
		return usagef("--bootstrap needs at least 10 replicates")
	}
	opt := estimate.Options{MaxOrder: *order, Criterion: cr, Level: *level, BMA: *bma, Bootstrap: *boot, Seed: *seed}
	if *lcm {
		if *lcmSamples < 2 {
			return usagef("--lcm-samples needs at least 2 draws")
		}
		opt.LatentClass = &estimate.LCMOptions{Seed: *seed, Level: *level, Samples: *lcmSamples}
	}
	r, err := estimate.Estimate(ctx, t, opt)
	if err != nil {
		return err
	}
	if *asJSON {
		return r.WriteJSON(c.stdout)
	}
	return r.WriteText(c.stdout, *top)
}

func readCounts(name string) (*estimate.Table, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	t, err := estimate.ReadCSV(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return t, nil
}

// storeCounts builds the capture-pattern table from the store: the linked
// persons, one list per source kind (byKind) or per source, restricted to
// the kinds or ids in keep (comma-separated; "" keeps all).
func storeCounts(ctx context.Context, g *globals, byKind bool, keep string) (*estimate.Table, error) {
	if err := g.open(ctx); err != nil {
		return nil, err
	}
	ctx = cliContext(ctx)
	store, ok := g.store.(dossierStore)
	if !ok {
		return nil, paradero.Errorf(paradero.EUNAVAILABLE, "this store does not keep persons yet")
	}
	all, err := report.LoadSources(ctx, store)
	if err != nil {
		return nil, err
	}
	sources, err := selectSources(all, byKind, keep)
	if err != nil {
		return nil, err
	}
	ms, err := report.LoadMemberships(ctx, store)
	if err != nil {
		return nil, err
	}
	return countsTable(report.Reconcile(sources, ms), byKind)
}

// selectSources keeps the sources whose kind (byKind) or id is in keep,
// comma-separated; "" keeps all. A name that matches nothing is a usage
// error.
func selectSources(all []*paradero.Source, byKind bool, keep string) ([]*paradero.Source, error) {
	if len(all) == 0 {
		return nil, paradero.Errorf(paradero.EINVALID, "the store holds no sources")
	}
	if keep == "" {
		return all, nil
	}
	want := make(map[string]bool)
	for f := range strings.SplitSeq(keep, ",") {
		want[strings.TrimSpace(f)] = true
	}
	var out []*paradero.Source
	found := make(map[string]bool)
	for _, s := range all {
		key := strconv.FormatInt(s.ID, 10)
		if byKind {
			key = string(s.Kind)
		}
		if want[key] {
			out = append(out, s)
			found[key] = true
		}
	}
	var missing []string
	for k := range want {
		if !found[k] {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, usagef("--lists: the store has no source of kind or id %s", strings.Join(missing, ", "))
	}
	return out, nil
}

// countsTable turns a reconciliation into the estimate package's table.
func countsTable(rec *report.Reconciliation, byKind bool) (*estimate.Table, error) {
	names, counts := rec.PatternCounts(byKind)
	t, err := estimate.TableOf(names, counts)
	switch {
	case errors.Is(err, estimate.ErrFewLists):
		return nil, paradero.Errorf(paradero.EINVALID, "estimation needs at least 2 lists; the store gives %d (try --by source)", len(names))
	case errors.Is(err, estimate.ErrManyLists):
		return nil, paradero.Errorf(paradero.EINVALID, "%d lists is more than %d; choose some with --lists or use --by kind", len(names), estimate.MaxLists)
	}
	return t, err
}

// writeCounts writes t in the --counts CSV format.
func writeCounts(w io.Writer, t *estimate.Table) error {
	cw := csv.NewWriter(w)
	cw.Write(append(slices.Clone(t.Lists), "count"))
	for h := 1; h < len(t.Counts); h++ {
		row := make([]string, 0, t.K()+1)
		for j := range t.K() {
			row = append(row, strconv.Itoa(h>>j&1))
		}
		cw.Write(append(row, strconv.FormatFloat(t.Counts[h], 'f', -1, 64)))
	}
	cw.Flush()
	return cw.Error()
}

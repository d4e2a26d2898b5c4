package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/paradero/paradero/estimate"
)

// estimateCommand is `paradero estimate`: multiple systems estimation of
// how many people the lists miss, from a counts table.
type estimateCommand struct {
	stdout, stderr io.Writer
}

const estimateUsage = `usage: paradero estimate --counts TABLE.csv [flags]

Estimates how many people are on none of the lists (multiple systems
estimation): fits every hierarchical log-linear model up to an interaction
order, leaves out those whose estimate does not exist, chooses one by BIC or
AIC and gives its profile-likelihood interval. Prints the estimate of the
total, its interval, the chosen model and every model considered.

TABLE.csv has one 0/1 column per list and a "count" column, one row per
combination of lists (people on no list are, by nature, absent).

Flags:
`

// Run parses args and runs the command.
func (c *estimateCommand) Run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("estimate", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	counts := fs.String("counts", "", "counts table `TABLE.csv` (required for now)")
	asJSON := fs.Bool("json", false, "write JSON instead of a table")
	order := fs.Int("order", 0, "highest interaction order fitted (default k-1 up to 5 lists, 2 beyond)")
	crit := fs.String("criterion", "bic", "model choice: aic or bic")
	level := fs.Float64("level", 0.95, "confidence level of the interval")
	bma := fs.Bool("bma", false, "add Bayesian model averaging over decomposable graphs (3 to 6 lists)")
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
	if *counts == "" {
		fs.Usage()
		return usagef("--counts is required (estimating from the store's linked sources is not available yet)")
	}
	cr, err := estimate.ParseCriterion(*crit)
	if err != nil {
		return err
	}
	f, err := os.Open(*counts)
	if err != nil {
		return err
	}
	defer f.Close()
	t, err := estimate.ReadCSV(f)
	if err != nil {
		return fmt.Errorf("%s: %w", *counts, err)
	}
	r, err := estimate.Estimate(ctx, t, estimate.Options{MaxOrder: *order, Criterion: cr, Level: *level, BMA: *bma})
	if err != nil {
		return err
	}
	if *asJSON {
		return r.WriteJSON(c.stdout)
	}
	return r.WriteText(c.stdout, *top)
}

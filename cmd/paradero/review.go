package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/linkage"
)

const reviewUsage = `
review [--limit N] [--json]
review RECORD_A RECORD_B same|different|unsure --reason TEXT

Without a decision, lists the pairs linkage could not decide, most uncertain
first, with each field's contribution to the match weight. With one,
records a reviewer's decision as a ledger entry: 'paradero link' honours the
latest decision on each pair in every later run, so a merge or a split is
undone by deciding again.
`

type reviewCommand struct{ g *globals }

func (c *reviewCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet(c.g, "review", reviewUsage)
	c.g.register(fs)
	limit := fs.Int("limit", 20, "how many pairs to list")
	asJSON := fs.Bool("json", false, "print as JSON")
	reason := fs.String("reason", "", "why (required with a decision)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 && len(pos) != 3 {
		return usagef("give no arguments to list, or RECORD_A RECORD_B VERDICT to decide")
	}
	if err := c.g.open(ctx); err != nil {
		return err
	}
	ps, ok := c.g.store.(paradero.PersonService)
	if !ok {
		return paradero.Errorf(paradero.EUNAVAILABLE, "this store does not keep reviews yet")
	}
	ctx = cliContext(ctx)
	if len(pos) == 0 {
		return c.list(ctx, ps, *limit, *asJSON)
	}
	a, errA := strconv.ParseInt(pos[0], 10, 64)
	b, errB := strconv.ParseInt(pos[1], 10, 64)
	v := paradero.Verdict(pos[2])
	if errA != nil || errB != nil || !v.Valid() {
		return usagef("give two record ids and same, different or unsure")
	}
	if *reason == "" {
		return usagef("--reason is required")
	}
	x := &paradero.Review{RecordA: a, RecordB: b, Verdict: v, Reason: *reason,
		CreatedBy: paradero.ActorFromContext(ctx).Name, CreatedAt: time.Now(), Salt: make([]byte, 32)}
	if _, err := rand.Read(x.Salt); err != nil {
		return err
	}
	x.Commitment = paradero.Commit(x.Salt, paradero.ReviewContent(x.Reason, x.CreatedBy))
	if err := ps.CreateReview(ctx, x); err != nil {
		return err
	}
	if _, err := c.g.log.Checkpoint(ctx); err != nil {
		return fmt.Errorf("review recorded, but signing the checkpoint failed: %w", err)
	}
	fmt.Fprintf(c.g.stdout, "Review %d: records %d and %d are %s. Ledger entry %d; run 'paradero link' to apply it.\n",
		x.ID, x.RecordA, x.RecordB, x.Verdict, x.LedgerIndex)
	return nil
}

func (c *reviewCommand) list(ctx context.Context, ps paradero.PersonService, limit int, asJSON bool) error {
	pairs, total, err := ps.FindReviewQueue(ctx, paradero.ReviewFilter{Limit: limit})
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(c.g.stdout, map[string]any{"total": total, "pairs": pairs})
	}
	fmt.Fprintf(c.g.stdout, "%d pairs to review.\n", total)
	for _, p := range pairs {
		var exp linkage.Explanation
		if err := json.Unmarshal(p.Explanation, &exp); err != nil {
			return fmt.Errorf("pair %d–%d: %w", p.RecordA, p.RecordB, err)
		}
		fmt.Fprintf(c.g.stdout, "\nrecords %d and %d: probability %.2f, match weight %+.2f\n", p.RecordA, p.RecordB, p.Probability, p.Weight)
		tw := tabwriter.NewWriter(c.g.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "  prior\t%+.2f\n", exp.Prior)
		for _, f := range exp.Fields {
			fmt.Fprintf(tw, "  %s\t%s\t%q\t%q\t%+.2f\n", f.Comparison, f.Label, f.ValueA, f.ValueB, f.Weight+f.TermFrequency)
		}
		tw.Flush()
	}
	return nil
}

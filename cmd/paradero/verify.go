package main

import (
	"context"
	"fmt"
	"net/url"
	"os"

	"github.com/paradero/paradero/ledger"
)

const verifyUsage = `
verify [--checkpoint FILE]... [--skip-files] [--json]

Recomputes every ledger leaf from the stored content and every source file's
SHA-256, rebuilds the whole Merkle tree, and checks every stored checkpoint
(and each FILE given, such as one a partner kept) against it. Exit status 0
when intact; 1 when anything was altered, removed, reordered or inserted,
naming the first bad entry.
`

type verifyCommand struct{ g *globals }

type listFlag []string

func (l *listFlag) String() string     { return fmt.Sprint(*l) }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

func (c *verifyCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet(c.g, "verify", verifyUsage)
	c.g.register(fs)
	var cps listFlag
	fs.Var(&cps, "checkpoint", "a signed checkpoint `FILE` to check as well (repeatable)")
	skip := fs.Bool("skip-files", false, "do not re-hash the source files")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("verify takes no arguments")
	}
	opts := ledger.VerifyOptions{SkipBlobs: *skip}
	for _, f := range cps {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		opts.Extra = append(opts.Extra, b)
	}
	if err := c.g.open(ctx); err != nil {
		return err
	}
	rep, err := c.g.log.Verify(ctx, opts)
	if err != nil {
		return err
	}
	if *asJSON {
		problems := make([]string, len(rep.Problems))
		for i, p := range rep.Problems {
			problems[i] = p.String()
		}
		if err := writeJSON(c.g.stdout, map[string]any{
			"ok": rep.OK(), "entries": rep.Entries, "checkpoints_checked": rep.Checkpoints, "problems": problems,
		}); err != nil {
			return err
		}
	} else if rep.OK() {
		fmt.Fprintf(c.g.stdout, "Ledger intact: %d entries recomputed from the stored content, %d checkpoints checked.\n",
			rep.Entries, rep.Checkpoints)
		if rep.Latest != nil {
			fmt.Fprintf(c.g.stdout, "Latest checkpoint: %d entries, signed by %s.\n", rep.Latest.Size, rep.Latest.Origin)
		}
	} else {
		fmt.Fprintf(c.g.stdout, "LEDGER DAMAGED. First bad entry: %s\n", rep.Problems[0])
		for _, p := range rep.Problems[1:] {
			fmt.Fprintf(c.g.stdout, "  also: %s\n", p)
		}
		if rep.Truncated {
			fmt.Fprintf(c.g.stdout, "  (more problems not listed)\n")
		}
	}
	if !rep.OK() {
		return &exitError{code: 1, err: fmt.Errorf("%d problems found; first: %s", len(rep.Problems), rep.Problems[0])}
	}
	return nil
}

// redactURL hides the password of a database URL.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

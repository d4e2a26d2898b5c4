package main

import (
	"context"
	"os"
)

const checkpointUsage = `
checkpoint [--out FILE]

Prints the ledger's current signed checkpoint (signing a new one if the
ledger grew), in the transparency-dev checkpoint format signed as a
golang.org/x/mod/sumdb/note. Publish it, or hand it to a partner: anyone who
keeps it can later prove that no entry was altered or removed since, with
'paradero verify --checkpoint FILE'.
`

type checkpointCommand struct{ g *globals }

func (c *checkpointCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet(c.g, "checkpoint", checkpointUsage)
	c.g.register(fs)
	out := fs.String("out", "", "write to `FILE` instead of standard output")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("checkpoint takes no arguments")
	}
	if err := c.g.open(ctx); err != nil {
		return err
	}
	cp, err := c.g.log.Checkpoint(ctx)
	if err != nil {
		return err
	}
	if *out != "" {
		return os.WriteFile(*out, cp.Note, 0o644)
	}
	_, err = c.g.stdout.Write(cp.Note)
	return err
}

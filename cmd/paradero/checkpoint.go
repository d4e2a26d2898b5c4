package main

import (
	"context"
	"fmt"
	"os"

	"github.com/paradero/paradero/ledger"
)

const checkpointUsage = `
checkpoint [--out FILE]
checkpoint --rotate-key

Prints the ledger's current signed checkpoint (signing a new one if the
ledger grew), in the transparency-dev checkpoint format signed as a
golang.org/x/mod/sumdb/note. Publish it, or hand it to a partner: anyone who
keeps it can later prove that no entry was altered or removed since, with
'paradero verify --checkpoint FILE'.

--rotate-key retires the signing key (on a schedule, or because a copy of it
may have leaked): it signs the current tree with the old key, makes a new key
of the same name, records the hand-over signed by both keys in ledger.keys
and puts the new key in ledger.key, deleting the old one. Checkpoints and
redactions signed before stay valid; one the old key signs for a larger tree
is refused. Proofs carry the key history, so whoever trusts the old public
key can check checkpoints of the new one. Servers sharing one PostgreSQL
database must all get the new ledger.key, ledger.pub and ledger.keys before
they sign again (docs/operations.md).
`

type checkpointCommand struct{ g *globals }

func (c *checkpointCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet(c.g, "checkpoint", checkpointUsage)
	c.g.register(fs)
	out := fs.String("out", "", "write to `FILE` instead of standard output")
	rotate := fs.Bool("rotate-key", false, "retire the signing key and make a new one (see above)")
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
	if *rotate {
		t, err := c.g.log.RotateKey(ctx, c.g.dataDir)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.g.stdout, "The old key signed its last checkpoint at %d entries and is deleted.\n", t.Size)
		fmt.Fprintf(c.g.stdout, "New public key (in %s; publish it):\n  %s\n", ledger.VerifierKeyFile, t.New)
		fmt.Fprintf(c.g.stdout, "Hand-over signed by both keys, kept in %s:\n%s", ledger.KeyHistoryFile, t.Note)
		return nil
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

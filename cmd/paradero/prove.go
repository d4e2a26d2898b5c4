package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/paradero/paradero/ledger"
)

const proveUsage = `
prove [--from SIZE]... [--out FILE] ENTRY

Writes a proof that a ledger entry is in the log, against the current signed
checkpoint, as a self-contained JSON file that anyone can check offline
with 'paradero verify-proof' or by the algorithm in docs/ledger.md. ENTRY is
a ledger index, record:ID or source:ID. The proof carries
consistency proofs from recent checkpoints and from each --from SIZE, so a
verifier that remembers an older checkpoint can move on to this one.
`

type proveCommand struct{ g *globals }

func (c *proveCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet(c.g, "prove", proveUsage)
	c.g.register(fs)
	var from listFlag
	fs.Var(&from, "from", "also prove consistency from the checkpoint of this `SIZE` (repeatable)")
	out := fs.String("out", "", "write to `FILE` instead of standard output")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("give exactly one ENTRY")
	}
	var sizes []int64
	for _, f := range from {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil || n < 0 {
			return usagef("--from %q is not a tree size", f)
		}
		sizes = append(sizes, n)
	}
	if err := c.g.open(ctx); err != nil {
		return err
	}
	idx, err := c.g.entryIndex(ctx, pos[0])
	if err != nil {
		return err
	}
	p, err := c.g.log.Prove(ctx, idx, sizes...)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if *out != "" {
		return os.WriteFile(*out, b, 0o644)
	}
	_, err = c.g.stdout.Write(b)
	return err
}

// entryIndex resolves "17", "record:12", "source:3" or "redaction:1" to a
// ledger index.
func (g *globals) entryIndex(ctx context.Context, s string) (int64, error) {
	kind, id, ok := strings.Cut(s, ":")
	if !ok {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return 0, usagef("ENTRY %q is not a ledger index or KIND:ID", s)
		}
		return n, nil
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return 0, usagef("ENTRY %q: %q is not an id", s, id)
	}
	switch kind {
	case "record":
		r, err := g.store.FindRecordByID(ctx, n)
		if err != nil {
			return 0, err
		}
		return r.LedgerIndex, nil
	case "source":
		src, err := g.store.FindSourceByID(ctx, n)
		if err != nil {
			return 0, err
		}
		return src.LedgerIndex, nil
	}
	return 0, usagef("ENTRY %q: kind %q is not record or source", s, kind)
}

const verifyProofUsage = `
verify-proof [--key VKEY | --key-file FILE] [--state DIR | --forget] PROOF

Checks a proof written by 'paradero prove', offline: the checkpoint's
signature, the entry's inclusion under the signed root, and the checkpoint
against the one this verifier saw last for the same log (kept in --state),
refusing a rollback and reporting a fork with both signed checkpoints as
evidence. Exit status 0 when the proof holds, 1 when it does not, 3 on a fork.
Without --key, the key inside the proof is trusted and its name printed:
compare it with the one the publisher announced.
`

type verifyProofCommand struct{ g *globals }

func (c *verifyProofCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet(c.g, "verify-proof", verifyProofUsage)
	key := fs.String("key", "", "the log's verifier `key` (as in ledger.pub)")
	keyFile := fs.String("key-file", "", "read the verifier key from `FILE`")
	state := fs.String("state", "", "where remembered checkpoints are kept (default: the user config dir's paradero/checkpoints)")
	forget := fs.Bool("forget", false, "check the proof alone, remembering nothing")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("give exactly one PROOF file")
	}
	if *keyFile != "" {
		b, err := os.ReadFile(*keyFile)
		if err != nil {
			return err
		}
		*key = strings.TrimSpace(string(b))
	}
	b, err := os.ReadFile(pos[0])
	if err != nil {
		return err
	}
	p, err := ledger.ReadProof(b)
	if err != nil {
		return fmt.Errorf("%s: %w", pos[0], err)
	}
	var w *ledger.Witness
	if !*forget {
		dir := *state
		if dir == "" {
			cfg, err := os.UserConfigDir()
			if err != nil {
				return usagef("no config directory: give --state DIR or --forget")
			}
			dir = filepath.Join(cfg, "paradero", "checkpoints")
		}
		w = &ledger.Witness{Dir: dir}
	}
	cp, err := ledger.VerifyProof(p, *key, w)
	if errors.Is(err, ledger.ErrFork) {
		return &exitError{code: 3, err: err}
	}
	if err != nil {
		return &exitError{code: 1, err: fmt.Errorf("the proof does NOT hold: %w", err)}
	}
	fmt.Fprintf(c.g.stdout, "OK: entry %d is in log %s as of its signed checkpoint of %d entries.\n", p.Index, cp.Origin, cp.Size)
	if *key == "" {
		fmt.Fprintf(c.g.stdout, "Trusted the key inside the proof: %s\n", p.VerifierKey)
	}
	fmt.Fprintf(c.g.stdout, "The entry:\n%s", p.Leaf)
	return nil
}

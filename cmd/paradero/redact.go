package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/paradero/paradero"
)

const redactUsage = `
redact --reason TEXT RECORD

Removes a record's content from the store for good, to protect someone. Its
commitment and ledger entry stay, and a signed redaction entry records when
and why, so every proof still verifies. This cannot be undone.
`

type redactCommand struct{ g *globals }

func (c *redactCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet(c.g, "redact", redactUsage)
	c.g.register(fs)
	reason := fs.String("reason", "", "why the content must go (required; shown wherever the record is)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("give exactly one RECORD id")
	}
	id, err := strconv.ParseInt(pos[0], 10, 64)
	if err != nil || id <= 0 {
		return usagef("RECORD %q is not a record id", pos[0])
	}
	if strings.TrimSpace(*reason) == "" {
		return usagef("--reason is required")
	}
	if err := c.g.open(ctx); err != nil {
		return err
	}
	ctx = cliContext(ctx)
	x, err := redactRecord(ctx, c.g, id, *reason)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.g.stdout, "Record %d redacted on %s: %s\nLedger entry %d; checkpoint signed.\n",
		id, x.CreatedAt.Format("2006-01-02"), x.Reason, x.LedgerIndex)
	return nil
}

// redactRecord prepares, signs and applies a redaction of record id, then
// signs a checkpoint.
func redactRecord(ctx context.Context, g *globals, id int64, reason string) (*paradero.Redaction, error) {
	r, err := g.store.FindRecordByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.Redaction != nil {
		return nil, paradero.Errorf(paradero.ECONFLICT, "record %d was redacted on %s", id, r.Redaction.CreatedAt.Format("2006-01-02"))
	}
	x := &paradero.Redaction{
		RecordID:  id,
		Reason:    reason,
		CreatedBy: paradero.ActorFromContext(ctx).Name,
		CreatedAt: paradero.Timestamp(time.Now()),
		Salt:      make([]byte, 32),
	}
	if _, err := rand.Read(x.Salt); err != nil {
		return nil, err
	}
	x.Commitment = paradero.Commit(x.Salt, paradero.RedactionContent(x.Reason, x.CreatedBy))
	if err := g.log.SignRedaction(x, r.Commitment); err != nil {
		return nil, err
	}
	if err := g.store.RedactRecord(ctx, x); err != nil {
		return nil, err
	}
	if _, err := g.log.Checkpoint(ctx); err != nil {
		return nil, fmt.Errorf("redacted, but signing the checkpoint failed: %w", err)
	}
	return x, nil
}

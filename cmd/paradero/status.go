package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/paradero/paradero"
)

const statusUsage = `
status [--json]

Counts the sources, records, persons and redactions in the store, and shows
the ledger's size and its last signed checkpoint.
`

type statusCommand struct{ g *globals }

type statusResult struct {
	Store            string    `json:"store"`
	Sources          int       `json:"sources"`
	Records          int       `json:"records"`
	Persons          int       `json:"persons"`
	Redactions       int       `json:"redactions"`
	LedgerSize       int64     `json:"ledger_size"`
	Origin           string    `json:"origin"`
	CheckpointSize   int64     `json:"checkpoint_size"`
	CheckpointTime   time.Time `json:"checkpoint_time,omitzero"`
	CheckpointHash   string    `json:"checkpoint_hash,omitempty"`
	UncheckpointedAt int64     `json:"entries_since_checkpoint"`
}

func (c *statusCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet(c.g, "status", statusUsage)
	c.g.register(fs)
	asJSON := fs.Bool("json", false, "print as JSON")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("status takes no arguments")
	}
	if err := c.g.open(ctx); err != nil {
		return err
	}
	st, err := c.g.store.Status(ctx)
	if err != nil {
		return err
	}
	res := statusResult{
		Store: c.g.storeName(), Sources: st.Sources, Records: st.Records, Persons: st.Persons,
		Redactions: st.Redactions, LedgerSize: st.LedgerSize, Origin: c.g.log.Key().Origin(),
	}
	cp, err := c.g.store.LatestCheckpoint(ctx)
	switch {
	case err == nil:
		res.CheckpointSize, res.CheckpointTime, res.CheckpointHash = cp.Size, cp.CreatedAt, cp.Hash.String()
	case paradero.ErrorCode(err) != paradero.ENOTFOUND:
		return err
	}
	res.UncheckpointedAt = res.LedgerSize - res.CheckpointSize
	if *asJSON {
		return writeJSON(c.g.stdout, res)
	}
	tw := tabwriter.NewWriter(c.g.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "store\t%s\n", res.Store)
	fmt.Fprintf(tw, "sources\t%d\n", res.Sources)
	fmt.Fprintf(tw, "records\t%d\n", res.Records)
	fmt.Fprintf(tw, "persons\t%d\t(records not yet linked count as one person each)\n", res.Persons)
	fmt.Fprintf(tw, "redactions\t%d\n", res.Redactions)
	fmt.Fprintf(tw, "ledger\t%d entries\t(log %s)\n", res.LedgerSize, res.Origin)
	if res.CheckpointTime.IsZero() {
		fmt.Fprintf(tw, "last checkpoint\tnone yet\n")
	} else {
		fmt.Fprintf(tw, "last checkpoint\tsize %d, %s\t(%d entries since)\n", res.CheckpointSize,
			res.CheckpointTime.Local().Format("2006-01-02 15:04:05 MST"), res.UncheckpointedAt)
	}
	return tw.Flush()
}

// storeName says which store is in use, without the password of a URL.
func (g *globals) storeName() string {
	if g.databaseURL != "" {
		return "postgresql " + redactURL(g.databaseURL)
	}
	return "embedded " + g.dataDir
}

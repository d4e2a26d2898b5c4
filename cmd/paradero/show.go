package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/paradero/paradero"
)

const showUsage = `
show [--file OUT] record:ID | source:ID

Shows a record as its source wrote it — or, for a redacted record, when and
why it was redacted — or a source's description. With --file, writes the
source's original file, byte for byte, to OUT ("-" for standard output).
`

type showCommand struct{ g *globals }

func (c *showCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet(c.g, "show", showUsage)
	c.g.register(fs)
	file := fs.String("file", "", "write the source's original file to `OUT`")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("give exactly one record:ID or source:ID")
	}
	kind, idText, _ := strings.Cut(pos[0], ":")
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil || id <= 0 || kind != "record" && kind != "source" {
		return usagef("%q is not record:ID or source:ID", pos[0])
	}
	if *file != "" && kind != "source" {
		return usagef("--file goes with source:ID")
	}
	if err := c.g.open(ctx); err != nil {
		return err
	}
	ctx = cliContext(ctx)
	if kind == "source" {
		return c.showSource(ctx, id, *file)
	}
	return c.showRecord(ctx, id)
}

func (c *showCommand) showRecord(ctx context.Context, id int64) error {
	r, err := c.g.store.FindRecordByID(ctx, id)
	if err != nil {
		return err
	}
	if err := c.g.audit(ctx, paradero.AuditRecordView, fmt.Sprintf("record:%d", id)); err != nil {
		return err
	}
	src, err := c.g.store.FindSourceByID(ctx, r.SourceID)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(c.g.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "record %d\tsource %d %q (%s), line %d\n", r.ID, src.ID, src.Title, src.Kind, r.Row)
	if x := r.Redaction; x != nil {
		fmt.Fprintf(w, "REDACTED\ton %s: %s\n", x.CreatedAt.Format("2006-01-02"), x.Reason)
	}
	for _, f := range paradero.RecordFields {
		if v := f.Get(r); v != "" {
			fmt.Fprintf(w, "%s\t%s\n", f.Key, v)
		}
	}
	for _, x := range r.Extra {
		fmt.Fprintf(w, "%s\t%s\n", x.Name, x.Value)
	}
	fmt.Fprintf(w, "ledger entry\t%d (commitment %s)\n", r.LedgerIndex, r.Commitment)
	return w.Flush()
}

func (c *showCommand) showSource(ctx context.Context, id int64, file string) error {
	src, err := c.g.store.FindSourceByID(ctx, id)
	if err != nil {
		return err
	}
	if file != "" {
		if err := c.g.audit(ctx, paradero.AuditSourceDownload, fmt.Sprintf("source:%d", id)); err != nil {
			return err
		}
		return c.writeBlob(ctx, src, file)
	}
	w := tabwriter.NewWriter(c.g.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "source %d\t%s\n", src.ID, src.Title)
	fmt.Fprintf(w, "kind\t%s\n", src.Kind)
	if !src.Published.IsZero() {
		fmt.Fprintf(w, "published\t%s\n", src.Published)
	}
	fmt.Fprintf(w, "file\t%s (%s, %d bytes)\n", src.Filename, src.MediaType, src.Size)
	fmt.Fprintf(w, "SHA-256\t%s\n", src.SHA256)
	fmt.Fprintf(w, "imported\t%s by %s\n", src.ImportedAt.Format("2006-01-02 15:04 MST"), src.ImportedBy)
	fmt.Fprintf(w, "records\t%d\n", src.Records)
	fmt.Fprintf(w, "ledger entry\t%d\n", src.LedgerIndex)
	return w.Flush()
}

func (c *showCommand) writeBlob(ctx context.Context, src *paradero.Source, file string) error {
	rc, err := c.g.store.OpenBlob(ctx, src.SHA256)
	if err != nil {
		return err
	}
	defer rc.Close()
	if file == "-" {
		_, err = io.Copy(c.g.stdout, rc)
		return err
	}
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, rc); err != nil {
		f.Close()
		os.Remove(file)
		return err
	}
	return f.Close()
}

// audit records a read in the store's audit log, as the web app does, when
// the store keeps one. A read that cannot be audited is refused.
func (g *globals) audit(ctx context.Context, action, object string) error {
	a, ok := g.store.(paradero.AuditService)
	if !ok {
		return nil
	}
	if err := a.CreateAuditEntry(ctx, paradero.NewAuditEntry(ctx, action, object)); err != nil {
		return fmt.Errorf("the read could not be audited, so it is refused: %w", err)
	}
	return nil
}

package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/report"
	"github.com/paradero/paradero/timeline"
)

const exportUsage = `
export dossier PERSON|case:ID [--lang es|en] [--pdf | --json] [--out FILE]
export reconciliation [--sources ID,ID…] [--on ID --absent ID] [--svg FILE] [--out FILE]
export flows [--lang es|en] [--out FILE]
export report [--lang es|en] [--pdf] [--by kind|source] [--lists L,L…] [--on ID --absent ID] [--out FILE]

dossier: everything known about one person, for a court or the UN — the
identity as each source wrote it, the custody timeline with its sources, the
due-process facts and flags, the sources with their SHA-256, and an inclusion
proof of every record against the current signed checkpoint, with how to
check them without Paradero. PERSON is a person id, person:ID, or record:ID
(the person that record belongs to). case:ID exports a case's dossier
instead: its facts, hearings, deadlines and court orders, each person it
concerns as above, the violations recorded, and a proof of every record and
every source it cites. HTML by default (one self-contained
file), PDF with --pdf, JSON with --json. Every export is written to the audit
log.

reconciliation: who is on which source, after 'paradero link', as CSV (one row
per person, a 0/1 column per source); --svg also draws the UpSet chart. With
--on and --absent, the persons on one source, on no later one and missing
from the other instead (for example on the outbound roster and not on the
return manifest: still unaccounted for). Text cells are neutralised against
spreadsheet formula injection.

flows: an SVG flow (Sankey) chart of every person's path from the last place
held, through the removal flight and foreign custody, to where they stand
now, from the custody timelines.

report: the aggregate report, naming nobody, as one HTML file or, with
--pdf, an A4 PDF: counts by kind of source and by status, the
reconciliation of the lists the estimate reads (UpSet chart and table), with
--on/--absent how many are unaccounted for, the estimate of those on no list
(as 'paradero estimate' makes it from the store, with --by and --lists) with
the models considered and its warnings, the flow chart and status over time,
and every source with its SHA-256 — as of the signed checkpoint it names.
`

type exportCommand struct{ g *globals }

func (c *exportCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet(c.g, "export", exportUsage)
	c.g.register(fs)
	lang := fs.String("lang", "es", "dossier language: es or en")
	pdf := fs.Bool("pdf", false, "dossier, report: write PDF")
	asJSON := fs.Bool("json", false, "dossier: write JSON")
	out := fs.String("out", "", "write to `FILE` instead of standard output")
	sources := fs.String("sources", "", "reconciliation: the source `IDS` to reconcile, comma-separated (default all)")
	on := fs.Int64("on", 0, "reconciliation: persons on this source `ID`…")
	absent := fs.Int64("absent", 0, "reconciliation: …and missing from this source `ID` and every later one")
	svgOut := fs.String("svg", "", "reconciliation: also write the UpSet chart to `FILE`")
	by := fs.String("by", "kind", "report: estimate with one list per source `kind` or per source")
	lists := fs.String("lists", "", "report: estimate with only these source kinds or ids, comma-separated")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("give what to export: dossier PERSON or reconciliation")
	}
	var b bytes.Buffer
	switch pos[0] {
	case "dossier":
		if len(pos) != 2 {
			return usagef("give exactly one PERSON")
		}
		if !report.ValidLang(*lang) {
			return usagef("--lang %q is not es or en", *lang)
		}
		if *pdf && *asJSON {
			return usagef("give --pdf or --json, not both")
		}
		if err := c.dossier(ctx, &b, pos[1], *lang, *pdf, *asJSON); err != nil {
			return err
		}
	case "reconciliation":
		if len(pos) != 1 {
			return usagef("reconciliation takes no arguments")
		}
		if (*on == 0) != (*absent == 0) {
			return usagef("give --on and --absent together")
		}
		if err := c.reconciliation(ctx, &b, *sources, *on, *absent, *svgOut); err != nil {
			return err
		}
	case "flows":
		if len(pos) != 1 {
			return usagef("flows takes no arguments")
		}
		if !report.ValidLang(*lang) {
			return usagef("--lang %q is not es or en", *lang)
		}
		if err := c.flows(ctx, &b, *lang); err != nil {
			return err
		}
	case "report":
		if len(pos) != 1 {
			return usagef("report takes no arguments")
		}
		if !report.ValidLang(*lang) {
			return usagef("--lang %q is not es or en", *lang)
		}
		if *asJSON {
			return usagef("the report is HTML, or PDF with --pdf; not JSON")
		}
		if *by != "kind" && *by != "source" {
			return usagef("--by %q is not kind or source", *by)
		}
		if (*on == 0) != (*absent == 0) {
			return usagef("give --on and --absent together")
		}
		if err := c.aggregate(ctx, &b, *lang, *pdf, *by == "kind", *lists, *on, *absent); err != nil {
			return err
		}
	default:
		return usagef("cannot export %q: give dossier, reconciliation, flows or report", pos[0])
	}
	if *out != "" {
		return writeOutput(*out, b.Bytes())
	}
	_, err = c.g.stdout.Write(b.Bytes())
	return err
}

// writeOutput writes an export to path (--out) through a new file in the
// same directory, renamed over path: the result is its owner's only
// (0600: a dossier names people) whatever was there before, and a link
// planted at path is replaced, never written through.
func writeOutput(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".partial-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // once renamed, there is nothing of that name to remove
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// dossierStore is what a dossier needs of the store.
type dossierStore interface {
	paradero.Store
	paradero.PersonService
}

func (c *exportCommand) dossier(ctx context.Context, b *bytes.Buffer, arg, lang string, pdf, asJSON bool) error {
	if err := c.g.open(ctx); err != nil {
		return err
	}
	ctx = cliContext(ctx)
	if v, ok := strings.CutPrefix(arg, "case:"); ok {
		return c.caseDossier(ctx, b, v, lang, pdf, asJSON)
	}
	store, ok := c.g.store.(dossierStore)
	if !ok {
		return paradero.Errorf(paradero.EUNAVAILABLE, "this store does not keep persons yet")
	}
	id, err := personArg(ctx, store, arg)
	if err != nil {
		return err
	}
	d, err := report.BuildDossier(ctx, store, c.g.log, id, report.DossierOptions{Lang: lang})
	if err != nil {
		return err
	}
	switch {
	case pdf:
		return d.WritePDF(b)
	case asJSON:
		return d.WriteJSON(b)
	}
	return d.WriteHTML(b)
}

// caseDossier writes the dossier of case id (the text after "case:").
func (c *exportCommand) caseDossier(ctx context.Context, b *bytes.Buffer, id, lang string, pdf, asJSON bool) error {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return usagef("case:%s is not case:ID", id)
	}
	store, ok := c.g.store.(report.CaseStore)
	if !ok {
		return paradero.Errorf(paradero.EUNAVAILABLE, "this store does not keep cases")
	}
	d, err := report.BuildCaseDossier(ctx, store, c.g.log, n, report.DossierOptions{Lang: lang})
	if err != nil {
		return err
	}
	switch {
	case pdf:
		return d.WritePDF(b)
	case asJSON:
		return d.WriteJSON(b)
	}
	return d.WriteHTML(b)
}

// personArg resolves "12", "person:12" or "record:40" to a person id.
func personArg(ctx context.Context, ps paradero.PersonService, s string) (int64, error) {
	kind, v, ok := strings.Cut(s, ":")
	if !ok {
		kind, v = "person", s
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, usagef("PERSON %q is not an id, person:ID or record:ID", s)
	}
	switch kind {
	case "person":
		return n, nil
	case "record":
		p, err := ps.FindPersonOfRecord(ctx, n)
		if err != nil {
			return 0, err
		}
		return p.ID, nil
	}
	return 0, usagef("PERSON %q is not an id, person:ID or record:ID", s)
}

func (c *exportCommand) reconciliation(ctx context.Context, b *bytes.Buffer, ids string, on, absent int64, svgOut string) error {
	if err := c.g.open(ctx); err != nil {
		return err
	}
	ctx = cliContext(ctx)
	rec, err := loadReconciliation(ctx, c.g, ids)
	if err != nil {
		return err
	}
	if svgOut != "" {
		if err := os.WriteFile(svgOut, rec.UpSetSVG(report.UpSetOptions{}), 0o644); err != nil {
			return err
		}
	}
	if on != 0 {
		for _, id := range []int64{on, absent} {
			if rec.Source(id) == nil {
				return paradero.Errorf(paradero.ENOTFOUND, "source %d is not among those reconciled", id)
			}
		}
		return report.WriteUnaccountedCSV(b, rec.Unaccounted(on, absent))
	}
	return rec.WriteCSV(b)
}

func (c *exportCommand) flows(ctx context.Context, b *bytes.Buffer, lang string) error {
	if err := c.g.open(ctx); err != nil {
		return err
	}
	ctx = cliContext(ctx)
	store, ok := c.g.store.(dossierStore)
	if !ok {
		return paradero.Errorf(paradero.EUNAVAILABLE, "this store does not keep persons yet")
	}
	ts, err := report.LoadTimelines(ctx, store, timeline.Options{Now: time.Now()})
	if err != nil {
		return err
	}
	_, err = b.Write(report.Flows(ts, report.FlowOptions{Lang: lang}).SVG(960))
	return err
}

// loadReconciliation reconciles the store's sources (all, or those whose
// ids the comma-separated list names) over the linked persons.
func loadReconciliation(ctx context.Context, g *globals, ids string) (*report.Reconciliation, error) {
	store, ok := g.store.(dossierStore)
	if !ok {
		return nil, paradero.Errorf(paradero.EUNAVAILABLE, "this store does not keep persons yet")
	}
	all, err := report.LoadSources(ctx, store)
	if err != nil {
		return nil, err
	}
	sources := all
	if ids != "" {
		sources = nil
		for f := range strings.SplitSeq(ids, ",") {
			n, err := strconv.ParseInt(strings.TrimSpace(f), 10, 64)
			if err != nil {
				return nil, usagef("--sources: %q is not a source id", f)
			}
			var found *paradero.Source
			for _, s := range all {
				if s.ID == n {
					found = s
				}
			}
			if found == nil {
				return nil, paradero.Errorf(paradero.ENOTFOUND, "source %d not found", n)
			}
			sources = append(sources, found)
		}
	}
	ms, err := report.LoadMemberships(ctx, store)
	if err != nil {
		return nil, err
	}
	return report.Reconcile(sources, ms), nil
}

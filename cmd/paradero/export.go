package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/estimate"
	"github.com/paradero/paradero/report"
	"github.com/paradero/paradero/timeline"
)

const exportUsage = `
export dossier PERSON [--lang es|en] [--pdf | --json] [--out FILE]
export reconciliation [--sources ID,ID…] [--on ID --absent ID] [--svg FILE] [--out FILE]
export flows [--lang es|en] [--out FILE]
export report [--lang es|en] [--by kind|source] [--lists L,L…] [--on ID --absent ID] [--out FILE]

dossier: everything known about one person, for a court or the UN — the
identity as each source wrote it, the custody timeline with its sources, the
due-process facts and flags, the sources with their SHA-256, and an inclusion
proof of every record against the current signed checkpoint, with how to
check them without Paradero. PERSON is a person id, person:ID, or record:ID
(the person that record belongs to). HTML by default (one self-contained
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

report: the aggregate report, naming nobody, as one HTML file: counts, the
reconciliation (UpSet chart), with --on/--absent how many are unaccounted
for, the estimate of those on no list (as 'paradero estimate' makes it from
the store, with --by and --lists), the flow chart and status over time.
`

type exportCommand struct{ g *globals }

func (c *exportCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet(c.g, "export", exportUsage)
	c.g.register(fs)
	lang := fs.String("lang", "es", "dossier language: es or en")
	pdf := fs.Bool("pdf", false, "dossier: write PDF")
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
		if *by != "kind" && *by != "source" {
			return usagef("--by %q is not kind or source", *by)
		}
		if (*on == 0) != (*absent == 0) {
			return usagef("give --on and --absent together")
		}
		if err := c.aggregate(ctx, &b, *lang, *by == "kind", *lists, *on, *absent); err != nil {
			return err
		}
	default:
		return usagef("cannot export %q: give dossier, reconciliation, flows or report", pos[0])
	}
	if *out != "" {
		return os.WriteFile(*out, b.Bytes(), 0o600)
	}
	_, err = c.g.stdout.Write(b.Bytes())
	return err
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

// aggregate writes the aggregate report.
func (c *exportCommand) aggregate(ctx context.Context, b *bytes.Buffer, lang string, byKind bool, lists string, on, absent int64) error {
	if err := c.g.open(ctx); err != nil {
		return err
	}
	ctx = cliContext(ctx)
	store, ok := c.g.store.(dossierStore)
	if !ok {
		return paradero.Errorf(paradero.EUNAVAILABLE, "this store does not keep persons yet")
	}
	now := time.Now()
	all, err := report.LoadSources(ctx, store)
	if err != nil {
		return err
	}
	chosen, err := selectSources(all, byKind, lists)
	if err != nil {
		return err
	}
	ms, mentions, err := report.LoadMentions(ctx, store)
	if err != nil {
		return err
	}
	st, err := store.Status(ctx)
	if err != nil {
		return err
	}
	cp, err := c.g.log.Checkpoint(ctx)
	if err != nil {
		return err
	}
	a := &report.Aggregate{Lang: lang, Generated: now, Records: st.Records,
		Checkpoint: strconv.FormatInt(cp.Size, 10) + " " + cp.Hash.String(), Reconciliation: report.Reconcile(all, ms)}
	if on != 0 {
		for _, id := range []int64{on, absent} {
			if a.Reconciliation.Source(id) == nil {
				return paradero.Errorf(paradero.ENOTFOUND, "source %d not found", id)
			}
		}
		a.Unaccounted = &report.UnaccountedCount{On: report.SourceLabel(a.Reconciliation.Source(on)),
			Absent: report.SourceLabel(a.Reconciliation.Source(absent)), Count: len(a.Reconciliation.Unaccounted(on, absent))}
	}
	t, err := countsTable(report.Reconcile(chosen, ms), byKind)
	if err != nil {
		return err
	}
	r, err := estimate.Estimate(ctx, t, estimate.Options{})
	if err != nil {
		return err
	}
	a.Estimate = estimateSummary(r, lang)
	opt := timeline.Options{Now: now}
	ts := make([]*timeline.Timeline, len(mentions))
	first, last := now, time.Time{}
	for i, m := range mentions {
		ts[i] = timeline.Build(m, nil, opt)
		for _, e := range ts[i].Events {
			d := time.Date(e.Date.From.Year, time.Month(max(e.Date.From.Month, 1)), max(e.Date.From.Day, 1), 0, 0, 0, 0, time.UTC)
			if d.Before(first) {
				first = d
			}
			if d.After(last) && !d.After(now) {
				last = d
			}
		}
	}
	a.Flows = report.Flows(ts, report.FlowOptions{Lang: lang})
	if !last.IsZero() {
		// At most three years of months, the last ones.
		if first.Before(last.AddDate(-3, 0, 0)) {
			first = last.AddDate(-3, 0, 0)
		}
		a.Status = report.StatusOverTime(mentions, first, last, lang, opt)
	}
	return a.WriteHTML(b)
}

// estimateSummary says what the report shows of an estimate, with the
// method in plain words.
func estimateSummary(r *estimate.Report, lang string) *report.EstimateSummary {
	s := &report.EstimateSummary{Lists: r.Lists, Observed: r.Observed, Total: r.Estimate, Warnings: r.Warnings,
		Lower: math.NaN(), Upper: math.NaN()}
	if r.Interval != nil {
		s.Lower, s.Upper = r.Interval.Lower, r.Interval.Upper
	}
	if r.Chosen != nil {
		s.Model = r.Chosen.Name + " (" + r.Chosen.Label + ")"
	}
	crit := strings.ToUpper(string(r.Criterion))
	if lang == "en" {
		s.Method = fmt.Sprintf("Multiple systems estimation: every hierarchical log-linear model with interactions up to order %d was fitted "+
			"as a Poisson regression to the persons on each combination of lists; models whose estimate does not exist were left out; "+
			"the model was chosen by %s; the interval is its profile likelihood. %d models were considered. Method: Paradero's docs/estimate.md, "+
			"validated against R's Rcapture.", r.MaxOrder, crit, len(r.Models))
	} else {
		s.Method = fmt.Sprintf("Estimación por sistemas múltiples: se ajustaron todos los modelos log-lineales jerárquicos con interacciones hasta "+
			"el orden %d, como regresiones de Poisson sobre las personas de cada combinación de listas; se excluyeron los modelos cuya "+
			"estimación no existe; el modelo se eligió por %s; el intervalo es el de su verosimilitud perfil. Se consideraron %d modelos. "+
			"Método: docs/estimate.md de Paradero, validado con el paquete Rcapture de R.", r.MaxOrder, crit, len(r.Models))
	}
	return s
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

package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/estimate"
	"github.com/paradero/paradero/report"
	"github.com/paradero/paradero/timeline"
)

// aggregate writes the aggregate report, as HTML or (pdf) PDF.
func (c *exportCommand) aggregate(ctx context.Context, b *bytes.Buffer, lang string, pdf, byKind bool, lists string, on, absent int64) error {
	if err := c.g.open(ctx); err != nil {
		return err
	}
	a, err := c.buildAggregate(cliContext(ctx), time.Now(), lang, byKind, lists, on, absent)
	if err != nil {
		return err
	}
	if pdf {
		return a.WritePDF(b)
	}
	return a.WriteHTML(b)
}

// buildAggregate gathers the aggregate report from the open store, as of
// now.
func (c *exportCommand) buildAggregate(ctx context.Context, now time.Time, lang string, byKind bool, lists string, on, absent int64) (*report.Aggregate, error) {
	store, ok := c.g.store.(dossierStore)
	if !ok {
		return nil, paradero.Errorf(paradero.EUNAVAILABLE, "this store does not keep persons yet")
	}
	all, err := report.LoadSources(ctx, store)
	if err != nil {
		return nil, err
	}
	chosen, err := selectSources(all, byKind, lists)
	if err != nil {
		return nil, err
	}
	ms, mentions, err := report.LoadMentions(ctx, store)
	if err != nil {
		return nil, err
	}
	st, err := store.Status(ctx)
	if err != nil {
		return nil, err
	}
	cp, err := c.g.log.Checkpoint(ctx)
	if err != nil {
		return nil, err
	}
	a := &report.Aggregate{Lang: lang, Generated: now, Records: st.Records,
		CheckpointSize: cp.Size, CheckpointHash: cp.Hash.String(), Reconciliation: report.Reconcile(all, ms)}
	if on != 0 {
		for _, id := range []int64{on, absent} {
			if a.Reconciliation.Source(id) == nil {
				return nil, paradero.Errorf(paradero.ENOTFOUND, "source %d not found", id)
			}
		}
		a.Unaccounted = &report.UnaccountedCount{On: report.SourceLabel(a.Reconciliation.Source(on)),
			Absent: report.SourceLabel(a.Reconciliation.Source(absent)), Count: len(a.Reconciliation.Unaccounted(on, absent))}
	}
	// The chart and the estimate read the same lists.
	a.Lists = report.Reconcile(chosen, ms)
	t, err := countsTable(a.Lists, byKind)
	if err != nil {
		return nil, err
	}
	if byKind {
		a.Lists = a.Lists.GroupByKind(lang)
	}
	r, err := estimate.Estimate(ctx, t, estimate.Options{})
	if err != nil {
		return nil, err
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
	a.ByStatus = report.CountStatuses(ts)
	a.Flows = report.Flows(ts, report.FlowOptions{Lang: lang})
	if !last.IsZero() {
		// At most three years of months, the last ones.
		if first.Before(last.AddDate(-3, 0, 0)) {
			first = last.AddDate(-3, 0, 0)
		}
		a.Status = report.StatusOverTime(mentions, first, last, lang, opt)
	}
	return a, nil
}

// modelsListed is how many of the models considered the report lists.
const modelsListed = 10

// estimateSummary says what the report shows of an estimate, with the
// method and the warnings in plain words in lang.
func estimateSummary(r *estimate.Report, lang string) *report.EstimateSummary {
	s := &report.EstimateSummary{Lists: r.Lists, Observed: r.Observed, Total: r.Estimate,
		Lower: math.NaN(), Upper: math.NaN(), Criterion: strings.ToUpper(string(r.Criterion)),
		Considered: len(r.Models), Excluded: r.Excluded}
	for _, w := range r.Warnings {
		s.Warnings = append(s.Warnings, report.EstimateWarning(lang, w))
	}
	if r.Interval != nil {
		s.Lower, s.Upper = r.Interval.Lower, r.Interval.Upper
	}
	if r.Chosen != nil {
		s.Model = r.Chosen.Name + " (" + r.Chosen.Label + ")"
	}
	for _, m := range r.Models { // best first; those without estimate last
		if !m.Exists || len(s.Models) == modelsListed {
			break
		}
		s.Models = append(s.Models, report.ModelSummary{Name: m.Name, Label: m.Label, Params: m.Params, DF: m.DF,
			Deviance: m.Deviance, AIC: m.AIC, BIC: m.BIC, Total: m.N})
	}
	crit := s.Criterion
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

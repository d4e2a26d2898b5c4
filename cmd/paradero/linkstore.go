package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/linkage"
)

// linkStoreResult is what a store-mode link run did.
type linkStoreResult struct {
	Run            int64 `json:"run"`
	Records        int   `json:"records"`
	Sources        int   `json:"sources"`
	Persons        int   `json:"persons"`
	CandidatePairs int64 `json:"candidate_pairs"`
	Links          int   `json:"links"`
	Review         int   `json:"review"`
	Decisions      int   `json:"decisions"`
}

// linkStore links every record in the store into persons, honouring the
// reviewers' latest decision on each pair, and saves the persons, their
// lineage and the review queue.
func linkStore(ctx context.Context, g *globals, settings linkage.Settings, logf func(string, ...any)) (*linkStoreResult, error) {
	ps, ok := g.store.(paradero.PersonService)
	if !ok {
		return nil, paradero.Errorf(paradero.EUNAVAILABLE, "this store does not keep persons yet")
	}
	tables, err := linkTablesFromStore(ctx, g.store)
	if err != nil {
		return nil, err
	}
	reviews, err := ps.FindReviews(ctx)
	if err != nil {
		return nil, err
	}
	decisions, err := latestDecisions(ctx, g.store, reviews)
	if err != nil {
		return nil, err
	}
	res, err := linkage.Link(ctx, settings, tables, linkage.Options{Decisions: decisions, Logf: logf})
	if err != nil {
		return nil, err
	}
	recordID := func(i int) (int64, error) {
		return strconv.ParseInt(res.Records[i].ID, 10, 64)
	}
	byCluster := make(map[int][]int64)
	var order []int
	for i, c := range res.Cluster {
		id, err := recordID(i)
		if err != nil {
			return nil, err
		}
		if _, ok := byCluster[c]; !ok {
			order = append(order, c)
		}
		byCluster[c] = append(byCluster[c], id)
	}
	clusters := make([][]int64, len(order))
	for i, c := range order {
		clusters[i] = byCluster[c]
	}
	var queue []paradero.ReviewPair
	for _, p := range res.Review() {
		a, errA := recordID(p.A)
		b, errB := recordID(p.B)
		if errA != nil || errB != nil {
			return nil, fmt.Errorf("link: record ids %q, %q", res.Records[p.A].ID, res.Records[p.B].ID)
		}
		exp, err := res.Explain(p.A, p.B)
		if err != nil {
			return nil, err
		}
		raw, err := json.Marshal(exp)
		if err != nil {
			return nil, err
		}
		if a > b {
			a, b = b, a
		}
		queue = append(queue, paradero.ReviewPair{RecordA: a, RecordB: b, Probability: p.Probability, Weight: p.Weight, Explanation: raw})
	}
	settingsJSON, err := json.Marshal(settings)
	if err != nil {
		return nil, err
	}
	run := &paradero.LinkRun{CreatedBy: paradero.ActorFromContext(ctx).Name, CandidatePairs: res.Stats.CandidatePairs, Settings: settingsJSON}
	if err := ps.SaveLinkRun(ctx, run, clusters, queue); err != nil {
		return nil, err
	}
	return &linkStoreResult{Run: run.ID, Records: len(res.Records), Sources: len(tables), Persons: len(clusters),
		CandidatePairs: res.Stats.CandidatePairs, Links: res.Stats.Links, Review: len(queue), Decisions: len(decisions)}, nil
}

// linkTablesFromStore reads every record, one table per source, with the
// canonical field keys as columns and the record id as rec_id. A redacted
// record is an empty row: it can link to nothing.
func linkTablesFromStore(ctx context.Context, store paradero.Store) ([]linkage.Table, error) {
	columns := []string{"rec_id"}
	for _, f := range paradero.RecordFields {
		columns = append(columns, f.Key)
	}
	bySource := make(map[int64]int)
	var tables []linkage.Table
	var after int64
	for {
		recs, _, err := store.FindRecords(ctx, paradero.RecordFilter{AfterID: after, Limit: 10000})
		if err != nil {
			return nil, err
		}
		if len(recs) == 0 {
			return tables, nil
		}
		for _, r := range recs {
			ti, ok := bySource[r.SourceID]
			if !ok {
				ti = len(tables)
				bySource[r.SourceID] = ti
				tables = append(tables, linkage.Table{Name: "source-" + strconv.FormatInt(r.SourceID, 10), Columns: columns})
			}
			row := make([]string, len(columns))
			row[0] = strconv.FormatInt(r.ID, 10)
			for i, f := range paradero.RecordFields {
				row[i+1] = f.Get(r)
			}
			tables[ti].Rows = append(tables[ti].Rows, row)
			after = r.ID
		}
	}
}

// latestDecisions turns the reviews into must-link and cannot-link
// decisions: the latest review of each pair is in force, and "unsure"
// decides nothing.
func latestDecisions(ctx context.Context, store paradero.Store, reviews []*paradero.Review) ([]linkage.Decision, error) {
	type pair struct{ a, b int64 }
	latest := make(map[pair]*paradero.Review)
	var order []pair
	for _, x := range reviews {
		p := pair{x.RecordA, x.RecordB}
		if _, ok := latest[p]; !ok {
			order = append(order, p)
		}
		latest[p] = x
	}
	ref := func(id int64) (linkage.RecordRef, error) {
		r, err := store.FindRecordByID(ctx, id)
		if err != nil {
			return linkage.RecordRef{}, err
		}
		return linkage.RecordRef{Source: "source-" + strconv.FormatInt(r.SourceID, 10), ID: strconv.FormatInt(id, 10)}, nil
	}
	var out []linkage.Decision
	for _, p := range order {
		x := latest[p]
		if x.Verdict == paradero.VerdictUnsure {
			continue
		}
		a, err := ref(x.RecordA)
		if err != nil {
			return nil, err
		}
		b, err := ref(x.RecordB)
		if err != nil {
			return nil, err
		}
		out = append(out, linkage.Decision{A: a, B: b, Same: x.Verdict == paradero.VerdictSame})
	}
	return out, nil
}

func printLinkStore(w io.Writer, r *linkStoreResult) {
	fmt.Fprintf(w, "Linked %d records from %d sources into %d persons (run %d).\n", r.Records, r.Sources, r.Persons, r.Run)
	fmt.Fprintf(w, "%d candidate pairs scored; %d links; %d pairs for review; %d reviewers' decisions honoured.\n",
		r.CandidatePairs, r.Links, r.Review, r.Decisions)
}

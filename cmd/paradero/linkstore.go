package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/linkage"
)

// linkStoreResult is what a store-mode link run did.
type linkStoreResult struct {
	Run            int64 `json:"run"`
	Incremental    bool  `json:"incremental"`
	Records        int   `json:"records"`
	NewRecords     int   `json:"new_records"` // records linked; the rest kept their persons
	Sources        int   `json:"sources"`
	Persons        int   `json:"persons"`
	CandidatePairs int64 `json:"candidate_pairs"`
	Links          int   `json:"links"`
	Review         int   `json:"review"`
	Decisions      int   `json:"decisions"`
}

// linkStateFile is where store-mode linking kept, in the data directory,
// the fitted model of the last full run and the persons of the last run,
// before the store kept them with each link run (LinkRun.State). An
// incremental run still reads it, once, when the latest run in the store
// kept no state; the run it saves keeps the state in the store, and the
// file is never read again.
const linkStateFile = "linkage-state.json"

// linkStoreState is the content of linkStateFile.
type linkStoreState struct {
	Version int `json:"version"` // linkStoreStateVersion
	// Run is the link run that saved Persons.
	Run int64 `json:"run"`
	// Persons is the partition Run saved, as record ids.
	Persons [][]int64 `json:"persons"`
	// Linkage is the linkage.State of the last full run.
	Linkage json.RawMessage `json:"linkage"`
}

const linkStoreStateVersion = 1

// linkStore links the records in the store into persons, honouring the
// reviewers' latest decision on each pair, and saves the persons, their
// lineage and the review queue. A full run refits the model on every
// record; an incremental one links the records that are in no person yet
// with the model of the last full run. Both keep the model with the run
// they save, in the store (LinkRun.State), for the next incremental run.
func linkStore(ctx context.Context, g *globals, settings linkage.Settings, incremental bool, logf func(string, ...any)) (*linkStoreResult, error) {
	ps, ok := g.store.(paradero.PersonService)
	if !ok {
		return nil, paradero.Errorf(paradero.EUNAVAILABLE, "this store does not keep persons yet")
	}
	var legacy *linkStoreState
	var state *linkage.State
	if incremental {
		var err error
		if state, legacy, err = linkLatestState(ctx, ps, g.dataDir); err != nil {
			return nil, err
		}
		settings = state.Settings
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
	opt := linkage.Options{Decisions: decisions, Logf: logf}
	var res *linkage.Result
	var oldQueue []paradero.ReviewPair
	if incremental {
		var persons [][]linkage.RecordRef
		if legacy != nil {
			persons, err = linkCheckState(ctx, ps, legacy, tables)
		} else {
			persons, err = linkStorePersons(ctx, ps, tables)
		}
		if err != nil {
			return nil, err
		}
		if res, err = linkage.LinkIncremental(ctx, state, tables, persons, opt); err != nil {
			return nil, err
		}
		// The queue of the last run stays: its pairs were not scored again.
		if oldQueue, err = linkReadQueue(ctx, ps); err != nil {
			return nil, err
		}
	} else {
		if res, err = linkage.Link(ctx, settings, tables, opt); err != nil {
			return nil, err
		}
		state = res.State()
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
	type pairKey struct{ a, b int64 }
	fresh := make(map[pairKey]bool)
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
		fresh[pairKey{a, b}] = true
		queue = append(queue, paradero.ReviewPair{RecordA: a, RecordB: b, Probability: p.Probability, Weight: p.Weight, Explanation: raw})
	}
	for _, q := range oldQueue {
		if !fresh[pairKey{q.RecordA, q.RecordB}] {
			queue = append(queue, q)
		}
	}
	settingsJSON, err := json.Marshal(settings)
	if err != nil {
		return nil, err
	}
	var stateJSON bytes.Buffer
	if _, err := state.WriteTo(&stateJSON); err != nil {
		return nil, fmt.Errorf("link: encoding the model: %w", err)
	}
	run := &paradero.LinkRun{CreatedBy: paradero.ActorFromContext(ctx).Name, CandidatePairs: res.Stats.CandidatePairs,
		Settings: settingsJSON, State: stateJSON.Bytes()}
	if err := ps.SaveLinkRun(ctx, run, clusters, queue); err != nil {
		return nil, err
	}
	return &linkStoreResult{Run: run.ID, Incremental: incremental, Records: len(res.Records), NewRecords: res.Stats.NewRecords,
		Sources: len(tables), Persons: len(clusters), CandidatePairs: res.Stats.CandidatePairs, Links: res.Stats.Links,
		Review: len(queue), Decisions: len(decisions)}, nil
}

// linkLatestState returns the state of the latest link run, which the
// store keeps with it. When that run kept none — an earlier version of
// Paradero kept it in the data directory instead — it returns the state
// of linkStateFile, with the file's content as legacy for linkCheckState;
// the run that follows keeps the state in the store. EINVALID if there
// has been no run, or no state is found: link fully first.
func linkLatestState(ctx context.Context, ps paradero.PersonService, dir string) (*linkage.State, *linkStoreState, error) {
	run, err := ps.FindLatestLinkRun(ctx)
	if paradero.ErrorCode(err) == paradero.ENOTFOUND {
		return nil, nil, paradero.Errorf(paradero.EINVALID, "no fitted model to link incrementally with: run 'paradero link' without --incremental first")
	}
	if err != nil {
		return nil, nil, err
	}
	if run.State != nil {
		st, err := linkage.ReadState(bytes.NewReader(run.State))
		if err != nil {
			return nil, nil, errors.Join(paradero.Errorf(paradero.EINVALID, "the model of link run %d cannot be used: run 'paradero link' without --incremental", run.ID), err)
		}
		return st, nil, nil
	}
	saved, st, err := readLinkState(dir)
	if err != nil {
		return nil, nil, err
	}
	return st, saved, nil
}

// readLinkState reads linkStateFile, which an earlier version kept in the
// data directory.
func readLinkState(dir string) (*linkStoreState, *linkage.State, error) {
	b, err := os.ReadFile(filepath.Join(dir, linkStateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, paradero.Errorf(paradero.EINVALID, "the last link run kept no fitted model to link incrementally with: run 'paradero link' without --incremental")
	}
	if err != nil {
		return nil, nil, err
	}
	var saved linkStoreState
	if err := json.Unmarshal(b, &saved); err != nil || saved.Version != linkStoreStateVersion {
		return nil, nil, paradero.Errorf(paradero.EINVALID, "%s is not a linkage state this program reads: run 'paradero link' without --incremental", linkStateFile)
	}
	st, err := linkage.ReadState(bytes.NewReader(saved.Linkage))
	if err != nil {
		return nil, nil, err
	}
	return &saved, st, nil
}

// linkStorePersons returns the store's persons as record refs. They are
// the latest run's: only a run moves records between persons, and a
// record imported since is in none.
func linkStorePersons(ctx context.Context, ps paradero.PersonService, tables []linkage.Table) ([][]linkage.RecordRef, error) {
	ref := make(map[int64]linkage.RecordRef)
	for _, t := range tables {
		for _, row := range t.Rows {
			id, err := strconv.ParseInt(row[0], 10, 64)
			if err != nil {
				return nil, err
			}
			ref[id] = linkage.RecordRef{Source: t.Name, ID: row[0]}
		}
	}
	ids, err := ps.FindPersonRecords(ctx)
	if err != nil {
		return nil, err
	}
	persons := make([][]linkage.RecordRef, len(ids))
	for i, p := range ids {
		for _, id := range p {
			r, ok := ref[id]
			if !ok {
				return nil, paradero.Errorf(paradero.EINTERNAL, "a person holds record %d, which the store did not list", id)
			}
			persons[i] = append(persons[i], r)
		}
	}
	return persons, nil
}

// linkCheckState returns the persons of the saved state as record refs,
// after checking that they are still the store's: every record they hold
// exists, every other record is linked to no person yet, and a sample of
// the persons (up to linkCheckSample, evenly spread) has exactly the
// saved records and no lineage from a later run. A mismatch means another
// run saved persons since, and is EINVALID: run a full link.
func linkCheckState(ctx context.Context, ps paradero.PersonService, saved *linkStoreState, tables []linkage.Table) ([][]linkage.RecordRef, error) {
	ref := make(map[int64]linkage.RecordRef)
	for _, t := range tables {
		for _, row := range t.Rows {
			id, err := strconv.ParseInt(row[0], 10, 64)
			if err != nil {
				return nil, err
			}
			ref[id] = linkage.RecordRef{Source: t.Name, ID: row[0]}
		}
	}
	stale := func(format string, args ...any) error {
		return paradero.Errorf(paradero.EINVALID, "the saved persons of run %d are not the store's (%s): run 'paradero link' without --incremental",
			saved.Run, fmt.Sprintf(format, args...))
	}
	persons := make([][]linkage.RecordRef, len(saved.Persons))
	known := make(map[int64]bool)
	for i, p := range saved.Persons {
		for _, id := range p {
			r, ok := ref[id]
			if !ok {
				return nil, stale("record %d is gone", id)
			}
			known[id] = true
			persons[i] = append(persons[i], r)
		}
	}
	for id := range ref {
		if known[id] {
			continue
		}
		_, err := ps.FindPersonOfRecord(ctx, id)
		if err == nil {
			return nil, stale("record %d is linked already", id)
		}
		if paradero.ErrorCode(err) != paradero.ENOTFOUND {
			return nil, err
		}
	}
	n := len(saved.Persons)
	for k := range min(n, linkCheckSample) {
		want := slices.Sorted(slices.Values(saved.Persons[k*n/min(n, linkCheckSample)]))
		p, err := ps.FindPersonOfRecord(ctx, want[0])
		if err != nil {
			return nil, stale("record %d: %v", want[0], err)
		}
		if !slices.Equal(p.Records, want) {
			return nil, stale("person %d holds %v, not %v", p.ID, p.Records, want)
		}
		for _, l := range p.Lineage {
			if l.FromRun > saved.Run || l.UntilRun > saved.Run {
				return nil, stale("person %d changed in run %d", p.ID, max(l.FromRun, l.UntilRun))
			}
		}
	}
	return persons, nil
}

// linkCheckSample is how many saved persons linkCheckState compares with
// the store's.
const linkCheckSample = 32

// linkReadQueue reads the whole review queue.
func linkReadQueue(ctx context.Context, ps paradero.PersonService) ([]paradero.ReviewPair, error) {
	var out []paradero.ReviewPair
	for {
		page, total, err := ps.FindReviewQueue(ctx, paradero.ReviewFilter{Offset: len(out), Limit: 10000})
		if err != nil {
			return nil, err
		}
		for _, q := range page {
			out = append(out, *q)
		}
		if len(page) == 0 || len(out) >= total {
			return out, nil
		}
	}
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
	if r.Incremental {
		fmt.Fprintf(w, "Linked %d new records against %d in the store: %d records from %d sources in %d persons (run %d).\n",
			r.NewRecords, r.Records-r.NewRecords, r.Records, r.Sources, r.Persons, r.Run)
	} else {
		fmt.Fprintf(w, "Linked %d records from %d sources into %d persons (run %d).\n", r.Records, r.Sources, r.Persons, r.Run)
	}
	fmt.Fprintf(w, "%d candidate pairs scored; %d links; %d pairs for review; %d reviewers' decisions honoured.\n",
		r.CandidatePairs, r.Links, r.Review, r.Decisions)
}

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
	"testing"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/ingest"
	"github.com/paradero/paradero/linkage"
	"github.com/paradero/paradero/synth"
)

// linkWorld is a store in a temporary data directory and a synthetic
// world to import into it.
type linkWorld struct {
	t     *testing.T
	ctx   context.Context
	g     *globals
	world *synth.World
}

func newLinkWorld(t *testing.T, persons int, seed uint64) *linkWorld {
	w, err := synth.Generate(synth.Config{Persons: persons, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	g := &globals{dataDir: t.TempDir(), getenv: func(string) string { return "" }, stdout: io.Discard, stderr: io.Discard}
	if err := g.open(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.close)
	return &linkWorld{t: t, ctx: cliContext(t.Context()), g: g, world: w}
}

func (w *linkWorld) importSource(s synth.Source) {
	w.t.Helper()
	if _, err := importReader(w.ctx, w.g, s.Filename, bytes.NewReader(s.CSV), int64(len(s.CSV)), importSourceOf(s), ingest.Options{}); err != nil {
		w.t.Fatal(err)
	}
}

func (w *linkWorld) link(incremental bool) *linkStoreResult {
	w.t.Helper()
	res, err := linkStore(w.ctx, w.g, linkage.DefaultPersonSettings(), incremental, nil)
	if err != nil {
		w.t.Fatalf("link (incremental %v): %v", incremental, err)
	}
	return res
}

// persons returns every record's person id, as the store has it.
func (w *linkWorld) persons() map[int64]int64 {
	w.t.Helper()
	ps := w.g.store.(paradero.PersonService)
	out := make(map[int64]int64)
	recs, _, err := w.g.store.FindRecords(w.ctx, paradero.RecordFilter{Limit: 10000})
	if err != nil {
		w.t.Fatal(err)
	}
	for _, r := range recs {
		if _, ok := out[r.ID]; ok {
			continue
		}
		p, err := ps.FindPersonOfRecord(w.ctx, r.ID)
		if err != nil {
			w.t.Fatalf("record %d: %v", r.ID, err)
		}
		for _, id := range p.Records {
			out[id] = p.ID
		}
	}
	return out
}

// pairScores returns pairwise precision and recall of a partition against
// another (truth), both as record → group.
func pairScores[A, B comparable](got map[int64]A, truth map[int64]B) (p, r float64) {
	type pk struct {
		a A
		b B
	}
	c2 := func(n int) float64 { return float64(n) * float64(n-1) / 2 }
	ng, nt, nb := map[A]int{}, map[B]int{}, map[pk]int{}
	for id, g := range got {
		ng[g]++
		nt[truth[id]]++
		nb[pk{g, truth[id]}]++
	}
	var sg, st, sb float64
	for _, n := range ng {
		sg += c2(n)
	}
	for _, n := range nt {
		st += c2(n)
	}
	for _, n := range nb {
		sb += c2(n)
	}
	return sb / sg, sb / st
}

// The incremental case through the store: import every source of
// a synthetic world but the last, link, import the last, link
// incrementally. Old persons keep their ids and are never split, the new
// records' persons are as good as a full run's, and reviewers' decisions
// made afterwards hold in the next incremental run.
func TestLinkStoreIncremental(t *testing.T) {
	w := newLinkWorld(t, 1500, 4)
	srcs := w.world.Sources
	last := srcs[len(srcs)-1]
	for _, s := range srcs[:len(srcs)-1] {
		w.importSource(s)
	}
	if _, err := linkStore(w.ctx, w.g, linkage.DefaultPersonSettings(), true, nil); paradero.ErrorCode(err) != paradero.EINVALID {
		t.Errorf("incremental link before any full run: %v, want EINVALID", err)
	}
	first := w.link(false)
	before := w.persons()
	w.importSource(last)
	inc := w.link(true)
	if !inc.Incremental || inc.NewRecords != last.Rows || inc.Records != first.Records+last.Rows {
		t.Errorf("incremental run: %+v; want %d new records of %d", inc, last.Rows, first.Records+last.Rows)
	}
	after := w.persons()

	// Old persons are never split and keep their ids unless merged.
	members := make(map[int64][]int64)
	for r, p := range before {
		members[p] = append(members[p], r)
	}
	kept := 0
	for p, rs := range members {
		q := after[rs[0]]
		for _, r := range rs {
			if after[r] != q {
				t.Fatalf("person %d was split: records %d and %d", p, rs[0], r)
			}
		}
		if q == p {
			kept++
		}
	}
	if kept < len(members)*99/100 {
		t.Errorf("%d of %d persons kept their ids, want at least 99%%", kept, len(members))
	}

	// Against the truth and against a full run over the same records.
	truth := make(map[string]string)
	for _, l := range w.world.Links() {
		truth[l.Source+":"+l.RecID] = l.PersonID
	}
	tables, err := linkTablesFromStore(w.ctx, w.g.store)
	if err != nil {
		t.Fatal(err)
	}
	full, err := linkage.Link(w.ctx, linkage.DefaultPersonSettings(), tables, linkage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fullOf := make(map[int64]int)
	for i, r := range full.Records {
		id, _ := strconv.ParseInt(r.ID, 10, 64)
		fullOf[id] = full.Cluster[i]
	}
	trueOf := make(map[int64]string)
	srcName := make(map[int64]string)
	found, _, err := w.g.store.FindSources(w.ctx, paradero.SourceFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range found {
		srcName[f.ID] = f.Filename
	}
	recs, _, err := w.g.store.FindRecords(w.ctx, paradero.RecordFilter{Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		var recID string
		for _, f := range r.Extra {
			if f.Name == "rec_id" {
				recID = f.Value
			}
		}
		p, ok := truth[srcName[r.SourceID]+":"+recID]
		if !ok {
			t.Fatalf("record %d (%s row %d) has no truth", r.ID, srcName[r.SourceID], r.Row)
		}
		trueOf[r.ID] = p
	}
	pi, ri := pairScores(after, trueOf)
	pf, rf := pairScores(fullOf, trueOf)
	pa, ra := pairScores(after, fullOf)
	t.Logf("%s: %d new records against %d: incremental P=%.4f R=%.4f (%d pairs scored); full P=%.4f R=%.4f (%d pairs); incremental against full P=%.4f R=%.4f",
		last.Filename, inc.NewRecords, first.Records, pi, ri, inc.CandidatePairs, pf, rf, full.Stats.CandidatePairs, pa, ra)
	if pi < 0.99 || ri < rf-0.01 || pa < 0.99 || ra < 0.98 {
		t.Errorf("incremental P=%.4f R=%.4f, against full P=%.4f R=%.4f; want P ≥ 0.99, R within 0.01 of full's %.4f, and ≥ 0.99/0.98 against full", pi, ri, pa, ra, rf)
	}

	// Reviews: split a person of several records, join two persons.
	var split []int64
	var join [2]int64
	byPerson := make(map[int64][]int64)
	for r, p := range after {
		byPerson[p] = append(byPerson[p], r)
	}
	ids := slices.Sorted(func(yield func(int64) bool) {
		for p := range byPerson {
			if !yield(p) {
				return
			}
		}
	})
	for _, p := range ids {
		rs := slices.Sorted(slices.Values(byPerson[p]))
		if split == nil && len(rs) >= 3 {
			split = rs
		} else if join[0] == 0 && len(rs) == 1 {
			join[0] = rs[0]
		} else if join[0] != 0 && join[1] == 0 && len(rs) == 1 {
			join[1] = rs[0]
		}
	}
	review := func(a, b int64, v string) {
		t.Helper()
		rc := &reviewCommand{g: w.g}
		if err := rc.Run(w.ctx, []string{fmt.Sprint(a), fmt.Sprint(b), v, "--reason", "test"}); err != nil {
			t.Fatal(err)
		}
	}
	review(split[0], split[1], "different")
	review(join[0], join[1], "same")
	again := w.link(true)
	if again.NewRecords < len(split) {
		t.Errorf("after a 'different' review, %d records linked again, want the split person's %d at least", again.NewRecords, len(split))
	}
	final := w.persons()
	if final[split[0]] == final[split[1]] {
		t.Errorf("records %d and %d reviewed 'different' are one person", split[0], split[1])
	}
	if final[join[0]] != final[join[1]] {
		t.Errorf("records %d and %d reviewed 'same' are two persons", join[0], join[1])
	}
	changed := 0
	for r, p := range after {
		if final[r] != p && !slices.Contains(split, r) && !slices.Contains(join[:], r) {
			changed++
		}
	}
	if changed > 0 {
		t.Errorf("%d records outside the reviewed ones changed person", changed)
	}
}

// The model for --incremental lives in the store, with each run: no file
// in the data directory. A run saved by an earlier version without one
// falls back, once, to the linkage-state.json that version wrote; the run
// that follows keeps the model in the store and the file is not read
// again.
func TestLinkStoreStateInStore(t *testing.T) {
	w := newLinkWorld(t, 300, 7)
	srcs := w.world.Sources
	for _, s := range srcs[:len(srcs)-2] {
		w.importSource(s)
	}
	ps := w.g.store.(paradero.PersonService)
	first := w.link(false)
	run, err := ps.FindLatestLinkRun(w.ctx)
	if err != nil || run.ID != first.Run || run.State == nil {
		t.Fatalf("latest run = %+v, %v; want run %d with a state", run, err, first.Run)
	}
	st, err := linkage.ReadState(bytes.NewReader(run.State))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(w.g.dataDir, linkStateFile)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s in the data directory: %v; want none", linkStateFile, err)
	}

	// An earlier version saved the run without a state, and the file.
	persons, err := ps.FindPersonRecords(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	old := &paradero.LinkRun{CreatedBy: "earlier version", Settings: []byte("{}")}
	if err := ps.SaveLinkRun(w.ctx, old, persons, nil); err != nil {
		t.Fatal(err)
	}
	w.importSource(srcs[len(srcs)-2])
	if _, err := linkStore(w.ctx, w.g, linkage.DefaultPersonSettings(), true, nil); paradero.ErrorCode(err) != paradero.EINVALID {
		t.Errorf("incremental link after a run without a state, no file: %v, want EINVALID", err)
	}
	var lin bytes.Buffer
	if _, err := st.WriteTo(&lin); err != nil {
		t.Fatal(err)
	}
	file, err := json.Marshal(linkStoreState{Version: linkStoreStateVersion, Run: old.ID, Persons: persons, Linkage: lin.Bytes()})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(w.g.dataDir, linkStateFile)
	if err := os.WriteFile(path, file, 0o600); err != nil {
		t.Fatal(err)
	}
	inc := w.link(true)
	if inc.NewRecords != srcs[len(srcs)-2].Rows {
		t.Errorf("incremental run from the file linked %d new records, want %d", inc.NewRecords, srcs[len(srcs)-2].Rows)
	}
	run, err = ps.FindLatestLinkRun(w.ctx)
	if err != nil || run.ID != inc.Run || !bytes.Equal(run.State, lin.Bytes()) {
		t.Fatalf("run after the file: %d with state %d bytes, %v; want run %d with the file's model", run.ID, len(run.State), err, inc.Run)
	}

	// From now on the file is not read: a broken one changes nothing.
	if err := os.WriteFile(path, []byte("not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	w.importSource(srcs[len(srcs)-1])
	again := w.link(true)
	if again.NewRecords != srcs[len(srcs)-1].Rows || again.Records != inc.Records+srcs[len(srcs)-1].Rows {
		t.Errorf("second incremental run: %+v; want the last source's %d records new", again, srcs[len(srcs)-1].Rows)
	}
	ps2, err := ps.FindPersonRecords(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range ps2 {
		n += len(p)
	}
	if n != again.Records || len(ps2) != again.Persons {
		t.Errorf("store holds %d records in %d persons, the run says %d in %d", n, len(ps2), again.Records, again.Persons)
	}
}

package watch

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/paradero/paradero"
)

func TestNotices(t *testing.T) {
	at := time.Date(2025, 3, 15, 12, 0, 0, 0, time.UTC)
	rep := &Report{Locator: "ice", Changes: []Change{
		{Key: "w1", Kind: Appeared, To: "EL VALLE", At: at},
		{Key: "w2", Kind: Moved, From: "EL VALLE", To: "OTERO", At: at},
		{Key: "w3", Kind: Left, From: "OTERO", At: at},
		{Key: "w4", Kind: Gone, From: "OTERO", At: at, Misses: 3, Attempts: 4},
		{Key: "w5", Kind: Reappeared, From: "OTERO", To: "CECOT", At: at},
	}, Sightings: map[string]*paradero.Sighting{"w4": {SourceID: 9}}}
	ns := Notices(rep, map[string]int64{"w4": 12})
	want := []paradero.AlertKind{paradero.AlertStatus, paradero.AlertTransfer, paradero.AlertStatus, paradero.AlertDisappearance, paradero.AlertReappearance}
	if len(ns) != len(want) {
		t.Fatalf("%d notices, want %d", len(ns), len(want))
	}
	for i, n := range ns {
		if n.Kind != want[i] || n.Locator != "ice" || n.WatchKey != rep.Changes[i].Key {
			t.Errorf("notice %d = %+v, want kind %s", i, n, want[i])
		}
	}
	if g := ns[3]; g.PersonID != 12 || g.SourceID != 9 || g.Detail != "not found 3 of 4 attempts" {
		t.Errorf("gone notice %+v", g)
	}
	if got := ns[1].Subjects(); len(got) != 3 || got[0] != "watch:w2" || got[1] != "facility:EL VALLE" || got[2] != "facility:OTERO" {
		t.Errorf("subjects %q", got)
	}
}

// TestOnChangesFailureReplaysRound: when recording a round's changes fails
// the state is not saved, so the next round reports them again.
func TestOnChangesFailureReplaysRound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sc := world(5, time.Now())
		fail := true
		var told []Change
		h := newHarness(t, sc, Config{Gap: time.Millisecond, FlushEvery: 2, OnChanges: func(ctx context.Context, r *Report) error {
			if fail {
				return errors.New("store down")
			}
			told = append(told, r.Changes...)
			return nil
		}})
		if _, err := h.sched.RunRound(t.Context()); err == nil {
			t.Fatal("round 1 succeeded though its changes were not recorded")
		}
		if _, err := h.store.LoadWatchState(t.Context(), "ice-sim"); paradero.ErrorCode(err) != paradero.ENOTFOUND {
			t.Errorf("state saved after a failed round: %v", err)
		}
		fail = false
		rep, err := h.sched.RunRound(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if rep.Round != 1 || len(told) != 5 || told[0].Kind != Appeared {
			t.Errorf("round %d told %d changes, want round 1 with 5 appeared", rep.Round, len(told))
		}
		// Stored in batches of two: every key still has its snapshot.
		if len(rep.Sightings) != 5 {
			t.Errorf("%d sightings, want 5", len(rep.Sightings))
		}
		for k, sg := range rep.Sightings {
			if sg == nil || h.store.Snapshot(sg.SourceID) == nil || h.store.Snapshot(sg.SourceID).Key != k {
				t.Errorf("sighting of %s: %+v", k, sg)
			}
		}
	})
}

package watch

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/paradero/paradero"
)

// Findings. A locator's "no match" proves nothing by itself; the tracker
// decides that someone is gone only over several healthy rounds (Rule).
// That decision is what families and lawyers act on, so it is kept as
// evidence like every answer: a source of kind locator-snapshot, imported
// through the ordinary import path (byte for byte, in the ledger), one per
// round that found anyone gone.
//
// Its body names watch keys, times, counts and the snapshots the decision
// rests on — never a person. Each person found gone is one record of it,
// with the identity the watch asked the locator with, the status
// FindingStatus ("vanished from locator", which package timeline reads as
// a vanishing) and a date running from the day the locator last showed
// them to the day the watch confirmed it. Linkage joins that record to the
// person like any other, so the person's timeline shows the vanishing with
// the finding as its source, and a later record saying where they were
// taken (a foreign roster) explains it.

// FindingStatus is the status of a finding's records.
const FindingStatus = "vanished from locator"

// FindingFormat is the first line of a finding's body.
const FindingFormat = "paradero-watch-finding/1"

// Finding returns the finding of a round: its source, body and one record
// per person found gone (nil if nobody was). byKey gives each watch key's
// query.
func Finding(r *Report, byKey map[string]Query) (*paradero.Source, []byte, []*paradero.Record) {
	var gone []Change
	for _, c := range r.Changes {
		if c.Kind == Gone {
			gone = append(gone, c)
		}
	}
	if len(gone) == 0 {
		return nil, nil, nil
	}
	at := r.At.UTC()
	h := r.Health
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\nlocator %s\nround %d\nat %s\n", FindingFormat, r.Locator, r.Round, at.Format(time.RFC3339Nano))
	fmt.Fprintf(&b, "health healthy: %d answers, %d found, %d not found, %d failed\n\n", h.Answers, h.Found, h.NotFound, h.Failed)
	var recs []*paradero.Record
	for _, c := range gone {
		fmt.Fprintf(&b, "gone %s: not found %d of %d attempts", c.Key, c.Misses, c.Attempts)
		if !c.LastSeen.IsZero() {
			fmt.Fprintf(&b, "; last seen %s", c.LastSeen.UTC().Format(time.RFC3339Nano))
		}
		if c.From != "" {
			fmt.Fprintf(&b, " at %s", strconv.Quote(c.From))
		}
		if sg := r.Sightings[c.Key]; sg != nil {
			fmt.Fprintf(&b, "; last answer source %d", sg.SourceID)
		}
		b.WriteByte('\n')
		q, ok := byKey[c.Key]
		if !ok {
			continue
		}
		rec := queryRecord(q)
		if !rec.HasIdentity() {
			continue
		}
		rec.Status = FindingStatus
		rec.EventDate = vanishedRange(c.LastSeen, at)
		rec.Notes = fmt.Sprintf("not found %d of %d attempts", c.Misses, c.Attempts)
		if c.From != "" {
			rec.Notes += "; last seen at " + c.From
		}
		recs = append(recs, rec)
	}
	day := dayOf(at)
	src := &paradero.Source{Kind: paradero.KindLocatorSnapshot, Published: day,
		Title:    fmt.Sprintf("%s watch finding, round %d: %d gone", r.Locator, r.Round, len(gone)),
		Filename: fmt.Sprintf("%s-finding-%d.txt", r.Locator, r.Round), MediaType: "text/plain; charset=utf-8"}
	return src, b.Bytes(), recs
}

// vanishedRange dates a vanishing: from the day last seen to the day
// confirmed, one day if they are the same.
func vanishedRange(lastSeen, confirmed time.Time) paradero.DateRange {
	to := dayOf(confirmed.UTC())
	if lastSeen.IsZero() {
		return paradero.DateRange{From: to}
	}
	from := dayOf(lastSeen.UTC())
	if from == to {
		return paradero.DateRange{From: to}
	}
	return paradero.DateRange{From: from, To: to}
}

func dayOf(t time.Time) paradero.PartialDate {
	return paradero.PartialDate{Year: t.Year(), Month: int(t.Month()), Day: t.Day()}
}

// storeFinding imports the round's finding, if it has one, through the
// store's import path.
func storeFinding(ctx context.Context, store paradero.ImportService, r *Report, byKey map[string]Query) (*paradero.Source, error) {
	src, body, recs := Finding(r, byKey)
	if src == nil {
		return nil, nil
	}
	im, err := store.BeginImport(ctx, src, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("watch %s: storing the round's finding: %w", r.Locator, err)
	}
	defer im.Rollback()
	for _, rec := range recs {
		if err := im.AddRecord(ctx, rec); err != nil {
			return nil, fmt.Errorf("watch %s: storing the round's finding: %w", r.Locator, err)
		}
	}
	saved, err := im.Commit(ctx)
	if err != nil {
		return nil, fmt.Errorf("watch %s: storing the round's finding: %w", r.Locator, err)
	}
	return saved, nil
}

// LocatorOf returns the locator a stored answer or finding came from, by
// the titles the scheduler gives them ("NAME answer", "NAME watch
// finding, round N: K gone"); ok is false for any other source.
func LocatorOf(src *paradero.Source) (name string, finding, ok bool) {
	if src == nil || src.Kind != paradero.KindLocatorSnapshot {
		return "", false, false
	}
	if n, ok := strings.CutSuffix(src.Title, " answer"); ok && n != "" {
		return n, false, true
	}
	if n, _, ok := strings.Cut(src.Title, " watch finding, round "); ok && n != "" {
		return n, true, true
	}
	return "", false, false
}

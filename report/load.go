package report

import (
	"context"
	"slices"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/timeline"
)

// Store is what the report reads from a store to reconcile: sources,
// records and the persons linkage made of them.
type Store interface {
	paradero.SourceService
	paradero.RecordService
	paradero.PersonService
}

// LoadSources returns every source, in id order.
func LoadSources(ctx context.Context, s paradero.SourceService) ([]*paradero.Source, error) {
	var out []*paradero.Source
	for off := 0; ; {
		page, total, err := s.FindSources(ctx, paradero.SourceFilter{Offset: off, Limit: 1000})
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		off += len(page)
		if len(page) == 0 || off >= total {
			break
		}
	}
	slices.SortFunc(out, func(a, b *paradero.Source) int { return int(a.ID - b.ID) })
	return out, nil
}

// LoadMemberships walks every record once, page by page, and returns one
// membership per person, in the order of each person's first record. A
// record that linkage has not placed yet (ENOTFOUND) is a person of its own
// with PersonID 0. It asks the store for each person once, not for each
// record.
func LoadMemberships(ctx context.Context, s Store) ([]Membership, error) {
	var out []Membership
	byRecord := make(map[int64]int) // record id → index into out, for records of persons seen
	var after int64
	for {
		recs, _, err := s.FindRecords(ctx, paradero.RecordFilter{AfterID: after, Limit: 5000})
		if err != nil {
			return nil, err
		}
		if len(recs) == 0 {
			break
		}
		for _, r := range recs {
			after = r.ID
			i, ok := byRecord[r.ID]
			if !ok {
				p, err := s.FindPersonOfRecord(ctx, r.ID)
				switch {
				case paradero.ErrorCode(err) == paradero.ENOTFOUND:
					p = &paradero.Person{Records: []int64{r.ID}}
				case err != nil:
					return nil, err
				}
				i = len(out)
				out = append(out, Membership{PersonID: p.ID, Name: r.DisplayName(), Records: p.Records})
				for _, id := range p.Records {
					byRecord[id] = i
				}
				if _, ok := byRecord[r.ID]; !ok { // a stale person list; keep the record anyway
					byRecord[r.ID] = i
					out[i].Records = append(slices.Clone(out[i].Records), r.ID)
				}
			}
			m := &out[i]
			if m.Name == "" {
				m.Name = r.DisplayName()
			}
			if j, found := slices.BinarySearch(m.Sources, r.SourceID); !found {
				m.Sources = slices.Insert(m.Sources, j, r.SourceID)
			}
		}
	}
	for i := range out {
		slices.Sort(out[i].Records)
	}
	return out, nil
}

// LoadMentions returns, for every person of LoadMemberships (in its
// order), the records that mention them with their sources. It holds every
// record in memory at once: a batch job for the command line, not for a
// web request.
func LoadMentions(ctx context.Context, s Store) ([]Membership, [][]timeline.Mention, error) {
	ms, err := LoadMemberships(ctx, s)
	if err != nil {
		return nil, nil, err
	}
	owner := make(map[int64]int, len(ms))
	for i, m := range ms {
		for _, id := range m.Records {
			owner[id] = i
		}
	}
	sources := make(map[int64]*paradero.Source)
	mentions := make([][]timeline.Mention, len(ms))
	var after int64
	for {
		recs, _, err := s.FindRecords(ctx, paradero.RecordFilter{AfterID: after, Limit: 5000})
		if err != nil {
			return nil, nil, err
		}
		if len(recs) == 0 {
			break
		}
		for _, r := range recs {
			after = r.ID
			src, ok := sources[r.SourceID]
			if !ok {
				if src, err = s.FindSourceByID(ctx, r.SourceID); err != nil {
					return nil, nil, err
				}
				sources[r.SourceID] = src
			}
			i, ok := owner[r.ID]
			if !ok {
				continue // a record added since the walk above; the next report has it
			}
			mentions[i] = append(mentions[i], timeline.Mention{Record: r, Source: src})
		}
	}
	return ms, mentions, nil
}

// LoadTimelines builds the timeline of every person (a record not linked
// yet is a person of its own), for charts over everyone; see LoadMentions.
func LoadTimelines(ctx context.Context, s Store, opt timeline.Options) ([]*timeline.Timeline, error) {
	_, mentions, err := LoadMentions(ctx, s)
	if err != nil {
		return nil, err
	}
	out := make([]*timeline.Timeline, len(mentions))
	for i, m := range mentions {
		out[i] = timeline.Build(m, nil, opt)
	}
	return out, nil
}

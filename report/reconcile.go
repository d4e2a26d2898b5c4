package report

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/paradero/paradero"
)

// Membership is one person and the sources that name them.
type Membership struct {
	// PersonID is the linked person's id; 0 for a record not linked yet,
	// which counts as a person of its own (Records holds it alone).
	PersonID int64
	Name     string  // the name as the person's first record wrote it ("" if redacted)
	Records  []int64 // ascending
	Sources  []int64 // the ids of the sources naming the person, ascending, distinct
}

// Label names the person in tables: "person:ID", or "record:ID" for a
// record not linked yet.
func (m *Membership) Label() string {
	if m.PersonID == 0 && len(m.Records) > 0 {
		return "record:" + strconv.FormatInt(m.Records[0], 10)
	}
	return "person:" + strconv.FormatInt(m.PersonID, 10)
}

// On reports whether source id names the person.
func (m *Membership) On(id int64) bool {
	_, ok := slices.BinarySearch(m.Sources, id)
	return ok
}

// Intersection is one UpSet bar: the persons named by exactly one set of
// sources (every source in Sources, no other).
type Intersection struct {
	Sources []int // indexes into Reconciliation.Sources, ascending
	Count   int
}

// Reconciliation says, for a set of sources after linkage, who is on which
// list.
type Reconciliation struct {
	Sources []*paradero.Source // the columns, in the order given
	Persons []Membership       // in the order given, restricted to Sources
	// Sizes[i] is how many persons Sources[i] names (not records: a person
	// listed twice on one source counts once).
	Sizes []int
	// Intersections are the exclusive intersections, largest first (ties by
	// fewer sources, then by the sources' order).
	Intersections []Intersection
}

// Reconcile restricts each membership to sources (persons named by none of
// them are left out) and counts sizes and exclusive intersections. It does
// not change persons.
func Reconcile(sources []*paradero.Source, persons []Membership) *Reconciliation {
	col := make(map[int64]int, len(sources))
	for i, s := range sources {
		col[s.ID] = i
	}
	r := &Reconciliation{Sources: sources, Sizes: make([]int, len(sources))}
	counts := make(map[string]*Intersection)
	for _, m := range persons {
		var on []int64
		var idx []int
		for _, id := range m.Sources {
			if i, ok := col[id]; ok {
				on = append(on, id)
				idx = append(idx, i)
			}
		}
		if len(on) == 0 {
			continue
		}
		m.Sources = on
		r.Persons = append(r.Persons, m)
		slices.Sort(idx)
		var key strings.Builder
		for _, i := range idx {
			r.Sizes[i]++
			key.WriteString(strconv.Itoa(i))
			key.WriteByte(',')
		}
		x, ok := counts[key.String()]
		if !ok {
			x = &Intersection{Sources: idx}
			counts[key.String()] = x
		}
		x.Count++
	}
	for _, x := range counts {
		r.Intersections = append(r.Intersections, *x)
	}
	slices.SortFunc(r.Intersections, func(a, b Intersection) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		if c := cmp.Compare(len(a.Sources), len(b.Sources)); c != 0 {
			return c
		}
		return slices.Compare(a.Sources, b.Sources)
	})
	return r
}

// Source returns the reconciled source with id, or nil.
func (r *Reconciliation) Source(id int64) *paradero.Source {
	for _, s := range r.Sources {
		if s.ID == id {
			return s
		}
	}
	return nil
}

// Missing returns the persons on source on and not on source absent.
func (r *Reconciliation) Missing(on, absent int64) []Membership {
	var out []Membership
	for _, m := range r.Persons {
		if m.On(on) && !m.On(absent) {
			out = append(out, m)
		}
	}
	return out
}

// Unaccounted returns the persons on source on, not on source absent, and
// named by no reconciled source published on or after absent's publication
// date: still unaccounted for. For an outbound flight roster and the
// return manifest, they are the men flown out whom nothing placed anywhere
// once the return flights had landed. A source with no publication date
// never counts as later. LastSeen is the latest publication date among the
// person's sources.
func (r *Reconciliation) Unaccounted(on, absent int64) []Unaccounted {
	ab := r.Source(absent)
	if ab == nil {
		return nil
	}
	var out []Unaccounted
	for _, m := range r.Missing(on, absent) {
		var last paradero.PartialDate
		later := false
		for _, id := range m.Sources {
			s := r.Source(id)
			if s == nil || s.Published.IsZero() {
				continue
			}
			if ComparePartial(s.Published, last) > 0 {
				last = s.Published
			}
			if !ab.Published.IsZero() && ComparePartial(s.Published, ab.Published) >= 0 {
				later = true
			}
		}
		if !later {
			out = append(out, Unaccounted{Membership: m, LastSeen: last})
		}
	}
	return out
}

// Unaccounted is a person missing from a later list, with the last
// publication date of a source naming them.
type Unaccounted struct {
	Membership
	LastSeen paradero.PartialDate
}

// ComparePartial orders partial dates by the first day each allows
// ("2025-03" as 1 March), a less precise date before a more precise one
// with the same first day, and the unknown date before every other.
func ComparePartial(a, b paradero.PartialDate) int {
	if a.IsZero() || b.IsZero() {
		return cmp.Compare(precision(a), precision(b))
	}
	if c := cmp.Compare(a.Year, b.Year); c != 0 {
		return c
	}
	if c := cmp.Compare(max(a.Month, 1), max(b.Month, 1)); c != 0 {
		return c
	}
	if c := cmp.Compare(max(a.Day, 1), max(b.Day, 1)); c != 0 {
		return c
	}
	return cmp.Compare(precision(a), precision(b))
}

func precision(d paradero.PartialDate) int {
	switch {
	case d.IsZero():
		return 0
	case d.Month == 0:
		return 1
	case d.Day == 0:
		return 2
	}
	return 3
}

// SourceLabel is a short column label for a source: "3 roster (2025-03-20)".
func SourceLabel(s *paradero.Source) string {
	l := strconv.FormatInt(s.ID, 10) + " " + string(s.Kind)
	if !s.Published.IsZero() {
		l += " (" + s.Published.String() + ")"
	}
	return l
}

// PatternCounts groups the reconciled sources into lists — each source its
// own list, or (byKind) one list per source kind, named after it, in the
// order kinds first appear — and counts the persons on each combination of
// lists: counts[h] is the number of persons on exactly the lists whose
// bits are set in h (bit j for lists[j]), counts[0] = 0. This is the
// capture-history table multiple systems estimation takes.
func (r *Reconciliation) PatternCounts(byKind bool) (lists []string, counts []float64) {
	listOf := make([]int, len(r.Sources))
	byName := make(map[string]int)
	for i, s := range r.Sources {
		name := SourceLabel(s)
		if byKind {
			name = string(s.Kind)
		}
		j, ok := byName[name]
		if !ok {
			j = len(lists)
			byName[name] = j
			lists = append(lists, name)
		}
		listOf[i] = j
	}
	if len(lists) > 30 {
		return lists, nil
	}
	col := make(map[int64]int, len(r.Sources))
	for i, s := range r.Sources {
		col[s.ID] = listOf[i]
	}
	counts = make([]float64, 1<<len(lists))
	for _, m := range r.Persons {
		h := 0
		for _, id := range m.Sources {
			h |= 1 << col[id]
		}
		counts[h]++
	}
	return lists, counts
}

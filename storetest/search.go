package storetest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/ledger"
)

// SearchStore is a store that also searches its records.
type SearchStore interface {
	paradero.Store
	paradero.SearchService
}

// RunSearch runs the contract of paradero.SearchService: the same query
// finds the same records, for the same reasons, in the same order, in
// every store. open returns a fresh, empty store, closed by the test's
// cleanup.
func RunSearch(t *testing.T, open func(t *testing.T) SearchStore) {
	tests := []struct {
		name string
		fn   func(*testing.T, SearchStore)
	}{
		{"Criteria", testSearchCriteria},
		{"Reasons", testSearchReasons},
		{"Invalid", testSearchInvalid},
		{"Pages", testSearchPages},
		{"FollowsImportsAndRedactions", testSearchFollowsImports},
		{"ScanIsBounded", testSearchBounded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
	}
}

// searchWorld is a store with records known by label, since the stores
// number records differently.
type searchWorld struct {
	s      SearchStore
	labels map[int64]string
	byName map[string]*paradero.Record
}

func newSearchWorld(s SearchStore) *searchWorld {
	return &searchWorld{s: s, labels: make(map[int64]string), byName: make(map[string]*paradero.Record)}
}

// add imports the records, labelled in turn by labels, as one source
// whose file is body.
func (w *searchWorld) add(t *testing.T, body string, labels []string, recs ...*paradero.Record) {
	t.Helper()
	for i, r := range recs {
		r.Row = i + 2
	}
	importFile(t, w.s, body, recs)
	for i, r := range recs {
		w.labels[r.ID] = labels[i]
		w.byName[labels[i]] = r
	}
}

// found runs q and returns "label:field/kind,…" for each hit, best first.
func (w *searchWorld) found(t *testing.T, q paradero.SearchQuery) string {
	t.Helper()
	res, err := w.s.SearchRecords(t.Context(), q)
	if err != nil {
		t.Fatalf("SearchRecords(%+v): %v", q, err)
	}
	var out []string
	for _, h := range res.Hits {
		var rs []string
		for _, m := range h.Reasons {
			rs = append(rs, m.Field+"/"+string(m.Kind))
		}
		label, ok := w.labels[h.RecordID]
		if !ok {
			label = fmt.Sprint("?", h.RecordID)
		}
		out = append(out, label+":"+strings.Join(rs, ","))
	}
	return strings.Join(out, " ")
}

func (w *searchWorld) fiveRecords(t *testing.T) {
	w.add(t, "five people", []string{"jose", "pepe", "yorman", "maria", "ana"},
		&paradero.Record{FullName: "JOSE LUIS PEREZ GOMEZ", BirthDate: paradero.PartialDate{Year: 1990, Month: 4, Day: 2}, ANumber: "A123456789", Facility: "CECOT, Tecoluca"},
		&paradero.Record{GivenNames: "Pepe", Surnames: "Pérez", BirthDate: paradero.PartialDate{Year: 1990}},
		&paradero.Record{FullName: "Yorman Vásquez Quintero", BirthDate: paradero.PartialDate{Year: 1990, Month: 2, Day: 4}, Facility: "Krome"},
		&paradero.Record{FullName: "María Basques", ANumber: "987654321"},
		&paradero.Record{FullName: "Ana de la Cruz", Facility: "CECOT"},
	)
}

// testSearchCriteria: Spanish-aware, typo-tolerant names; dates as
// precise as either side; document numbers; facility words; and all of
// them at once.
func testSearchCriteria(t *testing.T, s SearchStore) {
	w := newSearchWorld(s)
	w.fiveRecords(t)
	w.add(t, "more people", []string{"jimena", "yepez"},
		&paradero.Record{FullName: "Ximena Llépez Hernández"},
		&paradero.Record{GivenNames: "Kelvin", FirstSurname: "Yépez", SecondSurname: "Ernandez"},
	)
	for _, tc := range []struct {
		q    paradero.SearchQuery
		want string
	}{
		// Exact, nickname both ways, any order, accents ignored.
		{paradero.SearchQuery{Name: "josé pérez"}, "jose:name/exact,name/exact pepe:name/nickname,name/exact"},
		{paradero.SearchQuery{Name: "Pérez, Pepe"}, "pepe:name/exact,name/exact jose:name/nickname,name/exact"},
		// Sound: Spanish seseo, b = v, yeísmo, silent h, x = j — not
		// English Soundex.
		{paradero.SearchQuery{Name: "vazquez"}, "yorman:name/sound maria:name/sound"},
		{paradero.SearchQuery{Name: "jimena yepez"}, "jimena:name/sound,name/sound"},
		{paradero.SearchQuery{Name: "yepes"}, "jimena:name/sound yepez:name/sound"},
		{paradero.SearchQuery{Name: "hernandez"}, "jimena:name/exact yepez:name/sound"},
		// One typing error: a swap, a deletion, an insertion, a wrong letter.
		{paradero.SearchQuery{Name: "Quinteor"}, "yorman:name/typo"},
		{paradero.SearchQuery{Name: "yorman quintreo"}, "yorman:name/exact,name/typo"},
		{paradero.SearchQuery{Name: "quntero"}, "yorman:name/typo"},
		{paradero.SearchQuery{Name: "quinteros"}, "yorman:name/typo"},
		{paradero.SearchQuery{Name: "quinterro"}, "yorman:name/sound"},
		{paradero.SearchQuery{Name: "quintaro"}, "yorman:name/typo"},
		// Two errors are too many; short words allow none.
		{paradero.SearchQuery{Name: "qintaro"}, ""},
		{paradero.SearchQuery{Name: "ama"}, ""},
		// Particles are not criteria.
		{paradero.SearchQuery{Name: "de la cruz"}, "ana:name/exact"},
		// Dates: exact first, then less precise, then swapped.
		{paradero.SearchQuery{BirthDate: paradero.PartialDate{Year: 1990, Month: 4, Day: 2}}, "jose:birth_date/exact pepe:birth_date/partial-date yorman:birth_date/swapped-date"},
		{paradero.SearchQuery{BirthDate: paradero.PartialDate{Year: 1990}}, "pepe:birth_date/exact jose:birth_date/partial-date yorman:birth_date/partial-date"},
		{paradero.SearchQuery{BirthDate: paradero.PartialDate{Year: 1990, Month: 4}}, "jose:birth_date/partial-date pepe:birth_date/partial-date"},
		// Document numbers compare normalised (OCR-tolerant).
		{paradero.SearchQuery{ANumber: "123-456-789"}, "jose:a_number/exact"},
		{paradero.SearchQuery{ANumber: "0987654321"}, "maria:a_number/exact"},
		{paradero.SearchQuery{ANumber: "A I23456789"}, "jose:a_number/exact"},
		// Facility words, and every criterion at once.
		{paradero.SearchQuery{Facility: "cecot"}, "jose:facility/exact ana:facility/exact"},
		{paradero.SearchQuery{Facility: "Tecoluca cecot"}, "jose:facility/exact,facility/exact"},
		{paradero.SearchQuery{Name: "perez", Facility: "cecot"}, "jose:name/exact,facility/exact"},
		{paradero.SearchQuery{Name: "jose perez", BirthDate: paradero.PartialDate{Year: 1990}, ANumber: "123456789", Facility: "CECOT"},
			"jose:name/exact,name/exact,birth_date/partial-date,a_number/exact,facility/exact"},
		{paradero.SearchQuery{Name: "perez", Facility: "krome"}, ""},
		{paradero.SearchQuery{Name: "nadie"}, ""},
		{paradero.SearchQuery{Facility: "nowhere"}, ""},
	} {
		if got := w.found(t, tc.q); got != tc.want {
			t.Errorf("search %+v = %q, want %q", tc.q, got, tc.want)
		}
	}
}

// testSearchReasons: each hit says why it matched — the query's word, and
// the record's word when it differs.
func testSearchReasons(t *testing.T, s SearchStore) {
	w := newSearchWorld(s)
	w.fiveRecords(t)
	reasons := func(q paradero.SearchQuery) map[string][]paradero.MatchReason {
		t.Helper()
		res, err := s.SearchRecords(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		out := make(map[string][]paradero.MatchReason)
		for _, h := range res.Hits {
			out[w.labels[h.RecordID]] = h.Reasons
		}
		return out
	}
	for _, tc := range []struct {
		q     paradero.SearchQuery
		label string
		want  []paradero.MatchReason
	}{
		{paradero.SearchQuery{Name: "Quinteor"}, "yorman", []paradero.MatchReason{{Field: "name", Kind: paradero.MatchTypo, Query: "quinteor", Found: "quintero"}}},
		{paradero.SearchQuery{Name: "pepe"}, "jose", []paradero.MatchReason{{Field: "name", Kind: paradero.MatchNickname, Query: "pepe", Found: "jose"}}},
		{paradero.SearchQuery{Name: "pepe"}, "pepe", []paradero.MatchReason{{Field: "name", Kind: paradero.MatchExact, Query: "pepe"}}},
		{paradero.SearchQuery{Name: "vázquez"}, "maria", []paradero.MatchReason{{Field: "name", Kind: paradero.MatchSound, Query: "vazquez"}}},
		{paradero.SearchQuery{BirthDate: paradero.PartialDate{Year: 1990, Month: 4, Day: 2}}, "pepe",
			[]paradero.MatchReason{{Field: "birth_date", Kind: paradero.MatchPartialDate, Query: "1990-04-02", Found: "1990"}}},
		{paradero.SearchQuery{BirthDate: paradero.PartialDate{Year: 1990, Month: 4, Day: 2}}, "yorman",
			[]paradero.MatchReason{{Field: "birth_date", Kind: paradero.MatchSwappedDate, Query: "1990-04-02"}}},
		{paradero.SearchQuery{ANumber: "A-123 456 789", Name: "GOMEZ"}, "jose", []paradero.MatchReason{
			{Field: "name", Kind: paradero.MatchExact, Query: "gomez"}, {Field: "a_number", Kind: paradero.MatchExact, Query: "123456789"}}},
	} {
		got := reasons(tc.q)[tc.label]
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("search %+v: reasons for %s = %+v, want %+v", tc.q, tc.label, got, tc.want)
		}
	}
}

func testSearchInvalid(t *testing.T, s SearchStore) {
	w := newSearchWorld(s)
	w.fiveRecords(t)
	for _, bad := range []paradero.SearchQuery{{}, {Name: "J."}, {Name: "  "}, {ANumber: "--"}, {Name: "J. -", Facility: "cecot"}, {Offset: 3}} {
		if _, err := s.SearchRecords(t.Context(), bad); paradero.ErrorCode(err) != paradero.EINVALID {
			t.Errorf("search %+v: %v, want EINVALID", bad, err)
		}
	}
	// What no record can hold finds nothing rather than failing.
	for _, q := range []paradero.SearchQuery{{Name: "pérez\x00"}, {Name: "p\xffrez"}, {Facility: "ce\x00cot"}} {
		if _, err := s.SearchRecords(t.Context(), q); err != nil {
			t.Errorf("search %+v: %v", q, err)
		}
	}
}

// testSearchPages: hits come best first, equals in import order, a page
// at a time, with the total.
func testSearchPages(t *testing.T, s SearchStore) {
	w := newSearchWorld(s)
	var labels []string
	var recs []*paradero.Record
	for i := range 7 {
		labels = append(labels, fmt.Sprint("ruiz", i))
		recs = append(recs, &paradero.Record{FullName: fmt.Sprintf("Ana Ruiz %c", 'a'+i)})
	}
	labels = append(labels, "ruis")
	recs = append(recs, &paradero.Record{FullName: "Ana Ruis"})
	w.add(t, "eight", labels, recs...)
	w.add(t, "one more", []string{"late"}, &paradero.Record{FullName: "Ana Ruiz Late"})
	for _, tc := range []struct {
		offset, limit, total int
		want                 string
	}{
		{0, 0, 9, "ruiz0:name/exact,name/exact ruiz1:name/exact,name/exact ruiz2:name/exact,name/exact ruiz3:name/exact,name/exact ruiz4:name/exact,name/exact ruiz5:name/exact,name/exact ruiz6:name/exact,name/exact late:name/exact,name/exact ruis:name/exact,name/sound"},
		{2, 3, 9, "ruiz2:name/exact,name/exact ruiz3:name/exact,name/exact ruiz4:name/exact,name/exact"},
		{7, 5, 9, "late:name/exact,name/exact ruis:name/exact,name/sound"},
		{20, 5, 9, ""},
		{-1, 1, 9, "ruiz0:name/exact,name/exact"},
	} {
		q := paradero.SearchQuery{Name: "ana ruiz", Offset: tc.offset, Limit: tc.limit}
		res, err := s.SearchRecords(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		if got := w.found(t, q); got != tc.want || res.Total != tc.total || res.Truncated {
			t.Errorf("page %d+%d = %q (total %d, truncated %v), want %q (total %d)", tc.offset, tc.limit, got, res.Total, res.Truncated, tc.want, tc.total)
		}
	}
}

// testSearchFollowsImports: a later import is found at once; a redacted
// record is not, nor by any variant of its words, while a record sharing
// a word with it still is.
func testSearchFollowsImports(t *testing.T, s SearchStore) {
	ctx := actorCtx(t)
	w := newSearchWorld(s)
	w.add(t, "first", []string{"xiomara", "otra"}, &paradero.Record{FullName: "Xiomara Quintanilla", ANumber: "A201234567"}, &paradero.Record{FullName: "Otra Persona Rivas"})
	if got := w.found(t, paradero.SearchQuery{Name: "quintanila"}); got != "xiomara:name/typo" {
		t.Fatalf("before: %q", got)
	}
	w.add(t, "second", []string{"xiomara2"}, &paradero.Record{FullName: "Xiomara Quintanilla Rivas", BirthDate: paradero.PartialDate{Year: 1987, Month: 6, Day: 30}})
	if got := w.found(t, paradero.SearchQuery{Name: "xiomara quintanilla"}); got != "xiomara:name/exact,name/exact xiomara2:name/exact,name/exact" {
		t.Fatalf("after a second import: %q", got)
	}
	log := ledger.New(s, newKey(t))
	for _, label := range []string{"xiomara", "xiomara2"} {
		r, err := s.FindRecordByID(ctx, w.byName[label].ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.RedactRecord(ctx, newRedaction(t, log, r, "protects "+label)); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []paradero.SearchQuery{
		{Name: "xiomara"}, {Name: "quintanila"}, {Name: "kintanilla"}, {Name: "xiomara rivas"},
		{ANumber: "201234567"}, {BirthDate: paradero.PartialDate{Year: 1987, Month: 6, Day: 30}}, {BirthDate: paradero.PartialDate{Year: 1987}},
	} {
		if got := w.found(t, q); got != "" {
			t.Errorf("after redaction, %+v finds %q", q, got)
		}
	}
	if got := w.found(t, paradero.SearchQuery{Name: "rivas"}); got != "otra:name/exact" {
		t.Errorf("the unredacted record: %q", got)
	}
	if got := w.found(t, paradero.SearchQuery{Name: "rivaz"}); got != "otra:name/sound" {
		t.Errorf("the unredacted record by sound: %q", got)
	}
	if n, err := s.IndexSearch(t.Context()); n != 0 || err != nil {
		t.Errorf("IndexSearch on a current index = %d, %v", n, err)
	}
	// A name held only by a redacted record comes back with a new record.
	w.add(t, "third", []string{"again"}, &paradero.Record{FullName: "Xiomara Quintanilla"})
	if got := w.found(t, paradero.SearchQuery{Name: "quintanila"}); got != "again:name/typo" {
		t.Errorf("a new record with a redacted record's name: %q", got)
	}
}

// testSearchBounded: a word every record holds reads at most
// MaxSearchScan hits and says so; a rare word still finds its record.
func testSearchBounded(t *testing.T, s SearchStore) {
	w := newSearchWorld(s)
	n := paradero.MaxSearchScan + 100
	recs := make([]*paradero.Record, n)
	labels := make([]string, n)
	for i := range recs {
		recs[i] = &paradero.Record{FullName: fmt.Sprintf("José Pérez %d", i)}
		labels[i] = fmt.Sprint("p", i)
	}
	recs[n-1].FullName, labels[n-1] = "José Zambrano", "zambrano"
	w.add(t, "many", labels, recs...)
	res, err := s.SearchRecords(t.Context(), paradero.SearchQuery{Name: "jose"})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Truncated || res.Total != paradero.MaxSearchScan || len(res.Hits) != 50 {
		t.Errorf("common word: truncated %v, total %d, %d hits; want truncated, %d, 50", res.Truncated, res.Total, len(res.Hits), paradero.MaxSearchScan)
	}
	for _, h := range res.Hits {
		if !strings.HasPrefix(w.labels[h.RecordID], "p") && w.labels[h.RecordID] != "zambrano" {
			t.Errorf("common word: hit %d is no record of the store", h.RecordID)
		}
	}
	if got := w.found(t, paradero.SearchQuery{Name: "jose zambrano"}); got != "zambrano:name/exact,name/exact" {
		t.Errorf("rare word: %q", got)
	}
	if got := w.found(t, paradero.SearchQuery{Name: "zambrano jose"}); got != "zambrano:name/exact,name/exact" {
		t.Errorf("rare word first: %q", got)
	}
}

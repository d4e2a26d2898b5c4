package paradero

import "context"

// AuditSearch is the audit action of a search of records. Its entry names
// no object and keeps no query: what was searched for is personal data.
const AuditSearch = "search.run"

// SearchQuery is what a search looks for. Empty fields are no criterion; a
// record matches when it meets every criterion given.
type SearchQuery struct {
	// Name is any part of a name, in any order, as someone would type it:
	// every word must match a word of one of the record's name fields,
	// exactly, by sound (Spanish pronunciation), as a nickname or with one
	// typing error.
	Name string
	// BirthDate matches the same date, a date that agrees as far as the
	// less precise of the two goes (1990 and 1990-04-02), or one with day
	// and month swapped.
	BirthDate PartialDate
	ANumber   string // compared as a document number (OCR-tolerant)
	Facility  string // every word must be a word of the record's facility
	Offset    int
	Limit     int // 0 means a default page of 50
}

// IsZero reports whether q has no criterion.
func (q SearchQuery) IsZero() bool {
	return q.Name == "" && q.BirthDate.IsZero() && q.ANumber == "" && q.Facility == ""
}

// MatchKind says how a criterion matched.
type MatchKind string

const (
	MatchExact       MatchKind = "exact"
	MatchSound       MatchKind = "sound"        // same Spanish phonetic key
	MatchNickname    MatchKind = "nickname"     // a hypocorism (Pepe = José)
	MatchTypo        MatchKind = "typo"         // one typing error apart
	MatchPartialDate MatchKind = "partial-date" // agrees as far as the less precise date goes
	MatchSwappedDate MatchKind = "swapped-date" // day and month swapped
)

// MatchReason says why a record matched one criterion: which criterion
// (Field: "name", "birth_date", "a_number", "facility"), how, the query's
// word (normalised) and, when known and different, the record's word it
// matched.
type MatchReason struct {
	Field string
	Kind  MatchKind
	Query string
	Found string
}

// SearchHit is one record that matched, with a reason per criterion.
type SearchHit struct {
	RecordID int64
	Score    int // higher is closer: exact beats sound beats a typo
	Reasons  []MatchReason
}

// SearchResult is a page of hits, best first.
type SearchResult struct {
	Hits  []*SearchHit
	Total int
	// Truncated says the search stopped after MaxSearchScan index
	// entries: Total counts only what it read; more criteria narrow it.
	Truncated bool
	// Pending counts the records imported but not yet in the index when
	// the search ran, because the index was still catching up (after an
	// upgrade or a large import): they may be missing from Hits.
	Pending int
}

// MaxSearchScan bounds the index entries one search reads, so a search
// for a common word costs the same at a million records as at a thousand.
const MaxSearchScan = 5000

// SearchService finds records by name, birth date, A-number and facility
// through an index kept beside the records. Redacted records are never
// found. It stores; the caller decides who may search.
type SearchService interface {
	// SearchRecords brings the index up to date — unless another caller
	// is already doing so, in which case it searches what is indexed and
	// says how much is not (Pending) — and returns the records that meet
	// every criterion of q. EINVALID if q has no criterion or
	// its name has no word of two letters or more.
	SearchRecords(ctx context.Context, q SearchQuery) (*SearchResult, error)
	// IndexSearch brings the index up to date: it adds the records
	// imported since it last ran and removes the records redacted since.
	// It returns how many records it added. When the index is current it
	// costs one read.
	IndexSearch(ctx context.Context) (int, error)
}

package paradero

import (
	"context"
	"sort"
	"strings"
	"time"
)

// Person is a cluster of records that record linkage, and the reviewers who
// confirm or correct it, take to be one human being. A record that links to
// nothing is a person of its own. A person's id stays the same across
// linkage runs for as long as it keeps most of its records.
type Person struct {
	ID      int64
	Records []int64 // the ids of its records now, ascending
	// Lineage is every record the person ever held, with the runs that
	// added and removed it, oldest first.
	Lineage []Lineage
}

// Lineage says when a record belonged to a person: from the link run that
// added it until the one that took it away (0 while it still belongs).
type Lineage struct {
	RecordID  int64
	FromRun   int64
	UntilRun  int64
	AddedAt   time.Time
	RemovedAt time.Time
}

// Verdict is a reviewer's answer on whether two records are one person.
type Verdict string

const (
	VerdictSame      Verdict = "same"
	VerdictDifferent Verdict = "different"
	VerdictUnsure    Verdict = "unsure"
)

// Valid reports whether v is one of the three verdicts.
func (v Verdict) Valid() bool {
	return v == VerdictSame || v == VerdictDifferent || v == VerdictUnsure
}

// Review is a reviewer's decision on a pair of records. It is a ledger
// entry: reviews are never changed or deleted, and the latest review of a
// pair is the one in force, so every merge and split can be undone by
// another review. Reason and author are committed to through a salted hash.
type Review struct {
	ID          int64
	RecordA     int64 // RecordA < RecordB
	RecordB     int64
	Verdict     Verdict
	Reason      string
	CreatedBy   string
	CreatedAt   time.Time
	Salt        []byte
	Commitment  Hash // Commit(Salt, ReviewContent(Reason, CreatedBy))
	LedgerIndex int64
}

// ReviewContent returns the canonical bytes a review's commitment covers.
func ReviewContent(reason, by string) []byte {
	var b strings.Builder
	writeContentLine(&b, "reason", reason)
	writeContentLine(&b, "by", by)
	return []byte(b.String())
}

// ReviewLeaf returns the ledger leaf of x.
func ReviewLeaf(x *Review) []byte {
	b := leafHead("review", x.ID)
	b = appendLeafInt(b, "record-a ", x.RecordA)
	b = appendLeafInt(b, "record-b ", x.RecordB)
	b = append(b, "verdict "+string(x.Verdict)+"\n"...)
	b = appendLeafTime(b, x.CreatedAt)
	return appendLeafCommit(b, x.Commitment)
}

// LinkRun is one run of record linkage over the store.
type LinkRun struct {
	ID             int64
	CreatedAt      time.Time
	CreatedBy      string
	Records        int
	Persons        int
	CandidatePairs int64
	Settings       []byte // the linkage settings used, as JSON
	// State is what linking incrementally after this run needs of it —
	// the settings with the blocking rules it used and the fitted model,
	// as JSON (package linkage's State) — or nil if the run kept none. It
	// holds no personal data: no value of any record.
	State []byte
}

// ReviewPair is a pair of records the model could not decide: its match
// probability lies between the review thresholds.
type ReviewPair struct {
	RecordA, RecordB int64
	Probability      float64
	Weight           float64
	Explanation      []byte // the per-field waterfall, as JSON
}

// ReviewFilter selects pairs of the review queue. Pairs a reviewer has
// decided are left out.
type ReviewFilter struct {
	Offset int
	Limit  int // 0 means a default page of 100
}

// PersonService keeps the persons that linkage finds and the reviews that
// correct it.
type PersonService interface {
	// SaveLinkRun records a linkage run: clusters partitions record ids
	// into persons (every record in exactly one cluster), queue is the new
	// review queue. Person ids carry over from the previous run by overlap
	// and lineage is kept. The store sets run's ID and CreatedAt.
	// EINVALID if a record is missing or in two clusters.
	SaveLinkRun(ctx context.Context, run *LinkRun, clusters [][]int64, queue []ReviewPair) error
	// FindPersonByID returns ENOTFOUND if there is no such person.
	FindPersonByID(ctx context.Context, id int64) (*Person, error)
	// FindPersonOfRecord returns the person a record belongs to; ENOTFOUND
	// if the record is not linked yet.
	FindPersonOfRecord(ctx context.Context, recordID int64) (*Person, error)
	// FindLatestLinkRun returns the latest link run, with its State;
	// ENOTFOUND if there has been none.
	FindLatestLinkRun(ctx context.Context) (*LinkRun, error)
	// FindPersonRecords returns the record ids of every person that holds
	// records now, each ascending, the persons ordered by id. Records that
	// no run has linked yet are in none.
	FindPersonRecords(ctx context.Context) ([][]int64, error)
	// CreateReview appends a review to the ledger. The caller fills every
	// field but ID and LedgerIndex. EINVALID for a bad verdict or the same
	// record twice; ENOTFOUND if a record does not exist.
	CreateReview(ctx context.Context, x *Review) error
	// FindReviews returns every review, oldest first.
	FindReviews(ctx context.Context) ([]*Review, error)
	// FindReviewQueue returns undecided pairs, most uncertain first, and
	// their total.
	FindReviewQueue(ctx context.Context, f ReviewFilter) ([]*ReviewPair, int, error)
}

// AssignPersonIDs gives each new cluster of record ids a person id: greedily by overlap with
// the previous assignment old (record → person), largest overlap first,
// ties to the smaller old id and then the earlier cluster, so the result is
// deterministic; each old id goes to one cluster at most, and clusters left
// over get nextID, nextID+1, …. It is how every store keeps person ids
// stable across linkage runs.
func AssignPersonIDs(clusters [][]int64, old map[int64]int64, nextID int64) []int64 {
	type cand struct {
		cluster int
		person  int64
		overlap int
	}
	var cands []cand
	for i, c := range clusters {
		count := make(map[int64]int)
		for _, r := range c {
			if p, ok := old[r]; ok {
				count[p]++
			}
		}
		for p, n := range count {
			cands = append(cands, cand{i, p, n})
		}
	}
	sort.Slice(cands, func(a, b int) bool {
		x, y := cands[a], cands[b]
		if x.overlap != y.overlap {
			return x.overlap > y.overlap
		}
		if x.person != y.person {
			return x.person < y.person
		}
		return x.cluster < y.cluster
	})
	ids := make([]int64, len(clusters))
	used := make(map[int64]bool)
	for _, c := range cands {
		if ids[c.cluster] == 0 && !used[c.person] {
			ids[c.cluster] = c.person
			used[c.person] = true
		}
	}
	for i := range ids {
		if ids[i] == 0 {
			ids[i] = nextID
			nextID++
		}
	}
	return ids
}

// CheckPartition checks that clusters put each of a store's nrec records
// in exactly one cluster, as SaveLinkRun requires. EINVALID otherwise.
func CheckPartition(clusters [][]int64, nrec int) error {
	seen := make(map[int64]bool, nrec)
	for _, c := range clusters {
		for _, id := range c {
			if seen[id] {
				return Errorf(EINVALID, "record %d is in two clusters", id)
			}
			seen[id] = true
		}
	}
	if len(seen) != nrec {
		return Errorf(EINVALID, "the clusters hold %d records; the store has %d", len(seen), nrec)
	}
	return nil
}

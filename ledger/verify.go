package ledger

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/paradero/paradero"
)

// Problem is one thing verification found wrong.
type Problem struct {
	Index   int64  // the ledger entry concerned; -1 if none
	Message string // says what is wrong, in plain words
}

func (p Problem) String() string {
	if p.Index < 0 {
		return p.Message
	}
	return fmt.Sprintf("entry %d: %s", p.Index, p.Message)
}

// Report is the outcome of Verify.
type Report struct {
	Entries     int64             // entries read
	Checkpoints int               // checkpoints checked against the tree
	Latest      *ParsedCheckpoint // the latest stored checkpoint, if any
	Problems    []Problem         // empty when the ledger is intact; the first is the first bad entry
	Truncated   bool              // more problems were found than MaxProblems
}

// OK reports whether nothing was found wrong.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

// MaxProblems bounds how many problems Verify lists.
const MaxProblems = 50

// VerifyOptions adjusts Verify.
type VerifyOptions struct {
	// Extra are signed checkpoints from elsewhere (a partner's copy) to
	// check against the tree as well.
	Extra [][]byte
	// SkipBlobs leaves the source files unchecked.
	SkipBlobs bool
}

type verifier struct {
	ctx      context.Context
	log      *Log
	rep      *Report
	app      *paradero.LedgerAppender
	redacted map[int64]paradero.Hash // record id → commitment, for records whose content is gone
	cps      []*ParsedCheckpoint     // to check, by size
	next     int                     // index into cps
}

func (v *verifier) problem(idx int64, format string, args ...any) {
	if len(v.rep.Problems) >= MaxProblems {
		v.rep.Truncated = true
		return
	}
	v.rep.Problems = append(v.rep.Problems, Problem{Index: idx, Message: fmt.Sprintf(format, args...)})
}

// Verify recomputes every leaf from the stored content (and every source
// file's hash), rebuilds the whole tree from the leaves, compares it with
// the stored tree hashes, and checks every stored checkpoint — and every
// extra one — for a valid signature and a root equal to the rebuilt tree's
// at its size. It returns an error only when it could not run; what it
// found is in the report.
func (l *Log) Verify(ctx context.Context, opts VerifyOptions) (*Report, error) {
	v := &verifier{
		ctx:      ctx,
		log:      l,
		rep:      &Report{},
		redacted: make(map[int64]paradero.Hash),
		app: paradero.NewLedgerAppender(0, func([]int64) ([]paradero.Hash, error) {
			return nil, errors.New("ledger: verify needs no stored hash")
		}),
	}
	stored, err := l.store.FindCheckpoints(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range stored {
		p, err := l.key.Chain.OpenCheckpoint(c.Note)
		if err != nil {
			v.problem(-1, "stored checkpoint of size %d: %s", c.Size, paradero.ErrorMessage(err))
			continue
		}
		if p.Size != c.Size || p.Hash != c.Hash {
			v.problem(-1, "stored checkpoint of size %d: its signed text says size %d, hash %x", c.Size, p.Size, p.Hash[:8])
		}
		v.cps = append(v.cps, p)
		v.rep.Latest = p
	}
	for i, msg := range opts.Extra {
		p, err := l.key.Chain.OpenCheckpoint(msg)
		if err != nil {
			v.problem(-1, "given checkpoint %d: %s", i+1, paradero.ErrorMessage(err))
			continue
		}
		v.cps = append(v.cps, p)
	}
	slices.SortStableFunc(v.cps, func(a, b *ParsedCheckpoint) int { return int(a.Size - b.Size) })

	v.checkTreeAt() // size-0 checkpoints
	// The store reads while another goroutine checks: on a small machine
	// each gets a core. Entries are checked one at a time, in order.
	items := make(chan *paradero.LedgerItem, 4096)
	checked := make(chan struct{})
	go func() {
		defer close(checked)
		for it := range items {
			v.entry(it, opts)
		}
	}()
	err = l.store.ScanLedger(ctx, func(it *paradero.LedgerItem) error {
		select {
		case items <- it:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	close(items)
	<-checked
	if err != nil {
		if paradero.ErrorCode(err) == paradero.ETAMPERED {
			v.problem(v.rep.Entries, "%s", paradero.ErrorMessage(err))
			return v.rep, nil
		}
		return nil, err
	}
	for _, c := range v.cps[v.next:] {
		v.problem(-1, "the ledger has %d entries but a checkpoint of size %d was signed: entries were removed (the log was truncated)",
			v.rep.Entries, c.Size)
	}
	for id := range v.redacted {
		v.problem(-1, "record %d has no content and no redaction entry: its content was removed outside Paradero", id)
	}
	rest, err := l.store.FindUnledgered(ctx, MaxProblems)
	if err != nil {
		return nil, err
	}
	for _, s := range rest {
		v.problem(-1, "%s is in the database but not in the ledger: it was inserted outside Paradero", s)
	}
	return v.rep, nil
}

// entry checks one entry: its position, its subject, its leaf and its
// stored hashes, and the checkpoints that end at it.
func (v *verifier) entry(it *paradero.LedgerItem, opts VerifyOptions) {
	want := v.rep.Entries
	v.rep.Entries++
	if it.Index != want {
		v.problem(want, "entry %d is missing (the next stored entry is %d): entries were removed or reordered", want, it.Index)
		v.rep.Entries = it.Index + 1
		return // the tree can no longer be rebuilt in step; the leaf checks below would only echo this
	}
	leaf := v.recomputeLeaf(it, opts)
	if leaf == nil {
		leaf = it.Leaf // keep the tree in step so that later entries are still checked
	} else if !bytes.Equal(leaf, it.Leaf) {
		v.problem(it.Index, "the stored leaf is not the one its %s's content gives: the entry was altered", it.Kind)
	}
	_, hashes, err := v.app.Append(leaf)
	if err != nil {
		v.problem(it.Index, "cannot hash: %v", err)
		return
	}
	if string(hashes) != string(it.Hashes) {
		v.problem(it.Index, "the stored tree hashes differ from those its leaf gives: the tree was altered")
	}
	v.checkTreeAt()
}

// checkTreeAt compares the rebuilt tree with every checkpoint of its
// current size.
func (v *verifier) checkTreeAt() {
	for v.next < len(v.cps) && v.cps[v.next].Size <= v.app.Size() {
		c := v.cps[v.next]
		v.next++
		if c.Size < v.app.Size() {
			continue // passed over: an entry was skipped; already reported
		}
		root, err := v.app.TreeHash()
		if err != nil {
			v.problem(c.Size-1, "cannot compute the tree hash: %v", err)
			continue
		}
		v.rep.Checkpoints++
		if root != c.Hash {
			v.problem(c.Size-1, "the first %d entries do not hash to the signed checkpoint of that size: the log was altered before this point (or forked)", c.Size)
		}
	}
}

// recomputeLeaf returns the leaf the entry's subject gives, or nil (after
// reporting why) if it has none.
func (v *verifier) recomputeLeaf(it *paradero.LedgerItem, opts VerifyOptions) []byte {
	switch it.Kind {
	case paradero.EntrySource:
		s := it.Source
		if s == nil {
			v.problem(it.Index, "source %d is missing from the database: it was deleted", it.Subject)
			return nil
		}
		if s.LedgerIndex != it.Index {
			v.problem(it.Index, "source %d says it is entry %d", s.ID, s.LedgerIndex)
		}
		if s.Salt == nil {
			v.problem(it.Index, "source %d has lost its salt", s.ID)
		} else if paradero.Commit(s.Salt, s.Content()) != s.Commitment {
			v.problem(it.Index, "source %d: its description does not match its commitment: a field was changed", s.ID)
		}
		if !opts.SkipBlobs {
			v.checkBlob(it.Index, s)
		}
		return paradero.SourceLeaf(s)
	case paradero.EntryRecord:
		r := it.Record
		if r == nil {
			v.problem(it.Index, "record %d is missing from the database: it was deleted", it.Subject)
			return nil
		}
		if r.LedgerIndex != it.Index {
			v.problem(it.Index, "record %d says it is entry %d", r.ID, r.LedgerIndex)
		}
		if r.Salt == nil {
			if len(it.Content) > 0 {
				v.problem(it.Index, "record %d (source %d, row %d) has content but no salt", r.ID, r.SourceID, r.Row)
			}
			v.redacted[r.ID] = r.Commitment
		} else if paradero.Commit(r.Salt, it.Content) != r.Commitment {
			v.problem(it.Index, "record %d (source %d, row %d): its content does not match its commitment: a field was changed", r.ID, r.SourceID, r.Row)
		}
		return paradero.RecordLeaf(r)
	case paradero.EntryRedaction:
		x := it.Redaction
		if x == nil {
			v.problem(it.Index, "redaction %d is missing from the database: it was deleted", it.Subject)
			return nil
		}
		if x.LedgerIndex != it.Index {
			v.problem(it.Index, "redaction %d says it is entry %d", x.ID, x.LedgerIndex)
		}
		if paradero.Commit(x.Salt, paradero.RedactionContent(x.Reason, x.CreatedBy)) != x.Commitment {
			v.problem(it.Index, "redaction %d: its reason does not match its commitment: it was changed", x.ID)
		}
		rc, ok := v.redacted[x.RecordID]
		if !ok {
			v.problem(it.Index, "redaction %d is of record %d, which still has its content or comes later", x.ID, x.RecordID)
		} else {
			delete(v.redacted, x.RecordID)
			if err := checkRedactionSignature(x, rc, v.log.key.Chain.verifierAt(x.LedgerIndex)); err != nil {
				v.problem(it.Index, "redaction %d: the signature is not valid: %v", x.ID, err)
			}
		}
		return paradero.RedactionLeaf(x)
	case paradero.EntryReview:
		x := it.Review
		if x == nil {
			v.problem(it.Index, "review %d is missing from the database: it was deleted", it.Subject)
			return nil
		}
		if x.LedgerIndex != it.Index {
			v.problem(it.Index, "review %d says it is entry %d", x.ID, x.LedgerIndex)
		}
		if paradero.Commit(x.Salt, paradero.ReviewContent(x.Reason, x.CreatedBy)) != x.Commitment {
			v.problem(it.Index, "review %d: its reason or author does not match its commitment: it was changed", x.ID)
		}
		return paradero.ReviewLeaf(x)
	}
	v.problem(it.Index, "unknown entry kind %q", it.Kind)
	return nil
}

func (v *verifier) checkBlob(idx int64, s *paradero.Source) {
	f, err := v.log.store.OpenBlob(v.ctx, s.SHA256)
	if err != nil {
		v.problem(idx, "source %d: its file %s is missing", s.ID, s.SHA256)
		return
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		v.problem(idx, "source %d: cannot read its file: %v", s.ID, err)
		return
	}
	if got := paradero.Hash(h.Sum(nil)); got != s.SHA256 || n != s.Size {
		v.problem(idx, "source %d: its stored file was changed (SHA-256 %s, %d bytes; recorded %s, %d bytes)", s.ID, got, n, s.SHA256, s.Size)
	}
}

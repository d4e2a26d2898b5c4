package paradero

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// EntryKind says what a ledger entry records.
type EntryKind string

const (
	EntrySource    EntryKind = "source"
	EntryRecord    EntryKind = "record"
	EntryRedaction EntryKind = "redaction"
	EntryReview    EntryKind = "review"
)

// Entry is one leaf of the ledger. Leaf is the canonical encoding the tree
// hashes (RFC 6962 §2.1: leaf hash = SHA-256(0x00 || Leaf)); it holds ids,
// times and commitments, never personal content.
type Entry struct {
	Index   int64
	Kind    EntryKind
	Subject int64 // the id of the source, record or redaction
	Leaf    []byte
}

// LeafVersion opens every leaf; a new encoding gets a new version.
const LeafVersion = "paradero-leaf/1"

// commitPrefix separates commitments from every other SHA-256 use.
const commitPrefix = "paradero-commit/1\x00"

// Commit returns SHA-256("paradero-commit/1" 0x00 || salt || content): a
// hiding commitment, because salt is 32 random bytes that never leave the
// store. Destroying content and salt leaves the commitment unopenable.
func Commit(salt, content []byte) Hash {
	h := sha256.New()
	h.Write([]byte(commitPrefix))
	h.Write(salt)
	h.Write(content)
	var out Hash
	h.Sum(out[:0])
	return out
}

// Content returns the canonical encoding of the source's description, the
// bytes its commitment covers (docs/ledger.md).
func (s *Source) Content() []byte {
	var b strings.Builder
	writeContentLine(&b, "kind", string(s.Kind))
	writeContentLine(&b, "title", s.Title)
	writeContentLine(&b, "published", s.Published.String())
	writeContentLine(&b, "filename", s.Filename)
	writeContentLine(&b, "media_type", s.MediaType)
	writeContentLine(&b, "size", strconv.FormatInt(s.Size, 10))
	writeContentLine(&b, "sha256", s.SHA256.String())
	writeContentLine(&b, "imported_by", s.ImportedBy)
	return []byte(b.String())
}

// RedactionContent returns the canonical bytes a redaction's commitment
// covers: its reason and author, which may name people.
func RedactionContent(reason, by string) []byte {
	var b strings.Builder
	writeContentLine(&b, "reason", reason)
	writeContentLine(&b, "by", by)
	return []byte(b.String())
}

func leafTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// SourceLeaf returns the ledger leaf of s.
func SourceLeaf(s *Source) []byte {
	b := leafHead("source", s.ID)
	b = appendLeafTime(b, s.ImportedAt)
	return appendLeafCommit(b, s.Commitment)
}

// RecordLeaf returns the ledger leaf of r.
func RecordLeaf(r *Record) []byte {
	b := leafHead("record", r.ID)
	b = appendLeafInt(b, "source ", r.SourceID)
	b = appendLeafInt(b, "row ", int64(r.Row))
	b = appendLeafTime(b, r.CreatedAt)
	return appendLeafCommit(b, r.Commitment)
}

// RedactionLeaf returns the ledger leaf of x.
func RedactionLeaf(x *Redaction) []byte {
	b := leafHead("redaction", x.ID)
	b = appendLeafInt(b, "record ", x.RecordID)
	b = appendLeafTime(b, x.CreatedAt)
	return appendLeafCommit(b, x.Commitment)
}

// The leaf writers below append by hand rather than through fmt: a leaf is
// built for every imported row, and fmt was a tenth of an import's time.

func leafHead(kind string, id int64) []byte {
	b := make([]byte, 0, 192)
	b = append(b, LeafVersion+"\nkind "...)
	b = append(b, kind...)
	b = append(b, '\n')
	return appendLeafInt(b, "id ", id)
}

func appendLeafInt(b []byte, key string, v int64) []byte {
	b = append(b, key...)
	b = strconv.AppendInt(b, v, 10)
	return append(b, '\n')
}

func appendLeafTime(b []byte, t time.Time) []byte {
	b = append(b, "time "...)
	b = t.UTC().AppendFormat(b, time.RFC3339Nano)
	return append(b, '\n')
}

func appendLeafCommit(b []byte, h Hash) []byte {
	b = append(b, "commit "...)
	b = hex.AppendEncode(b, h[:])
	return append(b, '\n')
}

// RedactionStatement is the text the ledger key signs for a redaction: what
// was redacted (by its commitment), when, and a commitment to why.
func RedactionStatement(recordID int64, record Hash, at time.Time, reason Hash) string {
	return fmt.Sprintf("paradero-redaction/1\nrecord %d\nrecord-commit %s\ntime %s\nreason-commit %s\n",
		recordID, record, leafTime(at), reason)
}

// StoredHashLocation says where the ledger keeps the tree hash with
// tlog stored-hash index i: in the hashes of entry n, at byte offset off.
// tlog.StoredHashes(n, …) returns the leaf hash of entry n and then one hash
// for each subtree that leaf completes, level by level, so the hash of
// level L and index k is the L-th hash of entry ((k+1)<<L)-1.
func StoredHashLocation(i int64) (n int64, off int) {
	level, k := tlog.SplitStoredHashIndex(i)
	return (k+1)<<level - 1, level * 32
}

// LedgerAppender computes the tree hashes to store for each new leaf, as
// tlog.StoredHashes does, reading older hashes through Read at most once
// each. It keeps only the right edge of the tree in memory, so appending any
// number of leaves uses constant memory.
type LedgerAppender struct {
	size int64
	read func(indexes []int64) ([]Hash, error)
	edge map[int64]tlog.Hash
}

// NewLedgerAppender starts appending to a ledger of size leaves. read reads
// stored hashes by tlog stored-hash index.
func NewLedgerAppender(size int64, read func(indexes []int64) ([]Hash, error)) *LedgerAppender {
	return &LedgerAppender{size: size, read: read, edge: make(map[int64]tlog.Hash)}
}

// Size is the number of leaves, counting those appended.
func (a *LedgerAppender) Size() int64 { return a.size }

// Append adds a leaf and returns its index and the hashes to store with it,
// concatenated (see StoredHashLocation).
func (a *LedgerAppender) Append(leaf []byte) (int64, []byte, error) {
	n := a.size
	var used []int64
	hashes, err := tlog.StoredHashes(n, leaf, tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		var missing []int64
		for i, x := range idx {
			if h, ok := a.edge[x]; ok {
				out[i] = h
			} else {
				missing = append(missing, x)
			}
		}
		if len(missing) > 0 {
			got, err := a.read(missing)
			if err != nil {
				return nil, err
			}
			if len(got) != len(missing) {
				return nil, fmt.Errorf("ledger: read %d hashes, want %d", len(got), len(missing))
			}
			for i, x := range missing {
				a.edge[x] = tlog.Hash(got[i])
			}
			for i, x := range idx {
				out[i] = a.edge[x]
			}
		}
		used = append(used, idx...)
		return out, nil
	}))
	if err != nil {
		return 0, nil, fmt.Errorf("ledger: hashing entry %d: %w", n, err)
	}
	// A hash read here was a left sibling; its parent now stands for it.
	for _, x := range used {
		delete(a.edge, x)
	}
	base := tlog.StoredHashIndex(0, n)
	buf := make([]byte, 0, 32*len(hashes))
	for i, h := range hashes {
		buf = append(buf, h[:]...)
		a.edge[base+int64(i)] = h
	}
	// Right children are consumed at once by their parent; keep only hashes
	// that may still be read: left children (even index at their level).
	for i := range hashes {
		if _, k := tlog.SplitStoredHashIndex(base + int64(i)); k%2 == 1 {
			delete(a.edge, base+int64(i))
		}
	}
	a.size++
	return n, buf, nil
}

// Checkpoint is a signed statement of the ledger's size and root hash, in
// the checkpoint text format of transparency-dev (origin, size, base64 root
// hash, each on a line) signed as a golang.org/x/mod/sumdb/note.
type Checkpoint struct {
	Size      int64
	Hash      Hash
	Note      []byte // the signed note, as published
	CreatedAt time.Time
}

// LedgerItem is one ledger entry as stored, with the subject it covers as
// the store holds it now (nil where the subject's row is gone), for
// verification. A record comes without its content fields: Content holds
// its stored canonical encoding instead, the bytes its commitment covers,
// so verification hashes what is stored rather than a re-encoding of it.
type LedgerItem struct {
	Entry
	Hashes    []byte // the stored tree hashes (see StoredHashLocation)
	Source    *Source
	Record    *Record
	Content   []byte // the record's stored content; nil once redacted
	Redaction *Redaction
	Review    *Review
}

// LedgerService is the store's side of the ledger: entries and tree hashes
// are written by ImportSource and RedactRecord in the transactions that
// write what they cover; this reads them, and keeps checkpoints.
type LedgerService interface {
	// LedgerSize returns the number of entries.
	LedgerSize(ctx context.Context) (int64, error)
	// ReadHashes reads stored tree hashes by tlog stored-hash index.
	ReadHashes(ctx context.Context, indexes []int64) ([]Hash, error)
	// FindEntry returns the entry at index; ENOTFOUND past the end.
	FindEntry(ctx context.Context, index int64) (*Entry, error)
	// ScanLedger calls fn for every entry in index order, with its subject.
	// Each call gets an item of its own, which fn may keep. It stops at
	// fn's first error and returns it.
	ScanLedger(ctx context.Context, fn func(*LedgerItem) error) error
	// FindUnledgered returns sources, records, redactions and reviews that
	// no entry covers, as "record 17", at most limit of them.
	FindUnledgered(ctx context.Context, limit int) ([]string, error)
	// AddCheckpoint stores a signed checkpoint. ECONFLICT if one of that
	// size with another hash is stored.
	AddCheckpoint(ctx context.Context, c *Checkpoint) error
	// LatestCheckpoint returns the checkpoint of the largest size;
	// ENOTFOUND if none.
	LatestCheckpoint(ctx context.Context) (*Checkpoint, error)
	// FindCheckpoints returns every checkpoint, smallest size first.
	FindCheckpoints(ctx context.Context) ([]*Checkpoint, error)
}

// Status counts what a store holds.
type Status struct {
	Sources    int
	Records    int
	Redactions int
	Persons    int // records not yet linked count as one person each
	LedgerSize int64
}

// Store is everything a storage adapter provides.
type Store interface {
	SourceService
	ImportService
	RecordService
	LedgerService
	// Status counts what the store holds.
	Status(ctx context.Context) (*Status, error)
	// Close releases the store.
	Close() error
}

// Timestamp returns t as stores keep it: UTC, truncated to the microsecond,
// the finest precision both SQLite and PostgreSQL hold. Leaves encode times,
// so a store must apply this before computing a leaf.
func Timestamp(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// TreeHash returns the root hash of the tree of Size leaves, from the right
// edge the appender holds (reading through Read what it lacks).
func (a *LedgerAppender) TreeHash() (Hash, error) {
	h, err := tlog.TreeHash(a.size, tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			h, ok := a.edge[x]
			if !ok {
				got, err := a.read([]int64{x})
				if err != nil {
					return nil, err
				}
				h = tlog.Hash(got[0])
			}
			out[i] = h
		}
		return out, nil
	}))
	return Hash(h), err
}

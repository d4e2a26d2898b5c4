package paradero

import (
	"context"
	"encoding/hex"
	"io"
	"strings"
	"time"
)

// Hash is a SHA-256 digest: a source file's identity, a commitment, a node
// of the ledger's Merkle tree.
type Hash [32]byte

// String returns the lower-case hex form.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// IsZero reports whether h is all zero bytes.
func (h Hash) IsZero() bool { return h == Hash{} }

// ParseHash parses 64 hex digits.
func ParseHash(s string) (Hash, error) {
	var h Hash
	if len(s) != 64 {
		return h, Errorf(EINVALID, "hash %q is not 64 hex digits", s)
	}
	if _, err := hex.Decode(h[:], []byte(s)); err != nil {
		return h, Errorf(EINVALID, "hash %q is not 64 hex digits", s)
	}
	return h, nil
}

// SourceKind says what kind of document or observation a source is.
type SourceKind string

const (
	KindRoster          SourceKind = "roster"
	KindCourtFiling     SourceKind = "court-filing"
	KindLocatorSnapshot SourceKind = "locator-snapshot"
	KindFamilyReport    SourceKind = "family-report"
	KindNGOReport       SourceKind = "ngo-report"
	KindNews            SourceKind = "news"
	KindManifest        SourceKind = "manifest"
	KindOther           SourceKind = "other"
)

// SourceKinds lists every kind, in the order a form offers them.
var SourceKinds = []SourceKind{KindRoster, KindCourtFiling, KindLocatorSnapshot,
	KindFamilyReport, KindNGOReport, KindNews, KindManifest, KindOther}

// Valid reports whether k is one of SourceKinds.
func (k SourceKind) Valid() bool {
	for _, v := range SourceKinds {
		if k == v {
			return true
		}
	}
	return false
}

// Source is one document or observation, stored byte for byte. Its
// descriptive fields (kind, title, file name…) may reveal who or what it is
// about, so the ledger commits to them through a salted hash (Commitment)
// rather than holding them.
type Source struct {
	ID         int64
	Kind       SourceKind
	Title      string
	Published  PartialDate
	Filename   string // base name of the imported file, as given
	MediaType  string // e.g. "text/csv"
	Size       int64  // bytes
	SHA256     Hash   // of the file: its address in the blob store
	ImportedAt time.Time
	ImportedBy string
	Records    int // records imported from it

	Salt        []byte // 32 random bytes; kept beside the content, never in the ledger
	Commitment  Hash   // CommitSource(Salt, s)
	LedgerIndex int64
}

// Validate checks what every store requires of a source before an import:
// a known kind, a real publication date, and text fields within
// MaxFieldBytes without NUL bytes. EINVALID names the field.
func (s *Source) Validate() error {
	if !s.Kind.Valid() {
		return Errorf(EINVALID, "unknown source kind %q", s.Kind)
	}
	if !s.Published.Valid() {
		return Errorf(EINVALID, "publication date %v is not a calendar date", s.Published)
	}
	for _, f := range []struct{ name, v string }{{"title", s.Title}, {"file name", s.Filename}, {"media type", s.MediaType}} {
		if len(f.v) > MaxFieldBytes || strings.IndexByte(f.v, 0) >= 0 {
			return Errorf(EINVALID, "source %s is too long or contains a NUL byte", f.name)
		}
	}
	return nil
}

// SourceFilter selects sources. Zero fields select everything.
type SourceFilter struct {
	Kind   SourceKind
	Offset int
	Limit  int // 0 means a default page of 100
}

// SourceService reads sources and their files.
type SourceService interface {
	// FindSourceByID returns ENOTFOUND if there is no such source.
	FindSourceByID(ctx context.Context, id int64) (*Source, error)
	// FindSourceBySHA256 finds the source whose file has this hash, to
	// recognise a file imported before. ENOTFOUND if none.
	FindSourceBySHA256(ctx context.Context, sum Hash) (*Source, error)
	// FindSources returns a page of sources, newest first, and the total.
	FindSources(ctx context.Context, f SourceFilter) ([]*Source, int, error)
	// OpenBlob returns the stored file with this SHA-256, byte for byte.
	// ENOTFOUND if none.
	OpenBlob(ctx context.Context, sum Hash) (io.ReadCloser, error)
}

// ImportService imports a source and its records, all or nothing.
type ImportService interface {
	// BeginImport starts one import. The store copies blob into its blob
	// store and takes records through the returned Import; nothing is
	// visible to other readers until Commit. src.SHA256, if set, must match
	// the blob (EINVALID otherwise); a file already imported returns
	// ECONFLICT, from BeginImport or from Commit when two imports race.
	// The store sets ID, SHA256, Size, Salt, Commitment, ImportedAt,
	// ImportedBy (from the actor), Records and LedgerIndex.
	BeginImport(ctx context.Context, src *Source, blob io.Reader) (Import, error)
}

// Import is one all-or-nothing import in progress. It is not safe for
// concurrent use. Rollback after Commit does nothing, so callers may always
// defer it.
type Import interface {
	// AddRecord validates and stages r. The store sets ID, SourceID, Salt,
	// Commitment, CreatedAt and LedgerIndex. EINVALID names the field.
	AddRecord(ctx context.Context, r *Record) error
	// Commit writes the source, its records and their ledger entries in
	// one transaction and returns the source.
	Commit(ctx context.Context) (*Source, error)
	// Rollback discards everything staged.
	Rollback() error
}

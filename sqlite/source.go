package sqlite

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/paradero/paradero"
)

const sourceColumns = `id, kind, title, published, filename, media_type, size, sha256,
	imported_at, imported_by, records, salt, commitment, ledger_idx`

// sourceScanner scans the sourceColumns of one row. Every column may be
// NULL, so it also reads the outer side of a LEFT JOIN.
type sourceScanner struct {
	id, size, importedAt, records, ledgerIdx           sql.NullInt64
	kind, title, published, filename, mediaType, byWho sql.NullString
	sum, salt, commit                                  []byte
	dest                                               []any
}

func newSourceScanner() *sourceScanner {
	ss := &sourceScanner{}
	ss.dest = []any{&ss.id, &ss.kind, &ss.title, &ss.published, &ss.filename, &ss.mediaType, &ss.size, &ss.sum,
		&ss.importedAt, &ss.byWho, &ss.records, &ss.salt, &ss.commit, &ss.ledgerIdx}
	return ss
}

func (ss *sourceScanner) source() (*paradero.Source, error) {
	s := paradero.Source{
		ID: ss.id.Int64, Kind: paradero.SourceKind(ss.kind.String), Title: ss.title.String,
		Filename: ss.filename.String, MediaType: ss.mediaType.String, Size: ss.size.Int64,
		ImportedAt: fromMicros(ss.importedAt.Int64), ImportedBy: ss.byWho.String,
		Records: int(ss.records.Int64), LedgerIndex: ss.ledgerIdx.Int64,
	}
	var err error
	if s.Published, err = paradero.ParsePartialDate(ss.published.String); err != nil {
		return nil, &paradero.Error{Code: paradero.ETAMPERED, Message: fmt.Sprintf("source %d: published", s.ID), Err: err}
	}
	if s.SHA256, err = hashFrom(ss.sum); err != nil {
		return nil, err
	}
	if s.Commitment, err = hashFrom(ss.commit); err != nil {
		return nil, err
	}
	if ss.salt != nil {
		s.Salt = append([]byte(nil), ss.salt...)
	}
	return &s, nil
}

func scanSource(sc interface{ Scan(...any) error }) (*paradero.Source, error) {
	ss := newSourceScanner()
	if err := sc.Scan(ss.dest...); err != nil {
		return nil, err
	}
	return ss.source()
}

// FindSourceByID returns ENOTFOUND if there is no such source.
func (s *DB) FindSourceByID(ctx context.Context, id int64) (*paradero.Source, error) {
	src, err := scanSource(s.db.QueryRowContext(ctx, `SELECT `+sourceColumns+` FROM sources WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("source", id)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: find source %d: %w", id, err)
	}
	return src, nil
}

// FindSourceBySHA256 returns ENOTFOUND if no source has this file.
func (s *DB) FindSourceBySHA256(ctx context.Context, sum paradero.Hash) (*paradero.Source, error) {
	src, err := scanSource(s.db.QueryRowContext(ctx, `SELECT `+sourceColumns+` FROM sources WHERE sha256 = ?`, sum[:]))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, paradero.Errorf(paradero.ENOTFOUND, "no source with SHA-256 %s", sum)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: find source by hash: %w", err)
	}
	return src, nil
}

// FindSources returns a page of sources, newest first, and the total.
func (s *DB) FindSources(ctx context.Context, f paradero.SourceFilter) ([]*paradero.Source, int, error) {
	limit := pageLimit(f.Limit)
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM sources WHERE (? = '' OR kind = ?)`,
		string(f.Kind), string(f.Kind)).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("sqlite: count sources: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+sourceColumns+` FROM sources
		WHERE (? = '' OR kind = ?) ORDER BY id DESC LIMIT ? OFFSET ?`,
		string(f.Kind), string(f.Kind), limit, max(f.Offset, 0))
	if err != nil {
		return nil, 0, fmt.Errorf("sqlite: find sources: %w", err)
	}
	defer rows.Close()
	var out []*paradero.Source
	for rows.Next() {
		src, err := scanSource(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("sqlite: find sources: %w", err)
		}
		out = append(out, src)
	}
	return out, total, rows.Err()
}

func pageLimit(n int) int {
	if n <= 0 {
		return 100
	}
	return min(n, 10000)
}

// blobPath is where the file with this hash lives: blobs/ab/abcd….
func (s *DB) blobPath(sum paradero.Hash) string {
	hex := sum.String()
	return filepath.Join(s.dir, "blobs", hex[:2], hex)
}

// OpenBlob opens the stored file with this SHA-256.
func (s *DB) OpenBlob(ctx context.Context, sum paradero.Hash) (io.ReadCloser, error) {
	f, err := os.Open(s.blobPath(sum))
	if errors.Is(err, os.ErrNotExist) {
		return nil, paradero.Errorf(paradero.ENOTFOUND, "no stored file with SHA-256 %s", sum)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: open blob: %w", err)
	}
	return f, nil
}

// BeginImport writes blob to a temporary file while hashing it, then opens
// the import's write transaction and appends the source's ledger entry.
func (s *DB) BeginImport(ctx context.Context, src *paradero.Source, blob io.Reader) (paradero.Import, error) {
	const op = "sqlite.BeginImport"
	if err := src.Validate(); err != nil {
		return nil, err
	}
	tmp, sum, size, err := s.writeTempBlob(blob)
	if err != nil {
		return nil, &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Message: "cannot store the file", Err: err}
	}
	im := &importer{db: s, tmp: tmp}
	ok := false
	defer func() {
		if !ok {
			im.Rollback()
		}
	}()
	if !src.SHA256.IsZero() && src.SHA256 != sum {
		return nil, paradero.Errorf(paradero.EINVALID, "the file changed while it was read (SHA-256 %s, expected %s)", sum, src.SHA256)
	}
	if prev, err := s.FindSourceBySHA256(ctx, sum); err == nil {
		return nil, &paradero.Error{Code: paradero.ECONFLICT, Message: fmt.Sprintf("this file was imported already as source %d", prev.ID)}
	} else if paradero.ErrorCode(err) != paradero.ENOTFOUND {
		return nil, err
	}

	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Message: "cannot start the import", Err: err}
	}
	im.tx = tx
	im.now = s.timestamp()
	c := *src
	c.SHA256, c.Size = sum, size
	c.ImportedAt = im.now
	c.ImportedBy = paradero.ActorFromContext(ctx).Name
	c.Records = 0
	im.src = &c

	var size0 int64
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM ledger_entries`).Scan(&size0); err != nil {
		return nil, fmt.Errorf("%s: ledger size: %w", op, err)
	}
	im.app = paradero.NewLedgerAppender(size0, func(idx []int64) ([]paradero.Hash, error) {
		return readHashes(ctx, tx, idx)
	})
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM sources`).Scan(&c.ID); err != nil {
		return nil, fmt.Errorf("%s: next source id: %w", op, err)
	}
	c.ID++
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM records`).Scan(&im.nextRecord); err != nil {
		return nil, fmt.Errorf("%s: next record id: %w", op, err)
	}
	im.nextRecord++
	if c.Salt, err = im.salt(); err != nil {
		return nil, err
	}
	c.Commitment = paradero.Commit(c.Salt, c.Content())
	if c.LedgerIndex, err = im.appendEntry(ctx, paradero.EntrySource, c.ID, paradero.SourceLeaf(&c)); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO sources (`+sourceColumns+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		c.ID, string(c.Kind), c.Title, c.Published.String(), c.Filename, c.MediaType, c.Size, c.SHA256[:],
		c.ImportedAt.UnixMicro(), c.ImportedBy, 0, c.Salt, c.Commitment[:], c.LedgerIndex); err != nil {
		if isUniqueViolation(err) {
			return nil, paradero.Errorf(paradero.ECONFLICT, "this file was imported already")
		}
		return nil, fmt.Errorf("%s: insert source: %w", op, err)
	}
	im.batch.tx = tx
	ok = true
	return im, nil
}

// writeTempBlob copies r to a synced temporary file in the blob folder and
// returns its path, SHA-256 and size.
func (s *DB) writeTempBlob(r io.Reader) (string, paradero.Hash, int64, error) {
	var sum paradero.Hash
	f, err := os.CreateTemp(filepath.Join(s.dir, "blobs"), "import-*.tmp")
	if err != nil {
		return "", sum, 0, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", sum, 0, err
	}
	h.Sum(sum[:0])
	return f.Name(), sum, n, nil
}

// importer is one import in progress: a write transaction holding the
// source row, its records and their ledger entries, and the file under a
// temporary name.
type importer struct {
	db         *DB
	tx         *sql.Tx
	src        *paradero.Source
	now        time.Time
	tmp        string // the file, until Commit moves it into place
	app        *paradero.LedgerAppender
	batch      batchWriter
	nextRecord int64
	saltBuf    []byte
	done       bool
}

var _ paradero.Import = (*importer)(nil)

// salt returns 32 fresh random bytes, drawing from crypto/rand in blocks.
func (im *importer) salt() ([]byte, error) {
	if len(im.saltBuf) < 32 {
		im.saltBuf = make([]byte, 32*1024)
		if _, err := rand.Read(im.saltBuf); err != nil {
			return nil, fmt.Errorf("sqlite: salt: %w", err)
		}
	}
	s := im.saltBuf[:32:32]
	im.saltBuf = im.saltBuf[32:]
	return s, nil
}

func (im *importer) appendEntry(ctx context.Context, kind paradero.EntryKind, subject int64, leaf []byte) (int64, error) {
	return appendEntry(ctx, im.tx, im.app, kind, subject, leaf)
}

func appendEntry(ctx context.Context, tx *sql.Tx, app *paradero.LedgerAppender, kind paradero.EntryKind, subject int64, leaf []byte) (int64, error) {
	idx, hashes, err := app.Append(leaf)
	if err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO ledger_entries (idx, kind, subject, leaf, hashes) VALUES (?, ?, ?, ?, ?)`,
		idx, string(kind), subject, leaf, hashes); err != nil {
		return 0, fmt.Errorf("sqlite: append ledger entry %d: %w", idx, err)
	}
	return idx, nil
}

// AddRecord validates r and writes it and its ledger entry.
func (im *importer) AddRecord(ctx context.Context, r *paradero.Record) error {
	if im.done {
		return errRolledBack
	}
	if err := r.Validate(); err != nil {
		return err
	}
	salt, err := im.salt()
	if err != nil {
		return err
	}
	r.ID = im.nextRecord
	r.SourceID = im.src.ID
	r.Salt = salt
	r.CreatedAt = im.now
	content := r.Content()
	r.Commitment = paradero.Commit(salt, content)
	r.Redaction = nil
	leaf := paradero.RecordLeaf(r)
	idx, hashes, err := im.app.Append(leaf)
	if err != nil {
		return err
	}
	r.LedgerIndex = idx
	if err := im.batch.add(ctx, r, content, leaf, hashes); err != nil {
		return err
	}
	im.nextRecord++
	im.src.Records++
	return nil
}

// Commit moves the file into place, then commits the transaction.
func (im *importer) Commit(ctx context.Context) (*paradero.Source, error) {
	if im.done {
		return nil, errRolledBack
	}
	const op = "sqlite.Import.Commit"
	if err := im.batch.flush(ctx); err != nil {
		return nil, err
	}
	if _, err := im.tx.ExecContext(ctx, `UPDATE sources SET records = ? WHERE id = ?`, im.src.Records, im.src.ID); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	final := im.db.blobPath(im.src.SHA256)
	if err := os.MkdirAll(filepath.Dir(final), 0o700); err != nil {
		return nil, &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Message: "cannot store the file", Err: err}
	}
	_, statErr := os.Stat(final)
	existed := statErr == nil // left by an import that crashed before its commit
	if err := os.Rename(im.tmp, final); err != nil {
		return nil, &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Message: "cannot store the file", Err: err}
	}
	im.tmp = ""
	if err := syncDir(filepath.Dir(final)); err != nil {
		return nil, &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Message: "cannot store the file", Err: err}
	}
	im.batch.close()
	if err := im.tx.Commit(); err != nil {
		if !existed {
			os.Remove(final)
		}
		im.done = true
		return nil, &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Message: "cannot commit the import", Err: err}
	}
	im.done = true
	return im.src, nil
}

// Rollback discards the transaction and the temporary file.
func (im *importer) Rollback() error {
	if im.done {
		return nil
	}
	im.done = true
	im.batch.close()
	var err error
	if im.tx != nil {
		err = im.tx.Rollback()
	}
	if im.tmp != "" {
		os.Remove(im.tmp)
	}
	return err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

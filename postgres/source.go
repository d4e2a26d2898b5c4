package postgres

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/paradero/paradero"
)

const sourceColumns = `id, kind, title, published, filename, media_type, size, sha256,
	imported_at, imported_by, records, salt, commitment, ledger_idx`

// sourceScanner scans sourceColumns. Every column may be NULL, so it also
// reads the outer side of a LEFT JOIN.
type sourceScanner struct {
	id, size, ledgerIdx                                pgtype.Int8
	records                                            pgtype.Int4
	kind, title, published, filename, mediaType, byWho pgtype.Text
	importedAt                                         pgtype.Timestamptz
	sum, salt, commit                                  []byte
	dest                                               []any
}

func newSourceScanner() *sourceScanner {
	s := &sourceScanner{}
	s.dest = []any{&s.id, &s.kind, &s.title, &s.published, &s.filename, &s.mediaType, &s.size, &s.sum,
		&s.importedAt, &s.byWho, &s.records, &s.salt, &s.commit, &s.ledgerIdx}
	return s
}

// source builds the scanned source. A value that no longer parses is
// reported as ETAMPERED.
func (s *sourceScanner) source() (*paradero.Source, error) {
	src := paradero.Source{
		ID: s.id.Int64, Kind: paradero.SourceKind(s.kind.String), Title: s.title.String,
		Filename: s.filename.String, MediaType: s.mediaType.String, Size: s.size.Int64,
		ImportedAt: s.importedAt.Time.UTC(), ImportedBy: s.byWho.String, Records: int(s.records.Int32),
		LedgerIndex: s.ledgerIdx.Int64,
	}
	var err error
	if src.Published, err = paradero.ParsePartialDate(s.published.String); err != nil {
		return nil, &paradero.Error{Code: paradero.ETAMPERED, Message: fmt.Sprintf("source %d: published", src.ID), Err: err}
	}
	if src.SHA256, err = hashFrom(s.sum); err != nil {
		return nil, err
	}
	if src.Commitment, err = hashFrom(s.commit); err != nil {
		return nil, err
	}
	if s.salt != nil {
		src.Salt = append([]byte(nil), s.salt...)
	}
	return &src, nil
}

func (s *DB) findSource(ctx context.Context, q querier, where string, arg any) (*paradero.Source, error) {
	ss := newSourceScanner()
	if err := q.QueryRow(ctx, `SELECT `+sourceColumns+` FROM sources WHERE `+where, arg).Scan(ss.dest...); err != nil {
		return nil, err
	}
	return ss.source()
}

// FindSourceByID returns ENOTFOUND if there is no such source.
func (s *DB) FindSourceByID(ctx context.Context, id int64) (*paradero.Source, error) {
	src, err := s.findSource(ctx, s.pool, `id = $1`, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("source", id)
	}
	if err != nil {
		return nil, internal("postgres.FindSourceByID", err)
	}
	return src, nil
}

// FindSourceBySHA256 returns ENOTFOUND if no source has this file.
func (s *DB) FindSourceBySHA256(ctx context.Context, sum paradero.Hash) (*paradero.Source, error) {
	return s.findSourceBySHA256(ctx, s.pool, sum)
}

func (s *DB) findSourceBySHA256(ctx context.Context, q querier, sum paradero.Hash) (*paradero.Source, error) {
	src, err := s.findSource(ctx, q, `sha256 = $1`, sum[:])
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, paradero.Errorf(paradero.ENOTFOUND, "no source with SHA-256 %s", sum)
	}
	if err != nil {
		return nil, internal("postgres.FindSourceBySHA256", err)
	}
	return src, nil
}

// FindSources returns a page of sources, newest first, and the total.
func (s *DB) FindSources(ctx context.Context, f paradero.SourceFilter) ([]*paradero.Source, int, error) {
	const op = "postgres.FindSources"
	// One snapshot for the total and the page.
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, 0, internal(op, err)
	}
	defer tx.Rollback(ctx)
	var total int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM sources WHERE ($1 = '' OR kind = $1)`,
		string(f.Kind)).Scan(&total); err != nil {
		return nil, 0, internal(op, err)
	}
	rows, err := tx.Query(ctx, `SELECT `+sourceColumns+` FROM sources
		WHERE ($1 = '' OR kind = $1) ORDER BY id DESC LIMIT $2 OFFSET $3`,
		string(f.Kind), pageLimit(f.Limit), max(f.Offset, 0))
	if err != nil {
		return nil, 0, internal(op, err)
	}
	defer rows.Close()
	var out []*paradero.Source
	ss := newSourceScanner()
	for rows.Next() {
		if err := rows.Scan(ss.dest...); err != nil {
			return nil, 0, internal(op, err)
		}
		src, err := ss.source()
		if err != nil {
			return nil, 0, err
		}
		out = append(out, src)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, internal(op, err)
	}
	return out, total, nil
}

// chunkSize is the size of one blob_chunks row: big enough that a 2 GB file
// is 2 048 rows, small enough to hold one in memory.
const chunkSize = 1 << 20

// OpenBlob returns the stored file with this SHA-256. The reader fetches
// one chunk per query and holds no connection between reads; chunks are
// never changed once committed, so the file reads back whole.
func (s *DB) OpenBlob(ctx context.Context, sum paradero.Hash) (io.ReadCloser, error) {
	b := &blobReader{ctx: ctx, pool: s.pool}
	err := s.pool.QueryRow(ctx, `SELECT id, size, chunks FROM blobs WHERE sha256 = $1`, sum[:]).Scan(&b.id, &b.size, &b.chunks)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, paradero.Errorf(paradero.ENOTFOUND, "no stored file with SHA-256 %s", sum)
	}
	if err != nil {
		return nil, internal("postgres.OpenBlob", err)
	}
	return b, nil
}

type blobReader struct {
	ctx    context.Context
	pool   querier
	id     int64
	size   int64
	chunks int32
	next   int32  // the next chunk to fetch
	buf    []byte // the unread rest of the current chunk
	read   int64
	closed bool
}

func (b *blobReader) Read(p []byte) (int, error) {
	if b.closed {
		return 0, errors.New("postgres: read of a closed blob")
	}
	for len(b.buf) == 0 {
		if b.next >= b.chunks {
			if b.read != b.size {
				return 0, &paradero.Error{Code: paradero.ETAMPERED, Op: "postgres.OpenBlob",
					Message: fmt.Sprintf("stored file %d has %d bytes, want %d", b.id, b.read, b.size)}
			}
			return 0, io.EOF
		}
		err := b.pool.QueryRow(b.ctx, `SELECT data FROM blob_chunks WHERE blob_id = $1 AND seq = $2`, b.id, b.next).Scan(&b.buf)
		if errors.Is(err, pgx.ErrNoRows) {
			return 0, &paradero.Error{Code: paradero.ETAMPERED, Op: "postgres.OpenBlob",
				Message: fmt.Sprintf("stored file %d lacks chunk %d", b.id, b.next)}
		}
		if err != nil {
			return 0, internal("postgres.OpenBlob", err)
		}
		b.next++
	}
	n := copy(p, b.buf)
	b.buf = b.buf[n:]
	b.read += int64(n)
	return n, nil
}

func (b *blobReader) Close() error {
	b.closed = true
	b.buf = nil
	return nil
}

// chunkSource feeds a file to COPY as blob_chunks rows, hashing it on the
// way. pgx encodes each row before asking for the next, so one buffer is
// reused for every chunk.
type chunkSource struct {
	r      io.Reader
	id     int64
	h      hash.Hash
	buf    []byte
	n      int   // bytes in buf
	seq    int32 // of the chunk in buf
	rows   int32 // chunks read so far
	size   int64
	err    error
	values []any
}

func (c *chunkSource) Next() bool {
	if c.err != nil {
		return false
	}
	n, err := io.ReadFull(c.r, c.buf)
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		err = nil
	}
	if err != nil {
		c.err = err
		return false
	}
	if n == 0 {
		return false
	}
	c.seq = c.rows
	c.rows++
	c.n = n
	c.h.Write(c.buf[:n])
	c.size += int64(n)
	return true
}

func (c *chunkSource) Values() ([]any, error) {
	c.values[0], c.values[1], c.values[2] = c.id, c.seq, c.buf[:c.n]
	return c.values, nil
}

func (c *chunkSource) Err() error { return c.err }

// BeginImport streams blob into blob_chunks in a new transaction while
// hashing it, then takes the ledger lock, checks the file is new, and
// appends the source's ledger entry. The lock is held until Commit or
// Rollback.
func (s *DB) BeginImport(ctx context.Context, src *paradero.Source, blob io.Reader) (paradero.Import, error) {
	const op = "postgres.BeginImport"
	if err := src.Validate(); err != nil {
		return nil, err
	}
	// A caller that knows the hash learns of a duplicate before the file is
	// copied; the check under the lock below is the one that counts.
	if !src.SHA256.IsZero() {
		if prev, err := s.FindSourceBySHA256(ctx, src.SHA256); err == nil {
			return nil, paradero.Errorf(paradero.ECONFLICT, "this file was imported already as source %d", prev.ID)
		} else if paradero.ErrorCode(err) != paradero.ENOTFOUND {
			return nil, err
		}
	}

	select {
	case s.imports <- struct{}{}:
	case <-ctx.Done():
		return nil, &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Message: "the import waited too long for its turn", Err: ctx.Err()}
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		<-s.imports
		return nil, &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Message: "cannot start the import", Err: err}
	}
	im := &importer{db: s, tx: tx, batch: new(recordBatch), spare: new(recordBatch)}
	ok := false
	defer func() {
		if !ok {
			im.Rollback()
		}
	}()

	cs := &chunkSource{r: blob, h: sha256.New(), buf: make([]byte, chunkSize), values: make([]any, 3)}
	if err := tx.QueryRow(ctx, `SELECT nextval('blobs_id_seq')`).Scan(&cs.id); err != nil {
		return nil, internal(op, err)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"blob_chunks"}, []string{"blob_id", "seq", "data"}, cs); err != nil {
		if cs.err != nil {
			return nil, &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Message: "cannot read the file", Err: cs.err}
		}
		return nil, &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Message: "cannot store the file", Err: err}
	}
	cs.buf = nil
	var sum paradero.Hash
	cs.h.Sum(sum[:0])
	if !src.SHA256.IsZero() && src.SHA256 != sum {
		return nil, paradero.Errorf(paradero.EINVALID, "the file changed while it was read (SHA-256 %s, expected %s)", sum, src.SHA256)
	}

	// From here on this import owns the end of the ledger.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, ledgerLock); err != nil {
		return nil, internal(op, err)
	}
	if prev, err := s.findSourceBySHA256(ctx, tx, sum); err == nil {
		return nil, paradero.Errorf(paradero.ECONFLICT, "this file was imported already as source %d", prev.ID)
	} else if paradero.ErrorCode(err) != paradero.ENOTFOUND {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO blobs (id, sha256, size, chunks) VALUES ($1, $2, $3, $4)`,
		cs.id, sum[:], cs.size, cs.rows); err != nil {
		if isUniqueViolation(err) {
			return nil, paradero.Errorf(paradero.ECONFLICT, "this file was imported already")
		}
		return nil, internal(op, err)
	}

	im.now = s.timestamp()
	c := *src
	c.SHA256, c.Size = sum, cs.size
	c.ImportedAt = im.now
	c.ImportedBy = paradero.ActorFromContext(ctx).Name
	c.Records = 0
	im.src = &c

	size0, err := ledgerSize(ctx, tx)
	if err != nil {
		return nil, internal(op, err)
	}
	im.app = paradero.NewLedgerAppender(size0, func(idx []int64) ([]paradero.Hash, error) {
		// Older hashes are read during AddRecord, while a batch may be
		// being written: the transaction is the writer's until it is done.
		if err := im.wait(); err != nil {
			return nil, err
		}
		return readHashes(ctx, tx, idx)
	})
	if err := tx.QueryRow(ctx, `SELECT nextval(pg_get_serial_sequence('sources', 'id'))`).Scan(&c.ID); err != nil {
		return nil, internal(op, err)
	}
	if c.Salt, err = im.salt(); err != nil {
		return nil, err
	}
	c.Commitment = paradero.Commit(c.Salt, c.Content())
	if c.LedgerIndex, err = appendEntry(ctx, tx, im.app, paradero.EntrySource, c.ID, paradero.SourceLeaf(&c)); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO sources (`+sourceColumns+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)`,
		c.ID, string(c.Kind), c.Title, c.Published.String(), c.Filename, c.MediaType, c.Size, c.SHA256[:],
		c.ImportedAt, c.ImportedBy, 0, c.Salt, c.Commitment[:], c.LedgerIndex); err != nil {
		if isUniqueViolation(err) {
			return nil, paradero.Errorf(paradero.ECONFLICT, "this file was imported already")
		}
		return nil, internal(op, err)
	}
	s.logger.Debug("import started", "source", c.ID, "bytes", c.Size, "ledger_idx", c.LedgerIndex)
	ok = true
	return im, nil
}

// importer is one import in progress: a transaction holding the ledger
// lock, the file, the source row, and the records and ledger entries
// written so far; the rest wait in batch until the next flush.
//
// A flush hands the full batch to a goroutine that COPYs it while
// AddRecord hashes the next one, so the client's work and the server's
// overlap. The goroutine is the transaction's only user while it runs:
// every other use of tx first waits for it (wait).
type importer struct {
	db       *DB
	tx       pgx.Tx
	src      *paradero.Source
	now      time.Time
	app      *paradero.LedgerAppender
	batch    *recordBatch // being filled
	spare    *recordBatch // being written while writing != nil, else free
	writing  chan error   // the in-flight write's result, nil if none
	writeErr error        // the first write's error
	// Reserved record ids, and how many to reserve next time (doubling up
	// to maxIDBlock).
	ids     []int64
	idBlock int
	saltBuf []byte
	done    bool
}

var _ paradero.Import = (*importer)(nil)

const (
	flushRecords = 4096 // records written per COPY
	minIDBlock   = 64
	maxIDBlock   = 8192
)

// salt returns 32 fresh random bytes, drawing from crypto/rand in blocks.
func (im *importer) salt() ([]byte, error) {
	if len(im.saltBuf) < 32 {
		im.saltBuf = make([]byte, 32*1024)
		if _, err := rand.Read(im.saltBuf); err != nil {
			return nil, &paradero.Error{Code: paradero.EINTERNAL, Op: "postgres.salt", Err: err}
		}
	}
	s := im.saltBuf[:32:32]
	im.saltBuf = im.saltBuf[32:]
	return s, nil
}

// recordID returns the next reserved record id, reserving a block from the
// sequence when none is left. Ids only increase, so a source's records in
// id order are its records in ledger order.
func (im *importer) recordID(ctx context.Context) (int64, error) {
	if len(im.ids) == 0 {
		if err := im.wait(); err != nil {
			return 0, err
		}
		im.idBlock = min(max(im.idBlock*2, minIDBlock), maxIDBlock)
		rows, err := im.tx.Query(ctx, `SELECT nextval(pg_get_serial_sequence('records', 'id')) FROM generate_series(1, $1)`, im.idBlock)
		if err != nil {
			return 0, internal("postgres.Import.AddRecord", err)
		}
		if im.ids, err = pgx.AppendRows(im.ids, rows, pgx.RowTo[int64]); err != nil {
			return 0, internal("postgres.Import.AddRecord", err)
		}
		slices.Sort(im.ids)
	}
	id := im.ids[0]
	im.ids = im.ids[1:]
	return id, nil
}

// AddRecord validates r, sets its ids, salt, commitment and ledger index,
// and stages it and its ledger entry for the next COPY.
func (im *importer) AddRecord(ctx context.Context, r *paradero.Record) error {
	if im.done {
		return errFinished
	}
	if err := r.Validate(); err != nil {
		return err
	}
	salt, err := im.salt()
	if err != nil {
		return err
	}
	id, err := im.recordID(ctx)
	if err != nil {
		return err
	}
	r.ID = id
	r.SourceID = im.src.ID
	r.Salt = salt
	r.CreatedAt = im.now
	content := r.Content()
	r.Commitment = paradero.Commit(salt, content)
	r.Redaction = nil
	leaf := paradero.RecordLeaf(r)
	idx, hashes, err := im.app.Append(leaf)
	if err != nil {
		return &paradero.Error{Code: paradero.EINTERNAL, Op: "postgres.Import.AddRecord", Err: err}
	}
	r.LedgerIndex = idx
	im.batch.add(r, content, leaf, hashes)
	im.batch.search.add(im.db.nz, r)
	im.src.Records++
	if im.batch.len() >= flushRecords {
		return im.flush(ctx)
	}
	return nil
}

// flush starts writing the staged records and their ledger entries in the
// background, after the previous write has finished.
func (im *importer) flush(ctx context.Context) error {
	if err := im.wait(); err != nil {
		return err
	}
	if im.batch.len() == 0 {
		return nil
	}
	b := im.batch
	im.batch, im.spare = im.spare, b
	done := make(chan error, 1)
	im.writing = done
	go func() { done <- writeBatch(ctx, im.tx, b) }()
	return nil
}

// wait waits for the in-flight write, if any, and returns the first write
// error, ever after: it left the transaction aborted, and the import can
// only roll back.
func (im *importer) wait() error {
	if im.writing != nil {
		if err := <-im.writing; err != nil && im.writeErr == nil {
			im.writeErr = err
		}
		im.writing = nil
		im.spare.reset()
	}
	return im.writeErr
}

func writeBatch(ctx context.Context, tx pgx.Tx, b *recordBatch) error {
	const op = "postgres.Import.flush"
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"records"}, recordCopyColumns, b.records()); err != nil {
		return internal(op, fmt.Errorf("copy records: %w", err))
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"ledger_entries"}, ledgerCopyColumns, b.entries()); err != nil {
		return internal(op, fmt.Errorf("copy ledger entries: %w", err))
	}
	if err := b.search.write(ctx, tx); err != nil {
		return internal(op, fmt.Errorf("search index: %w", err))
	}
	return nil
}

// Commit writes what is staged, sets the source's record count and commits.
func (im *importer) Commit(ctx context.Context) (*paradero.Source, error) {
	if im.done {
		return nil, errFinished
	}
	const op = "postgres.Import.Commit"
	defer im.Rollback()
	if err := im.flush(ctx); err != nil {
		return nil, err
	}
	if err := im.wait(); err != nil {
		return nil, err
	}
	if _, err := im.tx.Exec(ctx, `UPDATE sources SET records = $1 WHERE id = $2`, im.src.Records, im.src.ID); err != nil {
		return nil, internal(op, err)
	}
	// The deferred Rollback then only gives the import's turn back.
	if err := im.tx.Commit(ctx); err != nil {
		if isUniqueViolation(err) {
			return nil, paradero.Errorf(paradero.ECONFLICT, "this file was imported already")
		}
		return nil, &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Message: "cannot commit the import", Err: err}
	}
	im.db.logger.Info("imported source", "source", im.src.ID, "records", im.src.Records, "ledger_idx", im.src.LedgerIndex)
	return im.src, nil
}

// Rollback discards the transaction: the file, the rows and the entries.
func (im *importer) Rollback() error {
	if im.done {
		return nil
	}
	im.done = true
	im.wait() // the transaction is discarded whatever the write did
	im.batch.reset()
	// A fresh context: the caller's may be cancelled, and the connection
	// must still be given back clean.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := im.tx.Rollback(ctx)
	<-im.db.imports
	if err != nil && !errors.Is(err, pgx.ErrTxClosed) {
		return internal("postgres.Import.Rollback", err)
	}
	return nil
}

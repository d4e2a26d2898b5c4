// Package postgres is Paradero's server store: a paradero.Store on
// PostgreSQL, for deployments where several people, and several paradero
// servers, share one database.
//
// It behaves exactly as package sqlite does; one contract suite
// (storetest) runs against both. Why this shape:
//
//   - pgx through a pgxpool.Pool, with no database/sql layer in between:
//     COPY (CopyFrom) is what lets an import write ~100 000 records a second
//     with their ledger entries, and pgx speaks the binary protocol.
//   - Migrations are embedded, numbered SQL files, each applied in its own
//     transaction and recorded in schema_migrations, under a session-level
//     pg_advisory_lock, so two servers starting together apply each once.
//   - Source files are stored in the database, not beside it, so one backup
//     holds everything and every server sees every file: blob_chunks holds a
//     file as 1 MiB bytea rows (never more than one chunk in memory, so a
//     2 GB file streams), written by COPY in the import's transaction;
//     blobs maps the file's SHA-256 to them. OpenBlob streams the chunks
//     back one query at a time, holding no connection between reads.
//   - The ledger is one sequence shared by every server. Each ledger write
//     (an import, a redaction) takes a transaction-scoped advisory lock,
//     pg_advisory_xact_lock(ledgerLock), before it reads the ledger's size,
//     and holds it until it commits or rolls back. An import takes it at
//     BeginImport, once the file is stored, and keeps it to Commit, so a
//     long import's entries are contiguous and never interleave with
//     another's; other imports and redactions wait (reads never do). This is
//     the simple choice: staging records and appending them all at Commit
//     would shorten the lock but write every record twice. Callers must
//     always finish an Import (defer Rollback): an abandoned one holds the
//     lock and a connection until the process ends or the server's
//     idle_in_transaction_session_timeout closes the session, and Close
//     waits for it. One DB runs at most maxImports imports at once, so
//     imports queued on the lock cannot take every pooled connection.
//   - Ids come from the tables' identity sequences, fetched before a row is
//     written because leaves include ids. An import reserves record ids in
//     growing blocks, so ids stay increasing in ledger order but may have
//     gaps (as after any rolled-back transaction in PostgreSQL).
//   - Records are buffered and written with COPY in batches of
//     flushRecords, with their ledger entries, by a goroutine of the import
//     while AddRecord hashes the next batch, so client and server work at
//     once; nothing is visible to anyone else before Commit.
//   - ScanLedger walks five server-side cursors in step (entries, sources,
//     records, redactions, reviews, each in order) instead of joining, as package
//     sqlite does: a join probes the records' primary key once per entry.
//   - A record's content is stored as its canonical encoding
//     (paradero.Record.Content), the very bytes its commitment covers, in
//     one text column: as package sqlite does, and what verification reads.
//   - Users, sessions and the audit log (user.go, audit.go) are kept as
//     package sqlite keeps them. The audit log is append-only in the
//     database: triggers refuse UPDATE, DELETE and TRUNCATE (a row trigger
//     alone lets TRUNCATE through). Only a role that may drop or disable
//     triggers (the table's owner, a superuser) gets past them; run
//     Paradero as a role that owns nothing it need not.
//   - Reviews (person.go) are ledger entries appended as redactions are:
//     under ledgerLock, so a review waits for an import in progress. A
//     link run reads the previous assignment of records to persons and
//     replaces it, so link runs take their own lock (linkLock) rather
//     than the ledger's, and apply their moves by COPY into a temporary
//     table and three joins: about 35 000 moves a second on a two-core
//     test server, where a statement per record would pay a round trip
//     each.
//   - A watch's sighting of an answer already stored is one INSERT …
//     SELECT (watch.go); a new answer's sighting is written in its
//     import's transaction, so the two commit together.
//   - text cannot hold a NUL byte or invalid UTF-8, which SQLite stores. A
//     review's reason or a locator's name holding one is EINVALID here; a
//     lookup by such a string finds nothing.
//   - Search (search.go) keeps package sqlite's terms under PostgreSQL's
//     GIN index, written by the import and redaction transactions
//     themselves; it needs no extension (why not pg_trgm or unaccent is
//     said there). Alerts (alert.go) let several servers fold and send at
//     once: folds under an advisory lock, claims with SKIP LOCKED.
//
// What a redaction erases, honestly. RedactRecord sets the record's content
// and salt to NULL and inserts the redaction in one transaction, then runs
// VACUUM on records (and so its TOAST table) to prune the old tuple
// version. PostgreSQL has no secure_delete. VACUUM removes the old version
// from the table and compacts its page, but does not zero the space it
// frees: tried on PostgreSQL 15, a redacted name was gone from the table's
// file when other tuples were moved over it, and still there when the
// redacted tuple had been the page's last (the free space now holding it is
// overwritten only when the page is filled again). In the same transaction
// the record leaves the search index, with every term (name word, date,
// A-number) no other record holds; VACUUM (INDEX_CLEANUP ON) then prunes
// those rows and their B-tree entries, with the same caveat: tried on
// PostgreSQL 15, no live index entry held a redacted word afterwards, but
// its bytes could remain in a B-tree page's free space until the page is
// filled again or the index rebuilt (REINDEX). It also stays:
//   - in the write-ahead log, until its segments are recycled, and in any
//     WAL archive or replica, for as long as those are kept;
//   - in physical and logical backups taken before the redaction;
//   - in the file system's free blocks, wherever PostgreSQL rewrote a file.
//
// If an older snapshot still sees the old version (a long read, a replica's
// hot_standby_feedback), VACUUM cannot prune it and autovacuum does later.
// The salt is destroyed with the content, so the ledger's commitment can no
// longer be opened from the rows that remain; but an operator who must
// erase a name for good has to rotate the WAL archive and backups too, and
// docs/operations.md should say so. Use the SQLite store where that is not
// acceptable.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paradero/paradero"
	"github.com/paradero/paradero/linkage"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Advisory lock keys. PostgreSQL scopes advisory locks to one database, so
// these only collide with Paradero itself.
const (
	migrationLock int64 = 0x7061726164_0001 // "parad" 1: schema migrations
	ledgerLock    int64 = 0x7061726164_0002 // "parad" 2: appends to the ledger
)

// DB is the PostgreSQL store. It is safe for concurrent use, by several
// processes on one database as well.
type DB struct {
	pool   *pgxpool.Pool
	logger *slog.Logger
	now    func() time.Time
	// imports holds a token per import in progress. Imports wait for the
	// ledger lock holding a pooled connection, so without a bound a burst
	// of them would take every connection and starve readers.
	imports chan struct{}
	// nz normalises names for the search index (search.go).
	nz *linkage.Normalizer
}

// maxImports is how many imports one DB runs at once: one appending to
// the ledger while another streams its file in.
const maxImports = 2

var _ paradero.Store = (*DB)(nil)

// Open connects to the database at url (a PostgreSQL URL or key=value
// string, as pgx reads it) and applies the migrations it lacks.
func Open(ctx context.Context, url string, logger *slog.Logger) (*DB, error) {
	const op = "postgres.Open"
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// The parse error may quote the URL and its password: keep it out.
		return nil, &paradero.Error{Code: paradero.EINVALID, Op: op, Message: "the database URL is not valid"}
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Message: "cannot connect to the database", Err: err}
	}
	db := &DB{pool: pool, logger: logger, now: time.Now, imports: make(chan struct{}, maxImports), nz: linkage.NewNormalizer()}
	if err := db.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return db, nil
}

// Close closes every connection.
func (s *DB) Close() error {
	s.pool.Close()
	return nil
}

func (s *DB) timestamp() time.Time { return paradero.Timestamp(s.now()) }

// migrate applies, in order and each in its own transaction, the embedded
// migrations not yet recorded in schema_migrations, holding migrationLock
// on one connection throughout.
func (s *DB) migrate(ctx context.Context) error {
	const op = "postgres.migrate"
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Message: "cannot connect to the database", Err: err}
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Message: "cannot lock the schema", Err: err}
	}
	defer func() {
		// A fresh context: the caller's may be done, and the lock must go.
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if _, err := conn.Exec(uctx, `SELECT pg_advisory_unlock($1)`, migrationLock); err != nil {
			// The lock dies with the session: drop the connection.
			conn.Conn().Close(uctx)
		}
	}()
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		name       text        NOT NULL,
		applied_at timestamptz NOT NULL)`); err != nil {
		return &paradero.Error{Code: paradero.EINTERNAL, Op: op, Err: fmt.Errorf("migrations table: %w", err)}
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return &paradero.Error{Code: paradero.EINTERNAL, Op: op, Err: err}
	}
	sort.Strings(names)
	for _, name := range names {
		base := path.Base(name)
		v, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return &paradero.Error{Code: paradero.EINTERNAL, Op: op, Err: fmt.Errorf("migration %s has no number", base)}
		}
		if err := s.applyMigration(ctx, conn.Conn(), v, name); err != nil {
			return &paradero.Error{Code: paradero.EINTERNAL, Op: op, Err: fmt.Errorf("migration %s: %w", base, err)}
		}
	}
	return nil
}

func (s *DB) applyMigration(ctx context.Context, conn *pgx.Conn, version int, name string) error {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	var done bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`, version).Scan(&done); err != nil {
		return err
	}
	if done {
		return nil
	}
	body, err := migrations.ReadFile(name)
	if err != nil {
		return err
	}
	// No arguments: pgx sends it with the simple protocol, which runs a
	// file of several statements.
	if _, err := tx.Exec(ctx, string(body)); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
		version, path.Base(name), s.timestamp()); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	s.logger.Info("applied migration", "version", version, "name", path.Base(name))
	return nil
}

// ExecUnsafe runs one statement directly on the database, bypassing every
// rule of the store. It exists for tests that tamper with the database the
// way an attacker with database access could; nothing else may call it.
func (s *DB) ExecUnsafe(ctx context.Context, query string) error {
	_, err := s.pool.Exec(ctx, query)
	return err
}

// Status counts what the store holds.
func (s *DB) Status(ctx context.Context) (*paradero.Status, error) {
	var st paradero.Status
	err := s.pool.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM sources),
		(SELECT count(*) FROM records),
		(SELECT count(*) FROM redactions),
		(SELECT coalesce(max(idx) + 1, 0) FROM ledger_entries),
		-- A record not linked yet is a person of its own. Records are never
		-- deleted and person_records references them, so the unlinked ones
		-- are the difference of the counts.
		(SELECT count(DISTINCT person_id) FROM person_records)
		+ (SELECT count(*) FROM records) - (SELECT count(*) FROM person_records)`).
		Scan(&st.Sources, &st.Records, &st.Redactions, &st.LedgerSize, &st.Persons)
	if err != nil {
		return nil, internal("postgres.Status", err)
	}
	return &st, nil
}

// internal wraps a database failure: EUNAVAILABLE when the database could
// not be reached or refused for want of resources, EINTERNAL otherwise. The
// cause is for logs; users see no message from it.
func internal(op string, err error) error {
	var e *paradero.Error
	if errors.As(err, &e) {
		return err
	}
	code := paradero.EINTERNAL
	var pe *pgconn.PgError
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		code = paradero.EUNAVAILABLE
	case errors.As(err, &pe):
		// Class 08 connection exception, 53 insufficient resources, 57
		// operator intervention (shutdown, cancel).
		if c := pe.Code[:2]; c == "08" || c == "53" || c == "57" {
			code = paradero.EUNAVAILABLE
		}
	case pgconn.SafeToRetry(err), isConnectError(err):
		code = paradero.EUNAVAILABLE
	}
	return &paradero.Error{Code: code, Op: op, Err: err}
}

func isConnectError(err error) bool {
	var ce *pgconn.ConnectError
	return errors.As(err, &ce)
}

// isUniqueViolation reports whether err is SQLSTATE 23505.
func isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

func hashFrom(b []byte) (paradero.Hash, error) {
	var h paradero.Hash
	if len(b) != len(h) {
		return h, &paradero.Error{Code: paradero.ETAMPERED, Message: fmt.Sprintf("stored hash has %d bytes, want 32", len(b))}
	}
	copy(h[:], b)
	return h, nil
}

func notFound(what string, id int64) error {
	return paradero.Errorf(paradero.ENOTFOUND, "%s %d not found", what, id)
}

func pageLimit(n int) int {
	if n <= 0 {
		return 100
	}
	return min(n, 10000)
}

// prefixed qualifies each column of a comma-separated list with p.
func prefixed(p, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = p + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

var errFinished = errors.New("postgres: import already finished")

// Package sqlite is Paradero's embedded store: one data directory holding a
// SQLite database and a content-addressed folder of source files.
//
// Why this shape:
//   - SQLite through modernc.org/sqlite, a pure-Go driver, so the binary
//     builds with CGO_ENABLED=0 and cross-compiles.
//   - WAL mode with synchronous=FULL: NORMAL can lose the last acknowledged
//     commits on power loss, and an acknowledged import is evidence.
//   - secure_delete=ON, so a redaction overwrites the removed content in the
//     database file instead of leaving it in free pages; after a redaction
//     the WAL is checkpointed and truncated so no old copy stays there.
//   - Source files live outside the database, in blobs/ under their SHA-256.
//     A file is written and synced under a temporary name, renamed into
//     place before the import's transaction commits and removed again if the
//     commit fails, so a crash leaves at most an unreferenced file, never a
//     record whose file is missing.
//   - Writes take the database's write lock at their start (BEGIN
//     IMMEDIATE): SQLite has one writer, and the ledger's appends must be
//     serial anyway. An import holds it until it commits.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/paradero/paradero"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is the embedded store. It is safe for concurrent use.
type DB struct {
	db     *sql.DB
	dir    string
	logger *slog.Logger
	now    func() time.Time
	// indexing is held while the search index catches up: one catch-up
	// at a time, and searches do not queue behind a long one.
	indexing sync.Mutex
	audits   auditQueue
}

var _ paradero.Store = (*DB)(nil)

// DatabaseFile is the name of the database inside the data directory.
const DatabaseFile = "paradero.db"

// Open opens (creating if needed) the store in dir and applies the
// migrations it lacks.
func Open(ctx context.Context, dir string, logger *slog.Logger) (*DB, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if dir == "" {
		return nil, paradero.Errorf(paradero.EINVALID, "no data directory given")
	}
	if err := os.MkdirAll(filepath.Join(dir, "blobs"), 0o700); err != nil {
		return nil, &paradero.Error{Code: paradero.EUNAVAILABLE, Op: "sqlite.Open", Message: "cannot create data directory", Err: err}
	}
	q := url.Values{}
	q.Set("_txlock", "immediate")
	for _, p := range []string{
		"journal_mode(WAL)",
		"synchronous(FULL)",
		"busy_timeout(30000)",
		"foreign_keys(ON)",
		"secure_delete(ON)",
		"cache_size(-65536)",           // 64 MiB: a large import's pages stay in memory until commit
		"journal_size_limit(67108864)", // the WAL shrinks back to 64 MiB after a large import
	} {
		q.Add("_pragma", p)
	}
	// A URI filename: SQLite percent-decodes its path, so a directory with
	// '%', '?' or '#' in its name must be escaped.
	dsn := "file:" + (&url.URL{Path: filepath.ToSlash(filepath.Join(dir, DatabaseFile))}).EscapedPath() + "?" + q.Encode()
	sqldb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	s := &DB{db: sqldb, dir: dir, logger: logger, now: time.Now}
	if err := s.migrate(ctx); err != nil {
		sqldb.Close()
		return nil, err
	}
	s.removeStaleTempBlobs()
	return s, nil
}

// staleTempBlob is how old a temporary import file must be before Open
// removes it: left by an import that was killed, since a live import
// writes its file within seconds and commits within minutes.
const staleTempBlob = 24 * time.Hour

func (s *DB) removeStaleTempBlobs() {
	tmps, _ := filepath.Glob(filepath.Join(s.dir, "blobs", "import-*.tmp"))
	for _, t := range tmps {
		if st, err := os.Stat(t); err == nil && s.now().Sub(st.ModTime()) > staleTempBlob {
			if os.Remove(t) == nil {
				s.logger.Info("removed a temporary file left by an interrupted import", "file", filepath.Base(t))
			}
		}
	}
}

// Dir returns the data directory.
func (s *DB) Dir() string { return s.dir }

// Close closes the database.
func (s *DB) Close() error { return s.db.Close() }

func (s *DB) timestamp() time.Time { return paradero.Timestamp(s.now()) }

// migrate applies, in order and each in its own transaction, the embedded
// migrations not yet recorded in schema_migrations.
func (s *DB) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("sqlite: migrations table: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		base := filepath.Base(name)
		v, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("sqlite: migration %s has no number", base)
		}
		if err := s.applyMigration(ctx, v, name); err != nil {
			return fmt.Errorf("sqlite: migration %s: %w", base, err)
		}
	}
	return nil
}

func (s *DB) applyMigration(ctx context.Context, version int, name string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	body, err := migrations.ReadFile(name)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		version, filepath.Base(name), s.timestamp().UnixMicro()); err != nil {
		return err
	}
	s.logger.Info("applied migration", "version", version)
	return tx.Commit()
}

// Status counts what the store holds.
func (s *DB) Status(ctx context.Context) (*paradero.Status, error) {
	var st paradero.Status
	err := s.db.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM sources),
		(SELECT count(*) FROM records),
		(SELECT count(*) FROM redactions),
		(SELECT count(*) FROM ledger_entries),
		(SELECT count(DISTINCT person_id) FROM person_records)
		+ (SELECT count(*) FROM records r WHERE NOT EXISTS (SELECT 1 FROM person_records p WHERE p.record_id = r.id))`).
		Scan(&st.Sources, &st.Records, &st.Redactions, &st.LedgerSize, &st.Persons)
	if err != nil {
		return nil, fmt.Errorf("sqlite: status: %w", err)
	}
	return &st, nil
}

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

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

func isUniqueViolation(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

var errRolledBack = errors.New("sqlite: import already finished")

// ExecUnsafe runs one statement directly on the database, bypassing every
// rule of the store. It exists for tests that tamper with the database the
// way an attacker with disk access could; nothing else may call it.
func (s *DB) ExecUnsafe(ctx context.Context, query string) error {
	_, err := s.db.ExecContext(ctx, query)
	return err
}

package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/paradero/paradero"
)

// batchSize is how many records one INSERT writes. SQLite's statement
// overhead dominates single-row inserts through database/sql; a batch
// amortises it (500 × 8 parameters, well under SQLite's 32 766).
const batchSize = 500

// batchWriter writes records and their ledger entries in multi-row INSERTs
// within the import's transaction. Full batches are written by a goroutine
// of its own while the importer prepares the next ones: an import then uses
// both of a small machine's cores, one for parsing and hashing, one for
// SQLite. The first error stops it and is returned by every later call.
type batchWriter struct {
	tx      *sql.Tx
	cur     *batch
	queue   chan *batch
	done    chan error // the writer goroutine's first error, once it has stopped
	started bool
	err     error
}

type batch struct {
	rows     []any // record arguments
	entries  []any // ledger entry arguments
	n        int
	firstRow int
}

func valuesList(rows, cols int) string {
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", cols), ",") + ")"
	return strings.TrimSuffix(strings.Repeat(one+",", rows), ",")
}

const (
	recordColumnCount = 8
	insertRecordsHead = "INSERT INTO records (" + recordColumns + ") VALUES "
	insertEntriesHead = "INSERT INTO ledger_entries (idx, kind, subject, leaf, hashes) VALUES "
)

func newBatch() *batch {
	return &batch{rows: make([]any, 0, batchSize*recordColumnCount), entries: make([]any, 0, batchSize*5)}
}

// add queues a record with its canonical content, its leaf and its tree
// hashes.
func (b *batchWriter) add(ctx context.Context, r *paradero.Record, content, leaf, hashes []byte) error {
	if b.err != nil {
		return b.err
	}
	if b.cur == nil {
		b.cur = newBatch()
		b.cur.firstRow = r.Row
	}
	c := b.cur
	c.rows = append(c.rows, r.ID, r.SourceID, r.Row, string(content), r.Salt, r.Commitment[:], r.CreatedAt.UnixMicro(), r.LedgerIndex)
	c.entries = append(c.entries, r.LedgerIndex, string(paradero.EntryRecord), r.ID, leaf, hashes)
	c.n++
	if c.n < batchSize {
		return nil
	}
	b.cur = nil
	if !b.started {
		b.start(ctx)
	}
	select {
	case b.queue <- c:
		return nil
	case err := <-b.done:
		b.err = err
		return err
	}
}

func (b *batchWriter) start(ctx context.Context) {
	b.started = true
	b.queue = make(chan *batch, 2)
	b.done = make(chan error, 1)
	go func() {
		var full [2]*sql.Stmt
		defer func() {
			for _, s := range full {
				if s != nil {
					s.Close()
				}
			}
		}()
		for c := range b.queue {
			if err := writeBatch(ctx, b.tx, c, &full); err != nil {
				b.done <- err
				for range b.queue { // drain, so add and flush never block
				}
				return
			}
		}
		b.done <- nil
	}()
}

// writeBatch runs the INSERTs of one batch. The statements run without the
// caller's cancellation (the driver would start a goroutine per statement
// to watch it); the import checks ctx between rows instead.
func writeBatch(ctx context.Context, tx *sql.Tx, c *batch, full *[2]*sql.Stmt) error {
	ctx = context.WithoutCancel(ctx)
	var err error
	if c.n == batchSize {
		if full[0] == nil {
			if full[0], err = tx.PrepareContext(ctx, insertRecordsHead+valuesList(batchSize, recordColumnCount)); err != nil {
				return fmt.Errorf("sqlite: prepare record batch: %w", err)
			}
			if full[1], err = tx.PrepareContext(ctx, insertEntriesHead+valuesList(batchSize, 5)); err != nil {
				return fmt.Errorf("sqlite: prepare entry batch: %w", err)
			}
		}
		if _, err = full[0].ExecContext(ctx, c.rows...); err == nil {
			_, err = full[1].ExecContext(ctx, c.entries...)
		}
	} else {
		if _, err = tx.ExecContext(ctx, insertRecordsHead+valuesList(c.n, recordColumnCount), c.rows...); err == nil {
			_, err = tx.ExecContext(ctx, insertEntriesHead+valuesList(c.n, 5), c.entries...)
		}
	}
	if err != nil {
		return fmt.Errorf("sqlite: insert records (rows from line %d): %w", c.firstRow, err)
	}
	return nil
}

// flush writes everything queued and waits for the writer to finish.
func (b *batchWriter) flush(ctx context.Context) error {
	if b.err != nil {
		return b.err
	}
	if b.started {
		close(b.queue)
		b.started = false
		if err := <-b.done; err != nil {
			b.err = err
			return err
		}
	}
	if b.cur != nil {
		c := b.cur
		b.cur = nil
		var none [2]*sql.Stmt
		if err := writeBatch(ctx, b.tx, c, &none); err != nil {
			b.err = err
			return err
		}
	}
	return nil
}

// close stops the writer without writing what is queued (on rollback).
func (b *batchWriter) close() {
	if b.started {
		b.started = false
		close(b.queue)
		<-b.done
	}
}

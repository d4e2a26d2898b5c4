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
// amortises it (this one has 200 × 30 parameters, under SQLite's 32 766).
const batchSize = 200

// batchWriter writes records and their ledger entries in multi-row
// INSERTs within the import's transaction.
type batchWriter struct {
	tx       *sql.Tx
	rows     []any // record arguments, batched
	entries  []any // ledger entry arguments, batched
	n        int
	full     [2]*sql.Stmt // prepared statements for a full batch
	firstRow int
}

func valuesList(rows, cols int) string {
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", cols), ",") + ")"
	return strings.TrimSuffix(strings.Repeat(one+",", rows), ",")
}

var (
	recordColumnCount = 3 + len(paradero.RecordFields) + 1 + 4
	insertRecordsHead = "INSERT INTO records (" + recordColumns + ") VALUES "
	insertEntriesHead = "INSERT INTO ledger_entries (idx, kind, subject, leaf, hashes) VALUES "
)

func (b *batchWriter) add(ctx context.Context, r *paradero.Record, hashes []byte) error {
	if b.n == 0 {
		b.firstRow = r.Row
	}
	b.rows = append(b.rows, recordArgs(r)...)
	b.entries = append(b.entries, r.LedgerIndex, string(paradero.EntryRecord), r.ID, paradero.RecordLeaf(r), hashes)
	b.n++
	if b.n == batchSize {
		return b.flush(ctx)
	}
	return nil
}

// flush writes what is batched. The statements run without the caller's
// cancellation (the driver would start a goroutine per statement to watch
// it); the import checks ctx between rows instead.
func (b *batchWriter) flush(ctx context.Context) error {
	if b.n == 0 {
		return nil
	}
	ctx = context.WithoutCancel(ctx)
	var err error
	if b.n == batchSize {
		if b.full[0] == nil {
			if b.full[0], err = b.tx.PrepareContext(ctx, insertRecordsHead+valuesList(batchSize, recordColumnCount)); err != nil {
				return fmt.Errorf("sqlite: prepare record batch: %w", err)
			}
			if b.full[1], err = b.tx.PrepareContext(ctx, insertEntriesHead+valuesList(batchSize, 5)); err != nil {
				return fmt.Errorf("sqlite: prepare entry batch: %w", err)
			}
		}
		if _, err = b.full[0].ExecContext(ctx, b.rows...); err == nil {
			_, err = b.full[1].ExecContext(ctx, b.entries...)
		}
	} else {
		if _, err = b.tx.ExecContext(ctx, insertRecordsHead+valuesList(b.n, recordColumnCount), b.rows...); err == nil {
			_, err = b.tx.ExecContext(ctx, insertEntriesHead+valuesList(b.n, 5), b.entries...)
		}
	}
	if err != nil {
		return fmt.Errorf("sqlite: insert records (rows from %d): %w", b.firstRow, err)
	}
	b.rows, b.entries, b.n = b.rows[:0], b.entries[:0], 0
	return nil
}

func (b *batchWriter) close() {
	for _, s := range b.full {
		if s != nil {
			s.Close()
		}
	}
}

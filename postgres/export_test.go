package postgres

import (
	"context"
	"testing"

	"github.com/paradero/paradero"
)

// OpenTest opens a store on a fresh database for the external contract
// test.
func OpenTest(t *testing.T) *DB { return openTest(t) }

// CorruptBlob flips one bit in the middle of the stored file with this
// hash, behind the store's back.
func CorruptBlob(ctx context.Context, db *DB, sum paradero.Hash) error {
	_, err := db.pool.Exec(ctx, `UPDATE blob_chunks c SET data = set_byte(data, length(data) / 2, get_byte(data, length(data) / 2) # 1)
		FROM blobs b WHERE b.sha256 = $1 AND c.blob_id = b.id AND c.seq = 0`, sum[:])
	return err
}

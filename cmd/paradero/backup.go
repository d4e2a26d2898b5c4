package main

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/age"
	"github.com/paradero/paradero"
	"github.com/paradero/paradero/ledger"
	"github.com/paradero/paradero/sqlite"
)

const backupUsage = `
backup --to FILE (--recipient AGE_PUBKEY | --recipients-file F)... [--include-signing-key]

Writes a consistent, encrypted copy of the embedded store while it stays in
use (no need to stop 'paradero serve' or 'paradero watch'): the database as
of one commit (SQLite's VACUUM INTO), every source file it refers to, the
ledger's public key and its latest signed checkpoint (a new one is signed
first if the ledger grew). The copy is a tar stream encrypted with age
(https://age-encryption.org) to every recipient given; any one of their
identities restores it with 'paradero restore'. FILE must not exist; it
appears only once complete.

The ledger's signing key (ledger.key) is left out unless
--include-signing-key is given: whoever holds it can sign checkpoints in the
log's name, so keep it apart from the data, in a second backup of its own
(see docs/operations.md). A backup made before a redaction still holds the
redacted content: destroy such backups to complete the redaction.

PostgreSQL (--database-url): not supported here; back up with pg_dump or
continuous archiving (PITR) and keep the data directory's ledger.key and
ledger.pub (see docs/operations.md).
`

// backupFormat names the archive's layout, in its manifest.
const backupFormat = "paradero-backup/1"

// Names inside the archive.
const (
	backupManifest   = "MANIFEST.json"     // the last entry
	backupCheckpoint = "backup.checkpoint" // the latest signed checkpoint in the copy
)

// backupManifestJSON is the archive's last entry: what a restore must find.
type backupManifestJSON struct {
	Format         string             `json:"format"`
	CreatedAt      time.Time          `json:"created_at"`
	Origin         string             `json:"origin"`
	VerifierKey    string             `json:"verifier_key"`
	LedgerSize     int64              `json:"ledger_size"`
	CheckpointSize int64              `json:"checkpoint_size"`
	SigningKey     bool               `json:"signing_key_included"`
	Files          []backupFileDigest `json:"files"`
}

type backupFileDigest struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

type backupCommand struct{ g *globals }

func (c *backupCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet(c.g, "backup", backupUsage)
	c.g.register(fs)
	to := fs.String("to", "", "write the encrypted backup to `FILE` (must not exist)")
	var recips, recipFiles listFlag
	fs.Var(&recips, "recipient", "encrypt to this age public key `AGE_PUBKEY` (age1…; repeatable)")
	fs.Var(&recips, "r", "short for --recipient")
	fs.Var(&recipFiles, "recipients-file", "encrypt to every age public key in `F`, one a line (repeatable)")
	withKey := fs.Bool("include-signing-key", false, "also pack ledger.key, which lets its holder sign checkpoints in the log's name")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("backup takes no arguments; give the file with --to")
	}
	if *to == "" {
		return usagef("give the backup file with --to FILE")
	}
	recipients, err := parseRecipients(recips, recipFiles)
	if err != nil {
		return err
	}
	if err := c.g.resolve(); err != nil {
		return err
	}
	if c.g.databaseURL != "" {
		return usagef("backup copies the embedded store only; back up PostgreSQL with pg_dump or PITR and keep %s (see docs/operations.md)",
			filepath.Join(c.g.dataDir, ledger.SignerKeyFile))
	}
	if _, err := os.Stat(filepath.Join(c.g.dataDir, sqlite.DatabaseFile)); err != nil {
		return fmt.Errorf("no store to back up in %s: %w", c.g.dataDir, err)
	}
	if _, err := os.Lstat(*to); err == nil {
		return usagef("%s already exists; backup never overwrites a file", *to)
	}
	if err := c.g.open(ctx); err != nil {
		return err
	}
	db, ok := c.g.store.(*sqlite.DB)
	if !ok {
		return errors.New("backup copies the embedded store only")
	}
	// A checkpoint of the ledger as it is now, so the copy carries one that
	// covers (nearly) all of it; entries appended after this and before the
	// snapshot are covered by the tree, and signed at the next write.
	if _, err := c.g.log.Checkpoint(ctx); err != nil {
		return err
	}
	m, err := writeBackup(ctx, db, c.g.log.Key(), *to, recipients, *withKey)
	if err != nil {
		return err
	}
	var size int64
	for _, f := range m.Files {
		size += f.Size
	}
	fmt.Fprintf(c.g.stdout, "Backed up %d files (%s before encryption) to %s.\n", len(m.Files), humanBytes(size), *to)
	fmt.Fprintf(c.g.stdout, "Ledger: %d entries; checkpoint of size %d included.\n", m.LedgerSize, m.CheckpointSize)
	if m.SigningKey {
		fmt.Fprintf(c.g.stdout, "The signing key is in this backup: whoever can decrypt it can sign checkpoints as %s.\n", m.Origin)
	} else {
		fmt.Fprintf(c.g.stdout, "The signing key is not in this backup: keep %s safe apart from it.\n",
			filepath.Join(c.g.dataDir, ledger.SignerKeyFile))
	}
	return nil
}

// parseRecipients reads the age recipients given on the command line and
// in files; at least one is required.
func parseRecipients(recips, files []string) ([]age.Recipient, error) {
	var out []age.Recipient
	for _, s := range recips {
		rs, err := age.ParseRecipients(strings.NewReader(s))
		if err != nil {
			return nil, usagef("recipient %q is not an age public key: %v", s, err)
		}
		out = append(out, rs...)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		rs, err := age.ParseRecipients(strings.NewReader(string(b)))
		if err != nil {
			return nil, usagef("recipients file %s: %v", f, err)
		}
		out = append(out, rs...)
	}
	if len(out) == 0 {
		return nil, usagef("give at least one --recipient or --recipients-file: a backup is always encrypted")
	}
	return out, nil
}

// writeBackup snapshots db and writes the encrypted archive to path,
// through a temporary file in the same directory renamed into place once
// complete and synced. The database copy is made inside the data
// directory, which already holds the same data unencrypted.
func writeBackup(ctx context.Context, db *sqlite.DB, key *ledger.Key, path string, recipients []age.Recipient, withKey bool) (m *backupManifestJSON, err error) {
	stage, err := os.MkdirTemp(db.Dir(), ".backup-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(stage)
	snap, err := db.Snapshot(ctx, filepath.Join(stage, sqlite.DatabaseFile))
	if err != nil {
		return nil, err
	}
	if snap.Checkpoint == nil {
		return nil, errors.New("the store has no signed checkpoint to include")
	}

	out, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".partial-*")
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			out.Close()
			os.Remove(out.Name())
		}
	}()
	enc, err := age.Encrypt(out, recipients...)
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(enc)
	m = &backupManifestJSON{
		Format: backupFormat, CreatedAt: time.Now().UTC(), Origin: key.Origin(), VerifierKey: key.VKey,
		LedgerSize: snap.LedgerSize, CheckpointSize: snap.Checkpoint.Size, SigningKey: withKey,
	}
	add := func(name string, r io.Reader, size int64) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		hdr := &tar.Header{Name: name, Mode: 0o600, Size: size, ModTime: m.CreatedAt, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		h := sha256.New()
		n, err := io.Copy(tw, io.TeeReader(r, h))
		if err != nil || n != size {
			return fmt.Errorf("packing %s: %d bytes, expected %d (%v): the file was changed outside Paradero", name, n, size, err)
		}
		m.Files = append(m.Files, backupFileDigest{Name: name, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))})
		return nil
	}
	addFile := func(name, src string) error {
		f, err := os.Open(src)
		if err != nil {
			return err
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return err
		}
		return add(name, f, st.Size())
	}
	addBytes := func(name string, b []byte) error { return add(name, strings.NewReader(string(b)), int64(len(b))) }

	if err := addFile(sqlite.DatabaseFile, snap.Path); err != nil {
		return nil, err
	}
	if err := addBytes(ledger.VerifierKeyFile, []byte(key.VKey+"\n")); err != nil {
		return nil, err
	}
	if len(key.History) > 0 {
		if err := addFile(ledger.KeyHistoryFile, filepath.Join(db.Dir(), ledger.KeyHistoryFile)); err != nil {
			return nil, err
		}
	}
	if withKey {
		if err := addFile(ledger.SignerKeyFile, filepath.Join(db.Dir(), ledger.SignerKeyFile)); err != nil {
			return nil, err
		}
	}
	if err := addBytes(backupCheckpoint, snap.Checkpoint.Note); err != nil {
		return nil, err
	}
	for _, b := range snap.Blobs {
		if err := addBlob(ctx, db, add, b); err != nil {
			return nil, err
		}
	}
	mj, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	hdr := &tar.Header{Name: backupManifest, Mode: 0o600, Size: int64(len(mj)), ModTime: m.CreatedAt, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
	if err := tw.WriteHeader(hdr); err != nil {
		return nil, err
	}
	if _, err := tw.Write(mj); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	if err := out.Sync(); err != nil {
		return nil, err
	}
	if err := out.Close(); err != nil {
		return nil, err
	}
	if _, err := os.Lstat(path); err == nil {
		return nil, fmt.Errorf("%s appeared while the backup was written; not overwriting it", path)
	}
	if err := os.Rename(out.Name(), path); err != nil {
		return nil, err
	}
	return m, syncDir(filepath.Dir(path))
}

// blobName is a source file's name in the archive and in the data
// directory: blobs/ab/abcd… (see sqlite's blobPath).
func blobName(sum paradero.Hash) string {
	h := sum.String()
	return "blobs/" + h[:2] + "/" + h
}

func addBlob(ctx context.Context, db *sqlite.DB, add func(string, io.Reader, int64) error, b sqlite.SnapshotBlob) error {
	rc, err := db.OpenBlob(ctx, b.SHA256)
	if err != nil {
		return err
	}
	defer rc.Close()
	return add(blobName(b.SHA256), rc, b.Size)
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

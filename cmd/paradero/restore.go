package main

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"filippo.io/age"
	"github.com/paradero/paradero/ledger"
	"github.com/paradero/paradero/sqlite"
)

const restoreUsage = `
restore --identity AGE_IDENTITY_FILE --data EMPTY_DIR FILE

Restores a backup written by 'paradero backup' into a data directory that
is empty or does not exist yet (a non-empty one is refused). All or
nothing: the backup is decrypted and unpacked into a temporary directory
beside (or, for an existing empty one, inside) DIR, every file is checked
against the backup's manifest, and the restored ledger is verified in full
against the backup's checkpoint with the backup's public key; only then
does it move into place. A damaged, truncated or tampered backup, or one
encrypted to another key, fails and leaves nothing behind.

If the backup was made without --include-signing-key, copy the ledger's
signing key (ledger.key, from its own backup) into DIR before any other
command uses DIR: without it Paradero cannot sign checkpoints that extend
this ledger.

PostgreSQL: restore the database with pg_restore or from a PITR base backup
instead (see docs/operations.md).
`

type restoreCommand struct{ g *globals }

// blobEntry matches a source file's name inside a backup.
var blobEntry = regexp.MustCompile(`^blobs/([0-9a-f]{2})/([0-9a-f]{64})$`)

func (c *restoreCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet(c.g, "restore", restoreUsage)
	c.g.register(fs)
	var idFiles listFlag
	fs.Var(&idFiles, "identity", "an age identity `FILE` (AGE-SECRET-KEY-1…) that can decrypt the backup (repeatable)")
	fs.Var(&idFiles, "i", "short for --identity")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("give one backup FILE")
	}
	if len(idFiles) == 0 {
		return usagef("give the age identity that can decrypt the backup with --identity FILE")
	}
	if err := c.g.resolve(); err != nil {
		return err
	}
	if c.g.databaseURL != "" {
		return usagef("restore fills an embedded store only; restore PostgreSQL with pg_restore or PITR (see docs/operations.md)")
	}
	var ids []age.Identity
	for _, f := range idFiles {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		is, err := age.ParseIdentities(bytes.NewReader(b))
		if err != nil {
			return fmt.Errorf("identity file %s: %w", f, err)
		}
		ids = append(ids, is...)
	}
	dir := c.g.dataDir
	if err := checkEmptyDir(dir); err != nil {
		return err
	}
	in, err := os.Open(pos[0])
	if err != nil {
		return err
	}
	defer in.Close()
	m, rep, err := restoreBackup(ctx, in, ids, dir)
	if err != nil {
		return fmt.Errorf("restoring %s: %w; nothing was written to %s", pos[0], err, dir)
	}
	fmt.Fprintf(c.g.stdout, "Restored %d files into %s (backup of %s).\n", len(m.Files), dir, m.CreatedAt.Format("2006-01-02 15:04:05 UTC"))
	fmt.Fprintf(c.g.stdout, "Ledger intact: %d entries recomputed, %d checkpoints checked; the backup's checkpoint of size %d verifies with %s.\n",
		rep.Entries, rep.Checkpoints, m.CheckpointSize, m.Origin)
	if !m.SigningKey {
		fmt.Fprintf(c.g.stdout, "The signing key was not in the backup: copy ledger.key into %s before running Paradero on it.\n", dir)
	}
	return nil
}

// checkEmptyDir refuses a data directory that holds anything.
func checkEmptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(entries) > 0 {
		return usagef("%s is not empty; restore only into an empty or new data directory", dir)
	}
	return nil
}

// restoreBackup unpacks and checks the backup read from in, then moves it
// into dir, which is empty or absent.
func restoreBackup(ctx context.Context, in io.Reader, ids []age.Identity, dir string) (*backupManifestJSON, *ledger.Report, error) {
	// Stage on dir's file system so that moving into place is a rename:
	// inside dir if it exists (it may be a mount point, which cannot be
	// replaced), else beside it.
	var stage string
	var err error
	exists := false
	if st, serr := os.Stat(dir); serr == nil && st.IsDir() {
		exists = true
		stage, err = os.MkdirTemp(dir, ".restore-*")
	} else {
		if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
			return nil, nil, err
		}
		stage, err = os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".restore-*")
	}
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(stage)

	m, err := unpackBackup(ctx, in, ids, stage)
	if err != nil {
		return nil, nil, err
	}
	rep, err := checkRestored(ctx, stage, m)
	if err != nil {
		return nil, nil, err
	}
	// The checkpoint is in the database too; a data directory has no such file.
	if err := os.Remove(filepath.Join(stage, backupCheckpoint)); err != nil {
		return nil, nil, err
	}
	if !exists {
		if err := os.Rename(stage, dir); err != nil {
			return nil, nil, err
		}
		return m, rep, syncDir(filepath.Dir(dir))
	}
	// The database goes last: until it is there, the directory is no store.
	entries, err := os.ReadDir(stage)
	if err != nil {
		return nil, nil, err
	}
	for _, e := range entries {
		if e.Name() != sqlite.DatabaseFile {
			if err := os.Rename(filepath.Join(stage, e.Name()), filepath.Join(dir, e.Name())); err != nil {
				return nil, nil, err
			}
		}
	}
	if err := os.Rename(filepath.Join(stage, sqlite.DatabaseFile), filepath.Join(dir, sqlite.DatabaseFile)); err != nil {
		return nil, nil, err
	}
	return m, rep, syncDir(dir)
}

// unpackBackup decrypts and unpacks the archive into stage, accepting only
// the names a backup holds, and checks every file against the manifest.
func unpackBackup(ctx context.Context, in io.Reader, ids []age.Identity, stage string) (*backupManifestJSON, error) {
	r, err := age.Decrypt(in, ids...)
	if err != nil {
		var nm *age.NoIdentityMatchError
		if errors.As(err, &nm) {
			return nil, errors.New("none of the identities given can decrypt this backup")
		}
		return nil, fmt.Errorf("not a readable age-encrypted backup: %w", err)
	}
	tr := tar.NewReader(r)
	got := make(map[string]backupFileDigest)
	var order []string
	var m *backupManifestJSON
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, damaged(err)
		}
		if m != nil {
			return nil, fmt.Errorf("the backup has %q after its manifest", hdr.Name)
		}
		if hdr.Typeflag != tar.TypeReg {
			return nil, fmt.Errorf("the backup holds %q, which is not a plain file", hdr.Name)
		}
		if hdr.Name == backupManifest {
			b, err := io.ReadAll(io.LimitReader(tr, 64<<20))
			if err != nil {
				return nil, damaged(err)
			}
			m = new(backupManifestJSON)
			if err := json.Unmarshal(b, m); err != nil {
				return nil, fmt.Errorf("the backup's manifest is unreadable: %w", err)
			}
			continue
		}
		if !backupEntryAllowed(hdr.Name) {
			return nil, fmt.Errorf("the backup holds %q, which no Paradero backup holds", hdr.Name)
		}
		if _, dup := got[hdr.Name]; dup {
			return nil, fmt.Errorf("the backup holds %q twice", hdr.Name)
		}
		d, err := extractFile(tr, filepath.Join(stage, filepath.FromSlash(hdr.Name)), hdr.Name)
		if err != nil {
			return nil, err
		}
		got[hdr.Name] = d
		order = append(order, hdr.Name)
	}
	// age authenticates each 64 KiB chunk and marks the last one: reading to
	// the end is what detects a truncated file.
	if _, err := io.Copy(io.Discard, r); err != nil {
		return nil, damaged(err)
	}
	if m == nil {
		return nil, errors.New("the backup has no manifest: it is truncated or was not written by paradero backup")
	}
	if m.Format != backupFormat {
		return nil, fmt.Errorf("the backup's format is %q; this Paradero reads %q", m.Format, backupFormat)
	}
	if len(m.Files) != len(got) {
		return nil, fmt.Errorf("the backup's manifest lists %d files but it holds %d", len(m.Files), len(got))
	}
	for _, f := range m.Files {
		g, ok := got[f.Name]
		if !ok {
			return nil, fmt.Errorf("the backup lacks %s, which its manifest lists", f.Name)
		}
		if g != f {
			return nil, fmt.Errorf("%s in the backup does not match its manifest", f.Name)
		}
	}
	for _, name := range []string{sqlite.DatabaseFile, ledger.VerifierKeyFile, backupCheckpoint} {
		if _, ok := got[name]; !ok {
			return nil, fmt.Errorf("the backup lacks %s", name)
		}
	}
	if _, ok := got[ledger.SignerKeyFile]; ok != m.SigningKey {
		return nil, errors.New("the backup's manifest and its content disagree about the signing key")
	}
	dirs := map[string]bool{stage: true}
	for _, name := range order {
		dirs[filepath.Dir(filepath.Join(stage, filepath.FromSlash(name)))] = true
	}
	for d := range dirs {
		if err := syncDir(d); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func damaged(err error) error {
	return fmt.Errorf("the backup is damaged or truncated (%v)", err)
}

func backupEntryAllowed(name string) bool {
	switch name {
	case sqlite.DatabaseFile, ledger.VerifierKeyFile, ledger.SignerKeyFile, ledger.KeyHistoryFile, backupCheckpoint:
		return true
	}
	m := blobEntry.FindStringSubmatch(name)
	return m != nil && strings.HasPrefix(m[2], m[1])
}

// extractFile writes one archive entry to path, synced, and returns its
// digest. A source file must hash to its name.
func extractFile(r io.Reader, path, name string) (backupFileDigest, error) {
	mode := os.FileMode(0o600)
	if name == ledger.VerifierKeyFile || name == ledger.KeyHistoryFile {
		mode = 0o644
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return backupFileDigest{}, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return backupFileDigest{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(f, io.TeeReader(r, h))
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) { // writing: a full disk, say
			return backupFileDigest{}, err
		}
		return backupFileDigest{}, damaged(err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if m := blobEntry.FindStringSubmatch(name); m != nil && m[2] != sum {
		return backupFileDigest{}, fmt.Errorf("source file %s in the backup has SHA-256 %s", name, sum)
	}
	if err := f.Sync(); err != nil {
		return backupFileDigest{}, err
	}
	return backupFileDigest{Name: name, Size: n, SHA256: sum}, f.Close()
}

// checkRestored opens the unpacked store and verifies its whole ledger,
// and the backup's checkpoint, with the backup's public key: no signing
// key is needed.
func checkRestored(ctx context.Context, stage string, m *backupManifestJSON) (*ledger.Report, error) {
	pub, err := os.ReadFile(filepath.Join(stage, ledger.VerifierKeyFile))
	if err != nil {
		return nil, err
	}
	vkey := strings.TrimSpace(string(pub))
	if vkey != m.VerifierKey {
		return nil, errors.New("the backup's public key is not the one its manifest names")
	}
	// The backup's key as the store will load it: the signing key if it
	// was packed, else the public one, with the key history.
	key, err := ledger.LoadOrCreateKey(stage)
	if err != nil {
		return nil, fmt.Errorf("the backup's key: %w", err)
	}
	if key.VKey != vkey {
		return nil, errors.New("the backup's signing key does not match its public key")
	}
	cp, err := os.ReadFile(filepath.Join(stage, backupCheckpoint))
	if err != nil {
		return nil, err
	}
	pc, err := key.Chain.OpenCheckpoint(cp)
	if err != nil {
		return nil, fmt.Errorf("the backup's checkpoint: %w", err)
	}
	if pc.Size != m.CheckpointSize {
		return nil, fmt.Errorf("the backup's checkpoint has size %d, its manifest says %d", pc.Size, m.CheckpointSize)
	}
	store, err := sqlite.Open(ctx, stage, nil)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	rep, err := ledger.New(store, key).Verify(ctx, ledger.VerifyOptions{Extra: [][]byte{cp}})
	if err != nil {
		return nil, err
	}
	if !rep.OK() {
		return nil, fmt.Errorf("the restored ledger does not verify: %s (%d problems)", rep.Problems[0], len(rep.Problems))
	}
	if rep.Entries != m.LedgerSize {
		return nil, fmt.Errorf("the restored ledger has %d entries, the manifest says %d", rep.Entries, m.LedgerSize)
	}
	return rep, nil
}

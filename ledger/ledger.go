// Package ledger signs, proves and verifies Paradero's append-only Merkle
// log.
//
// The stores append entries and their tree hashes in the transactions that
// write what the entries cover (see paradero.LedgerAppender); this package
// does everything that needs the signing key or the whole log:
//
//   - Checkpoints: the transparency-dev checkpoint text (origin, tree size,
//     base64 root hash) signed as a golang.org/x/mod/sumdb/note with an
//     Ed25519 key kept in the data directory, outside the database. A new
//     checkpoint is signed only after the tree is proved consistent with the
//     last signed one (RFC 9162 §2.1.4), so the key never vouches for a
//     rewritten history.
//   - Verify: recompute every leaf from the stored content, the whole tree
//     from the leaves, and check every stored checkpoint against it.
//   - Proofs: an inclusion proof (RFC 9162 §2.1.3) of one entry against a
//     signed checkpoint, with consistency proofs from earlier checkpoints, in
//     a self-contained JSON file that anyone can check offline.
//   - Witness: a verifier that remembers the checkpoints it has seen, refuses
//     a rollback, and reports a fork with both signed checkpoints.
//
// Hashing is the Go team's golang.org/x/mod/sumdb/tlog, which follows RFC
// 6962: leaf hash SHA-256(0x00 || leaf), node hash SHA-256(0x01 || l || r).
package ledger

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/paradero/paradero"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Key file names inside the data directory.
const (
	SignerKeyFile   = "ledger.key" // the private key; mode 0600
	VerifierKeyFile = "ledger.pub" // the public key, to hand to others
)

// Key is the ledger's signing key and its public half.
type Key struct {
	Signer   note.Signer
	Verifier note.Verifier
	VKey     string // the encoded verifier key, as published
	// History is every earlier signing key's retirement, oldest first
	// (KeyHistoryFile), and Chain the keys with the tree sizes each may
	// sign: what checkpoints and redactions are checked against.
	History []*Transition
	Chain   *KeyChain
}

// Origin is the log's name: the first line of its checkpoints.
func (k *Key) Origin() string { return k.Verifier.Name() }

// CanSign reports whether the key can sign checkpoints: false for a store
// restored without its signing key.
func (k *Key) CanSign() bool { return k.Signer != nil }

// ErrCannotSign is returned when the ledger grew but its signing key is
// not in the data directory.
var ErrCannotSign = errors.New("ledger: the signing key (" + SignerKeyFile + ") is not in the data directory; put it back before adding to the ledger")

// LoadOrCreateKey reads the signing key from dir, creating one on first
// use with the name "paradero/" followed by random hex, and the key history
// (KeyHistoryFile) if the key was ever rotated. When only the public key is
// there — a store restored from a backup that left the signing key out — it
// returns a key that verifies but cannot sign, rather than making a new key
// that no stored checkpoint would match. It finishes a rotation a crash
// interrupted (see Log.RotateKey).
func LoadOrCreateKey(dir string) (*Key, error) {
	k, err := loadOrCreateKey(dir)
	if err != nil {
		return nil, err
	}
	history, err := readKeyHistory(dir)
	if err != nil {
		return nil, err
	}
	if k, err = finishPendingRotation(dir, k, history); err != nil {
		return nil, err
	}
	return k.withHistory(history)
}

// VerifyOnlyKey returns the key of a log that cannot sign: its public key
// and its history.
func VerifyOnlyKey(vkey string, history []*Transition) (*Key, error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("ledger: verifier key: %w", err)
	}
	return (&Key{Verifier: v, VKey: vkey}).withHistory(history)
}

func (k *Key) withHistory(history []*Transition) (*Key, error) {
	chain, err := NewKeyChain(k.VKey, history)
	if err != nil {
		return nil, fmt.Errorf("ledger: %s: %w", KeyHistoryFile, err)
	}
	k.History, k.Chain = history, chain
	return k, nil
}

// finishPendingRotation completes a rotation whose transition is in the
// history but whose new key was not yet moved in, and forgets one whose
// transition was never written.
func finishPendingRotation(dir string, k *Key, history []*Transition) (*Key, error) {
	pending := filepath.Join(dir, pendingKeyFile)
	skey, err := os.ReadFile(pending)
	if errors.Is(err, os.ErrNotExist) {
		return k, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ledger: read pending key: %w", err)
	}
	next, err := ParseKey(strings.TrimSpace(string(skey)))
	if err != nil {
		return nil, err
	}
	if n := len(history); n > 0 && history[n-1].New == next.VKey && history[n-1].Old == k.VKey {
		if err := finishRotation(dir, next); err != nil {
			return nil, err
		}
		return next, nil
	}
	if err := os.Remove(pending); err != nil {
		return nil, fmt.Errorf("ledger: remove the key of an unfinished rotation: %w", err)
	}
	return k, nil
}

func loadOrCreateKey(dir string) (*Key, error) {
	path := filepath.Join(dir, SignerKeyFile)
	skey, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		if pub, perr := os.ReadFile(filepath.Join(dir, VerifierKeyFile)); perr == nil {
			vkey := strings.TrimSpace(string(pub))
			v, err := note.NewVerifier(vkey)
			if err != nil {
				return nil, fmt.Errorf("ledger: %s: %w", VerifierKeyFile, err)
			}
			return &Key{Verifier: v, VKey: vkey}, nil
		}
		var r [6]byte
		if _, err := rand.Read(r[:]); err != nil {
			return nil, err
		}
		s, v, err := note.GenerateKey(rand.Reader, "paradero/"+hex.EncodeToString(r[:]))
		if err != nil {
			return nil, fmt.Errorf("ledger: generate key: %w", err)
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("ledger: %w", err)
		}
		if err := writeFileSync(path, []byte(s+"\n"), 0o600); errors.Is(err, os.ErrExist) {
			return loadOrCreateKey(dir) // another process made it first
		} else if err != nil {
			return nil, fmt.Errorf("ledger: write signing key: %w", err)
		}
		if err := writeFileSync(filepath.Join(dir, VerifierKeyFile), []byte(v+"\n"), 0o644); err != nil && !errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("ledger: write public key: %w", err)
		}
		skey = []byte(s)
	} else if err != nil {
		return nil, fmt.Errorf("ledger: read signing key: %w", err)
	}
	return ParseKey(strings.TrimSpace(string(skey)))
}

// ParseKey parses an encoded note signer key.
func ParseKey(skey string) (*Key, error) {
	signer, err := note.NewSigner(skey)
	if err != nil {
		return nil, fmt.Errorf("ledger: signing key: %w", err)
	}
	// The verifier key is derived from the signer key: <name>+<hash>+<type||pub>.
	vkey, err := verifierKeyOf(skey)
	if err != nil {
		return nil, err
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("ledger: verifier key: %w", err)
	}
	return (&Key{Signer: signer, Verifier: verifier, VKey: vkey}).withHistory(nil)
}

// verifierKeyOf derives the encoded verifier key from an encoded Ed25519
// signer key "PRIVATE+KEY+<name>+<hash>+<base64(0x01 || seed)>".
func verifierKeyOf(skey string) (string, error) {
	parts := strings.SplitN(skey, "+", 5)
	if len(parts) != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY" {
		return "", errors.New("ledger: malformed signing key")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 33 || raw[0] != 1 {
		return "", errors.New("ledger: malformed signing key")
	}
	return note.NewEd25519VerifierKey(parts[2], ed25519Public(raw[1:]))
}

func writeFileSync(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Store is what the ledger needs of a store: its entries and checkpoints,
// and the source files, whose hashes the entries commit to.
type Store interface {
	paradero.LedgerService
	OpenBlob(ctx context.Context, sum paradero.Hash) (io.ReadCloser, error)
}

// Log is the ledger of one store, with the key that signs its checkpoints.
type Log struct {
	store Store
	key   *Key
	now   func() time.Time
}

// New returns the ledger of store, signed with key.
func New(store Store, key *Key) *Log {
	return &Log{store: store, key: key, now: time.Now}
}

// Key returns the log's key.
func (l *Log) Key() *Key { return l.key }

func (l *Log) hashReader(ctx context.Context) tlog.HashReader {
	return tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		hs, err := l.store.ReadHashes(ctx, idx)
		if err != nil {
			return nil, err
		}
		out := make([]tlog.Hash, len(hs))
		for i, h := range hs {
			out[i] = tlog.Hash(h)
		}
		return out, nil
	})
}

// FormatCheckpoint returns the unsigned checkpoint body: origin, size and
// base64 root hash, one per line (the transparency-dev checkpoint format).
func FormatCheckpoint(origin string, size int64, root paradero.Hash) string {
	return fmt.Sprintf("%s\n%d\n%s\n", origin, size, base64.StdEncoding.EncodeToString(root[:]))
}

// ParsedCheckpoint is a checkpoint read from its signed note.
type ParsedCheckpoint struct {
	Origin string
	Size   int64
	Hash   paradero.Hash
	Note   []byte
}

// OpenCheckpoint checks a signed checkpoint against the verifier and parses
// it. Errors are ETAMPERED for a bad signature and EINVALID for a malformed
// note.
func OpenCheckpoint(msg []byte, v note.Verifier) (*ParsedCheckpoint, error) {
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		var inv *note.InvalidSignatureError
		var unv *note.UnverifiedNoteError
		if errors.As(err, &inv) || errors.As(err, &unv) {
			return nil, &paradero.Error{Code: paradero.ETAMPERED, Message: "the checkpoint's signature is not valid for key " + v.Name(), Err: err}
		}
		return nil, &paradero.Error{Code: paradero.EINVALID, Message: "not a signed checkpoint", Err: err}
	}
	lines := strings.SplitN(n.Text, "\n", 4)
	if len(lines) < 4 {
		return nil, paradero.Errorf(paradero.EINVALID, "checkpoint has fewer than three lines")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 {
		return nil, paradero.Errorf(paradero.EINVALID, "checkpoint size %q is not a number", lines[1])
	}
	raw, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(raw) != 32 {
		return nil, paradero.Errorf(paradero.EINVALID, "checkpoint root hash %q is not base64 of 32 bytes", lines[2])
	}
	c := &ParsedCheckpoint{Origin: lines[0], Size: size, Note: msg}
	copy(c.Hash[:], raw)
	if c.Origin != v.Name() {
		return nil, paradero.Errorf(paradero.EINVALID, "checkpoint origin %q is not the key's name %q", c.Origin, v.Name())
	}
	return c, nil
}

// Checkpoint returns a signed checkpoint of the current tree, signing a new
// one if the tree has grown since the last. It refuses (ETAMPERED) to sign a
// tree that is not consistent with the last signed checkpoint.
func (l *Log) Checkpoint(ctx context.Context) (*paradero.Checkpoint, error) {
	// The last checkpoint first, then the size: another server sharing the
	// store may grow the ledger and sign in between, and a ledger only
	// grows, so read in this order a larger checkpoint than the size means
	// entries were removed — in the other order it may only mean a
	// neighbour was quicker.
	last, err := l.store.LatestCheckpoint(ctx)
	if err != nil && paradero.ErrorCode(err) != paradero.ENOTFOUND {
		return nil, err
	}
	size, err := l.store.LedgerSize(ctx)
	if err != nil {
		return nil, err
	}
	if last != nil {
		if _, err := l.key.Chain.OpenCheckpoint(last.Note); err != nil {
			return nil, fmt.Errorf("ledger: last checkpoint: %w", err)
		}
		if last.Size == size {
			return last, nil
		}
		if last.Size > size {
			return nil, paradero.Errorf(paradero.ETAMPERED,
				"the ledger has %d entries but checkpoint %d was signed: entries were removed", size, last.Size)
		}
	}
	if !l.key.CanSign() {
		return nil, &paradero.Error{Code: paradero.EUNAVAILABLE, Message: "cannot sign a checkpoint", Err: ErrCannotSign}
	}
	r := l.hashReader(ctx)
	root, err := tlog.TreeHash(size, r)
	if err != nil {
		return nil, fmt.Errorf("ledger: tree hash: %w", err)
	}
	if last != nil && last.Size > 0 {
		proof, err := tlog.ProveTree(size, last.Size, r)
		if err == nil {
			err = tlog.CheckTree(proof, size, root, last.Size, tlog.Hash(last.Hash))
		}
		if err != nil {
			return nil, &paradero.Error{Code: paradero.ETAMPERED,
				Message: fmt.Sprintf("the ledger of size %d is not consistent with the checkpoint of size %d; refusing to sign", size, last.Size), Err: err}
		}
	}
	msg, err := note.Sign(&note.Note{Text: FormatCheckpoint(l.key.Origin(), size, paradero.Hash(root))}, l.key.Signer)
	if err != nil {
		return nil, fmt.Errorf("ledger: sign checkpoint: %w", err)
	}
	c := &paradero.Checkpoint{Size: size, Hash: paradero.Hash(root), Note: msg, CreatedAt: l.now()}
	if err := l.store.AddCheckpoint(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// SignRedaction fills x's signature over paradero.RedactionStatement for the
// record with the given commitment.
func (l *Log) SignRedaction(x *paradero.Redaction, record paradero.Hash) error {
	if !l.key.CanSign() {
		return ErrCannotSign
	}
	msg, err := note.Sign(&note.Note{Text: paradero.RedactionStatement(x.RecordID, record, paradero.Timestamp(x.CreatedAt), x.Commitment)}, l.key.Signer)
	if err != nil {
		return fmt.Errorf("ledger: sign redaction: %w", err)
	}
	x.Signature = msg
	return nil
}

// checkRedactionSignature checks x's signature against the statement it
// must sign.
func checkRedactionSignature(x *paradero.Redaction, record paradero.Hash, v note.Verifier) error {
	n, err := note.Open(x.Signature, note.VerifierList(v))
	if err != nil {
		return err
	}
	if want := paradero.RedactionStatement(x.RecordID, record, x.CreatedAt, x.Commitment); n.Text != want {
		return errors.New("the signed statement does not match the redaction")
	}
	return nil
}

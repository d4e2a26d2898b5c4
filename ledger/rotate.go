package ledger

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/paradero/paradero"
	"golang.org/x/mod/sumdb/note"
)

// KeyHistoryFile, in the data directory beside the keys, lists every
// signed key transition, oldest first, as a JSON array of signed notes.
// It is public: it goes into backups and into every proof.
const KeyHistoryFile = "ledger.keys"

// pendingKeyFile holds a new signing key while a rotation is under way.
const pendingKeyFile = "ledger.key.new"

// transitionHeader is the first line of a key transition's text.
const transitionHeader = "paradero key transition"

// Transition is a signed statement that the log's signing key changed: the
// old key signed every checkpoint up to and including size Size, whose
// root is Hash; the new key signs every later one. Both keys sign it, so a
// verifier that trusts either can move to the other — and a checkpoint the
// old key signs for a larger tree, after it was retired (a stolen key, say),
// is refused.
type Transition struct {
	Origin string
	Old    string // encoded verifier key
	New    string
	Size   int64
	Hash   paradero.Hash
	Note   []byte // the signed note
}

// formatTransition is the text both keys sign (docs/ledger.md).
func formatTransition(origin, oldKey, newKey string, size int64, root paradero.Hash) string {
	return fmt.Sprintf("%s\n%s\nold %s\nnew %s\n%d\n%s\n", transitionHeader, origin, oldKey, newKey, size,
		base64.StdEncoding.EncodeToString(root[:]))
}

// OpenTransition parses a signed key transition and checks that both of
// the keys it names signed it. EINVALID for a malformed note, ETAMPERED
// for a missing or bad signature.
func OpenTransition(msg []byte) (*Transition, error) {
	text, _, ok := strings.Cut(string(msg), "\n\n")
	lines := strings.Split(text, "\n")
	if !ok || len(lines) != 6 || lines[0] != transitionHeader ||
		!strings.HasPrefix(lines[2], "old ") || !strings.HasPrefix(lines[3], "new ") {
		return nil, paradero.Errorf(paradero.EINVALID, "not a signed key transition")
	}
	t := &Transition{Origin: lines[1], Old: lines[2][4:], New: lines[3][4:], Note: msg}
	var err error
	if t.Size, err = strconv.ParseInt(lines[4], 10, 64); err != nil || t.Size < 0 {
		return nil, paradero.Errorf(paradero.EINVALID, "key transition size %q is not a number", lines[4])
	}
	raw, err := base64.StdEncoding.DecodeString(lines[5])
	if err != nil || len(raw) != len(t.Hash) {
		return nil, paradero.Errorf(paradero.EINVALID, "key transition root %q is not base64 of 32 bytes", lines[5])
	}
	copy(t.Hash[:], raw)
	oldV, err := note.NewVerifier(t.Old)
	if err != nil {
		return nil, &paradero.Error{Code: paradero.EINVALID, Message: "key transition: malformed old key", Err: err}
	}
	newV, err := note.NewVerifier(t.New)
	if err != nil {
		return nil, &paradero.Error{Code: paradero.EINVALID, Message: "key transition: malformed new key", Err: err}
	}
	if oldV.Name() != t.Origin || newV.Name() != t.Origin || t.Old == t.New {
		return nil, paradero.Errorf(paradero.EINVALID, "key transition: both keys must be distinct keys named %q", t.Origin)
	}
	n, err := note.Open(msg, note.VerifierList(oldV, newV))
	if err != nil {
		return nil, &paradero.Error{Code: paradero.ETAMPERED, Message: "key transition: a signature is not valid", Err: err}
	}
	signed := map[uint32]bool{}
	for _, s := range n.Sigs {
		signed[s.Hash] = true
	}
	if !signed[oldV.KeyHash()] || !signed[newV.KeyHash()] {
		return nil, paradero.Errorf(paradero.ETAMPERED, "key transition of %s: not signed by both the old and the new key", t.Origin)
	}
	return t, nil
}

// KeyChain is the sequence of keys a log has signed with, each with the
// range of tree sizes it may sign: the first from 0, each next one from the
// size at which the one before was retired, the last without end.
type KeyChain struct {
	keys []chainKey
}

type chainKey struct {
	v        note.Verifier
	vkey     string
	from, to int64 // checkpoint sizes it may sign: from ≤ size ≤ to (to < 0: no end)
}

// NewKeyChain checks that history links up, oldest first, and ends at
// current: each transition's old key is the previous one's new key.
func NewKeyChain(current string, history []*Transition) (*KeyChain, error) {
	c := &KeyChain{}
	add := func(vkey string, from, to int64) error {
		v, err := note.NewVerifier(vkey)
		if err != nil {
			return &paradero.Error{Code: paradero.EINVALID, Message: "malformed verifier key", Err: err}
		}
		c.keys = append(c.keys, chainKey{v: v, vkey: vkey, from: from, to: to})
		return nil
	}
	var from int64
	for i, t := range history {
		if i > 0 && t.Old != history[i-1].New {
			return nil, paradero.Errorf(paradero.ETAMPERED, "key transition %d does not start from the key transition %d ended with", i+1, i)
		}
		if t.Size < from {
			return nil, paradero.Errorf(paradero.ETAMPERED, "key transition %d retires a key at size %d, before it began at %d", i+1, t.Size, from)
		}
		if err := add(t.Old, from, t.Size); err != nil {
			return nil, err
		}
		from = t.Size
	}
	if len(history) > 0 && history[len(history)-1].New != current {
		return nil, paradero.Errorf(paradero.ETAMPERED, "the key history ends at another key than the current one (%s)", current)
	}
	if err := add(current, from, -1); err != nil {
		return nil, err
	}
	return c, nil
}

// Current is the encoded key that signs new checkpoints.
func (c *KeyChain) Current() string { return c.keys[len(c.keys)-1].vkey }

// Has reports whether vkey is one of the chain's keys.
func (c *KeyChain) Has(vkey string) bool {
	for _, k := range c.keys {
		if k.vkey == vkey {
			return true
		}
	}
	return false
}

// OpenCheckpoint checks a signed checkpoint against the key of the chain
// that may sign a tree of its size, and parses it. A checkpoint signed by
// a retired key for a tree larger than the one it was retired at is
// refused (ETAMPERED).
func (c *KeyChain) OpenCheckpoint(msg []byte) (*ParsedCheckpoint, error) {
	var first error
	for i := len(c.keys) - 1; i >= 0; i-- {
		k := c.keys[i]
		p, err := OpenCheckpoint(msg, k.v)
		if err != nil {
			if first == nil {
				first = err
			}
			continue
		}
		if p.Size < k.from || (k.to >= 0 && p.Size > k.to) {
			return nil, paradero.Errorf(paradero.ETAMPERED,
				"checkpoint of size %d is signed by a key that signs only sizes %s: it was retired, or not yet in use", p.Size, k.sizes())
		}
		return p, nil
	}
	return nil, first
}

func (k chainKey) sizes() string {
	if k.to < 0 {
		return fmt.Sprintf("from %d", k.from)
	}
	return fmt.Sprintf("%d to %d", k.from, k.to)
}

// verifierAt returns the key that signs at ledger index idx (an entry of
// that index is first covered by a checkpoint of size idx+1).
func (c *KeyChain) verifierAt(idx int64) note.Verifier {
	for _, k := range c.keys {
		if k.to < 0 || idx < k.to {
			return k.v
		}
	}
	return c.keys[len(c.keys)-1].v
}

// readKeyHistory reads and checks dir's key history; none is an empty one.
func readKeyHistory(dir string) ([]*Transition, error) {
	b, err := os.ReadFile(filepath.Join(dir, KeyHistoryFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ledger: read key history: %w", err)
	}
	return ParseKeyHistory(b)
}

// ParseKeyHistory parses a key history file (a JSON array of signed
// transitions) and checks every signature.
func ParseKeyHistory(b []byte) ([]*Transition, error) {
	var notes []string
	if err := json.Unmarshal(b, &notes); err != nil {
		return nil, &paradero.Error{Code: paradero.EINVALID, Message: KeyHistoryFile + " is not a JSON array of signed notes", Err: err}
	}
	out := make([]*Transition, len(notes))
	for i, n := range notes {
		t, err := OpenTransition([]byte(n))
		if err != nil {
			return nil, fmt.Errorf("ledger: key transition %d: %w", i+1, err)
		}
		out[i] = t
	}
	return out, nil
}

// HistoryNotes returns the signed notes of the key's history, oldest first.
func (k *Key) HistoryNotes() []string {
	out := make([]string, len(k.History))
	for i, t := range k.History {
		out[i] = string(t.Note)
	}
	return out
}

// RotateKey retires the log's signing key: it signs a checkpoint of the
// current tree with the old key, makes a new key of the same name, records
// the transition signed by both in dir's key history, and puts the new key
// in place of the old, whose private half is deleted. Checkpoints and
// redactions signed before stay valid; the old key signs nothing more.
//
// A crash at any point leaves either the old key in place with no trace of
// the rotation, or a finished one: LoadOrCreateKey completes a rotation
// whose transition was written but whose new key was not yet moved in.
func (l *Log) RotateKey(ctx context.Context, dir string) (*Transition, error) {
	old := l.key
	if !old.CanSign() {
		return nil, &paradero.Error{Code: paradero.EUNAVAILABLE, Message: "cannot rotate the signing key", Err: ErrCannotSign}
	}
	cp, err := l.Checkpoint(ctx)
	if err != nil {
		return nil, err
	}
	skey, vkey, err := note.GenerateKey(rand.Reader, old.Origin())
	if err != nil {
		return nil, fmt.Errorf("ledger: generate key: %w", err)
	}
	next, err := ParseKey(skey)
	if err != nil {
		return nil, err
	}
	msg, err := note.Sign(&note.Note{Text: formatTransition(old.Origin(), old.VKey, vkey, cp.Size, cp.Hash)}, old.Signer, next.Signer)
	if err != nil {
		return nil, fmt.Errorf("ledger: sign key transition: %w", err)
	}
	t, err := OpenTransition(msg)
	if err != nil {
		return nil, err
	}
	history := append(append([]*Transition{}, old.History...), t)
	if next.Chain, err = NewKeyChain(vkey, history); err != nil {
		return nil, err
	}
	next.History = history

	// The new key first, then the history that names it: until the
	// history is written the rotation has not happened.
	pending := filepath.Join(dir, pendingKeyFile)
	os.Remove(pending)
	if err := writeFileSync(pending, []byte(skey+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("ledger: write new signing key: %w", err)
	}
	hist, err := json.MarshalIndent(next.HistoryNotes(), "", "  ")
	if err != nil {
		return nil, err
	}
	if err := replaceFile(dir, KeyHistoryFile, append(hist, '\n'), 0o644); err != nil {
		os.Remove(pending)
		return nil, fmt.Errorf("ledger: write key history: %w", err)
	}
	if err := finishRotation(dir, next); err != nil {
		return nil, err
	}
	l.key = next
	return t, nil
}

// finishRotation moves the pending key into place and writes its public
// half.
func finishRotation(dir string, next *Key) error {
	if err := replaceFile(dir, VerifierKeyFile, []byte(next.VKey+"\n"), 0o644); err != nil {
		return fmt.Errorf("ledger: write public key: %w", err)
	}
	if err := os.Rename(filepath.Join(dir, pendingKeyFile), filepath.Join(dir, SignerKeyFile)); err != nil {
		return fmt.Errorf("ledger: put the new signing key in place: %w", err)
	}
	return syncDir(dir)
}

// replaceFile writes name in dir atomically: a synced temporary file
// renamed over it, and the directory synced.
func replaceFile(dir, name string, data []byte, mode os.FileMode) error {
	tmp := filepath.Join(dir, name+".tmp")
	os.Remove(tmp)
	if err := writeFileSync(tmp, data, mode); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

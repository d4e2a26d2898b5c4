package ledger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/paradero/paradero"
	"golang.org/x/mod/sumdb/tlog"
)

// ProofFormat names the proof file format, documented in docs/ledger.md.
const ProofFormat = "paradero-proof/1"

// Proof is a self-contained, offline-checkable proof that one entry is in
// the ledger as of a signed checkpoint. Hashes are lower-case hex.
type Proof struct {
	Format      string        `json:"format"`
	Origin      string        `json:"origin"`
	VerifierKey string        `json:"verifier_key"`
	Index       int64         `json:"index"`
	Leaf        string        `json:"leaf"` // the leaf bytes (UTF-8 text)
	TreeSize    int64         `json:"tree_size"`
	Inclusion   []string      `json:"inclusion"`  // RFC 9162 §2.1.3 audit path, leaf to root
	Checkpoint  string        `json:"checkpoint"` // the signed note
	Consistency []Consistency `json:"consistency,omitempty"`
	// KeyHistory is the log's key transitions, oldest first, each signed
	// by the key it retired and the key that followed (docs/ledger.md):
	// with it, a verifier that trusts an earlier key of the log can check
	// a checkpoint signed by a later one.
	KeyHistory []string `json:"key_history,omitempty"`
}

// Consistency proves that the tree of TreeSize extends an earlier tree
// (RFC 9162 §2.1.4), so a verifier that remembers that earlier checkpoint
// can move on to this one.
type Consistency struct {
	FromSize int64    `json:"from_size"`
	FromHash string   `json:"from_hash"`
	Proof    []string `json:"proof"`
}

// MaxConsistencyProofs bounds how many earlier checkpoints a proof file
// carries consistency proofs from, by default: the most recent ones.
const MaxConsistencyProofs = 64

// Prove returns the proof that entry index is in the ledger, against the
// latest checkpoint (signing one if the tree grew), with consistency proofs
// from the most recent earlier checkpoints and from each of fromSizes.
func (l *Log) Prove(ctx context.Context, index int64, fromSizes ...int64) (*Proof, error) {
	cp, err := l.Checkpoint(ctx)
	if err != nil {
		return nil, err
	}
	if index < 0 || index >= cp.Size {
		return nil, paradero.Errorf(paradero.ENOTFOUND, "ledger entry %d not found (the ledger has %d)", index, cp.Size)
	}
	e, err := l.store.FindEntry(ctx, index)
	if err != nil {
		return nil, err
	}
	r := l.hashReader(ctx)
	incl, err := tlog.ProveRecord(cp.Size, index, r)
	if err != nil {
		return nil, fmt.Errorf("ledger: inclusion proof: %w", err)
	}
	p := &Proof{
		Format: ProofFormat, Origin: l.key.Origin(), VerifierKey: l.key.VKey,
		Index: index, Leaf: string(e.Leaf), TreeSize: cp.Size,
		Inclusion: hexHashes(incl), Checkpoint: string(cp.Note), KeyHistory: l.key.HistoryNotes(),
	}
	all, err := l.store.FindCheckpoints(ctx)
	if err != nil {
		return nil, err
	}
	byHash := make(map[int64]paradero.Hash)
	var sizes []int64
	for i, c := range all {
		byHash[c.Size] = c.Hash
		if c.Size > 0 && c.Size < cp.Size && i >= len(all)-1-MaxConsistencyProofs {
			sizes = append(sizes, c.Size)
		}
	}
	for _, n := range fromSizes {
		if n <= 0 || n >= cp.Size {
			continue
		}
		if _, ok := byHash[n]; !ok {
			h, err := tlog.TreeHash(n, r)
			if err != nil {
				return nil, err
			}
			byHash[n] = paradero.Hash(h)
		}
		sizes = append(sizes, n)
	}
	seen := make(map[int64]bool)
	for _, n := range sizes {
		if seen[n] {
			continue
		}
		seen[n] = true
		tp, err := tlog.ProveTree(cp.Size, n, r)
		if err != nil {
			return nil, fmt.Errorf("ledger: consistency proof from %d: %w", n, err)
		}
		h := byHash[n]
		p.Consistency = append(p.Consistency, Consistency{FromSize: n, FromHash: h.String(), Proof: hexHashes(tp)})
	}
	return p, nil
}

func hexHashes(hs []tlog.Hash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = paradero.Hash(h).String()
	}
	return out
}

func parseHashes(ss []string) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(ss))
	for i, s := range ss {
		h, err := paradero.ParseHash(s)
		if err != nil {
			return nil, err
		}
		out[i] = tlog.Hash(h)
	}
	return out, nil
}

// ErrFork is matched (errors.Is) by a *ForkError.
var ErrFork = errors.New("ledger: fork detected")

// ForkError reports two signed checkpoints of one log that cannot both be
// true: the evidence that the log was rewritten.
type ForkError struct {
	Seen, Given []byte // the two signed checkpoints
	Reason      string
}

func (e *ForkError) Error() string {
	return fmt.Sprintf("FORK: %s\n--- checkpoint seen before ---\n%s--- checkpoint now given ---\n%s", e.Reason, e.Seen, e.Given)
}

func (e *ForkError) Is(target error) bool { return target == ErrFork }

// Witness remembers, per log, the trusted key and the largest checkpoint it
// has seen, in a directory of small files, and checks every new checkpoint
// against them.
type Witness struct {
	Dir string
}

func (w *Witness) path(origin string) string {
	safe := strings.NewReplacer("/", "_", "\\", "_", ":", "_", "..", "_").Replace(origin)
	return filepath.Join(w.Dir, safe+".checkpoint")
}

// Seen returns the remembered checkpoint of origin, or nil.
func (w *Witness) Seen(origin string) ([]byte, error) {
	b, err := os.ReadFile(w.path(origin))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return b, err
}

// Accept checks the checkpoint (already verified against v) against the
// remembered one and remembers it if it is newer. A smaller tree is a
// rollback (ETAMPERED); a checkpoint of the same size with another root, or
// a larger one whose consistency proof from the remembered one fails, is a
// *ForkError; a larger one with no consistency proof from the remembered
// size is EINVALID.
func (w *Witness) Accept(c *ParsedCheckpoint, keys *KeyChain, consistency []Consistency) error {
	seenMsg, err := w.Seen(c.Origin)
	if err != nil {
		return err
	}
	if seenMsg != nil {
		seen, err := keys.OpenCheckpoint(seenMsg)
		if err != nil {
			return fmt.Errorf("the remembered checkpoint of %s does not verify with this key (was the key changed?): %w", c.Origin, err)
		}
		switch {
		case c.Size < seen.Size:
			return &paradero.Error{Code: paradero.ETAMPERED, Message: fmt.Sprintf(
				"rollback: this checkpoint has %d entries, but one with %d entries was seen before", c.Size, seen.Size)}
		case c.Size == seen.Size:
			if c.Hash != seen.Hash {
				return &ForkError{Seen: seenMsg, Given: c.Note, Reason: fmt.Sprintf("two signed checkpoints of size %d with different roots", c.Size)}
			}
			return nil
		}
		var proof *Consistency
		for i := range consistency {
			if consistency[i].FromSize == seen.Size {
				proof = &consistency[i]
			}
		}
		if proof == nil {
			return paradero.Errorf(paradero.EINVALID,
				"no consistency proof from the checkpoint of size %d seen before; ask the publisher for `paradero prove ENTRY --from %d`", seen.Size, seen.Size)
		}
		tp, err := parseHashes(proof.Proof)
		if err != nil {
			return err
		}
		if err := tlog.CheckTree(tp, c.Size, tlog.Hash(c.Hash), seen.Size, tlog.Hash(seen.Hash)); err != nil {
			return &ForkError{Seen: seenMsg, Given: c.Note, Reason: fmt.Sprintf("the tree of size %d does not extend the tree of size %d seen before", c.Size, seen.Size)}
		}
	}
	if err := os.MkdirAll(w.Dir, 0o700); err != nil {
		return err
	}
	tmp := w.path(c.Origin) + ".tmp"
	if err := os.WriteFile(tmp, c.Note, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, w.path(c.Origin))
}

// VerifyProof checks p offline: the checkpoint's signature with vkey (the
// key inside p when vkey is ""), or with another key of the log that the
// proof's key history links vkey to; the leaf's inclusion under the signed
// root and, when w is not nil, the checkpoint against what w remembers. It
// returns the verified checkpoint.
func VerifyProof(p *Proof, vkey string, w *Witness) (*ParsedCheckpoint, error) {
	if p.Format != ProofFormat {
		return nil, paradero.Errorf(paradero.EINVALID, "not a %s file (format %q)", ProofFormat, p.Format)
	}
	history := make([]*Transition, len(p.KeyHistory))
	for i, n := range p.KeyHistory {
		t, err := OpenTransition([]byte(n))
		if err != nil {
			return nil, fmt.Errorf("key transition %d: %w", i+1, err)
		}
		history[i] = t
	}
	keys, err := NewKeyChain(p.VerifierKey, history)
	if err != nil {
		return nil, err
	}
	// A key given by the caller must be one of the log's keys; its key
	// history, signed by each key it names, leads from it to the others.
	if vkey != "" && !keys.Has(vkey) {
		return nil, paradero.Errorf(paradero.ETAMPERED, "the proof is not signed by the key given, nor by a key that key handed over to")
	}
	cp, err := keys.OpenCheckpoint([]byte(p.Checkpoint))
	if err != nil {
		return nil, err
	}
	if cp.Size != p.TreeSize {
		return nil, paradero.Errorf(paradero.ETAMPERED, "the proof is for a tree of %d entries, its checkpoint says %d", p.TreeSize, cp.Size)
	}
	incl, err := parseHashes(p.Inclusion)
	if err != nil {
		return nil, err
	}
	if err := tlog.CheckRecord(incl, cp.Size, tlog.Hash(cp.Hash), p.Index, tlog.RecordHash([]byte(p.Leaf))); err != nil {
		return nil, &paradero.Error{Code: paradero.ETAMPERED, Message: fmt.Sprintf("entry %d is not in the signed tree: the inclusion proof fails", p.Index), Err: err}
	}
	for _, c := range p.Consistency {
		h, err := paradero.ParseHash(c.FromHash)
		if err != nil {
			return nil, err
		}
		tp, err := parseHashes(c.Proof)
		if err != nil {
			return nil, err
		}
		if err := tlog.CheckTree(tp, cp.Size, tlog.Hash(cp.Hash), c.FromSize, tlog.Hash(h)); err != nil {
			return nil, paradero.Errorf(paradero.ETAMPERED, "the consistency proof from size %d fails", c.FromSize)
		}
	}
	if w != nil {
		if err := w.Accept(cp, keys, p.Consistency); err != nil {
			return nil, err
		}
	}
	return cp, nil
}

// ReadProof parses a proof file.
func ReadProof(b []byte) (*Proof, error) {
	var p Proof
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, &paradero.Error{Code: paradero.EINVALID, Message: "not a proof file", Err: err}
	}
	return &p, nil
}

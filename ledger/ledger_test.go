package ledger

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paradero/paradero"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func TestKeyIsStableAndPublished(t *testing.T) {
	dir := t.TempDir()
	k1, err := LoadOrCreateKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := LoadOrCreateKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	if k1.VKey != k2.VKey || !strings.HasPrefix(k1.Origin(), "paradero/") {
		t.Fatalf("reloaded key %q differs from %q", k2.VKey, k1.VKey)
	}
	pub, err := os.ReadFile(filepath.Join(dir, VerifierKeyFile))
	if err != nil || strings.TrimSpace(string(pub)) != k1.VKey {
		t.Errorf("ledger.pub = %q, %v; want the verifier key %q", pub, err, k1.VKey)
	}
	st, err := os.Stat(filepath.Join(dir, SignerKeyFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("ledger.key mode = %v, %v; want 0600", st.Mode().Perm(), err)
	}
	// The derived verifier key checks what the signer signs.
	msg, err := note.Sign(&note.Note{Text: FormatCheckpoint(k1.Origin(), 3, paradero.Hash{1})}, k1.Signer)
	if err != nil {
		t.Fatal(err)
	}
	c, err := OpenCheckpoint(msg, k2.Verifier)
	if err != nil || c.Size != 3 || c.Hash != (paradero.Hash{1}) {
		t.Fatalf("OpenCheckpoint = %+v, %v", c, err)
	}
	other, _ := LoadOrCreateKey(t.TempDir())
	if _, err := OpenCheckpoint(msg, other.Verifier); paradero.ErrorCode(err) != paradero.ETAMPERED {
		t.Errorf("OpenCheckpoint with another key = %v, want ETAMPERED", err)
	}
}

// tree builds a checkpoint and hashes for leaves, without a store.
func tree(t *testing.T, k *Key, leaves ...string) (*ParsedCheckpoint, tlog.HashReader) {
	t.Helper()
	var hashes []tlog.Hash
	for i, l := range leaves {
		hs, err := tlog.StoredHashes(int64(i), []byte(l), tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
			out := make([]tlog.Hash, len(idx))
			for j, x := range idx {
				out[j] = hashes[x]
			}
			return out, nil
		}))
		if err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, hs...)
	}
	r := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for j, x := range idx {
			out[j] = hashes[x]
		}
		return out, nil
	})
	root, err := tlog.TreeHash(int64(len(leaves)), r)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := note.Sign(&note.Note{Text: FormatCheckpoint(k.Origin(), int64(len(leaves)), paradero.Hash(root))}, k.Signer)
	if err != nil {
		t.Fatal(err)
	}
	return &ParsedCheckpoint{Origin: k.Origin(), Size: int64(len(leaves)), Hash: paradero.Hash(root), Note: msg}, r
}

func TestWitness(t *testing.T) {
	k, _ := LoadOrCreateKey(t.TempDir())
	w := &Witness{Dir: t.TempDir()}
	small, _ := tree(t, k, "a", "b")
	big, r := tree(t, k, "a", "b", "c")
	forked, _ := tree(t, k, "a", "x", "c")

	if err := w.Accept(small, k.Chain, nil); err != nil {
		t.Fatalf("first checkpoint: %v", err)
	}
	if err := w.Accept(big, k.Chain, nil); paradero.ErrorCode(err) != paradero.EINVALID {
		t.Errorf("a larger tree without a consistency proof: %v, want EINVALID", err)
	}
	proof, err := tlog.ProveTree(3, 2, r)
	if err != nil {
		t.Fatal(err)
	}
	cons := []Consistency{{FromSize: 2, FromHash: small.Hash.String(), Proof: hexHashes(proof)}}
	if err := w.Accept(big, k.Chain, cons); err != nil {
		t.Fatalf("a consistent larger tree: %v", err)
	}
	if err := w.Accept(small, k.Chain, nil); paradero.ErrorCode(err) != paradero.ETAMPERED || !strings.Contains(err.Error(), "rollback") {
		t.Errorf("the smaller tree again: %v, want a rollback", err)
	}
	err = w.Accept(forked, k.Chain, nil)
	var fork *ForkError
	if !errors.As(err, &fork) || !errors.Is(err, ErrFork) || string(fork.Seen) != string(big.Note) || string(fork.Given) != string(forked.Note) {
		t.Fatalf("same size, other root: %v, want a ForkError with both checkpoints", err)
	}
}

// TestRestoredWithoutSigningKey: a data directory with ledger.pub but no
// ledger.key verifies but does not make a new key nor sign.
func TestRestoredWithoutSigningKey(t *testing.T) {
	dir := t.TempDir()
	k, err := LoadOrCreateKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, SignerKeyFile)); err != nil {
		t.Fatal(err)
	}
	pub, err := LoadOrCreateKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	if pub.CanSign() || pub.VKey != k.VKey || pub.Origin() != k.Origin() {
		t.Fatalf("LoadOrCreateKey with only ledger.pub = %+v, want the same public key and no signer", pub)
	}
	if _, err := os.Stat(filepath.Join(dir, SignerKeyFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a new signing key was made beside the old public key")
	}
	x := &paradero.Redaction{}
	if err := New(nil, pub).SignRedaction(x, paradero.Hash{}); !errors.Is(err, ErrCannotSign) {
		t.Errorf("SignRedaction without a signing key = %v, want ErrCannotSign", err)
	}
}

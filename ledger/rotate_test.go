package ledger_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/ledger"
	"github.com/paradero/paradero/sqlite"
	"golang.org/x/mod/sumdb/note"
)

// rotationWorld is a store with its ledger, in one data directory.
type rotationWorld struct {
	t     *testing.T
	ctx   context.Context
	dir   string
	store *sqlite.DB
	log   *ledger.Log
	n     int
}

func newRotationWorld(t *testing.T) *rotationWorld {
	ctx := paradero.NewContextWithActor(t.Context(), paradero.Actor{Name: "test:admin", Role: paradero.RoleAdmin})
	dir := t.TempDir()
	s, err := sqlite.Open(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	key, err := ledger.LoadOrCreateKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	return &rotationWorld{t: t, ctx: ctx, dir: dir, store: s, log: ledger.New(s, key)}
}

// importList imports a list of three records and returns them.
func (w *rotationWorld) importList() []*paradero.Record {
	w.t.Helper()
	w.n++
	im, err := w.store.BeginImport(w.ctx, &paradero.Source{Kind: paradero.KindRoster, Title: "Lista",
		Filename: "lista.csv", MediaType: "text/csv"}, strings.NewReader(fmt.Sprintf("lista %d", w.n)))
	if err != nil {
		w.t.Fatal(err)
	}
	defer im.Rollback()
	for i := range 3 {
		if err := im.AddRecord(w.ctx, &paradero.Record{Row: i + 2, FullName: fmt.Sprintf("Persona %d-%d", w.n, i)}); err != nil {
			w.t.Fatal(err)
		}
	}
	src, err := im.Commit(w.ctx)
	if err != nil {
		w.t.Fatal(err)
	}
	recs, _, err := w.store.FindRecords(w.ctx, paradero.RecordFilter{SourceID: src.ID})
	if err != nil {
		w.t.Fatal(err)
	}
	return recs
}

func (w *rotationWorld) redact(r *paradero.Record) {
	w.t.Helper()
	x := &paradero.Redaction{RecordID: r.ID, Reason: "protege a un testigo", CreatedBy: "test:admin",
		Salt: make([]byte, 32), CreatedAt: paradero.Timestamp(r.CreatedAt.Add(1e9))}
	x.Commitment = paradero.Commit(x.Salt, paradero.RedactionContent(x.Reason, x.CreatedBy))
	if err := w.log.SignRedaction(x, r.Commitment); err != nil {
		w.t.Fatal(err)
	}
	if err := w.store.RedactRecord(w.ctx, x); err != nil {
		w.t.Fatal(err)
	}
}

func (w *rotationWorld) verify(log *ledger.Log, extra ...[]byte) *ledger.Report {
	w.t.Helper()
	rep, err := log.Verify(w.ctx, ledger.VerifyOptions{Extra: extra})
	if err != nil {
		w.t.Fatal(err)
	}
	return rep
}

// TestRotateKey retires the signing key in the middle of a ledger's life:
// everything signed before and after verifies, from the data directory
// read afresh too; a proof of a later entry checks out for someone who
// trusts only the old public key and remembers an old checkpoint; and the
// old key, stolen, cannot sign a larger tree.
func TestRotateKey(t *testing.T) {
	w := newRotationWorld(t)
	before := w.importList()
	w.redact(before[0])
	oldKey := w.log.Key()
	oldCP, err := w.log.Checkpoint(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	earlyProof, err := w.log.Prove(w.ctx, before[1].LedgerIndex)
	if err != nil {
		t.Fatal(err)
	}

	tr, err := w.log.RotateKey(w.ctx, w.dir)
	if err != nil {
		t.Fatal(err)
	}
	newKey := w.log.Key()
	if tr.Old != oldKey.VKey || tr.New != newKey.VKey || newKey.VKey == oldKey.VKey || newKey.Origin() != oldKey.Origin() {
		t.Fatalf("transition %q → %q; keys %q → %q (origin %s → %s)", tr.Old, tr.New, oldKey.VKey, newKey.VKey, oldKey.Origin(), newKey.Origin())
	}
	if tr.Size != oldCP.Size {
		t.Errorf("the old key was retired at size %d, want %d", tr.Size, oldCP.Size)
	}
	for _, f := range []string{ledger.SignerKeyFile, ledger.VerifierKeyFile} {
		b, err := os.ReadFile(filepath.Join(w.dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), strings.SplitN(oldKey.VKey, "+", 3)[2]) {
			t.Errorf("%s still holds the old key", f)
		}
	}
	if _, err := os.Stat(filepath.Join(w.dir, "ledger.key.new")); !os.IsNotExist(err) {
		t.Errorf("the pending key file is still there: %v", err)
	}

	after := w.importList()
	w.redact(after[2])
	newCP, err := w.log.Checkpoint(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ledger.OpenCheckpoint(newCP.Note, newKey.Verifier); err != nil {
		t.Fatalf("the checkpoint after the rotation is not signed by the new key: %v", err)
	}
	if rep := w.verify(w.log, oldCP.Note); !rep.OK() {
		t.Fatalf("verify after the rotation: %v", rep.Problems)
	}

	// The data directory read afresh, as the next command would.
	reloaded, err := ledger.LoadOrCreateKey(w.dir)
	if err != nil {
		t.Fatal(err)
	}
	if reloaded.VKey != newKey.VKey || len(reloaded.History) != 1 {
		t.Fatalf("reloaded key %s with %d transitions, want the new key and one", reloaded.VKey, len(reloaded.History))
	}
	if rep := w.verify(ledger.New(w.store, reloaded)); !rep.OK() || rep.Entries != newCP.Size {
		t.Fatalf("verify with the reloaded key: %d entries, %v", rep.Entries, rep.Problems)
	}

	// Someone who trusts only the old public key, and remembers the old
	// checkpoint, checks a proof of an entry added after the rotation.
	witness := &ledger.Witness{Dir: t.TempDir()}
	if _, err := ledger.VerifyProof(earlyProof, oldKey.VKey, witness); err != nil {
		t.Fatalf("a proof from before the rotation: %v", err)
	}
	lateProof, err := w.log.Prove(w.ctx, after[0].LedgerIndex, oldCP.Size)
	if err != nil {
		t.Fatal(err)
	}
	if len(lateProof.KeyHistory) != 1 {
		t.Fatalf("the proof carries %d key transitions, want 1", len(lateProof.KeyHistory))
	}
	if cp, err := ledger.VerifyProof(lateProof, oldKey.VKey, witness); err != nil || cp.Size != newCP.Size {
		t.Fatalf("a proof after the rotation, trusting the old key: %v, %v", cp, err)
	}
	stripped := *lateProof
	stripped.KeyHistory = nil
	if _, err := ledger.VerifyProof(&stripped, oldKey.VKey, nil); paradero.ErrorCode(err) != paradero.ETAMPERED {
		t.Errorf("a proof without its key history, trusting the old key: %v, want ETAMPERED", err)
	}

	// The old key, stolen, signs a larger tree: refused by the store's
	// verify, by proofs and by the chain.
	forged, err := note.Sign(&note.Note{Text: ledger.FormatCheckpoint(oldKey.Origin(), newCP.Size, newCP.Hash)}, oldKey.Signer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newKey.Chain.OpenCheckpoint(forged); paradero.ErrorCode(err) != paradero.ETAMPERED || !strings.Contains(err.Error(), "retired") {
		t.Errorf("a checkpoint the retired key signed for a larger tree: %v, want ETAMPERED naming the retirement", err)
	}
	if rep := w.verify(w.log, forged); rep.OK() {
		t.Error("verify accepted a checkpoint the retired key signed for a larger tree")
	}
	forgedProof := *lateProof
	forgedProof.Checkpoint = string(forged)
	if _, err := ledger.VerifyProof(&forgedProof, oldKey.VKey, nil); err == nil {
		t.Error("a proof against a checkpoint the retired key signed after its retirement was accepted")
	}
}

// TestRotateKeyCrash leaves the data directory as a crash would at each
// step of a rotation: before the hand-over is written the old key stays;
// after, the next start finishes the rotation.
func TestRotateKeyCrash(t *testing.T) {
	w := newRotationWorld(t)
	w.importList()
	old := w.log.Key()
	saved := t.TempDir()
	copyKeys := func(from, to string) {
		t.Helper()
		for _, f := range []string{ledger.SignerKeyFile, ledger.VerifierKeyFile, ledger.KeyHistoryFile, "ledger.key.new"} {
			os.Remove(filepath.Join(to, f))
			if b, err := os.ReadFile(filepath.Join(from, f)); err == nil {
				if err := os.WriteFile(filepath.Join(to, f), b, 0o600); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	copyKeys(w.dir, saved)
	if _, err := w.log.RotateKey(w.ctx, w.dir); err != nil {
		t.Fatal(err)
	}
	rotated := t.TempDir()
	copyKeys(w.dir, rotated)
	newSigner, err := os.ReadFile(filepath.Join(rotated, ledger.SignerKeyFile))
	if err != nil {
		t.Fatal(err)
	}

	// Crash 1: the new key written, the hand-over not.
	dir := t.TempDir()
	copyKeys(saved, dir)
	if err := os.WriteFile(filepath.Join(dir, "ledger.key.new"), newSigner, 0o600); err != nil {
		t.Fatal(err)
	}
	k, err := ledger.LoadOrCreateKey(dir)
	if err != nil || k.VKey != old.VKey || len(k.History) != 0 {
		t.Fatalf("after a crash before the hand-over: %v, %v; want the old key, no history", k, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "ledger.key.new")); !os.IsNotExist(err) {
		t.Errorf("the unfinished rotation's key was left behind")
	}

	// Crash 2: the hand-over written, the new key not yet moved in.
	dir = t.TempDir()
	copyKeys(saved, dir)
	hist, err := os.ReadFile(filepath.Join(rotated, ledger.KeyHistoryFile))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, ledger.KeyHistoryFile), hist, 0o644)
	os.WriteFile(filepath.Join(dir, "ledger.key.new"), newSigner, 0o600)
	k, err = ledger.LoadOrCreateKey(dir)
	if err != nil || k.VKey == old.VKey || !k.CanSign() || len(k.History) != 1 {
		t.Fatalf("after a crash after the hand-over: %v, %v; want the new key with its history", k, err)
	}
	if rep := w.verify(ledger.New(w.store, k)); !rep.OK() {
		t.Fatalf("verify with the key the restart finished: %v", rep.Problems)
	}

	// A history whose signature was altered is refused.
	bad := strings.Replace(string(hist), "paradero key transition", "paradero key transitiom", 1)
	os.WriteFile(filepath.Join(dir, ledger.KeyHistoryFile), []byte(bad), 0o644)
	if _, err := ledger.LoadOrCreateKey(dir); err == nil {
		t.Error("a key history with an altered transition was accepted")
	}
}

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"filippo.io/age"
	"github.com/paradero/paradero/ledger"
)

// ageKeys makes a fresh age key pair and writes the identity to a file.
func ageKeys(t *testing.T) (recipient, identityFile string) {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return id.Recipient().String(), writeFile(t, "backup.agekey", id.String()+"\n")
}

// filledStore imports two sources, redacts a record, and returns the CLI
// and a checkpoint taken afterwards.
func filledStore(t *testing.T) (c *cli, checkpoint string) {
	t.Helper()
	c = newCLI(t)
	c.ok("import", "--kind", "roster", "--published", "2025-03-20", writeFile(t, "lista.csv", roster))
	c.ok("import", "--kind", "news", writeFile(t, "prensa.csv", "nombre,edad\nAnderson Zambrano,23\nFrancisco García,31\n"))
	c.ok("redact", "--reason", "protección de la familia", "2")
	checkpoint = filepath.Join(t.TempDir(), "before.checkpoint")
	c.ok("checkpoint", "--out", checkpoint)
	return c, checkpoint
}

func TestBackupRestoreVerify(t *testing.T) {
	c, cp := filledStore(t)
	recip, idFile := ageKeys(t)
	before := c.status()
	backup := filepath.Join(t.TempDir(), "store.age")
	out := c.ok("backup", "--to", backup, "--recipient", recip)
	if !strings.Contains(out, "not in this backup") {
		t.Errorf("backup output %q does not say the signing key was left out", out)
	}

	r := &cli{t: t, data: filepath.Join(t.TempDir(), "restored")}
	out = r.ok("restore", "--identity", idFile, backup)
	if !strings.Contains(out, "Ledger intact") || !strings.Contains(out, "copy ledger.key") {
		t.Errorf("restore output %q: want the verification and the reminder to copy ledger.key", out)
	}
	if _, err := os.Stat(filepath.Join(r.data, ledger.SignerKeyFile)); !os.IsNotExist(err) {
		t.Fatalf("restored %s without --include-signing-key (stat: %v)", ledger.SignerKeyFile, err)
	}
	// The drill: the signing key comes back from its own backup.
	key, err := os.ReadFile(filepath.Join(c.data, ledger.SignerKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(r.data, ledger.SignerKeyFile), key, 0o600); err != nil {
		t.Fatal(err)
	}
	if out := r.ok("verify", "--checkpoint", cp); !strings.Contains(out, "Ledger intact") {
		t.Errorf("verify of the restored store = %q", out)
	}
	if after := r.status(); after != before {
		t.Errorf("restored status = %+v, want %+v", after, before)
	}
	// The restored store is a working store: it takes imports and signs on.
	r.ok("import", "--kind", "roster", writeFile(t, "otra.csv", "nombre\nLuis Rivas\n"))
	r.ok("verify", "--checkpoint", cp)
}

func TestBackupWithSigningKeyIntoEmptyDir(t *testing.T) {
	c, cp := filledStore(t)
	recip, idFile := ageKeys(t)
	backup := filepath.Join(t.TempDir(), "store.age")
	c.ok("backup", "--to", backup, "--recipient", recip, "--include-signing-key")

	r := &cli{t: t, data: t.TempDir()} // exists, empty
	r.ok("restore", "--identity", idFile, backup)
	for _, f := range []string{ledger.SignerKeyFile, ledger.VerifierKeyFile} {
		want, _ := os.ReadFile(filepath.Join(c.data, f))
		got, err := os.ReadFile(filepath.Join(r.data, f))
		if err != nil || string(got) != string(want) {
			t.Errorf("restored %s = %q (%v), want %q", f, got, err, want)
		}
	}
	if st, err := os.Stat(filepath.Join(r.data, ledger.SignerKeyFile)); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("restored %s: mode %v (%v), want 0600", ledger.SignerKeyFile, st.Mode(), err)
	}
	r.ok("verify", "--checkpoint", cp)
}

// TestBackupWhileImporting backs up while another process-like handle
// imports: the copy is some consistent state, and restores and verifies.
func TestBackupWhileImporting(t *testing.T) {
	c, cp := filledStore(t)
	recip, idFile := ageKeys(t)
	files := make([]string, 4)
	for i := range files {
		files[i] = writeFile(t, fmt.Sprintf("lote%d.csv", i), fmt.Sprintf("nombre,número\nPersona %d,%d\nOtra %d,%d\n", i, i, i, i+100))
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for _, f := range files {
			if code, _, errs := c.run("import", "--kind", "roster", f); code != 0 {
				t.Errorf("import during backup: exit %d: %s", code, errs)
			}
		}
	})
	backup := filepath.Join(t.TempDir(), "store.age")
	c.ok("backup", "--to", backup, "--recipient", recip, "--include-signing-key")
	wg.Wait()
	r := &cli{t: t, data: filepath.Join(t.TempDir(), "restored")}
	r.ok("restore", "--identity", idFile, backup)
	r.ok("verify", "--checkpoint", cp)
}

func TestRestoreRefusesDamage(t *testing.T) {
	c, _ := filledStore(t)
	recip, idFile := ageKeys(t)
	_, otherID := ageKeys(t)
	backup := filepath.Join(t.TempDir(), "store.age")
	c.ok("backup", "--to", backup, "--recipient", recip)
	good, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	variant := func(name string, b []byte) string {
		p := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	flipped := append([]byte(nil), good...)
	flipped[len(flipped)/2] ^= 0x01
	for _, tc := range []struct {
		name, file, identity, want string
	}{
		{"flipped byte", variant("flipped.age", flipped), idFile, "damaged"},
		{"truncated", variant("truncated.age", good[:len(good)-100]), idFile, "damaged"},
		{"cut at a chunk", variant("cut.age", good[:len(good)/2]), idFile, "damaged"},
		{"empty", variant("empty.age", nil), idFile, "not a readable"},
		{"another key", backup, otherID, "none of the identities"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &cli{t: t, data: filepath.Join(t.TempDir(), "restored")}
			code, _, errs := r.run("restore", "--identity", tc.identity, tc.file)
			if code != 1 || !strings.Contains(errs, tc.want) || !strings.Contains(errs, "nothing was written") {
				t.Errorf("restore = exit %d, %q; want exit 1 saying %q and nothing was written", code, errs, tc.want)
			}
			if _, err := os.Stat(r.data); !os.IsNotExist(err) {
				t.Errorf("restore of a bad backup left %s behind (stat: %v)", r.data, err)
			}
			if left, _ := filepath.Glob(filepath.Join(filepath.Dir(r.data), ".*")); len(left) > 0 {
				t.Errorf("restore left temporary files: %v", left)
			}
		})
	}
}

func TestBackupRestoreUsage(t *testing.T) {
	c, _ := filledStore(t)
	recip, idFile := ageKeys(t)
	backup := filepath.Join(t.TempDir(), "store.age")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"backup", "--to", backup}, "at least one --recipient"},
		{[]string{"backup", "--recipient", recip}, "--to FILE"},
		{[]string{"backup", "--to", backup, "--recipient", "age1nonsense"}, "not an age public key"},
		{[]string{"backup", "--to", c.data, "--recipient", recip}, "already exists"},
		{[]string{"restore", "--identity", idFile, backup, "--data", c.data}, "not empty"},
		{[]string{"restore", backup}, "--identity"},
	} {
		code, _, errs := c.run(tc.args...)
		if code != 2 || !strings.Contains(errs, tc.want) {
			t.Errorf("paradero %s = exit %d, %q; want exit 2 saying %q", strings.Join(tc.args, " "), code, errs, tc.want)
		}
	}
	if _, err := os.Stat(backup); !os.IsNotExist(err) {
		t.Errorf("a refused backup wrote %s", backup)
	}
}

// TestRotateKeyThenBackupRestoreProve rotates the ledger key between two
// imports, as an operator would: the store verifies, its backup restores
// and verifies with the key history, and a proof of a later record checks
// out for someone who kept only the old public key.
func TestRotateKeyThenBackupRestoreProve(t *testing.T) {
	c, oldCP := filledStore(t)
	oldPub := filepath.Join(t.TempDir(), "old.pub")
	b, err := os.ReadFile(filepath.Join(c.data, ledger.VerifierKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(oldPub, b, 0o644)

	out := c.ok("checkpoint", "--rotate-key")
	if !strings.Contains(out, "New public key") || !strings.Contains(out, "paradero key transition") {
		t.Errorf("checkpoint --rotate-key printed %q", out)
	}
	c.ok("import", "--kind", "news", writeFile(t, "despues.csv", "nombre,edad\nYorman Salas,29\n"))
	c.ok("verify", "--checkpoint", oldCP)

	proof := filepath.Join(t.TempDir(), "proof.json")
	c.ok("prove", "--out", proof, "record:6")
	c.ok("verify-proof", "--key-file", oldPub, "--forget", proof)
	other := filepath.Join(t.TempDir(), "other.pub")
	os.WriteFile(other, []byte("paradero/0000+12345678+AQ7fKf3Y8z6QpG3m3Ho1H0t9m0Wq7qk3b1H2o3p4q5r6\n"), 0o644)
	if code, _, _ := c.run("verify-proof", "--key-file", other, "--forget", proof); code == 0 {
		t.Error("verify-proof accepted the proof with a key that is not the log's")
	}

	recip, idFile := ageKeys(t)
	backup := filepath.Join(t.TempDir(), "store.age")
	c.ok("backup", "--to", backup, "--recipient", recip)
	r := &cli{t: t, data: filepath.Join(t.TempDir(), "restored")}
	if out := r.ok("restore", "--identity", idFile, backup); !strings.Contains(out, "Ledger intact") {
		t.Errorf("restore after a rotation: %q", out)
	}
	if _, err := os.Stat(filepath.Join(r.data, ledger.KeyHistoryFile)); err != nil {
		t.Errorf("the restored store has no key history: %v", err)
	}
	r.ok("verify", "--checkpoint", oldCP)
}

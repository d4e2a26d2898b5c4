package main

// Path traversal through the command line's file names (issue 7, "Attack
// it"): a file imported under a hostile name leaves nothing of that name
// in the data directory, and the files 'show --file' and 'export --out'
// write go exactly where asked, readable by their owner only, never
// through a link planted where they go.

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paradero/paradero/sqlite"
)

// hostileFileName has a Windows path, quotes, a terminal escape, a
// right-to-left override and a line break: all legal in a Linux name.
const hostileFileName = `..\..\lista "x";` + "\x1b[31m\u202Evsc\n.csv"

func TestImportHostileFileName(t *testing.T) {
	c := newCLI(t)
	dir := t.TempDir()
	sub := filepath.Join(dir, "a", "b")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sub, hostileFileName), []byte(roster), 0o644); err != nil {
		t.Fatal(err)
	}
	c.ok("import", "--kind", "roster", filepath.Join(dir, "a", "..", "a", "b", hostileFileName))

	db, err := sqlite.Open(t.Context(), c.data, nil)
	if err != nil {
		t.Fatal(err)
	}
	src, err := db.FindSourceByID(t.Context(), 1)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if src.Filename != hostileFileName {
		t.Errorf("the source's file name is %q, want the base name %q as given", src.Filename, hostileFileName)
	}
	// Nothing in the data directory, or beside the file, is named after it.
	filepath.WalkDir(c.data, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if rel, _ := filepath.Rel(c.data, p); strings.ContainsAny(rel, "\"\x1b\n\\;") || strings.Contains(rel, "lista") {
			t.Errorf("the data directory holds %q", rel)
		}
		return nil
	})
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "a" {
		t.Errorf("importing wrote beside the file: %v", entries)
	}
}

func TestShowFileWritesWhereAsked(t *testing.T) {
	c := newCLI(t)
	c.ok("import", "--kind", "roster", writeFile(t, "lista.csv", roster))
	dir := t.TempDir()
	out := filepath.Join(dir, "copia.csv")
	c.ok("show", "source:1", "--file", out)
	checkOwnerOnly(t, out, roster)

	// An existing file is not overwritten; a link is not written through.
	victim := filepath.Join(dir, "victima.txt")
	if err := os.WriteFile(victim, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "enlace.csv")
	dangling := filepath.Join(dir, "enlace-roto.csv")
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "nuevo.txt"), dangling); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{victim, link, dangling} {
		if code, _, _ := c.run("show", "source:1", "--file", p); code == 0 {
			t.Errorf("show --file %s over an existing name: exit 0", filepath.Base(p))
		}
	}
	if b, _ := os.ReadFile(victim); string(b) != "mine" {
		t.Errorf("the file behind the link now holds %q", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "nuevo.txt")); err == nil {
		t.Errorf("show --file wrote through a dangling link")
	}
}

func TestExportOutWritesWhereAsked(t *testing.T) {
	c := newCLI(t)
	c.ok("import", "--kind", "roster", writeFile(t, "lista.csv", roster))
	c.ok("link", "--quiet")
	dir := t.TempDir()
	fresh := filepath.Join(dir, "dossier.html")
	c.ok("export", "dossier", "record:1", "--out", fresh)
	want, err := os.ReadFile(fresh)
	if err != nil || !strings.Contains(string(want), "<html") {
		t.Fatalf("the dossier written: %v %.100q", err, want)
	}
	checkOwnerOnly(t, fresh, "")

	// Over a world-readable file: the dossier holds personal data, so
	// the result is the owner's only.
	open := filepath.Join(dir, "abierto.html")
	if err := os.WriteFile(open, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	c.ok("export", "dossier", "record:1", "--out", open)
	checkOwnerOnly(t, open, "")

	// Over a link someone planted: the link is replaced, the file behind
	// it untouched.
	victim := filepath.Join(dir, "victima.txt")
	if err := os.WriteFile(victim, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "enlace.html")
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	c.ok("export", "dossier", "record:1", "--out", link)
	if b, _ := os.ReadFile(victim); string(b) != "mine" {
		t.Errorf("export --out wrote through a link: the file behind it holds %.60q", b)
	}
	if fi, err := os.Lstat(link); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("after export --out over a link: %v %v", fi, err)
	}
	checkOwnerOnly(t, link, "")

	// Into a directory that does not exist: an error, nothing made.
	if code, _, _ := c.run("export", "dossier", "record:1", "--out", filepath.Join(dir, "no", "hay", "x.html")); code == 0 {
		t.Errorf("export --out into a missing directory: exit 0")
	}
	if _, err := os.Stat(filepath.Join(dir, "no")); err == nil {
		t.Errorf("export --out made a directory")
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*")); len(left) > 0 {
		t.Errorf("export --out left %v", left)
	}
}

// checkOwnerOnly fails the test unless path is a regular file that only
// its owner may read, holding want (unless want is empty).
func checkOwnerOnly(t *testing.T, path, want string) {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("%s: mode %v, want a regular file only its owner reads", filepath.Base(path), fi.Mode())
	}
	if want != "" {
		if b, _ := os.ReadFile(path); string(b) != want {
			t.Errorf("%s holds %.80q, want %.80q", filepath.Base(path), b, want)
		}
	}
}

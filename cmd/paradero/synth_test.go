package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSynthCommand(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	c := &synthCommand{stdout: &out, stderr: &errb}
	if err := c.Run(t.Context(), []string{"--persons", "800", "--seed", "3", "--out", dir}); err != nil {
		t.Fatalf("Run: %v; stderr: %s", err, errb.String())
	}
	for _, want := range []string{"sources/leaked_roster.csv", "roster", "800 persons", "truth.csv"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	for _, f := range []string{"truth.csv", "persons.csv", "custody.csv", "errors.csv", "world.json", "sources/return_manifest.csv"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	first, err := os.ReadFile(filepath.Join(dir, "truth.csv"))
	if err != nil {
		t.Fatal(err)
	}

	// A second run refuses the non-empty directory, then with --force
	// writes the same bytes, and --json prints world.json.
	if err := c.Run(t.Context(), []string{"--persons", "800", "--seed", "3", "--out", dir}); err == nil {
		t.Error("Run into a non-empty directory without --force succeeded")
	}
	out.Reset()
	if err := c.Run(t.Context(), []string{"--persons", "800", "--seed", "3", "--out", dir, "--force", "--json"}); err != nil {
		t.Fatal(err)
	}
	again, err := os.ReadFile(filepath.Join(dir, "truth.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, again) {
		t.Error("the same --persons and --seed wrote different truth files")
	}
	var meta struct {
		Persons int `json:"persons"`
		Sources []struct {
			File string `json:"file"`
		} `json:"sources"`
	}
	if err := json.Unmarshal(out.Bytes(), &meta); err != nil || meta.Persons != 800 || len(meta.Sources) == 0 {
		t.Errorf("--json printed %q (%v)", out.String(), err)
	}
}

func TestSynthCommandUsage(t *testing.T) {
	for _, args := range [][]string{
		{}, // no --out
		{"--out", t.TempDir(), "--persons", "0"},
		{"--out", t.TempDir(), "extra"},
		{"--bogus"},
	} {
		var out, errb bytes.Buffer
		c := &synthCommand{stdout: &out, stderr: &errb}
		if err := c.Run(t.Context(), args); err == nil {
			t.Errorf("Run(%q) succeeded", args)
		}
	}
}

package main

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paradero/paradero"
)

// linkTestFiles writes two small lists of invented people.
func linkTestFiles(t *testing.T) (dir string, files []string) {
	t.Helper()
	dir = t.TempDir()
	roster := "rec_id,full_name,birth_date,a_number\n" +
		"r1,JOSE LUIS PEREZ GOMEZ,1990-03-14,A201234567\n" +
		"r2,MARIA FERNANDA QUINTERO ROJAS,1985-11-02,\n" +
		"r3,CARLOS ALBERTO URDANETA PAZ,1979-06-30,209876543\n" +
		"r4,JOSE LUIS PEREZ GOMEZ,1990-03-14,201234567\n"
	family := "rec_id,given_names,surnames,birth_date\n" +
		"f1,Pepe,Pérez Gómez,1990-14-03\n" +
		"f2,María Fernanda,Quintero,1985-11-02\n" +
		"f3,Ana Sofía,Villalobos Marcano,2001-01-09\n"
	for name, body := range map[string]string{"roster.csv": roster, "family.csv": family} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	settings := `{"link_type":"link_and_dedupe","unique_id_column":"rec_id","random_pairs":1000,
 "comparisons":[{"name":"given_name","kind":"given_name"},{"name":"surname","kind":"surname"},
  {"column":"birth_date","kind":"date"},{"column":"a_number","kind":"id"}],
 "blocking":[["phonetic(surname)"],["a_number"]]}`
	if err := os.WriteFile(filepath.Join(dir, "settings.json"), []byte(settings), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, files
}

func linkReadTestCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestLinkCommandFiles(t *testing.T) {
	dir, files := linkTestFiles(t)
	out, pairs := filepath.Join(dir, "clusters.csv"), filepath.Join(dir, "pairs.csv")
	var stdout, stderr bytes.Buffer
	c := &linkCommand{stdout: &stdout, stderr: &stderr}
	args := append([]string{"--settings", filepath.Join(dir, "settings.json"), "--out", out, "--pairs", pairs}, files...)
	if err := c.Run(t.Context(), args); err != nil {
		t.Fatalf("link: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "candidate pairs") {
		t.Errorf("stderr = %q, want the candidate-pair count", stderr.String())
	}
	rows := linkReadTestCSV(t, out)
	if got := strings.Join(rows[0], ","); got != "source,record_id,cluster_id" {
		t.Fatalf("clusters header = %q, want source,record_id,cluster_id", got)
	}
	if len(rows) != 8 {
		t.Fatalf("clusters has %d rows, want 7 records and a header", len(rows))
	}
	cluster := make(map[string]string)
	for _, r := range rows[1:] {
		cluster[r[0]+":"+r[1]] = r[2]
	}
	if cluster["roster.csv:r1"] != cluster["roster.csv:r4"] {
		t.Errorf("r1 and r4 (same name, date and A-number) are in clusters %s and %s", cluster["roster.csv:r1"], cluster["roster.csv:r4"])
	}
	if cluster["roster.csv:r1"] == cluster["roster.csv:r3"] {
		t.Errorf("r1 and r3 (different people) share cluster %s", cluster["roster.csv:r1"])
	}
	prow := linkReadTestCSV(t, pairs)
	if got := strings.Join(prow[0][:7], ","); got != "source_a,record_id_a,source_b,record_id_b,match_weight,match_probability,decision" {
		t.Errorf("pairs header = %q", got)
	}
	if len(prow) < 2 {
		t.Errorf("pairs has no rows")
	}
}

func TestLinkCommandDefaultsAndStdout(t *testing.T) {
	_, files := linkTestFiles(t)
	var stdout, stderr bytes.Buffer
	c := &linkCommand{stdout: &stdout, stderr: &stderr}
	if err := c.Run(t.Context(), append([]string{"--quiet", "--out", "-"}, files...)); err != nil {
		t.Fatalf("link: %v\n%s", err, stderr.String())
	}
	if !strings.HasPrefix(stdout.String(), "source,record_id,cluster_id\n") {
		t.Errorf("stdout = %q, want clusters CSV", stdout.String())
	}
	if stderr.Len() != 0 {
		t.Errorf("--quiet wrote %q to stderr", stderr.String())
	}
}

func TestLinkCommandErrors(t *testing.T) {
	dir, files := linkTestFiles(t)
	out := filepath.Join(dir, "c.csv")
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"link_type":"merge"}`), 0o644)
	for _, tt := range []struct {
		name string
		args []string
		code string
	}{
		{"store mode", []string{"--out", out}, paradero.EUNAVAILABLE},
		{"no --out", files, paradero.EINVALID},
		{"bad settings", append([]string{"--settings", bad, "--out", out}, files...), paradero.EINVALID},
		{"missing file", []string{"--out", out, filepath.Join(dir, "nope.csv")}, paradero.EINVALID},
	} {
		c := &linkCommand{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
		err := c.Run(t.Context(), tt.args)
		if paradero.ErrorCode(err) != tt.code {
			t.Errorf("%s: error %v, want code %s", tt.name, err, tt.code)
		}
	}
}

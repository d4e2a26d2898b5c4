package synth

import (
	"bytes"
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/paradero/paradero"
)

// The default world is generated once and shared by the tests that only
// read it.
var defaultWorld = sync.OnceValues(func() (*World, error) { return Generate(Config{Seed: 7}) })

func testWorld(t *testing.T) *World {
	t.Helper()
	w, err := defaultWorld()
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func parseCSV(t *testing.T, name string, b []byte) []map[string]string {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var rows []map[string]string
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[h] = r[i]
		}
		rows = append(rows, m)
	}
	return rows
}

func TestDeterministic(t *testing.T) {
	cfg := Config{Persons: 1500, Seed: 42}
	a, err := Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Truth, b.Truth) || !bytes.Equal(a.Persons, b.Persons) || !bytes.Equal(a.Custody, b.Custody) || !bytes.Equal(a.Errors, b.Errors) {
		t.Fatal("two runs with the same config differ")
	}
	for i := range a.Sources {
		if !bytes.Equal(a.Sources[i].CSV, b.Sources[i].CSV) {
			t.Fatalf("source %s differs between runs", a.Sources[i].Name)
		}
	}

	// GenerateDir writes the bytes World.WriteDir writes.
	d1, d2 := t.TempDir(), t.TempDir()
	if err := a.WriteDir(d1); err != nil {
		t.Fatal(err)
	}
	if _, _, err := GenerateDir(cfg, d2); err != nil {
		t.Fatal(err)
	}
	names := []string{TruthFile, PersonsFile, CustodyFile, ErrorsFile, WorldFile}
	for _, s := range a.Sources {
		names = append(names, filepath.Join(SourcesDir, s.Filename))
	}
	for _, n := range names {
		x, err := os.ReadFile(filepath.Join(d1, n))
		if err != nil {
			t.Fatal(err)
		}
		y, err := os.ReadFile(filepath.Join(d2, n))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s: WriteDir and GenerateDir differ", n)
		}
	}

	c, err := Generate(Config{Persons: 1500, Seed: 43})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a.Persons, c.Persons) {
		t.Error("seeds 42 and 43 give the same persons")
	}
}

// TestSources checks that every file is a well-formed source: canonical
// headers, unique rec_ids, records that validate, and a truth line for each.
func TestSources(t *testing.T) {
	w := testWorld(t)
	persons := map[string]bool{}
	for _, p := range parseCSV(t, PersonsFile, w.Persons) {
		persons[p["person_id"]] = true
	}
	if len(persons) != DefaultPersons {
		t.Fatalf("persons.csv has %d persons, want %d", len(persons), DefaultPersons)
	}
	truth := map[string]string{}
	for _, l := range w.Links() {
		k := l.Source + "/" + l.RecID
		if _, dup := truth[k]; dup {
			t.Fatalf("truth has %s twice", k)
		}
		if !persons[l.PersonID] {
			t.Fatalf("truth: %s is no person", l.PersonID)
		}
		truth[k] = l.PersonID
	}
	n := 0
	for _, s := range w.Sources {
		recs, err := csv.NewReader(bytes.NewReader(s.CSV)).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", s.Filename, err)
		}
		head := recs[0]
		if head[0] != "rec_id" {
			t.Errorf("%s: first column %q, want rec_id", s.Filename, head[0])
		}
		for _, h := range head[1:] {
			if _, ok := paradero.LookupRecordField(h); !ok {
				t.Errorf("%s: column %q is not a canonical record field", s.Filename, h)
			}
		}
		if len(recs)-1 != s.Rows || s.Rows == 0 {
			t.Errorf("%s: %d rows, metadata says %d", s.Filename, len(recs)-1, s.Rows)
		}
		ids := map[string]bool{}
		for _, r := range recs[1:] {
			if ids[r[0]] {
				t.Fatalf("%s: rec_id %s twice", s.Filename, r[0])
			}
			ids[r[0]] = true
			if _, ok := truth[s.Filename+"/"+r[0]]; !ok {
				t.Fatalf("%s: rec_id %s has no truth", s.Filename, r[0])
			}
			var rec paradero.Record
			for i, h := range head[1:] {
				f, _ := paradero.LookupRecordField(h)
				if err := f.Set(&rec, r[i+1]); err != nil {
					t.Fatalf("%s rec %s: %s=%q: %v", s.Filename, r[0], h, r[i+1], err)
				}
			}
			if err := rec.Validate(); err != nil {
				t.Fatalf("%s rec %s: %v", s.Filename, r[0], err)
			}
			n++
		}
		if !s.Kind.Valid() || s.Title == "" || s.Published.IsZero() {
			t.Errorf("%s: kind %q, title %q, published %v", s.Filename, s.Kind, s.Title, s.Published)
		}
	}
	if n != len(truth) {
		t.Errorf("%d records in the sources, %d lines of truth", n, len(truth))
	}
}

// TestFacts checks that the timelines follow the configured facts.
func TestFacts(t *testing.T) {
	w := testWorld(t)
	f := DefaultFacts()
	flights := map[string]map[string]bool{}
	for _, e := range parseCSV(t, CustodyFile, w.Custody) {
		if e["flight"] == "" {
			continue
		}
		if flights[e["flight"]] == nil {
			flights[e["flight"]] = map[string]bool{}
		}
		flights[e["flight"]][e["person_id"]] = true
	}
	count := func(names ...string) int {
		n := 0
		for _, x := range names {
			n += len(flights[x])
		}
		return n
	}
	for _, c := range []struct {
		flights []string
		want    int
	}{
		{[]string{"HRL-SAL 1", "HRL-SAL 2"}, f.March15AEA},                        // E032
		{[]string{"HRL-SAL 3"}, f.March15Title8 + f.March15Salvadorans},           // E033, E029
		{[]string{"GTMO-SAL"}, f.GuantanamoVenezuelans + f.GuantanamoSalvadorans}, // E042
		{[]string{"SAL-CCS 1", "SAL-CCS 2"}, 252},                                 // E063
	} {
		if got := count(c.flights...); got != c.want {
			t.Errorf("persons on %v = %d, want %d", c.flights, got, c.want)
		}
	}
	groups := map[string]string{}
	for _, p := range parseCSV(t, PersonsFile, w.Persons) {
		groups[p["person_id"]] = p["group"]
	}
	onList := map[string]bool{}
	for _, l := range w.Links() {
		g := groups[l.PersonID]
		onList[l.PersonID] = true
		switch l.Source {
		case "leaked_roster.csv":
			if g != GroupAEA.String() && g != GroupTitle8.String() {
				t.Errorf("leaked roster lists %s of group %s", l.PersonID, g)
			}
		case "return_manifest.csv", "habeas_petition_sv.csv":
			if g == GroupWider.String() || g == GroupSalvadoranMarch.String() {
				t.Errorf("%s lists %s of group %s", l.Source, l.PersonID, g)
			}
		}
	}
	// Capture–recapture needs people on no list.
	missing := 0
	for id, g := range groups {
		if g != GroupWider.String() && !onList[id] {
			missing++
		}
	}
	if missing == 0 || missing > 60 {
		t.Errorf("%d of the CECOT men are on no list; want a few", missing)
	}
}

// TestErrorRates checks that each error kind occurs at its configured rate,
// within four standard deviations of a binomial count.
func TestErrorRates(t *testing.T) {
	w := testWorld(t)
	seen := map[ErrorKind]bool{}
	for _, s := range w.Stats {
		if s.Applied > 0 {
			seen[s.Kind] = true
		}
		if s.Eligible < 30 || s.Rate == 0 {
			continue
		}
		got := float64(s.Applied) / float64(s.Eligible)
		tol := 4*math.Sqrt(s.Rate*(1-s.Rate)/float64(s.Eligible)) + 0.005
		if math.Abs(got-s.Rate) > tol {
			t.Errorf("%s: %v rate %.3f over %d records, want %.3f ± %.3f", s.Source, s.Kind, got, s.Eligible, s.Rate, tol)
		}
	}
	for _, k := range ErrorKinds() {
		if !seen[k] {
			t.Errorf("error %v never occurs", k)
		}
	}
}

// TestErrorsVisible checks, against the truth, that the errors errors.csv
// names are in the records.
func TestErrorsVisible(t *testing.T) {
	w := testWorld(t)
	tb, err := LoadTables()
	if err != nil {
		t.Fatal(err)
	}
	persons := map[string]map[string]string{}
	for _, p := range parseCSV(t, PersonsFile, w.Persons) {
		persons[p["person_id"]] = p
	}
	truth := map[string]string{}
	for _, l := range w.Links() {
		truth[l.Source+"/"+l.RecID] = l.PersonID
	}
	rows := map[string]map[string]string{}
	for _, s := range w.Sources {
		for _, r := range parseCSV(t, s.Filename, s.CSV) {
			rows[s.Filename+"/"+r["rec_id"]] = r
		}
	}
	checked := map[string]int{}
	for _, e := range parseCSV(t, ErrorsFile, w.Errors) {
		key := e["source"] + "/" + e["rec_id"]
		r, p := rows[key], persons[truth[key]]
		name := strings.ToUpper(foldAccents(r["full_name"] + " " + r["given_names"] + " " + r["surnames"] + " " + r["first_surname"] + " " + r["second_surname"]))
		for _, k := range strings.Split(e["errors"], ";") {
			ok := true
			switch k {
			case "missing_second_surname":
				// The second surname is gone, unless it equals the first.
				ok = !strings.Contains(name, strings.ToUpper(foldAccents(p["second_surname"]))) || p["first_surname"] == p["second_surname"] ||
					strings.Contains(strings.ToUpper(foldAccents(p["given_names"])), strings.ToUpper(foldAccents(p["second_surname"])))
			case "surname_first":
				ok = strings.Contains(r["full_name"], ", ")
			case "day_month_swap":
				b := r["birth_date"]
				ok = len(b) == 10 && b != p["birth_date"] && b[:4] == p["birth_date"][:4]
			case "partial_date":
				ok = len(r["birth_date"]) == 4
			case "missing_birth_date":
				ok = r["birth_date"] == ""
			case "accent_loss":
				ok = isASCII(r["full_name"] + r["given_names"] + r["surnames"] + r["first_surname"] + r["second_surname"])
			case "nickname":
				first, _, _ := strings.Cut(r["full_name"], " ")
				ok = false
				for _, n := range tb.nicknames[p["sex"]+"/"+strings.Fields(p["given_names"])[0]] {
					ok = ok || strings.EqualFold(foldAccents(n.s), foldAccents(first)) || strings.Contains(e["errors"], "typo")
				}
			default:
				continue
			}
			checked[k]++
			if !ok {
				t.Errorf("%s: %s not visible: record %v, person %v", key, k, r, p)
			}
		}
	}
	for _, k := range []string{"missing_second_surname", "surname_first", "day_month_swap", "partial_date", "missing_birth_date", "accent_loss", "nickname"} {
		if checked[k] == 0 {
			t.Errorf("no record with %s checked", k)
		}
	}
}

// TestNoRealPeople checks that every name is a combination of entries of the
// frequency tables: given names and surnames drawn independently, never a
// person's whole name taken from a list.
func TestNoRealPeople(t *testing.T) {
	w := testWorld(t)
	tb, err := LoadTables()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range parseCSV(t, PersonsFile, w.Persons) {
		g := p["given_names"]
		ok := tb.GivenNameKnown(g)
		if !ok {
			// Two given names, each from the tables (or one compound
			// entry split at its first space).
			a, b, _ := strings.Cut(g, " ")
			ok = tb.GivenNameKnown(a) && tb.GivenNameKnown(b)
		}
		if !ok {
			t.Errorf("%s: given names %q are not from the tables", p["person_id"], g)
		}
		for _, s := range []string{p["first_surname"], p["second_surname"]} {
			if !tb.SurnameKnown(s) {
				t.Errorf("%s: surname %q is not from the tables", p["person_id"], s)
			}
		}
	}
}

func TestSmallWorld(t *testing.T) {
	w, err := Generate(Config{Persons: 60, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, n := range w.Groups {
		total += n
	}
	if total != 60 || w.Groups[GroupWider.String()] < 30 {
		t.Errorf("groups of a 60-person world: %v", w.Groups)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []Config{
		{Persons: -1},
		{Sources: []SourceSpec{{Name: "x", Kind: "nope"}}},
		{Sources: []SourceSpec{{Name: "x", Kind: paradero.KindRoster, Columns: []string{"shoe_size"}}}},
		{Sources: []SourceSpec{{Name: "x", Kind: paradero.KindRoster}, {Name: "x", Kind: paradero.KindRoster}}},
	} {
		if _, err := Generate(cfg); paradero.ErrorCode(err) != paradero.EINVALID {
			t.Errorf("Generate(%+v) = %v, want EINVALID", cfg, err)
		}
	}
}

func BenchmarkGenerate100k(b *testing.B) {
	for b.Loop() {
		if _, _, err := GenerateDir(Config{Persons: 100_000, Seed: 1}, b.TempDir()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGenerateDir1M writes a world of a million persons: run with
// -bench GenerateDir1M -benchtime 1x.
func BenchmarkGenerateDir1M(b *testing.B) {
	for b.Loop() {
		if _, _, err := GenerateDir(Config{Persons: 1_000_000, Seed: 1}, b.TempDir()); err != nil {
			b.Fatal(err)
		}
	}
}

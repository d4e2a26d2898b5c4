package synth

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"

	"github.com/paradero/paradero"
)

// File names of a world directory. The sources go to SourcesDir, one CSV
// each; the ground truth and the persons beside it.
const (
	SourcesDir  = "sources"
	TruthFile   = "truth.csv"   // source,rec_id,person_id; source is the file's base name with ".csv"
	PersonsFile = "persons.csv" // one row per person: the true identity and where the timeline ends
	CustodyFile = "custody.csv" // person_id,seq,event,date,…: every step of every true timeline
	ErrorsFile  = "errors.csv"  // source,rec_id,errors: the errors each record carries (none: no row)
	WorldFile   = "world.json"  // the configuration, the sources' metadata and the error counts
)

// Source is one generated source.
type Source struct {
	Name      string // base name without extension
	Filename  string // Name + ".csv", the truth file's source
	Kind      paradero.SourceKind
	Title     string
	Published paradero.PartialDate
	Rows      int
	CSV       []byte
}

// Link is one line of the truth file: the record rec_id of the source file
// is a mention of the person.
type Link struct {
	Source   string // file base name, with ".csv"
	RecID    string
	PersonID string
}

// World is a generated world held in memory. For large worlds use
// GenerateDir, which holds one source at a time.
type World struct {
	Config  Config
	Sources []Source
	Truth   []byte // truth.csv
	Persons []byte // persons.csv
	Custody []byte // custody.csv
	Errors  []byte // errors.csv
	Stats   []ErrorStat
	Groups  map[string]int // persons per group
}

// Generate builds the world cfg describes, in memory.
func Generate(cfg Config) (*World, error) {
	w := &World{}
	files := map[string]*bytes.Buffer{}
	err := generate(cfg, func(name string) (io.Writer, func() error, error) {
		b := &bytes.Buffer{}
		files[name] = b
		return b, func() error { return nil }, nil
	}, func(c Config, srcs []Source, stats []ErrorStat, groups map[string]int) {
		w.Config, w.Sources, w.Stats, w.Groups = c, srcs, stats, groups
	})
	if err != nil {
		return nil, err
	}
	for i := range w.Sources {
		w.Sources[i].CSV = files[filepath.Join(SourcesDir, w.Sources[i].Filename)].Bytes()
	}
	w.Truth = files[TruthFile].Bytes()
	w.Persons = files[PersonsFile].Bytes()
	w.Custody = files[CustodyFile].Bytes()
	w.Errors = files[ErrorsFile].Bytes()
	return w, nil
}

// Links parses the truth file.
func (w *World) Links() []Link {
	var ls []Link
	for _, line := range bytes.Split(bytes.TrimSuffix(w.Truth, []byte("\n")), []byte("\n"))[1:] {
		f := bytes.SplitN(line, []byte(","), 3)
		ls = append(ls, Link{Source: string(f[0]), RecID: string(f[1]), PersonID: string(f[2])})
	}
	return ls
}

// WriteDir writes the world into dir (created if need be): the sources
// under dir/sources, the truth and the persons beside them. The bytes are
// those GenerateDir writes.
func (w *World) WriteDir(dir string) error {
	files := map[string][]byte{
		TruthFile: w.Truth, PersonsFile: w.Persons, CustodyFile: w.Custody, ErrorsFile: w.Errors,
	}
	for _, s := range w.Sources {
		files[filepath.Join(SourcesDir, s.Filename)] = s.CSV
	}
	meta, err := worldJSON(w.Config, w.Sources, w.Stats, w.Groups)
	if err != nil {
		return err
	}
	files[WorldFile] = meta
	if err := os.MkdirAll(filepath.Join(dir, SourcesDir), 0o755); err != nil {
		return err
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// GenerateDir builds the world cfg describes straight into dir, holding at
// most a few sources in memory at once: the way to a world of millions.
// It returns the sources' metadata (without their bytes) and the error
// counts.
func GenerateDir(cfg Config, dir string) ([]Source, []ErrorStat, error) {
	if err := os.MkdirAll(filepath.Join(dir, SourcesDir), 0o755); err != nil {
		return nil, nil, err
	}
	var srcs []Source
	var stats []ErrorStat
	var groups map[string]int
	var c Config
	err := generate(cfg, func(name string) (io.Writer, func() error, error) {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return nil, nil, err
		}
		bw := bufio.NewWriterSize(f, 1<<20)
		return bw, func() error {
			if err := bw.Flush(); err != nil {
				f.Close()
				return err
			}
			return f.Close()
		}, nil
	}, func(cf Config, s []Source, st []ErrorStat, g map[string]int) {
		c, srcs, stats, groups = cf, s, st, g
	})
	if err != nil {
		return nil, nil, err
	}
	meta, err := worldJSON(c, srcs, stats, groups)
	if err != nil {
		return nil, nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, WorldFile), meta, 0o644); err != nil {
		return nil, nil, err
	}
	return srcs, stats, nil
}

type createFunc func(name string) (io.Writer, func() error, error)

// generate runs the generator, writing every file through create, and
// hands the metadata to done.
func generate(cfg Config, create createFunc, done func(Config, []Source, []ErrorStat, map[string]int)) error {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return err
	}
	t, err := LoadTables()
	if err != nil {
		return err
	}
	w := newWorld(cfg, t)

	// Sources are independent: generate them on every core, and write
	// them, the truth and the errors in the configured order.
	outs := make([]*sourceOut, len(cfg.Sources))
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))
	var pe error
	var pwg sync.WaitGroup
	pwg.Add(1)
	go func() {
		defer pwg.Done()
		sem <- struct{}{}
		defer func() { <-sem }()
		pe = w.writePersons(create)
	}()
	for k, spec := range cfg.Sources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			outs[k] = w.generateSource(spec)
		}()
	}
	wg.Wait()
	pwg.Wait()
	if pe != nil {
		return pe
	}

	truth, closeTruth, err := create(TruthFile)
	if err != nil {
		return err
	}
	errs, closeErrs, err := create(ErrorsFile)
	if err != nil {
		return err
	}
	io.WriteString(truth, "source,rec_id,person_id\n")
	io.WriteString(errs, "source,rec_id,errors\n")
	var srcs []Source
	var stats []ErrorStat
	for _, o := range outs {
		f, closeF, err := create(filepath.Join(SourcesDir, o.spec.Filename()))
		if err != nil {
			return err
		}
		if _, err := f.Write(o.csv); err != nil {
			return err
		}
		if err := closeF(); err != nil {
			return err
		}
		if _, err := truth.Write(o.truth); err != nil {
			return err
		}
		if _, err := errs.Write(o.errors); err != nil {
			return err
		}
		srcs = append(srcs, Source{Name: o.spec.Name, Filename: o.spec.Filename(), Kind: o.spec.Kind,
			Title: o.spec.Title, Published: o.spec.Published, Rows: o.rows})
		for k := range numErrorKinds {
			if o.stats.eligible[k] > 0 && o.spec.Errors[k] > 0 {
				stats = append(stats, ErrorStat{Source: o.spec.Filename(), Kind: k, Rate: o.spec.Errors[k],
					Eligible: o.stats.eligible[k], Applied: o.stats.applied[k]})
			}
		}
	}
	if err := closeTruth(); err != nil {
		return err
	}
	if err := closeErrs(); err != nil {
		return err
	}
	groups := map[string]int{}
	for g := range numGroups {
		groups[g.String()] = w.counts[g]
	}
	done(cfg, srcs, stats, groups)
	return nil
}

// writePersons writes persons.csv and custody.csv, streaming.
func (w *world) writePersons(create createFunc) error {
	pf, closeP, err := create(PersonsFile)
	if err != nil {
		return err
	}
	cf, closeC, err := create(CustodyFile)
	if err != nil {
		return err
	}
	io.WriteString(pf, "person_id,group,given_names,first_surname,second_surname,full_name,sex,birth_date,"+
		"nationality,country_of_birth,a_number,passport,status,facility,place,event_from\n")
	io.WriteString(cf, "person_id,seq,event,date,facility_id,facility,place,custodian,flight\n")
	// Persons are generated in chunks on every core and written in order.
	const chunk = 4096
	workers := max(1, runtime.GOMAXPROCS(0))
	type part struct{ persons, custody []byte }
	for lo := 0; lo < w.cfg.Persons; lo += chunk * workers {
		parts := make([]part, workers)
		var wg sync.WaitGroup
		for k := range workers {
			a := lo + k*chunk
			b := min(a+chunk, w.cfg.Persons)
			if a >= b {
				break
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				parts[k].persons, parts[k].custody = w.personRows(a, b)
			}()
		}
		wg.Wait()
		for _, pt := range parts {
			if _, err := pf.Write(pt.persons); err != nil {
				return err
			}
			if _, err := cf.Write(pt.custody); err != nil {
				return err
			}
		}
	}
	if err := closeP(); err != nil {
		return err
	}
	return closeC()
}

// personRows returns the lines of persons.csv and custody.csv for persons
// [a, b).
func (w *world) personRows(a, b int) (persons, custody []byte) {
	pcg := &rand.PCG{}
	var p person
	for i := a; i < b; i++ {
		w.person(pcg, i, &p)
		id := p.id()
		last := p.ev[p.nev-1]
		status, fac := w.status(&p, last)
		facName := ""
		if fac >= 0 {
			facName = w.t.facilities[fac].Name
		}
		for k, v := range []string{id, p.group.String(), p.givenNames(), p.sur[0], p.sur[1], p.fullName(), p.sex,
			p.birth.String(), p.nat, p.cob, p.aNumber, p.pass, status, facName, last.Place, last.On.String()} {
			if k > 0 {
				persons = append(persons, ',')
			}
			persons = appendCSV(persons, v)
		}
		persons = append(persons, '\n')
		for k, e := range p.events() {
			fid, fname := "", ""
			if e.Facility >= 0 {
				fid, fname = w.t.facilities[e.Facility].ID, w.t.facilities[e.Facility].Name
			}
			for j, v := range []string{id, strconv.Itoa(k + 1), e.Kind.String(), e.On.String(), fid, fname, e.Place, e.Custodian, e.Flight} {
				if j > 0 {
					custody = append(custody, ',')
				}
				custody = appendCSV(custody, v)
			}
			custody = append(custody, '\n')
		}
	}
	return persons, custody
}

// status derives a person's situation at the end of the world from the
// last event of the timeline, in the words of DESIGN.md §2.4.
func (w *world) status(p *person, last Event) (string, int) {
	switch last.Kind {
	case EvArrest, EvBooked, EvTransfer:
		return "detained", last.Facility
	case EvForeignCustody:
		return "detained", last.Facility
	case EvRelease:
		if _, ok := p.has(EvReturnFlight); ok {
			return "returned", -1
		}
		if _, ok := p.has(EvRemovalFlight); ok {
			return "returned", -1
		}
		return "released", -1
	}
	return "in transit", -1
}

func worldJSON(c Config, srcs []Source, stats []ErrorStat, groups map[string]int) ([]byte, error) {
	type src struct {
		File      string              `json:"file"`
		Kind      paradero.SourceKind `json:"kind"`
		Title     string              `json:"title"`
		Published string              `json:"published"`
		Rows      int                 `json:"rows"`
	}
	type stat struct {
		Source   string  `json:"source"`
		Error    string  `json:"error"`
		Rate     float64 `json:"rate"`
		Eligible int     `json:"eligible"`
		Applied  int     `json:"applied"`
	}
	v := struct {
		Persons int            `json:"persons"`
		Seed    uint64         `json:"seed"`
		Groups  map[string]int `json:"groups"` // encoding/json sorts map keys
		Sources []src          `json:"sources"`
		Errors  []stat         `json:"errors"`
		Note    string         `json:"note"`
	}{Persons: c.Persons, Seed: c.Seed, Groups: groups,
		Note: "Synthetic data generated by paradero synth: no record is about a real person."}
	for _, s := range srcs {
		v.Sources = append(v.Sources, src{filepath.ToSlash(filepath.Join(SourcesDir, s.Filename)), s.Kind, s.Title, s.Published.String(), s.Rows})
	}
	for _, s := range stats {
		v.Errors = append(v.Errors, stat{s.Source, s.Kind.String(), s.Rate, s.Eligible, s.Applied})
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

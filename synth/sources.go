package synth

import (
	"bytes"
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/paradero/paradero"
)

// row is one record of a source before its rec_id is known.
type row struct {
	key    string // sort key: the order the source lists its records in
	person int
	seq    int    // the person's n-th row in this source
	mask   uint32 // errors applied
	line   []byte // the CSV-encoded fields after rec_id, without the newline
}

// sourceOut is one generated source: its CSV, and its lines of the truth
// and errors files.
type sourceOut struct {
	spec   SourceSpec
	csv    []byte
	truth  []byte
	errors []byte
	rows   int
	stats  counts
}

// logit-scale shift of an inclusion probability.
func shift(p, by float64) float64 {
	if p <= 0 || p >= 1 || by == 0 {
		return p
	}
	l := math.Log(p/(1-p)) + by
	return 1 / (1 + math.Exp(-l))
}

// visibility is person i's standard normal visibility: drawn on a stream of
// its own so that a source can decide inclusion before generating the
// person.
func (w *world) visibility(pcg *rand.PCG, i int) float64 {
	return w.rng(pcg, streamKey("visibility"), i).NormFloat64()
}

// generateSource builds one source from every person.
func (w *world) generateSource(spec SourceSpec) *sourceOut {
	out := &sourceOut{spec: spec}
	pcg := &rand.PCG{}
	var p person
	var rows []row
	cols := columnSet(spec.Columns)
	stream := streamKey("source:" + spec.Name)
	if spec.Form == FormLocator {
		// Every snapshot asks about the same watched people, and the
		// locator answers from one ICE record per person: share the
		// streams across snapshots.
		stream = streamKey("locator")
	}
	for i := range w.cfg.Persons {
		g, _ := w.groupOf(i)
		base := spec.Include[g]
		if base <= 0 {
			continue
		}
		u := w.rng(pcg, stream^0x1, i).Float64()
		if u >= shift(base, spec.Visibility*w.visibility(pcg, i)) {
			continue
		}
		w.person(pcg, i, &p)
		if !w.eligible(&spec, &p) {
			continue
		}
		r := w.rng(pcg, stream, i)
		c := &writer{spec: &spec, t: w.t, r: r, st: &out.stats}
		seq := 0
		emit := func(key string, rec *paradero.Record) {
			rows = append(rows, row{key: key, person: i, seq: seq, mask: c.mask, line: encodeFields(rec, spec.Columns)})
			seq++
		}
		key, rec := w.record(c, &p, cols)
		emit(key, rec)
		if c.try(Duplicate, true) {
			// Half the duplicates are the same row again; half were
			// entered a second time, with errors of their own.
			if c.r.IntN(2) == 0 {
				c.mask = 1 << Duplicate
				emit(key, rec)
			} else {
				c.mask = 0
				key, rec = w.record(c, &p, cols)
				c.mask |= 1 << Duplicate
				emit(key, rec)
			}
		}
	}
	// person and seq make every key unique: the order is total.
	slices.SortFunc(rows, func(a, b row) int {
		return cmp.Or(strings.Compare(a.key, b.key), cmp.Compare(a.person, b.person), cmp.Compare(a.seq, b.seq))
	})

	var csv, truth, errs bytes.Buffer
	csv.WriteString("rec_id")
	for _, c := range spec.Columns {
		csv.WriteByte(',')
		csv.WriteString(c)
	}
	csv.WriteByte('\n')
	file := spec.Filename()
	for n, r := range rows {
		id := strconv.Itoa(n + 1)
		csv.WriteString(id)
		csv.WriteByte(',')
		csv.Write(r.line)
		csv.WriteByte('\n')
		truth.WriteString(file + "," + id + "," + personID(r.person) + "\n")
		if r.mask != 0 {
			errs.WriteString(file + "," + id + ",")
			first := true
			for k := range numErrorKinds {
				if r.mask&(1<<k) != 0 {
					if !first {
						errs.WriteByte(';')
					}
					errs.WriteString(k.String())
					first = false
				}
			}
			errs.WriteByte('\n')
		}
	}
	out.csv, out.truth, out.errors, out.rows = csv.Bytes(), truth.Bytes(), errs.Bytes(), len(rows)
	return out
}

// published returns the day a source speaks for.
func published(spec *SourceSpec) date {
	d := spec.Date
	if d.IsZero() {
		d = spec.Published
	}
	m, dd := max(d.Month, 1), max(d.Day, 1)
	if d.Month == 0 {
		m, dd = 12, 31
	} else if d.Day == 0 {
		dd = 28
	}
	return mkdate(d.Year, m, dd)
}

// eligible says whether the source can know the person at all: only those
// already arrested, and for some forms, only the people it is about.
func (w *world) eligible(spec *SourceSpec, p *person) bool {
	on := published(spec)
	arrest := p.ev[0].On
	if arrest > on {
		return false
	}
	switch spec.Form {
	case FormLeakedRoster:
		return p.group == GroupAEA || p.group == GroupTitle8
	case FormAdvocacyList:
		if p.group.CECOT() {
			return p.nat == "VE" || p.group == GroupSalvadoranMarch || p.group == GroupGuantanamo
		}
		// Lists built from families' calls also hold Venezuelans
		// removed home in March, believed sent to CECOT.
		e, ok := p.has(EvRemovalFlight)
		return ok && p.nat == "VE" && e.On >= mkdate(2025, 3, 1) && e.On <= on
	case FormHabeasSV:
		e, ok := p.has(EvForeignCustody)
		return p.nat == "VE" && ok && e.On <= on
	case FormUSCourt:
		if p.group.CECOT() {
			return true
		}
		e, ok := p.at(on)
		return ok && p.nat == "VE" && (e.Kind == EvBooked || e.Kind == EvTransfer || e.Kind == EvArrest)
	case FormReturnManifest:
		e, ok := p.has(EvReturnFlight)
		return ok && e.On == mkdate(2025, 7, 18)
	}
	return true
}

// record writes one record of p for the source, and its sort key.
func (w *world) record(c *writer, p *person, cols columns) (string, *paradero.Record) {
	spec := c.spec
	rec := &paradero.Record{}
	on := published(spec)
	country := w.t.countries[p.nat]
	demonym := country.DemonymESM
	if p.sex == "F" {
		demonym = country.DemonymESF
	}
	if spec.Form == FormLocator {
		return w.locatorRecord(c, p, rec, on)
	}
	c.name(p, rec, cols)
	if cols.birth {
		c.birth(p, rec)
	}
	key := ""
	switch spec.Form {
	case FormLeakedRoster:
		c.ocr(&rec.GivenNames, &rec.Surnames)
		key = rec.Surnames + " " + rec.GivenNames
	case FormAdvocacyList:
		rec.Nationality = country.NameES
		if f := p.lastUS(w.t); f >= 0 {
			rec.Place = w.facilityPlace(f)
		}
		if p.group.CECOT() {
			rec.Notes = "Presuntamente trasladado al CECOT"
		} else {
			rec.Notes = "Sin noticias desde su deportación"
		}
		key = strconv.FormatUint(c.r.Uint64(), 16) // in the order calls came in
	case FormFamilyReports:
		rec.Nationality = demonym
		rec.Notes = w.familyNote(c.r, p, on)
		key = strconv.FormatUint(c.r.Uint64(), 16)
	case FormHabeasSV:
		rec.Nationality = demonym
		rec.Facility = w.t.facilities[w.fac.cecot].Name
		e, _ := p.has(EvForeignCustody)
		rec.Notes = "Ingresó al CECOT el " + spanishDate(e.On) + "; sin acceso a abogado ni a su familia"
		key = strconv.FormatUint(c.r.Uint64(), 16)
	case FormUSCourt:
		rec.ANumber = c.number("A" + p.aNumber)
		rec.Nationality = strings.ToUpper(country.CommonEN)
		if f := p.lastUS(w.t); f >= 0 {
			rec.Facility = w.t.facilities[f].Name
		}
		if p.group.CECOT() {
			rec.Status = "removed to El Salvador"
		} else {
			rec.Status = "detained"
		}
		key = rec.FullName
	case FormReturnManifest:
		rec.Sex = p.sex
		rec.Nationality = strings.ToUpper(demonym)
		rec.Passport = c.number(p.pass)
		c.ocr(&rec.FirstSurname, &rec.SecondSurname, &rec.GivenNames, &rec.Passport)
		e, _ := p.has(EvReturnFlight)
		rec.Flight = e.Flight
		rec.EventDate.From = e.On.partial()
		rec.Place = "Maiquetía, Venezuela"
		key = e.Flight + " " + strconv.FormatUint(c.r.Uint64()>>8, 16) // seat order
	}
	return key, rec
}

// locatorRecord answers the locator's query about p on day on: the current
// facility, "not in ICE custody" for 60 days after a release or removal
// (ICE's own rule), and no match after that — or at once, for the men
// flown to CECOT, who vanished from it (E035).
func (w *world) locatorRecord(c *writer, p *person, rec *paradero.Record, on date) (string, *paradero.Record) {
	aNum := p.aNumber
	if len(aNum) < 9 {
		aNum = strings.Repeat("0", 9-len(aNum)) + aNum
	}
	rec.ANumber = aNum
	rec.CountryOfBirth = strings.ToUpper(w.t.countries[p.cob].CommonEN)
	// The name ICE holds is the same in every snapshot: render it (and
	// count its errors) whatever the answer, then decide what shows.
	var name paradero.Record
	c.name(p, &name, columns{full: true})
	e, _ := p.at(on)
	switch e.Kind {
	case EvArrest, EvBooked, EvTransfer:
		fac := e.Facility
		if e.Kind == EvArrest {
			fac = p.ev[1].Facility
		}
		rec.FullName = name.FullName
		rec.Facility = strings.ToUpper(foldAccents(w.t.facilities[fac].Name))
		rec.Status = "in ICE custody"
	default:
		if p.group.CECOT() || on-e.On > 60 {
			rec.Status = "no match"
			c.mask = 0 // nothing of the name shows
		} else {
			rec.FullName = name.FullName
			rec.Status = "not in ICE custody"
		}
	}
	return aNum, rec
}

func (w *world) familyNote(r *rand.Rand, p *person, on date) string {
	e, _ := p.at(on)
	last := p.lastUS(w.t)
	where := ""
	if last >= 0 {
		where = titleCase(w.t.facilities[last].City)
	}
	switch {
	case p.group.CECOT():
		switch r.IntN(3) {
		case 0:
			return "Su última llamada fue desde " + where + ". Creemos que lo enviaron a El Salvador."
		case 1:
			return "Lo reconocimos en un video del CECOT. No sabemos nada de él desde marzo."
		default:
			return "Desapareció del localizador de ICE. Nadie nos dice dónde está."
		}
	case e.Kind == EvRelease:
		return "Fue deportado o liberado; no hemos podido comunicarnos."
	default:
		arrest := p.ev[0].On
		return "Detenido por ICE el " + spanishDate(arrest) + ". Estaba en " + where + "."
	}
}

func spanishDate(d date) string {
	y, m, dd := d.civil()
	months := [...]string{"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
		"septiembre", "octubre", "noviembre", "diciembre"}
	return strconv.Itoa(dd) + " de " + months[m-1] + " de " + strconv.Itoa(y)
}

// encodeFields writes the record's values for the columns as CSV fields
// (RFC 4180), without a line end.
func encodeFields(rec *paradero.Record, cols []string) []byte {
	var b []byte
	for i, k := range cols {
		if i > 0 {
			b = append(b, ',')
		}
		f, _ := paradero.LookupRecordField(k)
		b = appendCSV(b, f.Get(rec))
	}
	return b
}

func appendCSV(b []byte, s string) []byte {
	quote := len(s) > 0 && s[0] == ' '
	for i := 0; i < len(s) && !quote; i++ {
		switch s[i] {
		case ',', '"', '\r', '\n':
			quote = true
		}
	}
	if !quote {
		return append(b, s...)
	}
	b = append(b, '"')
	b = append(b, strings.ReplaceAll(s, `"`, `""`)...)
	return append(b, '"')
}

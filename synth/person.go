package synth

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/paradero/paradero"
)

// date is a calendar day, counted from 1970-01-01.
type date int32

func mkdate(y, m, d int) date {
	return date(time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

func (d date) civil() (y, m, dd int) {
	t := time.Unix(int64(d)*86400, 0).UTC()
	return t.Year(), int(t.Month()), t.Day()
}

func (d date) partial() paradero.PartialDate {
	y, m, dd := d.civil()
	return paradero.PartialDate{Year: y, Month: m, Day: dd}
}

// String returns YYYY-MM-DD, without fmt: the timelines of a million
// persons print many dates.
func (d date) String() string {
	y, m, dd := d.civil()
	b := strconv.AppendInt(make([]byte, 0, 10), int64(y), 10)
	b = append(b, '-', byte('0'+m/10), byte('0'+m%10), '-', byte('0'+dd/10), byte('0'+dd%10))
	return string(b)
}

// between draws a day uniformly from [a, b].
func between(r *rand.Rand, a, b date) date {
	if b <= a {
		return a
	}
	return a + date(r.IntN(int(b-a)+1))
}

// The world's calendar: arrests from 1 September 2024, the last day 31
// August 2025 (the eve of E073's court disclosure).
const (
	worldStart date = 19967 // 2024-09-01
	worldEnd   date = 20331 // 2025-08-31
)

// EventKind is a step of a custody timeline.
type EventKind int

const (
	EvArrest         EventKind = iota // arrested by ICE
	EvBooked                          // booked into a facility
	EvTransfer                        // moved to another facility
	EvRemovalFlight                   // put on a removal flight
	EvForeignCustody                  // handed to a foreign custodian
	EvReturnFlight                    // flown to the home country
	EvRelease                         // released
)

func (k EventKind) String() string {
	return [...]string{"arrest", "booked", "transfer", "removal_flight", "foreign_custody", "return_flight", "release"}[k]
}

// Event is one step of a person's true custody timeline.
type Event struct {
	Kind      EventKind
	On        date
	Facility  int // index into Tables.facilities, -1 if none
	Place     string
	Custodian string
	Flight    string
}

const maxEvents = 12

// person is one generated human being: the truth every record of the
// world's sources is a version of.
type person struct {
	index   int
	group   Group
	rank    int // position within the group
	sex     string
	nat     string // ISO alpha-2
	cob     string
	given   []string // name units: "José", "Luis"; "María", "de los Ángeles"
	sur     [2]string
	birth   date
	aNumber string
	pass    string
	vis     float64
	ev      [maxEvents]Event
	nev     int
}

func (p *person) id() string { return personID(p.index) }

func personID(i int) string {
	s := strconv.Itoa(i + 1)
	if len(s) < 7 {
		s = strings.Repeat("0", 7-len(s)) + s
	}
	return "P" + s
}

func (p *person) givenNames() string { return strings.Join(p.given, " ") }

func (p *person) fullName() string {
	return p.givenNames() + " " + p.sur[0] + " " + p.sur[1]
}

func (p *person) events() []Event { return p.ev[:p.nev] }

func (p *person) add(e Event) {
	if p.nev < maxEvents {
		p.ev[p.nev] = e
		p.nev++
	}
}

// lastUS returns the last US facility the person was held in, or -1.
func (p *person) lastUS(t *Tables) int {
	f := -1
	for _, e := range p.events() {
		if e.Facility >= 0 && t.facilities[e.Facility].Country == "US" {
			f = e.Facility
		}
	}
	return f
}

// at returns the last event on or before d, and false if none.
func (p *person) at(d date) (Event, bool) {
	var last Event
	ok := false
	for _, e := range p.events() {
		if e.On > d {
			break
		}
		last, ok = e, true
	}
	return last, ok
}

func (p *person) has(k EventKind) (Event, bool) {
	for _, e := range p.events() {
		if e.Kind == k {
			return e, true
		}
	}
	return Event{}, false
}

// world is a configured generator: the parts every source and every person
// share. Persons are not kept: person i is a pure function of the seed and
// i, so each source regenerates the persons it needs, and a world of a
// million persons is written in bounded memory.
type world struct {
	cfg    Config
	t      *Tables
	counts [numGroups]int
	starts [numGroups + 1]int
	permA  uint64 // position = (permA·i + permB) mod Persons
	permB  uint64
	natCum []float64
	vap    []date // Venezuelan "Vuelta a la Patria" flight days
	fac    struct{ cecot, gtmo, sotoCano, elValle, portIsabel int }
	places []string // facilityPlace of each facility
}

// requiredFacilities are the sites the timelines name.
func requiredFacilities() []string {
	return []string{"SV-CECOT", "CU-GTMO-MOC", "HN-SOTOCANO", "US-ICE-021", "US-ICE-012"}
}

// splitmix is SplitMix64's finaliser: it spreads consecutive integers over
// the 64-bit space, to seed independent streams.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// streamKey names a random stream by a string (FNV-1a).
func streamKey(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func newWorld(cfg Config, t *Tables) *world {
	w := &world{cfg: cfg, t: t}
	f := cfg.Facts
	want := [numGroups]int{f.March15AEA, f.March15Title8, f.March15Salvadorans,
		f.GuantanamoVenezuelans + f.GuantanamoSalvadorans, f.AprilVenezuelans}
	total := f.cecotTotal()
	// A world too small to hold the CECOT groups twice over keeps their
	// proportions instead of their sizes.
	scale := 1.0
	if total > 0 && cfg.Persons < 2*total {
		scale = float64(cfg.Persons) / float64(2*total)
	}
	sum := 0
	for g := range GroupWider {
		w.counts[g] = int(math.Round(float64(want[g]) * scale))
		sum += w.counts[g]
	}
	w.counts[GroupWider] = cfg.Persons - sum
	for g := range numGroups {
		w.starts[g+1] = w.starts[g] + w.counts[g]
	}
	n := uint64(cfg.Persons)
	r := rand.New(rand.NewPCG(cfg.Seed, streamKey("permutation")))
	w.permA = 1
	if n > 2 {
		w.permA = 1 + r.Uint64N(n-1)
		for gcd(w.permA, n) != 1 {
			w.permA++
			if w.permA >= n {
				w.permA = 1
			}
		}
	}
	w.permB = r.Uint64N(n)
	t0 := 0.0
	for _, s := range f.Nationality {
		t0 += s.Share
		w.natCum = append(w.natCum, t0)
	}
	// Flights to Venezuela: the dated ones of events_2025.csv (E004,
	// E005, E038, E040), then one a week (editorial: E072 counts the
	// 62nd flight of the year on 27 August).
	w.vap = []date{mkdate(2025, 2, 10), mkdate(2025, 2, 13), mkdate(2025, 3, 24), mkdate(2025, 3, 30)}
	for d := mkdate(2025, 4, 4); d <= worldEnd; d += 7 {
		w.vap = append(w.vap, d)
	}
	for i := range t.facilities {
		w.places = append(w.places, w.placeOf(i))
	}
	w.fac.cecot = t.facByID["SV-CECOT"]
	w.fac.gtmo = t.facByID["CU-GTMO-MOC"]
	w.fac.sotoCano = t.facByID["HN-SOTOCANO"]
	w.fac.elValle = t.facByID["US-ICE-021"]
	w.fac.portIsabel = t.facByID["US-ICE-012"]
	return w
}

// groupOf returns person i's group and rank within it.
func (w *world) groupOf(i int) (Group, int) {
	pos := int((w.permA*uint64(i) + w.permB) % uint64(w.cfg.Persons))
	for g := range numGroups {
		if pos < w.starts[g+1] {
			return g, pos - w.starts[g]
		}
	}
	return GroupWider, pos - w.starts[GroupWider]
}

// rng returns a generator for one stream of person i.
func (w *world) rng(pcg *rand.PCG, stream uint64, i int) *rand.Rand {
	pcg.Seed(w.cfg.Seed^stream, splitmix(uint64(i)^splitmix(stream)))
	return rand.New(pcg)
}

// uniqueNumber maps i to a number in [lo, lo+span) that no other i below
// span gets: an affine permutation, a being prime to span.
func uniqueNumber(i int, lo, span, a, b uint64) uint64 {
	return lo + (a*uint64(i)+b)%span
}

// person generates person i into p.
func (w *world) person(pcg *rand.PCG, i int, p *person) {
	*p = person{index: i, given: p.given[:0]}
	p.group, p.rank = w.groupOf(i)
	r := w.rng(pcg, streamKey("person"), i)
	f := w.cfg.Facts
	t := w.t

	switch p.group {
	case GroupSalvadoranMarch:
		p.nat = "SV"
	case GroupGuantanamo:
		p.nat = "SV"
		if p.rank < int(math.Round(float64(f.GuantanamoVenezuelans)/float64(max(1, f.GuantanamoVenezuelans+f.GuantanamoSalvadorans))*float64(w.counts[GroupGuantanamo]))) {
			p.nat = "VE"
		}
	case GroupWider:
		u := r.Float64() * w.natCum[len(w.natCum)-1]
		p.nat = f.Nationality[len(f.Nationality)-1].Country
		for k, c := range w.natCum {
			if u < c {
				p.nat = f.Nationality[k].Country
				break
			}
		}
	default:
		p.nat = "VE"
	}
	p.sex = "M"
	if p.group == GroupWider && r.Float64() >= f.MaleShare {
		p.sex = "F"
	}
	// Country of birth: mostly the nationality. Venezuela has a large
	// Colombian-born population, Central Americans cross borders
	// (editorial rates).
	p.cob = p.nat
	if u := r.Float64(); u < 0.03 {
		switch p.nat {
		case "VE":
			p.cob = "CO"
		case "SV":
			p.cob = "GT"
		case "HN":
			p.cob = "SV"
		case "GT":
			p.cob = "MX"
		}
	}

	// Names. Given names come in one or two units; two are the norm in
	// Venezuela (editorial rate). A table entry that is already compound
	// (José Luis) counts as two.
	gs := t.given[p.nat+"/"+p.sex]
	first := gs.draw(r.Float64())
	if a, b, ok := strings.Cut(first, " "); ok {
		p.given = append(p.given, a, b)
	} else {
		p.given = append(p.given, first)
		two := 0.5
		if p.nat == "VE" {
			two = 0.7
		}
		if r.Float64() < two {
			for range 4 {
				second := gs.draw(r.Float64())
				if second != first && !strings.Contains(second, " ") {
					p.given = append(p.given, second)
					break
				}
			}
		}
	}
	ss := t.surnames[p.nat]
	p.sur[0] = ss.draw(r.Float64())
	p.sur[1] = ss.draw(r.Float64())

	// Age on 15 March 2025: adults, mostly in their twenties and thirties
	// (ProPublica and HRW describe young men; editorial shape: 18 plus an
	// exponential with mean 11 years, capped at 70).
	age := 18 + r.ExpFloat64()*11
	if age > 70 {
		age = 18 + r.Float64()*52
	}
	p.birth = mkdate(2025, 3, 15) - date(age*365.25)

	// A-numbers: nine digits from 2xx xxx xxx for most; 15 % carry an
	// older eight-digit number. Affine permutations keep them unique.
	if r.Float64() < 0.15 {
		p.aNumber = strconv.FormatUint(uniqueNumber(i, 10_000_000, 90_000_000, 61_803_401, splitmix(w.cfg.Seed^1)%90_000_000), 10)
	} else {
		p.aNumber = strconv.FormatUint(uniqueNumber(i, 200_000_000, 100_000_000, 61_803_399, splitmix(w.cfg.Seed^2)%100_000_000), 10)
	}
	// Passports (70 % hold one, editorial): Venezuelan nine digits, others
	// a letter and eight digits.
	if r.Float64() < 0.7 {
		n := uniqueNumber(i, 100_000_000, 900_000_000, 387_420_491, splitmix(w.cfg.Seed^3)%900_000_000)
		if p.nat == "VE" {
			p.pass = strconv.FormatUint(n, 10)
		} else {
			// n is nine digits: its first becomes a letter A–I.
			digits := strconv.FormatUint(n%100_000_000+100_000_000, 10)[1:]
			p.pass = string(rune('A'+n/100_000_000-1)) + digits
		}
	}
	w.timeline(r, p)
	p.vis = w.visibility(pcg, i) // last: it reseeds pcg
}

func (w *world) usFacility(r *rand.Rand) int {
	i, _ := strconv.Atoi(w.t.ice.draw(r.Float64()))
	return i
}

func (w *world) facilityPlace(i int) string { return w.places[i] }

func (w *world) placeOf(i int) string {
	f := w.t.facilities[i]
	if f.Country == "US" {
		return titleCase(f.City) + ", " + f.AdminArea
	}
	return f.City + ", " + w.t.countries[f.Country].NameES
}

// custody adds arrest, booking and transfers from a to the day before end,
// and returns the facility the person is in at end.
func (w *world) custody(r *rand.Rand, p *person, a, end date, maxTransfers int) int {
	fac := w.usFacility(r)
	p.add(Event{Kind: EvArrest, On: a, Facility: -1, Place: w.facilityPlace(fac), Custodian: "ICE"})
	booked := a + date(r.IntN(2))
	p.add(Event{Kind: EvBooked, On: booked, Facility: fac, Place: w.facilityPlace(fac), Custodian: "ICE"})
	// Transfers: none for 45 %, one for 35 %, two for 15 %, three for 5 %
	// (editorial; transfers between facilities are routine).
	u := r.Float64()
	n := 0
	switch {
	case u < 0.45:
	case u < 0.80:
		n = 1
	case u < 0.95:
		n = 2
	default:
		n = 3
	}
	n = min(n, maxTransfers)
	if end-booked < 2 {
		n = 0
	}
	var days [3]date
	for k := range n {
		days[k] = between(r, booked+1, end-1)
	}
	for k := 1; k < n; k++ { // insertion sort of at most three days
		for j := k; j > 0 && days[j] < days[j-1]; j-- {
			days[j], days[j-1] = days[j-1], days[j]
		}
	}
	for k := range n {
		next := w.usFacility(r)
		if next == fac {
			continue
		}
		fac = next
		p.add(Event{Kind: EvTransfer, On: days[k], Facility: fac, Place: w.facilityPlace(fac), Custodian: "ICE"})
	}
	return fac
}

func (w *world) toCECOT(r *rand.Rand, p *person, flightDay date, flight, from string) {
	cecot := w.fac.cecot
	p.add(Event{Kind: EvRemovalFlight, On: flightDay, Facility: -1, Place: from + " - San Salvador", Custodian: "ICE", Flight: flight})
	p.add(Event{Kind: EvForeignCustody, On: flightDay + 1, Facility: cecot, Place: w.facilityPlace(cecot), Custodian: "Dirección General de Centros Penales (El Salvador)"})
	if p.nat != "VE" {
		return // Salvadorans stay in CECOT
	}
	// 18 July 2025: the return flights (E063), two planes.
	if r.Float64() >= w.cfg.Facts.ReturnShare {
		return
	}
	ret := mkdate(2025, 7, 18)
	fl := "SAL-CCS 1"
	if p.index%2 == 1 {
		fl = "SAL-CCS 2"
	}
	p.add(Event{Kind: EvReturnFlight, On: ret, Facility: -1, Place: "San Salvador - Maiquetía", Custodian: "Gobierno de Venezuela", Flight: fl})
	p.add(Event{Kind: EvRelease, On: ret + 1 + date(r.IntN(7)), Facility: -1, Place: "Maiquetía, Venezuela", Custodian: "Gobierno de Venezuela"})
}

func (w *world) timeline(r *rand.Rand, p *person) {
	switch p.group {
	case GroupAEA, GroupTitle8, GroupSalvadoranMarch:
		// Three planes left Harlingen, Texas on 15 March (E021, E022);
		// the third carried those with Title 8 orders. The men were
		// gathered in South Texas first (El Valle, Port Isabel; editorial).
		staging := between(r, mkdate(2025, 3, 12), mkdate(2025, 3, 14))
		a := between(r, worldStart, mkdate(2025, 3, 5))
		fac := w.custody(r, p, a, staging, 2)
		st := w.fac.elValle
		if r.Float64() < 0.4 {
			st = w.fac.portIsabel
		}
		if st != fac {
			p.add(Event{Kind: EvTransfer, On: staging, Facility: st, Place: w.facilityPlace(st), Custodian: "ICE"})
		}
		flight := "HRL-SAL 3"
		if p.group == GroupAEA {
			flight = "HRL-SAL 1"
			if p.rank%2 == 1 {
				flight = "HRL-SAL 2"
			}
		}
		w.toCECOT(r, p, mkdate(2025, 3, 15), flight, "Harlingen, TX")
	case GroupGuantanamo:
		// From Guantánamo on 30–31 March (E042, E043); Guantánamo flights
		// began on 4 February (E003).
		a := between(r, mkdate(2024, 12, 1), mkdate(2025, 2, 25))
		moved := between(r, max(a+3, mkdate(2025, 2, 4)), mkdate(2025, 3, 25))
		w.custody(r, p, a, moved, 1)
		p.add(Event{Kind: EvTransfer, On: moved, Facility: w.fac.gtmo, Place: w.facilityPlace(w.fac.gtmo), Custodian: "ICE / Department of Defense"})
		w.toCECOT(r, p, mkdate(2025, 3, 30), "GTMO-SAL", "Guantánamo")
	case GroupApril:
		a := between(r, mkdate(2024, 12, 1), mkdate(2025, 3, 25))
		out := between(r, mkdate(2025, 4, 1), mkdate(2025, 4, 30))
		w.custody(r, p, a, out, 2)
		w.toCECOT(r, p, out, "", "Texas")
	default:
		w.wider(r, p)
	}
}

// wider writes the timeline of someone outside the CECOT groups: arrest,
// detention for about the average stay of the first facility (ICE FY2025
// ALOS, facilities.csv), then removal, release, or still detained when the
// world ends.
func (w *world) wider(r *rand.Rand, p *person) {
	f := w.cfg.Facts
	a := between(r, mkdate(2024, 11, 1), mkdate(2025, 7, 31))
	if p.nat == "VE" && a < mkdate(2025, 2, 1) && r.Float64() < f.GuantanamoShare {
		// Guantánamo, then Soto Cano, Honduras, and home on 20 February (E011).
		moved := between(r, max(a+2, mkdate(2025, 2, 4)), mkdate(2025, 2, 15))
		w.custody(r, p, a, moved, 1)
		p.add(Event{Kind: EvTransfer, On: moved, Facility: w.fac.gtmo, Place: w.facilityPlace(w.fac.gtmo), Custodian: "ICE / Department of Defense"})
		out := mkdate(2025, 2, 20)
		p.add(Event{Kind: EvRemovalFlight, On: out, Facility: -1, Place: "Guantánamo - Soto Cano, Honduras", Custodian: "ICE", Flight: "GTMO-XPL"})
		p.add(Event{Kind: EvReturnFlight, On: out, Facility: -1, Place: "Soto Cano - Maiquetía", Custodian: "Gobierno de Venezuela", Flight: "XPL-CCS"})
		p.add(Event{Kind: EvRelease, On: out + 1, Facility: -1, Place: "Maiquetía, Venezuela", Custodian: "Gobierno de Venezuela"})
		return
	}
	// Stay length: the first facility's average stay, exponential.
	first := w.usFacility(r)
	mean := w.t.facilities[first].ALOS
	if mean <= 0 {
		mean = 45
	}
	end := a + 1 + date(r.ExpFloat64()*mean)
	removed := r.Float64() < f.RemovedShare
	if removed && p.nat == "VE" {
		// Removal waits for the next flight to Venezuela.
		next := date(-1)
		for _, d := range w.vap {
			if d >= end {
				next = d
				break
			}
		}
		if next < 0 {
			end = worldEnd + 1
		} else {
			end = next
		}
	}
	if end > worldEnd {
		w.custody(r, p, a, worldEnd, 3)
		return
	}
	w.custody(r, p, a, end, 3)
	if !removed {
		fac := p.ev[p.nev-1].Facility
		p.add(Event{Kind: EvRelease, On: end, Facility: -1, Place: w.facilityPlace(fac), Custodian: "ICE"})
		return
	}
	c := w.t.countries[p.nat]
	y, m, d := end.civil()
	code := strconv.Itoa(y*10000 + m*100 + d)
	if p.nat == "VE" {
		p.add(Event{Kind: EvRemovalFlight, On: end, Facility: -1, Place: "Texas - Maiquetía", Custodian: "ICE", Flight: "VAP-" + code})
		p.add(Event{Kind: EvRelease, On: end + 1, Facility: -1, Place: "Maiquetía, Venezuela", Custodian: "Gobierno de Venezuela"})
		return
	}
	p.add(Event{Kind: EvRemovalFlight, On: end, Facility: -1, Place: "Estados Unidos - " + c.NameES, Custodian: "ICE", Flight: "RMV-" + c.Alpha3 + "-" + code})
	p.add(Event{Kind: EvRelease, On: end, Facility: -1, Place: c.NameES, Custodian: "autoridades de " + c.NameES})
}

// titleCase writes an upper-case ICE name ("RAYMONDVILLE", "LOS FRESNOS")
// as a person would.
func titleCase(s string) string {
	b := []rune(strings.ToLower(s))
	up := true
	for i, c := range b {
		if up {
			b[i] = []rune(strings.ToUpper(string(c)))[0]
		}
		up = c == ' ' || c == '-' || c == '/' || c == '.'
	}
	return string(b)
}

package synth

import (
	"fmt"

	"github.com/paradero/paradero"
)

// DefaultPersons is the size of the default world: the few hundred men of
// the CECOT flights inside a detained population of a few thousand.
const DefaultPersons = 3000

// Config describes a world to generate. The zero value, after Defaults, is
// the default world.
type Config struct {
	Persons int    // number of persons; 0 means DefaultPersons
	Seed    uint64 // the same Persons, Seed, Facts and Sources give byte-identical output

	Facts   Facts        // a Facts with no Nationality means DefaultFacts()
	Sources []SourceSpec // nil means DefaultSources()
}

// Group is the part a person plays in the world.
type Group int

const (
	// GroupAEA: Venezuelans removed to CECOT on 15 March 2025 under the
	// Alien Enemies Act, on the first two planes.
	GroupAEA Group = iota
	// GroupTitle8: Venezuelans removed on the third plane of 15 March
	// under ordinary immigration law (Title 8).
	GroupTitle8
	// GroupSalvadoranMarch: Salvadorans on the third plane of 15 March.
	GroupSalvadoranMarch
	// GroupGuantanamo: men moved from Guantánamo to CECOT on 30–31 March.
	GroupGuantanamo
	// GroupApril: Venezuelans who reached CECOT later, by no reported
	// flight, so that 245 becomes the 252 returned (see Facts).
	GroupApril
	// GroupWider: the rest of the detained population.
	GroupWider
	numGroups
)

func groupNames() [numGroups]string {
	return [numGroups]string{"aea-2025-03-15", "title8-2025-03-15", "salvadoran-2025-03-15", "guantanamo-2025-03-30", "unreported-2025-04", "wider"}
}

func (g Group) String() string {
	if g < 0 || g >= numGroups {
		return fmt.Sprintf("Group(%d)", int(g))
	}
	return groupNames()[g]
}

// CECOT reports whether the group was sent to CECOT.
func (g Group) CECOT() bool { return g < GroupWider }

// Facts are the public figures the world follows. Each default cites its row
// of the shared events_2025.csv (E0xx) or CONTEXT.md; where the sources
// disagree the default takes one and docs/synth.md says which and why.
type Facts struct {
	// 15–16 March 2025, three planes from Harlingen, Texas (E021, E022).
	March15AEA         int // Venezuelans under the Alien Enemies Act: 137 (E032)
	March15Title8      int // other Venezuelans: 101 (E033); 137+101 = 238 (E027, E028, E036)
	March15Salvadorans int // 23 (E029, E031; E027 says 21)
	// 30–31 March 2025, from Guantánamo: 17 in all (E042), 7 of them
	// Venezuelans (E043); the other 10 are taken to be Salvadorans.
	GuantanamoVenezuelans int
	GuantanamoSalvadorans int
	// Venezuelans who reached CECOT by no reported flight: 252 were sent
	// in March–April (E076) and returned (E063) against 238+7 = 245 on
	// reported flights (the UN's "at least 245", E053). 7 by default.
	AprilVenezuelans int
	// 18 July 2025: every Venezuelan in CECOT flown to Venezuela on two
	// planes (E063), unless ReturnShare says otherwise.
	ReturnShare float64 // share of CECOT Venezuelans returned: 1

	// The wider population (everyone not in a CECOT group).
	MaleShare       float64            // 0.9, editorial (CECOT groups are all men)
	Nationality     []NationalityShare // editorial mix; docs/synth.md
	RemovedShare    float64            // of those whose stay ends before the world ends: removed rather than released, 0.7 (editorial)
	GuantanamoShare float64            // of Venezuelans arrested before 10 Feb 2025: held at Guantánamo and returned via Soto Cano on 20 Feb (E011), 0.05
}

// NationalityShare is one nationality of the wider population.
type NationalityShare struct {
	Country string // ISO 3166-1 alpha-2, one of the countries with name tables
	Share   float64
}

// DefaultFacts returns the figures of the default world.
func DefaultFacts() Facts {
	return Facts{
		March15AEA:            137,
		March15Title8:         101,
		March15Salvadorans:    23,
		GuantanamoVenezuelans: 7,
		GuantanamoSalvadorans: 10,
		AprilVenezuelans:      7,
		ReturnShare:           1,
		MaleShare:             0.9,
		Nationality: []NationalityShare{
			{"VE", 0.40}, {"MX", 0.18}, {"GT", 0.14}, {"HN", 0.14}, {"SV", 0.07}, {"CO", 0.07},
		},
		RemovedShare:    0.7,
		GuantanamoShare: 0.05,
	}
}

// cecotTotal is the number of people the facts send to CECOT.
func (f Facts) cecotTotal() int {
	return f.March15AEA + f.March15Title8 + f.March15Salvadorans + f.GuantanamoVenezuelans + f.GuantanamoSalvadorans + f.AprilVenezuelans
}

// ErrorKind is one kind of error a list carries.
type ErrorKind int

// The error kinds. A rate is the probability that a record gets the error
// when it is eligible for it (docs/synth.md says when each is).
const (
	Typo                 ErrorKind = iota // one character inserted, deleted, replaced or two transposed, in one name
	AccentLoss                            // accents and ñ written without diacritics
	SurnameSwap                           // first and second surname in the wrong order
	MissingSecondSurname                  // the maternal surname left out
	SurnameFirst                          // full name written "SURNAMES, GIVEN NAMES"
	GivenSurnameSwap                      // given names in the surname field and the other way round
	SecondGivenDropped                    // "José Luis" written "José"
	Initial                               // "José Luis" written "José L."
	Nickname                              // a hypocorism for the first given name (Pepe for José)
	DayMonthSwap                          // birth date with day and month exchanged
	PartialDate                           // birth date given to the year only
	MissingBirthDate                      // birth date left out
	DateTypo                              // birth date one day or one year off
	OCR                                   // a character misread: 0/O, 1/l/I, 5/S, 8/B
	NumberTypo                            // one digit of a document number changed or two transposed
	Duplicate                             // the person listed twice
	numErrorKinds
)

func errorNames() [numErrorKinds]string {
	return [numErrorKinds]string{"typo", "accent_loss", "surname_swap", "missing_second_surname",
		"surname_first", "given_surname_swap", "second_given_dropped", "initial", "nickname", "day_month_swap",
		"partial_date", "missing_birth_date", "date_typo", "ocr", "number_typo", "duplicate"}
}

func (k ErrorKind) String() string {
	if k < 0 || k >= numErrorKinds {
		return fmt.Sprintf("ErrorKind(%d)", int(k))
	}
	return errorNames()[k]
}

// ErrorKinds lists every error kind in order.
func ErrorKinds() []ErrorKind {
	ks := make([]ErrorKind, numErrorKinds)
	for i := range ks {
		ks[i] = ErrorKind(i)
	}
	return ks
}

// Rates gives each error kind its probability.
type Rates [numErrorKinds]float64

// Form is how a source is built: who it covers and how it writes them.
type Form int

const (
	FormLeakedRoster   Form = iota // a government list of the men on the 15 March flights
	FormAdvocacyList               // an NGO's list of those believed sent to CECOT
	FormFamilyReports              // reports taken from families looking for someone
	FormHabeasSV                   // a habeas corpus petition to El Salvador's Supreme Court
	FormUSCourt                    // a US court filing listing petitioners and class members
	FormLocator                    // one day's answers of the ICE online detainee locator
	FormReturnManifest             // the passenger list of the 18 July return flights
)

// SourceSpec describes one generated source.
type SourceSpec struct {
	Name      string // file base name without ".csv"; also the truth file's source (with ".csv")
	Kind      paradero.SourceKind
	Title     string
	Published paradero.PartialDate
	Form      Form
	Columns   []string // canonical record field keys, after rec_id
	// Include is each group's probability of being on the list, for an
	// average person; Visibility shifts it on the logit scale by
	// Visibility × the person's visibility (a standard normal draw: how
	// connected and searched-for a person is), so that lists share the
	// same people more than chance would — the heterogeneity
	// capture–recapture has to cope with.
	Include    [numGroups]float64
	Visibility float64
	Errors     Rates
	Upper      bool                 // written in upper case
	Date       paradero.PartialDate // for a locator snapshot: the day it answers for
}

// Filename returns the source's file base name.
func (s SourceSpec) Filename() string { return s.Name + ".csv" }

func day(y, m, d int) paradero.PartialDate { return paradero.PartialDate{Year: y, Month: m, Day: d} }

func groups(aea, t8, svMar, gtmo, apr, wider float64) [numGroups]float64 {
	return [numGroups]float64{aea, t8, svMar, gtmo, apr, wider}
}

// DefaultSources returns the sources of the default world. Coverage and
// error rates are editorial: chosen to resemble the lists of 2025 as the
// press described them (docs/synth.md gives the reasoning for each).
func DefaultSources() []SourceSpec {
	locator := func(d paradero.PartialDate) SourceSpec {
		return SourceSpec{
			Name:       "locator_" + d.String(),
			Kind:       paradero.KindLocatorSnapshot,
			Title:      "ICE Online Detainee Locator answers on " + d.String() + " for the people a volunteer network watches (synthetic)",
			Published:  d,
			Form:       FormLocator,
			Columns:    []string{"a_number", "full_name", "country_of_birth", "facility", "status"},
			Include:    groups(0.55, 0.55, 0.3, 0.5, 0.5, 0.3),
			Visibility: 0.8,
			Errors: Rates{Typo: 0.02, AccentLoss: 1, MissingSecondSurname: 0.25, SurnameSwap: 0.01,
				SecondGivenDropped: 0.08},
			Upper: true,
			Date:  d,
		}
	}
	return []SourceSpec{
		{
			Name:      "leaked_roster",
			Kind:      paradero.KindRoster,
			Title:     "Leaked government list of Venezuelans removed to El Salvador on 15 March 2025 (synthetic)",
			Published: day(2025, 3, 20), // E036
			Form:      FormLeakedRoster,
			Columns:   []string{"given_names", "surnames"},
			Include:   groups(0.985, 0.985, 0, 0, 0, 0),
			Errors: Rates{Typo: 0.03, AccentLoss: 1, SurnameSwap: 0.02, MissingSecondSurname: 0.08,
				GivenSurnameSwap: 0.01, SecondGivenDropped: 0.03, OCR: 0.01, Duplicate: 0.01},
			Upper: true,
		},
		locator(day(2025, 3, 10)),
		locator(day(2025, 3, 19)), // E035: people vanish from the locator
		locator(day(2025, 4, 21)),
		locator(day(2025, 7, 25)),
		{
			Name:       "advocacy_list",
			Kind:       paradero.KindNGOReport,
			Title:      "Advocacy group's list of Venezuelans believed held in CECOT (synthetic)",
			Published:  day(2025, 4, 5),
			Form:       FormAdvocacyList,
			Columns:    []string{"full_name", "birth_date", "nationality", "place", "notes"},
			Include:    groups(0.85, 0.85, 0.15, 0.5, 0.3, 0.04),
			Visibility: 1.2,
			Errors: Rates{Typo: 0.03, AccentLoss: 0.3, SurnameSwap: 0.02, MissingSecondSurname: 0.15,
				SecondGivenDropped: 0.10, DayMonthSwap: 0.02, PartialDate: 0.4, MissingBirthDate: 0.3, Duplicate: 0.02},
		},
		{
			Name:       "family_reports",
			Kind:       paradero.KindFamilyReport,
			Title:      "Reports from families searching for a relative, collected by a support network (synthetic)",
			Published:  day(2025, 4, 30),
			Form:       FormFamilyReports,
			Columns:    []string{"full_name", "birth_date", "nationality", "notes"},
			Include:    groups(0.5, 0.5, 0.3, 0.4, 0.4, 0.015),
			Visibility: 1.5,
			Errors: Rates{Typo: 0.04, AccentLoss: 0.1, MissingSecondSurname: 0.2, SecondGivenDropped: 0.25,
				Nickname: 0.12, DayMonthSwap: 0.02, PartialDate: 0.15, MissingBirthDate: 0.2, DateTypo: 0.02, Duplicate: 0.06},
		},
		{
			Name:       "habeas_petition_sv",
			Kind:       paradero.KindCourtFiling,
			Title:      "Habeas corpus petition for Venezuelans held in CECOT, Supreme Court of El Salvador (synthetic)",
			Published:  paradero.PartialDate{Year: 2025, Month: 4}, // CONTEXT.md: a petition for 30 Venezuelans
			Form:       FormHabeasSV,
			Columns:    []string{"full_name", "nationality", "facility", "notes"},
			Include:    groups(0.1, 0.1, 0, 0.1, 0.1, 0),
			Visibility: 1.0,
			Errors:     Rates{Typo: 0.02, AccentLoss: 0.05, MissingSecondSurname: 0.05, SurnameSwap: 0.01},
		},
		{
			Name:       "us_court_filing",
			Kind:       paradero.KindCourtFiling,
			Title:      "US district court habeas filing listing petitioners and class members (synthetic)",
			Published:  day(2025, 4, 18), // the week of E051
			Form:       FormUSCourt,
			Columns:    []string{"full_name", "a_number", "birth_date", "nationality", "facility", "status"},
			Include:    groups(0.3, 0.3, 0.05, 0.2, 0.1, 0.08),
			Visibility: 1.0,
			Errors: Rates{Typo: 0.02, AccentLoss: 1, SurnameFirst: 0.85, Initial: 0.15, MissingSecondSurname: 0.1,
				DayMonthSwap: 0.05, NumberTypo: 0.02, Duplicate: 0.01},
			Upper: true,
		},
		{
			Name:      "return_manifest",
			Kind:      paradero.KindManifest,
			Title:     "Passenger list of the 18 July 2025 return flights from San Salvador to Maiquetía (synthetic)",
			Published: day(2025, 7, 18), // E063
			Form:      FormReturnManifest,
			Columns: []string{"first_surname", "second_surname", "given_names", "birth_date", "sex", "nationality",
				"passport", "flight", "event_from", "place"},
			Include: groups(0.99, 0.99, 0, 0.99, 0.99, 0),
			Errors: Rates{Typo: 0.02, AccentLoss: 0.5, OCR: 0.03, DayMonthSwap: 0.03, NumberTypo: 0.02,
				MissingSecondSurname: 0.03, Duplicate: 0.01},
			Upper: true,
		},
	}
}

// withDefaults returns c with zero fields filled and checks it.
func (c Config) withDefaults() (Config, error) {
	if c.Persons == 0 {
		c.Persons = DefaultPersons
	}
	if c.Persons < 0 {
		return c, paradero.Errorf(paradero.EINVALID, "synth: persons must be positive, not %d", c.Persons)
	}
	if c.Persons > 50_000_000 {
		return c, paradero.Errorf(paradero.EINVALID, "synth: %d persons is more than the 50,000,000 supported", c.Persons)
	}
	if c.Facts.Nationality == nil {
		c.Facts = DefaultFacts()
	}
	if c.Sources == nil {
		c.Sources = DefaultSources()
	}
	seen := map[string]bool{}
	for _, s := range c.Sources {
		if s.Name == "" || seen[s.Name] {
			return c, paradero.Errorf(paradero.EINVALID, "synth: source name %q is empty or repeated", s.Name)
		}
		seen[s.Name] = true
		if !s.Kind.Valid() {
			return c, paradero.Errorf(paradero.EINVALID, "synth: source %s has kind %q", s.Name, s.Kind)
		}
		for _, col := range s.Columns {
			if _, ok := paradero.LookupRecordField(col); !ok {
				return c, paradero.Errorf(paradero.EINVALID, "synth: source %s: %q is not a record field", s.Name, col)
			}
		}
		for k, r := range s.Errors {
			if r < 0 || r > 1 {
				return c, paradero.Errorf(paradero.EINVALID, "synth: source %s: rate of %v is %v", s.Name, ErrorKind(k), r)
			}
		}
	}
	total := 0.0
	for _, n := range c.Facts.Nationality {
		if !hasNames(n.Country) {
			return c, paradero.Errorf(paradero.EINVALID, "synth: no name tables for nationality %q", n.Country)
		}
		total += n.Share
	}
	if total <= 0 {
		return c, paradero.Errorf(paradero.EINVALID, "synth: nationality shares sum to %v", total)
	}
	return c, nil
}

func hasNames(country string) bool {
	for _, c := range nameCountries() {
		if c == country {
			return true
		}
	}
	return false
}

package watch

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"time"
)

// notInCustodyDays is how long the US locator shows "not in custody" after
// a release or an ordinary removal before it stops knowing the person (the
// synthetic world's rule, docs/synth.md).
const notInCustodyDays = 60

// ScenarioFromSynth builds a scenario from a synthetic world's
// persons.csv and custody.csv (package synth): each person's true
// timeline, as the US locator and the foreign rosters would show it. Held
// in the US → in custody at the facility; a removal flight followed by a
// foreign custodian → gone from the US locator at once and on that
// custodian's roster (the CECOT men, docs/synth.md); a release or another
// removal → "not in custody" for 60 days, then no match.
func ScenarioFromSynth(persons, custody io.Reader) (*Scenario, error) {
	prs, err := readCSV(persons, "person_id", "full_name", "birth_date", "country_of_birth", "a_number")
	if err != nil {
		return nil, fmt.Errorf("persons.csv: %w", err)
	}
	cus, err := readCSV(custody, "person_id", "event", "date", "facility", "place", "custodian")
	if err != nil {
		return nil, fmt.Errorf("custody.csv: %w", err)
	}
	sc := &Scenario{}
	index := make(map[string]int, len(prs))
	for _, p := range prs {
		index[p["person_id"]] = len(sc.Persons)
		sc.Persons = append(sc.Persons, SimPerson{ANumber: p["a_number"], CountryOfBirth: p["country_of_birth"],
			Name: p["full_name"], BirthDate: p["birth_date"]})
	}
	for i, e := range cus {
		pi, ok := index[e["person_id"]]
		if !ok {
			return nil, fmt.Errorf("custody.csv row %d: unknown person", i+2)
		}
		p := &sc.Persons[pi]
		on, err := time.Parse("2006-01-02", e["date"])
		if err != nil {
			return nil, fmt.Errorf("custody.csv row %d: date: %w", i+2, err)
		}
		next := ""
		if i+1 < len(cus) && cus[i+1]["person_id"] == e["person_id"] {
			next = cus[i+1]["event"]
		}
		switch e["event"] {
		case "arrest":
		case "booked", "transfer":
			p.Steps = append(p.Steps, SimStep{From: on, State: SimHeld, Facility: e["facility"], Place: e["place"], Custodian: "ICE"})
		case "foreign_custody":
			p.Steps = append(p.Steps, SimStep{From: on, State: SimHeld, Facility: e["facility"], Place: e["place"], Custodian: e["custodian"]})
		case "removal_flight", "release":
			if next == "foreign_custody" {
				p.Steps = append(p.Steps, SimStep{From: on, State: SimAbsent})
				continue
			}
			p.Steps = append(p.Steps, SimStep{From: on, State: SimNotInCustody},
				SimStep{From: on.AddDate(0, 0, notInCustodyDays), State: SimAbsent})
		case "return_flight":
			p.Steps = append(p.Steps, SimStep{From: on, State: SimAbsent})
		default:
			return nil, fmt.Errorf("custody.csv row %d: unknown event %q", i+2, e["event"])
		}
	}
	return sc, nil
}

func readCSV(r io.Reader, need ...string) ([]map[string]string, error) {
	b, err := io.ReadAll(io.LimitReader(r, 1<<30))
	if err != nil {
		return nil, err
	}
	cr := csv.NewReader(bytes.NewReader(b))
	head, err := cr.Read()
	if err != nil {
		return nil, err
	}
	col := make(map[string]int)
	for i, h := range head {
		col[h] = i
	}
	for _, n := range need {
		if _, ok := col[n]; !ok {
			return nil, fmt.Errorf("no column %q", n)
		}
	}
	var out []map[string]string
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		m := make(map[string]string, len(head))
		for k, i := range col {
			m[k] = rec[i]
		}
		out = append(out, m)
	}
}

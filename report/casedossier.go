package report

import (
	"cmp"
	"context"
	"encoding/json"
	"io"
	"slices"
	"time"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/ledger"
	"github.com/paradero/paradero/timeline"
)

// CaseStore is what a case dossier reads: what a person's dossier reads,
// and the cases and violations.
type CaseStore interface {
	Store
	paradero.CaseService
	paradero.ViolationService
}

// CaseDossier is everything known about one case, for the court, the
// Inter-American Commission or a UN rapporteur: the case's facts,
// hearings, deadlines and court orders with whether they were obeyed;
// each person it concerns with their identity as each source wrote it,
// custody timeline and due-process facts; the violations recorded
// against them; every source cited, with its hash; and an inclusion proof
// of every record and every source against one signed checkpoint.
// BuildCaseDossier gathers it; WriteHTML, WritePDF and WriteJSON lay it
// out.
type CaseDossier struct {
	Lang       string
	Generated  time.Time
	Case       *paradero.Case
	People     []CasePersonDossier
	Violations []*paradero.Violation // latest first
	Sources    []SourceProof         // every source cited anywhere, id order
	Checkpoint string                // the signed checkpoint every proof is against
}

// CasePersonDossier is one person of a case: the anchor record the case
// links, the person it belongs to now (0 while not linked), and a
// person's dossier of their records (each with its proof).
type CasePersonDossier struct {
	Anchor   int64
	LinkedAs int64 // the anchor's person when it was linked
	Dossier  *Dossier
}

// SourceProof is a source and the proof of its ledger entry.
type SourceProof struct {
	Source *paradero.Source
	Proof  *ledger.Proof
}

// BuildCaseDossier gathers the dossier of case id. When the store
// implements paradero.AuditService it first appends an audit entry
// (AuditDossierExport, object "case:ID"); a failure to audit fails the
// export. It does not check who may read the case: the caller does.
// ENOTFOUND for no such case; EINVALID for an unknown language.
func BuildCaseDossier(ctx context.Context, store CaseStore, prover Prover, id int64, opt DossierOptions) (*CaseDossier, error) {
	if opt.Lang == "" {
		opt.Lang = "es"
	}
	if !ValidLang(opt.Lang) {
		return nil, paradero.Errorf(paradero.EINVALID, "language %q is not es or en", opt.Lang)
	}
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	c, err := store.FindCaseByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if as, ok := store.(paradero.AuditService); ok {
		if err := as.CreateAuditEntry(ctx, paradero.NewAuditEntry(ctx, AuditDossierExport, paradero.CaseSubject(id))); err != nil {
			return nil, err
		}
	}
	d := &CaseDossier{Lang: opt.Lang, Generated: opt.Now, Case: c}
	sources := make(map[int64]*paradero.Source)
	source := func(sid int64) (*paradero.Source, error) {
		if s, ok := sources[sid]; ok {
			return s, nil
		}
		s, err := store.FindSourceByID(ctx, sid)
		if err != nil {
			return nil, err
		}
		sources[sid] = s
		return s, nil
	}
	var allRecords []int64
	for _, cp := range c.People {
		recs := []int64{cp.RecordID}
		var personID int64
		p, err := store.FindPersonOfRecord(ctx, cp.RecordID)
		switch {
		case err == nil:
			recs, personID = p.Records, p.ID
		case paradero.ErrorCode(err) != paradero.ENOTFOUND:
			return nil, err
		}
		pd := &Dossier{Lang: opt.Lang, PersonID: personID, Generated: opt.Now}
		var mentions []timeline.Mention
		seen := make(map[int64]bool)
		for _, rid := range slices.Sorted(slices.Values(recs)) {
			r, err := store.FindRecordByID(ctx, rid)
			if err != nil {
				return nil, err
			}
			src, err := source(r.SourceID)
			if err != nil {
				return nil, err
			}
			if !seen[src.ID] {
				seen[src.ID] = true
				pd.Sources = append(pd.Sources, src)
			}
			pd.Records = append(pd.Records, DossierRecord{Record: r, Source: src})
			mentions = append(mentions, timeline.Mention{Record: r, Source: src})
			allRecords = append(allRecords, rid)
		}
		slices.SortFunc(pd.Sources, func(a, b *paradero.Source) int { return cmp.Compare(a.ID, b.ID) })
		pd.Timeline = timeline.Build(mentions, nil, timeline.Options{Now: opt.Now, Threshold: opt.Threshold})
		d.People = append(d.People, CasePersonDossier{Anchor: cp.RecordID, LinkedAs: cp.PersonID, Dossier: pd})
	}

	// Violations part of the case or recorded against its people.
	byCase, _, err := store.FindViolations(ctx, paradero.ViolationFilter{CaseID: id, Limit: 10000})
	if err != nil {
		return nil, err
	}
	d.Violations = byCase
	if len(allRecords) > 0 {
		byPeople, _, err := store.FindViolations(ctx, paradero.ViolationFilter{Records: allRecords, Limit: 10000})
		if err != nil {
			return nil, err
		}
		for _, v := range byPeople {
			if !slices.ContainsFunc(d.Violations, func(w *paradero.Violation) bool { return w.ID == v.ID }) {
				d.Violations = append(d.Violations, v)
			}
		}
	}
	slices.SortStableFunc(d.Violations, func(a, b *paradero.Violation) int {
		if c := cmp.Compare(b.Date.From.String(), a.Date.From.String()); c != 0 {
			return c
		}
		return cmp.Compare(b.ID, a.ID)
	})

	// Every source cited: the case's documents, its orders' compliance,
	// the violations' citations, and its people's records' sources.
	for _, doc := range c.Documents {
		if _, err := source(doc.SourceID); err != nil {
			return nil, err
		}
	}
	for _, o := range c.Orders {
		if o.ObeyedSource != 0 {
			if _, err := source(o.ObeyedSource); err != nil {
				return nil, err
			}
		}
	}
	for _, v := range d.Violations {
		for _, ci := range v.Sources {
			if _, err := source(ci.SourceID); err != nil {
				return nil, err
			}
		}
	}
	for _, s := range sources {
		d.Sources = append(d.Sources, SourceProof{Source: s})
	}
	slices.SortFunc(d.Sources, func(a, b SourceProof) int { return cmp.Compare(a.Source.ID, b.Source.ID) })

	if err := d.prove(ctx, prover); err != nil {
		return nil, err
	}
	return d, nil
}

// prove proves every record and source against one checkpoint: an import
// between two proofs moves the checkpoint on, and then all are proved
// again (three tries, as BuildDossier does).
func (d *CaseDossier) prove(ctx context.Context, prover Prover) error {
	for try := 0; ; try++ {
		var size int64
		first, same := true, true
		check := func(pr *ledger.Proof) {
			if first {
				size, d.Checkpoint, first = pr.TreeSize, pr.Checkpoint, false
			} else if pr.TreeSize != size {
				same = false
			}
		}
		for _, p := range d.People {
			for i := range p.Dossier.Records {
				pr, err := prover.Prove(ctx, p.Dossier.Records[i].Record.LedgerIndex)
				if err != nil {
					return err
				}
				check(pr)
				p.Dossier.Records[i].Proof = pr
			}
		}
		for i := range d.Sources {
			pr, err := prover.Prove(ctx, d.Sources[i].Source.LedgerIndex)
			if err != nil {
				return err
			}
			check(pr)
			d.Sources[i].Proof = pr
		}
		if same || try == 2 {
			for _, p := range d.People {
				p.Dossier.Checkpoint = d.Checkpoint
			}
			return nil
		}
	}
}

// source returns the dossier's source with id, or nil.
func (d *CaseDossier) source(id int64) *paradero.Source {
	for _, s := range d.Sources {
		if s.Source.ID == id {
			return s.Source
		}
	}
	return nil
}

// inCase reports, for a violation's victim record, which person of the
// case it is (its index in People), or -1: a group violation may name
// people the case does not concern, who are given by record id only.
func (d *CaseDossier) inCase(record int64) int {
	for i, p := range d.People {
		for _, r := range p.Dossier.Records {
			if r.Record.ID == record {
				return i
			}
		}
	}
	return -1
}

// CaseDossierFormat names the JSON form of a case dossier.
const CaseDossierFormat = "paradero-case-dossier/1"

type caseDossierJSON struct {
	Format     string                `json:"format"`
	Lang       string                `json:"lang"`
	Generated  time.Time             `json:"generated"`
	Checkpoint string                `json:"checkpoint"`
	Case       caseJSON              `json:"case"`
	People     []casePersonJSON      `json:"people"`
	Violations []*paradero.Violation `json:"violations"`
	Sources    []sourceProofJSON     `json:"sources"`
}

type caseJSON struct {
	ID        int64                   `json:"id"`
	Kind      paradero.CaseKind       `json:"kind"`
	Title     string                  `json:"title"`
	Court     string                  `json:"court,omitempty"`
	Number    string                  `json:"number,omitempty"`
	Status    paradero.CaseStatus     `json:"status"`
	Opened    string                  `json:"opened,omitempty"`
	Closed    string                  `json:"closed,omitempty"`
	Notes     string                  `json:"notes,omitempty"`
	Deadlines []*paradero.Deadline    `json:"deadlines"`
	Orders    []*paradero.CourtOrder  `json:"orders"`
	Documents []paradero.CaseDocument `json:"documents"`
	People    []paradero.CasePerson   `json:"links"`
	Lawyers   int                     `json:"lawyers"`
}

type casePersonJSON struct {
	Anchor   int64              `json:"anchor_record"`
	LinkedAs int64              `json:"linked_as_person,omitempty"`
	Person   int64              `json:"person,omitempty"`
	Records  []recordJSON       `json:"records"`
	Timeline *timeline.Timeline `json:"timeline"`
}

type sourceProofJSON struct {
	sourceJSON
	Proof *ledger.Proof `json:"proof"`
}

// WriteJSON writes the case dossier as JSON: the proofs as `paradero
// prove` writes them, so each can be checked with `paradero
// verify-proof`. Lawyers are counted, not named.
func (d *CaseDossier) WriteJSON(w io.Writer) error {
	c := d.Case
	out := caseDossierJSON{Format: CaseDossierFormat, Lang: d.Lang, Generated: d.Generated.UTC(), Checkpoint: d.Checkpoint,
		Case: caseJSON{ID: c.ID, Kind: c.Kind, Title: c.Title, Court: c.Court, Number: c.Number, Status: c.Status,
			Opened: c.Opened.String(), Closed: c.Closed.String(), Notes: c.Notes, Deadlines: c.Deadlines, Orders: c.Orders,
			Documents: c.Documents, People: c.People, Lawyers: len(c.Lawyers)},
		Violations: d.Violations}
	for _, p := range d.People {
		pj := casePersonJSON{Anchor: p.Anchor, LinkedAs: p.LinkedAs, Person: p.Dossier.PersonID, Timeline: p.Dossier.Timeline}
		for _, r := range p.Dossier.Records {
			pj.Records = append(pj.Records, recordOut(r))
		}
		out.People = append(out.People, pj)
	}
	for _, s := range d.Sources {
		out.Sources = append(out.Sources, sourceProofJSON{sourceJSON: sourceOut(s.Source), Proof: s.Proof})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// recordOut is a record as dossiers write it in JSON.
func recordOut(r DossierRecord) recordJSON {
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
	return rj
}

// sourceOut is a source as dossiers write it in JSON.
func sourceOut(s *paradero.Source) sourceJSON {
	return sourceJSON{ID: s.ID, Kind: string(s.Kind), Title: s.Title, Published: s.Published.String(),
		Filename: s.Filename, SHA256: s.SHA256.String()}
}

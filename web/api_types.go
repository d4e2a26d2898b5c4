package web

import (
	"time"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/timeline"
)

// The API's representations. Field names are snake_case; times are RFC
// 3339 in UTC; dates that may be partial are ISO 8601 at their precision
// ("1990", "1990-04", "1990-04-02"); hashes are lower-case hex; something
// not known is null. openapi.json documents each as a schema of the same
// name without the "api" prefix.

type apiSource struct {
	ID          int64               `json:"id"`
	Kind        paradero.SourceKind `json:"kind"`
	Title       string              `json:"title"`
	Published   *string             `json:"published"`
	Filename    string              `json:"filename"`
	MediaType   string              `json:"media_type"`
	Size        int64               `json:"size"`
	SHA256      string              `json:"sha256"`
	ImportedAt  time.Time           `json:"imported_at"`
	ImportedBy  string              `json:"imported_by"`
	Records     int                 `json:"records"`
	Commitment  string              `json:"commitment"`
	LedgerIndex int64               `json:"ledger_index"`
}

func sourceJSON(s *paradero.Source) apiSource {
	return apiSource{ID: s.ID, Kind: s.Kind, Title: s.Title, Published: nullable(s.Published.String()),
		Filename: s.Filename, MediaType: s.MediaType, Size: s.Size, SHA256: s.SHA256.String(),
		ImportedAt: s.ImportedAt.UTC(), ImportedBy: s.ImportedBy, Records: s.Records,
		Commitment: s.Commitment.String(), LedgerIndex: s.LedgerIndex}
}

type apiField struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type apiRedaction struct {
	ID          int64     `json:"id"`
	Reason      string    `json:"reason"`
	CreatedAt   time.Time `json:"created_at"`
	CreatedBy   string    `json:"created_by"`
	LedgerIndex int64     `json:"ledger_index"`
}

// apiRecord is a record as its source wrote it: Fields holds every
// canonical field the source gave, by key (paradero.RecordFields), Extra
// the source's other columns in order. A redacted record has neither.
type apiRecord struct {
	ID          int64             `json:"id"`
	SourceID    int64             `json:"source_id"`
	Row         int               `json:"row"`
	Fields      map[string]string `json:"fields"`
	Extra       []apiField        `json:"extra"`
	CreatedAt   time.Time         `json:"created_at"`
	Commitment  string            `json:"commitment"`
	LedgerIndex int64             `json:"ledger_index"`
	Redaction   *apiRedaction     `json:"redaction"`
}

func recordJSON(r *paradero.Record) apiRecord {
	out := apiRecord{ID: r.ID, SourceID: r.SourceID, Row: r.Row, Fields: map[string]string{}, Extra: []apiField{},
		CreatedAt: r.CreatedAt.UTC(), Commitment: r.Commitment.String(), LedgerIndex: r.LedgerIndex}
	for _, f := range paradero.RecordFields {
		if v := f.Get(r); v != "" {
			out.Fields[f.Key] = v
		}
	}
	for _, x := range r.Extra {
		out.Extra = append(out.Extra, apiField{Name: x.Name, Value: x.Value})
	}
	if x := r.Redaction; x != nil {
		out.Redaction = &apiRedaction{ID: x.ID, Reason: x.Reason, CreatedAt: x.CreatedAt.UTC(), CreatedBy: x.CreatedBy,
			LedgerIndex: x.LedgerIndex}
	}
	return out
}

// apiRecordDetail is a record with its source and its person (null while
// the record is not linked: then it is a person of its own).
type apiRecordDetail struct {
	Record   apiRecord `json:"record"`
	Source   apiSource `json:"source"`
	PersonID *int64    `json:"person_id"`
}

type apiDateRange struct {
	From *string `json:"from"`
	To   *string `json:"to"`
}

func dateRangeJSON(d paradero.DateRange) apiDateRange {
	return apiDateRange{From: nullable(d.From.String()), To: nullable(d.To.String())}
}

type apiEvidence struct {
	RecordID   int64               `json:"record_id"`
	SourceID   int64               `json:"source_id"`
	SourceKind paradero.SourceKind `json:"source_kind"`
	Status     string              `json:"status"`
}

func evidenceJSON(es []paradero.Evidence) []apiEvidence {
	out := make([]apiEvidence, len(es))
	for i, e := range es {
		out[i] = apiEvidence{RecordID: e.RecordID, SourceID: e.SourceID, SourceKind: e.SourceKind, Status: e.Status}
	}
	return out
}

type apiEvent struct {
	Kind           paradero.EventKind `json:"kind"`
	Date           apiDateRange       `json:"date"`
	DateFromSource bool               `json:"date_from_source"`
	Facility       string             `json:"facility"`
	Place          string             `json:"place"`
	Custodian      string             `json:"custodian"`
	Flight         string             `json:"flight"`
	Evidence       []apiEvidence      `json:"evidence"`
}

func eventJSON(e paradero.Event) apiEvent {
	return apiEvent{Kind: e.Kind, Date: dateRangeJSON(e.Date), DateFromSource: e.DateFromSource, Facility: e.Facility,
		Place: e.Place, Custodian: e.Custodian, Flight: e.Flight, Evidence: evidenceJSON(e.Evidence)}
}

func eventsJSON(es []paradero.Event) []apiEvent {
	out := make([]apiEvent, len(es))
	for i, e := range es {
		out[i] = eventJSON(e)
	}
	return out
}

type apiFact struct {
	Kind     paradero.DueProcessKind `json:"kind"`
	Date     apiDateRange            `json:"date"`
	Court    string                  `json:"court"`
	Detail   string                  `json:"detail"`
	Evidence []apiEvidence           `json:"evidence"`
}

func factsJSON(fs []paradero.DueProcessFact) []apiFact {
	out := make([]apiFact, len(fs))
	for i, f := range fs {
		out[i] = apiFact{Kind: f.Kind, Date: dateRangeJSON(f.Date), Court: f.Court, Detail: f.Detail, Evidence: evidenceJSON(f.Evidence)}
	}
	return out
}

// apiFlag is a whereabouts-unknown flag: the rule the timeline applied
// (timeline.FlagRule), with its figures, and the court orders not to
// remove on record.
type apiFlag struct {
	Rule      timeline.FlagRule `json:"rule"`
	Reason    string            `json:"reason"` // in English, as package timeline words it
	Since     apiDateRange      `json:"since"`
	Days      int64             `json:"days"`
	Threshold int64             `json:"threshold"`
	Flight    string            `json:"flight"`
	Orders    []apiFact         `json:"orders"`
}

type apiConflict struct {
	Reason string `json:"reason"` // in English, as package timeline words it
	Events []int  `json:"events"` // indexes into the person's events
}

type apiLineage struct {
	RecordID  int64      `json:"record_id"`
	FromRun   int64      `json:"from_run"`
	UntilRun  *int64     `json:"until_run"`
	AddedAt   time.Time  `json:"added_at"`
	RemovedAt *time.Time `json:"removed_at"`
}

// apiPerson is a person: the records that name them now, with their
// sources, the custody timeline built from them, the derived status and
// any disappearance flag, and every record the person ever held. ID is
// null for a record not linked yet, shown as a person of its own.
type apiPerson struct {
	ID            *int64                `json:"id"`
	Records       []apiRecord           `json:"records"`
	Sources       []apiSource           `json:"sources"`
	Status        paradero.PersonStatus `json:"status"`
	Flag          *apiFlag              `json:"flag"`
	LastConfirmed *apiEvent             `json:"last_confirmed"`
	Events        []apiEvent            `json:"events"`
	Undated       []apiEvent            `json:"undated"`
	Conflicts     []apiConflict         `json:"conflicts"`
	Facts         []apiFact             `json:"facts"`
	Unclassified  []apiEvidence         `json:"unclassified"`
	Lineage       []apiLineage          `json:"lineage"`
}

// personJSON lays out the records ids (with their mentions) as a person,
// through the timeline the person page draws (timelineOf).
func (s *Server) personJSON(ids []int64, ms map[int64]mention) apiPerson {
	p := apiPerson{Records: []apiRecord{}, Sources: []apiSource{}, Lineage: []apiLineage{}, Conflicts: []apiConflict{}}
	seen := make(map[int64]bool)
	for _, id := range ids {
		m := ms[id]
		p.Records = append(p.Records, recordJSON(m.Record))
		if !seen[m.Source.ID] {
			seen[m.Source.ID] = true
			p.Sources = append(p.Sources, sourceJSON(m.Source))
		}
	}
	tl := make([]timeline.Mention, len(ids))
	for i, id := range ids {
		tl[i] = timeline.Mention{Record: ms[id].Record, Source: ms[id].Source}
	}
	t := timelineOf(tl, s.now())
	p.Status = t.Status
	p.Events, p.Undated, p.Facts = eventsJSON(t.Events), eventsJSON(t.Undated), factsJSON(t.Facts)
	p.Unclassified = evidenceJSON(t.Unclassified)
	for _, c := range t.Conflicts {
		p.Conflicts = append(p.Conflicts, apiConflict{Reason: c.Reason, Events: append([]int{}, c.Events...)})
	}
	if t.LastConfirmed != nil {
		e := eventJSON(*t.LastConfirmed)
		p.LastConfirmed = &e
	}
	if f := t.Flag; f != nil {
		p.Flag = &apiFlag{Rule: f.Rule, Reason: f.Reason, Since: dateRangeJSON(f.Since), Days: f.Days,
			Threshold: f.Threshold, Flight: f.Flight, Orders: factsJSON(f.Orders)}
	}
	return p
}

func lineageJSON(ls []paradero.Lineage) []apiLineage {
	out := make([]apiLineage, len(ls))
	for i, l := range ls {
		out[i] = apiLineage{RecordID: l.RecordID, FromRun: l.FromRun, AddedAt: l.AddedAt.UTC()}
		if l.UntilRun != 0 {
			until, removed := l.UntilRun, l.RemovedAt.UTC()
			out[i].UntilRun, out[i].RemovedAt = &until, &removed
		}
	}
	return out
}

type apiUser struct {
	ID        int64         `json:"id"`
	Email     string        `json:"email"`
	Name      string        `json:"name"`
	Role      paradero.Role `json:"role"`
	Language  string        `json:"language"`
	Disabled  bool          `json:"disabled"`
	TwoFactor bool          `json:"two_factor"`
	CreatedAt time.Time     `json:"created_at"`
	UpdatedAt time.Time     `json:"updated_at"`
}

func userJSON(u *paradero.User) apiUser {
	return apiUser{ID: u.ID, Email: u.Email, Name: u.Name, Role: u.Role, Language: u.Language, Disabled: u.Disabled,
		TwoFactor: len(u.TOTPSecret) > 0, CreatedAt: u.CreatedAt.UTC(), UpdatedAt: u.UpdatedAt.UTC()}
}

type apiToken struct {
	ID         int64      `json:"id"`
	UserID     int64      `json:"user_id"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"created_at"`
	CreatedBy  string     `json:"created_by"`
	ExpiresAt  time.Time  `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
	Active     bool       `json:"active"`
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

func (s *Server) tokenJSON(t *paradero.APIToken) apiToken {
	return apiToken{ID: t.ID, UserID: t.UserID, Name: t.Name, CreatedAt: t.CreatedAt.UTC(), CreatedBy: t.CreatedBy,
		ExpiresAt: t.ExpiresAt.UTC(), LastUsedAt: optTime(t.LastUsedAt), RevokedAt: optTime(t.RevokedAt),
		Active: t.Active(s.now())}
}

type apiAuditEntry struct {
	ID        int64         `json:"id"`
	Time      time.Time     `json:"time"`
	ActorID   int64         `json:"actor_id"`
	ActorName string        `json:"actor_name"`
	ActorRole paradero.Role `json:"actor_role"`
	Action    string        `json:"action"`
	Object    string        `json:"object"`
}

func auditJSON(e *paradero.AuditEntry) apiAuditEntry {
	return apiAuditEntry{ID: e.ID, Time: e.Time.UTC(), ActorID: e.ActorID, ActorName: e.ActorName, ActorRole: e.ActorRole,
		Action: e.Action, Object: e.Object}
}

type apiLineError struct {
	Line   int    `json:"line"`
	Column int    `json:"column"`
	Reason string `json:"reason"` // in English, as the file's reader words it
}

func lineErrorsJSON(es []lineError) []apiLineError {
	out := make([]apiLineError, len(es))
	for i, e := range es {
		out[i] = apiLineError{Line: e.Line, Column: e.Column, Reason: e.Reason}
	}
	return out
}

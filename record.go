package paradero

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// Record is one mention of one person in one source: the identity fields as
// the source wrote them, and what the source asserts. Records are never
// updated; a correction is a new record, a redaction removes the content and
// keeps the commitment.
type Record struct {
	ID       int64
	SourceID int64
	Row      int // the line of the source file where the row starts (1-based); 0 if not from a file

	// Identity, as written.
	FullName       string
	GivenNames     string
	Surnames       string // all surnames in one field, as the source wrote them
	FirstSurname   string // paternal, when the source gives it separately
	SecondSurname  string // maternal, when the source gives it separately
	BirthDate      PartialDate
	Age            string // as written, when the source gives an age instead of a date
	Sex            string
	Nationality    string
	CountryOfBirth string
	ANumber        string // US Alien Registration Number
	Passport       string
	OtherDocuments string // other identity documents, as written

	// What the source asserts.
	Status    string // e.g. "detenido", "removed", "not in custody"
	Facility  string
	Place     string
	Custodian string
	EventDate DateRange
	Flight    string
	Notes     string

	// Extra holds the source's columns that map to no field above, in the
	// source's order, so that nothing it said is lost.
	Extra []Field

	Salt        []byte // 32 random bytes; nil once redacted
	Commitment  Hash   // CommitRecord(Salt, r)
	CreatedAt   time.Time
	LedgerIndex int64
	Redaction   *Redaction // non-nil if the content was removed
}

// Field is a named value a source gave that has no place among a record's
// fields.
type Field struct {
	Name, Value string
}

// RecordField describes one field of a record: its canonical key, used in
// column mappings, in the canonical encoding and as the column name in the
// stores.
type RecordField struct {
	Key  string
	Get  func(*Record) string
	Set  func(*Record, string) error // dates take their canonical ISO form
	Date bool                        // the value is a PartialDate
}

// RecordFields lists the fields of a record in canonical order. The order is
// part of the ledger's commitment encoding: append, never reorder.
var RecordFields = []RecordField{
	strField("full_name", func(r *Record) *string { return &r.FullName }),
	strField("given_names", func(r *Record) *string { return &r.GivenNames }),
	strField("surnames", func(r *Record) *string { return &r.Surnames }),
	strField("first_surname", func(r *Record) *string { return &r.FirstSurname }),
	strField("second_surname", func(r *Record) *string { return &r.SecondSurname }),
	dateField("birth_date", func(r *Record) *PartialDate { return &r.BirthDate }),
	strField("age", func(r *Record) *string { return &r.Age }),
	strField("sex", func(r *Record) *string { return &r.Sex }),
	strField("nationality", func(r *Record) *string { return &r.Nationality }),
	strField("country_of_birth", func(r *Record) *string { return &r.CountryOfBirth }),
	strField("a_number", func(r *Record) *string { return &r.ANumber }),
	strField("passport", func(r *Record) *string { return &r.Passport }),
	strField("other_documents", func(r *Record) *string { return &r.OtherDocuments }),
	strField("status", func(r *Record) *string { return &r.Status }),
	strField("facility", func(r *Record) *string { return &r.Facility }),
	strField("place", func(r *Record) *string { return &r.Place }),
	strField("custodian", func(r *Record) *string { return &r.Custodian }),
	dateField("event_from", func(r *Record) *PartialDate { return &r.EventDate.From }),
	dateField("event_to", func(r *Record) *PartialDate { return &r.EventDate.To }),
	strField("flight", func(r *Record) *string { return &r.Flight }),
	strField("notes", func(r *Record) *string { return &r.Notes }),
}

// MaxFieldBytes bounds one field's value. A 10 000-character name fits; a
// runaway cell from a broken file does not.
const MaxFieldBytes = 64 << 10

func strField(key string, p func(*Record) *string) RecordField {
	return RecordField{
		Key: key,
		Get: func(r *Record) string { return *p(r) },
		Set: func(r *Record, v string) error { *p(r) = v; return nil },
	}
}

func dateField(key string, p func(*Record) *PartialDate) RecordField {
	return RecordField{
		Key:  key,
		Date: true,
		Get:  func(r *Record) string { return p(r).String() },
		Set: func(r *Record, v string) error {
			d, err := ParsePartialDate(v)
			if err != nil {
				return err
			}
			*p(r) = d
			return nil
		},
	}
}

// LookupRecordField returns the field with the canonical key.
func LookupRecordField(key string) (RecordField, bool) {
	for _, f := range RecordFields {
		if f.Key == key {
			return f, true
		}
	}
	return RecordField{}, false
}

// Validate checks what every store requires of a record's content: valid
// UTF-8 without NUL bytes, fields within MaxFieldBytes, valid dates, and at
// least one identifying field. EINVALID names the field.
func (r *Record) Validate() error {
	check := func(name, v string) error {
		if len(v) > MaxFieldBytes {
			return Errorf(EINVALID, "%s is longer than %d bytes", name, MaxFieldBytes)
		}
		if !utf8.ValidString(v) {
			return Errorf(EINVALID, "%s is not valid UTF-8", name)
		}
		if strings.IndexByte(v, 0) >= 0 {
			return Errorf(EINVALID, "%s contains a NUL byte", name)
		}
		return nil
	}
	for _, f := range RecordFields {
		if err := check(f.Key, f.Get(r)); err != nil {
			return err
		}
	}
	for _, d := range []struct {
		key string
		d   PartialDate
	}{{"birth_date", r.BirthDate}, {"event_from", r.EventDate.From}, {"event_to", r.EventDate.To}} {
		if !d.d.Valid() {
			return Errorf(EINVALID, "%s %v is not a calendar date", d.key, d.d)
		}
	}
	for _, x := range r.Extra {
		if x.Name == "" {
			return Errorf(EINVALID, "an extra field has no name")
		}
		if err := check("column "+x.Name, x.Name); err != nil {
			return err
		}
		if err := check(x.Name, x.Value); err != nil {
			return err
		}
	}
	if !r.HasIdentity() {
		return Errorf(EINVALID, "no name or document number")
	}
	return nil
}

// HasIdentity reports whether r names someone: a name or a document number.
func (r *Record) HasIdentity() bool {
	return r.FullName != "" || r.GivenNames != "" || r.Surnames != "" ||
		r.FirstSurname != "" || r.SecondSurname != "" ||
		r.ANumber != "" || r.Passport != "" || r.OtherDocuments != ""
}

// DisplayName returns the name as the source wrote it, preferring the full
// name, or "" for a redacted record.
func (r *Record) DisplayName() string {
	if r.FullName != "" {
		return r.FullName
	}
	sur := r.Surnames
	if sur == "" {
		sur = strings.TrimSpace(r.FirstSurname + " " + r.SecondSurname)
	}
	return strings.TrimSpace(r.GivenNames + " " + sur)
}

// Content returns the canonical encoding of the record's content, the bytes
// its commitment covers (docs/ledger.md): one line per non-empty field in
// RecordFields order, then one per extra field in source order,
// "key<TAB>value<LF>" with "x:" before extra keys, and backslash, tab, CR
// and LF in keys and values escaped as \\, \t, \r, \n.
func (r *Record) Content() []byte {
	var b strings.Builder
	for _, f := range RecordFields {
		if v := f.Get(r); v != "" {
			writeContentLine(&b, f.Key, v)
		}
	}
	for _, x := range r.Extra {
		writeContentLine(&b, "x:"+x.Name, x.Value)
	}
	return []byte(b.String())
}

func writeContentLine(b *strings.Builder, key, value string) {
	escapeContent(b, key)
	b.WriteByte('\t')
	escapeContent(b, value)
	b.WriteByte('\n')
}

func escapeContent(b *strings.Builder, s string) {
	if !strings.ContainsAny(s, "\\\t\r\n") {
		b.WriteString(s)
		return
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b.WriteString(`\\`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteByte(c)
		}
	}
}

// SetContent sets r's content fields from their canonical encoding, the
// inverse of Content. It replaces every content field. EINVALID if the bytes
// are not a canonical encoding.
func (r *Record) SetContent(b []byte) error {
	var zero Record
	for _, f := range RecordFields {
		f.Set(r, f.Get(&zero))
	}
	r.Extra = nil
	s := string(b)
	if s != "" && !strings.HasSuffix(s, "\n") {
		return Errorf(EINVALID, "record content does not end in a line feed")
	}
	for line := range strings.SplitSeq(strings.TrimSuffix(s, "\n"), "\n") {
		if s == "" {
			break
		}
		k, v, ok := strings.Cut(line, "\t")
		if !ok {
			return Errorf(EINVALID, "record content line %q has no tab", line)
		}
		key, err1 := unescapeContent(k)
		val, err2 := unescapeContent(v)
		if err1 != nil || err2 != nil {
			return Errorf(EINVALID, "record content line %q has a bad escape", line)
		}
		if name, ok := strings.CutPrefix(key, "x:"); ok {
			r.Extra = append(r.Extra, Field{Name: name, Value: val})
			continue
		}
		f, ok := LookupRecordField(key)
		if !ok {
			return Errorf(EINVALID, "record content has an unknown field %q", key)
		}
		if err := f.Set(r, val); err != nil {
			return err
		}
	}
	return nil
}

func unescapeContent(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		i++
		if i == len(s) {
			return "", Errorf(EINVALID, "dangling backslash")
		}
		switch s[i] {
		case '\\':
			b.WriteByte('\\')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'n':
			b.WriteByte('\n')
		default:
			return "", Errorf(EINVALID, "unknown escape")
		}
	}
	return b.String(), nil
}

// Redaction removes a record's content for good, to protect someone. The
// record's commitment and ledger entry stay, so every proof still verifies;
// the redaction itself is a ledger entry, and Signature is the ledger key's
// signed note over RedactionStatement.
type Redaction struct {
	ID          int64
	RecordID    int64
	Reason      string
	CreatedAt   time.Time
	CreatedBy   string
	Salt        []byte
	Commitment  Hash   // CommitRedaction(Salt, reason, by)
	Signature   []byte // a signed note (golang.org/x/mod/sumdb/note)
	LedgerIndex int64
}

// RecordFilter selects records. Zero fields select everything.
type RecordFilter struct {
	SourceID int64
	AfterID  int64 // only records with a greater id: walks all records page by page
	Offset   int
	Limit    int // 0 means a default page of 100
}

// RecordService reads and redacts records.
type RecordService interface {
	// FindRecordByID returns ENOTFOUND if there is no such record. A
	// redacted record comes back with empty content and Redaction set.
	FindRecordByID(ctx context.Context, id int64) (*Record, error)
	// FindRecords returns a page of records in ID order, and the total.
	FindRecords(ctx context.Context, f RecordFilter) ([]*Record, int, error)
	// RedactRecord removes the record's content and salt, keeps its
	// commitment, and appends x as a ledger entry, in one transaction. The
	// caller fills Reason, CreatedAt, CreatedBy, Salt, Commitment and
	// Signature; the store sets ID and LedgerIndex. ENOTFOUND for no such
	// record, ECONFLICT if it is redacted already.
	RedactRecord(ctx context.Context, x *Redaction) error
}

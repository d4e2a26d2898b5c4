package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/linkage"
)

// The search index (migration 0005): each record's normalised words as
// prefixed terms in search_terms, whose primary key (term, record_id)
// answers "which records hold this term" by an index range, so a search
// reads the entries of the terms it asks for and never a whole table.
//
// Words are normalised by package linkage, as record linkage compares
// them: folded (case, accents), particles dropped, Spanish phonetic keys
// (linkage.Phonetic: seseo, yeísmo, b = v, silent h — never English
// Soundex), hypocorisms (Pepe = José) and OCR-tolerant document numbers.
// A word typed with one error finds its neighbours through search_vocab,
// the distinct name words under each of their one-letter deletions
// (symmetric deletion: two words one edit apart share a deletion).
//
// The index is derived and kept up to date by IndexSearch, which adds the
// records imported since it last ran and removes those redacted since, in
// transactions of indexChunk records so that catching up a large store
// never holds the write lock for long. SearchRecords calls it first, so a
// search never misses a committed import nor shows a redacted record.
// Import could fill it in the same transaction instead: calling
// indexSearchStep(ctx, im.tx, 0) in importer.Commit just before the
// transaction commits would do it.

// normalizer is immutable once built; it is shared by every DB.
var normalizer = sync.OnceValue(linkage.NewNormalizer)

const (
	indexChunk = 5000 // records per catch-up transaction
	minTypoLen = 4    // shorter words are matched exactly or by sound only
	termBatch  = 400  // rows per multi-row INSERT
)

var _ paradero.SearchService = (*DB)(nil)

// nameWords returns the folded name words of r, without particles, from
// the full name and from the name in parts (a source may give both, and
// they may disagree).
func nameWords(nz *linkage.Normalizer, r *paradero.Record) []string {
	var out []string
	add := func(n linkage.Name) {
		out = append(out, n.Given...)
		out = append(out, n.Surnames...)
	}
	if r.FullName != "" {
		add(nz.ParseName(linkage.NameParts{Full: r.FullName}))
	}
	if r.GivenNames != "" || r.Surnames != "" || r.FirstSurname != "" || r.SecondSurname != "" {
		add(nz.ParseName(linkage.NameParts{Given: r.GivenNames, Surnames: r.Surnames,
			FirstSurname: r.FirstSurname, SecondSurname: r.SecondSurname}))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// recordTerms returns the index terms of r and its name words.
func recordTerms(nz *linkage.Normalizer, r *paradero.Record) (terms, words []string) {
	words = nameWords(nz, r)
	for _, w := range words {
		terms = append(terms, "n:"+w)
		if p := linkage.Phonetic(w); p != "" {
			terms = append(terms, "p:"+p)
		}
		for _, x := range nz.Nicknames(w)[1:] {
			terms = append(terms, "k:"+x)
		}
	}
	if d := r.BirthDate; !d.IsZero() {
		terms = append(terms, "b:"+d.String())
		if d.Month != 0 {
			terms = append(terms, "bp:"+paradero.PartialDate{Year: d.Year}.String())
		}
		if d.Day != 0 {
			terms = append(terms, "bp:"+paradero.PartialDate{Year: d.Year, Month: d.Month}.String())
			if sw := (paradero.PartialDate{Year: d.Year, Month: d.Day, Day: d.Month}); d.Day <= 12 && d.Day != d.Month && sw.Valid() {
				terms = append(terms, "bs:"+sw.String())
			}
		}
	}
	if a := linkage.NormalizeID(r.ANumber); a != "" {
		terms = append(terms, "a:"+a)
	}
	for _, f := range strings.Fields(linkage.Fold(r.Facility)) {
		terms = append(terms, "f:"+f)
	}
	slices.Sort(terms)
	return slices.Compact(terms), words
}

// deletions returns w and every string one letter shorter.
func deletions(w string) []string {
	rs := []rune(w)
	out := []string{w}
	for i := range rs {
		out = append(out, string(rs[:i])+string(rs[i+1:]))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// IndexSearch brings the index up to date, one short transaction at a
// time.
func (s *DB) IndexSearch(ctx context.Context) (int, error) {
	s.indexing.Lock()
	defer s.indexing.Unlock()
	return s.indexSearch(ctx)
}

// indexSearch is IndexSearch for a caller that holds s.indexing.
func (s *DB) indexSearch(ctx context.Context) (int, error) {
	const op = "sqlite.IndexSearch"
	total := 0
	redacted := false
	defer func() {
		// As after a redaction: the old page images of the removed terms
		// stay in the WAL until a checkpoint.
		if redacted {
			if _, err := s.db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
				s.logger.Warn("WAL checkpoint after removing redacted records from the search index failed", "err", err)
			}
		}
	}()
	for {
		var lastRec, lastRed, maxRec, maxRed int64
		if err := s.db.QueryRowContext(ctx, `SELECT last_record, last_redaction,
			(SELECT coalesce(max(id), 0) FROM records), (SELECT coalesce(max(id), 0) FROM redactions)
			FROM search_state WHERE id = 1`).Scan(&lastRec, &lastRed, &maxRec, &maxRed); err != nil {
			return total, fmt.Errorf("%s: %w", op, err)
		}
		if lastRec >= maxRec && lastRed >= maxRed {
			return total, nil
		}
		redacted = redacted || lastRed < maxRed
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return total, &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Err: err}
		}
		n, more, err := indexSearchStep(ctx, tx, indexChunk)
		if err == nil {
			err = tx.Commit()
		}
		tx.Rollback()
		if err != nil {
			return total, fmt.Errorf("%s: %w", op, err)
		}
		total += n
		if !more {
			return total, nil
		}
	}
}

// indexSearchStep applies the redactions made since the index last ran
// and indexes up to limit records imported since (0: all), within tx. It
// reports how many records it indexed and whether more remain.
func indexSearchStep(ctx context.Context, tx *sql.Tx, limit int) (int, bool, error) {
	var lastRec, lastRed int64
	if err := tx.QueryRowContext(ctx, `SELECT last_record, last_redaction FROM search_state WHERE id = 1`).Scan(&lastRec, &lastRed); err != nil {
		return 0, false, err
	}
	newLastRed, err := unindexRedacted(ctx, tx, lastRed)
	if err != nil {
		return 0, false, err
	}
	q := `SELECT id, content FROM records WHERE id > ? ORDER BY id`
	args := []any{lastRec}
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit+1)
	}
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return 0, false, err
	}
	type doc struct {
		id      int64
		content sql.NullString
	}
	var docs []doc
	for rows.Next() {
		var d doc
		if err := rows.Scan(&d.id, &d.content); err != nil {
			rows.Close()
			return 0, false, err
		}
		docs = append(docs, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, false, err
	}
	more := limit > 0 && len(docs) > limit
	if more {
		docs = docs[:limit]
	}
	nz := normalizer()
	terms := newInserter(tx, `INSERT OR IGNORE INTO search_terms (term, record_id) VALUES `)
	vocab := newInserter(tx, `INSERT OR IGNORE INTO search_vocab (del, token) VALUES `)
	seen := make(map[string]bool)
	n := 0
	for _, d := range docs {
		lastRec = d.id
		if !d.content.Valid { // redacted: nothing to index
			continue
		}
		var r paradero.Record
		if err := r.SetContent([]byte(d.content.String)); err != nil {
			return 0, false, &paradero.Error{Code: paradero.ETAMPERED, Message: fmt.Sprintf("record %d: its stored content is malformed", d.id), Err: err}
		}
		ts, words := recordTerms(nz, &r)
		for _, t := range ts {
			if err := terms.add(ctx, t, d.id); err != nil {
				return 0, false, err
			}
		}
		for _, w := range words {
			if len(w) < minTypoLen || seen[w] {
				continue
			}
			seen[w] = true
			var one int
			err := tx.QueryRowContext(ctx, `SELECT 1 FROM search_vocab WHERE del = ? AND token = ?`, w, w).Scan(&one)
			if err == nil {
				continue
			}
			if err != sql.ErrNoRows {
				return 0, false, err
			}
			for _, del := range deletions(w) {
				if err := vocab.add(ctx, del, w); err != nil {
					return 0, false, err
				}
			}
		}
		n++
	}
	if err := terms.flush(ctx); err != nil {
		return 0, false, err
	}
	if err := vocab.flush(ctx); err != nil {
		return 0, false, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE search_state SET last_record = ?, last_redaction = ? WHERE id = 1`, lastRec, newLastRed); err != nil {
		return 0, false, err
	}
	return n, more, nil
}

// unindexRedacted removes the terms of records redacted after redaction
// id after, and the name words no other record holds, so that nothing of
// a redacted record stays in the index. It returns the last redaction id.
func unindexRedacted(ctx context.Context, tx *sql.Tx, after int64) (int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, record_id FROM redactions WHERE id > ? ORDER BY id`, after)
	if err != nil {
		return 0, err
	}
	var ids []int64
	for rows.Next() {
		var rid int64
		if err := rows.Scan(&after, &rid); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, rid)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, rid := range ids {
		var words []string
		wr, err := tx.QueryContext(ctx, `SELECT substr(term, 3) FROM search_terms WHERE record_id = ? AND term >= 'n:' AND term < 'n;'`, rid)
		if err != nil {
			return 0, err
		}
		for wr.Next() {
			var w string
			if err := wr.Scan(&w); err != nil {
				wr.Close()
				return 0, err
			}
			words = append(words, w)
		}
		wr.Close()
		if _, err := tx.ExecContext(ctx, `DELETE FROM search_terms WHERE record_id = ?`, rid); err != nil {
			return 0, err
		}
		for _, w := range words {
			if _, err := tx.ExecContext(ctx, `DELETE FROM search_vocab WHERE token = ?
				AND NOT EXISTS (SELECT 1 FROM search_terms WHERE term = 'n:' || ?)`, w, w); err != nil {
				return 0, err
			}
		}
	}
	return after, nil
}

// inserter writes (text, int) rows in multi-row INSERTs.
type inserter struct {
	tx   *sql.Tx
	head string
	args []any
}

func newInserter(tx *sql.Tx, head string) *inserter { return &inserter{tx: tx, head: head} }

func (in *inserter) add(ctx context.Context, a, b any) error {
	in.args = append(in.args, a, b)
	if len(in.args) >= 2*termBatch {
		return in.flush(ctx)
	}
	return nil
}

func (in *inserter) flush(ctx context.Context) error {
	if len(in.args) == 0 {
		return nil
	}
	_, err := in.tx.ExecContext(ctx, in.head+valuesList(len(in.args)/2, 2), in.args...)
	in.args = in.args[:0]
	return err
}

// Match ranks: a hit's score is the sum of its criteria's ranks.
var matchRank = map[paradero.MatchKind]int{
	paradero.MatchExact: 4, paradero.MatchNickname: 3, paradero.MatchSound: 2,
	paradero.MatchPartialDate: 2, paradero.MatchTypo: 1, paradero.MatchSwappedDate: 1,
}

// criterion is one thing every hit must match: the terms that satisfy it,
// each with how.
type criterion struct {
	field, query string
	terms        map[string]paradero.MatchReason
	count        int // index entries, up to MaxSearchScan+1
}

func (c *criterion) add(term string, kind paradero.MatchKind, found string) {
	if old, ok := c.terms[term]; ok && matchRank[old.Kind] >= matchRank[kind] {
		return
	}
	c.terms[term] = paradero.MatchReason{Field: c.field, Kind: kind, Query: c.query, Found: found}
}

func (c *criterion) termsJSON() string {
	keys := make([]string, 0, len(c.terms))
	for k := range c.terms {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b, _ := json.Marshal(keys)
	return string(b)
}

// criteria turns a query into criteria, looking up typing-error
// neighbours of name words.
func (s *DB) criteria(ctx context.Context, q paradero.SearchQuery) ([]*criterion, error) {
	nz := normalizer()
	var out []*criterion
	newCrit := func(field, query string) *criterion {
		c := &criterion{field: field, query: query, terms: make(map[string]paradero.MatchReason)}
		out = append(out, c)
		return c
	}
	if strings.TrimSpace(q.Name) != "" {
		n := nz.ParseName(linkage.NameParts{Full: q.Name})
		kept := 0
		for _, w := range append(append([]string(nil), n.Given...), n.Surnames...) {
			if len(w) < 2 || slices.ContainsFunc(out, func(c *criterion) bool { return c.query == w }) {
				continue // an initial matches too much to be a criterion
			}
			kept++
			c := newCrit("name", w)
			c.add("n:"+w, paradero.MatchExact, "")
			for _, x := range nz.Nicknames(w)[1:] {
				c.add("n:"+x, paradero.MatchNickname, x)
			}
			c.add("k:"+w, paradero.MatchNickname, "")
			if p := linkage.Phonetic(w); p != "" {
				c.add("p:"+p, paradero.MatchSound, "")
			}
			if len(w) >= minTypoLen {
				b, _ := json.Marshal(deletions(w))
				rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT token FROM search_vocab WHERE del IN (SELECT value FROM json_each(?))`, string(b))
				if err != nil {
					return nil, fmt.Errorf("sqlite: search: %w", err)
				}
				for rows.Next() {
					var t string
					if err := rows.Scan(&t); err != nil {
						rows.Close()
						return nil, fmt.Errorf("sqlite: search: %w", err)
					}
					if t != w && editDistance(w, t) == 1 {
						c.add("n:"+t, paradero.MatchTypo, t)
					}
				}
				rows.Close()
				if err := rows.Err(); err != nil {
					return nil, fmt.Errorf("sqlite: search: %w", err)
				}
			}
		}
		if kept == 0 {
			return nil, paradero.Errorf(paradero.EINVALID, "the name has no word of two letters or more")
		}
	}
	if d := q.BirthDate; !d.IsZero() {
		c := newCrit("birth_date", d.String())
		c.add("b:"+d.String(), paradero.MatchExact, "")
		c.add("bp:"+d.String(), paradero.MatchPartialDate, "")
		if d.Month != 0 {
			y := paradero.PartialDate{Year: d.Year}.String()
			c.add("b:"+y, paradero.MatchPartialDate, y)
		}
		if d.Day != 0 {
			ym := paradero.PartialDate{Year: d.Year, Month: d.Month}.String()
			c.add("b:"+ym, paradero.MatchPartialDate, ym)
			c.add("bs:"+d.String(), paradero.MatchSwappedDate, "")
		}
	}
	if a := linkage.NormalizeID(q.ANumber); a != "" {
		newCrit("a_number", a).add("a:"+a, paradero.MatchExact, "")
	} else if strings.TrimSpace(q.ANumber) != "" {
		return nil, paradero.Errorf(paradero.EINVALID, "the A-number has no letter or digit")
	}
	for _, f := range strings.Fields(linkage.Fold(q.Facility)) {
		newCrit("facility", f).add("f:"+f, paradero.MatchExact, "")
	}
	if len(out) == 0 {
		return nil, paradero.Errorf(paradero.EINVALID, "give a name, a birth date, an A-number or a facility")
	}
	return out, nil
}

// SearchRecords brings the index up to date — or, while another caller is
// doing so, counts what is not yet indexed — then intersects the criteria,
// the one with the fewest index entries first, reading at most
// MaxSearchScan entries of it.
func (s *DB) SearchRecords(ctx context.Context, q paradero.SearchQuery) (*paradero.SearchResult, error) {
	const op = "sqlite.SearchRecords"
	if q.IsZero() {
		return nil, paradero.Errorf(paradero.EINVALID, "give a name, a birth date, an A-number or a facility")
	}
	pending := 0
	if s.indexing.TryLock() {
		_, err := s.indexSearch(ctx)
		s.indexing.Unlock()
		if err != nil {
			return nil, err
		}
	} else if err := s.db.QueryRowContext(ctx,
		`SELECT count(*) FROM records WHERE id > (SELECT last_record FROM search_state WHERE id = 1)`).Scan(&pending); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	crits, err := s.criteria(ctx, q)
	if err != nil {
		return nil, err
	}
	asked := make(map[string]int, len(crits))
	for i, c := range crits {
		asked[c.field+"\x00"+c.query] = i
		if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM search_terms
			WHERE term IN (SELECT value FROM json_each(?)) LIMIT ?)`, c.termsJSON(), paradero.MaxSearchScan+1).Scan(&c.count); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
	}
	slices.SortStableFunc(crits, func(a, b *criterion) int { return cmp.Compare(a.count, b.count) })
	res := &paradero.SearchResult{Pending: pending}
	if crits[0].count == 0 {
		return res, nil
	}
	res.Truncated = crits[0].count > paradero.MaxSearchScan

	hits := make(map[int64][]paradero.MatchReason)
	var order []int64
	rows, err := s.db.QueryContext(ctx, `SELECT record_id, term FROM search_terms
		WHERE term IN (SELECT value FROM json_each(?)) LIMIT ?`, crits[0].termsJSON(), paradero.MaxSearchScan)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	err = scanMatches(rows, crits[0], func(id int64, m paradero.MatchReason) {
		if _, ok := hits[id]; !ok {
			order = append(order, id)
			hits[id] = []paradero.MatchReason{m}
		} else if matchRank[m.Kind] > matchRank[hits[id][0].Kind] {
			hits[id][0] = m
		}
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	for i, c := range crits[1:] {
		if len(order) == 0 {
			break
		}
		rows, err := s.candidateMatches(ctx, c, order)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		want := i + 2 // reasons a surviving hit holds after this criterion
		err = scanMatches(rows, c, func(id int64, m paradero.MatchReason) {
			rs := hits[id]
			switch {
			case len(rs) == want-1:
				hits[id] = append(rs, m)
			case len(rs) == want && matchRank[m.Kind] > matchRank[rs[want-1].Kind]:
				rs[want-1] = m
			}
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		kept := order[:0]
		for _, id := range order {
			if len(hits[id]) == want {
				kept = append(kept, id)
			} else {
				delete(hits, id)
			}
		}
		order = kept
	}
	all := make([]*paradero.SearchHit, 0, len(order))
	for _, id := range order {
		h := &paradero.SearchHit{RecordID: id, Reasons: hits[id]}
		for _, m := range h.Reasons {
			h.Score += matchRank[m.Kind]
		}
		// Reasons in the order the criteria were asked.
		slices.SortStableFunc(h.Reasons, func(a, b paradero.MatchReason) int {
			return cmp.Compare(asked[a.Field+"\x00"+a.Query], asked[b.Field+"\x00"+b.Query])
		})
		all = append(all, h)
	}
	slices.SortFunc(all, func(a, b *paradero.SearchHit) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return cmp.Compare(a.RecordID, b.RecordID)
	})
	res.Total = len(all)
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	off := min(max(q.Offset, 0), len(all))
	res.Hits = all[off:min(off+limit, len(all))]
	return res, nil
}

// rangeScanGain is how many index entries reading on along the index
// costs as much as one seek into it (measured with modernc.org/sqlite).
const rangeScanGain = 4

// candidateMatches returns the (record_id, term) rows of c's terms held by
// the candidates, ordered by term and then record. It reads each term's
// entries between the smallest and the largest candidate in one run when
// there are few enough, as when the candidates are a run of records found
// by a common word, and seeks each candidate under each term otherwise,
// as when they are a rare word's records scattered over the store: the
// seeks cost most of a full-name search, and a run of entries is read
// several times faster than the same number of seeks.
func (s *DB) candidateMatches(ctx context.Context, c *criterion, order []int64) (*sql.Rows, error) {
	ids, _ := json.Marshal(order)
	seeks := len(order) * len(c.terms)
	lo, hi := slices.Min(order), slices.Max(order)
	// c.count is exact up to MaxSearchScan and bounds the run; past it,
	// the run is counted, no further than where seeking becomes cheaper.
	run := c.count
	if run > paradero.MaxSearchScan && run < rangeScanGain*seeks {
		if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM search_terms
			WHERE term IN (SELECT value FROM json_each(?)) AND record_id BETWEEN ? AND ? LIMIT ?)`,
			c.termsJSON(), lo, hi, rangeScanGain*seeks).Scan(&run); err != nil {
			return nil, err
		}
	}
	if run < rangeScanGain*seeks {
		// The unary + keeps the candidates from being seeks: each entry
		// of the run is looked up among them instead.
		return s.db.QueryContext(ctx, `SELECT record_id, term FROM search_terms
			WHERE term IN (SELECT value FROM json_each(?)) AND record_id BETWEEN ? AND ?
			AND +record_id IN (SELECT value FROM json_each(?))`, c.termsJSON(), lo, hi, string(ids))
	}
	return s.db.QueryContext(ctx, `SELECT record_id, term FROM search_terms
		WHERE term IN (SELECT value FROM json_each(?)) AND record_id IN (SELECT value FROM json_each(?))`,
		c.termsJSON(), string(ids))
}

// scanMatches reads (record_id, term) rows and reports each with the
// criterion's reason for the term.
func scanMatches(rows *sql.Rows, c *criterion, fn func(int64, paradero.MatchReason)) error {
	defer rows.Close()
	for rows.Next() {
		var (
			id   int64
			term string
		)
		if err := rows.Scan(&id, &term); err != nil {
			return err
		}
		if m, ok := c.terms[term]; ok {
			fn(id, m)
		}
	}
	return rows.Err()
}

// editDistance is the optimal string alignment distance of a and b
// (insertions, deletions, substitutions and adjacent transpositions), on
// runes.
func editDistance(a, b string) int {
	x, y := []rune(a), []rune(b)
	d := make([][]int, len(x)+1)
	for i := range d {
		d[i] = make([]int, len(y)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(x); i++ {
		for j := 1; j <= len(y); j++ {
			cost := 1
			if x[i-1] == y[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && x[i-1] == y[j-2] && x[i-2] == y[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(x)][len(y)]
}

// unindexRedactionsTx removes from the index, within tx, the terms of every
// record redacted since the index last looked. RedactRecord calls it so a
// redacted name leaves the index in the same transaction as the record.
func unindexRedactionsTx(ctx context.Context, tx *sql.Tx) error {
	var last int64
	if err := tx.QueryRowContext(ctx, `SELECT last_redaction FROM search_state WHERE id = 1`).Scan(&last); err != nil {
		return err
	}
	next, err := unindexRedacted(ctx, tx, last)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE search_state SET last_redaction = ? WHERE id = 1`, next)
	return err
}

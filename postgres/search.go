package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/paradero/paradero"
	"github.com/paradero/paradero/linkage"
)

// The search index (migration 0005) gives the answers package sqlite's
// gives — the same terms, the same typing-error rule, the same ranking;
// storetest.RunSearch holds the two stores to them — on PostgreSQL's own
// inverted index. Why this shape:
//
//   - search_docs holds each record's term ids in a bigint[] under a GIN
//     index. A search is one bitmap index scan: each criterion is an
//     overlap (terms && the ids of its exact, nickname, sound and typing
//     variants), the criteria are ANDed — those that come down to one term
//     in a single terms @> key, which GIN's fast scan skips through by its
//     rarest term — and GIN intersects compressed posting lists before a
//     heap page is read. Package sqlite reads at most MaxSearchScan entries
//     of its rarest criterion and probes the others, so two common words
//     find only the matches among those entries; here the intersection is
//     exact, and MaxSearchScan bounds the hits read (Truncated when more
//     match). Each hit costs a heap page: give shared_buffers room for
//     search_docs and its index (about 250 MB per million records).
//   - Indexing at import has a price: the terms (in Go, in the import's
//     writer goroutine, with each batch's name words' terms made once),
//     the lexicon's new terms, and about 12 µs of server time per record
//     for GIN (its pending list, fastupdate, batches the insertions;
//     without it retail insertion cost five times as much). On the shared
//     two-core test machine BenchmarkImport ran at about half its speed
//     without the index. That is paid once, by a batch job, where indexing
//     on the first search would make a person wait.
//   - The GIN index holds term ids, never terms: GIN does not delete keys
//     from its entry tree ("There is no delete operation in the key (entry)
//     tree", src/backend/access/gin/README), so a name used as a GIN key
//     would stay in the index after its record's redaction — tried on
//     PostgreSQL 15: a deleted, vacuumed key is still in the index file.
//     The terms live in search_lexicon, a B-tree table, whose row a
//     redaction deletes when no other record holds the term; VACUUM with
//     INDEX_CLEANUP ON then removes its index entry too.
//   - Words typed with one error are found by symmetric deletion (a word
//     and its one-letter deletions, as package sqlite does) in search_vocab,
//     also a B-tree table, rather than with pg_trgm: besides GIN's kept
//     keys, a trigram index cannot promise to find a word one error away.
//     One substitution changes up to three of a word's trigrams and a
//     transposition four, so "rosa" and "rusa" share 2 of 8 trigrams
//     (similarity 0.25, under pg_trgm's default threshold of 0.3). Tried
//     on PostgreSQL 15 with every one-edit variant of 36 common names: the
//     default threshold misses 4% of them, and 35% of those of four-letter
//     names (José, Luis, Rosa, Juan); keeping them all takes a threshold
//     of 0.11, at which every word sharing one trigram with the query (the
//     same first letter, say) is a candidate. Symmetric deletion finds
//     exactly the words one edit away, by B-tree lookups.
//   - Names are normalised in Go by package linkage (folding, particles,
//     Spanish phonetic keys, nicknames) at index and at query time, so both
//     stores and record linkage agree on what a name is. The unaccent
//     extension's rules are not linkage.Fold's, and the rest it cannot do.
//     So the store needs no extension: it runs on a role that may create
//     only its own tables (pg_trgm and unaccent are trusted extensions
//     since PostgreSQL 13, but a deployment need not allow even that).
//   - The index is written by the transactions that write what it
//     indexes. An import indexes each batch of records beside their COPY
//     (searchBatch), under the ledger lock it holds anyway; a redaction
//     deletes its record's row, and the terms and typing variants no other
//     record holds, in its own transaction (unindexRecord). A search on any
//     server sees exactly the committed records and never pays to index
//     them. Records imported before migration 0005 are indexed by
//     IndexSearch, which SearchRecords calls first, in transactions of
//     backfillChunk records under the ledger lock (so never beside a
//     redaction of the same record); during that one-time catch-up a search
//     waits for an import in progress.
//   - The index is written only under the ledger lock, so two writers never
//     add the same term at once; the statements say ON CONFLICT DO NOTHING
//     all the same.

const (
	minTypoLen    = 4    // shorter words are matched exactly or by sound only
	backfillChunk = 5000 // records per backfill transaction
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

// recordTerms returns the index terms of r, sorted: the terms of package
// sqlite's index. cache, if not nil, keeps the terms of each name word and
// facility across calls: a batch of records repeats few of them, and their
// phonetic keys and nicknames cost more than the rest.
func recordTerms(nz *linkage.Normalizer, r *paradero.Record, cache map[string][]string) []string {
	derived := func(key string, terms func() []string) []string {
		if cache == nil {
			return terms()
		}
		ts, ok := cache[key]
		if !ok {
			ts = terms()
			cache[key] = ts
		}
		return ts
	}
	var terms []string
	for _, w := range nameWords(nz, r) {
		terms = append(terms, derived("n"+w, func() []string {
			ts := []string{"n:" + w}
			if p := linkage.Phonetic(w); p != "" {
				ts = append(ts, "p:"+p)
			}
			for _, x := range nz.Nicknames(w)[1:] {
				ts = append(ts, "k:"+x)
			}
			return ts
		})...)
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
	if r.Facility != "" {
		terms = append(terms, derived("f"+r.Facility, func() []string {
			var ts []string
			for _, f := range strings.Fields(linkage.Fold(r.Facility)) {
				ts = append(ts, "f:"+f)
			}
			return ts
		})...)
	}
	slices.Sort(terms)
	return slices.Compact(terms)
}

// typoWord returns the name word of a term that search_vocab keeps, or "".
func typoWord(term string) string {
	w, ok := strings.CutPrefix(term, "n:")
	if !ok || len(w) < minTypoLen {
		return ""
	}
	return w
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

// searchBatch is the records of a batch as the index needs them, indexed
// in the transaction that writes the records. Their terms are made by
// write, in the import's writer goroutine, so that on a machine with cores
// to spare the next batch is hashed meanwhile.
type searchBatch struct {
	nz   *linkage.Normalizer
	recs []paradero.Record
}

// add stages r, whose ID must be set.
func (b *searchBatch) add(nz *linkage.Normalizer, r *paradero.Record) {
	b.nz = nz
	b.recs = append(b.recs, paradero.Record{ID: r.ID,
		FullName: r.FullName, GivenNames: r.GivenNames, Surnames: r.Surnames, FirstSurname: r.FirstSurname, SecondSurname: r.SecondSurname,
		BirthDate: r.BirthDate, ANumber: r.ANumber, Facility: r.Facility})
}

func (b *searchBatch) reset() {
	clear(b.recs)
	b.recs = b.recs[:0]
}

// write indexes the staged records within tx, which must hold the ledger
// lock: it adds the terms the lexicon lacks, then COPYs the records' rows.
func (b *searchBatch) write(ctx context.Context, tx pgx.Tx) error {
	ids := make(map[string]int64)
	var list []string
	terms := make([][]string, len(b.recs))
	cache := make(map[string][]string)
	for i := range b.recs {
		terms[i] = recordTerms(b.nz, &b.recs[i], cache)
		for _, t := range terms[i] {
			if _, ok := ids[t]; !ok {
				ids[t] = 0
				list = append(list, t)
			}
		}
	}
	if len(list) == 0 {
		return nil
	}
	if err := lexiconIDs(ctx, tx, list, ids); err != nil {
		return err
	}
	rows := make([][]any, 0, len(b.recs))
	for i := range b.recs {
		if len(terms[i]) == 0 {
			continue // nothing to find it by
		}
		tids := make([]int64, len(terms[i]))
		for j, t := range terms[i] {
			tids[j] = ids[t]
		}
		rows = append(rows, []any{b.recs[i].ID, tids})
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"search_docs"}, []string{"record_id", "terms"}, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("copy search docs: %w", err)
	}
	return nil
}

// lexiconIDs sets ids[t] to the id of every term t of terms, adding the
// terms the lexicon lacks, and the typing variants of their name words.
func lexiconIDs(ctx context.Context, tx pgx.Tx, terms []string, ids map[string]int64) error {
	scan := func(rows pgx.Rows) error {
		var (
			t  string
			id int64
		)
		_, err := pgx.ForEachRow(rows, []any{&t, &id}, func() error {
			ids[t] = id
			return nil
		})
		return err
	}
	missing := func() []string {
		var out []string
		for _, t := range terms {
			if ids[t] == 0 {
				out = append(out, t)
			}
		}
		return out
	}
	rows, _ := tx.Query(ctx, `SELECT term, id FROM search_lexicon WHERE term = ANY($1)`, terms)
	if err := scan(rows); err != nil {
		return fmt.Errorf("read search lexicon: %w", err)
	}
	added := missing()
	if len(added) == 0 {
		return nil
	}
	rows, _ = tx.Query(ctx, `INSERT INTO search_lexicon (term) SELECT unnest($1::text[])
		ON CONFLICT (term) DO NOTHING RETURNING term, id`, added)
	if err := scan(rows); err != nil {
		return fmt.Errorf("add to search lexicon: %w", err)
	}
	if late := missing(); len(late) > 0 {
		// Added by another writer since the first read: only possible if
		// one wrote without the ledger lock.
		rows, _ := tx.Query(ctx, `SELECT term, id FROM search_lexicon WHERE term = ANY($1)`, late)
		if err := scan(rows); err != nil {
			return fmt.Errorf("read search lexicon: %w", err)
		}
		if len(missing()) > 0 {
			return errors.New("search lexicon: a term was neither added nor found")
		}
	}
	var dels []string
	var tids []int64
	for _, t := range added {
		if w := typoWord(t); w != "" {
			for _, d := range deletions(w) {
				dels = append(dels, d)
				tids = append(tids, ids[t])
			}
		}
	}
	if len(dels) > 0 {
		if _, err := tx.Exec(ctx, `INSERT INTO search_vocab (del, term_id) SELECT * FROM unnest($1::text[], $2::bigint[])
			ON CONFLICT DO NOTHING`, dels, tids); err != nil {
			return fmt.Errorf("add to search vocabulary: %w", err)
		}
	}
	return nil
}

// unindexRecord removes a record from the index within tx: its row, and
// every term (with its typing variants, by cascade) that no other record
// holds, so that nothing of a redacted record stays findable or stored in
// a live row of the index.
func unindexRecord(ctx context.Context, tx pgx.Tx, recordID int64) error {
	var tids []int64
	err := tx.QueryRow(ctx, `DELETE FROM search_docs WHERE record_id = $1 RETURNING terms`, recordID).Scan(&tids)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil // imported before the index and not backfilled yet: the backfill skips it
	}
	if err != nil {
		return fmt.Errorf("unindex record: %w", err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM search_lexicon l WHERE l.id = ANY($1)
		AND NOT EXISTS (SELECT 1 FROM search_docs d WHERE d.terms @> ARRAY[l.id])`, tids); err != nil {
		return fmt.Errorf("unindex record terms: %w", err)
	}
	return nil
}

// vacuumSearch prunes, after a redaction has committed, the lexicon and
// vocabulary rows it deleted, and their B-tree entries: with the default
// INDEX_CLEANUP AUTO, VACUUM skips the indexes when few rows died, and the
// entries would hold the redacted words until a later vacuum. What VACUUM
// does not erase is said in the package doc.
func (s *DB) vacuumSearch(ctx context.Context) {
	if _, err := s.pool.Exec(ctx, `VACUUM (INDEX_CLEANUP ON) search_lexicon, search_vocab`); err != nil {
		s.logger.Warn("VACUUM of the search index after a redaction failed; autovacuum prunes it later", "err", err)
	}
}

// IndexSearch indexes the records imported before the index existed, in
// transactions of backfillChunk records; every later record was indexed
// by its import, and every redaction removed its record at once. When
// nothing is left it costs one read.
func (s *DB) IndexSearch(ctx context.Context) (int, error) {
	const op = "postgres.IndexSearch"
	total := 0
	for {
		var done, to int64
		if err := s.pool.QueryRow(ctx, `SELECT backfilled, backfill_to FROM search_state WHERE id = 1`).Scan(&done, &to); err != nil {
			return total, internal(op, err)
		}
		if done >= to {
			return total, nil
		}
		n, err := s.backfillStep(ctx)
		if err != nil {
			return total, err
		}
		total += n
	}
}

// backfillStep indexes the next backfillChunk records not indexed by
// their import, under the ledger lock, and returns how many it indexed.
func (s *DB) backfillStep(ctx context.Context) (int, error) {
	const op = "postgres.IndexSearch"
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return 0, &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Err: err}
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, ledgerLock); err != nil {
		return 0, internal(op, err)
	}
	var done, to int64
	if err := tx.QueryRow(ctx, `SELECT backfilled, backfill_to FROM search_state WHERE id = 1`).Scan(&done, &to); err != nil {
		return 0, internal(op, err)
	}
	if done >= to {
		return 0, nil // another server finished it
	}
	rows, _ := tx.Query(ctx, `SELECT id, content FROM records WHERE id > $1 AND id <= $2 ORDER BY id LIMIT $3`, done, to, backfillChunk)
	var (
		b       searchBatch
		id      int64
		content *string
		n, seen int
	)
	last := done
	_, err = pgx.ForEachRow(rows, []any{&id, &content}, func() error {
		last, seen = id, seen+1
		if content == nil { // redacted: nothing to index
			return nil
		}
		var r paradero.Record
		if err := r.SetContent([]byte(*content)); err != nil {
			return &paradero.Error{Code: paradero.ETAMPERED, Message: fmt.Sprintf("record %d: its stored content is malformed", id), Err: err}
		}
		r.ID = id
		b.add(s.nz, &r)
		n++
		return nil
	})
	if err != nil {
		return 0, internal(op, err)
	}
	if seen < backfillChunk {
		last = to
	}
	if err := b.write(ctx, tx); err != nil {
		return 0, internal(op, err)
	}
	if _, err := tx.Exec(ctx, `UPDATE search_state SET backfilled = $1 WHERE id = 1`, last); err != nil {
		return 0, internal(op, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Err: err}
	}
	s.logger.Info("indexed records imported before the search index", "records", n, "up_to", last)
	return n, nil
}

// Match ranks: a hit's score is the sum of its criteria's ranks, as in
// package sqlite.
var matchRank = map[paradero.MatchKind]int{
	paradero.MatchExact: 4, paradero.MatchNickname: 3, paradero.MatchSound: 2,
	paradero.MatchPartialDate: 2, paradero.MatchTypo: 1, paradero.MatchSwappedDate: 1,
}

// criterion is one thing every hit must match: the terms that satisfy it,
// each with how, and then their ids.
type criterion struct {
	field, query string
	terms        map[string]paradero.MatchReason
	ids          []int64
	byID         map[int64]string // term of each id
}

func (c *criterion) add(term string, kind paradero.MatchKind, found string) {
	if old, ok := c.terms[term]; ok && matchRank[old.Kind] >= matchRank[kind] {
		return
	}
	c.terms[term] = paradero.MatchReason{Field: c.field, Kind: kind, Query: c.query, Found: found}
}

// criteria turns a query into criteria, in the order asked, looking up
// the typing-error neighbours of name words.
func (s *DB) criteria(ctx context.Context, conn querier, q paradero.SearchQuery) ([]*criterion, error) {
	var out []*criterion
	newCrit := func(field, query string) *criterion {
		c := &criterion{field: field, query: query, terms: make(map[string]paradero.MatchReason)}
		out = append(out, c)
		return c
	}
	if strings.TrimSpace(q.Name) != "" {
		n := s.nz.ParseName(linkage.NameParts{Full: q.Name})
		kept := 0
		for _, w := range append(append([]string(nil), n.Given...), n.Surnames...) {
			if len(w) < 2 || slices.ContainsFunc(out, func(c *criterion) bool { return c.query == w }) {
				continue // an initial matches too much to be a criterion
			}
			kept++
			c := newCrit("name", w)
			c.add("n:"+w, paradero.MatchExact, "")
			for _, x := range s.nz.Nicknames(w)[1:] {
				c.add("n:"+x, paradero.MatchNickname, x)
			}
			c.add("k:"+w, paradero.MatchNickname, "")
			if p := linkage.Phonetic(w); p != "" {
				c.add("p:"+p, paradero.MatchSound, "")
			}
			if len(w) >= minTypoLen {
				rows, _ := conn.Query(ctx, `SELECT DISTINCT l.term FROM search_vocab v JOIN search_lexicon l ON l.id = v.term_id
					WHERE v.del = ANY($1)`, deletions(w))
				var term string
				if _, err := pgx.ForEachRow(rows, []any{&term}, func() error {
					if t := strings.TrimPrefix(term, "n:"); t != w && editDistance(w, t) == 1 {
						c.add(term, paradero.MatchTypo, t)
					}
					return nil
				}); err != nil {
					return nil, internal("postgres.SearchRecords", err)
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

// filter returns the ids a record must hold one of to meet the criterion:
// its terms' ids, less each name word's whose phonetic key is there too,
// since every record holding a word holds its key (recordTerms), so that
// GIN reads one posting list for both.
func (c *criterion) filter() []int64 {
	var out []int64
	for _, id := range c.ids {
		t := c.byID[id]
		if w, ok := strings.CutPrefix(t, "n:"); ok {
			if p := linkage.Phonetic(w); p != "" {
				if _, ok := c.terms["p:"+p]; ok && slices.ContainsFunc(c.ids, func(id int64) bool { return c.byID[id] == "p:"+p }) {
					continue
				}
			}
		}
		out = append(out, id)
	}
	return out
}

// reason returns the criterion's reason for a hit holding the term ids
// matched: the best-ranked, and of equals the least term, as package
// sqlite picks.
func (c *criterion) reason(matched []int64) (paradero.MatchReason, bool) {
	best, bestTerm := paradero.MatchReason{}, ""
	for _, id := range matched {
		t, ok := c.byID[id]
		if !ok {
			continue
		}
		m := c.terms[t]
		if bestTerm == "" || matchRank[m.Kind] > matchRank[best.Kind] || matchRank[m.Kind] == matchRank[best.Kind] && t < bestTerm {
			best, bestTerm = m, t
		}
	}
	return best, bestTerm != ""
}

// SearchRecords resolves the query's terms to ids and reads the records
// holding one term of every criterion in one GIN bitmap scan, at most
// MaxSearchScan of them, each with the term ids it matched.
func (s *DB) SearchRecords(ctx context.Context, q paradero.SearchQuery) (*paradero.SearchResult, error) {
	const op = "postgres.SearchRecords"
	if q.IsZero() {
		return nil, paradero.Errorf(paradero.EINVALID, "give a name, a birth date, an A-number or a facility")
	}
	if _, err := s.IndexSearch(ctx); err != nil {
		return nil, err
	}
	// One connection for the search's statements: under load a search
	// waits for the pool once, not once per statement. (Not before
	// IndexSearch, which may need connections of its own.)
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, internal(op, err)
	}
	defer conn.Release()
	crits, err := s.criteria(ctx, conn, q)
	if err != nil {
		return nil, err
	}
	var all []string
	for _, c := range crits {
		c.byID = make(map[int64]string, len(c.terms))
		for t := range c.terms {
			all = append(all, t)
		}
	}
	slices.Sort(all)
	all = slices.Compact(all)
	rows, _ := conn.Query(ctx, `SELECT term, id FROM search_lexicon WHERE term = ANY($1)`, all)
	var (
		term string
		id   int64
	)
	if _, err := pgx.ForEachRow(rows, []any{&term, &id}, func() error {
		for _, c := range crits {
			if _, ok := c.terms[term]; ok {
				c.ids = append(c.ids, id)
				c.byID[id] = term
			}
		}
		return nil
	}); err != nil {
		return nil, internal(op, err)
	}
	res := &paradero.SearchResult{}
	var (
		args  []any
		where []string
		every []int64 // of the criteria that come down to one term
	)
	for _, c := range crits {
		if len(c.ids) == 0 {
			return res, nil // no record holds any term of it
		}
		ids := c.filter()
		if len(ids) == 1 {
			every = append(every, ids[0])
			continue
		}
		args = append(args, ids)
		where = append(where, "terms && $"+strconv.Itoa(len(args)))
	}
	if len(every) > 0 {
		// One GIN scan key with AND semantics lets GIN skip through the
		// common terms' posting lists by the rarest one's.
		args = append(args, every)
		where = append(where, "terms @> $"+strconv.Itoa(len(args)))
	}
	// Each hit's term ids come whole and are matched here: filtering them
	// in SQL (unnest per row) costs the server more than sending them.
	rows, _ = conn.Query(ctx, `SELECT record_id, terms FROM search_docs WHERE `+strings.Join(where, " AND ")+
		` LIMIT `+strconv.Itoa(paradero.MaxSearchScan+1), args...)
	var (
		recordID int64
		matched  []int64
		hits     []*paradero.SearchHit
	)
	if _, err := pgx.ForEachRow(rows, []any{&recordID, &matched}, func() error {
		h := &paradero.SearchHit{RecordID: recordID, Reasons: make([]paradero.MatchReason, 0, len(crits))}
		for _, c := range crits {
			m, ok := c.reason(matched)
			if !ok {
				return fmt.Errorf("record %d matched no term of criterion %s %q", recordID, c.field, c.query)
			}
			h.Reasons = append(h.Reasons, m)
			h.Score += matchRank[m.Kind]
		}
		hits = append(hits, h)
		return nil
	}); err != nil {
		return nil, internal(op, err)
	}
	if len(hits) > paradero.MaxSearchScan {
		hits, res.Truncated = hits[:paradero.MaxSearchScan], true
	}
	slices.SortFunc(hits, func(a, b *paradero.SearchHit) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return cmp.Compare(a.RecordID, b.RecordID)
	})
	res.Total = len(hits)
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	off := min(max(q.Offset, 0), len(hits))
	res.Hits = hits[off:min(off+limit, len(hits))]
	return res, nil
}

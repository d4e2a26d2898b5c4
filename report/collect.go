package report

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/ledger"
	"github.com/paradero/paradero/timeline"
)

// AuditDossierExport is the audit action of a dossier export; its object
// is "person:ID".
const AuditDossierExport = "dossier.export"

// Prover proves that a ledger entry is in the log; *ledger.Log is one.
type Prover interface {
	Prove(ctx context.Context, index int64, fromSizes ...int64) (*ledger.Proof, error)
}

// DossierOptions tune BuildDossier.
type DossierOptions struct {
	Lang string    // "es" (default) or "en"
	Now  time.Time // the day of the assessment (timeline.Options.Now); zero means time.Now()
	// Threshold is timeline.Options.Threshold (0: the timeline's default).
	Threshold time.Duration
}

// BuildDossier gathers the dossier of person id from the store: its
// records and their sources, the timeline, and each record's inclusion
// proof against the same signed checkpoint. When the store implements
// paradero.AuditService it first appends an audit entry (action
// AuditDossierExport, object "person:ID"); a failure to audit fails the
// export. ENOTFOUND for no such person; EINVALID for an unknown language.
func BuildDossier(ctx context.Context, store Store, prover Prover, id int64, opt DossierOptions) (*Dossier, error) {
	if opt.Lang == "" {
		opt.Lang = "es"
	}
	if !ValidLang(opt.Lang) {
		return nil, paradero.Errorf(paradero.EINVALID, "language %q is not es or en", opt.Lang)
	}
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	p, err := store.FindPersonByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if as, ok := store.(paradero.AuditService); ok {
		if err := as.CreateAuditEntry(ctx, paradero.NewAuditEntry(ctx, AuditDossierExport, "person:"+itoa(id))); err != nil {
			return nil, err
		}
	}
	d := &Dossier{Lang: opt.Lang, PersonID: p.ID, Generated: opt.Now}
	sources := make(map[int64]*paradero.Source)
	var mentions []timeline.Mention
	ids := slices.Sorted(slices.Values(p.Records))
	for _, rid := range ids {
		r, err := store.FindRecordByID(ctx, rid)
		if err != nil {
			return nil, err
		}
		src, ok := sources[r.SourceID]
		if !ok {
			if src, err = store.FindSourceByID(ctx, r.SourceID); err != nil {
				return nil, err
			}
			sources[r.SourceID] = src
			d.Sources = append(d.Sources, src)
		}
		d.Records = append(d.Records, DossierRecord{Record: r, Source: src})
		mentions = append(mentions, timeline.Mention{Record: r, Source: src})
	}
	slices.SortFunc(d.Sources, func(a, b *paradero.Source) int { return int(a.ID - b.ID) })
	d.Timeline = timeline.Build(mentions, nil, timeline.Options{Now: opt.Now, Threshold: opt.Threshold})
	if vs, ok := store.(paradero.ViolationService); ok && len(ids) > 0 {
		if d.Violations, _, err = vs.FindViolations(ctx, paradero.ViolationFilter{Records: ids, Limit: 10000}); err != nil {
			return nil, err
		}
	}
	// Every proof must be against the same checkpoint; an import between
	// two proofs moves it on, and then all are proved again.
	for try := 0; ; try++ {
		var size int64
		same := true
		for i := range d.Records {
			pr, err := prover.Prove(ctx, d.Records[i].Record.LedgerIndex)
			if err != nil {
				return nil, err
			}
			if i == 0 {
				size = pr.TreeSize
				d.Checkpoint = pr.Checkpoint
			} else if pr.TreeSize != size {
				same = false
			}
			d.Records[i].Proof = pr
		}
		if same || try == 2 {
			break
		}
	}
	return d, nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

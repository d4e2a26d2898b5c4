// Package report turns what the store holds into documents: the
// reconciliation of sources after linkage (who is on which list, who is
// still unaccounted for) as tables, CSV and an UpSet chart; the
// capture-history table multiple systems estimation reads; a person's
// dossier in HTML, JSON and PDF, with the ledger proof of every record; the
// aggregate report; and charts (a person's timeline, flows between
// custodians and places, status over time). See docs/report.md.
//
// Why this shape:
//   - Layout is pure: Reconcile, Flows, StatusOverTime, TimelineSVG and the
//     Write methods take values and return documents, so they are tested
//     without a store and the web can call them as the CLI does. Only the
//     Load functions and BuildDossier read a store, through the root
//     package's interfaces; report depends on the pure cores' value types
//     (timeline.Timeline, ledger.Proof), never on a store adapter, and not
//     on package estimate (the caller fills EstimateSummary).
//   - Charts are SVG written by hand from escaped text (svg.go): no script,
//     no external service, safe to inline in a page; the timeline chart has
//     one layout drawn both as SVG and in the PDF.
//   - CSV exports neutralise formula-looking text cells (SafeCell, OWASP
//     "CSV Injection"): leaked lists are hostile input.
//   - A dossier is gathered once (BuildDossier, which audits the export)
//     and laid out in any format, every proof against one checkpoint.
//   - The PDF uses github.com/signintech/gopdf with DejaVu Sans embedded
//     (fonts/, its licence beside it): pure Go, subset TrueType fonts with
//     a Unicode map, so Spanish text is right and searchable.
//   - Words are per language in functions (labelsFor), so no package-level
//     map can change at run time.
package report

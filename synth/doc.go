// Package synth generates a synthetic world for Paradero's tests,
// benchmarks and demo: people detained in the United States in 2024–2025,
// some of them flown to El Salvador's CECOT prison in March 2025 and back to
// Venezuela in July, and the overlapping, error-ridden lists that mention
// them — a leaked roster, court filings, family reports, locator snapshots,
// a return-flight manifest — with the ground truth of who is who.
//
// Why: the real lists cannot be used to build or test software (they name
// people at risk, and nobody knows their truth), yet record linkage,
// capture–recapture estimation and disappearance detection must be shown to
// work on data shaped like them. The world follows the public facts of
// CONTEXT.md and the shared events_2025.csv (flight counts and dates, the
// locator's disappearances, the return of 18 July); every parameter is
// cited in docs/synth.md.
//
// No real person: every name is a combination of given names and surnames
// drawn independently from frequency tables of public statistics
// (names_given.csv, names_surnames.csv), never a list of individuals;
// document numbers and dates are random. Any resemblance to a living person
// is chance.
//
// Design: person i is a pure function of the seed and i (math/rand/v2 PCG
// streams keyed by purpose and index), so a source is built by visiting the
// persons it needs and regenerating them, and a million-person world is
// written with one source in memory at a time. Sources are generated in
// parallel and written in a fixed order; no map order reaches the output, so
// the same configuration gives byte-identical files.
package synth

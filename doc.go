// Package paradero is the domain of Paradero: the vocabulary every other
// package speaks, and the service interfaces the stores implement.
//
// Paradero finds out and proves where detained and deported people are. Its
// core ideas, in the words used throughout the code:
//
//   - A source is one document or observation (a leaked roster, a court
//     filing, a locator response, a family's report), kept byte for byte and
//     identified by its SHA-256.
//   - A record is one mention of one person in one source: the identity
//     fields as written there and what the source asserts about them.
//   - Nothing is erased. Records are never updated or deleted; a redaction
//     removes a record's content but keeps its commitment and a signed reason.
//   - Every source, record and redaction is an entry of an append-only
//     Merkle log (RFC 6962 / RFC 9162 hashing), the ledger, whose signed
//     checkpoints let anyone prove that nothing was altered or removed.
//
// This package imports no other package of the project. Adapters (sqlite,
// postgres) implement its interfaces; pure cores (ledger, linkage, estimate,
// ingest) work on its values; cmd/paradero wires them together.
package paradero

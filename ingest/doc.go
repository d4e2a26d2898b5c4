// Package ingest turns a source file — a roster, a leaked list, a flight
// manifest, a locator export — into paradero.Record values, one per data
// row, streaming, so that a file of any size is read in constant memory.
//
// Lists arrive as whatever their authors had: CSV with commas, semicolons,
// tabs or pipes, saved by Excel in Windows-1252 or by a script in UTF-8;
// XLSX workbooks; JSON Lines from a scraper. Their headers are Spanish or
// English, accented or not ("Fecha de Nac.", "DOB", "apellido_paterno"),
// and their dates are day-first, month-first, numeric or spelled out. Open
// detects the format, the text encoding and the delimiter, and maps each
// header to a canonical record field (paradero.RecordFields) or keeps the
// column as an extra field, so that nothing a source said is lost; a
// Mapping, usually read from a JSON file with ParseMapping, overrides any of
// it. docs/import.md is the user's reference.
//
// Evidence is kept as written: values are not trimmed, re-cased or
// Unicode-normalised (right-to-left text and combining characters pass
// byte for byte, after decoding to UTF-8), and a cell that looks like a
// formula (=HYPERLINK(…), +, -, @) is text, never evaluated. Only dates
// are converted, to their canonical ISO 8601 form at the precision written,
// because records and linkage compare them.
//
// Import is all or nothing, so the reader is strict: every problem — a
// ragged row, an unclosed quote, a bad date, a row that names no one, bytes
// that are not text — is an *Error that says file:line:column and why, and
// the caller aborts. Guessing around a broken row would put a wrong fact
// into a ledger that never forgets.
//
// The design follows from streaming and strictness. CSV has its own parser
// (not encoding/csv) so that a row's size is bounded (MaxRowBytes: a quote
// never closed fails fast instead of swallowing the file) and so that
// positions are characters within a line. The encoding is decided by one
// pass over the whole file before parsing (io.ReaderAt allows it), because
// the first non-ASCII byte may sit in row 900 000; a mix of UTF-8 and
// Windows-1252 is refused rather than half-garbled. XLSX uses excelize's
// streaming row iterator; date cells are read from their serial numbers, not
// their locale display.
package ingest

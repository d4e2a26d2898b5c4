package ingest

// The codes of Error, each with the Args its sentence takes, in order. A
// user interface words an error from its code ("import.error." + Code in
// package locale's translations) and falls back to the English Reason for
// a code it does not know or an Error without one (a mapping's, an XLSX
// workbook's, a record's check).
//
//	not_text          what: "NUL byte" or "control character 0xNN"
//	row_too_long      limit in bytes
//	unclosed_quote    —
//	text_after_quote  the character, the field's number
//	unclosed_json     —
//	bad_json          encoding/json's English detail
//	json_array        —
//	not_json_object   —
//	duplicate_key     the key
//	nested_value      the key
//	text_after_json   —
//	mixed_encoding    the byte ("0xNN"), the line that is UTF-8
//	unknown_encoding  the byte
//	bad_utf8          the byte (the file is UTF-8 by its byte-order mark or the mapping)
//	nul_byte          —
//	empty_file        —
//	no_records        —
//	header_unnamed    the column's number
//	header_too_long   the column's number, its length in bytes
//	header_duplicate  the first column's number, the second's, the name
//	mapping_column    the column the mapping names
//	same_field        the first column, the second, the field's key
//	too_many_columns  the row's fields, the header's, the field's number
//	too_few_columns   the row's fields, the header's
//	value_too_long    the column, the length in bytes, the limit
//	bad_date          the column, the value (shortened), ParseDate's English detail
//	bad_value         the column, the record check's English reason
//	empty_key         the column
//	no_identity       —
//	old_excel         —
//	pdf               —
//	sheet_format      the extension (".ods", ".numbers")
//	not_xlsx          the extension
const (
	// CodeBadDate is a date field whose value is no date Paradero reads.
	CodeBadDate = "bad_date"
	// CodeUnclosedJSON is a JSON Lines object not closed on its line.
	CodeUnclosedJSON = "unclosed_json"
)

// coded gives err, an *Error, a code and the arguments its sentence
// takes; any other error is returned as it is.
func coded(err error, code string, args ...any) error {
	if e, ok := err.(*Error); ok {
		e.Code, e.Args = code, args
	}
	return err
}

package ingest

import (
	"context"
	"errors"
	"io"

	"github.com/paradero/paradero"
)

// Imported is what Import stored.
type Imported struct {
	Source   *paradero.Source
	Format   string // "csv", "xlsx", "jsonl"
	Encoding string
}

// Import reads the size bytes of f, a file named opts.Filename, and
// imports it through store's all-or-nothing import: the file byte for byte,
// one record per data row. Any error — a parse error, or a record the store
// refuses, given as "file:line: reason" — aborts it all and nothing is
// written. src's Filename is set, and its Title when empty; the store sets
// the rest. The command line and the web app both import through here.
func Import(ctx context.Context, store paradero.ImportService, f io.ReaderAt, size int64, src *paradero.Source, opts Options) (*Imported, error) {
	src.Filename = opts.Filename
	if src.Title == "" {
		src.Title = opts.Filename
	}
	rd, err := Open(f, size, opts)
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	src.MediaType = rd.MediaType()
	im, err := store.BeginImport(ctx, src, io.NewSectionReader(f, 0, size))
	if err != nil {
		return nil, err
	}
	defer im.Rollback()
	for {
		r, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if err := im.AddRecord(ctx, r); err != nil {
			if paradero.ErrorCode(err) == paradero.EINVALID {
				return nil, &Error{File: opts.Filename, Line: r.Row, Reason: paradero.ErrorMessage(err)}
			}
			return nil, err
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	saved, err := im.Commit(ctx)
	if err != nil {
		return nil, err
	}
	return &Imported{Source: saved, Format: rd.Format(), Encoding: rd.Encoding()}, nil
}

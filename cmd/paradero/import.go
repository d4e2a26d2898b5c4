package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/ingest"
)

const importUsage = `
import [--kind KIND] [--title T] [--published DATE] [--map MAPPING] [--json] FILE

Imports a source file — CSV (any common delimiter; UTF-8, with or without BOM,
or Latin-1/Windows-1252), XLSX or JSON Lines — keeping the file byte for byte
and one record per data row. All or nothing: any error aborts the whole
import with FILE:LINE:COLUMN: REASON, and nothing is written. A file imported
before is recognised by its SHA-256 and changes nothing. FILE "-" reads
standard input.

Kinds: roster, court-filing, locator-snapshot, family-report, ngo-report,
news, manifest, other.
`

type importCommand struct {
	g *globals
}

func (c *importCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet(c.g, "import", importUsage)
	c.g.register(fs)
	kind := fs.String("kind", "other", "what the source is (see above)")
	title := fs.String("title", "", "the source's title (default: the file name)")
	published := fs.String("published", "", "when the source was published or observed (2025-03-15, 15/03/2025, 2025…)")
	mapPath := fs.String("map", "", "a column mapping `FILE` (JSON; see docs/import.md)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("give exactly one FILE")
	}
	src := &paradero.Source{Kind: paradero.SourceKind(*kind), Title: *title}
	if !src.Kind.Valid() {
		return usagef("unknown kind %q", *kind)
	}
	if *published != "" {
		d, err := ingest.ParseDate(*published, ingest.DMY)
		if err != nil {
			return usagef("--published: %v", err)
		}
		src.Published = d
	}
	opts := ingest.Options{Filename: pos[0]}
	if *mapPath != "" {
		f, err := os.Open(*mapPath)
		if err != nil {
			return err
		}
		opts.Mapping, err = ingest.ParseMapping(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", *mapPath, err)
		}
	}
	if err := c.g.open(ctx); err != nil {
		return err
	}
	res, err := importFile(cliContext(ctx), c.g, pos[0], src, opts)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(c.g.stdout, res)
	}
	if res.AlreadyImported {
		fmt.Fprintf(c.g.stdout, "%s was imported already as source %d on %s; nothing changed.\n",
			res.File, res.SourceID, res.ImportedAt)
		return nil
	}
	fmt.Fprintf(c.g.stdout, "Imported %s as source %d: %s (%s, %s).\nSHA-256 %s\nLedger: %d entries; checkpoint signed.\n",
		res.File, res.SourceID, plural(res.Records, "record", "records"), res.Format, res.Encoding, res.SHA256, res.LedgerSize)
	return nil
}

// importResult is what an import did, as the command reports it.
type importResult struct {
	File            string `json:"file"`
	SourceID        int64  `json:"source_id"`
	Records         int    `json:"records"`
	SHA256          string `json:"sha256"`
	Format          string `json:"format,omitempty"`
	Encoding        string `json:"encoding,omitempty"`
	ImportedAt      string `json:"imported_at"`
	AlreadyImported bool   `json:"already_imported"`
	LedgerSize      int64  `json:"ledger_size"`
}

// importFile imports the file at path (or standard input for "-") into the
// store, then signs a checkpoint. Parse errors say file:line:column.
func importFile(ctx context.Context, g *globals, path string, src *paradero.Source, opts ingest.Options) (*importResult, error) {
	f, size, cleanup, err := openImportFile(g, path)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	name := filepath.Base(path)
	if path == "-" {
		name = "stdin"
	}
	return importReader(ctx, g, name, f, size, src, opts)
}

// importReader imports the size bytes of f, a file named name.
func importReader(ctx context.Context, g *globals, name string, f io.ReaderAt, size int64, src *paradero.Source, opts ingest.Options) (*importResult, error) {
	opts.Filename = name

	// Hash first: a file seen before changes nothing and is not parsed.
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, size)); err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	src.SHA256 = paradero.Hash(h.Sum(nil))
	if prev, err := g.store.FindSourceBySHA256(ctx, src.SHA256); err == nil {
		return &importResult{File: name, SourceID: prev.ID, Records: prev.Records, SHA256: prev.SHA256.String(),
			ImportedAt: prev.ImportedAt.Format("2006-01-02 15:04 MST"), AlreadyImported: true}, nil
	} else if paradero.ErrorCode(err) != paradero.ENOTFOUND {
		return nil, err
	}

	res, err := ingest.Import(ctx, g.store, f, size, src, opts)
	if err != nil {
		return nil, err
	}
	saved := res.Source
	cp, err := g.log.Checkpoint(ctx)
	if err != nil {
		return nil, fmt.Errorf("imported as source %d, but signing the checkpoint failed: %w", saved.ID, err)
	}
	g.logger.Info("imported source", "source", saved.ID, "records", saved.Records, "bytes", saved.Size)
	return &importResult{File: name, SourceID: saved.ID, Records: saved.Records, SHA256: saved.SHA256.String(),
		Format: res.Format, Encoding: res.Encoding, ImportedAt: saved.ImportedAt.Format("2006-01-02 15:04 MST"),
		LedgerSize: cp.Size}, nil
}

// openImportFile opens path for random access; standard input is first
// copied to a temporary file, since XLSX needs random access and the file is
// read twice (hash, then parse).
func openImportFile(g *globals, path string) (*os.File, int64, func(), error) {
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, 0, nil, &paradero.Error{Code: paradero.EINVALID, Message: strings.TrimPrefix(err.Error(), "open "), Err: err}
		}
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, 0, nil, err
		}
		if !st.Mode().IsRegular() {
			f.Close()
			return nil, 0, nil, paradero.Errorf(paradero.EINVALID, "%s is not a regular file", path)
		}
		return f, st.Size(), func() { f.Close() }, nil
	}
	f, err := os.CreateTemp("", "paradero-stdin-*")
	if err != nil {
		return nil, 0, nil, err
	}
	cleanup := func() { f.Close(); os.Remove(f.Name()) }
	n, err := io.Copy(f, g.stdin)
	if err != nil {
		cleanup()
		return nil, 0, nil, fmt.Errorf("reading standard input: %w", err)
	}
	return f, n, cleanup, nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

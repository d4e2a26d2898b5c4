package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/ledger"
	"github.com/paradero/paradero/sqlite"
)

// globals is the configuration every command shares, from flags and the
// environment, and what it opened.
type globals struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string

	dataDir     string
	databaseURL string
	logLevel    string

	store  paradero.Store
	log    *ledger.Log
	logger *slog.Logger
}

// register adds the global flags to fs. Both the top-level flag set and
// each command's own register them, so they may come before or after the
// command name; the environment gives the defaults.
func (g *globals) register(fs *flag.FlagSet) {
	fs.StringVar(&g.dataDir, "data", g.dataDir,
		"data `DIR`: the embedded database, source files and the ledger key (env PARADERO_DATA; default ~/.local/share/paradero)")
	fs.StringVar(&g.databaseURL, "database-url", g.databaseURL,
		"PostgreSQL `URL` instead of the embedded store (env PARADERO_DATABASE_URL or PARADERO_DATABASE_URL_FILE)")
	fs.StringVar(&g.logLevel, "log-level", g.logLevel, "log `level`: debug, info, warn, error (env PARADERO_LOG_LEVEL; default warn)")
}

// resolve fills what flags left empty from the environment and defaults,
// and checks the result.
func (g *globals) resolve() error {
	if g.dataDir == "" {
		g.dataDir = g.getenv("PARADERO_DATA")
	}
	if g.dataDir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return usagef("no data directory: give --data DIR or set PARADERO_DATA")
		}
		base := g.getenv("XDG_DATA_HOME")
		if base == "" {
			base = filepath.Join(home, ".local", "share")
		}
		g.dataDir = filepath.Join(base, "paradero")
	}
	if g.databaseURL == "" {
		g.databaseURL = g.getenv("PARADERO_DATABASE_URL")
	}
	if g.databaseURL == "" {
		if f := g.getenv("PARADERO_DATABASE_URL_FILE"); f != "" {
			b, err := os.ReadFile(f)
			if err != nil {
				return fmt.Errorf("reading PARADERO_DATABASE_URL_FILE: %w", err)
			}
			g.databaseURL = strings.TrimSpace(string(b))
		}
	}
	if g.logLevel == "" {
		g.logLevel = g.getenv("PARADERO_LOG_LEVEL")
	}
	var level slog.Level
	if g.logLevel == "" {
		level = slog.LevelWarn
	} else if err := level.UnmarshalText([]byte(g.logLevel)); err != nil {
		return usagef("log level %q is not debug, info, warn or error", g.logLevel)
	}
	g.logger = slog.New(slog.NewTextHandler(g.stderr, &slog.HandlerOptions{Level: level}))
	return nil
}

// open opens the store and the ledger, once.
func (g *globals) open(ctx context.Context) error {
	if g.store != nil {
		return nil
	}
	if err := g.resolve(); err != nil {
		return err
	}
	store, err := openStore(ctx, g)
	if err != nil {
		return err
	}
	key, err := ledger.LoadOrCreateKey(g.dataDir)
	if err != nil {
		store.Close()
		return err
	}
	g.store = store
	g.log = ledger.New(store, key)
	return nil
}

func openStore(ctx context.Context, g *globals) (paradero.Store, error) {
	if g.databaseURL != "" {
		return openPostgres(ctx, g.databaseURL, g.logger)
	}
	return sqlite.Open(ctx, g.dataDir, g.logger)
}

func (g *globals) close() {
	if g.store != nil {
		g.store.Close()
	}
}

// cliContext returns ctx carrying the local operator as the actor.
func cliContext(ctx context.Context) context.Context {
	name := "cli"
	if u := os.Getenv("USER"); u != "" {
		name = "cli:" + u
	}
	return paradero.NewContextWithActor(ctx, paradero.Actor{Name: name, Role: paradero.RoleAdmin})
}

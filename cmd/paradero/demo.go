package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/ingest"
	"github.com/paradero/paradero/ledger"
	"github.com/paradero/paradero/linkage"
	"github.com/paradero/paradero/synth"
	"github.com/paradero/paradero/web"
)

const demoUsage = `
demo [--persons N] [--seed S] [--data DIR] [--listen ADDR] [--serve=false]

Builds a synthetic world that follows the public facts of 2025 (the flights
to CECOT, the locator's disappearances, the return of 18 July), imports every
list it generates into a fresh store, links the records into persons,
verifies the whole ledger and shows what the store holds. Then it creates one account per role
with a random password, prints them, and serves the web application until
interrupted. Without --data it works in a new temporary directory and says
where. No real person is named: every name is drawn from public
name-frequency tables.
`

type demoCommand struct{ g *globals }

func (c *demoCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet(c.g, "demo", demoUsage)
	c.g.register(fs)
	persons := fs.Int("persons", synth.DefaultPersons, "how many people the world holds")
	seed := fs.Uint64("seed", 2025, "the world's random seed")
	listen := fs.String("listen", "127.0.0.1:8080", "serve the web application on `ADDR`")
	serve := fs.Bool("serve", true, "create demo accounts and serve the web application")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("demo takes no arguments")
	}
	explicit := false
	fs.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "data" })
	if !explicit {
		if c.g.dataDir, err = os.MkdirTemp("", "paradero-demo-"); err != nil {
			return err
		}
	}
	start := time.Now()
	world, err := synth.Generate(synth.Config{Persons: *persons, Seed: *seed})
	if err != nil {
		return err
	}
	if err := c.g.open(ctx); err != nil {
		return err
	}
	ctx = cliContext(ctx)
	out := c.g.stdout
	fmt.Fprintf(out, "Paradero demo — a synthetic world of %d people (seed %d), data in %s\n\n", *persons, *seed, c.g.dataDir)
	for _, s := range world.Sources {
		src := importSourceOf(s)
		res, err := importReader(ctx, c.g, s.Filename, bytes.NewReader(s.CSV), int64(len(s.CSV)), src, ingest.Options{})
		if err != nil {
			return fmt.Errorf("importing %s: %w", s.Filename, err)
		}
		fmt.Fprintf(out, "  imported %-28s %-17s %5d records\n", s.Filename, s.Kind, res.Records)
	}
	linked, err := linkStore(ctx, c.g, linkage.DefaultPersonSettings(), false, nil)
	if err != nil {
		return fmt.Errorf("linking: %w", err)
	}
	fmt.Fprintln(out)
	printLinkStore(out, linked)
	rep, err := c.g.log.Verify(ctx, ledger.VerifyOptions{})
	if err != nil {
		return err
	}
	if !rep.OK() {
		return &exitError{code: 1, err: fmt.Errorf("the new ledger does not verify: %s", rep.Problems[0])}
	}
	fmt.Fprintf(out, "\nLedger verified: %d entries, %d checkpoints (%.1fs in all).\n\n", rep.Entries, rep.Checkpoints, time.Since(start).Seconds())
	st := &statusCommand{g: c.g}
	if err := st.Run(ctx, []string{"--data", c.g.dataDir}); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nTry:\n  paradero --data %s status\n  paradero --data %s checkpoint\n  paradero --data %s prove record:1\n  paradero --data %s verify\n",
		c.g.dataDir, c.g.dataDir, c.g.dataDir, c.g.dataDir)
	if !*serve {
		return nil
	}
	return c.serve(ctx, *listen)
}

// serve creates one account per role, prints them, and serves the web
// application until ctx ends.
func (c *demoCommand) serve(ctx context.Context, listen string) error {
	out := c.g.stdout
	store, ok := c.g.store.(accessStore)
	if !ok {
		return fmt.Errorf("this store does not keep users yet")
	}
	ctx = operatorContext(ctx)
	fmt.Fprintf(out, "\nCuentas de demostración / Demo accounts:\n\n")
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "  rol / role\tcorreo / e-mail\tcontraseña / password")
	for _, role := range paradero.Roles {
		pw := randomPassword()
		email := string(role) + "@demo.example"
		if _, err := createUser(ctx, store, email, "Demo "+string(role), role, "es", pw, web.DefaultPasswordParams()); err != nil {
			if paradero.ErrorCode(err) != paradero.ECONFLICT {
				return err
			}
			// A demo run again on the same --data: reset the password.
			if _, err := setPassword(ctx, store, email, pw); err != nil {
				return err
			}
		}
		fmt.Fprintf(w, "  %s\t%s\t%s\n", role, email, pw)
	}
	w.Flush()
	m := &webMain{g: c.g, Listen: listen}
	if err := m.Run(ctx); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nParadero está en / Paradero is at  %s\n", m.URL())
	fmt.Fprintf(out, "El público sin cuenta ve %s/stats. Ctrl-C para terminar. / The public, with no account, sees %s/stats. Ctrl-C to stop.\n", m.URL(), m.URL())
	<-ctx.Done()
	return m.Close()
}

// importSourceOf describes a generated list as the source to import.
func importSourceOf(s synth.Source) *paradero.Source {
	return &paradero.Source{Kind: s.Kind, Title: s.Title, Published: s.Published}
}

package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"text/tabwriter"
	"time"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/ingest"
	"github.com/paradero/paradero/ledger"
	"github.com/paradero/paradero/linkage"
	"github.com/paradero/paradero/synth"
	"github.com/paradero/paradero/watch"
	"github.com/paradero/paradero/web"
)

const demoUsage = `
demo [--persons N] [--seed S] [--data DIR] [--listen ADDR] [--serve=false]

Builds a synthetic world that follows the public facts of 2025 (the flights
to CECOT, the locator's disappearances, the return of 18 July), imports every
list it generates into a fresh store, links the records into persons,
verifies the whole ledger and shows what the store holds. Then it creates one account per role
with a random password, prints them, and serves the web application until
interrupted, with two-factor sign-in optional so that each account signs in
with its password alone ('paradero serve' requires it of staff and lawyers).
Without --data it works in a new temporary directory and says
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
	watched, err := demoWatch(ctx, c.g, world)
	if err != nil {
		return fmt.Errorf("the watch: %w", err)
	}
	fmt.Fprintf(out, "Watched %d people on a simulated locator, 10–20 March 2025: %d changes, %d found gone (a finding each round).\n",
		len(watched.queries), len(watched.notices), watched.gone)
	// A checkpoint over everything, the watch's answers included, so the
	// store starts with nothing unsigned.
	if _, err := c.g.log.Checkpoint(ctx); err != nil {
		return err
	}
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
	return c.serve(ctx, *listen, watched)
}

// serve creates one account per role, prints them, and serves the web
// application until ctx ends.
func (c *demoCommand) serve(ctx context.Context, listen string, watched *demoWatched) error {
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
	if err := watched.alert(ctx, c.g, "documenter@demo.example"); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nThe documenter follows the %d people watched: see their alerts, and the locator's health, on the dashboard.\n"+
		"La documentadora sigue a las %d personas vigiladas: vea sus alertas, y el estado del localizador, en el panel.\n",
		len(watched.queries), len(watched.queries))
	if err := demoTracingRequest(ctx, c.g.store, store, out); err != nil {
		return err
	}
	if err := demoCases(ctx, c.g.store, store, out); err != nil {
		return err
	}
	// Two-factor sign-in stays optional: the demo's accounts sign in with
	// the password printed above alone.
	m := &webMain{g: c.g, Listen: listen, RequireTwoFactor: false}
	if err := m.Run(ctx); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nParadero está en / Paradero is at  %s\n", m.URL())
	fmt.Fprintf(out, "El público sin cuenta ve %s/stats. Ctrl-C para terminar. / The public, with no account, sees %s/stats. Ctrl-C to stop.\n", m.URL(), m.URL())
	fmt.Fprintf(out, "La verificación en dos pasos es opcional en la demo: basta la contraseña (paradero serve la exige al personal y a los abogados).\n"+
		"Two-factor sign-in is optional in the demo: the password is enough (paradero serve requires it of staff and lawyers).\n")
	<-ctx.Done()
	return m.Close()
}

// importSourceOf describes a generated list as the source to import.
func importSourceOf(s synth.Source) *paradero.Source {
	return &paradero.Source{Kind: s.Kind, Title: s.Title, Published: s.Published}
}

// demoTracingRequest files, for the demo's family account, one tracing
// request for someone the synthetic world holds (an adult with a name and
// a date of birth, as a mother would know them), unless the account has
// one already: a documenter can then verify the requester, search, confirm
// and answer, and the family account read the answer.
func demoTracingRequest(ctx context.Context, st paradero.Store, users accessStore, out io.Writer) error {
	ts, ok := st.(paradero.TracingService)
	if !ok {
		return nil
	}
	family, err := users.FindUserByEmail(ctx, string(paradero.RoleFamily)+"@demo.example")
	if err != nil {
		return err
	}
	fctx := paradero.NewContextWithActor(ctx, family.Actor())
	if _, n, err := ts.FindTracingRequests(fctx, paradero.TracingFilter{Limit: 1}); err != nil || n > 0 {
		return err
	}
	now := time.Now()
	var sought *paradero.Record
	for after := int64(0); sought == nil; {
		recs, _, err := st.FindRecords(ctx, paradero.RecordFilter{AfterID: after, Limit: 1000})
		if err != nil {
			return err
		}
		if len(recs) == 0 {
			return nil // a world with no adult named and dated: nothing to ask for
		}
		for _, r := range recs {
			if r.DisplayName() == "" || r.BirthDate.Day == 0 {
				continue
			}
			src, err := st.FindSourceByID(ctx, r.SourceID)
			if err != nil {
				return err
			}
			if !paradero.RecordMayBeMinor(r, src.Published, now) {
				sought = r
				break
			}
		}
		after = recs[len(recs)-1].ID
	}
	req := &paradero.TracingRequest{
		SoughtName:        sought.DisplayName(),
		SoughtBirthDate:   sought.BirthDate,
		SoughtNationality: sought.Nationality,
		LastSeenPlace:     "Caracas",
		Details:           "Salió de casa en 2024 para trabajar en Estados Unidos. Llamó por última vez desde Texas.",
		Relationship:      "madre",
		Contact:           "+58 412 555 0100 (WhatsApp)",
	}
	if err := ts.CreateTracingRequest(fctx, req); err != nil {
		return err
	}
	if err := users.CreateAuditEntry(fctx, paradero.NewAuditEntry(fctx, paradero.AuditTracingFile, fmt.Sprintf("tracing-request:%d", req.ID))); err != nil {
		return err
	}
	fmt.Fprintf(out, "\n%s@demo.example tiene una solicitud de búsqueda (%s) que espera la verificación de un documentador.\n"+
		"%s@demo.example has a tracing request (%s) awaiting a documenter's verification.\n",
		paradero.RoleFamily, req.Ref, paradero.RoleFamily, req.Ref)
	return nil
}

// demoWatched is what the demo's watch replay left for its accounts.
type demoWatched struct {
	queries []watch.Query
	notices []*paradero.Notice
	gone    int
}

// demoWatch replays a volunteer network's watch of a few dozen people of
// the world — men flown to CECOT on 15 March and others held in the
// United States — on the locator simulator playing the world's true
// timelines, a round every 12 hours from 10 to 20 March 2025: the days the
// CECOT men vanished from the locator. Every answer and every finding goes
// into the store as evidence, and is linked to its person (an incremental
// link run); the locator's health goes to the dashboard.
func demoWatch(ctx context.Context, g *globals, world *synth.World) (*demoWatched, error) {
	sc, err := watch.ScenarioFromSynth(bytes.NewReader(world.Persons), bytes.NewReader(world.Custody))
	if err != nil {
		return nil, err
	}
	rows, err := csv.NewReader(bytes.NewReader(world.Persons)).ReadAll()
	if err != nil || len(rows) < 2 {
		return nil, fmt.Errorf("persons.csv: %v", err)
	}
	col := make(map[string]int)
	for i, h := range rows[0] {
		col[h] = i
	}
	from := time.Date(2025, 3, 10, 6, 0, 0, 0, time.UTC)
	held := func(p *watch.SimPerson) bool {
		in := false
		for _, st := range p.Steps {
			if st.From.After(from) {
				break
			}
			in = st.State == watch.SimHeld && (st.Custodian == "" || st.Custodian == "ICE")
		}
		return in
	}
	d := &demoWatched{}
	cecot, others := 0, 0
	for i, r := range rows[1:] {
		p := &sc.Persons[i]
		group := r[col["group"]]
		switch {
		case !held(p):
			continue
		case group == "aea-2025-03-15" || group == "title8-2025-03-15":
			if cecot++; cecot > 24 {
				continue
			}
		case group == "wider":
			if others++; others > 36 {
				continue
			}
		default:
			continue
		}
		d.queries = append(d.queries, watch.Query{Key: fmt.Sprintf("demo%02d", len(d.queries)+1), ANumber: p.ANumber,
			CountryOfBirth: p.CountryOfBirth, Name: p.Name, BirthDate: p.BirthDate})
	}
	store, ok := g.store.(watch.Store)
	if !ok {
		return d, nil
	}
	sim := watch.NewSim(sc)
	var clock time.Time
	now := func() time.Time { return clock }
	sim.Now = now
	loc, err := watch.NewICE("ice-sim", "http://127.0.0.1:1/odls", &http.Client{Transport: watch.Transport{Handler: sim}})
	if err != nil {
		return nil, err
	}
	s, err := watch.New(watch.Config{Locator: loc, Store: store, Queries: d.queries, Gap: time.Microsecond, MaxInFlight: 4,
		Now: now, Logger: g.logger})
	if err != nil {
		return nil, err
	}
	wctx := paradero.NewContextWithActor(ctx, paradero.Actor{Name: "watch", Role: paradero.RoleAdmin})
	for clock = from; clock.Before(time.Date(2025, 3, 21, 0, 0, 0, 0, time.UTC)); clock = clock.Add(12 * time.Hour) {
		rep, err := s.RunRound(wctx)
		if err != nil {
			return nil, err
		}
		if err := watch.SaveHealth(wctx, store, rep); err != nil {
			return nil, err
		}
		d.notices = append(d.notices, watch.Notices(rep, nil)...)
		if rep.Finding != nil {
			d.gone += rep.Finding.Records
		}
	}
	if _, err := linkStore(ctx, g, linkage.DefaultPersonSettings(), true, nil); err != nil {
		return nil, fmt.Errorf("linking the watch's answers: %w", err)
	}
	return d, nil
}

// alert makes the demo user with email follow every watch entry and
// person watched, and hands them the replay's changes as in-app alerts:
// one digest.
func (d *demoWatched) alert(ctx context.Context, g *globals, email string) error {
	as, ok := g.store.(paradero.AlertService)
	us, ok2 := g.store.(paradero.UserService)
	ws, ok3 := g.store.(paradero.WatchService)
	if !ok || !ok2 || !ok3 || len(d.notices) == 0 {
		return nil
	}
	ctx = operatorContext(ctx)
	u, err := us.FindUserByEmail(ctx, email)
	if err != nil {
		return err
	}
	ps, _ := g.store.(paradero.PersonService)
	persons := make(map[string]int64)
	for _, q := range d.queries {
		f := &paradero.Follow{UserID: u.ID, Kind: paradero.FollowWatch, Object: q.Key}
		if err := as.CreateFollow(ctx, f); err != nil && paradero.ErrorCode(err) != paradero.ECONFLICT {
			return err
		}
		// The person the entry's last answer was linked to.
		sgs, err := ws.FindSightings(ctx, "ice-sim", q.Key, 0)
		if err != nil || len(sgs) == 0 || ps == nil {
			continue
		}
		recs, total, err := g.store.FindRecords(ctx, paradero.RecordFilter{SourceID: sgs[len(sgs)-1].SourceID, Limit: 1})
		if err != nil || total != 1 {
			continue
		}
		if p, err := ps.FindPersonOfRecord(ctx, recs[0].ID); err == nil {
			persons[q.Key] = p.ID
		}
	}
	for _, n := range d.notices {
		n.PersonID = persons[n.WatchKey]
	}
	if _, err := as.CreateNotices(ctx, d.notices); err != nil {
		return err
	}
	_, err = as.FoldAlerts(ctx, time.Now(), time.Minute, nil)
	return err
}

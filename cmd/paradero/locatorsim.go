package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/paradero/paradero/watch"
)

// locatorSimCommand serves a scripted locator on loopback, for tests and
// the demo: people appearing, transferred, vanishing, on foreign rosters;
// faults from a scenario file.
type locatorSimCommand struct {
	stdout, stderr io.Writer
}

const locatorSimUsage = `Usage: paradero locator-sim [flags] (--world DIR | --scenario FILE)

Serves a simulated detainee locator over HTTP on a loopback address:

  GET /odls/search?a=ANUMBER&cob=COUNTRY           (or name=…&cob=…&dob=YYYY-MM-DD)
  GET /roster.csv?custodian=NAME                    who that custodian holds now
  GET /roster.csv?custodian=NAME&columns=full_name,birth_date
                                                    the same as a bare list of names

--world reads a synthetic world written by 'paradero synth' (persons.csv and
custody.csv: the true timelines); --scenario reads a scenario file (JSON; see
docs/watch.md), which may also script faults: slow answers, 5xx, 429 with
Retry-After, malformed and challenge pages, everyone not found at once.

The simulator's clock starts at --start and runs --speed times faster than
the wall clock.

Flags:
`

// Run serves until ctx ends.
func (c *locatorSimCommand) Run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("locator-sim", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	addr := fs.String("addr", "127.0.0.1:8470", "loopback `address` to listen on (port 0 picks one)")
	world := fs.String("world", "", "a synthetic world `DIR` (paradero synth --out DIR)")
	scenario := fs.String("scenario", "", "a scenario `FILE` (JSON)")
	start := fs.String("start", "2025-03-10", "the simulated clock's start `DATE` (YYYY-MM-DD or RFC 3339)")
	speed := fs.Float64("speed", 1, "simulated seconds per real second")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), locatorSimUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 || (*world == "") == (*scenario == "") {
		return usagef("give either --world DIR or --scenario FILE")
	}
	if *speed <= 0 {
		return usagef("--speed must be positive")
	}
	t0, err := time.Parse(time.RFC3339, *start)
	if err != nil {
		if t0, err = time.Parse("2006-01-02", *start); err != nil {
			return usagef("--start %q is not YYYY-MM-DD or RFC 3339", *start)
		}
	}
	if err := requireLoopback(*addr); err != nil {
		return err
	}
	var sc *watch.Scenario
	if *world != "" {
		p, err := os.Open(filepath.Join(*world, "persons.csv"))
		if err != nil {
			return err
		}
		defer p.Close()
		cu, err := os.Open(filepath.Join(*world, "custody.csv"))
		if err != nil {
			return err
		}
		defer cu.Close()
		if sc, err = watch.ScenarioFromSynth(p, cu); err != nil {
			return err
		}
	} else {
		f, err := os.Open(*scenario)
		if err != nil {
			return err
		}
		sc, err = watch.ParseScenario(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", *scenario, err)
		}
	}
	sim := watch.NewSim(sc)
	wall := time.Now()
	sim.Now = func() time.Time { return t0.Add(time.Duration(float64(time.Since(wall)) * *speed)) }

	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(c.stdout, "Simulating a locator for %d persons at http://%s/odls (clock from %s, speed %g)\n",
		len(sc.Persons), ln.Addr(), t0.Format(time.RFC3339), *speed)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
		<-errc
		return nil
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	}
}

// requireLoopback refuses to listen anywhere but a loopback address: the
// simulator serves synthetic people, never to a network.
func requireLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return usagef("address %q: %v", addr, err)
	}
	ip := net.ParseIP(host)
	if host == "localhost" {
		return nil
	}
	if ip == nil || !ip.IsLoopback() {
		return usagef("address %q is not a loopback address (127.0.0.0/8 or ::1)", addr)
	}
	return nil
}

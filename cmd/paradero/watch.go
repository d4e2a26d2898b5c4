package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/ingest"
	"github.com/paradero/paradero/watch"
)

const watchUsage = `
watch --config FILE [--once]

Polls the locators of the configuration file for the people it lists,
politely (rate limit, jitter, backoff, Retry-After), and keeps every answer as
a locator-snapshot source, byte for byte and in the ledger. Prints every
change (appeared, moved, left, gone, reappeared) by watch key — never a name —
and says when a source is unhealthy. State is kept in the store: a restart
resumes where it stopped. --once runs one round of each locator and exits.
The configuration is documented in docs/watch.md.
`

type watchCommand struct {
	g *globals
}

// watchConfig is the configuration file (docs/watch.md).
type watchConfig struct {
	AllowRemote bool            `json:"allow_remote"`
	Locators    []locatorConfig `json:"locators"`
	Watch       []watch.Query   `json:"watch"`
}

type locatorConfig struct {
	Name        string            `json:"name"`
	Kind        string            `json:"kind"` // ice, roster, folder
	URL         string            `json:"url,omitempty"`
	Dir         string            `json:"dir,omitempty"`
	Columns     map[string]string `json:"columns,omitempty"`
	Interval    string            `json:"interval,omitempty"`
	Gap         string            `json:"gap,omitempty"`
	Timeout     string            `json:"timeout,omitempty"`
	MaxInFlight int               `json:"max_in_flight,omitempty"`
	Confirm     int               `json:"confirm,omitempty"`
}

func (c *watchConfig) validate() error {
	if len(c.Locators) == 0 {
		return paradero.Errorf(paradero.EINVALID, "no locators")
	}
	names := make(map[string]bool)
	for _, l := range c.Locators {
		if l.Name == "" || names[l.Name] {
			return paradero.Errorf(paradero.EINVALID, "every locator needs its own name (%q)", l.Name)
		}
		names[l.Name] = true
		if l.URL != "" && !c.AllowRemote {
			u, err := url.Parse(l.URL)
			if err != nil || requireLoopback(u.Host) != nil && requireLoopback(u.Host+":80") != nil {
				return paradero.Errorf(paradero.EINVALID, "locator %s: %s is not on loopback; set allow_remote to poll a real locator", l.Name, l.URL)
			}
		}
		for _, d := range []string{l.Interval, l.Gap, l.Timeout} {
			if _, err := parseDur(d); err != nil {
				return paradero.Errorf(paradero.EINVALID, "locator %s: %v", l.Name, err)
			}
		}
	}
	return nil
}

func parseDur(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	return time.ParseDuration(s)
}

func (l *locatorConfig) locator() (watch.Locator, error) {
	var m *ingest.Mapping
	if len(l.Columns) > 0 {
		m = &ingest.Mapping{Columns: l.Columns}
	}
	switch l.Kind {
	case "ice":
		return watch.NewICE(l.Name, l.URL, nil)
	case "roster":
		return watch.NewRoster(l.Name, l.URL, m, nil)
	case "folder":
		return watch.NewFolder(l.Name, l.Dir, m), nil
	}
	return nil, paradero.Errorf(paradero.EINVALID, "locator %s: kind %q is not ice, roster or folder", l.Name, l.Kind)
}

func (c *watchCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet(c.g, "watch", watchUsage)
	c.g.register(fs)
	cfgPath := fs.String("config", "", "the watch configuration `FILE` (JSON)")
	once := fs.Bool("once", false, "run one round of each locator and exit")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 || *cfgPath == "" {
		return usagef("give --config FILE")
	}
	b, err := os.ReadFile(*cfgPath)
	if err != nil {
		return err
	}
	var cfg watchConfig
	if err := json.Unmarshal(b, &cfg); err != nil {
		return fmt.Errorf("%s: %w", *cfgPath, err)
	}
	if err := cfg.validate(); err != nil {
		return fmt.Errorf("%s: %w", *cfgPath, err)
	}
	if err := c.g.open(ctx); err != nil {
		return err
	}
	store, ok := c.g.store.(paradero.WatchService)
	if !ok {
		return paradero.Errorf(paradero.EINVALID, "this store cannot keep a watch yet (only the embedded store can)")
	}
	ctx = paradero.NewContextWithActor(ctx, paradero.Actor{Name: "watch", Role: paradero.RoleAdmin})
	var mu sync.Mutex // serialises output and checkpoints across locators
	onRound := func(r *watch.Report) {
		mu.Lock()
		defer mu.Unlock()
		c.print(r)
		if _, err := c.g.log.Checkpoint(ctx); err != nil {
			c.g.logger.Error("signing a checkpoint after a watch round failed", "err", err)
		}
	}
	var scheds []*watch.Scheduler
	for _, lc := range cfg.Locators {
		loc, err := lc.locator()
		if err != nil {
			return err
		}
		interval, _ := parseDur(lc.Interval)
		gap, _ := parseDur(lc.Gap)
		timeout, _ := parseDur(lc.Timeout)
		s, err := watch.New(watch.Config{Locator: loc, Queries: cfg.Watch, Store: store, Interval: interval, Gap: gap,
			Timeout: timeout, MaxInFlight: lc.MaxInFlight, Rule: watch.Rule{Confirm: lc.Confirm},
			Seed: uint64(time.Now().UnixNano()), OnRound: onRound, Logger: c.g.logger})
		if err != nil {
			return err
		}
		scheds = append(scheds, s)
	}
	if *once {
		for _, s := range scheds {
			if _, err := s.RunRound(ctx); err != nil {
				return err
			}
		}
		return nil
	}
	for i, s := range scheds {
		if err := s.Start(ctx); err != nil {
			for _, t := range scheds[:i] {
				t.Close()
			}
			return err
		}
	}
	<-ctx.Done()
	for _, s := range scheds {
		s.Close()
	}
	return nil
}

func (c *watchCommand) print(r *watch.Report) {
	w := c.g.stdout
	h := r.Health
	state := "healthy"
	if !h.Healthy {
		state = "UNHEALTHY since " + r.UnhealthySince.Format(time.RFC3339) + ": " + h.Reason
	}
	fmt.Fprintf(w, "%s round %d at %s: %d answers (%d found, %d not found, %d failed); %s\n",
		r.Locator, r.Round, r.At.Format(time.RFC3339), h.Answers, h.Found, h.NotFound, h.Failed, state)
	for _, ch := range r.Changes {
		switch ch.Kind {
		case watch.Gone:
			fmt.Fprintf(w, "  %s gone: not found %d of %d attempts since last seen at %s\n", ch.Key, ch.Misses, ch.Attempts, ch.From)
		case watch.Moved:
			fmt.Fprintf(w, "  %s moved: %s -> %s\n", ch.Key, ch.From, ch.To)
		default:
			fmt.Fprintf(w, "  %s %s %s\n", ch.Key, ch.Kind, ch.To)
		}
	}
}

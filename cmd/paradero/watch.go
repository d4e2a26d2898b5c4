package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/alert"
	"github.com/paradero/paradero/ingest"
	"github.com/paradero/paradero/postgres"
	"github.com/paradero/paradero/sqlite"
	"github.com/paradero/paradero/watch"
)

// The embedded store keeps a round's answers in one transaction. Both
// stores keep the claims that let several watchers share one store's
// rounds; PostgreSQL, which several servers share, also paces every
// watcher's requests to a locator together.
var (
	_ watch.BatchStore  = (*sqlite.DB)(nil)
	_ watch.SharedStore = (*sqlite.DB)(nil)
	_ watch.SharedStore = (*postgres.DB)(nil)
	_ watch.Pacer       = (*postgres.DB)(nil)
)

const watchUsage = `
watch --config FILE [--once]

Polls the locators of the configuration file for the people it lists,
politely (rate limit, jitter, backoff, Retry-After), and keeps every answer as
a locator-snapshot source, byte for byte and in the ledger. Prints every
change (appeared, moved, left, gone, reappeared) by watch key — never a name —
and says when a source is unhealthy. State is kept in the store: a restart
resumes where it stopped. Several watchers on one PostgreSQL database (one
per server) share each round: every person is asked about by one of them
at a time, and one judges the round. --once runs one round of each locator,
sends the alerts that are due, and exits. Followers (see 'paradero follow') are told
of changes by e-mail, webhook and in the app; the configuration's "alerts"
object sets the SMTP relay and the webhooks. The configuration is documented
in docs/watch.md.
`

type watchCommand struct {
	g *globals
}

// watchConfig is the configuration file (docs/watch.md).
type watchConfig struct {
	AllowRemote bool            `json:"allow_remote"`
	Locators    []locatorConfig `json:"locators"`
	Watch       []watch.Query   `json:"watch"`
	Alerts      alertsConfig    `json:"alerts"`
}

// alertsConfig is the "alerts" object: how followers are told. Secrets
// never sit in the file: each is read from a file (…_file), or from the
// environment variable …_env names, or from the file that variable with
// _FILE appended names.
type alertsConfig struct {
	Window     string          `json:"window,omitempty"`      // default 15m
	Poll       string          `json:"poll,omitempty"`        // default 10s
	Timeout    string          `json:"timeout,omitempty"`     // per attempt; default 30s
	BackoffMin string          `json:"backoff_min,omitempty"` // default 30s
	BackoffMax string          `json:"backoff_max,omitempty"` // default 1h
	SMTP       *smtpConfig     `json:"smtp,omitempty"`
	Webhooks   []webhookConfig `json:"webhooks,omitempty"`
}

type smtpConfig struct {
	Addr         string `json:"addr"`
	From         string `json:"from"`
	Username     string `json:"username,omitempty"`
	PasswordFile string `json:"password_file,omitempty"`
	PasswordEnv  string `json:"password_env,omitempty"`
	StartTLS     string `json:"starttls,omitempty"` // require (default), opportunistic, off
}

type webhookConfig struct {
	Name       string `json:"name"`
	URL        string `json:"url"`
	SecretFile string `json:"secret_file,omitempty"`
	SecretEnv  string `json:"secret_env,omitempty"`
}

// secret reads a secret from file, else from the variable env, else from
// the file named by env_FILE. Surrounding white space is dropped.
func secret(getenv func(string) string, file, env string) (string, error) {
	if file == "" && env != "" {
		if v := getenv(env); v != "" {
			return v, nil
		}
		file = getenv(env + "_FILE")
	}
	if file == "" {
		return "", nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("reading a secret: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// loopbackURL reports whether raw is an http(s) URL on loopback.
func loopbackURL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (requireLoopback(u.Host) == nil || requireLoopback(u.Host+":80") == nil)
}

// senders builds the e-mail and webhook senders the configuration asks for.
func (a *alertsConfig) senders(getenv func(string) string) ([]alert.Sender, error) {
	var out []alert.Sender
	if a.SMTP != nil {
		pw, err := secret(getenv, a.SMTP.PasswordFile, a.SMTP.PasswordEnv)
		if err != nil {
			return nil, err
		}
		m, err := alert.NewMailer(alert.SMTPConfig{Addr: a.SMTP.Addr, From: a.SMTP.From, Username: a.SMTP.Username,
			Password: pw, StartTLS: a.SMTP.StartTLS})
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	for _, w := range a.Webhooks {
		sec, err := secret(getenv, w.SecretFile, w.SecretEnv)
		if err != nil {
			return nil, err
		}
		h, err := alert.NewWebhook(alert.WebhookConfig{Name: w.Name, URL: w.URL, Secret: []byte(sec)})
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, nil
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
	Lease       string            `json:"lease,omitempty"` // how long a watcher's claim on a job holds unrenewed
	MaxInFlight int               `json:"max_in_flight,omitempty"`
	Confirm     int               `json:"confirm,omitempty"`
}

func (c *watchConfig) validate() error {
	if len(c.Locators) == 0 {
		return paradero.Errorf(paradero.EINVALID, "no locators")
	}
	names := make(map[string]bool)
	for _, l := range c.Locators {
		if l.Name == "" || names[l.Name] || strings.HasPrefix(l.Name, "*") {
			return paradero.Errorf(paradero.EINVALID, "every locator needs its own name, not beginning with \"*\" (%q)", l.Name)
		}
		names[l.Name] = true
		if l.URL != "" && !c.AllowRemote {
			u, err := url.Parse(l.URL)
			if err != nil || requireLoopback(u.Host) != nil && requireLoopback(u.Host+":80") != nil {
				return paradero.Errorf(paradero.EINVALID, "locator %s: %s is not on loopback; set allow_remote to poll a real locator", l.Name, l.URL)
			}
		}
		for _, d := range []string{l.Interval, l.Gap, l.Timeout, l.Lease} {
			if _, err := parseDur(d); err != nil {
				return paradero.Errorf(paradero.EINVALID, "locator %s: %v", l.Name, err)
			}
		}
	}
	a := c.Alerts
	for _, d := range []string{a.Window, a.Poll, a.Timeout, a.BackoffMin, a.BackoffMax} {
		if _, err := parseDur(d); err != nil {
			return paradero.Errorf(paradero.EINVALID, "alerts: %v", err)
		}
	}
	if a.SMTP != nil && !c.AllowRemote && requireLoopback(a.SMTP.Addr) != nil {
		return paradero.Errorf(paradero.EINVALID, "alerts: the SMTP relay is not on loopback; set allow_remote to use it")
	}
	for _, w := range a.Webhooks {
		if !c.AllowRemote && !loopbackURL(w.URL) {
			return paradero.Errorf(paradero.EINVALID, "alerts: webhook %s is not on loopback; set allow_remote to use it", w.Name)
		}
		if w.SecretFile == "" && w.SecretEnv == "" {
			return paradero.Errorf(paradero.EINVALID, "alerts: webhook %s needs secret_file or secret_env", w.Name)
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
	disp, err := c.dispatcher(&cfg)
	if err != nil {
		return fmt.Errorf("%s: %w", *cfgPath, err)
	}
	persons := make(map[string]int64)
	for _, q := range cfg.Watch {
		if q.Person > 0 {
			persons[q.Key] = q.Person
		}
	}
	// Notices are stored before a round's state is saved (OnChanges), so
	// a crash between the two tells followers twice, never not at all.
	onChanges := func(ctx context.Context, r *watch.Report) error {
		if disp == nil || len(r.Changes) == 0 {
			return nil
		}
		ps, err := c.personsOf(ctx, store, r, persons)
		if err != nil {
			return fmt.Errorf("finding the persons of a round's changes: %w", err)
		}
		n, err := c.g.store.(paradero.AlertService).CreateNotices(ctx, watch.Notices(r, ps))
		if err != nil {
			return err
		}
		if n > 0 {
			disp.Notify()
		}
		return nil
	}
	var mu sync.Mutex // serialises output and checkpoints across locators
	onRound := func(r *watch.Report) {
		mu.Lock()
		defer mu.Unlock()
		c.print(r)
		if r.JudgedElsewhere {
			// The watcher that judged it keeps its health and signs.
			return
		}
		// The dashboard shows every locator's health from this summary.
		if err := watch.SaveHealth(ctx, store, r); err != nil {
			c.g.logger.Error("saving the locators' health failed", "locator", r.Locator, "err", err)
		}
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
		lease, _ := parseDur(lc.Lease)
		s, err := watch.New(watch.Config{Locator: loc, Queries: cfg.Watch, Store: store, Interval: interval, Gap: gap,
			Timeout: timeout, Lease: lease, MaxInFlight: lc.MaxInFlight, Rule: watch.Rule{Confirm: lc.Confirm},
			Seed: uint64(time.Now().UnixNano()), OnRound: onRound, OnChanges: onChanges, Logger: c.g.logger})
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
		if disp != nil {
			// Fold what is due and send it, once; what fails waits in the
			// outbox for the next run.
			if _, err := disp.RunOnce(ctx); err != nil {
				return err
			}
		}
		return nil
	}
	if disp != nil {
		if err := disp.Start(ctx); err != nil {
			return err
		}
		defer disp.Close()
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

// personsOf returns, for the keys of r's changes, the store's person each
// watch entry is about: the one the configuration names ("person"), else
// the person linkage put one of the entry's answers in — this round's, or
// failing that (a new answer is not linked yet) its first — so following a
// person on its page hears of its watch once the answers are linked. A
// document answering many (a roster) names no one entry's person.
func (c *watchCommand) personsOf(ctx context.Context, ws paradero.WatchService, r *watch.Report, configured map[string]int64) (map[string]int64, error) {
	ps, ok := c.g.store.(paradero.PersonService)
	if !ok {
		return configured, nil
	}
	out := make(map[string]int64, len(configured))
	for k, v := range configured {
		out[k] = v
	}
	personOf := func(source int64) (int64, error) {
		recs, total, err := c.g.store.FindRecords(ctx, paradero.RecordFilter{SourceID: source, Limit: 1})
		if err != nil || total != 1 {
			return 0, err
		}
		p, err := ps.FindPersonOfRecord(ctx, recs[0].ID)
		if paradero.ErrorCode(err) == paradero.ENOTFOUND {
			return 0, nil // not linked yet
		}
		if err != nil {
			return 0, err
		}
		return p.ID, nil
	}
	for _, ch := range r.Changes {
		if out[ch.Key] != 0 {
			continue
		}
		var id int64
		var err error
		if sg := r.Sightings[ch.Key]; sg != nil {
			if id, err = personOf(sg.SourceID); err != nil {
				return nil, err
			}
		}
		if id == 0 {
			first, err := ws.FindSightings(ctx, r.Locator, ch.Key, 1)
			if err != nil {
				return nil, err
			}
			if len(first) == 1 {
				if id, err = personOf(first[0].SourceID); err != nil {
					return nil, err
				}
			}
		}
		out[ch.Key] = id
	}
	return out, nil
}

// dispatcher returns the alert dispatcher, or nil if the store keeps no
// alerts.
func (c *watchCommand) dispatcher(cfg *watchConfig) (*alert.Dispatcher, error) {
	as, ok := c.g.store.(paradero.AlertService)
	us, ok2 := c.g.store.(paradero.UserService)
	if !ok || !ok2 {
		if cfg.Alerts.SMTP != nil || len(cfg.Alerts.Webhooks) > 0 {
			return nil, paradero.Errorf(paradero.EINVALID, "this store cannot keep alerts yet (only the embedded store can)")
		}
		c.g.logger.Warn("this store keeps no alerts yet: followers are not told of changes")
		return nil, nil
	}
	senders, err := cfg.Alerts.senders(c.g.getenv)
	if err != nil {
		return nil, err
	}
	a := cfg.Alerts
	window, _ := parseDur(a.Window)
	poll, _ := parseDur(a.Poll)
	timeout, _ := parseDur(a.Timeout)
	bmin, _ := parseDur(a.BackoffMin)
	bmax, _ := parseDur(a.BackoffMax)
	return alert.New(alert.Config{Store: as, Users: us, Senders: senders, Window: window, Poll: poll, Timeout: timeout,
		BackoffMin: bmin, BackoffMax: bmax, Logger: c.g.logger})
}

func (c *watchCommand) print(r *watch.Report) {
	w := c.g.stdout
	if r.JudgedElsewhere {
		fmt.Fprintf(w, "%s round %d at %s: judged by another watcher; %d of its queries asked here\n",
			r.Locator, r.Round, r.At.Format(time.RFC3339), r.Asked)
		return
	}
	h := r.Health
	state := "healthy"
	if !h.Healthy {
		state = "UNHEALTHY since " + r.UnhealthySince.Format(time.RFC3339) + ": " + h.Reason
	}
	fmt.Fprintf(w, "%s round %d at %s: %d answers (%d found, %d not found, %d failed); %s\n",
		r.Locator, r.Round, r.At.Format(time.RFC3339), h.Answers, h.Found, h.NotFound, h.Failed, state)
	if r.Asked != h.Answers {
		// Other watchers sharing the store asked the rest.
		fmt.Fprintf(w, "  %d of its queries asked here\n", r.Asked)
	}
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

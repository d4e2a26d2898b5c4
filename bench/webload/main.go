// Command webload measures the web application under load from a second
// process, as issue 5 asks: C clients, each signed in as its own user,
// request person pages, searches and the dashboard for a fixed time, and the
// command prints each kind's request count and latency percentiles. It
// drives the server only through HTTP, as browsers do (session cookie, CSRF
// field); see bench/web.sh for the whole run.
//
//	go run ./bench/webload -base http://127.0.0.1:8080 -users users.txt \
//	    -names names.txt -persons 300000 -clients 50 -duration 60s
//
// users.txt holds "email password" per line, one per client. Without
// -think the clients ask again as soon as they are answered (a stress
// test: latency is then clients ÷ throughput); -think 1s is closer to
// people reading pages. A client
// searches at most as often as the server's per-user search limit allows
// (30 a minute), as a person at a keyboard would; the rest of its time goes
// to person pages, with a dashboard now and then.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

func main() {
	base := flag.String("base", "http://127.0.0.1:8080", "the server's address")
	usersFile := flag.String("users", "", `file of "email password" lines, one per client (required)`)
	namesFile := flag.String("names", "", "file of names to search for, one per line (required)")
	persons := flag.Int64("persons", 0, "person ids are drawn from 1..N (required)")
	clients := flag.Int("clients", 50, "concurrent clients")
	duration := flag.Duration("duration", time.Minute, "how long to measure")
	searchEvery := flag.Duration("search-every", 2*time.Second, "a client searches at most this often (the server allows 30 a minute)")
	dashboardEvery := flag.Duration("dashboard-every", 5*time.Second, "a client opens the dashboard this often")
	think := flag.Duration("think", 0, "a client pauses a random 0–2×think between requests, as a person reading a page does (0: none, a stress test)")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	if *usersFile == "" || *namesFile == "" || *persons <= 0 {
		flag.Usage()
		os.Exit(2)
	}
	users, err := readLines(*usersFile)
	if err != nil {
		fail(err)
	}
	names, err := readLines(*namesFile)
	if err != nil {
		fail(err)
	}
	if len(users) < *clients {
		fail(fmt.Errorf("%d clients need %d users; %s has %d", *clients, *clients, *usersFile, len(users)))
	}
	if len(names) == 0 {
		fail(fmt.Errorf("%s has no names", *namesFile))
	}
	cfg := config{base: strings.TrimRight(*base, "/"), names: names, persons: *persons,
		searchEvery: *searchEvery, dashboardEvery: *dashboardEvery, think: *think}

	ctx := context.Background()
	cs := make([]*client, *clients)
	for i := range cs {
		email, password, _ := strings.Cut(users[i], " ")
		c, err := signIn(ctx, cfg.base, email, password)
		if err != nil {
			fail(fmt.Errorf("client %d: %w", i, err))
		}
		c.rng = rand.New(rand.NewPCG(*seed, uint64(i)))
		cs[i] = c
	}

	var (
		mu  sync.Mutex
		all = map[string]*samples{}
	)
	deadline := time.Now().Add(*duration)
	var wg sync.WaitGroup
	for _, c := range cs {
		wg.Go(func() {
			local := c.run(ctx, cfg, deadline)
			mu.Lock()
			defer mu.Unlock()
			for k, s := range local {
				if all[k] == nil {
					all[k] = &samples{}
				}
				all[k].merge(s)
			}
		})
	}
	wg.Wait()

	fmt.Printf("%d clients, %s, think time %s\n", *clients, *duration, *think)
	fmt.Printf("%-10s %8s %8s %8s %8s %8s %8s %7s\n", "kind", "requests", "per s", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors")
	for _, k := range []string{"person", "search", "dashboard"} {
		s := all[k]
		if s == nil {
			continue
		}
		fmt.Printf("%-10s %8d %8.1f %8.1f %8.1f %8.1f %8.1f %7d\n", k, len(s.d),
			float64(len(s.d))/duration.Seconds(), s.pct(50), s.pct(95), s.pct(99), s.pct(100), s.errors)
	}
	if n := all["person"]; n != nil && n.missing > 0 {
		fmt.Printf("person ids with no person (404, counted above): %d\n", n.missing)
	}
}

type config struct {
	base                        string
	names                       []string
	persons                     int64
	searchEvery, dashboardEvery time.Duration
	think                       time.Duration
}

// samples are the latencies of one kind of request.
type samples struct {
	d       []time.Duration
	errors  int
	missing int
}

func (s *samples) merge(o *samples) {
	s.d = append(s.d, o.d...)
	s.errors += o.errors
	s.missing += o.missing
}

// pct returns the p-th percentile in milliseconds (nearest rank).
func (s *samples) pct(p float64) float64 {
	if len(s.d) == 0 {
		return 0
	}
	slices.Sort(s.d)
	i := int(p/100*float64(len(s.d))+0.5) - 1
	i = max(0, min(i, len(s.d)-1))
	return float64(s.d[i].Microseconds()) / 1000
}

type client struct {
	http *http.Client
	csrf string
	rng  *rand.Rand
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// signIn opens the sign-in page for its CSRF token and signs in.
func signIn(ctx context.Context, base, email, password string) (*client, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	c := &client{http: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 4}}}
	body, _, err := c.get(ctx, base+"/login")
	if err != nil {
		return nil, err
	}
	m := csrfInput.FindSubmatch(body)
	if m == nil {
		return nil, errors.New("the sign-in page has no CSRF field")
	}
	form := url.Values{"csrf": {string(m[1])}, "email": {email}, "password": {password}}
	body, status, err := c.post(ctx, base+"/login", form)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("sign-in answered %d", status)
	}
	m = csrfInput.FindSubmatch(body)
	if m == nil {
		return nil, fmt.Errorf("sign-in as %s did not lead to a signed-in page (wrong password, or a second factor is required)", email)
	}
	c.csrf = string(m[1])
	return c, nil
}

func (c *client) run(ctx context.Context, cfg config, deadline time.Time) map[string]*samples {
	out := map[string]*samples{"person": {}, "search": {}, "dashboard": {}}
	// Stagger the clients' first search and dashboard so they do not
	// arrive together.
	nextSearch := time.Now().Add(time.Duration(c.rng.Int64N(int64(cfg.searchEvery))))
	nextDashboard := time.Now().Add(time.Duration(c.rng.Int64N(int64(cfg.dashboardEvery))))
	for time.Now().Before(deadline) {
		if cfg.think > 0 {
			time.Sleep(time.Duration(c.rng.Int64N(int64(2 * cfg.think))))
		}
		now := time.Now()
		var (
			kind   string
			status int
			err    error
		)
		start := time.Now()
		switch {
		case now.After(nextSearch):
			kind, nextSearch = "search", now.Add(cfg.searchEvery)
			name := cfg.names[c.rng.IntN(len(cfg.names))]
			_, status, err = c.post(ctx, cfg.base+"/search", url.Values{"csrf": {c.csrf}, "name": {name}})
		case now.After(nextDashboard):
			kind, nextDashboard = "dashboard", now.Add(cfg.dashboardEvery)
			_, status, err = c.get(ctx, cfg.base+"/")
		default:
			kind = "person"
			id := 1 + c.rng.Int64N(cfg.persons)
			_, status, err = c.get(ctx, fmt.Sprintf("%s/persons/%d", cfg.base, id))
		}
		d := time.Since(start)
		s := out[kind]
		switch {
		case err != nil || (status != http.StatusOK && status != http.StatusNotFound):
			s.errors++
		default:
			if status == http.StatusNotFound {
				s.missing++
			}
			s.d = append(s.d, d)
		}
	}
	return out
}

func (c *client) get(ctx context.Context, u string) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, 0, err
	}
	return c.do(req)
}

func (c *client) post(ctx context.Context, u string, form url.Values) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// do reads the whole body: a page is served when its last byte arrives.
func (c *client) do(req *http.Request) ([]byte, int, error) {
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return body, resp.StatusCode, err
}

func readLines(name string) ([]string, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			out = append(out, l)
		}
	}
	return out, sc.Err()
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "webload:", err)
	os.Exit(1)
}

// Package pgtest gives tests a fresh database on the real PostgreSQL
// server: CI proves the PostgreSQL store against a real server, never a
// mock, and each test gets a database of its own, dropped when it ends.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// defaultTestURL is the local server CI runs; PARADERO_TEST_DATABASE_URL
// overrides it. It names an existing database to connect to in order to
// create one fresh database per test.
const defaultTestURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

func adminURL() string {
	if u := os.Getenv("PARADERO_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return defaultTestURL
}

// NewDatabase creates an empty database, dropped when the test ends,
// and returns its URL. An unreachable server fails the test: CI must prove
// this store, not skip it.
func NewDatabase(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	base := adminURL()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("PostgreSQL at %s is not reachable (set PARADERO_TEST_DATABASE_URL): %v", redactURL(base), err)
	}
	defer admin.Close(ctx)
	dropStaleDatabases(ctx, t, admin)
	var b [4]byte
	rand.Read(b[:])
	name := fmt.Sprintf("%s%d_%s", testDBPrefix, time.Now().Unix(), hex.EncodeToString(b[:]))
	// CREATE DATABASE takes no parameters; name is ours, from hex digits.
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("drop test database %s: %v", name, err)
			return
		}
		defer admin.Close(ctx)
		if _, err := admin.Exec(ctx, "DROP DATABASE "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		// A key=value connection string: the last dbname wins.
		return base + " dbname=" + name
	}
	u.Path = "/" + name
	return u.String()
}

// testDBPrefix opens the name of every test database, followed by its
// creation time in Unix seconds.
const testDBPrefix = "paradero_test_"

// dropStaleDatabases drops test databases more than an hour old that no one
// is connected to: those of test runs killed before their cleanup ran.
func dropStaleDatabases(ctx context.Context, t testing.TB, admin *pgx.Conn) {
	rows, err := admin.Query(ctx, `SELECT datname::text FROM pg_database WHERE starts_with(datname, $1)`, testDBPrefix)
	if err != nil {
		t.Logf("listing old test databases: %v", err)
		return
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Logf("listing old test databases: %v", err)
		return
	}
	for _, name := range names {
		created, _, _ := strings.Cut(strings.TrimPrefix(name, testDBPrefix), "_")
		sec, err := strconv.ParseInt(created, 10, 64)
		if err != nil || time.Since(time.Unix(sec, 0)) < time.Hour {
			continue
		}
		// Without FORCE: a database someone still uses stays.
		if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()); err == nil {
			t.Logf("dropped stale test database %s", name)
		}
	}
}

func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(connection string)"
	}
	return u.Redacted()
}

package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/paradero/paradero"
)

const tokenUsage = `
token create --user EMAIL --name NAME [--expires DAYS]
token list [--user EMAIL] [--json]
token revoke ID

Keeps the JSON API's tokens (docs/api.md). A token acts as its user, with
the user's role at the time of each call; programs send it as
"Authorization: Bearer SECRET". create prints the secret once: the store
keeps only its SHA-256. Tokens expire (default 90 days, at most 366) and
are revoked, never deleted, so the list says who could act when. Making
and revoking a token is written to the audit log. Users make further
tokens of their own through the API (POST /api/v1/tokens).
`

type tokenCommand struct{ g *globals }

// tokenStore is the store as the token command needs it.
type tokenStore interface {
	paradero.UserService
	paradero.AuditService
	paradero.APITokenService
}

func (c *tokenCommand) Run(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		fmt.Fprintf(c.g.stderr, "Usage: paradero %s\n", strings.TrimSpace(tokenUsage))
		if len(args) == 0 {
			return usagef("give create, list or revoke")
		}
		return nil
	}
	switch args[0] {
	case "create":
		return c.create(ctx, args[1:])
	case "list":
		return c.list(ctx, args[1:])
	case "revoke":
		return c.revoke(ctx, args[1:])
	}
	return usagef("unknown token command %q: give create, list or revoke", args[0])
}

func (c *tokenCommand) open(ctx context.Context) (tokenStore, context.Context, error) {
	if err := c.g.open(ctx); err != nil {
		return nil, nil, err
	}
	s, ok := c.g.store.(tokenStore)
	if !ok {
		return nil, nil, paradero.Errorf(paradero.EUNAVAILABLE, "this store does not keep API tokens")
	}
	return s, operatorContext(ctx), nil
}

func (c *tokenCommand) create(ctx context.Context, args []string) error {
	fs := newFlagSet(c.g, "token create", tokenUsage)
	c.g.register(fs)
	email := fs.String("user", "", "the `EMAIL` of the user the token acts as")
	name := fs.String("name", "", "what the token is for (\"nightly import\")")
	days := fs.Int("expires", 90, "days until the token stops working (1–366)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	maxDays := int(paradero.MaxAPITokenLifetime / (24 * time.Hour))
	switch {
	case len(pos) != 0:
		return usagef("token create takes no arguments")
	case *email == "" || strings.TrimSpace(*name) == "":
		return usagef("--user and --name are required")
	case *days < 1 || *days > maxDays:
		return usagef("--expires must be from 1 to %d days", maxDays)
	}
	store, ctx, err := c.open(ctx)
	if err != nil {
		return err
	}
	u, err := store.FindUserByEmail(ctx, *email)
	if err != nil {
		return err
	}
	tok, secret := paradero.NewAPIToken(u.ID, *name, paradero.ActorFromContext(ctx).Name, time.Now(), time.Duration(*days)*24*time.Hour)
	if err := store.CreateAPIToken(ctx, tok); err != nil {
		return err
	}
	if err := store.CreateAuditEntry(ctx, paradero.NewAuditEntry(ctx, paradero.AuditAPITokenCreate, "api-token:"+strconv.FormatInt(tok.ID, 10))); err != nil {
		return err
	}
	fmt.Fprintf(c.g.stdout, "Created API token %d for user %d (%s), valid until %s.\n", tok.ID, u.ID, u.Role,
		tok.ExpiresAt.Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(c.g.stdout, "Secret (shown once): %s\n", secret)
	return nil
}

func (c *tokenCommand) list(ctx context.Context, args []string) error {
	fs := newFlagSet(c.g, "token list", tokenUsage)
	c.g.register(fs)
	email := fs.String("user", "", "only the tokens of the user with this `EMAIL`")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("token list takes no arguments")
	}
	store, ctx, err := c.open(ctx)
	if err != nil {
		return err
	}
	var f paradero.APITokenFilter
	if *email != "" {
		u, err := store.FindUserByEmail(ctx, *email)
		if err != nil {
			return err
		}
		f.UserID = u.ID
	}
	type row struct {
		ID         int64      `json:"id"`
		UserID     int64      `json:"user_id"`
		Name       string     `json:"name"`
		CreatedAt  time.Time  `json:"created_at"`
		CreatedBy  string     `json:"created_by"`
		ExpiresAt  time.Time  `json:"expires_at"`
		LastUsedAt *time.Time `json:"last_used_at"`
		RevokedAt  *time.Time `json:"revoked_at"`
		Active     bool       `json:"active"`
	}
	opt := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		return &t
	}
	now := time.Now()
	rows := []row{}
	for off := 0; ; {
		f.Offset, f.Limit = off, 1000
		ts, total, err := store.FindAPITokens(ctx, f)
		if err != nil {
			return err
		}
		for _, t := range ts {
			rows = append(rows, row{t.ID, t.UserID, t.Name, t.CreatedAt, t.CreatedBy, t.ExpiresAt, opt(t.LastUsedAt), opt(t.RevokedAt), t.Active(now)})
		}
		off += len(ts)
		if len(ts) == 0 || off >= total {
			break
		}
	}
	if *asJSON {
		return writeJSON(c.g.stdout, rows)
	}
	w := tabwriter.NewWriter(c.g.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tUSER\tNAME\tEXPIRES\tLAST USED\tSTATE\t")
	day := func(t *time.Time) string {
		if t == nil {
			return "never"
		}
		return t.Local().Format("2006-01-02")
	}
	for _, r := range rows {
		state := "active"
		switch {
		case r.RevokedAt != nil:
			state = "revoked " + day(r.RevokedAt)
		case !r.Active:
			state = "expired"
		}
		fmt.Fprintf(w, "%d\t%d\t%s\t%s\t%s\t%s\t\n", r.ID, r.UserID, r.Name, day(&r.ExpiresAt), day(r.LastUsedAt), state)
	}
	return w.Flush()
}

func (c *tokenCommand) revoke(ctx context.Context, args []string) error {
	fs := newFlagSet(c.g, "token revoke", tokenUsage)
	c.g.register(fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("give exactly one token ID")
	}
	id, err := strconv.ParseInt(pos[0], 10, 64)
	if err != nil || id <= 0 {
		return usagef("%q is not a token ID", pos[0])
	}
	store, ctx, err := c.open(ctx)
	if err != nil {
		return err
	}
	tok, err := store.RevokeAPIToken(ctx, id, time.Now())
	if err != nil {
		return err
	}
	if err := store.CreateAuditEntry(ctx, paradero.NewAuditEntry(ctx, paradero.AuditAPITokenRevoke, "api-token:"+strconv.FormatInt(id, 10))); err != nil {
		return err
	}
	fmt.Fprintf(c.g.stdout, "API token %d of user %d is revoked (since %s).\n", tok.ID, tok.UserID,
		tok.RevokedAt.Local().Format("2006-01-02 15:04 MST"))
	return nil
}

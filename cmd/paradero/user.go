package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/web"
)

const userUsage = `
user add --email E --name N --role R [--language es|en] [--password-file F]
user list [--json]
user passwd [--password-file F] EMAIL
user reset-2fa EMAIL

Keeps the web application's accounts. Roles: admin, documenter, lawyer,
family, public. Without --password-file a random password is made and
printed once; with it, the file's first line is the password ("-" reads
standard input). A new password signs the user out everywhere. reset-2fa
removes a user's second factor and recovery codes (a lost phone) and signs
them out everywhere; where two-factor sign-in is required, they set up a new
one at their next sign-in. Every change is written to the audit log.
`

type userCommand struct{ g *globals }

func (c *userCommand) Run(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		fmt.Fprintf(c.g.stderr, "Usage: paradero %s\n", strings.TrimSpace(userUsage))
		if len(args) == 0 {
			return usagef("give add, list, passwd or reset-2fa")
		}
		return nil
	}
	switch args[0] {
	case "add":
		return c.add(ctx, args[1:])
	case "list":
		return c.list(ctx, args[1:])
	case "passwd":
		return c.passwd(ctx, args[1:])
	case "reset-2fa":
		return c.resetTwoFactor(ctx, args[1:])
	}
	return usagef("unknown user command %q: give add, list, passwd or reset-2fa", args[0])
}

// accessStore is the store as the user command needs it.
type accessStore interface {
	paradero.UserService
	paradero.AuditService
}

func (c *userCommand) open(ctx context.Context) (accessStore, context.Context, error) {
	if err := c.g.open(ctx); err != nil {
		return nil, nil, err
	}
	s, ok := c.g.store.(accessStore)
	if !ok {
		return nil, nil, paradero.Errorf(paradero.EUNAVAILABLE, "this store does not keep users")
	}
	return s, operatorContext(ctx), nil
}

// operatorContext is cliContext with an actor name the audit log accepts
// (a login of letters, digits, '.', '_' and '-'), else plain "cli".
func operatorContext(ctx context.Context) context.Context {
	ctx = cliContext(ctx)
	if e := paradero.NewAuditEntry(ctx, paradero.AuditUserCreate, ""); e.Validate() != nil {
		ctx = paradero.NewContextWithActor(ctx, paradero.Actor{Name: "cli", Role: paradero.RoleAdmin})
	}
	return ctx
}

func (c *userCommand) add(ctx context.Context, args []string) error {
	fs := newFlagSet(c.g, "user add", userUsage)
	c.g.register(fs)
	email := fs.String("email", "", "the user's e-mail `address` (their sign-in name)")
	name := fs.String("name", "", "the user's name")
	role := fs.String("role", "", "admin, documenter, lawyer, family or public")
	lang := fs.String("language", "es", "es or en")
	pwFile := fs.String("password-file", "", "read the password from `FILE` (\"-\": standard input)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("user add takes no arguments")
	}
	if !paradero.Role(*role).Valid() {
		return usagef("--role must be admin, documenter, lawyer, family or public")
	}
	pw, generated, err := c.password(*pwFile)
	if err != nil {
		return err
	}
	store, ctx, err := c.open(ctx)
	if err != nil {
		return err
	}
	u, err := createUser(ctx, store, *email, *name, paradero.Role(*role), *lang, pw, web.DefaultPasswordParams())
	if err != nil {
		return err
	}
	fmt.Fprintf(c.g.stdout, "Created user %d, %s (%s).\n", u.ID, u.Email, u.Role)
	if generated {
		fmt.Fprintf(c.g.stdout, "Password: %s\n", pw)
	}
	return nil
}

// createUser hashes pw and stores a new user, auditing it.
// setPassword gives the user with this e-mail a new password; the store
// revokes their sessions.
func setPassword(ctx context.Context, store accessStore, email, pw string) (*paradero.User, error) {
	u, err := store.FindUserByEmail(ctx, email)
	if err != nil {
		return nil, err
	}
	h, err := web.HashPassword(pw, web.DefaultPasswordParams())
	if err != nil {
		return nil, err
	}
	if _, err := store.UpdateUser(ctx, u.ID, paradero.UserUpdate{PasswordHash: &h}); err != nil {
		return nil, err
	}
	return u, nil
}

func createUser(ctx context.Context, store accessStore, email, name string, role paradero.Role, lang, pw string, p web.PasswordParams) (*paradero.User, error) {
	if err := web.CheckNewPassword(pw); err != nil {
		return nil, err
	}
	h, err := web.HashPassword(pw, p)
	if err != nil {
		return nil, err
	}
	u := &paradero.User{Email: email, Name: name, Role: role, Language: lang, PasswordHash: h}
	if err := store.CreateUser(ctx, u); err != nil {
		return nil, err
	}
	if err := store.CreateAuditEntry(ctx, paradero.NewAuditEntry(ctx, paradero.AuditUserCreate, fmt.Sprintf("user:%d", u.ID))); err != nil {
		return nil, err
	}
	return u, nil
}

func (c *userCommand) list(ctx context.Context, args []string) error {
	fs := newFlagSet(c.g, "user list", userUsage)
	c.g.register(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("user list takes no arguments")
	}
	store, ctx, err := c.open(ctx)
	if err != nil {
		return err
	}
	type row struct {
		ID       int64         `json:"id"`
		Email    string        `json:"email"`
		Name     string        `json:"name"`
		Role     paradero.Role `json:"role"`
		Language string        `json:"language"`
		Disabled bool          `json:"disabled"`
	}
	var rows []row
	for off := 0; ; {
		us, total, err := store.FindUsers(ctx, paradero.UserFilter{Offset: off, Limit: 1000})
		if err != nil {
			return err
		}
		for _, u := range us {
			rows = append(rows, row{u.ID, u.Email, u.Name, u.Role, u.Language, u.Disabled})
		}
		off += len(us)
		if len(us) == 0 || off >= total {
			break
		}
	}
	if *asJSON {
		if rows == nil {
			rows = []row{}
		}
		return writeJSON(c.g.stdout, rows)
	}
	w := tabwriter.NewWriter(c.g.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tE-MAIL\tNAME\tROLE\tLANGUAGE\t")
	for _, r := range rows {
		state := ""
		if r.Disabled {
			state = "disabled"
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Email, r.Name, r.Role, r.Language, state)
	}
	return w.Flush()
}

func (c *userCommand) passwd(ctx context.Context, args []string) error {
	fs := newFlagSet(c.g, "user passwd", userUsage)
	c.g.register(fs)
	pwFile := fs.String("password-file", "", "read the password from `FILE` (\"-\": standard input)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("give exactly one EMAIL")
	}
	pw, generated, err := c.password(*pwFile)
	if err != nil {
		return err
	}
	if err := web.CheckNewPassword(pw); err != nil {
		return err
	}
	store, ctx, err := c.open(ctx)
	if err != nil {
		return err
	}
	u, err := setPassword(ctx, store, pos[0], pw)
	if err != nil {
		return err
	}
	if err := store.CreateAuditEntry(ctx, paradero.NewAuditEntry(ctx, paradero.AuditUserUpdate, fmt.Sprintf("user:%d", u.ID))); err != nil {
		return err
	}
	fmt.Fprintf(c.g.stdout, "New password set for user %d; their sessions are revoked.\n", u.ID)
	if generated {
		fmt.Fprintf(c.g.stdout, "Password: %s\n", pw)
	}
	return nil
}

// resetTwoFactor removes a user's second factor, their recovery codes and
// every session, auditing it: for a user who lost their phone and codes.
func (c *userCommand) resetTwoFactor(ctx context.Context, args []string) error {
	fs := newFlagSet(c.g, "user reset-2fa", userUsage)
	c.g.register(fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("give exactly one EMAIL")
	}
	store, ctx, err := c.open(ctx)
	if err != nil {
		return err
	}
	tf, ok := store.(paradero.TwoFactorService)
	if !ok {
		return paradero.Errorf(paradero.EUNAVAILABLE, "this store does not keep two-factor sign-in")
	}
	u, err := store.FindUserByEmail(ctx, pos[0])
	if err != nil {
		return err
	}
	n, err := tf.DisableTwoFactor(ctx, u.ID, paradero.Hash{})
	if err != nil {
		return err
	}
	if err := store.CreateAuditEntry(ctx, paradero.NewAuditEntry(ctx, paradero.AuditTwoFactorReset, fmt.Sprintf("user:%d", u.ID))); err != nil {
		return err
	}
	was := "had none"
	if u.TwoFactorEnabled() {
		was = "removed"
	}
	fmt.Fprintf(c.g.stdout, "Second factor of user %d %s; %d sessions revoked.\n", u.ID, was, n)
	if u.Role.TwoFactorRequired() {
		fmt.Fprintf(c.g.stdout, "As %s they must set up a new one at their next sign-in where 'serve' requires it.\n", u.Role)
	}
	return nil
}

// password reads the password from file, or makes a random one.
func (c *userCommand) password(file string) (pw string, generated bool, err error) {
	if file == "" {
		return randomPassword(), true, nil
	}
	var b []byte
	if file == "-" {
		b, err = io.ReadAll(io.LimitReader(c.g.stdin, 4096))
	} else {
		b, err = os.ReadFile(file)
	}
	if err != nil {
		return "", false, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimRight(line, "\r"), false, nil
}

// randomPassword returns 25 characters of crypto/rand.Text (base32:
// A–Z and 2–7, no look-alikes; 125 bits) in groups of five.
func randomPassword() string {
	t := rand.Text()[:25]
	var b strings.Builder
	for i := 0; i < len(t); i += 5 {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(t[i : i+5])
	}
	return b.String()
}

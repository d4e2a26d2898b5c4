package main

import (
	"context"
	"fmt"
	"strconv"

	"github.com/paradero/paradero"
)

const followUsage = `
follow TARGET --user EMAIL
follow --list [--user EMAIL]

Makes a user follow a person, a watch entry, a case or a facility: changes
of custody status, transfers, disappearances and reappearances reach them by
e-mail, webhook and in the app (see docs/watch.md). TARGET is a person id
(12 or person:12), watch:KEY, case:ID or facility:NAME. Only users who may
see the object may follow it: for now admins and documenters. Output names
users by id, never by address.
`

type followCommand struct{ g *globals }

type followStore interface {
	paradero.UserService
	paradero.AlertService
}

func (c *followCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet(c.g, "follow", followUsage)
	c.g.register(fs)
	email := fs.String("user", "", "the follower's e-mail `ADDRESS`")
	list := fs.Bool("list", false, "list follows (of --user, or everyone's)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if *list && len(pos) != 0 || !*list && (len(pos) != 1 || *email == "") {
		return usagef("give TARGET --user EMAIL, or --list")
	}
	if err := c.g.open(ctx); err != nil {
		return err
	}
	s, ok := c.g.store.(followStore)
	if !ok {
		return fmt.Errorf("this store does not keep follows yet; use the embedded store")
	}
	ctx = operatorContext(ctx)
	var userID int64
	if *email != "" {
		u, err := s.FindUserByEmail(ctx, *email)
		if err != nil {
			return err
		}
		userID = u.ID
	}
	if *list {
		fos, err := s.FindFollows(ctx, paradero.FollowFilter{UserID: userID})
		if err != nil {
			return err
		}
		for _, f := range fos {
			fmt.Fprintf(c.g.stdout, "follow %d: user %d follows %s since %s\n", f.ID, f.UserID, f.Subject(), f.CreatedAt.Format("2006-01-02"))
		}
		return nil
	}
	kind, obj, err := paradero.ParseFollowTarget(pos[0])
	if err != nil {
		return err
	}
	if kind == paradero.FollowPerson {
		if ps, ok := c.g.store.(paradero.PersonService); ok {
			id, _ := strconv.ParseInt(obj, 10, 64) // ParseFollowTarget checked it
			if _, err := ps.FindPersonByID(ctx, id); err != nil {
				return err
			}
		}
	}
	f := &paradero.Follow{UserID: userID, Kind: kind, Object: obj}
	if err := s.CreateFollow(ctx, f); err != nil {
		return err
	}
	fmt.Fprintf(c.g.stdout, "follow %d: user %d follows %s\n", f.ID, f.UserID, f.Subject())
	return nil
}

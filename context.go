package paradero

import "context"

// Actor is who acts: a signed-in user, or a local operator at the command
// line. Every store write records it; later every read of a person is audited
// against it.
type Actor struct {
	UserID int64  // 0 for a local operator
	Name   string // shown in the audit log, e.g. "cli:alice"
	Role   Role
}

// Role is what an actor may do. The roles follow DESIGN.md §1.
type Role string

const (
	RoleAdmin      Role = "admin"
	RoleDocumenter Role = "documenter"
	RoleLawyer     Role = "lawyer"
	RoleFamily     Role = "family"
	RolePublic     Role = "public"
)

type actorKey struct{}

// NewContextWithActor returns a copy of ctx carrying a.
func NewContextWithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFromContext returns the actor in ctx, or the public actor if none.
func ActorFromContext(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok {
		return a
	}
	return Actor{Name: "public", Role: RolePublic}
}

package main

import (
	"context"
	"log/slog"

	"github.com/paradero/paradero"
)

func openPostgres(ctx context.Context, url string, logger *slog.Logger) (paradero.Store, error) {
	return nil, paradero.Errorf(paradero.EUNAVAILABLE, "the PostgreSQL store is not built into this binary yet")
}

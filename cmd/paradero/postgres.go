package main

import (
	"context"
	"log/slog"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/postgres"
)

func openPostgres(ctx context.Context, url string, logger *slog.Logger) (paradero.Store, error) {
	return postgres.Open(ctx, url, logger)
}

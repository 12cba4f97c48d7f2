package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chatconsult/chatconsult/examples/server/stack"
	"github.com/chatconsult/chatconsult/examples/server/stack/storytest"
)

// The seed's story over HTTP on the PostgreSQL stack this command serves
// (Backend: pgstore Store, deadline queue, routing store, listener), in a
// schema of its own: the same story and checks as the in-memory server's
// test (storytest.Play).
func TestStoryOverHTTPOnPostgreSQL(t *testing.T) {
	url := os.Getenv("DATABASE_URL")
	if url == "" {
		t.Skip("SKIP: DATABASE_URL is not set: bash scripts/with-postgres.sh bash -c 'cd pgstore && go test ./...'")
	}
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.WithoutCancel(ctx))
	schema := fmt.Sprintf("server_story_%d", time.Now().UnixNano())
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	defer func() { _, _ = admin.Exec(context.WithoutCancel(ctx), "DROP SCHEMA "+schema+" CASCADE") }()
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	backend, closeBackend, err := Backend(ctx, pool, true, logger)
	if err != nil {
		t.Fatal(err)
	}
	defer closeBackend()
	auth, err := stack.ParseTokens("t-contact=contact,t-agent1=agent1,t-agent2=agent2,t-system=system")
	if err != nil {
		t.Fatal(err)
	}
	agents, err := stack.ParseAgents("agent1:support,agent2:billing")
	if err != nil {
		t.Fatal(err)
	}
	storytest.Play(t, stack.Config{Backend: backend, Auth: auth, Agents: agents, Logger: logger, Tick: 10 * time.Millisecond})
}

package pgstore_test

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/pgstore"
)

var ctx = context.Background()

// databaseURL is the server the tests run against, from DATABASE_URL.
// Without it every test here skips, loudly: the core's tests need no
// database, these do.
func databaseURL(t testing.TB) string {
	t.Helper()
	url := os.Getenv("DATABASE_URL")
	if url == "" {
		t.Skip("SKIP: DATABASE_URL is not set, so the PostgreSQL tests do not run. " +
			"Run them against a throw-away server with: " +
			"bash scripts/with-postgres.sh bash -c 'cd pgstore && go test -race -count=1 ./...'")
	}
	return url
}

var schemas atomic.Int64

// schema is an empty schema of its own for one test, dropped afterwards,
// so tests neither see each other's rows nor wake each other's listeners.
type schema struct {
	url  string
	name string
}

func newSchema(t testing.TB) *schema {
	t.Helper()
	s := &schema{url: databaseURL(t), name: fmt.Sprintf("test_%d_%d", os.Getpid(), schemas.Add(1))}
	s.exec(t, `CREATE SCHEMA `+pgx.Identifier{s.name}.Sanitize())
	t.Cleanup(func() {
		// A fresh connection: a test may have restarted the server.
		conn, err := pgx.Connect(ctx, s.url)
		if err == nil {
			_, _ = conn.Exec(ctx, `DROP SCHEMA `+pgx.Identifier{s.name}.Sanitize()+` CASCADE`)
			_ = conn.Close(ctx)
		}
	})
	return s
}

// exec runs sql on a connection of its own.
func (s *schema) exec(t testing.TB, sql string, args ...any) {
	t.Helper()
	conn, err := pgx.Connect(ctx, s.url)
	require.NoError(t, err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql, args...)
	require.NoError(t, err)
}

// config is a pool configuration whose search_path is the schema.
func (s *schema) config(t testing.TB) *pgxpool.Config {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(s.url)
	require.NoError(t, err)
	cfg.ConnConfig.RuntimeParams["search_path"] = s.name
	return cfg
}

// pool opens a pool on the schema (one per instance) and migrates it.
func (s *schema) pool(t testing.TB, cfg *pgxpool.Config) *pgxpool.Pool {
	t.Helper()
	if cfg == nil {
		cfg = s.config(t)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	require.NoError(t, pgstore.Migrate(ctx, pool))
	return pool
}

func newStore(t testing.TB, pool *pgxpool.Pool, opts ...pgstore.Option) *pgstore.Store {
	t.Helper()
	st, err := pgstore.New(ctx, pool, opts...)
	require.NoError(t, err)
	t.Cleanup(st.Close)
	return st
}

// instance is one library instance: its own pool, Store, Listener, and a
// Relay feeding a local MemoryNotifier for party subscriptions.
type instance struct {
	pool     *pgxpool.Pool
	store    *pgstore.Store
	listener *pgstore.Listener
	parties  *interaction.MemoryNotifier
	relay    *pgstore.Relay
}

func (s *schema) instance(t testing.TB, opts ...pgstore.Option) *instance {
	t.Helper()
	in := &instance{pool: s.pool(t, nil)}
	in.store = newStore(t, in.pool, opts...)
	in.listener = in.store.Listen()
	t.Cleanup(in.listener.Close)
	in.parties = interaction.NewMemoryNotifier()
	in.relay = pgstore.NewRelay(in.listener, in.store, in.parties, 0)
	runCtx, cancel := context.WithCancel(ctx)
	stopped := make(chan struct{})
	go func() { defer close(stopped); _ = in.relay.Run(runCtx) }()
	t.Cleanup(func() { cancel(); <-stopped })
	return in
}

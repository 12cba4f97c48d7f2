// Command server is examples/server on PostgreSQL: the same stack
// (package stack of the core module), its Backend the database's, so that
// several instances behind a load balancer share one truth — events,
// deadlines, routing (presence, capacity, holds, new chats' routes) — and
// each party's event stream follows every instance's writes (a Relay from
// the log). From the repository's root (go.work builds both modules):
//
//	DATABASE_URL=postgres://localhost/chat go run ./pgstore/examples/server -addr :8081
//	DATABASE_URL=postgres://localhost/chat go run ./pgstore/examples/server -addr :8082
//
// -migrate (default true) applies the schema migrations first; an
// operator who migrates separately passes -migrate=false.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chatconsult/chatconsult/examples/server/stack"
	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/pgstore"
)

func main() {
	if err := run(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	addr := fs.String("addr", "localhost:8080", "listen address")
	db := fs.String("db", os.Getenv("DATABASE_URL"), "PostgreSQL URL (default $DATABASE_URL)")
	migrate := fs.Bool("migrate", true, "apply the schema migrations first")
	tokens := fs.String("tokens", "t-contact=contact,t-agent1=agent1,t-agent2=agent2,t-system=system", "bearer tokens: token=party,…")
	agents := fs.String("agents", "agent1:support,agent2:billing", "agents and their skills: agent:skill+skill,…")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *db == "" {
		return errors.New("no database: pass -db or set DATABASE_URL")
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	pool, err := pgxpool.New(ctx, *db)
	if err != nil {
		return err
	}
	defer pool.Close()
	backend, closeBackend, err := Backend(ctx, pool, *migrate, logger)
	if err != nil {
		return err
	}
	defer closeBackend()
	auth, err := stack.ParseTokens(*tokens)
	if err != nil {
		return err
	}
	ag, err := stack.ParseAgents(*agents)
	if err != nil {
		return err
	}
	return serve(ctx, *addr, stack.Config{Backend: backend, Auth: auth, Agents: ag, Logger: logger})
}

// Backend is the stack's Backend on pool: the Store and its deadline
// table, the routing Store, this instance's Listener (which wakes the
// scheduler and the relay) and the Relay from the log. close stops the
// Listener.
func Backend(ctx context.Context, pool *pgxpool.Pool, migrate bool, logger *slog.Logger) (stack.Backend, func(), error) {
	if migrate {
		if err := pgstore.Migrate(ctx, pool); err != nil {
			return stack.Backend{}, nil, err
		}
	}
	store, err := pgstore.New(ctx, pool)
	if err != nil {
		return stack.Backend{}, nil, err
	}
	rs, err := pgstore.NewRoutingStore(ctx, pool)
	if err != nil {
		return stack.Backend{}, nil, err
	}
	listener := store.Listen(pgstore.ListenLogger(logger))
	return stack.Backend{
		Store:     store,
		Deadlines: store.Deadlines(),
		Routing:   rs,
		Watch:     listener,
		Written:   listener,
		Relay: func(ctx context.Context, n interaction.Notifier, after uint64) error {
			return pgstore.NewRelay(listener, store, n, after, pgstore.RelayLogger(logger)).Run(ctx)
		},
	}, listener.Close, nil
}

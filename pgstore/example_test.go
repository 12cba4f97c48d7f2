package pgstore_test

import (
	"context"
	"log/slog"
	"os"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chatconsult/chatconsult"
	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/pgstore"
)

// The library on PostgreSQL, for one of several instances behind a load
// balancer: the Store and its deadline table, the shared routing Store,
// this instance's Listener, and a Relay of every instance's events into
// the party subscriptions. It needs a database (DATABASE_URL), so it is
// compiled, not run; pgstore/examples/server runs it behind HTTP.
func Example() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		return
	}
	defer pool.Close()
	if err := pgstore.Migrate(ctx, pool); err != nil { // the operator's decision
		return
	}
	store, err := pgstore.New(ctx, pool)
	if err != nil {
		return
	}
	rs, err := pgstore.NewRoutingStore(ctx, pool)
	if err != nil {
		return
	}
	logger := slog.Default()
	listener := store.Listen(pgstore.ListenLogger(logger))
	defer listener.Close()
	sys := chatconsult.New(
		chatconsult.WithStore(store),
		chatconsult.WithDeadlines(store.Deadlines()),
		chatconsult.WithRoutingStore(rs),
		chatconsult.WithNotifier(listener),
		chatconsult.WithLogger(logger),
	)
	defer sys.Close()
	if _, err := sys.Recover(ctx); err != nil {
		return
	}
	parties := interaction.NewMemoryNotifier()
	go func() {
		_ = pgstore.NewRelay(listener, store, interaction.Notifiers{parties, sys.History}, sys.History.Checkpoint(),
			pgstore.RelayLogger(logger)).Run(ctx)
	}()
	go func() { _ = sys.Consult.Scheduler().Follow(ctx, listener) }() // deadlines other instances write
	sub := parties.Subscribe("agent1")                                // what agent1 may see, whichever instance wrote it
	defer sub.Close()
}

// A read model kept in PostgreSQL: its rows and its position move in one
// transaction (Project), so a restarted follower resumes where it stopped
// and applies each event once. Compiled, not run (it needs a database).
func ExampleStore_Project() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		return
	}
	defer pool.Close()
	store, err := pgstore.New(ctx, pool)
	if err != nil {
		return
	}
	listener := store.Listen()
	defer listener.Close()
	count := func(ctx context.Context, tx pgx.Tx, events []interaction.Event) error {
		_, err := tx.Exec(ctx, `UPDATE my_counts SET events = events + $1`, len(events))
		return err
	}
	for ctx.Err() == nil {
		changed := listener.Changed()
		n, err := store.Project(ctx, "my-counts", 0, count)
		if err == nil && n == 0 {
			select {
			case <-changed:
			case <-ctx.Done():
			}
		}
	}
}

// Package pgstore keeps the interactions of package interaction in
// PostgreSQL, so that several instances of a service, behind a load
// balancer, share one truth and lose nothing. It is a module of its own
// (github.com/chatconsult/chatconsult/pgstore), so the core module pulls in
// no database driver. It uses github.com/jackc/pgx/v5.
//
//	pool, _ := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
//	_ = pgstore.Migrate(ctx, pool)          // explicit: the operator's decision
//	store, _ := pgstore.New(ctx, pool)      // interaction.Store and interaction.Log
//	listener := store.Listen()              // this instance's LISTEN connection
//	parties := interaction.NewMemoryNotifier()
//	go pgstore.NewRelay(listener, store, parties, 0).Run(ctx) // every instance's events, per party
//	chats := interaction.NewService(interaction.WithStore(store), interaction.WithNotifier(listener))
//	sub := parties.Subscribe("agent1")     // what agent1 may see, whichever instance wrote it
//	desk := consult.New(chats, consult.WithDeadlines(store.Deadlines())) // time-outs from the table
//	go desk.Scheduler().Follow(ctx, listener) // wake for deadlines other instances write
//
// Followers of the whole log (projections: history, metrics) use
// interaction.FollowLog(listener, savedPosition).
//
// A restarted process rebuilds what it keeps in memory from the
// interactions that are not closed, which the Store lists
// (interaction.OpenLister), not from the whole log:
//
//	n, err := chats.Recover(ctx, tracker.Sync, directory.Sync) // pending reminders, routing loads
//
// # Schema
//
// Versioned migrations are embedded (migrations/NNNN_*.sql) and applied by
// Migrate, in one transaction, under an advisory lock, into the first
// schema of the pool's search_path; New refuses a schema that is not at
// SchemaVersion. Tables: chatconsult_events (one row per event, typed
// columns, primary key (interaction, version)), chatconsult_streams (one
// row per interaction: its version), chatconsult_log_head (one row: the
// log's last position), chatconsult_open (one row per interaction that is
// not closed, see below), chatconsult_checkpoints (one row per read model:
// how far it has read the log), chatconsult_deadlines (the deadline of every
// pending invitation, see Deadlines), chatconsult_migrations.
//
// Every Event field is a column (Event.Route since migration 0005,
// Event.Deadline since 0006). The times are stored as seconds and
// nanoseconds since the Unix epoch, so they come back as the same instant
// to the nanosecond (in UTC: the Location is not kept). Message text is bytea,
// so any text the core accepts (NUL included) comes back unchanged.
// Identifiers are text, which PostgreSQL cannot give NUL or invalid UTF-8:
// Append refuses those with ErrBadInput (nothing is written).
//
// # Deadlines
//
// The deadline of every pending invitation (interaction.State.Deadlines)
// is a row of chatconsult_deadlines, inserted and deleted from the events
// in the transaction that appends them (interaction.DeadlineChanges), so
// the table never disagrees with the log. Store.Deadlines is the table as
// an interaction.DeadlineQueue for consult.WithDeadlines: instances claim
// due rows with one UPDATE over SELECT … FOR UPDATE SKIP LOCKED that sets
// a lease, fire each as an idempotent command (its ID is the deadline's),
// whose append deletes the row; a claim of an instance that died runs out
// and another instance claims the row. Run the Scheduler's Follow with the
// instance's Listener, so that it wakes for deadlines other instances
// write.
//
// # Optimistic concurrency, enforced by the database
//
// An append locks its stream's row (SELECT … FOR UPDATE) and compares the
// version there with the one the command was decided on; a stream that
// moved on, or that already holds the command's Cause (a retry decided on
// a state that already had it), gives ErrConflict and writes nothing.
// Behind that, the primary key (interaction, version) and a unique index
// on (interaction, command) (the Cause of the first event of each append)
// make a fork or a second copy of a command impossible even for a writer
// that bypassed the lock; their violation, SQLSTATE 23505, is mapped to
// ErrConflict, as are serialization failures and deadlocks (40001, 40P01):
// in all of them the transaction was rolled back. Any other error (the
// connection was cut) leaves the outcome unknown: Service.DoCommand with
// the same command ID settles it, and applies the command exactly once.
//
// # Positions in commit order, and what that costs
//
// Readers follow the log by position (ReadAll(after)), so a position must
// never become visible after a higher one: the bigserial trap of
// PRIOR-ART.md, where a reader skips rows that commit out of sequence
// order. Here every appending transaction moves the single row of
// chatconsult_log_head by the number of its events and takes its
// positions below the new head; the row lock is held until commit, so
// transactions take positions one after the other, in the order they
// commit, and a rolled-back transaction gives its positions back
// (gapless). The cost: commits of appending transactions are serialised,
// from the head update to the end of COMMIT (the WAL flush included), so
// one transaction at a time can be flushing. That alone would cap a store
// at about one append per fsync; group commit is what lifts the cap.
//
// # Group commit
//
// Append hands its events to one of the Store's writers (WithWriters,
// default 2) and waits. A writer takes every append waiting at that moment
// (up to WithMaxBatch, default 256) and commits them in one transaction of
// two round trips: (1) create new streams' rows, lock the batch's stream
// rows in interaction order, read their versions and look for the commands
// already there; (2) in Go, decide each append (conflicts are answered at
// once and do not abort the others); then move the winners' stream
// versions, move the head, insert the events, pg_notify, COMMIT. Each
// Append returns only after its transaction committed: every command is
// durable when Service.Do returns. Locks are taken in one global order, so
// batches of different processes do not deadlock. Appends to different
// interactions share a transaction; that is safe because each append is
// still decided on its own stream's locked version, and all or none of a
// transaction's appends are written (an append whose transaction failed
// gets the error, the outcome unknown, like a single append's).
// WithMaxBatch(1) gives one transaction per append.
//
// # The open interactions
//
// chatconsult_open (migration 0003) holds the ID of every interaction that
// is not closed: the Store's interaction.OpenLister, which a restarted
// process or a new instance reads to rebuild its memory (routing loads,
// pending responses and their reminders: interaction.Recover,
// Service.Recover) without reading the log from position 0. It is kept in
// the transaction of the appends, so it is never out of step with the
// events: a row is inserted by the append of a stream's first events and
// deleted by the append that closes the interaction (an EventStatus event
// to StatusClosed, interaction.Closes; closed is final). Only the winners
// of a group commit touch it, after their stream rows are locked, so an
// append that conflicts, or a transaction that rolls back, leaves it as it
// was. The aggregate decides what closes (its status machine); the index
// records it. OpenInteractions pages through it in byte order of the IDs
// (the column's collation is "C", Go's string order), one index range scan
// per page. The migration fills it from the streams already written.
//
// # Read models and their checkpoints
//
// A projection that keeps its result in this database (a read model:
// tables of its own, say metrics) resumes after a restart from its
// checkpoint, not from position 0, and applies each event once: Project
// locks the read model's row of chatconsult_checkpoints (migration 0004),
// reads the events after its position, lets the read model write its
// rows in the same transaction, moves the position past them and commits.
// A run that dies before its commit leaves neither; two runners of one read
// model take turns. SaveCheckpoint and LoadCheckpoint are the same
// bookkeeping for a read model that runs its own transactions
// (SaveCheckpoint is a compare-and-set on the position). The in-memory
// history.Projection keeps its position (Checkpoint) only while it lives:
// its state is in memory, so a restarted process rebuilds it from
// position 0; only a read model whose state is stored can resume from a
// stored position.
//
// # Notification that cannot lose anything
//
// The events table is the outbox: an append's transaction also runs
// pg_notify(channel, head position), so the notification is sent if and
// only if the events committed, to every instance that LISTENs, and the
// payload is a position only (NOTIFY payloads are capped). A Listener is
// one instance's LISTEN connection; it implements interaction.LogWatcher:
// its Changed channel closes on every notification and every time it has
// (re)connected, since notifications sent while it was down are gone. A
// follower reads from its saved position, then waits on Changed, then
// reads from its last position again, taking the channel before each read
// (interaction.FollowLog): a notification lost to a dropped connection or
// a crashed writer costs a delay, never an event. Delivery is in log
// order, once per run, at least once across restarts from a saved
// position.
//
// The write side's interaction.Notifier is the Listener too: since the
// Store notifies in the append's transaction, Listener.Notify only wakes
// this instance's followers at once (a local fast path). An instance that
// crashes between its append and its Notify therefore loses nothing.
//
// Relay turns the log into what a Service's Notifier would have heard,
// command by command with the interaction's state after it, on every
// instance: put an interaction.MemoryNotifier behind it for per-party
// subscriptions (R-C5 visibility is decided there, as for a single
// instance).
//
// # Routing shared by every instance
//
// RoutingStore (migration 0008, issue 14) is a routing.Store: agents,
// presence, capacity, load, reservations and holds, shared by the
// routing.Directory of every instance (routing.WithStore). A hold is one
// UPDATE of the agent's row guarded by registered, presence and
// load + reserved + held < cap, which in the same statement inserts the
// hold row (its deadline: expires) and the change row; PostgreSQL
// re-evaluates the guard on the row it locks, so concurrent holds never
// take an agent past capacity (TestRoutingCapacityAcrossInstances replays
// the log of 1,000 routed consultations from two instances to check it).
// Count keeps what each interaction holds of each agent
// (chatconsult_routing_work), guarded by the interaction's last counted
// version (chatconsult_routing_counted). The change feed is
// chatconsult_routing_changes, one row per agent change written in the
// change's transaction, read in (xid, seq) order below
// pg_snapshot_xmin(pg_current_snapshot()), so a transaction that commits
// late is read later, never skipped, and writers do not queue on one row;
// RoutingStore.Listen is the LISTEN connection that wakes
// Directory.Follow (NOTIFY on chatconsult_routing.<schema>, no payload).
// The change rows and the counted rows are not pruned yet.
//
// # Several instances
//
// Each instance has its own pool, Store, Listener and Service; a Service's
// cache is per instance, and a stale cache shows up as a conflict on
// append, after which the command is decided again on the stored state.
// A command refused on a stale cache never reaches the Store: see
// TestConcurrentInstancesAreLinearizable for what that means and what the
// core needs to close it.
package pgstore

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
// interaction.FollowLog(listener, savedPosition). The history read model
// is kept here and resumes from its position after a restart (see Read
// models below):
//
//	hist, _ := store.FollowHistory(ctx, "history", pgstore.SaveEvery(1000))
//	go hist.Run(ctx, listener)            // follows the log, saves every 1000 events
//	page, _ := hist.Projection().MyHistory(ctx, "agent1", history.Query{})
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
// pending invitation, see Deadlines), chatconsult_history (the history read
// models' snapshot records, one row per read model and interaction),
// chatconsult_migrations.
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
// moved on, or that already holds the command (the Cause of the first
// event of an earlier append: a retry decided on a state that already had
// it, found on the unique index (interaction, command)), gives ErrConflict
// and writes nothing. Behind that, the primary key (interaction, version)
// and that unique index make a fork or a second copy of a command
// impossible even for a writer that bypassed the lock; their violation,
// SQLSTATE 23505, is mapped to ErrConflict, as are serialization failures
// and deadlocks (40001, 40P01): in all of them the transaction was rolled
// back. Any other error (the connection was cut) leaves the outcome
// unknown: Service.DoCommand with the same command ID settles it, and
// applies the command exactly once.
//
// # Positions in commit order, without a global lock
//
// Readers follow the log by position (ReadAll(after)), so no reader may
// pass a position while a lower one can still commit: the bigserial trap
// of PRIOR-ART.md. Until migration 0009 a single head row handed out the
// positions and its lock was held through every COMMIT, so appending
// transactions flushed one at a time. Now (migrations/0009_one_round_trip.sql)
// a transaction's positions come from its own transaction ID, which no
// writer waits for:
//
//	position = ((xid + xid_offset) << 20) + n    (n = 1, 2, … in the transaction;
//	                                              a refused append's numbers stay unused)
//
// Positions grow with the transaction IDs but are not consecutive, and
// transactions need not commit in that order; so readers read only below
// the horizon, the oldest transaction of the cluster still running (other
// than the reader's own). Every transaction below it has ended, and one
// that commits later has a higher ID, hence higher positions: a reader
// that resumes after the last position it read skips nothing. ReadAll and
// Project (through chatconsult_read) also return every event committed
// before the call: when transactions older than the newest committed event
// are still running, they wait for them (sleeps of 0.2 to 5 ms), and only
// for them, so the wait ends however busy the writers are. The cost: a
// long transaction that holds a transaction ID anywhere in the cluster
// (an idle-in-transaction session, a prepared transaction) holds readers
// back for as long, though never appends, and nothing is lost. A restore
// into a new cluster, whose IDs start again near 0, is the known trap of
// transaction-ID order (watermill #576): New raises xid_offset above the
// highest stored position, under the head row's lock, which every append
// takes FOR SHARE (appends do not wait for one another; raising the offset
// waits for those under way). At most 2^20-1 events go in one transaction
// (the writers cut batches there; a larger append is ErrBadInput).
//
// A log partitioned by interaction (past one primary: a database or a
// schema per partition, interactions hashed to partitions) keeps this
// scheme per partition: each partition's positions come from its own
// server's transaction IDs and its readers stop at its own horizon, so a
// partition's log is gapless by itself and no lock is shared between
// partitions. What no longer exists is one total order: a follower of the
// whole log keeps one position per partition (a vector, saved together),
// reads each partition after its own position and merges them (any
// interleaving is valid, since an interaction's events live in one
// partition and stay in version order there). interaction.Log's single
// uint64 position would become that vector, or one follower per partition.
//
// # Group commit
//
// Append hands its events to one of the Store's writers (WithWriters,
// default 2) and waits. A writer takes every append waiting at that moment
// (up to WithMaxBatch, default 256). A writer alone commits them at once.
// While another writer's transaction is in flight, it first gathers its
// share of the appends lately under way at once (half of them with two
// writers, at most eight), or waits until that transaction ends, or at
// most 10 ms (flights.go): otherwise the writers would take turns with
// batches of one or two next to large ones, each a commit, a WAL flush
// and a notification. It commits them in one transaction of one round
// trip: a pipeline of BEGIN; one statement per append, in interaction
// order (append_one.go; an append of up to four events, nearly all of
// them, passes its events and its one deadline change as scalar
// parameters, a larger one as column arrays), or for a batch of more than eight appends one call of
// chatconsult_append; COMMIT; the notification (notifySQL). Each
// statement decides its append on its locked stream row (conflicts are
// answered and do not abort the others; an append may follow another of
// the same batch on the same stream, and sees it) and writes its stream
// version, the open-interactions index, the events and the deadlines.
// Each Append returns only after its transaction committed: every command
// is durable when Service.Do returns. Stream rows are locked in one global
// order (interaction order), so batches of different processes do not
// deadlock, and no lock is shared by every append, so the commits of
// several writers, in this process or others, flush together. Appends to
// different interactions share a transaction; that is safe because each
// append is still decided on its own stream's locked version, and all or
// none of a transaction's appends are written (an append whose transaction
// failed gets the error, the outcome unknown, like a single append's).
// WithMaxBatch(1) gives one transaction per append.
//
// The plpgsql function chatconsult_append (migrations 0009 and 0011) makes
// the same decisions for a whole batch, in arrival order, locking in the
// same order. The statements cost the server about half as much per
// append, but each carries its own 42 parameters; past a few appends one
// call of the function costs the Go side and the server less in all
// (many clients at once, where both share the cores). Two tests compare
// every table both write, and the conformance suites run both.
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
// takes the read model's advisory lock (runners of one read model take
// turns), reads its position in chatconsult_checkpoints (migration 0004),
// reads the events after it, lets the read model write its
// rows in the same transaction, moves the position past them and commits.
// A run that dies before its commit leaves neither; two runners of one read
// model take turns. SaveCheckpoint and LoadCheckpoint are the same
// bookkeeping for a read model that runs its own transactions
// (SaveCheckpoint is a compare-and-set on the position).
//
// The history (package history's Projection: My History, contact
// history, activity, metrics, exports) is such a read model, stored as
// snapshot records (migration 0007): one row of chatconsult_history per
// interaction, the events its history folded, encoded and checksummed by
// package history (history.SnapshotRecord), and its position in
// chatconsult_checkpoints under the same name. SaveHistory writes the
// records that changed since the last save and moves the position from
// where the saver last saw it, compare-and-set, in one transaction: both
// commit or neither, and a save that another runner's overtook is refused
// with interaction.ErrConflict and writes nothing. A record replaces a
// saved one only if it holds as many events or more, so the rows always
// hold at least every event up to the position. LoadHistory reads the
// position and the rows in one REPEATABLE READ transaction and restores
// the Projection at the position (history.Restore): it answers every
// query as a Projection replayed from position 0 would, and reads only the
// events written after the position. A HistoryFollower runs it: Step reads
// up to SaveEvery events and saves when that many were read since the last
// save, Save saves on demand, Run follows the Listener; two followers of
// one name take turns (the refused one takes the other's position and
// saves after it), so every stretch of the log is saved once.
//
// What that gives: the saved history lags the log by at most the events
// read since the last save (SaveEvery, plus a Step); its queries answer
// from memory, at the Projection's own position (a follower that is also
// the Service's Notifier sees the instance's own writes at once). A save
// is a writing transaction, which readers of the log wait for (see
// ReadAll): SaveEvery keeps each one to the rows of the interactions that
// changed in that many events. A restart costs reading the rows (about 1.4 KB per finished interaction
// with one consultation) and folding their events, and the log after the
// position: with 300 interactions, 6 300 events, LoadHistory takes about
// a third of the time of a replay from position 0 (8 to 16 ms against 30
// to 50 ms on this loaded machine, BenchmarkHistoryRestart).
//
// # Notification that cannot lose anything
//
// The events table is the outbox: the notification (pg_notify(channel,
// the last position committed)) follows the append's COMMIT in the same
// pipeline, as a transaction of its own. It is not inside the appending
// transaction because NOTIFY takes a lock that every notifying
// transaction of the cluster shares and holds through its commit's WAL
// flush: inside, it would serialise the appends' flushes as the old head
// row did. It is sent only if the append committed: after an error the
// server skips the rest of the pipeline, and what it announces is a
// session setting of the append's transaction, which a rollback undoes.
// And it is sent whenever the append committed, since it is already in the
// server's hands when the COMMIT runs (the client may be gone), except if
// that backend dies in the instant between the two (the server crashing
// then restarts every Listener, which wakes its followers). It commits
// without waiting for a flush (a notification does not outlive a crash
// anyway). The payload is a position only (NOTIFY payloads are capped). A
// Listener is one instance's LISTEN connection; it implements
// interaction.LogWatcher: its Changed channel closes on every notification
// and every time it has (re)connected, since notifications sent while it
// was down are gone. A follower reads from its saved position, then waits
// on Changed, then reads from its last position again, taking the channel
// before each read (interaction.FollowLog): a notification lost to a
// dropped connection or a crashed writer costs a delay, never an event.
// Delivery is in log order, once per run, at least once across restarts
// from a saved position.
//
// The write side's interaction.Notifier is the Listener too: since the
// Store notifies with the append's commit, Listener.Notify only wakes
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

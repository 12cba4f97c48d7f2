package pgstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chatconsult/chatconsult/interaction"
)

// Store is an interaction.Store and interaction.Log on PostgreSQL. It is
// safe for concurrent use, also by several Services and by Stores of other
// processes on the same schema.
//
// Appends are group-committed: Append hands its events to one of the
// Store's writers, which commits every append waiting at that moment in
// one transaction (see WithMaxBatch). Each Append still returns only once
// its transaction has committed, or with an error.
type Store struct {
	pool     *pgxpool.Pool
	channel  string
	maxBatch int
	writers  int
	queue    chan *appendRequest
	stop     chan struct{}
	stopped  chan struct{}   // closed once Close has answered every queued append
	ctx      context.Context // the writers'; cancelled by Close
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	close    sync.Once

	beforeCommit func() // tests only: called between an append's statement and its COMMIT
	// statementBatch: the largest batch written as one statement per
	// append (append_one.go); a larger one goes to chatconsult_append.
	// Tests set 0 (every batch to the function) or a large number.
	statementBatch int
	// joinBatch: how many appends a writer gathers while another writer's
	// transaction is in flight (writer.go); 0 or 1: none.
	joinBatch int
	// scalarRows: the most events an append's statement takes as rows of
	// scalars (scalarEvents); tests set 0 (column arrays only).
	scalarRows int
	flights    flights
}

var (
	_ interaction.Store      = (*Store)(nil)
	_ interaction.Log        = (*Store)(nil)
	_ interaction.OpenLister = (*Store)(nil)
)

// Option configures a Store.
type Option func(*Store) error

// WithMaxBatch sets how many appends one transaction commits at most
// (default 256). 1 commits every append in a transaction of its own.
func WithMaxBatch(n int) Option {
	return func(s *Store) error {
		if n < 1 {
			return fmt.Errorf("pgstore: max batch %d < 1", n)
		}
		s.maxBatch = n
		return nil
	}
}

// WithWriters sets how many transactions the Store runs at once (default
// 2: one commits while the next gathers its appends). Their commits share
// no lock (only the streams they write), so they flush together.
func WithWriters(n int) Option {
	return func(s *Store) error {
		if n < 1 {
			return fmt.Errorf("pgstore: writers %d < 1", n)
		}
		s.writers = n
		return nil
	}
}

// New returns a Store on pool, in the first schema of the pool's
// search_path, which Migrate must have brought to SchemaVersion. Close
// stops it; the pool stays the caller's.
func New(ctx context.Context, pool *pgxpool.Pool, opts ...Option) (*Store, error) {
	s := &Store{pool: pool, maxBatch: 256, writers: 2, statementBatch: defaultStatementBatch, joinBatch: defaultJoinBatch, scalarRows: scalarEvents, stop: make(chan struct{}), stopped: make(chan struct{})}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}

	var schema string
	var version *int
	err := pool.QueryRow(ctx, `SELECT current_schema(),
		(SELECT max(version) FROM chatconsult_migrations)`).Scan(&schema, &version)
	if err != nil {
		return nil, fmt.Errorf("pgstore: reading the schema version (did Migrate run?): %w", err)
	}
	if version == nil || *version != SchemaVersion() {
		return nil, fmt.Errorf("pgstore: schema %s is at version %v, want %d: run pgstore.Migrate", schema, version, SchemaVersion())
	}
	if err := raiseOffset(ctx, pool); err != nil {
		return nil, err
	}
	s.channel = channelFor(schema)
	s.queue = make(chan *appendRequest, s.maxBatch*s.writers)
	s.ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	for i := 0; i < s.writers; i++ {
		s.wg.Add(1)
		go s.write()
	}
	return s, nil
}

// channelFor is the LISTEN/NOTIFY channel of a schema's log, so that
// stores in different schemas of one database do not wake each other.
// Channel names are at most 63 bytes.
func channelFor(schema string) string {
	c := "chatconsult_events." + schema
	for len(c) > 63 {
		_, size := utf8.DecodeLastRuneInString(c)
		c = c[:len(c)-size]
	}
	return c
}

// Channel is the LISTEN/NOTIFY channel on which every commit to this
// Store's log is announced (payload: the log's new head position).
func (s *Store) Channel() string { return s.channel }

// Pool returns the Store's pool.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// ErrClosed is returned by a Store's Append after Close.
var ErrClosed = errors.New("pgstore: store closed")

// Close stops the writers. Appends waiting for a writer get ErrClosed; an
// append in a transaction at that moment gets its outcome or an error.
func (s *Store) Close() {
	s.close.Do(func() {
		close(s.stop)
		s.cancel()
		s.wg.Wait()
		for {
			select {
			case r := <-s.queue:
				r.done <- appendResult{err: ErrClosed}
			default:
				close(s.stopped)
				return
			}
		}
	})
}

// Load implements interaction.Store.
func (s *Store) Load(ctx context.Context, id interaction.ID) ([]interaction.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !storableText(string(id)) {
		return nil, nil // Append never stored such an interaction
	}
	rows, err := s.pool.Query(ctx, `SELECT `+eventColumns+` FROM chatconsult_events
		WHERE interaction = $1 ORDER BY version`, string(id))
	if err != nil {
		return nil, fmt.Errorf("pgstore: load %s: %w", id, err)
	}
	events, err := scanEvents(rows)
	if err != nil {
		return nil, fmt.Errorf("pgstore: load %s: %w", id, err)
	}
	return events, nil
}

// readSQL reads the log through chatconsult_read
// (migrations/0009_one_round_trip.sql): only below the oldest transaction
// still running, after waiting for the ones older than the newest event
// committed at the call.
const readSQL = `SELECT ` + eventColumns + ` FROM chatconsult_read($1, $2)`

// ReadAll implements interaction.Log. It returns every event committed
// before the call (up to limit), and never an event while an event below
// it may still commit: it reads only below the oldest transaction still
// running, so reading after the last position seen never skips an event
// (see the package documentation). When transactions older than the newest
// committed event are still running, it waits for them (a few
// milliseconds: they are appends, unless a long transaction holds an ID).
func (s *Store) ReadAll(ctx context.Context, after uint64, limit int) ([]interaction.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var lim *int64
	if limit > 0 {
		l := int64(limit)
		lim = &l
	}
	if after > 1<<63-1 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, readSQL, int64(after), lim)
	if err != nil {
		return nil, fmt.Errorf("pgstore: read log: %w", err)
	}
	events, err := scanEvents(rows)
	if err != nil {
		return nil, fmt.Errorf("pgstore: read log: %w", err)
	}
	return events, nil
}

// OpenInteractions implements interaction.OpenLister: the rows of
// chatconsult_open, which every append's transaction keeps with its
// events, in byte order of the IDs (the column's collation is "C"). A page
// is one index range scan. An after that PostgreSQL's text cannot hold
// (NUL, invalid UTF-8) is refused with ErrBadInput: no listed ID is one.
func (s *Store) OpenInteractions(ctx context.Context, after interaction.ID, limit int) ([]interaction.ID, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !storableText(string(after)) {
		return nil, &interaction.Error{Kind: interaction.ErrBadInput, Op: "open interactions", Interaction: after,
			Detail: "not an ID PostgreSQL text can hold"}
	}
	var lim *int64
	if limit > 0 {
		l := int64(limit)
		lim = &l
	}
	rows, err := s.pool.Query(ctx, `SELECT interaction FROM chatconsult_open
		WHERE interaction > $1 ORDER BY interaction LIMIT $2`, string(after), lim)
	if err != nil {
		return nil, fmt.Errorf("pgstore: open interactions: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[interaction.ID])
	if err != nil {
		return nil, fmt.Errorf("pgstore: open interactions: %w", err)
	}
	return ids, nil
}

// Append implements interaction.Store. It returns once the transaction
// holding the events has committed (nil), once it is known that nothing
// was written (an error wrapping ErrConflict or ErrBadInput), or with any
// other error when the outcome is unknown (the connection was cut, ctx
// ended while the events were being committed): Service.DoCommand's retry
// with the same command ID settles it.
func (s *Store) Append(ctx context.Context, id interaction.ID, expected uint64, events []interaction.Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(events) == 0 {
		return nil
	}
	if len(events) > maxTxEvents {
		return &interaction.Error{Kind: interaction.ErrBadInput, Op: "append", Interaction: id,
			Detail: fmt.Sprintf("%d events in one append, more than %d", len(events), maxTxEvents)}
	}
	if err := checkEvents(id, expected, events); err != nil {
		return err
	}
	r := &appendRequest{
		ctx: ctx, id: id, expected: expected,
		events: append([]interaction.Event(nil), events...), // the caller may give up and reuse its slice
		done:   make(chan appendResult, 1),
	}
	select {
	case s.queue <- r:
	case <-ctx.Done():
		return ctx.Err()
	case <-s.stop:
		return ErrClosed
	}
	finish := func(res appendResult) error {
		if res.err == nil {
			for i := range events {
				events[i].Position = res.first + uint64(i)
			}
		}
		return res.err
	}
	select {
	case res := <-r.done:
		return finish(res)
	case <-ctx.Done():
		return fmt.Errorf("pgstore: append %s: outcome unknown: %w", id, ctx.Err())
	case <-s.stopped:
		// Every writer has answered what it took, and Close what was
		// queued; an append queued after that was never taken.
		select {
		case res := <-r.done:
			return finish(res)
		default:
			return ErrClosed
		}
	}
}

// raiseOffset keeps new positions above every stored one where the
// server's transaction IDs went back (a logical restore into a new
// cluster): positions are ((xid + xid_offset) << 20) + n, and a
// transaction ID the server has not handed out yet (pg_snapshot_xmax)
// must give positions above the highest stored one. In a cluster that
// wrote the log, it always does, and this is one read. Otherwise the
// offset is raised under the head row's lock, which waits for the appends
// under way (they hold it FOR SHARE) and holds new ones until it commits.
func raiseOffset(ctx context.Context, pool *pgxpool.Pool) error {
	const check = `SELECT coalesce((SELECT max(position) FROM chatconsult_events), 0) >=
		(pg_snapshot_xmax(pg_current_snapshot())::text::bigint + xid_offset) << 20 FROM chatconsult_log_head`
	var behind bool
	if err := pool.QueryRow(ctx, check).Scan(&behind); err != nil {
		return fmt.Errorf("pgstore: checking the position offset: %w", err)
	}
	if !behind {
		return nil
	}
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `SELECT 1 FROM chatconsult_log_head FOR UPDATE`)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE chatconsult_log_head SET xid_offset = xid_offset + greatest(0,
			(coalesce((SELECT max(position) FROM chatconsult_events), 0) >> 20) + 1 -
			(pg_snapshot_xmax(pg_current_snapshot())::text::bigint + xid_offset))`)
		return err
	})
	if err != nil {
		return fmt.Errorf("pgstore: raising the position offset: %w", err)
	}
	return nil
}

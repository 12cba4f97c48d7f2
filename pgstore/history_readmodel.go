package pgstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5"

	"github.com/chatconsult/chatconsult/history"
	"github.com/chatconsult/chatconsult/interaction"
)

// A history read model is a history.Projection kept in this database
// (migration 0007): one row of chatconsult_history per interaction, the
// interaction's snapshot record (history.SnapshotRecord), and the read
// model's position, its row of chatconsult_checkpoints under the same
// name. SaveHistory writes the records that changed and moves the
// position in one transaction; LoadHistory reads both in one snapshot of
// the database and restores the Projection at the position, so that a
// restarted process reads only the events written after it. A
// HistoryFollower runs one: it follows the log and saves every so many
// events.

// historyChunk is how many records one INSERT writes.
const historyChunk = 512

// SaveHistory saves what changed in p after mark (p.Snapshot(mark): 0 for
// all of it) into read model name and moves its position from from to the
// Snapshot's Checkpoint, in one transaction, and returns the Snapshot's
// Checkpoint and Mark: the from and mark of the next save. p must have
// been made with history.WithSnapshots (or by LoadHistory).
//
// It is a compare-and-set on the position, as SaveCheckpoint is: when the
// read model is not at from (another runner of it saved meanwhile), it
// returns an error wrapping interaction.ErrConflict and writes nothing.
// A record replaces the saved one of its interaction only when it holds
// as many events or more (SnapshotRecord.Version), so what is saved is
// always, per interaction, at least what the position says. When the
// commit fails, nothing is saved, or (the outcome unknown) everything:
// LoadCheckpoint tells which. Either way p and mark are still good: the
// next save from the right position writes all that changed after mark.
//
// name is also the read model's name in chatconsult_checkpoints: give it
// one no other read model uses.
//
// Keep saves small: like any writing transaction, a save holds a
// transaction ID until it commits, and readers of the log (ReadAll) wait
// for it before they return events appended after it began. A save writes
// one row per interaction that changed since mark, so saving every so many
// events (HistoryFollower, SaveEvery) bounds it; the first save of a read
// model made over a long log at once (a mark of 0 after one long Replay)
// writes every row in one transaction.
func (s *Store) SaveHistory(ctx context.Context, name string, p *history.Projection, from, mark uint64) (checkpoint, next uint64, err error) {
	snap, err := p.Snapshot(mark)
	if err != nil {
		return 0, 0, err
	}
	for _, r := range snap.Records {
		if !storableText(string(r.Interaction)) {
			return 0, 0, &interaction.Error{Kind: interaction.ErrBadInput, Op: "save history", Interaction: r.Interaction,
				Detail: "an interaction ID PostgreSQL text cannot hold"}
		}
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("pgstore: save history %q: %w", name, err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	// The position first: its row lock makes a second runner wait here
	// and then find the position moved.
	if err := SaveCheckpoint(ctx, tx, name, from, snap.Checkpoint); err != nil {
		return 0, 0, err
	}
	for start := 0; start < len(snap.Records); start += historyChunk {
		chunk := snap.Records[start:min(start+historyChunk, len(snap.Records))]
		ids := make([]string, len(chunk))
		versions := make([]int64, len(chunk))
		data := make([][]byte, len(chunk))
		for i, r := range chunk {
			ids[i], versions[i], data[i] = string(r.Interaction), int64(r.Version), r.Data
		}
		if _, err := tx.Exec(ctx, `INSERT INTO chatconsult_history (name, interaction, version, data)
			SELECT $1, r.interaction, r.version, r.data
			FROM unnest($2::text[], $3::bigint[], $4::bytea[]) AS r(interaction, version, data)
			ON CONFLICT (name, interaction) DO UPDATE SET version = EXCLUDED.version, data = EXCLUDED.data
			WHERE chatconsult_history.version <= EXCLUDED.version`, name, ids, versions, data); err != nil {
			return 0, 0, fmt.Errorf("pgstore: save history %q: %w", name, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, 0, fmt.Errorf("pgstore: save history %q: commit (outcome unknown): %w", name, err)
	}
	return snap.Checkpoint, snap.Mark, nil
}

// LoadHistory restores read model name as SaveHistory saved it: a
// Projection (made with opts, and history.WithSnapshots) whose Checkpoint
// is the read model's position, that answers every query as a Projection
// replayed from position 0 up to there, and whose Replay reads only what
// was written after it. The position and the records are read in one
// REPEATABLE READ transaction, so they are one cut. A read model never
// saved gives an empty Projection at position 0. A record that does not
// read back (altered, truncated, of another interaction) gives an error
// wrapping interaction.ErrCorruptLog.
func (s *Store) LoadHistory(ctx context.Context, name string, opts ...history.Option) (*history.Projection, error) {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("pgstore: load history %q: %w", name, err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	position, err := LoadCheckpoint(ctx, tx, name)
	if err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, `SELECT interaction, version, data FROM chatconsult_history
		WHERE name = $1 ORDER BY interaction`, name)
	if err != nil {
		return nil, fmt.Errorf("pgstore: load history %q: %w", name, err)
	}
	defer rows.Close()
	p, err := history.Restore(position, func(yield func(history.SnapshotRecord, error) bool) {
		for rows.Next() {
			var id string
			var version int64
			var data []byte
			if err := rows.Scan(&id, &version, &data); err != nil {
				yield(history.SnapshotRecord{}, fmt.Errorf("pgstore: load history %q: %w", name, err))
				return
			}
			if !yield(history.SnapshotRecord{Interaction: interaction.ID(id), Version: uint64(version), Data: data}, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(history.SnapshotRecord{}, fmt.Errorf("pgstore: load history %q: %w", name, err))
		}
	}, opts...)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// HistoryFollower runs a history read model: it restores it from the
// database (LoadHistory), follows the log from its position (Step, Run),
// and saves it (SaveHistory) every so many events read (SaveEvery) and on
// demand (Save). Its Projection answers the history queries meanwhile; it
// may also be a Service's Notifier, to see the instance's own writes at
// once (events delivered that way are saved with the next save, and the
// position still moves only by what the follower read from the log).
//
// Two followers of one read model (two instances, or a restart that
// overlaps the old process) take turns: a save of one that the other's
// save overtook is refused (interaction.ErrConflict) and writes nothing;
// the follower then reads the position the other saved, catches up to it
// from the log if it is behind, and saves from there the next time. Every
// stretch of the log is saved once, by one of them.
//
// A HistoryFollower is safe for concurrent use; Step, Save and Run take
// turns.
type HistoryFollower struct {
	store *Store
	name  string
	every int
	p     *history.Projection
	read  atomic.Int64

	mu      sync.Mutex
	from    uint64 // the read model's position as this follower last saw it
	mark    uint64 // p's change count at the last save (or the load)
	unsaved int    // events read since the last save
	stale   bool   // a save was refused: from is someone else's now
}

// HistoryOption configures a HistoryFollower.
type HistoryOption func(*historyConfig)

type historyConfig struct {
	every int
	opts  []history.Option
}

// SaveEvery has the follower save after every n events it read (default
// 1000); each Step reads at most n. n < 1 saves only on demand (Save).
func SaveEvery(n int) HistoryOption { return func(c *historyConfig) { c.every = n } }

// WithProjectionOptions passes options to the Projection the follower
// restores (history.WithStore, say).
func WithProjectionOptions(opts ...history.Option) HistoryOption {
	return func(c *historyConfig) { c.opts = append(c.opts, opts...) }
}

// FollowHistory restores read model name (LoadHistory) and returns its
// follower, at the saved position. It reads nothing of the log yet: Step
// or Run does.
func (s *Store) FollowHistory(ctx context.Context, name string, opts ...HistoryOption) (*HistoryFollower, error) {
	cfg := historyConfig{every: 1000}
	for _, o := range opts {
		o(&cfg)
	}
	if !storableText(name) {
		return nil, &interaction.Error{Kind: interaction.ErrBadInput, Op: "follow history", Detail: "a name PostgreSQL text cannot hold"}
	}
	p, err := s.LoadHistory(ctx, name, cfg.opts...)
	if err != nil {
		return nil, err
	}
	return &HistoryFollower{store: s, name: name, every: cfg.every, p: p, from: p.Checkpoint(), mark: p.Mark()}, nil
}

// Projection is the read model: query it.
func (f *HistoryFollower) Projection() *history.Projection { return f.p }

// Notify implements interaction.Notifier: the events go to the Projection
// (history.Projection.Notify).
func (f *HistoryFollower) Notify(ctx context.Context, st *interaction.State, events []interaction.Event) {
	f.p.Notify(ctx, st, events)
}

var _ interaction.Notifier = (*HistoryFollower)(nil)

// Read is how many events the follower has read from the log since it was
// made: after a restart, the events written since the saved position.
func (f *HistoryFollower) Read() int64 { return f.read.Load() }

// Step reads the events written after the Projection's Checkpoint (at
// most SaveEvery of them) into it and saves when SaveEvery events or more
// were read since the last save. It returns how many it read: 0 when the
// read model is caught up. When the save is refused because another
// runner saved meanwhile, Step returns nil: the follower takes the other's
// position and saves from there the next time.
func (f *HistoryFollower) Step(ctx context.Context) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n, err := f.replay(ctx, f.every)
	if err != nil {
		return n, err
	}
	if f.every > 0 && f.unsaved >= f.every {
		if err := f.save(ctx); err != nil && !errors.Is(err, interaction.ErrConflict) {
			return n, err
		}
	}
	return n, nil
}

// replay reads at most limit events (limit < 1: all) into the Projection.
func (f *HistoryFollower) replay(ctx context.Context, limit int) (int, error) {
	log := &countedLog{log: f.store, left: limit}
	err := f.p.Replay(ctx, log)
	f.read.Add(int64(log.read))
	f.unsaved += log.read
	return log.read, err
}

// Save saves the read model now (SaveHistory): the records that changed
// since the last save, and the position. It returns an error wrapping
// interaction.ErrConflict when another runner saved meanwhile; the
// follower then takes that runner's position, and the next Save or Step
// saves from there.
func (f *HistoryFollower) Save(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.save(ctx)
}

func (f *HistoryFollower) save(ctx context.Context) error {
	if f.stale {
		// Another runner moved the position: save from where it is, once
		// the Projection has read at least that far (what it saved
		// covers the log up to there; the records that changed here since
		// the last save here are all written below, and a saved record is
		// never replaced by one with fewer events).
		pos, err := LoadCheckpoint(ctx, f.store.pool, f.name)
		if err != nil {
			return err
		}
		for f.p.Checkpoint() < pos {
			n, err := f.replay(ctx, 0)
			if err != nil {
				return err
			}
			if n == 0 {
				return fmt.Errorf("pgstore: history %q is saved at position %d, beyond the log's end %d", f.name, pos, f.p.Checkpoint())
			}
		}
		f.from, f.stale = pos, false
	}
	checkpoint, mark, err := f.store.SaveHistory(ctx, f.name, f.p, f.from, f.mark)
	if errors.Is(err, interaction.ErrConflict) {
		f.stale = true
		return err
	}
	if err != nil {
		// The outcome may be unknown: find out from the position next time.
		f.stale = true
		return err
	}
	f.from, f.mark, f.unsaved = checkpoint, mark, 0
	return nil
}

// Run follows the log until ctx ends: it steps while there is something to
// read, then waits for watcher (the instance's Listener) to say the log
// changed. It returns ctx's error, or the first error of a Step or Save
// other than a conflict.
func (f *HistoryFollower) Run(ctx context.Context, watcher interaction.LogWatcher) error {
	for {
		changed := watcher.Changed() // before the read: an append it misses closes it
		n, err := f.Step(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
		}
	}
}

// countedLog reads the Store's log, counting the events and handing out at
// most left of them (left < 1: no limit), so that a Replay stops there.
type countedLog struct {
	log  interaction.Log
	left int
	read int
}

func (c *countedLog) ReadAll(ctx context.Context, after uint64, limit int) ([]interaction.Event, error) {
	if c.left > 0 {
		rest := c.left - c.read
		if rest <= 0 {
			return nil, nil
		}
		if limit <= 0 || limit > rest {
			limit = rest
		}
	}
	events, err := c.log.ReadAll(ctx, after, limit)
	c.read += len(events)
	return events, err
}

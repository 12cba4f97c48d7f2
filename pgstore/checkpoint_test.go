package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/pgstore"
)

// counts is a read model kept in the database: the number of events of
// each interaction, in a table of its own. applied counts the events its
// apply was handed.
type counts struct {
	applied atomic.Int64
	fail    atomic.Bool // apply writes its rows, then fails
}

func (c *counts) apply(ctx context.Context, tx pgx.Tx, events []interaction.Event) error {
	c.applied.Add(int64(len(events)))
	for _, ev := range events {
		if _, err := tx.Exec(ctx, `INSERT INTO test_counts (interaction, events) VALUES ($1, 1)
			ON CONFLICT (interaction) DO UPDATE SET events = test_counts.events + 1`, string(ev.Interaction)); err != nil {
			return err
		}
	}
	if c.fail.Load() {
		return errors.New("the read model's process dies before it commits")
	}
	return nil
}

// catchUp runs Project until the read model is caught up.
func catchUp(t *testing.T, st *pgstore.Store, name string, limit int, c *counts) {
	t.Helper()
	for i := 0; ; i++ {
		require.Less(t, i, 10000)
		n, err := st.Project(ctx, name, limit, c.apply)
		require.NoError(t, err)
		if n == 0 {
			return
		}
	}
}

// readCounts reads the read model's table.
func readCounts(t *testing.T, pool interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}) map[interaction.ID]int {
	t.Helper()
	rows, err := pool.Query(ctx, `SELECT interaction, events FROM test_counts`)
	require.NoError(t, err)
	out := map[interaction.ID]int{}
	var id string
	var n int
	_, err = pgx.ForEachRow(rows, []any{&id, &n}, func() error { out[interaction.ID(id)] = n; return nil })
	require.NoError(t, err)
	return out
}

// storeCounts is what the read model must hold: each stream's length.
func storeCounts(t *testing.T, st *pgstore.Store, ids ...interaction.ID) map[interaction.ID]int {
	t.Helper()
	out := map[interaction.ID]int{}
	for _, id := range ids {
		events, err := st.Load(ctx, id)
		require.NoError(t, err)
		if len(events) > 0 {
			out[id] = len(events)
		}
	}
	return out
}

func writeEvents(t *testing.T, st *pgstore.Store, id interaction.ID, n int) {
	t.Helper()
	cur, err := st.Load(ctx, id)
	require.NoError(t, err)
	v := uint64(len(cur))
	var evs []interaction.Event
	for i := 0; i < n; i++ {
		if v == 0 && i == 0 {
			evs = append(evs, opened(id, fmt.Sprintf("%s-%d", id, v)))
			continue
		}
		evs = append(evs, message(id, v+uint64(i)+1, fmt.Sprintf("%s-%d", id, v)))
	}
	require.NoError(t, st.Append(ctx, id, v, evs))
}

// A read model kept in PostgreSQL writes its rows and its checkpoint in
// one transaction (Store.Project): restarted, in another process, it
// reads only the events written since its checkpoint (counted: the number
// written since, not the whole log), a run that dies before committing
// leaves neither rows nor checkpoint behind, and the read model ends
// exact: no event applied twice, none skipped.
func TestReadModelRestartsFromItsCheckpoint(t *testing.T) {
	s := newSchema(t)
	s.exec(t, `CREATE TABLE `+pgx.Identifier{s.name, "test_counts"}.Sanitize()+` (interaction text PRIMARY KEY, events bigint NOT NULL)`)
	ids := []interaction.ID{"a", "b", "c", "d"}

	// The first process writes and projects.
	pool1 := s.pool(t, nil)
	st1 := newStore(t, pool1)
	for i, id := range ids[:3] {
		writeEvents(t, st1, id, 3+i)
	}
	first := &counts{}
	catchUp(t, st1, "counts", 4, first)
	assert.EqualValues(t, 3+4+5, first.applied.Load(), "a new read model reads the whole log")
	saved, err := pgstore.LoadCheckpoint(ctx, pool1, "counts")
	require.NoError(t, err)
	assert.Equal(t, lastPosition(t, st1), saved, "at the last event of the log (its 12th)")
	held := readCounts(t, pool1)
	assert.Equal(t, storeCounts(t, st1, ids...), held)
	st1.Close()
	pool1.Close()

	// The second process writes more; its first projection run dies
	// before it commits.
	pool2 := s.pool(t, nil)
	st2 := newStore(t, pool2)
	writeEvents(t, st2, "b", 2)
	writeEvents(t, st2, "d", 3)
	writeEvents(t, st2, "a", 1)
	const since = 2 + 3 + 1
	dying := &counts{}
	dying.fail.Store(true)
	_, err = st2.Project(ctx, "counts", 0, dying.apply)
	require.Error(t, err)
	after, err := pgstore.LoadCheckpoint(ctx, pool2, "counts")
	require.NoError(t, err)
	assert.Equal(t, saved, after, "a run that did not commit moves no checkpoint")
	assert.Equal(t, held, readCounts(t, pool2), "nor any row")

	restarted := &counts{}
	catchUp(t, st2, "counts", 4, restarted)
	assert.EqualValues(t, since, restarted.applied.Load(), "only the events written since the checkpoint are read")
	assert.Equal(t, storeCounts(t, st2, ids...), readCounts(t, pool2), "the read model is exact")
	head, err := pgstore.LoadCheckpoint(ctx, pool2, "counts")
	require.NoError(t, err)
	assert.Equal(t, lastPosition(t, st2), head, "at the last event of the log (its 12+since-th)")
}

// lastPosition is the position of the log's last event. Positions grow
// but are not consecutive (they are taken from transaction IDs, see
// migrations/0009_one_round_trip.sql), so a checkpoint is compared with
// the position of the event it stopped after, not with a count.
func lastPosition(t *testing.T, st *pgstore.Store) uint64 {
	t.Helper()
	all, err := st.ReadAll(ctx, 0, 0)
	require.NoError(t, err)
	require.NotEmpty(t, all)
	return all[len(all)-1].Position
}

// Two runners of one read model, in two processes, while a third writes:
// they take turns on the checkpoint's row lock, so every event is applied
// once in all.
func TestReadModelRunnersTakeTurns(t *testing.T) {
	s := newSchema(t)
	s.exec(t, `CREATE TABLE `+pgx.Identifier{s.name, "test_counts"}.Sanitize()+` (interaction text PRIMARY KEY, events bigint NOT NULL)`)
	writer := newStore(t, s.pool(t, nil))
	runners := []*pgstore.Store{newStore(t, s.pool(t, nil)), newStore(t, s.pool(t, nil))}
	c := &counts{}
	var ids []interaction.ID
	for i := 0; i < 8; i++ {
		ids = append(ids, interaction.ID(fmt.Sprintf("chat-%d", i)))
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, len(runners))
	for _, st := range runners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				if _, err := st.Project(ctx, "counts", 5, c.apply); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	total := 0
	for round := 0; round < 10; round++ {
		for _, id := range ids {
			writeEvents(t, writer, id, 1+round%3)
			total += 1 + round%3
		}
	}
	close(done)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	catchUp(t, runners[0], "counts", 0, c)
	assert.EqualValues(t, total, c.applied.Load(), "every event applied once in all")
	pool := runners[1].Pool()
	assert.Equal(t, storeCounts(t, writer, ids...), readCounts(t, pool))
}

// SaveCheckpoint is a compare-and-set on the position, in the caller's
// transaction.
func TestSaveCheckpointComparesAndSets(t *testing.T) {
	pool := newSchema(t).pool(t, nil)
	save := func(name string, from, to uint64) error {
		tx, err := pool.Begin(ctx)
		require.NoError(t, err)
		defer func() { _ = tx.Rollback(ctx) }()
		if err := pgstore.SaveCheckpoint(ctx, tx, name, from, to); err != nil {
			return err
		}
		return tx.Commit(ctx)
	}
	require.NoError(t, save("m", 0, 5))
	require.ErrorIs(t, save("m", 0, 7), interaction.ErrConflict, "not at 0 any more")
	require.ErrorIs(t, save("m", 4, 7), interaction.ErrConflict)
	require.ErrorIs(t, save("m", 5, 3), interaction.ErrBadInput, "backwards")
	require.ErrorIs(t, save("never", 3, 4), interaction.ErrConflict, "a checkpoint never saved is at 0")
	require.NoError(t, save("m", 5, 9))
	pos, err := pgstore.LoadCheckpoint(ctx, pool, "m")
	require.NoError(t, err)
	assert.EqualValues(t, 9, pos)
	pos, err = pgstore.LoadCheckpoint(ctx, pool, "never")
	require.NoError(t, err)
	assert.Zero(t, pos)

	// Rolled back with its transaction.
	tx, err := pool.Begin(ctx)
	require.NoError(t, err)
	require.NoError(t, pgstore.SaveCheckpoint(ctx, tx, "m", 9, 12))
	require.NoError(t, tx.Rollback(ctx))
	pos, err = pgstore.LoadCheckpoint(ctx, pool, "m")
	require.NoError(t, err)
	assert.EqualValues(t, 9, pos)
}

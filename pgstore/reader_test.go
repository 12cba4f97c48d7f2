package pgstore_test

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/pgstore"
)

// Positions are taken from transaction IDs, which say nothing about the
// order of commits (migrations/0009_one_round_trip.sql). Here 8 writers,
// each with a transaction of its own per append, hold every transaction
// open for a random 0-4 ms before its COMMIT, so transactions commit out
// of the order of their positions (the test checks that they did). A
// reader polling ReadAll from its last position and a follower
// (interaction.FollowLog on a Listener) both end with every event, each
// once, in position order: neither skipped a position committed late.
func TestReaderNeverSkipsPositionsCommittedOutOfOrder(t *testing.T) {
	s := newSchema(t)
	st, err := pgstore.New(ctx, s.pool(t, nil), pgstore.WithWriters(8), pgstore.WithMaxBatch(1))
	require.NoError(t, err)
	t.Cleanup(st.Close)
	var mu sync.Mutex
	seed := rand.New(rand.NewPCG(15, 8))
	pgstore.SetBeforeCommit(st, func() {
		mu.Lock()
		d := time.Duration(seed.IntN(4000)) * time.Microsecond
		mu.Unlock()
		time.Sleep(d)
	})
	listener := st.Listen()
	t.Cleanup(listener.Close)
	follower := interaction.FollowLog(listener, 0)

	const writers, appends = 8, 40
	var (
		wg        sync.WaitGroup
		committed []uint64 // first positions, in the order the appends returned
	)
	errs := make(chan error, writers)
	done := make(chan struct{})
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := interaction.ID(fmt.Sprintf("w%d", w))
			for i := 0; i < appends; i++ {
				evs := []interaction.Event{message(id, uint64(i+1), fmt.Sprintf("%s-%d", id, i))}
				if i == 0 {
					evs = []interaction.Event{opened(id, fmt.Sprintf("%s-%d", id, i))}
				}
				if err := st.Append(ctx, id, uint64(i), evs); err != nil {
					errs <- err
					return
				}
				mu.Lock()
				committed = append(committed, evs[0].Position)
				mu.Unlock()
			}
		}()
	}
	go func() { wg.Wait(); close(done) }()

	var seen []interaction.Event
	var after uint64
	for finished := false; ; {
		select {
		case <-done:
			finished = true
		default:
		}
		page, err := st.ReadAll(ctx, after, 7)
		require.NoError(t, err)
		for _, ev := range page {
			require.Greater(t, ev.Position, after, "positions grow")
			after = ev.Position
		}
		seen = append(seen, page...)
		if finished && len(page) == 0 {
			break
		}
	}
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	all, err := st.ReadAll(ctx, 0, 0)
	require.NoError(t, err)
	require.Len(t, all, writers*appends)
	require.Equal(t, positions(all), positions(seen), "the polling reader saw every event, once, in order")
	requireSamePositions(t, all, followN(t, follower, len(all)))

	// Out of order: an append that returned after another had taken a
	// lower position.
	inversions := 0
	for i := 1; i < len(committed); i++ {
		if committed[i] < committed[i-1] {
			inversions++
		}
	}
	t.Logf("%d of %d commits came after a commit of a higher position", inversions, len(committed))
	assert.Positive(t, inversions, "the transactions committed out of position order")
	assert.True(t, sort.SliceIsSorted(all, func(i, j int) bool { return all[i].Position < all[j].Position }))
}

func positions(events []interaction.Event) []uint64 {
	out := make([]uint64, len(events))
	for i := range events {
		out[i] = events[i].Position
	}
	return out
}

// After a logical restore into a new cluster the server's transaction IDs
// start again low, which would give new events positions below the
// restored ones (watermill #576). Simulated here by lowering xid_offset:
// New raises it again, and the next append lands above every stored
// position.
func TestNewRaisesThePositionOffsetAfterARestore(t *testing.T) {
	s := newSchema(t)
	pool := s.pool(t, nil)
	st := newStore(t, pool)
	require.NoError(t, st.Append(ctx, "a", 0, []interaction.Event{opened("a", "a-0")}))
	before, err := st.ReadAll(ctx, 0, 0)
	require.NoError(t, err)
	st.Close()

	_, err = pool.Exec(ctx, `UPDATE chatconsult_log_head SET xid_offset = xid_offset - 1000000`)
	require.NoError(t, err)
	st = newStore(t, pool)
	evs := []interaction.Event{opened("b", "b-0")}
	require.NoError(t, st.Append(ctx, "b", 0, evs))
	assert.Greater(t, evs[0].Position, before[len(before)-1].Position, "above the restored log")
	page, err := st.ReadAll(ctx, before[len(before)-1].Position, 0)
	require.NoError(t, err)
	require.Len(t, page, 1, "a reader resuming after the restored log finds the new event")
}

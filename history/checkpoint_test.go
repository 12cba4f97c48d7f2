package history_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/history"
	"github.com/chatconsult/chatconsult/interaction"
)

// countingLog counts the events ReadAll hands out and the position it is
// first asked to read after.
type countingLog struct {
	log   interaction.Log
	read  int
	after []uint64
}

func (c *countingLog) ReadAll(ctx context.Context, after uint64, limit int) ([]interaction.Event, error) {
	c.after = append(c.after, after)
	events, err := c.log.ReadAll(ctx, after, limit)
	c.read += len(events)
	return events, err
}

// A Projection keeps its position: Replay resumes from its Checkpoint and
// reads only the events written since, not the whole log again (R-X5).
// A Projection made anew has nothing to resume from and reads the log
// from position 0; one restored from a snapshot (ReadSnapshot, Restore:
// its state saved with its position, in one write) resumes from the
// snapshot's checkpoint (snapshot_test.go; on PostgreSQL,
// pgstore.HistoryFollower).
func TestReplayResumesFromItsCheckpointAndReadsOnlyWhatFollows(t *testing.T) {
	d := newDesk(t)
	first := d.chat("contact1", "agent1")
	d.consult(first, "agent1", "agent2")
	d.finish(first, "agent1", "agent1", "agent2")
	d.chat("contact2", "agent2")

	log := &countingLog{log: d.store}
	p := history.New()
	require.NoError(t, p.Replay(ctx, log))
	before, err := d.store.ReadAll(ctx, 0, 0)
	require.NoError(t, err)
	require.Equal(t, len(before), log.read, "a new Projection reads the whole log")
	saved := p.Checkpoint()
	require.Equal(t, before[len(before)-1].Position, saved)

	third := d.chat("contact3", "agent1")
	require.NoError(t, d.chats.Post(ctx, third, "contact3", "Thanks"))
	since, err := d.store.ReadAll(ctx, saved, 0)
	require.NoError(t, err)
	require.NotEmpty(t, since)

	log.read, log.after = 0, nil
	require.NoError(t, p.Replay(ctx, log))
	assert.Equal(t, len(since), log.read, "only the events written since the checkpoint are read")
	assert.Equal(t, saved, log.after[0], "from the saved checkpoint")
	assert.Equal(t, since[len(since)-1].Position, p.Checkpoint())

	// The result is the same as a Projection built from the whole log.
	whole, err := history.Rebuild(ctx, d.store)
	require.NoError(t, err)
	for _, agent := range []interaction.PartyID{"agent1", "agent2"} {
		want, err := whole.MyHistory(ctx, agent, history.Query{})
		require.NoError(t, err)
		got, err := p.MyHistory(ctx, agent, history.Query{})
		require.NoError(t, err)
		assert.Equal(t, want, got, agent)
	}
	log.read = 0
	require.NoError(t, p.Replay(ctx, log))
	assert.Zero(t, log.read, "caught up: nothing to read")
}

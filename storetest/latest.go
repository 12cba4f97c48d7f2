package storetest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/interaction"
)

// A StreamReader hands back exactly the events after a version.
func testLoadFrom(t *testing.T, st interaction.Store) {
	sr, ok := st.(interaction.StreamReader)
	if !ok {
		t.Skipf("%T does not implement interaction.StreamReader", st)
	}
	events := messages("from", 0, 5, "c")
	require.NoError(t, st.Append(ctx, "from", 0, events))
	for _, after := range []uint64{0, 2, 5, 9} {
		got, err := sr.LoadFrom(ctx, "from", after)
		require.NoError(t, err)
		var want []interaction.Event
		for _, ev := range events {
			if ev.Version > after {
				want = append(want, ev)
			}
		}
		requireSameEvents(t, want, got, "after %d", after)
	}
	got, err := sr.LoadFrom(ctx, "no-such-chat", 0)
	require.NoError(t, err)
	assert.Empty(t, got)
}

// Reads that see other instances' writes (issue 13): instance a, reading
// at the latest version, includes instance b's write as soon as b's
// command returned; a plain reader's cache may lag until Sync.
func testReadLatestAcrossInstances(t *testing.T, st interaction.Store) {
	clock := chatconsulttest.NewManualClock()
	a := interaction.NewService(interaction.WithStore(st), interaction.WithClock(clock), interaction.WithReadLatest(),
		interaction.WithIDs(chatconsulttest.NewSequentialIDs("a-")), interaction.WithNotifier(interaction.NopNotifier{}))
	cached := interaction.NewService(interaction.WithStore(st), interaction.WithClock(clock),
		interaction.WithIDs(chatconsulttest.NewSequentialIDs("c-")), interaction.WithNotifier(interaction.NopNotifier{}))
	b := interaction.NewService(interaction.WithStore(st), interaction.WithClock(clock),
		interaction.WithIDs(chatconsulttest.NewSequentialIDs("b-")), interaction.WithNotifier(interaction.NopNotifier{}))

	id, err := a.Open(ctx, "contact", "hello")
	require.NoError(t, err)
	require.NoError(t, a.Assign(ctx, id, interaction.System, "agent1"))
	require.NoError(t, a.Join(ctx, id, "agent1"))
	_, err = cached.View(ctx, id, "contact") // both caches hold the chat now
	require.NoError(t, err)

	require.NoError(t, b.Post(ctx, id, "agent1", "written through b"))
	v, err := a.View(ctx, id, "contact")
	require.NoError(t, err)
	require.Len(t, v.Messages, 2, "a reads at the latest version: b's write is there")
	assert.Equal(t, "written through b", v.Messages[1].Text)

	stale, err := cached.View(ctx, id, "contact")
	require.NoError(t, err)
	assert.Len(t, stale.Messages, 1, "a plain cache may lag another instance's write")
	require.NoError(t, cached.Sync(ctx, id))
	v, err = cached.View(ctx, id, "contact")
	require.NoError(t, err)
	assert.Len(t, v.Messages, 2, "after Sync it has caught up")
	assert.ErrorIs(t, cached.Sync(ctx, "no-such-chat"), interaction.ErrNotFound)
}

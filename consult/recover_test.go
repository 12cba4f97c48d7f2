package consult_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/interaction"
)

// A Service started after invitations went out (a restart) learns their
// deadlines from the stored states of the open interactions (Sync), not
// from the whole log: each times out when it would have, at once when
// that moment has passed during the restart (issue 13).
func TestSyncArmsTheTimeOutsOfPendingInvitations(t *testing.T) {
	d := newDesk(t)
	leg := d.consult("agent1", "agent2")
	d.clock.Advance(10 * time.Second)
	req, err := d.svc.TransferTo(ctx, d.id, "agent1", agent("agent3"))
	require.NoError(t, err)

	// The restarted process: a clock of its own (the old timers are gone),
	// 25 s later than the leg's offer.
	clock := chatconsulttest.NewManualClock()
	clock.Advance(25 * time.Second)
	chats := interaction.NewService(interaction.WithStore(d.store), interaction.WithClock(clock),
		interaction.WithIDs(chatconsulttest.NewSequentialIDs("restarted-")))
	svc := consult.New(chats, consult.WithInviteTimeout(30*time.Second))
	n, err := chats.Recover(ctx, svc.Sync)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Equal(t, 1, clock.Pending(), "the Scheduler arms the clock once, for the earliest of the two deadlines")

	clock.Advance(4 * time.Second)
	assert.Equal(t, interaction.LegInviting, stateOf(t, chats, d.id).Leg(leg).State)
	clock.Advance(time.Second)
	assert.Equal(t, interaction.LegTimedOut, stateOf(t, chats, d.id).Leg(leg).State, "30 s after the offer")
	assert.Equal(t, interaction.RequestPending, stateOf(t, chats, d.id).Request(req).State)
	clock.Advance(10 * time.Second)
	assert.Equal(t, interaction.RequestTimedOut, stateOf(t, chats, d.id).Request(req).State, "30 s after the request")

	// Past due when the process comes back: it times out at once.
	late := d.consult("agent1", "agent4")
	clock = chatconsulttest.NewManualClock()
	clock.Advance(time.Hour)
	chats = interaction.NewService(interaction.WithStore(d.store), interaction.WithClock(clock),
		interaction.WithIDs(chatconsulttest.NewSequentialIDs("again-")))
	svc = consult.New(chats, consult.WithInviteTimeout(30*time.Second))
	_, err = chats.Recover(ctx, svc.Sync)
	require.NoError(t, err)
	clock.Advance(0)
	assert.Equal(t, interaction.LegTimedOut, stateOf(t, chats, d.id).Leg(late).State)
}

func stateOf(t *testing.T, chats *interaction.Service, id interaction.ID) *interaction.State {
	t.Helper()
	st, err := chats.State(ctx, id)
	require.NoError(t, err)
	return st
}

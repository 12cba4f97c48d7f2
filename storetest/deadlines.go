package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/interaction"
)

// DeadlineSetup is one wiring of a deadline queue (issue 13): the Store
// the commands append to, the Notifier that tells the queue of committed
// events when it learns from notifications (nil when it learns from the
// Store's appends, as a database table does), and the queue.
type DeadlineSetup struct {
	Store    interaction.Store
	Notifier interaction.Notifier
	Queue    interaction.DeadlineQueue
}

// NewDeadlineSetup makes a fresh setup for one subtest.
type NewDeadlineSetup func(t *testing.T) DeadlineSetup

// TestDeadlineQueue runs the conformance suite of interaction.DeadlineQueue
// implementations: deadlines are data in the Store, so the queue holds
// exactly the deadlines of the pending invitations; a claim is exclusive
// for its lease and taken again after it; Done drops one, twice is no
// error; an answered invitation or a closed interaction leaves nothing.
func TestDeadlineQueue(t *testing.T, setup NewDeadlineSetup) {
	tests := []struct {
		name string
		run  func(*testing.T, DeadlineSetup)
	}{
		{"RX1PendingInvitationIsDueAtItsDeadline", testDeadlineDue},
		{"RX1AnsweredInvitationLeavesNothing", testDeadlineAnswered},
		{"RX1ClaimIsExclusiveForItsLease", testDeadlineLease},
		{"RX1DoneDropsItOnce", testDeadlineDone},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, setup(t)) })
	}
}

const deadlineTimeout = 30 * time.Second

// invited opens a chat owned by agent1 and invites agent2 to a
// consultation with a deadline; it returns the chats, the clock, the
// interaction and the leg.
func invited(t *testing.T, s DeadlineSetup) (*interaction.Service, *chatconsulttest.ManualClock, interaction.ID, interaction.LegID) {
	t.Helper()
	clock := chatconsulttest.NewManualClock()
	notifier := s.Notifier
	if notifier == nil {
		notifier = interaction.NopNotifier{}
	}
	chats := interaction.NewService(interaction.WithStore(s.Store), interaction.WithClock(clock),
		interaction.WithIDs(chatconsulttest.NewSequentialIDs("dl-")), interaction.WithNotifier(notifier))
	id, err := chats.Open(ctx, "contact", "hello")
	require.NoError(t, err)
	require.NoError(t, chats.Assign(ctx, id, interaction.System, "agent1"))
	require.NoError(t, chats.Join(ctx, id, "agent1"))
	_, err = chats.Execute(ctx, id, "agent1", "", consult.Start{Leg: "leg-1", Target: interaction.Target{Kind: interaction.TargetAgent, ID: "agent2"},
		Invitee: "agent2", Timeout: deadlineTimeout})
	require.NoError(t, err)
	return chats, clock, id, "leg-1"
}

func testDeadlineDue(t *testing.T, s DeadlineSetup) {
	_, clock, id, leg := invited(t, s)
	due := clock.Now().Add(deadlineTimeout)
	at, ok, err := s.Queue.Next(ctx)
	require.NoError(t, err)
	require.True(t, ok, "the invitation's deadline is in the queue")
	assert.True(t, at.Equal(due), "due %s, want %s", at, due)

	early, err := s.Queue.Claim(ctx, due.Add(-time.Second), time.Minute, 10)
	require.NoError(t, err)
	assert.Empty(t, early, "nothing is due before its deadline")
	got, err := s.Queue.Claim(ctx, due, time.Minute, 10)
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, id, got[0].Interaction)
	assert.Equal(t, interaction.InvitationID(leg), got[0].Invitation)
	assert.Equal(t, interaction.DeadlineLeg, got[0].Kind)
	assert.True(t, got[0].Due.Equal(due))
}

func testDeadlineAnswered(t *testing.T, s DeadlineSetup) {
	chats, clock, id, leg := invited(t, s)
	_, err := chats.Execute(ctx, id, "agent2", "", consult.Accept{Leg: leg})
	require.NoError(t, err)
	got, err := s.Queue.Claim(ctx, clock.Now().Add(time.Hour), time.Minute, 10)
	require.NoError(t, err)
	assert.Empty(t, got, "an accepted invitation has no deadline")
	_, ok, err := s.Queue.Next(ctx)
	require.NoError(t, err)
	assert.False(t, ok, "the queue is empty")
}

func testDeadlineLease(t *testing.T, s DeadlineSetup) {
	_, clock, _, _ := invited(t, s)
	now := clock.Now().Add(deadlineTimeout)
	first, err := s.Queue.Claim(ctx, now, time.Minute, 10)
	require.NoError(t, err)
	require.Len(t, first, 1)
	second, err := s.Queue.Claim(ctx, now.Add(30*time.Second), time.Minute, 10)
	require.NoError(t, err)
	assert.Empty(t, second, "claimed by another instance for its lease")
	at, ok, err := s.Queue.Next(ctx)
	require.NoError(t, err)
	require.True(t, ok)
	assert.True(t, at.Equal(now.Add(time.Minute)), "next: the end of the lease, %s", at)
	again, err := s.Queue.Claim(ctx, now.Add(time.Minute), time.Minute, 10)
	require.NoError(t, err)
	assert.Len(t, again, 1, "a claim whose holder died is taken again once its lease ran out")
}

func testDeadlineDone(t *testing.T, s DeadlineSetup) {
	_, clock, _, _ := invited(t, s)
	got, err := s.Queue.Claim(ctx, clock.Now().Add(deadlineTimeout), time.Minute, 10)
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.NoError(t, s.Queue.Done(ctx, got[0]))
	require.NoError(t, s.Queue.Done(ctx, got[0]), "dropping one that is gone is no error")
	left, err := s.Queue.Claim(ctx, clock.Now().Add(time.Hour), time.Minute, 10)
	require.NoError(t, err)
	assert.Empty(t, left)
}

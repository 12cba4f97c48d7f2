package interaction_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/interaction"
)

// deadlineActs: agent1 invites agent2 (leg1, due in 30 s) and agent3 (leg2,
// due in 60 s) to consultations.
var deadlineActs = append(append([]act{}, chatActs...),
	act{"agent1", consult.Start{Leg: "leg1", Target: interaction.Target{ID: "agent2"}, Invitee: "agent2", Timeout: 30 * time.Second}},
	act{"agent1", consult.Start{Leg: "leg2", Target: interaction.Target{ID: "agent3"}, Invitee: "agent3", Timeout: time.Minute}},
)

func TestDeadlinesAreStateDerivedFromTheLog(t *testing.T) {
	log := written(t, deadlineActs...)
	st, err := interaction.Rebuild(log)
	require.NoError(t, err)
	ds := st.Deadlines()
	require.Len(t, ds, 2)
	at := chatconsulttest.Epoch
	assert.Equal(t, interaction.Deadline{Interaction: "chat-1", Invitation: "leg1", Kind: interaction.DeadlineLeg, Due: at.Add(30 * time.Second)}, ds[0])
	assert.Equal(t, at.Add(time.Minute), ds[1].Due)
	assert.Equal(t, "deadline/leg1/leg", ds[0].CommandID())

	set, ended := interaction.DeadlineChanges(log)
	assert.Equal(t, ds, set)
	assert.Empty(t, ended)
	// The accept ends leg1's invitation and its deadline.
	more := written(t, append(append([]act{}, deadlineActs...), act{"agent2", consult.Accept{Leg: "leg1"}})...)
	set, ended = interaction.DeadlineChanges(more[len(log):])
	assert.Empty(t, set)
	assert.Equal(t, []interaction.Deadline{{Interaction: "chat-1", Invitation: "leg1", Kind: interaction.DeadlineLeg}}, ended)
	st, err = interaction.Rebuild(more)
	require.NoError(t, err)
	assert.Equal(t, ds[1:], st.Deadlines(), "an answered invitation has no deadline left")
}

func TestMemoryDeadlinesClaimLeaseAndOrder(t *testing.T) {
	ctx := context.Background()
	log := written(t, deadlineActs...)
	q := interaction.NewMemoryDeadlines()
	_, ok, err := q.Next(ctx)
	require.NoError(t, err)
	assert.False(t, ok, "empty")
	q.Notify(ctx, nil, log)
	at := chatconsulttest.Epoch
	next, ok, err := q.Next(ctx)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, at.Add(30*time.Second), next)

	got, err := q.Claim(ctx, at.Add(29*time.Second), time.Minute, 0)
	require.NoError(t, err)
	assert.Empty(t, got, "nothing due before its deadline")
	got, err = q.Claim(ctx, at.Add(2*time.Minute), 10*time.Second, 0)
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, interaction.InvitationID("leg1"), got[0].Invitation, "earliest first")
	again, err := q.Claim(ctx, at.Add(2*time.Minute), 10*time.Second, 0)
	require.NoError(t, err)
	assert.Empty(t, again, "claimed: nobody else gets them during the lease")
	next, _, _ = q.Next(ctx)
	assert.Equal(t, at.Add(2*time.Minute+10*time.Second), next, "next is the end of the lease")
	again, err = q.Claim(ctx, at.Add(2*time.Minute+10*time.Second), 10*time.Second, 1)
	require.NoError(t, err)
	require.Len(t, again, 1, "a claim that ran out (its claimer died) is claimed again; limit 1")
	require.NoError(t, q.Done(ctx, got[0]))
	require.NoError(t, q.Done(ctx, got[0]), "done twice is no error")
	assert.Equal(t, 1, q.Len())
}

// Notifications of one interaction may arrive out of order (two instances
// commit at once): an older command's events never bring back a deadline
// a newer one ended.
func TestMemoryDeadlinesIgnoreOlderNotifications(t *testing.T) {
	ctx := context.Background()
	log := written(t, append(append([]act{}, deadlineActs...), act{"agent2", consult.Accept{Leg: "leg1"}})...)
	q := interaction.NewMemoryDeadlines()
	n := len(log)
	// The accept is heard of first, then the invitations.
	q.Notify(ctx, nil, log[n-2:])
	q.Notify(ctx, nil, log[:n-2])
	assert.Equal(t, 0, q.Len(), "the invitations are older than the accept already applied")
	q.Notify(ctx, nil, log[:n-2])
	assert.Equal(t, 0, q.Len())

	q2 := interaction.NewMemoryDeadlines()
	q2.Notify(ctx, nil, log[:n-2])
	q2.Notify(ctx, nil, log[:n-2]) // delivered again
	assert.Equal(t, 2, q2.Len())
	q2.Notify(ctx, nil, log[n-2:])
	assert.Equal(t, 1, q2.Len())
}

func TestMemoryDeadlinesRecoverFromTheLog(t *testing.T) {
	ctx := context.Background()
	svc := interaction.NewService(interaction.WithClock(chatconsulttest.NewManualClock()), interaction.WithIDs(chatconsulttest.NewSequentialIDs("r-")))
	for _, a := range deadlineActs {
		_, err := svc.Do(ctx, "chat-1", a.actor, a.cmd)
		require.NoError(t, err)
	}
	_, err := svc.Do(ctx, "chat-1", "agent2", consult.Accept{Leg: "leg1"})
	require.NoError(t, err)
	q := interaction.NewMemoryDeadlines()
	require.NoError(t, q.Recover(ctx, svc.Store().(interaction.Log)))
	got, err := q.Claim(ctx, chatconsulttest.Epoch.Add(time.Hour), time.Minute, 0)
	require.NoError(t, err)
	require.Len(t, got, 1, "only the invitation still pending")
	assert.Equal(t, interaction.InvitationID("leg2"), got[0].Invitation)
}

// The Scheduler keeps one timer at the queue's next deadline, fires what is
// due on the clock's time, re-arms for what comes next, and retries a
// deadline whose fire failed once its lease ran out.
func TestSchedulerFiresOnTheClock(t *testing.T) {
	ctx := context.Background()
	clock := chatconsulttest.NewManualClock()
	q := interaction.NewMemoryDeadlines()
	var mu sync.Mutex
	var fired []interaction.InvitationID
	failures := 1
	s := interaction.NewScheduler(q, clock, func(_ context.Context, d interaction.Deadline) error {
		mu.Lock()
		defer mu.Unlock()
		assert.False(t, clock.Now().Before(d.Due), "never before its deadline")
		if d.Invitation == "leg2" && failures > 0 {
			failures--
			return errors.New("store down")
		}
		fired = append(fired, d.Invitation)
		return nil
	}, interaction.WithLease(5*time.Second))
	q.Notify(ctx, nil, written(t, deadlineActs...))
	assert.Equal(t, 1, clock.Pending(), "one timer")
	assert.Equal(t, chatconsulttest.Epoch.Add(30*time.Second), s.Armed())
	clock.Advance(30 * time.Second)
	assert.Equal(t, []interaction.InvitationID{"leg1"}, fired)
	assert.Equal(t, chatconsulttest.Epoch.Add(time.Minute), s.Armed(), "re-armed for the next")
	clock.Advance(30 * time.Second)
	assert.Equal(t, []interaction.InvitationID{"leg1"}, fired, "leg2's fire failed")
	clock.Advance(5 * time.Second)
	assert.Equal(t, []interaction.InvitationID{"leg1", "leg2"}, fired, "fired again once the lease ran out")
	assert.Zero(t, q.Len())
	assert.Zero(t, clock.Pending(), "nothing left to arm")
	s.Stop()
	other := written(t, deadlineActs...)
	for i := range other {
		other[i].Interaction = "chat-2"
	}
	q.Notify(ctx, nil, other)
	assert.Equal(t, 2, q.Len())
	assert.Zero(t, clock.Pending(), "a stopped Scheduler arms nothing")
}

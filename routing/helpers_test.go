package routing_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/routing"
)

var ctx = context.Background()

const timeout = 30 * time.Second

// desk is the whole stack as users wire it: the Directory is the Router of
// the consult.Service and a Notifier of the interaction.Service.
type desk struct {
	t         testing.TB
	clock     *chatconsulttest.ManualClock
	dir       *routing.Directory
	chats     *interaction.Service
	svc       *consult.Service
	exhausted []consult.Exhausted
}

func newDesk(t testing.TB, opts ...routing.Option) *desk {
	d := &desk{t: t, clock: chatconsulttest.NewManualClock()}
	d.dir = routing.NewDirectory(append([]routing.Option{routing.WithClock(d.clock)}, opts...)...)
	d.chats = interaction.NewService(interaction.WithClock(d.clock),
		interaction.WithIDs(chatconsulttest.NewSequentialIDs("id-")),
		interaction.WithNotifier(interaction.Notifiers{d.dir, interaction.NewMemoryNotifier()}))
	d.svc = consult.New(d.chats, consult.WithRouter(d.dir), consult.WithInviteTimeout(timeout),
		consult.WithExhaustedHandler(func(_ context.Context, e consult.Exhausted) { d.exhausted = append(d.exhausted, e) }))
	d.dir.RescindWith(d.svc)
	return d
}

// agent registers a ready agent; tick moves the clock one second first so
// that agents registered one after the other have distinct idle times.
func (d *desk) agent(a routing.Agent) {
	d.t.Helper()
	d.clock.Advance(time.Second)
	require.NoError(d.t, d.dir.Put(a))
	require.NoError(d.t, d.dir.SetPresence(ctx, a.ID, routing.Ready))
}

// chat opens an interaction whose owner is owner (the contact is "c-"+owner+n).
func (d *desk) chat(owner interaction.PartyID) interaction.ID {
	d.t.Helper()
	id, err := d.chats.Open(ctx, "contact-of-"+owner, "Hello")
	require.NoError(d.t, err)
	require.NoError(d.t, d.chats.Assign(ctx, id, interaction.System, owner))
	require.NoError(d.t, d.chats.Join(ctx, id, owner))
	return id
}

func (d *desk) status(id interaction.PartyID) routing.AgentStatus {
	d.t.Helper()
	s, ok := d.dir.Agent(id)
	require.True(d.t, ok, "agent %s", id)
	return s
}

func (d *desk) state(id interaction.ID) *interaction.State {
	d.t.Helper()
	st, err := d.chats.State(ctx, id)
	require.NoError(d.t, err)
	return st
}

func skill(id string) interaction.Target {
	return interaction.Target{Kind: interaction.TargetSkill, ID: id}
}
func group(id string) interaction.Target {
	return interaction.Target{Kind: interaction.TargetGroup, ID: id}
}
func queue(id string) interaction.Target {
	return interaction.Target{Kind: interaction.TargetQueue, ID: id}
}
func named(id string) interaction.Target {
	return interaction.Target{Kind: interaction.TargetAgent, ID: id}
}

func billing(id interaction.PartyID) routing.Agent {
	return routing.Agent{ID: id, Skills: map[string]int{"billing": 1}}
}

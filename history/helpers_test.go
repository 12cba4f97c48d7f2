package history_test

import (
	"context"
	"strings"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/history"
	"github.com/chatconsult/chatconsult/interaction"
)

var ctx = context.Background()

// desk is a contact center on the in-memory Store whose history is kept
// live: the Projection is the Service's Notifier.
type desk struct {
	t     rapid.TB
	clock *chatconsulttest.ManualClock
	store *interaction.MemoryStore
	chats *interaction.Service
	svc   *consult.Service
	live  *history.Projection
}

func newDesk(t rapid.TB) *desk {
	t.Helper()
	d := &desk{t: t, clock: chatconsulttest.NewManualClock(), store: interaction.NewMemoryStore(), live: history.New(history.WithSnapshots())}
	d.chats = interaction.NewService(interaction.WithSupervision(interaction.AnyoneMaySupervise), interaction.WithStore(d.store), interaction.WithClock(d.clock),
		interaction.WithIDs(chatconsulttest.NewSequentialIDs("id-")), interaction.WithNotifier(d.live))
	d.svc = consult.New(d.chats, consult.WithInviteTimeout(30*time.Second))
	return d
}

func agent(id string) interaction.Target {
	return interaction.Target{Kind: interaction.TargetAgent, ID: id}
}

// chat opens a chat for contact, which owner takes, and both say hello.
func (d *desk) chat(contact, owner interaction.PartyID) interaction.ID {
	d.t.Helper()
	id, err := d.chats.Open(ctx, contact, "Hello, my invoice is wrong")
	require.NoError(d.t, err)
	d.clock.Advance(5 * time.Second)
	require.NoError(d.t, d.chats.Assign(ctx, id, interaction.System, owner))
	require.NoError(d.t, d.chats.Join(ctx, id, owner))
	d.clock.Advance(5 * time.Second)
	require.NoError(d.t, d.chats.Post(ctx, id, owner, "Hi, I am looking into it"))
	return id
}

// consult starts a consultation that target accepts, and both talk in it.
func (d *desk) consult(id interaction.ID, owner, target interaction.PartyID) interaction.LegID {
	d.t.Helper()
	leg, err := d.svc.Start(ctx, id, owner, agent(string(target)), interaction.MediumChat)
	require.NoError(d.t, err)
	d.clock.Advance(4 * time.Second)
	require.NoError(d.t, d.svc.Accept(ctx, id, target, leg))
	require.NoError(d.t, d.svc.Say(ctx, id, owner, leg, "consultation: may I refund this invoice?"))
	d.clock.Advance(10 * time.Second)
	require.NoError(d.t, d.svc.Say(ctx, id, target, leg, "consultation: yes, up to 50 EUR"))
	return leg
}

// finish ends the session (actor) and has every agent mark done.
func (d *desk) finish(id interaction.ID, actor interaction.PartyID, agents ...interaction.PartyID) {
	d.t.Helper()
	d.clock.Advance(20 * time.Second)
	require.NoError(d.t, d.chats.EndSession(ctx, id, actor))
	d.clock.Advance(30 * time.Second)
	for _, a := range agents {
		require.NoError(d.t, d.chats.MarkDone(ctx, id, a))
	}
}

func (d *desk) state(id interaction.ID) *interaction.State {
	d.t.Helper()
	st, err := d.chats.State(ctx, id)
	require.NoError(d.t, err)
	return st
}

// rebuilt is a Projection built from scratch from the Store.
func (d *desk) rebuilt() *history.Projection {
	d.t.Helper()
	p, err := history.Rebuild(ctx, d.store)
	require.NoError(d.t, err)
	return p
}

func myHistory(t rapid.TB, p *history.Projection, a interaction.PartyID) []history.Entry {
	t.Helper()
	return allPages(t, func(cur string) (history.Page[history.Entry], error) {
		return p.MyHistory(ctx, a, history.Query{Cursor: cur, Limit: 3})
	})
}

func contactHistory(t rapid.TB, p *history.Projection, c interaction.PartyID) []history.Entry {
	t.Helper()
	return allPages(t, func(cur string) (history.Page[history.Entry], error) {
		return p.ContactHistory(ctx, c, history.Query{Cursor: cur, Limit: 3})
	})
}

func activity(t rapid.TB, p *history.Projection) []history.Activity {
	t.Helper()
	return allPages(t, func(cur string) (history.Page[history.Activity], error) {
		return p.Activity(ctx, history.Query{Cursor: cur, Limit: 3})
	})
}

func allPages[T any](t rapid.TB, page func(string) (history.Page[T], error)) []T {
	t.Helper()
	var out []T
	cur := ""
	for range 10000 {
		pg, err := page(cur)
		require.NoError(t, err)
		out = append(out, pg.Items...)
		if pg.Next == "" {
			return out
		}
		cur = pg.Next
	}
	t.Fatal("paging does not end")
	return nil
}

// consultationMessages returns the messages of msgs that belong to a
// consultation (scope leg) or carry a consultation's words.
func consultationMessages(msgs []interaction.Message) []interaction.Message {
	var out []interaction.Message
	for _, m := range msgs {
		if m.Scope.Kind == interaction.ScopeLeg || strings.Contains(m.Text, "consultation:") {
			out = append(out, m)
		}
	}
	return out
}

func texts(msgs []interaction.Message) []string {
	out := make([]string, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, string(m.Author)+": "+m.Text)
	}
	return out
}

// snapshot is everything a Projection answers about a set of parties and
// interactions, to compare two projections.
type snapshot struct {
	My       map[interaction.PartyID][]history.Entry
	Contacts map[interaction.PartyID][]history.Entry
	Activity []history.Activity
	Metrics  map[interaction.ID]history.InteractionMetrics
	Agents   map[interaction.PartyID]history.AgentMetrics
	Totals   history.Totals
	Exports  map[string]history.Export
}

func snap(t rapid.TB, p *history.Projection, agents, contacts []interaction.PartyID) snapshot {
	t.Helper()
	s := snapshot{
		My: map[interaction.PartyID][]history.Entry{}, Contacts: map[interaction.PartyID][]history.Entry{},
		Metrics: map[interaction.ID]history.InteractionMetrics{}, Agents: map[interaction.PartyID]history.AgentMetrics{},
		Exports: map[string]history.Export{},
	}
	for _, a := range agents {
		s.My[a] = myHistory(t, p, a)
		m, err := p.AgentMetrics(ctx, a, history.Query{})
		require.NoError(t, err)
		s.Agents[a] = m
	}
	for _, c := range contacts {
		s.Contacts[c] = contactHistory(t, p, c)
	}
	s.Activity = activity(t, p)
	var err error
	s.Totals, err = p.Totals(ctx, history.Query{})
	require.NoError(t, err)
	for _, a := range s.Activity {
		m, err := p.InteractionMetrics(ctx, a.Interaction)
		require.NoError(t, err)
		s.Metrics[a.Interaction] = m
		for _, party := range append(append([]interaction.PartyID{}, agents...), contacts...) {
			x, err := p.Export(ctx, a.Interaction, party)
			if err == nil {
				s.Exports[string(a.Interaction)+"/"+string(party)] = x
			} else {
				require.ErrorIs(t, err, interaction.ErrNotPermitted)
			}
		}
	}
	return s
}

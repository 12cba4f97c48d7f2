package history_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/history"
	"github.com/chatconsult/chatconsult/interaction"
)

// seedStart is the seed's starting point: Agent1 already has one earlier
// interaction in its My History, and now "the contact is with Agent1".
func seedStart(t *testing.T) (*desk, interaction.ID) {
	d := newDesk(t)
	earlier := d.chat("earlier-contact", "Agent1")
	d.finish(earlier, "Agent1", "Agent1")
	require.Len(t, myHistory(t, d.live, "Agent1"), 1)
	require.Empty(t, myHistory(t, d.live, "Agent2"))
	d.clock.Advance(time.Minute)
	return d, d.chat("contact", "Agent1")
}

// checkNoConsultation asserts that no history view of any party holds a
// consultation message (R-H2).
func checkNoConsultation(t *testing.T, p *history.Projection, parties ...interaction.PartyID) {
	t.Helper()
	for _, who := range parties {
		for _, e := range myHistory(t, p, who) {
			assert.Empty(t, consultationMessages(e.Transcript), "R-H2: My History of %s", who)
		}
		for _, e := range contactHistory(t, p, who) {
			assert.Empty(t, consultationMessages(e.Transcript), "R-H2: contact history of %s", who)
		}
	}
}

// R-H4, word for word: "the contact is with Agent1; Agent1 consults
// Agent2. Then Agent1's My History has 1 new entry, without the
// consultation transcript; Agent2's My History has no entry."
func TestRH4SeedExample(t *testing.T) {
	d, id := seedStart(t)
	d.consult(id, "Agent1", "Agent2")
	require.NoError(t, d.svc.EndConsultation(ctx, id, "Agent1", d.state(id).Legs[0].ID))
	d.finish(id, "Agent1", "Agent1", "Agent2")
	require.Equal(t, interaction.StatusClosed, d.state(id).Status)

	for name, p := range map[string]*history.Projection{"live": d.live, "replayed": d.rebuilt()} {
		t.Run(name, func(t *testing.T) {
			mine := myHistory(t, p, "Agent1")
			require.Len(t, mine, 2, "R-H4: exactly one new entry in Agent1's My History")
			e := mine[0]
			assert.Equal(t, id, e.Interaction, "newest first")
			assert.Equal(t, []interaction.PartyID{"Agent1"}, e.Agents, "R-H3: Agent2 was not engaged with the contact")
			assert.Equal(t, []string{"contact: Hello, my invoice is wrong", "Agent1: Hi, I am looking into it"}, texts(e.Transcript),
				"R-H2/R-H4: the chat, without the consultation transcript")
			assert.Empty(t, myHistory(t, p, "Agent2"), "R-H4: Agent2's My History has no entry")
			_, err := p.Transcript(ctx, id, "Agent2")
			assert.ErrorIs(t, err, interaction.ErrNotPermitted, "R-H3: a consulted agent has no history of it")
			checkNoConsultation(t, p, "Agent1", "Agent2", "contact")

			// R-H1: the consultation is part of the interaction, not one of its own.
			act := activity(t, p)
			require.Len(t, act, 2)
			require.Len(t, act[0].Consultations, 1)
			assert.Equal(t, interaction.PartyID("Agent2"), act[0].Consultations[0].Invitee)
			assert.Equal(t, interaction.LegEnded, act[0].Consultations[0].State)
		})
	}
}

// R-H4 after a consultation that became a transfer (R-T1, R-T2): Agent2
// was engaged with the contact from the transfer on, so it now has an
// entry, still without the consultation part.
func TestRH4SeedExampleAfterTransfer(t *testing.T) {
	d, id := seedStart(t)
	leg := d.consult(id, "Agent1", "Agent2")
	require.NoError(t, d.svc.Transfer(ctx, id, "Agent1", leg))
	require.NoError(t, d.chats.Post(ctx, id, "Agent2", "I have refunded 50 EUR"))
	d.finish(id, "Agent2", "Agent1", "Agent2")

	for name, p := range map[string]*history.Projection{"live": d.live, "replayed": d.rebuilt()} {
		t.Run(name, func(t *testing.T) {
			mine := myHistory(t, p, "Agent1")
			require.Len(t, mine, 2, "R-H4: exactly one new entry for Agent1")
			assert.Equal(t, id, mine[0].Interaction)
			theirs := myHistory(t, p, "Agent2")
			require.Len(t, theirs, 1, "R-H3: the transfer target was engaged after the transfer")
			assert.Equal(t, id, theirs[0].Interaction)
			assert.Equal(t, []interaction.PartyID{"Agent1", "Agent2"}, theirs[0].Agents)

			// Agent1 left at the transfer: its history stops there (it reads
			// nothing after it left); Agent2 read along from its acceptance
			// (R-C6) and goes on.
			assert.Equal(t, []string{"contact: Hello, my invoice is wrong", "Agent1: Hi, I am looking into it",
				"system: Agent1 transferred the chat to Agent2"}, texts(mine[0].Transcript))
			assert.Equal(t, []string{"contact: Hello, my invoice is wrong", "Agent1: Hi, I am looking into it",
				"system: Agent1 transferred the chat to Agent2", "Agent2: I have refunded 50 EUR"}, texts(theirs[0].Transcript))
			checkNoConsultation(t, p, "Agent1", "Agent2", "contact")

			m, err := p.InteractionMetrics(ctx, id)
			require.NoError(t, err)
			assert.Equal(t, 1, m.Transfers)
			assert.Equal(t, 1, m.Consultations.Completed)
		})
	}
}

// R-H4 after a consultation that became a conference (R-F1–R-F3): both
// agents were engaged, both have an entry, neither shows the consultation.
func TestRH4SeedExampleAfterConference(t *testing.T) {
	d, id := seedStart(t)
	leg := d.consult(id, "Agent1", "Agent2")
	req, err := d.svc.Conference(ctx, id, "Agent1", leg)
	require.NoError(t, err)
	require.NoError(t, d.svc.AcceptRequest(ctx, id, "Agent2", req))
	require.NoError(t, d.chats.Post(ctx, id, "Agent2", "Hello, I am Agent1's colleague"))
	require.NoError(t, d.chats.EndSession(ctx, id, "Agent1")) // R-F6: Agent2 goes on
	require.NoError(t, d.chats.Post(ctx, id, "Agent2", "Your refund is on its way"))
	d.finish(id, "Agent2", "Agent1", "Agent2")

	for name, p := range map[string]*history.Projection{"live": d.live, "replayed": d.rebuilt()} {
		t.Run(name, func(t *testing.T) {
			require.Len(t, myHistory(t, p, "Agent1"), 2, "R-H4: exactly one new entry for Agent1")
			theirs := myHistory(t, p, "Agent2")
			require.Len(t, theirs, 1, "R-H3: a conference member is engaged")
			assert.Equal(t, []string{"contact: Hello, my invoice is wrong", "Agent1: Hi, I am looking into it",
				"system: Agent2 joined the conference", "Agent2: Hello, I am Agent1's colleague",
				"Agent2: Your refund is on its way"}, texts(theirs[0].Transcript), "R-F2, R-F3, R-H2")
			c := contactHistory(t, p, "contact")
			require.Len(t, c, 1)
			assert.Equal(t, []string{"contact: Hello, my invoice is wrong", "agent-1: Hi, I am looking into it",
				"system: Agent 2 joined the conference", "agent-2: Hello, I am Agent1's colleague",
				"agent-2: Your refund is on its way"}, texts(c[0].Transcript), "the contact saw the same chat, its agents named as it knows them (issue 12)")
			assert.Equal(t, []interaction.PartyID{interaction.ContactAgentID(1), interaction.ContactAgentID(2)}, c[0].Agents)
			checkNoConsultation(t, p, "Agent1", "Agent2", "contact")

			m, err := p.InteractionMetrics(ctx, id)
			require.NoError(t, err)
			assert.Equal(t, 1, m.Conferences)
			assert.Equal(t, 0, m.Transfers)
		})
	}
}

// R-H3: only engagement with the contact puts an interaction in My
// History: not a declined or withdrawn chat offer, not a consultation
// (even one the agent marked done), not silent monitoring; a barge-in does.
func TestRH3OnlyEngagedAgentsHaveEntries(t *testing.T) {
	d := newDesk(t)
	id, err := d.chats.Open(ctx, "contact", "Hi")
	require.NoError(t, err)
	require.NoError(t, d.chats.Assign(ctx, id, interaction.System, "declines"))
	_, err = d.chats.Do(ctx, id, "declines", interaction.Decline{})
	require.NoError(t, err)
	require.NoError(t, d.chats.Assign(ctx, id, interaction.System, "owner"))
	require.NoError(t, d.chats.Assign(ctx, id, interaction.System, "too-late"))
	require.NoError(t, d.chats.Join(ctx, id, "owner")) // too-late's offer is withdrawn
	d.consult(id, "owner", "consulted")
	require.NoError(t, d.chats.Monitor(ctx, id, "monitor", "owner"))
	require.NoError(t, d.chats.BargeIn(ctx, id, "barger"))
	d.finish(id, "contact", "owner", "consulted", "barger")

	for _, p := range []*history.Projection{d.live, d.rebuilt()} {
		for _, who := range []interaction.PartyID{"declines", "too-late", "consulted", "monitor"} {
			assert.Empty(t, myHistory(t, p, who), "R-H3: %s was never engaged with the contact", who)
		}
		for _, who := range []interaction.PartyID{"owner", "barger"} {
			require.Len(t, myHistory(t, p, who), 1, "R-H3: %s was engaged", who)
		}
		st := d.state(id)
		for _, e := range activity(t, p) {
			for _, a := range e.Agents {
				assert.True(t, st.Party(a).WasEngaged, "entry agents are engaged agents")
			}
		}
		// The activity history knows every agent party, in any role.
		for _, who := range []interaction.PartyID{"declines", "too-late", "consulted", "monitor", "owner", "barger"} {
			pg, err := p.Activity(ctx, history.Query{Agent: who})
			require.NoError(t, err)
			assert.Len(t, pg.Items, 1, who)
		}
	}
}

// R-H2 and "never anything the contact could not see": agent notes stay
// in the agents' history; notices to one party (the consultation's
// "declined") and coaching are in nobody's history; the contact history
// shows only the contact's own transcript, whoever asks.
func TestRH2HistoryLeavesOutWhatIsNotTheChat(t *testing.T) {
	d := newDesk(t)
	id := d.chat("contact", "agent1")
	_, err := d.chats.Do(ctx, id, "agent1", interaction.Note{Text: "note: customer is upset"})
	require.NoError(t, err)
	leg, err := d.svc.Start(ctx, id, "agent1", agent("agent2"), interaction.MediumIM)
	require.NoError(t, err)
	require.NoError(t, d.svc.Decline(ctx, id, "agent2", leg)) // notice to agent1 only (R-C3)
	require.NoError(t, d.chats.Coach(ctx, id, "supervisor", "agent1", "coaching: offer a refund"))
	require.NoError(t, d.chats.Post(ctx, id, "agent1", "We will refund you"))
	d.finish(id, "agent1", "agent1")

	st := d.state(id)
	v, err := st.ViewFor("agent1")
	require.NoError(t, err)
	require.Len(t, v.Messages, 6, "agent1's live view has chat, note, notice and coaching")

	mine := myHistory(t, d.live, "agent1")
	require.Len(t, mine, 1)
	assert.Equal(t, []string{"contact: Hello, my invoice is wrong", "agent1: Hi, I am looking into it",
		"agent1: note: customer is upset", "agent1: We will refund you"}, texts(mine[0].Transcript))

	theirs := contactHistory(t, d.live, "contact")
	require.Len(t, theirs, 1)
	assert.Equal(t, []string{"contact: Hello, my invoice is wrong", "agent-1: Hi, I am looking into it",
		"agent-1: We will refund you"}, texts(theirs[0].Transcript), "contact-facing IDs (issue 12)")
	assert.Equal(t, []interaction.PartyID{interaction.ContactAgentID(1)}, theirs[0].Agents, "never the consulted agent nor the supervisor, never an internal ID")
	for _, m := range theirs[0].Transcript {
		assert.True(t, st.CanSee("contact", m.Author, m.Scope, m.Version), "the contact could see %q", m.Text)
	}
	c, err := d.live.Transcript(ctx, id, "contact")
	require.NoError(t, err)
	assert.Equal(t, theirs[0].Transcript, c)
	_, err = d.live.Transcript(ctx, id, "supervisor")
	assert.ErrorIs(t, err, interaction.ErrNotPermitted)
}

// R-X5: the figures come from the events, with the injected clock's times.
func TestRX5Metrics(t *testing.T) {
	d := newDesk(t)
	id := d.chat("contact", "agent1") // agent1 engaged at +5s
	// A consultation that agent2 declines, one that times out, one that
	// agent3 accepts after 4s and that lasts 10s then becomes a transfer.
	leg, err := d.svc.Start(ctx, id, "agent1", agent("agent2"), interaction.MediumChat)
	require.NoError(t, err)
	require.NoError(t, d.svc.Decline(ctx, id, "agent2", leg))
	_, err = d.svc.Start(ctx, id, "agent1", agent("agent4"), interaction.MediumVoice)
	require.NoError(t, err)
	d.clock.Advance(31 * time.Second) // R-X1: the invitation times out
	leg = d.consult(id, "agent1", "agent3")
	require.NoError(t, d.svc.Transfer(ctx, id, "agent1", leg)) // agent1 leaves, agent3 engaged
	d.clock.Advance(7 * time.Second)
	require.NoError(t, d.chats.MarkDone(ctx, id, "agent1"))
	d.finish(id, "agent3", "agent3")

	m, err := d.live.InteractionMetrics(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, history.ConsultStats{Started: 3, Accepted: 1, Declined: 1, TimedOut: 1, Completed: 1,
		TimeToAccept: 4 * time.Second, Duration: 10 * time.Second}, m.Consultations)
	assert.Equal(t, 1, m.Transfers)
	assert.Equal(t, 1, m.TransferRequests)
	// agent1: engaged from its join (+5s) to the transfer: 5+31+4+10 = 50s, wrap-up 7s.
	// agent3: engaged from the transfer until the end (7+20 = 27s), wrap-up 30s.
	assert.Equal(t, []history.HandleTime{
		{Agent: "agent1", Engaged: 50 * time.Second, WrapUp: 7 * time.Second, Done: true},
		{Agent: "agent3", Engaged: 27 * time.Second, WrapUp: 30 * time.Second, Done: true},
	}, m.HandleTimes)

	a1, err := d.live.AgentMetrics(ctx, "agent1", history.Query{})
	require.NoError(t, err)
	assert.Equal(t, 1, a1.Interactions)
	assert.Equal(t, 3, a1.Started.Started)
	assert.Equal(t, 1, a1.TransfersMade)
	assert.InDelta(t, 1.0, a1.TransferRate(), 1e-9)
	assert.Equal(t, 57*time.Second, a1.MeanHandleTime())
	a3, err := d.live.AgentMetrics(ctx, "agent3", history.Query{})
	require.NoError(t, err)
	assert.Equal(t, history.ConsultStats{Started: 1, Accepted: 1, Completed: 1, TimeToAccept: 4 * time.Second, Duration: 10 * time.Second}, a3.Received)
	assert.Equal(t, 1, a3.TransfersReceived)
	a2, err := d.live.AgentMetrics(ctx, "agent2", history.Query{})
	require.NoError(t, err)
	assert.Equal(t, 0, a2.Interactions)
	assert.Equal(t, 1, a2.Received.Declined)

	// A second interaction with a direct conference (R-X4).
	id2 := d.chat("contact2", "agent1")
	req, err := d.svc.ConferenceWith(ctx, id2, "agent1", agent("agent2"))
	require.NoError(t, err)
	require.NoError(t, d.svc.AcceptRequest(ctx, id2, "agent2", req))
	tot, err := d.live.Totals(ctx, history.Query{})
	require.NoError(t, err)
	assert.Equal(t, 2, tot.Interactions)
	assert.Equal(t, 1, tot.WithConsultation)
	assert.InDelta(t, 0.5, tot.TransferRate(), 1e-9)
	assert.InDelta(t, 0.5, tot.ConferenceRate(), 1e-9)
	a2, err = d.live.AgentMetrics(ctx, "agent2", history.Query{})
	require.NoError(t, err)
	assert.Equal(t, 1, a2.ConferencesJoined)
	assert.Equal(t, 1, a2.Interactions)
	only, err := d.live.Totals(ctx, history.Query{Contact: "contact2"})
	require.NoError(t, err)
	assert.Equal(t, 1, only.Interactions)
	assert.Equal(t, 1, only.Conferences)
}

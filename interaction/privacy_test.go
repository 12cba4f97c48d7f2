package interaction_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/history"
	"github.com/chatconsult/chatconsult/interaction"
)

// One test per leak of the privacy issue (issue 12), each naming the rule
// it keeps. docs/visibility.md states the rules.

func agentTarget(a string) interaction.Target {
	return interaction.Target{Kind: interaction.TargetAgent, ID: a}
}

// consulted is an active chat of contact with agent1, and an active
// consultation of agent1 with agent2 that holds a private message.
func consulted(t *testing.T) (*fixture, *consult.Service, interaction.LegID) {
	t.Helper()
	f := newFixture(t)
	ctx := context.Background()
	f.activeChat(t)
	desk := consult.New(f.svc, consult.WithInviteTimeout(time.Minute))
	leg, err := desk.Start(ctx, f.id, "agent1", agentTarget("agent2"), interaction.MediumChat)
	require.NoError(t, err)
	require.NoError(t, desk.Accept(ctx, f.id, "agent2", leg))
	require.NoError(t, desk.Say(ctx, f.id, "agent1", leg, "secret: refund 50 EUR?"))
	return f, desk, leg
}

// Leak 1 (R-X6, R-C5): a command ID is answered as a retry only for the
// same actor's same command; anyone else gets ErrConflict and none of its
// events, and a retry returns only what the caller may see.
func TestRX6CommandIDRetryMatchesActorAndContentOnly(t *testing.T) {
	f, _, leg := consulted(t)
	ctx := context.Background()
	first, err := f.svc.DoCommand(ctx, f.id, "agent2", "cmd-7", consult.Say{Leg: leg, Text: "secret: yes, 50"})
	require.NoError(t, err)
	require.NotEmpty(t, first)

	for _, c := range []struct {
		actor interaction.PartyID
		cmd   interaction.Command
		why   string
	}{
		{"contact", interaction.Post{Text: "Hello?"}, "another party reusing the ID"},
		{"agent2", consult.Say{Leg: leg, Text: "secret: no"}, "the same party, another command"},
		{"agent1", consult.Say{Leg: leg, Text: "secret: yes, 50"}, "another party, the same content"},
	} {
		events, err := f.svc.DoCommand(ctx, f.id, c.actor, "cmd-7", c.cmd)
		assert.ErrorIs(t, err, interaction.ErrConflict, c.why)
		assert.Empty(t, events, "%s gets none of that command's events", c.why)
		var e *interaction.Error
		require.True(t, errors.As(err, &e))
		assert.Contains(t, e.Detail, "command ID already used")
		assert.NotContains(t, err.Error(), "secret", c.why)
	}

	again, err := f.svc.DoCommand(ctx, f.id, "agent2", "cmd-7", consult.Say{Leg: leg, Text: "secret: yes, 50"})
	require.NoError(t, err)
	assert.Equal(t, first, again, "the retry gets what the first call got")
	st, _ := f.svc.State(ctx, f.id)
	n := 0
	for _, m := range st.Messages {
		if m.Text == "secret: yes, 50" {
			n++
		}
	}
	assert.Equal(t, 1, n, "applied once")

	// A retry returns only what the caller may see: agent2's decline of a
	// second consultation notifies agent1 (a notice to agent1 only).
	desk := consult.New(f.svc, consult.WithInviteTimeout(time.Minute))
	leg2, err := desk.Start(ctx, f.id, "agent1", agentTarget("agent3"), interaction.MediumChat)
	require.NoError(t, err)
	all, err := f.svc.Execute(ctx, f.id, "agent3", "cmd-8", consult.Decline{Leg: leg2})
	require.NoError(t, err)
	retried, err := f.svc.DoCommand(ctx, f.id, "agent3", "cmd-8", consult.Decline{Leg: leg2})
	require.NoError(t, err)
	assert.Less(t, len(retried), len(all), "the notice to the owner is not the decliner's")
	for _, ev := range retried {
		assert.False(t, ev.Type == interaction.EventMessage && ev.Scope.Kind == interaction.ScopeParty && ev.Scope.Party == "agent1",
			"agent3 is not handed agent1's notice")
	}
}

// Leak 1: default command IDs tell nothing about the next ones.
func TestRX6DefaultCommandIDsAreNotPredictable(t *testing.T) {
	svc := interaction.NewService()
	ctx := context.Background()
	id, err := svc.Open(ctx, "contact", "Hello")
	require.NoError(t, err)
	seen := map[string]bool{}
	var causes []string
	for range 20 {
		events, err := svc.Do(ctx, id, "contact", interaction.Post{Text: "again"})
		require.NoError(t, err)
		c := events[0].Cause
		require.False(t, seen[c])
		seen[c] = true
		causes = append(causes, c)
	}
	for i := 1; i < len(causes); i++ {
		a, b := causes[i-1], causes[i]
		common := 0
		for common < len(a) && common < len(b) && a[common] == b[common] {
			common++
		}
		assert.Less(t, common, 6, "consecutive IDs %q and %q share a prefix: the next is guessable", a, b)
	}
}

// Leak 2 (R-C5, R-X6): an event the contact sees because it concerns
// everyone never names a party it may not see; it is not told of what
// happens after it left (the close caused by the consultation target).
func TestRX6EventsToTheContactNameNoHiddenParty(t *testing.T) {
	f, desk, leg := consulted(t)
	ctx := context.Background()
	sub := f.notes.Subscribe("contact")
	defer sub.Close()
	require.NoError(t, desk.EndConsultation(ctx, f.id, "agent2", leg))
	require.NoError(t, f.svc.Post(ctx, f.id, "agent1", "Done, refunded."))
	require.NoError(t, f.svc.EndSession(ctx, f.id, "agent1"))
	require.NoError(t, f.svc.MarkDone(ctx, f.id, "agent1"))
	require.NoError(t, f.svc.MarkDone(ctx, f.id, "agent2")) // closes it
	st, _ := f.svc.State(ctx, f.id)
	require.Equal(t, interaction.StatusClosed, st.Status)

	got := sub.Drain()
	require.NotEmpty(t, got)
	for _, ev := range got {
		assert.NotEqual(t, interaction.PartyID("agent2"), ev.Actor, "R-C5: the target is never named to the contact")
		assert.NotEqual(t, interaction.PartyID("agent1"), ev.Actor, "internal IDs are never shown to the contact")
		assert.Empty(t, ev.Cause, "another party's command ID")
		assert.Zero(t, ev.Position)
		assert.False(t, ev.Type == interaction.EventStatus && ev.To == string(interaction.StatusClosed), "the contact left: the close is not its business")
	}
}

// Leak 3 (R-C5): a former consultation target or a former supervisor
// invited directly to a conference is not shown to the contact until it
// is engaged; declining leaves no trace in the contact's view or export.
func TestRC5ContactSeesAPartyOnlyOnceEngaged(t *testing.T) {
	f, desk, leg := consulted(t)
	ctx := context.Background()
	require.NoError(t, desk.EndConsultation(ctx, f.id, "agent1", leg))
	require.NoError(t, f.svc.Monitor(ctx, f.id, "sup", "agent1"))
	require.NoError(t, f.svc.Leave(ctx, f.id, "sup"))

	for _, who := range []string{"agent2", "sup"} {
		req, err := desk.ConferenceWith(ctx, f.id, "agent1", agentTarget(who))
		require.NoError(t, err)
		assert.Len(t, contactParties(t, f), 2, "%s invited: the contact sees itself and agent1 only", who)
		require.NoError(t, desk.DeclineRequest(ctx, f.id, interaction.PartyID(who), req))
		assert.Len(t, contactParties(t, f), 2, "%s declined: still nobody new", who)
	}
	st, _ := f.svc.State(ctx, f.id)
	x, err := history.NewExport(st, "contact")
	require.NoError(t, err)
	assert.Len(t, x.Parties, 2, "the export shows what the view shows")

	req, err := desk.ConferenceWith(ctx, f.id, "agent1", agentTarget("agent2"))
	require.NoError(t, err)
	require.NoError(t, desk.AcceptRequest(ctx, f.id, "agent2", req))
	ps := contactParties(t, f)
	require.Len(t, ps, 3, "engaged now: shown")
	assert.Equal(t, interaction.PartyView{ID: interaction.ContactAgentID(2), Name: "Agent 2", Role: interaction.RoleMember, Membership: interaction.MemberJoined}, ps[2])
}

func contactParties(t *testing.T, f *fixture) []interaction.PartyView {
	t.Helper()
	v, err := f.svc.View(context.Background(), f.id, "contact")
	require.NoError(t, err)
	return v.Parties
}

// Leak 4 (R-X7, R-C5): a supervisor reads through its agent only what that
// agent saw during the engaged stays it watched: not a consultation the
// agent held between two stays.
func TestRX7SupervisorReadsOnlyTheStaysItWatched(t *testing.T) {
	f, desk, leg := consulted(t)
	ctx := context.Background()
	req, err := desk.Conference(ctx, f.id, "agent1", leg)
	require.NoError(t, err)
	require.NoError(t, desk.AcceptRequest(ctx, f.id, "agent2", req))
	require.NoError(t, f.svc.Monitor(ctx, f.id, "sup", "agent2"))  // agent2 engaged: watched
	require.NoError(t, desk.Remove(ctx, f.id, "agent1", "agent2")) // stay over

	// Not engaged now, agent2 is consulted again and says something private.
	between, err := desk.Start(ctx, f.id, "agent1", agentTarget("agent2"), interaction.MediumChat)
	require.NoError(t, err)
	require.NoError(t, desk.Accept(ctx, f.id, "agent2", between))
	require.NoError(t, desk.Say(ctx, f.id, "agent2", between, "between stays: the contact owes us"))
	// Back in through a conference: a second engaged stay, still watched.
	req, err = desk.Conference(ctx, f.id, "agent1", between)
	require.NoError(t, err)
	require.NoError(t, desk.AcceptRequest(ctx, f.id, "agent2", req))
	require.NoError(t, f.svc.Post(ctx, f.id, "agent2", "back with you"))

	v, err := f.svc.View(ctx, f.id, "sup")
	require.NoError(t, err)
	for _, m := range v.Messages {
		assert.NotContains(t, m.Text, "between stays", "R-X7: held while agent2 was not engaged")
	}
	for _, l := range v.Legs {
		assert.NotEqual(t, between, l.ID, "R-X7: nor the consultation itself")
	}
	assert.Contains(t, texts(v), "agent2: back with you", "the shared chat it does read")
	agent2, _ := f.svc.View(ctx, f.id, "agent2")
	assert.Contains(t, texts(agent2), "agent2: between stays: the contact owes us", "agent2 itself reads its consultation")
}

// Leak 5 (R-C5, R-X6): every number the contact sees counts only what it
// sees: message numbers and versions without gaps where consultation
// messages and notes are.
func TestRX6ContactNumbersCountOnlyWhatItSees(t *testing.T) {
	f, desk, leg := consulted(t)
	ctx := context.Background()
	sub := f.notes.Subscribe("contact")
	defer sub.Close()
	require.NoError(t, f.svc.Post(ctx, f.id, "contact", "Any news?"))
	require.NoError(t, desk.Say(ctx, f.id, "agent2", leg, "secret: approve"))
	_, err := f.svc.Do(ctx, f.id, "agent1", interaction.Note{Text: "VIP"})
	require.NoError(t, err)
	require.NoError(t, desk.Say(ctx, f.id, "agent1", leg, "secret: thanks"))
	require.NoError(t, f.svc.Post(ctx, f.id, "agent1", "Refunded."))

	v, err := f.svc.View(ctx, f.id, "contact")
	require.NoError(t, err)
	for i, m := range v.Messages {
		assert.Equal(t, uint32(i+1), m.Seq, "R-X6: the contact's message numbers have no gap")
	}
	got := sub.Drain()
	require.Len(t, got, 2, "the contact's own message and agent1's answer")
	assert.Equal(t, got[0].Version+1, got[1].Version, "no version gap for the four private events between")
	assert.Equal(t, v.Version, got[1].Version, "the view's version is the last event's")
	assert.Equal(t, v.Messages[len(v.Messages)-1].Seq, got[1].Seq, "an event's number is the view's")
}

// Leak 6 (R-X6): a party that left reads what was there while it was
// there: no one who came after, and its own view says what it is now.
func TestRX6DepartedPartySeesNothingAfter(t *testing.T) {
	f, desk, leg := consulted(t)
	ctx := context.Background()
	require.NoError(t, desk.Transfer(ctx, f.id, "agent1", leg)) // agent1 leaves, agent2 owns
	sub := f.notes.Subscribe("agent1")
	defer sub.Close()
	l3, err := desk.Start(ctx, f.id, "agent2", agentTarget("agent3"), interaction.MediumChat)
	require.NoError(t, err)
	require.NoError(t, desk.Accept(ctx, f.id, "agent3", l3))
	req, err := desk.Conference(ctx, f.id, "agent2", l3)
	require.NoError(t, err)
	require.NoError(t, desk.AcceptRequest(ctx, f.id, "agent3", req))
	require.NoError(t, f.svc.Post(ctx, f.id, "agent3", "Hello from billing"))

	v, err := f.svc.View(ctx, f.id, "agent1")
	require.NoError(t, err)
	assert.NotContains(t, partyIDs(v), interaction.PartyID("agent3"), "joined after agent1 left")
	assert.Equal(t, interaction.RoleNone, v.Role, "a former owner is not shown as owner")
	assert.Equal(t, interaction.StatusEnded, v.Status, "its session is over")
	for _, p := range v.Parties {
		if p.ID == "agent2" {
			assert.Equal(t, interaction.RoleOwner, p.Role, "agent2 as agent1 last saw it: taking over")
		}
	}
	assert.Empty(t, sub.Drain(), "nothing after it left reaches it")
	require.NoError(t, f.svc.MarkDone(ctx, f.id, "agent1"), "what it needs to finish its part (R-C8)")
}

// Leak 7 (R-X8): the contact never sees an internal agent ID; the service
// names agents to it, and notices are structured so it can.
func TestRX8ContactSeesContactFacingNames(t *testing.T) {
	f := newFixture(t)
	names := func(a interaction.PartyID) string {
		return map[interaction.PartyID]string{"agent1": "Anna", "emp-4711": "Ben"}[a]
	}
	f.svc = interaction.NewService(interaction.WithStore(f.store), interaction.WithNotifier(f.notes.WithContactNames(names)),
		interaction.WithClock(f.clock), interaction.WithIDs(chatconsulttest.NewSequentialIDs("id-")),
		interaction.WithContactNames(names))
	ctx := context.Background()
	f.activeChat(t)
	sub := f.notes.Subscribe("contact")
	defer sub.Close()
	desk := consult.New(f.svc, consult.WithInviteTimeout(time.Minute))
	leg, err := desk.Start(ctx, f.id, "agent1", agentTarget("emp-4711"), interaction.MediumChat)
	require.NoError(t, err)
	require.NoError(t, desk.Accept(ctx, f.id, "emp-4711", leg))
	require.NoError(t, desk.Transfer(ctx, f.id, "agent1", leg))
	require.NoError(t, f.svc.Post(ctx, f.id, "emp-4711", "Ben here"))

	v, err := f.svc.View(ctx, f.id, "contact")
	require.NoError(t, err)
	assert.Contains(t, texts(v), "system: Anna transferred the chat to Ben")
	var notice *interaction.Notice
	for _, m := range v.Messages {
		if m.Notice != nil {
			notice = m.Notice
		}
	}
	require.NotNil(t, notice, "notices are structured")
	assert.Equal(t, interaction.NoticeTransferred, notice.Code)
	assert.Equal(t, []interaction.PartyID{interaction.ContactAgentID(1), interaction.ContactAgentID(2)}, notice.Parties)

	st, _ := f.svc.State(ctx, f.id)
	x, err := history.NewExport(st, "contact")
	require.NoError(t, err)
	var text strings.Builder
	require.NoError(t, x.WriteText(&text))
	delivered := sub.Drain()
	for _, internal := range []string{"agent1", "emp-4711"} {
		for _, line := range texts(v) {
			assert.NotContains(t, line, internal, "view")
		}
		for _, p := range v.Parties {
			assert.NotContains(t, string(p.ID), internal)
		}
		assert.NotContains(t, text.String(), internal, "text export")
		for _, ev := range delivered {
			for _, s := range []string{string(ev.Actor), string(ev.Party), ev.Text, ev.Target.ID, string(ev.Scope.Party)} {
				assert.NotContains(t, s, internal, "delivered %s event", ev.Type)
			}
		}
	}
	agent, _ := f.svc.View(ctx, f.id, "emp-4711")
	assert.Contains(t, texts(agent), "system: agent1 transferred the chat to emp-4711", "agents see internal IDs")
}

// Leak 8 (R-X7): nobody supervises unless the service's policy allows it,
// and a refused party learns nothing of the interaction from the refusal.
func TestRX7SupervisionNeedsThePolicy(t *testing.T) {
	ctx := context.Background()
	open := func(opts ...interaction.Option) (*interaction.Service, interaction.ID) {
		svc := interaction.NewService(opts...)
		id, err := svc.Open(ctx, "contact", "Hello")
		require.NoError(t, err)
		require.NoError(t, svc.Assign(ctx, id, interaction.System, "agent1"))
		require.NoError(t, svc.Join(ctx, id, "agent1"))
		return svc, id
	}
	svc, id := open()
	assert.ErrorIs(t, svc.Monitor(ctx, id, "sup", "agent1"), interaction.ErrNotPermitted, "no policy: nobody")
	assert.ErrorIs(t, svc.BargeIn(ctx, id, "sup"), interaction.ErrNotPermitted)
	_, err := svc.View(ctx, id, "sup")
	assert.ErrorIs(t, err, interaction.ErrNotPermitted, "and it is not a party")

	team := interaction.SupervisionPolicyFunc(func(_ interaction.ID, sup, agent interaction.PartyID) bool {
		return sup == "lead" && agent == "agent1"
	})
	svc, id = open(interaction.WithSupervision(team))
	require.NoError(t, svc.Monitor(ctx, id, "lead", "agent1"))
	errEngaged := svc.Monitor(ctx, id, "customer-42", "agent1")
	errGhost := svc.Monitor(ctx, id, "customer-42", "ghost")
	require.ErrorIs(t, errEngaged, interaction.ErrNotPermitted)
	require.ErrorIs(t, errGhost, interaction.ErrNotPermitted)
	assert.Equal(t, strings.ReplaceAll(errEngaged.Error(), "agent1", "X"), strings.ReplaceAll(errGhost.Error(), "ghost", "X"),
		"the same answer whether the agent is in the chat or not")
	assert.ErrorIs(t, svc.Coach(ctx, id, "customer-42", "agent1", "psst"), interaction.ErrNotPermitted)
}

// A retry that finds its command committed delivers it: an append that
// committed but reported an error was never notified (issue 12).
func TestRetryAfterAmbiguousAppendNotifies(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.activeChat(t)
	cut := &cutStore{Store: f.store}
	svc := interaction.NewService(interaction.WithStore(cut), interaction.WithNotifier(f.notes),
		interaction.WithClock(f.clock), interaction.WithIDs(chatconsulttest.NewSequentialIDs("cut-")))
	sub := f.notes.Subscribe("contact")
	defer sub.Close()
	all := f.notes.SubscribeAll()
	defer all.Close()
	proj := history.New(history.WithStore(f.store))

	cut.cutNext = true
	_, err := svc.DoCommand(ctx, f.id, "agent1", "answer-1", interaction.Post{Text: "Your refund is on its way"})
	require.Error(t, err, "the connection was cut after the commit")
	assert.Empty(t, sub.Drain(), "not notified: the outcome was unknown")

	events, err := svc.DoCommand(ctx, f.id, "agent1", "answer-1", interaction.Post{Text: "Your refund is on its way"})
	require.NoError(t, err)
	require.Len(t, events, 1)
	got := sub.Drain()
	require.Len(t, got, 1, "the retry delivers it")
	assert.Equal(t, "Your refund is on its way", got[0].Text)
	full := all.Drain()
	require.Len(t, full, 1)
	require.NoError(t, proj.Apply(full...), "a projection that saw nothing before reads the gap from the Store")
	tr, err := proj.Transcript(ctx, f.id, "contact")
	require.NoError(t, err)
	assert.Len(t, tr, 2)

	_, err = svc.DoCommand(ctx, f.id, "agent1", "answer-1", interaction.Post{Text: "Your refund is on its way"})
	require.NoError(t, err)
	assert.Empty(t, sub.Drain(), "delivered again, dropped by version: at least once, seen once")
}

// cutStore commits an append and then reports a cut connection, once.
type cutStore struct {
	interaction.Store
	cutNext bool
}

func (c *cutStore) Append(ctx context.Context, id interaction.ID, expected uint64, events []interaction.Event) error {
	if err := c.Store.Append(ctx, id, expected, events); err != nil {
		return err
	}
	if c.cutNext {
		c.cutNext = false
		return errors.New("connection reset after commit")
	}
	return nil
}

// A reader that gets a command in two parts (a log read while the append
// was being published) still hands each party its events with its own
// numbers: the end of a command is projected like the whole (R-X6).
func TestEventsForACommandInTwoParts(t *testing.T) {
	svc := interaction.NewService(interaction.WithClock(chatconsulttest.NewManualClock()))
	ctx := context.Background()
	id, err := svc.Open(ctx, "contact", "Hello")
	require.NoError(t, err)
	events, err := svc.Store().Load(ctx, id)
	require.NoError(t, err)
	require.Len(t, events, 3, "opened, the contact's entry, its message")

	st := &interaction.State{}
	require.NoError(t, st.Apply(&events[0]))
	require.NoError(t, st.Apply(&events[1]))
	first := st.EventsFor("contact", events[:2], nil)
	require.NoError(t, st.Apply(&events[2]))
	rest := st.EventsFor("contact", events[2:], nil)
	got := append(first, rest...)
	require.Len(t, got, 2)
	assert.Equal(t, []uint64{1, 2}, []uint64{got[0].Version, got[1].Version})
	assert.Equal(t, "Hello", got[1].Text)
	assert.Equal(t, uint32(1), got[1].Seq)
	assert.Equal(t, got, st.EventsFor("contact", events, nil), "the same as the whole command at once")
}

// A supervisor that left sees the consultations it read as it last saw
// them: their later ends are none of its business (R-X7, leak 6).
func TestRX7LeftSupervisorSeesLegsAsItLastSawThem(t *testing.T) {
	f, desk, leg := consulted(t)
	ctx := context.Background()
	require.NoError(t, f.svc.Monitor(ctx, f.id, "sup", "agent1"))
	v, err := f.svc.View(ctx, f.id, "sup")
	require.NoError(t, err)
	require.Len(t, v.Legs, 1)
	require.Equal(t, interaction.LegActive, v.Legs[0].State)
	require.NoError(t, f.svc.Leave(ctx, f.id, "sup"))
	require.NoError(t, desk.EndConsultation(ctx, f.id, "agent2", leg))

	v, err = f.svc.View(ctx, f.id, "sup")
	require.NoError(t, err)
	require.Len(t, v.Legs, 1)
	assert.Equal(t, interaction.LegActive, v.Legs[0].State, "ended after the supervisor left: not shown to it")
	assert.True(t, v.Legs[0].Ended.IsZero())
	owner, _ := f.svc.View(ctx, f.id, "agent1")
	assert.Equal(t, interaction.LegEnded, owner.Legs[0].State, "its agents see it ended")
}

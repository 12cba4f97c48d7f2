package interaction_test

import (
	"context"
	"errors"
	"fmt"
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

// Forged logs: each case takes a log the library wrote and forges one event
// no command could have written. Every way the library serves a log must
// refuse it with ErrCorruptLog naming the rule: interaction.Rebuild, a
// Service whose Store holds it (View and Do), and history (Rebuild,
// Transcript, Export).

type act struct {
	actor interaction.PartyID
	cmd   interaction.Command
}

// written runs the commands on a Service (manual clock, sequential IDs)
// and returns the stored log of the interaction they open.
func written(t *testing.T, acts ...act) []interaction.Event {
	t.Helper()
	ctx := context.Background()
	svc := interaction.NewService(interaction.WithClock(chatconsulttest.NewManualClock()),
		interaction.WithIDs(chatconsulttest.NewSequentialIDs("v-")), interaction.WithSupervision(interaction.AnyoneMaySupervise))
	const id interaction.ID = "chat-1"
	for _, a := range acts {
		_, err := svc.Do(ctx, id, a.actor, a.cmd)
		require.NoError(t, err, "%s %T", a.actor, a.cmd)
	}
	events, err := svc.Store().Load(ctx, id)
	require.NoError(t, err)
	_, err = interaction.Rebuild(events)
	require.NoError(t, err, "the library's own log is valid")
	return events
}

var (
	chatActs = []act{
		{"contact", interaction.Open{Contact: "contact", Text: "Hello"}},
		{interaction.System, interaction.Assign{Agent: "agent1"}},
		{"agent1", interaction.Join{}},
		{"agent1", interaction.Post{Text: "Hi, how can I help?"}},
	}
	// Two consultations (R-X3): agent1 with agent2 (leg1), and with agent3 (leg2).
	consultActs = append(append([]act{}, chatActs...),
		act{"agent1", consult.Start{Leg: "leg1", Target: interaction.Target{ID: "agent2"}, Invitee: "agent2"}},
		act{"agent2", consult.Accept{Leg: "leg1"}},
		act{"agent2", consult.Say{Leg: "leg1", Text: "psst"}},
		act{"agent1", consult.Start{Leg: "leg2", Target: interaction.Target{ID: "agent3"}, Invitee: "agent3"}},
		act{"agent3", consult.Accept{Leg: "leg2"}},
	)
	// A consultation to the skill billing offered to agent2 and agent3 at
	// once: one route (R-X1).
	routeActs = append(append([]act{}, chatActs...),
		act{"agent1", consult.Start{Leg: "leg1", Target: billing, Invitee: "agent2", Route: "route1"}},
		act{"agent1", consult.Start{Leg: "leg2", Target: billing, Invitee: "agent3", Route: "route1"}},
	)
	// super1 coaches agent1 (R-X7).
	coachActs = append(append([]act{}, consultActs...),
		act{"super1", interaction.Coach{Agent: "agent1", Text: "offer the voucher"}},
	)
)

// forge appends evs to log as the next events: the log's interaction, the
// next versions, the last event's time, cause "forged", and the next
// message number for a message without one.
func forge(log []interaction.Event, evs ...interaction.Event) []interaction.Event {
	out := append([]interaction.Event(nil), log...)
	for _, ev := range evs {
		last := out[len(out)-1]
		if ev.Interaction == "" {
			ev.Interaction = last.Interaction
		}
		ev.Version = last.Version + 1
		if ev.Time.IsZero() {
			ev.Time = last.Time
		}
		ev.Cause = "forged"
		if ev.Type == interaction.EventMessage && ev.Seq == 0 {
			ev.Seq = messagesIn(out) + 1
		}
		out = append(out, ev)
	}
	return out
}

func messagesIn(log []interaction.Event) uint32 {
	n := uint32(0)
	for _, ev := range log {
		if ev.Type == interaction.EventMessage {
			n++
		}
	}
	return n
}

// text and notice make a forged message; its words start with "forged"
// (unless blank), so that a test can tell it from every real one.
func text(actor interaction.PartyID, sc interaction.Scope, words string) interaction.Event {
	return interaction.Event{Type: interaction.EventMessage, Actor: actor, Text: forgedWords(words), Kind: interaction.KindText, Scope: sc, Leg: interaction.LegID(sc.Invitation)}
}

func notice(actor interaction.PartyID, sc interaction.Scope, words string) interaction.Event {
	return interaction.Event{Type: interaction.EventMessage, Actor: actor, Text: forgedWords(words), Kind: interaction.KindNotice, Scope: sc, Leg: interaction.LegID(sc.Invitation)}
}

func legInvite(owner, target interaction.PartyID) interaction.Event {
	return interaction.Event{Type: interaction.EventLeg, Actor: owner, Party: target, Leg: "leg9", Target: interaction.Target{ID: string(target)},
		From: string(interaction.LegNone), To: string(interaction.LegInviting), Trigger: "invite", Scope: interaction.LegScope("leg9")}
}

var billing = interaction.Target{Kind: interaction.TargetSkill, ID: "billing"}

// offer is the invitation of leg to agent as an offer of route (R-X1).
func offer(leg interaction.LegID, agent interaction.PartyID, target interaction.Target, route interaction.RouteID) interaction.Event {
	return interaction.Event{Type: interaction.EventLeg, Actor: "agent1", Party: agent, Leg: leg, Target: target, Route: route,
		From: string(interaction.LegNone), To: string(interaction.LegInviting), Trigger: "invite", Scope: interaction.LegScope(leg)}
}

func legAccept(leg interaction.LegID, agent interaction.PartyID) interaction.Event {
	return interaction.Event{Type: interaction.EventLeg, Actor: agent, Leg: leg,
		From: string(interaction.LegInviting), To: string(interaction.LegActive), Trigger: "accept", Scope: interaction.LegScope(leg)}
}

func membership(actor, party interaction.PartyID, role interaction.Role, from interaction.MemberState, trigger interaction.Trigger, to interaction.MemberState, sc interaction.Scope) interaction.Event {
	ev := interaction.Event{Type: interaction.EventMembership, Actor: actor, Party: party, Role: role, From: string(from), To: string(to), Trigger: trigger, Scope: sc}
	ev.SetInvitation(sc.Invitation) // as Decision.Membership does
	return ev
}

func supervise(sup, agent interaction.PartyID, mode interaction.Trigger, sc interaction.Scope) interaction.Event {
	return interaction.Event{Type: interaction.EventRole, Actor: sup, Party: sup, Role: interaction.RoleSupervisor,
		Supervised: agent, Trigger: mode, Scope: sc}
}

func forgedWords(words string) string {
	if strings.TrimSpace(words) == "" {
		return words
	}
	return "forged " + words
}

var coachScope = interaction.Scope{Kind: interaction.ScopeCoach, Party: "agent1"}

type forgery struct {
	name string
	rule string
	log  func(t *testing.T) []interaction.Event
}

func forgeries() []forgery {
	on := func(acts []act, evs ...interaction.Event) func(t *testing.T) []interaction.Event {
		return func(t *testing.T) []interaction.Event { return forge(written(t, acts...), evs...) }
	}
	tamper := func(acts []act, f func([]interaction.Event)) func(t *testing.T) []interaction.Event {
		return func(t *testing.T) []interaction.Event {
			log := append([]interaction.Event(nil), written(t, acts...)...)
			f(log)
			return log
		}
	}
	enter := interaction.MemberNone
	return []forgery{
		// Consultation legs (R-C1): with another internal agent, from the owner.
		{"a leg whose target is the contact", "R-C1", on(chatActs, legInvite("agent1", "contact"))},
		{"a leg whose target is the system", "R-X6", on(chatActs, legInvite("agent1", interaction.System))},
		{"a leg whose target is the owner itself", "R-C1", on(chatActs, legInvite("agent1", "agent1"))},
		{"a leg started by a consultation target", "R-C1", on(consultActs, legInvite("agent2", "agent4"))},

		// Routed invitations (R-X1): accepted once, by one agent.
		{"an offer accepted while its rival is still out", "R-X1", on(routeActs, legAccept("leg1", "agent2"))},
		{"an offer made after the invitation was taken", "R-X1", on(append(append([]act{}, routeActs...), act{"agent2", consult.Accept{Leg: "leg1"}}),
			offer("leg9", "agent4", billing, "route1"))},
		{"an agent offered the same invitation twice", "R-X1", on(routeActs, offer("leg9", "agent2", billing, "route1"))},
		{"an offer joining the route of another target", "R-X1", on(routeActs, offer("leg9", "agent4", interaction.Target{Kind: interaction.TargetQueue, ID: "vip"}, "route1"))},
		{"a routed invitation to a named agent", "R-X1", on(chatActs, offer("leg9", "agent4", interaction.Target{ID: "agent4"}, "route9"))},
		{"a route named after the invitation", "R-X1", on(routeActs, interaction.Event{Type: interaction.EventLeg, Actor: "agent1", Leg: "leg1", Route: "route2",
			From: string(interaction.LegInviting), To: string(interaction.LegCancelled), Trigger: "cancel", Scope: interaction.LegScope("leg1")})},

		// Who fires a leg's or request's transition is the machine table's
		// (Transition.By): the owner never answers its own invitation,
		// an agent never times one out.
		{"a consultation accepted by its owner", "R-C3", on(deadlineActs, legAccept("leg1", "agent1"))},
		{"a consultation timed out by its target", "R-X1", on(deadlineActs, func() interaction.Event {
			ev := interaction.Event{Type: interaction.EventLeg, Actor: "agent2", Leg: "leg1",
				From: string(interaction.LegInviting), To: string(interaction.LegTimedOut), Trigger: "time_out", Scope: interaction.LegScope("leg1")}
			ev.Time = chatconsulttest.Epoch.Add(time.Hour)
			return ev
		}())},

		// Deadlines (R-X1): set with the invitation, after it; a time-out
		// comes at the deadline, not before.
		{"a deadline before its invitation", "R-X1", on(chatActs, func() interaction.Event {
			ev := offer("leg9", "agent4", interaction.Target{ID: "agent4"}, "")
			ev.Time = chatconsulttest.Epoch
			ev.Deadline = chatconsulttest.Epoch.Add(-time.Second)
			return ev
		}())},
		{"a deadline set after the invitation", "R-X1", on(deadlineActs, interaction.Event{Type: interaction.EventLeg, Actor: "agent1", Leg: "leg1",
			Deadline: chatconsulttest.Epoch.Add(time.Hour), From: string(interaction.LegInviting), To: string(interaction.LegCancelled), Trigger: "cancel", Scope: interaction.LegScope("leg1")})},
		{"a time-out before the deadline", "R-X1", on(deadlineActs, interaction.Event{Type: interaction.EventLeg, Actor: interaction.System, Leg: "leg1",
			From: string(interaction.LegInviting), To: string(interaction.LegTimedOut), Trigger: "time_out", Scope: interaction.LegScope("leg1")})},

		// Who may write in which scope (R-C5, R-X3, R-X6, R-X7).
		{"a consultation target writes to everyone", "R-C5", on(consultActs, text("agent2", interaction.Everyone, "hi contact"))},
		{"a consultation message written for everyone", "R-C5", on(consultActs, func() interaction.Event {
			ev := text("agent2", interaction.Everyone, "psst")
			ev.Leg = "leg1"
			return ev
		}())},
		{"a consultation target writes to the contact alone", "R-C5", on(consultActs, text("agent2", interaction.PartyScope("contact"), "psst"))},
		{"a consultation target writes an agents' note", "R-X3", on(consultActs, text("agent2", interaction.Scope{Kind: interaction.ScopeAgents}, "note"))},
		{"an agent writes in another agent's leg", "R-X3", on(consultActs, text("agent3", interaction.LegScope("leg1"), "me too"))},
		{"the contact writes in a leg", "R-X3", on(consultActs, text("contact", interaction.LegScope("leg1"), "let me in"))},
		{"the contact writes an agents' note", "R-X6", on(chatActs, text("contact", interaction.Scope{Kind: interaction.ScopeAgents}, "note"))},
		{"the contact writes coaching", "R-X7", on(coachActs, text("contact", coachScope, "coach"))},
		{"a consultation target writes coaching", "R-X7", on(coachActs, text("agent2", coachScope, "coach"))},
		{"a coach writes to the contact in coaching scope", "R-X7", on(coachActs, text("super1", interaction.Scope{Kind: interaction.ScopeCoach, Party: "contact"}, "hi"))},
		{"a coach writes to an agent it does not coach", "R-X7", on(coachActs, text("super1", interaction.Scope{Kind: interaction.ScopeCoach, Party: "agent2"}, "hi"))},
		{"a supervisor writes to everyone without barging in", "R-X7", on(coachActs, text("super1", interaction.Everyone, "hello all"))},
		{"the system writes text", "R-X6", on(chatActs, text(interaction.System, interaction.Everyone, "hello"))},
		{"an agent writes a notice", "R-X5", on(chatActs, notice("agent1", interaction.Everyone, "agent2 joined the conference"))},
		{"a notice to the contact alone", "R-X6", on(chatActs, notice(interaction.System, interaction.PartyScope("contact"), "psst"))},
		{"a notice in a leg", "R-X6", on(consultActs, notice(interaction.System, interaction.LegScope("leg1"), "psst"))},

		// Who may enter, and in which role (R-X6, R-X7).
		{"a stranger enters as owner", "R-X6", on(chatActs, membership("stranger", "stranger", interaction.RoleOwner, enter, "enter", interaction.MemberJoined, interaction.Everyone))},
		{"a stranger enters as a consultation target", "R-X6", on(chatActs, membership("stranger", "stranger", interaction.RoleConsultant, enter, "enter", interaction.MemberJoined, interaction.PartyScope("stranger")))},
		{"an agent makes a supervisor enter", "R-X7", on(chatActs, membership("agent1", "super1", interaction.RoleSupervisor, enter, "enter", interaction.MemberJoined, interaction.PartyScope("super1")))},
		{"a consultation target invites", "R-X6", on(consultActs, membership("agent2", "agent4", interaction.RoleConsultant, enter, "invite", interaction.MemberInvited, interaction.LegScope("leg1")))},
		{"the contact invites", "R-X6", on(chatActs, membership("contact", "agent4", interaction.RoleMember, enter, "invite", interaction.MemberInvited, interaction.PartyScope("agent4")))},
		{"an invitation nothing asked for", "R-X6", on(chatActs, membership("agent1", "agent4", interaction.RoleMember, enter, "invite", interaction.MemberInvited, interaction.PartyScope("agent4")))},
		{"the contact's membership in an agent's role", "R-X6", tamper(chatActs, func(log []interaction.Event) { log[1].Role = interaction.RoleOwner })},
		{"an agent in the contact's role", "R-X6", on(chatActs, membership(interaction.System, "agent4", interaction.RoleContact, enter, "invite", interaction.MemberInvited, interaction.PartyScope("agent4")))},
		{"a second contact", "R-X6", on(chatActs, membership("contact2", "contact2", interaction.RoleContact, enter, "enter", interaction.MemberJoined, interaction.Everyone))},
		{"an agent marks done for another", "R-C8", on(consultActs, membership("agent1", "agent2", interaction.RoleConsultant, interaction.MemberJoined, "done", interaction.MemberDone, interaction.LegScope("leg1")))},
		{"a consultation target's invitation told to everyone", "R-C5", tamper(consultActs, func(log []interaction.Event) {
			for i := range log {
				if log[i].Type == interaction.EventMembership && log[i].Party == "agent2" && log[i].Trigger == "invite" {
					log[i].Scope, log[i].Leg = interaction.Everyone, ""
				}
			}
		})},

		// Supervision (R-X7): an engaged agent, unseen.
		{"a supervisor monitors the contact", "R-X7", on(chatActs,
			membership("super1", "super1", interaction.RoleSupervisor, enter, "enter", interaction.MemberJoined, interaction.PartyScope("super1")),
			supervise("super1", "contact", interaction.TriggerMonitor, interaction.PartyScope("super1")))},
		{"a supervisor coaches a consultation target", "R-X7", on(consultActs,
			membership("super1", "super1", interaction.RoleSupervisor, enter, "enter", interaction.MemberJoined, interaction.PartyScope("super1")),
			supervise("super1", "agent2", interaction.TriggerCoach, interaction.Scope{Kind: interaction.ScopeCoach, Party: "agent2"}))},
		{"a monitor announced to everyone", "R-X7", on(chatActs,
			membership("super1", "super1", interaction.RoleSupervisor, enter, "enter", interaction.MemberJoined, interaction.PartyScope("super1")),
			supervise("super1", "agent1", interaction.TriggerMonitor, interaction.Everyone))},
		{"a supervisor enters in everyone's sight", "R-X7", on(chatActs,
			membership("super1", "super1", interaction.RoleSupervisor, enter, "enter", interaction.MemberJoined, interaction.Everyone))},

		// The stream (R-X5, R-C9).
		{"time goes backwards", "R-X5", func(t *testing.T) []interaction.Event {
			log := written(t, chatActs...)
			ev := text("agent1", interaction.Everyone, "from the past")
			ev.Time = log[len(log)-1].Time.Add(-time.Second)
			return forge(log, ev)
		}},
		{"a reminder in the stream", "R-C9", on(chatActs, interaction.Event{Type: interaction.EventReminder, Actor: interaction.System, Party: "agent1", Seq: 1})},
		{"an event without an actor", "R-X5", on(chatActs, text("", interaction.Everyone, "who am I"))},

		// Input (R-X6).
		{"an empty party ID", "R-X6", on(chatActs, membership(interaction.System, "", interaction.RoleOwner, enter, "invite", interaction.MemberInvited, interaction.PartyScope("")))},
		{"the system as a party", "R-X6", on(chatActs, membership(interaction.System, interaction.System, interaction.RoleOwner, enter, "invite", interaction.MemberInvited, interaction.PartyScope(interaction.System)))},
		{"an invalid UTF-8 party ID", "R-X6", on(chatActs, legInvite("agent1", "agent\xff"))},
		{"an invalid UTF-8 actor", "R-X6", on(chatActs, text("agent\xff", interaction.Everyone, "hi"))},
		{"invalid UTF-8 text", "R-X6", on(chatActs, text("agent1", interaction.Everyone, "caf\xe9"))},
		{"text over 64 KiB", "R-X6", on(chatActs, text("agent1", interaction.Everyone, strings.Repeat("x", interaction.MaxTextBytes+1)))},
		{"blank text", "R-X6", on(chatActs, text("agent1", interaction.Everyone, " \t "))},
	}
}

// assertRefused checks that err is a refusal of the forged log naming rule.
func assertRefused(t *testing.T, err error, rule, how string) {
	t.Helper()
	if !assert.ErrorIs(t, err, interaction.ErrCorruptLog, how) {
		return
	}
	var le *interaction.LogError
	if assert.True(t, errors.As(err, &le), "%s: a *LogError: %v", how, err) {
		assert.Equal(t, rule, le.Rule, "%s: %v", how, err)
	}
	assert.Contains(t, err.Error(), rule+": ", how)
}

// R-X5: a membership change names the leg or direct request of its scope
// where Event.SetInvitation puts it: a direct request's agent's in
// RequestID, a consultation target's in Leg. Rebuild refuses it in the
// other field (a direct request's named in Leg, as it was written before
// RequestID named it); a store reads that one back as written now.
func TestMembershipNamesItsInvitationInItsField(t *testing.T) {
	ctx := context.Background()
	log := written(t, append(append([]act{}, consultActs...),
		act{"agent1", consult.Direct{Request: "req1", Kind: interaction.RequestTransfer, Target: interaction.Target{ID: "agent4"}, Invitee: "agent4"}})...)
	var invited []int
	for i := range log {
		if log[i].Type == interaction.EventMembership && log[i].Trigger == "invite" {
			invited = append(invited, i)
		}
	}
	require.Len(t, invited, 4, "agent1 offered the chat; agent2, agent3 and agent4 invited")
	req, leg1 := invited[3], invited[1]
	require.Equal(t, interaction.RequestScope("req1"), log[req].Scope)
	require.Equal(t, interaction.Event{RequestID: "req1"}, interaction.Event{Leg: log[req].Leg, RequestID: log[req].RequestID}, "the request named in RequestID")
	require.Equal(t, interaction.Event{Leg: "leg1"}, interaction.Event{Leg: log[leg1].Leg, RequestID: log[leg1].RequestID}, "the leg named in Leg")

	for name, c := range map[string]struct {
		at  int
		leg interaction.LegID
		id  interaction.RequestID
	}{
		"a direct request's agent's naming it in Leg":       {req, "req1", ""},
		"a direct request's agent's naming it in both":      {req, "req1", "req1"},
		"a direct request's agent's naming another":         {req, "", "req2"},
		"a consultation target's naming its leg as request": {leg1, "", "leg1"},
		"a consultation target's naming another leg":        {leg1, "leg2", ""},
	} {
		forged := append([]interaction.Event(nil), log...)
		forged[c.at].Leg, forged[c.at].RequestID = c.leg, c.id
		_, err := interaction.Rebuild(forged[:c.at+1])
		assertRefused(t, err, "R-X5", name)
	}

	// A store given the old form hands back the new one.
	old := append([]interaction.Event(nil), log...)
	old[req].Leg, old[req].RequestID = "req1", ""
	store := interaction.NewMemoryStore()
	require.NoError(t, store.Append(ctx, "chat-1", 0, old))
	loaded, err := store.Load(ctx, "chat-1")
	require.NoError(t, err)
	assert.Equal(t, log[req].Leg, loaded[req].Leg)
	assert.Equal(t, log[req].RequestID, loaded[req].RequestID)
	_, err = interaction.Rebuild(loaded)
	require.NoError(t, err)
}

func TestForgedLogsAreRefused(t *testing.T) {
	ctx := context.Background()
	for _, c := range forgeries() {
		t.Run(c.name+" ("+c.rule+")", func(t *testing.T) {
			log := c.log(t)

			_, err := interaction.Rebuild(log)
			assertRefused(t, err, c.rule, "Rebuild")
			var le *interaction.LogError
			require.True(t, errors.As(err, &le))

			// A Service whose Store was filled directly.
			store := interaction.NewMemoryStore()
			require.NoError(t, store.Append(ctx, log[0].Interaction, 0, append([]interaction.Event(nil), log...)))
			svc := interaction.NewService(interaction.WithStore(store))
			_, err = svc.View(ctx, log[0].Interaction, "contact")
			assertRefused(t, err, c.rule, "Service.View")
			_, err = svc.Do(ctx, log[0].Interaction, "agent1", interaction.Post{Text: "still there?"})
			assertRefused(t, err, c.rule, "Service.Do")

			// History, rebuilt from the same store: the stream is reported,
			// and nothing from the forged event on is served.
			p, err := history.Rebuild(ctx, store)
			assertRefused(t, err, c.rule, "history.Rebuild")
			for _, viewer := range []interaction.PartyID{"contact", "agent1"} {
				msgs, err := p.Transcript(ctx, log[0].Interaction, viewer)
				if errors.Is(err, interaction.ErrNotPermitted) {
					continue // the forged event came before the viewer did
				}
				require.NoError(t, err)
				for _, m := range msgs {
					assert.Less(t, m.Version, le.Version, "history serves nothing from the forged event on to %s", viewer)
				}
				x, err := p.Export(ctx, log[0].Interaction, viewer)
				if errors.Is(err, interaction.ErrNotPermitted) {
					continue
				}
				require.NoError(t, err)
				for _, m := range x.Messages {
					assert.NotContains(t, m.Text, "forged", "the export of %s holds nothing forged", viewer)
				}
			}
		})
	}
}

// sliceStore is a Store and Log that holds whatever it is given: a store
// written past the library (a MemoryStore checks the interaction and the
// versions on Append).
type sliceStore struct{ events []interaction.Event }

func (s *sliceStore) Load(_ context.Context, id interaction.ID) ([]interaction.Event, error) {
	return append([]interaction.Event(nil), s.events...), nil
}

func (s *sliceStore) Append(context.Context, interaction.ID, uint64, []interaction.Event) error {
	return errors.New("read only")
}

func (s *sliceStore) ReadAll(_ context.Context, after uint64, limit int) ([]interaction.Event, error) {
	var out []interaction.Event
	for i, ev := range s.events {
		if uint64(i+1) > after && (limit <= 0 || len(out) < limit) {
			ev.Position = uint64(i + 1)
			out = append(out, ev)
		}
	}
	return out, nil
}

// R-X5: an event of another interaction in a stream. A store that loads
// the stream by its ID hands it over; Rebuild and the Service refuse it.
// History reads the global log and keys every event by its interaction,
// so there the event is the other interaction's, which never opened: it
// is shown nowhere, and the chat's history is untouched.
func TestForgedEventOfAnotherInteractionRX5(t *testing.T) {
	ctx := context.Background()
	log := written(t, chatActs...)
	ev := text("agent1", interaction.Everyone, "forged from another chat")
	ev.Interaction = "chat-2"
	log = forge(log, ev)

	_, err := interaction.Rebuild(log)
	assertRefused(t, err, "R-X5", "Rebuild")
	store := &sliceStore{events: log}
	svc := interaction.NewService(interaction.WithStore(store))
	_, err = svc.View(ctx, "chat-1", "contact")
	assertRefused(t, err, "R-X5", "Service.View")
	_, err = svc.Do(ctx, "chat-1", "agent1", interaction.Post{Text: "still there?"})
	assertRefused(t, err, "R-X5", "Service.Do")

	p, err := history.Rebuild(ctx, store)
	require.NoError(t, err)
	_, err = p.Transcript(ctx, "chat-2", "agent1")
	assert.ErrorIs(t, err, interaction.ErrNotFound, "the other interaction never opened")
	msgs, err := p.Transcript(ctx, "chat-1", "contact")
	require.NoError(t, err)
	for _, m := range msgs {
		assert.NotEqual(t, "forged from another chat", m.Text)
	}
}

// R-X5: a version skipped or repeated. The MemoryStore refuses to hold it;
// a store written past the library may. History holds an event that
// arrives early until the ones before it come, so it serves nothing of it.
func TestForgedVersionsRX5(t *testing.T) {
	ctx := context.Background()
	for name, bump := range map[string]uint64{"skipped": 1, "repeated": ^uint64(0)} {
		t.Run(name, func(t *testing.T) {
			log := forge(written(t, chatActs...), text("agent1", interaction.Everyone, "out of turn"))
			log[len(log)-1].Version += bump
			_, err := interaction.Rebuild(log)
			assertRefused(t, err, "R-X5", "Rebuild")
			svc := interaction.NewService(interaction.WithStore(&sliceStore{events: log}))
			_, err = svc.View(ctx, "chat-1", "contact")
			assertRefused(t, err, "R-X5", "Service.View")
		})
	}
}

// Opening a chat for someone else is refused: a contact opens its own
// (R-X6), so an opened event names its actor as the contact.
func TestOpenIsTheContactsOwnRX6(t *testing.T) {
	svc := interaction.NewService()
	_, err := svc.Do(context.Background(), "chat-1", "agent1", interaction.Open{Contact: "contact"})
	assert.ErrorIs(t, err, interaction.ErrNotPermitted)
	log := written(t, chatActs...)
	log[0].Actor = "agent1"
	_, err = interaction.Rebuild(log)
	assertRefused(t, err, "R-X6", "Rebuild")
}

// A command never writes what the validator refuses: a Decision's events
// are validated as they are recorded, so a command that would write a
// forged event fails and nothing reaches the store.
func TestACommandCannotWriteAForgedEvent(t *testing.T) {
	ctx := context.Background()
	store := interaction.NewMemoryStore()
	svc := interaction.NewService(interaction.WithStore(store), interaction.WithClock(chatconsulttest.NewManualClock()))
	for _, a := range consultActs {
		_, err := svc.Do(ctx, "chat-1", a.actor, a.cmd)
		require.NoError(t, err)
	}
	before, err := store.Load(ctx, "chat-1")
	require.NoError(t, err)
	_, err = svc.Do(ctx, "chat-1", "agent2", leak{})
	assertRefused(t, err, "R-C5", "a leaking command")
	after, err := store.Load(ctx, "chat-1")
	require.NoError(t, err)
	assert.Equal(t, before, after, "nothing written")
}

// leak writes the consultation target's words for everyone.
type leak struct{}

func (leak) Decide(d *interaction.Decision) error {
	return d.RawMessage("psst", interaction.KindText, interaction.Everyone)
}

// A Service whose clock is behind the log (another instance's ran ahead,
// or it stepped back) still writes a valid log: it never decides a
// command before the last event (R-X5).
func TestServiceNeverWritesTimeBackwardsRX5(t *testing.T) {
	ctx := context.Background()
	store := interaction.NewMemoryStore()
	ahead := chatconsulttest.NewManualClock()
	ahead.Advance(time.Hour)
	a := interaction.NewService(interaction.WithStore(store), interaction.WithClock(ahead))
	b := interaction.NewService(interaction.WithStore(store), interaction.WithClock(chatconsulttest.NewManualClock()))
	id, err := a.Open(ctx, "contact", "Hello")
	require.NoError(t, err)
	require.NoError(t, b.Post(ctx, id, "contact", "anyone?"))
	events, err := store.Load(ctx, id)
	require.NoError(t, err)
	_, err = interaction.Rebuild(events)
	require.NoError(t, err)
	assert.False(t, events[len(events)-1].Time.Before(events[0].Time))
}

// R-X6: an interaction holds at most MaxParties parties; a command that
// would add one more is refused before anything is written, and the
// interaction still loads (the limit is the log validator's, which a
// command's events pass before they are stored, as well as Apply's).
func TestACommandAddingAPartyPastTheLimitWritesNothing(t *testing.T) {
	ctx := context.Background()
	store := interaction.NewMemoryStore()
	svc := interaction.NewService(interaction.WithStore(store))
	id, err := svc.Open(ctx, "contact", "hello")
	require.NoError(t, err)
	for i := 1; i < interaction.MaxParties; i++ {
		require.NoError(t, svc.Assign(ctx, id, interaction.System, interaction.PartyID(fmt.Sprintf("agent%d", i))))
	}
	before, err := store.Load(ctx, id)
	require.NoError(t, err)
	err = svc.Assign(ctx, id, interaction.System, "one-too-many")
	require.Error(t, err)
	after, err := store.Load(ctx, id)
	require.NoError(t, err)
	assert.Len(t, after, len(before), "nothing written")
	_, err = interaction.NewService(interaction.WithStore(store)).View(ctx, id, "contact")
	assert.NoError(t, err, "the interaction still loads")
}

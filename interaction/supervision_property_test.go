package interaction_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/interaction"
)

// supervisionMachine drives one chat with random chat, consultation,
// conference, transfer and supervision commands (R-X7), and checks after
// every step that the contact never sees a coaching or consultation message
// (R-C5, R-X7) and that a supervisor is seen by the contact and the agents
// only when it coaches (by its agent) or has barged in.
type supervisionMachine struct {
	chats *interaction.Service
	desk  *consult.Service
	notes *interaction.MemoryNotifier
	clock *chatconsulttest.ManualClock
	id    interaction.ID
	subs  map[interaction.PartyID]*interaction.Subscription
	// bargedAt is the stream version at which a supervisor barged in.
	bargedAt map[interaction.PartyID]uint64
	n        int
}

var (
	propContact     = interaction.PartyID("contact")
	propAgents      = []interaction.PartyID{"a1", "a2", "a3"}
	propSupervisors = []interaction.PartyID{"s1", "s2"}
)

func newSupervisionMachine(t *rapid.T) *supervisionMachine {
	ctx := context.Background()
	m := &supervisionMachine{clock: chatconsulttest.NewManualClock(), notes: interaction.NewMemoryNotifier(),
		subs: map[interaction.PartyID]*interaction.Subscription{}, bargedAt: map[interaction.PartyID]uint64{}}
	m.chats = interaction.NewService(interaction.WithNotifier(m.notes), interaction.WithClock(m.clock),
		interaction.WithIDs(chatconsulttest.NewSequentialIDs("id-")))
	m.desk = consult.New(m.chats, consult.WithInviteTimeout(time.Minute))
	for _, p := range append(append([]interaction.PartyID{propContact}, propAgents...), propSupervisors...) {
		m.subs[p] = m.notes.Subscribe(p)
	}
	id, err := m.chats.Open(ctx, propContact, "hello")
	if err != nil {
		t.Fatal(err)
	}
	m.id = id
	if err := m.chats.Assign(ctx, id, interaction.System, "a1"); err != nil {
		t.Fatal(err)
	}
	if err := m.chats.Join(ctx, id, "a1"); err != nil {
		t.Fatal(err)
	}
	return m
}

func (m *supervisionMachine) state(t *rapid.T) *interaction.State {
	st, err := m.chats.State(context.Background(), m.id)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// check accepts a refusal (a typed *interaction.Error that left no trace)
// and fails on anything else.
func (m *supervisionMachine) check(t *rapid.T, before uint64, err error) {
	if err == nil {
		return
	}
	var e *interaction.Error
	if !errors.As(err, &e) {
		t.Fatalf("R-X6: untyped error %v", err)
	}
	if after := m.state(t).Version; after != before {
		t.Fatalf("R-X6: refused command %v wrote events (%d → %d)", err, before, after)
	}
}

func (m *supervisionMachine) text(prefix string) string {
	m.n++
	return fmt.Sprintf("%s%d", prefix, m.n)
}

func (m *supervisionMachine) pickLeg(t *rapid.T, states ...string) (interaction.Leg, bool) {
	var legs []interaction.Leg
	for _, l := range m.state(t).Legs {
		if slices.Contains(states, l.State) {
			legs = append(legs, l)
		}
	}
	if len(legs) == 0 {
		return interaction.Leg{}, false
	}
	return rapid.SampledFrom(legs).Draw(t, "leg"), true
}

// supervisee is mostly an agent engaged with the contact (so that
// supervision commands often succeed), sometimes anyone (refusals).
func (m *supervisionMachine) supervisee(t *rapid.T, anyone []interaction.PartyID) interaction.PartyID {
	var engaged []interaction.PartyID
	for _, p := range m.state(t).Parties {
		if p.Present() && p.Role.Engaged() {
			engaged = append(engaged, p.ID)
		}
	}
	if len(engaged) == 0 || rapid.IntRange(0, 4).Draw(t, "anyone") == 0 {
		return rapid.SampledFrom(anyone).Draw(t, "agent")
	}
	return rapid.SampledFrom(engaged).Draw(t, "agent")
}

// actions weighs the conversation (posting, consulting, saying) and
// supervision over the commands that end things.
func (m *supervisionMachine) actions() map[string]func(*rapid.T) {
	a := m.commands()
	a["say2"], a["say3"], a["post2"], a["coach2"], a["consult2"] = a["say"], a["say"], a["post"], a["coach"], a["consult"]
	return a
}

func (m *supervisionMachine) commands() map[string]func(*rapid.T) {
	ctx := context.Background()
	anyone := append(append([]interaction.PartyID{propContact}, propAgents...), propSupervisors...)
	do := func(t *rapid.T, actor interaction.PartyID, cmd interaction.Command) []interaction.Event {
		before := m.state(t).Version
		events, err := m.chats.Do(ctx, m.id, actor, cmd)
		m.check(t, before, err)
		return events
	}
	return map[string]func(*rapid.T){
		"post": func(t *rapid.T) {
			do(t, rapid.SampledFrom(anyone).Draw(t, "actor"), interaction.Post{Text: m.text("chat:")})
		},
		"consult": func(t *rapid.T) {
			owner := rapid.SampledFrom(propAgents).Draw(t, "owner")
			if o := m.state(t).Owner(); o != nil && rapid.IntRange(0, 4).Draw(t, "other owner") > 0 {
				owner = o.ID
			}
			// A supervisor in the chat is a target too: routing must refuse
			// it, or it would be revealed.
			targets := append([]interaction.PartyID(nil), propAgents...)
			for _, s := range propSupervisors {
				if p := m.state(t).Party(s); p != nil && p.Present() {
					targets = append(targets, s)
				}
			}
			target := rapid.SampledFrom(targets).Draw(t, "target")
			before := m.state(t).Version
			leg, err := m.desk.Start(ctx, m.id, owner, interaction.Target{Kind: interaction.TargetAgent, ID: string(target)}, interaction.MediumChat)
			m.check(t, before, err)
			if err == nil && rapid.IntRange(0, 3).Draw(t, "accept") > 0 {
				do(t, interaction.PartyID(target), consult.Accept{Leg: leg})
			}
		},
		"accept": func(t *rapid.T) {
			if l, ok := m.pickLeg(t, interaction.LegInviting); ok {
				do(t, l.Agent, consult.Accept{Leg: l.ID})
			}
		},
		"say": func(t *rapid.T) {
			if l, ok := m.pickLeg(t, interaction.LegActive); ok {
				actor := rapid.SampledFrom([]interaction.PartyID{l.Owner, l.Agent}).Draw(t, "actor")
				do(t, actor, consult.Say{Leg: l.ID, Text: m.text("leg:")})
			}
		},
		"endLeg": func(t *rapid.T) {
			if l, ok := m.pickLeg(t, interaction.LegActive); ok {
				do(t, rapid.SampledFrom([]interaction.PartyID{l.Owner, l.Agent}).Draw(t, "actor"), consult.EndLeg{Leg: l.ID})
			}
		},
		"conference": func(t *rapid.T) {
			if l, ok := m.pickLeg(t, interaction.LegActive); ok {
				req := interaction.LegID(m.text("req-"))
				if events := do(t, l.Owner, consult.Conference{Leg: l.ID, Request: req}); len(events) > 0 {
					do(t, l.Agent, consult.AcceptRequest{Request: req})
				}
			}
		},
		"transfer": func(t *rapid.T) {
			if l, ok := m.pickLeg(t, interaction.LegActive); ok {
				do(t, l.Owner, consult.Transfer{Leg: l.ID})
			}
		},
		"monitor": func(t *rapid.T) {
			do(t, rapid.SampledFrom(propSupervisors).Draw(t, "sup"), interaction.Monitor{Agent: m.supervisee(t, anyone)})
		},
		"coach": func(t *rapid.T) {
			do(t, rapid.SampledFrom(propSupervisors).Draw(t, "sup"), interaction.Coach{Agent: m.supervisee(t, anyone), Text: m.text("coach:")})
		},
		"bargeIn": func(t *rapid.T) {
			if rapid.IntRange(0, 3).Draw(t, "rarely") > 0 {
				return
			}
			sup := rapid.SampledFrom(propSupervisors).Draw(t, "sup")
			for _, ev := range do(t, sup, interaction.BargeIn{}) {
				if ev.Party == sup && m.bargedAt[sup] == 0 {
					m.bargedAt[sup] = ev.Version
				}
			}
		},
		// Leaving and ending are drawn rarely, so that most runs go on long
		// enough to consult, conference and supervise.
		"leave": func(t *rapid.T) {
			if rapid.IntRange(0, 5).Draw(t, "rarely") == 0 {
				do(t, rapid.SampledFrom(anyone).Draw(t, "actor"), interaction.Leave{})
			}
		},
		"end": func(t *rapid.T) {
			if rapid.IntRange(0, 5).Draw(t, "rarely") == 0 {
				do(t, rapid.SampledFrom(anyone).Draw(t, "actor"), interaction.End{})
			}
		},
		"markDone": func(t *rapid.T) {
			do(t, rapid.SampledFrom(anyone).Draw(t, "actor"), interaction.MarkDone{})
		},
		"": m.invariants,
	}
}

func (m *supervisionMachine) invariants(t *rapid.T) {
	st := m.state(t)
	// R-C5, R-X7: the contact never sees a coaching or consultation message,
	// neither in its view nor in what it is notified of.
	if v, err := st.ViewFor(propContact); err == nil {
		for _, msg := range v.Messages {
			if msg.Scope.Kind == interaction.ScopeLeg || msg.Scope.Kind == interaction.ScopeCoach ||
				strings.HasPrefix(msg.Text, "leg:") || strings.HasPrefix(msg.Text, "coach:") {
				t.Fatalf("R-C5/R-X7: the contact sees %+v", msg)
			}
		}
		for _, p := range v.Parties {
			if q := st.Party(p.ID); q.Role == interaction.RoleSupervisor {
				t.Fatalf("R-X7: the contact sees supervisor %s", p.ID)
			}
		}
	}
	for _, ev := range m.subs[propContact].Drain() {
		if ev.Scope.Kind == interaction.ScopeLeg || ev.Scope.Kind == interaction.ScopeCoach || strings.HasPrefix(ev.Text, "leg:") || strings.HasPrefix(ev.Text, "coach:") {
			t.Fatalf("R-C5/R-X7: the contact was notified of %+v", ev)
		}
		m.checkSupervisorHidden(t, propContact, &ev)
	}
	// R-X7: a supervisor is seen by an agent only when it coaches that agent
	// or has barged in; coaching messages reach the coached agent only.
	for _, a := range propAgents {
		for _, ev := range m.subs[a].Drain() {
			m.checkSupervisorHidden(t, a, &ev)
			if ev.Scope.Kind == interaction.ScopeCoach && ev.Scope.Party != a {
				t.Fatalf("R-X7: %s was notified of coaching for %s", a, ev.Scope.Party)
			}
		}
		v, err := st.ViewFor(a)
		if err != nil {
			continue
		}
		for _, p := range v.Parties {
			q := st.Party(p.ID)
			if w := st.Supervised(q); q.Role == interaction.RoleSupervisor && !(q.Coaching && w != nil && w.ID == a) {
				t.Fatalf("R-X7: %s sees supervisor %s (coaching %v)", a, p.ID, q.Coaching)
			}
		}
		for _, msg := range v.Messages {
			if msg.Scope.Kind == interaction.ScopeCoach && msg.Scope.Party != a {
				t.Fatalf("R-X7: %s sees coaching for %s", a, msg.Scope.Party)
			}
			if msg.Scope.Kind == interaction.ScopeLeg {
				if l := st.Leg(msg.Scope.Leg); l == nil || (l.Owner != a && l.Agent != a) {
					t.Fatalf("R-C5: %s sees a message of leg %s", a, msg.Scope.Leg)
				}
			}
		}
	}
	// R-X7: a supervisor in the chat sees everything its agent sees; one
	// that never barged in is not engaged (R-H3).
	for _, s := range propSupervisors {
		m.subs[s].Drain()
		p := st.Party(s)
		if p == nil {
			continue
		}
		if m.bargedAt[s] == 0 && p.Engaged {
			t.Fatalf("R-X7/R-H3: %s is engaged without barging in", s)
		}
		w := st.Supervised(p)
		if !p.Present() || w == nil {
			continue
		}
		own, _ := st.ViewFor(s)
		watched, _ := st.ViewFor(w.ID)
		for _, msg := range watched.Messages {
			if !slices.ContainsFunc(own.Messages, func(x interaction.Message) bool { return x.Seq == msg.Seq }) {
				t.Fatalf("R-X7: %s misses message %d that %s sees", s, msg.Seq, w.ID)
			}
		}
	}
}

// checkSupervisorHidden fails when viewer was notified of an event by or
// about a supervisor that neither coached viewer (ScopeCoach) nor had
// barged in by then.
func (m *supervisionMachine) checkSupervisorHidden(t *rapid.T, viewer interaction.PartyID, ev *interaction.Event) {
	for _, s := range propSupervisors {
		if ev.Actor != s && ev.Party != s {
			continue
		}
		if ev.Scope.Kind == interaction.ScopeCoach && ev.Scope.Party == viewer {
			continue
		}
		if b := m.bargedAt[s]; b != 0 && ev.Version >= b {
			continue
		}
		t.Fatalf("R-X7: %s was notified of %s's %s event %+v", viewer, s, ev.Type, ev)
	}
}

// R-X7, R-C5: property test over random chats with monitor, coach and
// barge-in mixed with posting, consulting, conferences and transfers.
func TestRX7SupervisionProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := newSupervisionMachine(t)
		t.Repeat(m.actions())
	})
}

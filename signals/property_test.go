package signals_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/signals"
)

// checkingSink checks every reminder as it is delivered (R-C9): only for a
// response pending at that moment, never for the focused conversation of
// an agent whose setting is off.
type checkingSink struct {
	t       *rapid.T
	tracker *signals.Tracker
	focus   map[interaction.PartyID]signals.Conversation
	setting map[interaction.PartyID]bool
	got     int
}

func (s *checkingSink) Remind(_ context.Context, r signals.Reminder) {
	s.got++
	pending := s.tracker.Pending(r.Agent)
	if !slices.ContainsFunc(pending, func(p signals.Pending) bool { return p.Conversation == r.Conversation }) {
		s.t.Fatalf("R-C9: reminder %+v for a conversation not pending (%v)", r, pending)
	}
	if s.focus[r.Agent] == r.Conversation && !s.setting[r.Agent] {
		s.t.Fatalf("R-C9: reminder for the focused conversation with the setting off: %+v", r)
	}
	if r.Focused != (s.focus[r.Agent] == r.Conversation) {
		s.t.Fatalf("reminder says focused=%v, desk focus is %+v", r.Focused, s.focus[r.Agent])
	}
}

// R-C9: over random chats (messages, consultations, conferences, transfers,
// supervision, focus and setting changes, time passing), what the tracker
// learnt event by event equals what it derives from the state alone, and
// every reminder is for a pending response.
func TestRC9TrackerProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		clock := chatconsulttest.NewManualClock()
		sink := &checkingSink{t: t, focus: map[interaction.PartyID]signals.Conversation{}, setting: map[interaction.PartyID]bool{}}
		tracker := signals.New(clock, sink, signals.WithDelay(delay), signals.WithInterval(interval))
		defer tracker.Close()
		sink.tracker = tracker
		chats := interaction.NewService(interaction.WithSupervision(interaction.AnyoneMaySupervise), interaction.WithClock(clock), interaction.WithIDs(chatconsulttest.NewSequentialIDs("id-")),
			interaction.WithNotifier(tracker))
		id, err := chats.Open(ctx, "contact", "hello")
		if err != nil {
			t.Fatal(err)
		}
		if rapid.Bool().Draw(t, "taken") {
			if err := chats.Assign(ctx, id, interaction.System, "a1"); err != nil {
				t.Fatal(err)
			}
			if err := chats.Join(ctx, id, "a1"); err != nil {
				t.Fatal(err)
			}
		}
		// rarely draws true, so that most runs go on long enough to consult
		rarely := func(t *rapid.T) bool { return rapid.IntRange(0, 5).Draw(t, "rarely") == 0 }
		agents := []interaction.PartyID{"a1", "a2", "a3", "sup"}
		anyone := append([]interaction.PartyID{"contact"}, agents...)
		n := 0
		do := func(actor interaction.PartyID, cmd interaction.Command) {
			if _, err := chats.Do(ctx, id, actor, cmd); err != nil {
				var e *interaction.Error
				if !errors.As(err, &e) {
					t.Fatalf("untyped error %v", err)
				}
			}
		}
		// present is mostly a party in the chat, sometimes anyone.
		present := func(t *rapid.T) interaction.PartyID {
			st, _ := chats.State(ctx, id)
			var in []interaction.PartyID
			for _, p := range st.Parties {
				if p.Present() {
					in = append(in, p.ID)
				}
			}
			if len(in) == 0 || rarely(t) {
				return rapid.SampledFrom(anyone).Draw(t, "anyone")
			}
			return rapid.SampledFrom(in).Draw(t, "present")
		}
		legs := func(state interaction.LegState) []interaction.Leg {
			var out []interaction.Leg
			st, _ := chats.State(ctx, id)
			for _, l := range st.Legs {
				if l.State == state {
					out = append(out, l)
				}
			}
			return out
		}
		actions := map[string]func(*rapid.T){
			"assign": func(t *rapid.T) {
				if st, _ := chats.State(ctx, id); st.Status == interaction.StatusWaiting {
					a := rapid.SampledFrom(agents[:3]).Draw(t, "agent")
					do(interaction.System, interaction.Assign{Agent: a})
					do(a, interaction.Join{})
				}
			},
			"post": func(t *rapid.T) {
				n++
				do(present(t), interaction.Post{Text: fmt.Sprint("m", n)})
			},
			"consult": func(t *rapid.T) {
				st, _ := chats.State(ctx, id)
				owner := rapid.SampledFrom(agents[:3]).Draw(t, "owner")
				if o := st.Owner(); o != nil && !rarely(t) {
					owner = o.ID
				}
				target := rapid.SampledFrom(agents[:3]).Draw(t, "target")
				leg := interaction.LegID(fmt.Sprint("leg", n))
				n++
				do(owner, consult.Start{Leg: leg, Invitee: target, Target: interaction.Target{ID: string(target)}})
				if !rarely(t) {
					do(target, consult.Accept{Leg: leg})
				}
			},
			"say": func(t *rapid.T) {
				if ls := legs(interaction.LegActive); len(ls) > 0 {
					l := rapid.SampledFrom(ls).Draw(t, "leg")
					n++
					do(rapid.SampledFrom([]interaction.PartyID{l.Owner, l.Invitee}).Draw(t, "actor"), consult.Say{Leg: l.ID, Text: fmt.Sprint("s", n)})
				}
			},
			"endLeg": func(t *rapid.T) {
				if ls := legs(interaction.LegActive); len(ls) > 0 {
					l := rapid.SampledFrom(ls).Draw(t, "leg")
					do(l.Invitee, consult.EndConsultation{Leg: l.ID})
				}
			},
			"conference": func(t *rapid.T) {
				if ls := legs(interaction.LegActive); len(ls) > 0 {
					l := rapid.SampledFrom(ls).Draw(t, "leg")
					req := interaction.RequestID(fmt.Sprint("req", n))
					n++
					do(l.Owner, consult.Conference{Leg: l.ID, Request: req})
					do(l.Invitee, consult.AcceptRequest{Request: req})
				}
			},
			"transfer": func(t *rapid.T) {
				if ls := legs(interaction.LegActive); len(ls) > 0 {
					l := rapid.SampledFrom(ls).Draw(t, "leg")
					do(l.Owner, consult.Transfer{Leg: l.ID})
				}
			},
			"supervise": func(t *rapid.T) {
				a := rapid.SampledFrom(agents[:3]).Draw(t, "agent")
				switch rapid.IntRange(0, 2).Draw(t, "how") {
				case 0:
					do("sup", interaction.Monitor{Agent: a})
				case 1:
					do("sup", interaction.Coach{Agent: a, Text: "psst"})
				default:
					do("sup", interaction.BargeIn{})
				}
			},
			"leave": func(t *rapid.T) {
				if rarely(t) {
					do(present(t), interaction.Leave{})
				}
			},
			"end": func(t *rapid.T) {
				if rarely(t) {
					do(present(t), interaction.EndSession{})
				}
			},
			"focus": func(t *rapid.T) {
				a := rapid.SampledFrom(agents).Draw(t, "agent")
				c := signals.Conversation{}
				switch rapid.IntRange(0, 3).Draw(t, "on") {
				case 1:
					c = signals.Chat(id)
				case 2:
					if ls := legs(interaction.LegActive); len(ls) > 0 {
						c = signals.Consultation(id, rapid.SampledFrom(ls).Draw(t, "leg").ID)
					}
				case 3: // what waits for the agent: the interesting case
					if p := tracker.Pending(a); len(p) > 0 {
						c = rapid.SampledFrom(p).Draw(t, "pending").Conversation
					}
				}
				sink.focus[a] = c
				tracker.Focus(a, c)
			},
			"setting": func(t *rapid.T) {
				a, on := rapid.SampledFrom(agents).Draw(t, "agent"), rapid.Bool().Draw(t, "on")
				sink.setting[a] = on
				tracker.SetAnswerReminders(a, on)
			},
			"wait": func(t *rapid.T) {
				clock.Advance(time.Duration(rapid.IntRange(0, 90).Draw(t, "seconds")) * time.Second)
			},
			"": func(t *rapid.T) {
				st, err := chats.State(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				fresh := signals.New(clock, signals.SinkFunc(func(context.Context, signals.Reminder) {}))
				defer fresh.Close()
				fresh.Sync(st)
				for _, a := range agents {
					live, derived := tracker.Pending(a), fresh.Pending(a)
					if !slices.Equal(live, derived) {
						t.Fatalf("R-C9: %s: tracked %v, derived from the state %v", a, live, derived)
					}
				}
				if st.Status != interaction.StatusActive && tracker.Armed() != 0 {
					t.Fatalf("R-C9: %d reminders armed after the session ended", tracker.Armed())
				}
			},
		}
		// Weigh the conversation itself: messages are what make and settle
		// pending responses.
		actions["say2"], actions["say3"], actions["post2"] = actions["say"], actions["say"], actions["post"]
		actions["focus2"], actions["wait2"] = actions["focus"], actions["wait"]
		// Time passes between the desk's actions, so reminders fall due.
		for name, act := range actions {
			if name != "" {
				actions[name] = func(t *rapid.T) {
					act(t)
					clock.Advance(time.Duration(rapid.IntRange(0, 8).Draw(t, "pause")) * time.Second)
				}
			}
		}
		t.Repeat(actions)
	})
}

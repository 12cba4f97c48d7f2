package history_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/history"
	"github.com/chatconsult/chatconsult/interaction"
)

// recorder keeps every notification the live Projection got, so that a
// story can deliver one of them again (at-least-once delivery).
type recorder struct {
	mu      sync.Mutex
	p       *history.Projection
	batches [][]interaction.Event
}

func (r *recorder) Notify(ctx context.Context, s *interaction.State, evs []interaction.Event) {
	r.mu.Lock()
	r.batches = append(r.batches, slices.Clone(evs))
	r.mu.Unlock()
	r.p.Notify(ctx, s, evs)
}

// storyWorld plays random stories through interaction.Service.Do and
// consult.Service: a small generator of our own, drawing each command from
// the current state so that most of them are accepted.
type storyWorld struct {
	d   *desk
	rec *recorder
	ids []interaction.ID
	n   int // numbers the texts
}

var (
	propAgents   = []interaction.PartyID{"agent1", "agent2", "agent3", "agent4"}
	propContacts = []interaction.PartyID{"c1", "c2"}
	propAll      = append(append([]interaction.PartyID{"supervisor"}, propAgents...), propContacts...)
)

func newStoryWorld(t *rapid.T) *storyWorld {
	d := &desk{t: t, clock: chatconsulttest.NewManualClock(), store: interaction.NewMemoryStore(), live: history.New(history.WithSnapshots())}
	rec := &recorder{p: d.live}
	d.chats = interaction.NewService(interaction.WithSupervision(interaction.AnyoneMaySupervise), interaction.WithStore(d.store), interaction.WithClock(d.clock),
		interaction.WithIDs(chatconsulttest.NewSequentialIDs("id-")), interaction.WithNotifier(rec))
	d.svc = consult.New(d.chats, consult.WithInviteTimeout(30*time.Second))
	return &storyWorld{d: d, rec: rec}
}

func (w *storyWorld) text(prefix string) string {
	w.n++
	return fmt.Sprintf("%s %d", prefix, w.n)
}

// refused accepts a refusal (the story drew a command the rules forbid)
// but nothing else: every refusal is an *interaction.Error.
func (w *storyWorld) refused(t *rapid.T, err error) {
	var e *interaction.Error
	if err != nil && !errors.As(err, &e) {
		t.Fatalf("not an *interaction.Error: %v", err)
	}
}

func drawParty(t *rapid.T, st *interaction.State, label string, keep func(*interaction.Party) bool) (interaction.PartyID, bool) {
	var ps []interaction.PartyID
	for i := range st.Parties {
		if keep(&st.Parties[i]) {
			ps = append(ps, st.Parties[i].ID)
		}
	}
	if len(ps) == 0 {
		return "", false
	}
	return rapid.SampledFrom(ps).Draw(t, label), true
}

// times weighs a move: it is listed n times.
func times(n int, m move) []move {
	out := make([]move, n)
	for i := range out {
		out[i] = m
	}
	return out
}

// move is one step a story can take now.
type move struct {
	name string
	run  func(*rapid.T)
}

// moves lists what the story can do next, drawn from the current state of
// every interaction so that nearly every step changes something: each
// live leg, pending request and interaction adds its own moves, so the
// story goes deep (consultations answered, transfers, conferences, ends).
func (w *storyWorld) moves(t *rapid.T) []move {
	d := w.d
	out := []move{
		{"time passes", func(t *rapid.T) {
			d.clock.Advance(time.Duration(rapid.IntRange(1, 40).Draw(t, "seconds")) * time.Second)
		}},
		{"deliver again", func(t *rapid.T) {
			w.rec.mu.Lock()
			batches := slices.Clone(w.rec.batches)
			w.rec.mu.Unlock()
			if len(batches) > 0 {
				require.NoError(t, d.live.Apply(rapid.SampledFrom(batches).Draw(t, "batch")...))
			}
		}},
	}
	if len(w.ids) < 3 {
		out = append(out, move{"open", func(t *rapid.T) {
			id, err := d.chats.Open(ctx, rapid.SampledFrom(propContacts).Draw(t, "contact"), w.text("hello"))
			require.NoError(t, err)
			w.ids = append(w.ids, id)
		}})
	}
	for _, id := range w.ids {
		st := d.state(id)
		present := func(p *interaction.Party) bool { return p.Present() }
		engaged := func(p *interaction.Party) bool { return p.Role.Engaged() && p.Present() }
		switch st.Status {
		case interaction.StatusWaiting:
			out = append(out, move{"offer", func(t *rapid.T) {
				a := rapid.SampledFrom(propAgents).Draw(t, "agent")
				w.refused(t, d.chats.Assign(ctx, id, interaction.System, a))
				if rapid.IntRange(0, 3).Draw(t, "join") > 0 {
					w.refused(t, d.chats.Join(ctx, id, a))
				} else {
					_, err := d.chats.Do(ctx, id, a, interaction.Decline{})
					w.refused(t, err)
				}
			}})
		case interaction.StatusActive:
			out = append(out,
				move{"post", func(t *rapid.T) {
					if p, ok := drawParty(t, st, "author", present); ok {
						w.refused(t, d.chats.Post(ctx, id, p, w.text("chat")))
					}
				}},
				move{"note", func(t *rapid.T) {
					if p, ok := drawParty(t, st, "author", present); ok {
						_, err := d.chats.Do(ctx, id, p, interaction.Note{Text: w.text("note")})
						w.refused(t, err)
					}
				}},
				move{"consult", func(t *rapid.T) {
					if owner, ok := drawParty(t, st, "owner", engaged); ok {
						target := rapid.SampledFrom(propAgents).Draw(t, "target")
						medium := rapid.SampledFrom([]interaction.Medium{interaction.MediumChat, interaction.MediumIM, interaction.MediumVoice}).Draw(t, "medium")
						_, err := d.svc.Start(ctx, id, owner, agent(string(target)), medium)
						w.refused(t, err)
					}
				}},
				move{"consult", func(t *rapid.T) {
					if owner, ok := drawParty(t, st, "owner", engaged); ok {
						_, err := d.svc.Start(ctx, id, owner, agent(string(rapid.SampledFrom(propAgents).Draw(t, "target"))), interaction.MediumChat)
						w.refused(t, err)
					}
				}},
				move{"direct", func(t *rapid.T) {
					if owner, ok := drawParty(t, st, "owner", engaged); ok {
						target := agent(string(rapid.SampledFrom(propAgents).Draw(t, "target")))
						var err error
						if rapid.Bool().Draw(t, "transfer") {
							_, err = d.svc.TransferTo(ctx, id, owner, target)
						} else {
							_, err = d.svc.ConferenceWith(ctx, id, owner, target)
						}
						w.refused(t, err)
					}
				}},
				move{"supervise", func(t *rapid.T) {
					if a, ok := drawParty(t, st, "agent", engaged); ok {
						switch rapid.IntRange(0, 2).Draw(t, "how") {
						case 0:
							w.refused(t, d.chats.Monitor(ctx, id, "supervisor", a))
						case 1:
							w.refused(t, d.chats.Coach(ctx, id, "supervisor", a, w.text("coaching")))
						default:
							w.refused(t, d.chats.BargeIn(ctx, id, "supervisor"))
						}
					}
				}},
				move{"remove", func(t *rapid.T) {
					m, ok := drawParty(t, st, "member", func(p *interaction.Party) bool { return p.Role == interaction.RoleMember && p.Present() })
					if owner := st.Owner(); ok && owner != nil {
						w.refused(t, d.svc.Remove(ctx, id, owner.ID, m))
					}
				}},
				move{"end or leave", func(t *rapid.T) {
					if p, ok := drawParty(t, st, "party", present); ok {
						if rapid.Bool().Draw(t, "end") {
							w.refused(t, d.chats.EndSession(ctx, id, p))
						} else {
							w.refused(t, d.chats.Leave(ctx, id, p))
						}
					}
				}},
			)
		}
		if st.Status == interaction.StatusEnded || st.Status == interaction.StatusActive {
			out = append(out, move{"mark done", func(t *rapid.T) {
				if p, ok := drawParty(t, st, "agent", func(p *interaction.Party) bool {
					return p.TookPart && p.Role != interaction.RoleContact && p.Membership != interaction.MemberDone
				}); ok {
					w.refused(t, d.chats.MarkDone(ctx, id, p))
				}
			}})
		}
		for _, l := range st.Legs {
			switch l.State {
			case interaction.LegInviting:
				out = append(out, times(3, move{"answer consultation", func(t *rapid.T) {
					switch rapid.IntRange(0, 4).Draw(t, "answer") {
					case 0, 1, 2:
						w.refused(t, d.svc.Accept(ctx, id, l.Invitee, l.ID))
					case 3:
						w.refused(t, d.svc.Decline(ctx, id, l.Invitee, l.ID))
					default:
						w.refused(t, d.svc.Cancel(ctx, id, l.Owner, l.ID))
					}
				}})...)
			case interaction.LegActive:
				out = append(out,
					move{"say", func(t *rapid.T) {
						who := rapid.SampledFrom([]interaction.PartyID{l.Owner, l.Invitee}).Draw(t, "speaker")
						w.refused(t, d.svc.Say(ctx, id, who, l.ID, w.text("consultation:")))
					}},
					move{"say", func(t *rapid.T) {
						w.refused(t, d.svc.Say(ctx, id, l.Invitee, l.ID, w.text("consultation:")))
					}},
					move{"end consultation", func(t *rapid.T) {
						who := rapid.SampledFrom([]interaction.PartyID{l.Owner, l.Invitee}).Draw(t, "by")
						w.refused(t, d.svc.EndConsultation(ctx, id, who, l.ID))
					}},
				)
				out = append(out, times(2, move{"transfer", func(t *rapid.T) {
					w.refused(t, d.svc.Transfer(ctx, id, l.Owner, l.ID))
				}})...)
				out = append(out, times(3, move{"conference", func(t *rapid.T) {
					_, err := d.svc.Conference(ctx, id, l.Owner, l.ID)
					w.refused(t, err)
				}})...)
			}
		}
		for _, r := range st.Requests {
			if r.State != interaction.RequestPending {
				continue
			}
			out = append(out, times(4, move{"answer request", func(t *rapid.T) {
				switch rapid.IntRange(0, 4).Draw(t, "answer") {
				case 0, 1, 2:
					w.refused(t, d.svc.AcceptRequest(ctx, id, r.Invitee, r.ID))
				case 3:
					w.refused(t, d.svc.DeclineRequest(ctx, id, r.Invitee, r.ID))
				default:
					w.refused(t, d.svc.CancelRequest(ctx, id, r.Owner, r.ID))
				}
			}})...)
		}
	}
	return out
}

// check is the invariant after every step.
func (w *storyWorld) check(t *rapid.T) {
	d := w.d
	states := map[interaction.ID]*interaction.State{}
	for _, id := range w.ids {
		states[id] = d.state(id)
	}
	// R-H2, R-C5: no history view or export for the contact ever holds a
	// consultation message, nor anything the contact could not see.
	for _, c := range propContacts {
		for _, e := range contactHistory(t, d.live, c) {
			st := states[e.Interaction]
			require.Equal(t, c, st.Contact)
			for _, m := range e.Transcript {
				require.NotEqual(t, interaction.ScopeLeg, m.Scope.Kind, "R-H2: consultation in contact history")
				require.False(t, strings.HasPrefix(m.Text, "consultation:"), "R-H2: %q in contact history", m.Text)
				require.True(t, st.CanSee(c, m.Author, m.Scope, m.Version), "the contact could not see %q", m.Text)
			}
		}
		for _, id := range w.ids {
			x, err := d.live.Export(ctx, id, c)
			if states[id].Contact != c {
				require.ErrorIs(t, err, interaction.ErrNotPermitted)
				continue
			}
			require.NoError(t, err)
			for _, m := range x.Messages {
				require.NotEqual(t, "leg", m.Scope, "R-C5: consultation in the contact's export")
				require.False(t, strings.HasPrefix(m.Text, "consultation:"), "R-C5: %q in the contact's export", m.Text)
			}
		}
	}
	// R-H3: exactly the agents engaged with the contact have an entry; no
	// My History transcript holds a consultation message (R-H2).
	for _, a := range append([]interaction.PartyID{"supervisor"}, propAgents...) {
		var got []interaction.ID
		for _, e := range myHistory(t, d.live, a) {
			p := states[e.Interaction].Party(a)
			require.True(t, p != nil && p.WasEngaged, "R-H3: %s has an entry for %s but was never engaged", a, e.Interaction)
			require.Empty(t, consultationMessages(e.Transcript), "R-H2: consultation in %s's My History", a)
			got = append(got, e.Interaction)
		}
		for _, id := range w.ids {
			if p := states[id].Party(a); p != nil && p.WasEngaged {
				require.Contains(t, got, id, "R-H3: %s was engaged in %s", a, id)
			}
		}
	}
	// R-H1: one activity entry per interaction, consultations inside.
	act := activity(t, d.live)
	require.Len(t, act, len(w.ids))
	for _, a := range act {
		require.Len(t, a.Consultations, len(states[a.Interaction].Legs))
	}
}

// The property: over random stories, no history view or export for
// the contact ever holds a consultation message (R-H2, R-C5); every agent
// with a My History entry was engaged with the contact, and every engaged
// agent has one (R-H3); a replay of the Store and the live projection agree
// (R-X5), also when the Notifier delivers a batch again.
func TestPropertyHistoryOverRandomStories(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := newStoryWorld(t)
		steps := 30 + rapid.IntRange(0, 50).Draw(t, "steps")
		for i := range steps {
			moves := w.moves(t)
			names := make([]int, len(moves))
			for j := range names {
				names[j] = j
			}
			m := moves[rapid.SampledFrom(names).Draw(t, "move")]
			t.Logf("step %d: %s", i, m.name)
			m.run(t)
			w.check(t)
			if i%10 == 9 {
				require.Equal(t, snap(t, w.d.rebuilt(), propAll, propContacts), snap(t, w.d.live, propAll, propContacts), "replay and live disagree")
			}
		}
		require.Equal(t, snap(t, w.d.rebuilt(), propAll, propContacts), snap(t, w.d.live, propAll, propContacts), "replay and live disagree")
	})
}

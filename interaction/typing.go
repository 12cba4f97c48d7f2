package interaction

import (
	"context"
	"time"
)

// Typing (issue 17). A party that is composing a message signals it: the
// signal is ephemeral, not a fact about the chat (like a reminder it never
// enters the event log, Apply refuses it), and it goes through the
// Notifier to exactly the parties who would see that message if it were
// sent now (State.TypingVisible): typing in a consultation leg reaches the
// leg's two agents (and a supervisor whose window covers the leg), never
// the contact; typing in the chat reaches everyone in it.
//
// Who may signal typing where is not repeated here: Service.Typing decides
// the message command the party is composing (Post, Note, consult.Say,
// Coach) as a draft, on the current state, and the signal goes where that
// message would go, or is refused as that message would be.
//
// A signal expires on its own: it carries its Deadline (its Time plus
// TypingExpiry), and a reader stops showing it at that time by its own
// clock, or as soon as that party's message arrives (TypingBoard). Time is
// an input: nothing in the library waits for it.

// TypingExpiry is how long a typing signal lasts unless renewed.
const TypingExpiry = 6 * time.Second

// draftText stands in for the empty text of a draft (never stored).
const draftText = "…"

// TypingNotifier is a Notifier that also delivers typing signals.
// MemoryNotifier and Notifiers are.
type TypingNotifier interface {
	// NotifyTyping delivers ev (an EventTyping) to the parties of state
	// who may see it (State.TypingVisible), as each is shown it
	// (State.TypingFor).
	NotifyTyping(ctx context.Context, state *State, ev Event)
}

// Typing signals that actor is composing draft (a Post, Note,
// consult.Say or Coach command; its text may be empty) in interaction id.
// It is refused as the draft would be (and ErrBadInput for a command that
// writes no single message); it writes nothing. It returns the signal as
// the actor is shown it.
func (s *Service) Typing(ctx context.Context, id ID, actor PartyID, draft Command) (Event, error) {
	if draft == nil {
		return Event{}, &Error{Kind: ErrBadInput, Op: "typing", Interaction: id, Party: actor, Rule: "R-X6", Detail: "no draft"}
	}
	if id == "" {
		return Event{}, &Error{Kind: ErrBadInput, Op: "typing", Detail: "no interaction ID"}
	}
	var out Event
	err := s.Read(ctx, id, func(st *State) error {
		now := s.clock.Now()
		if eventTimeOf(now).before(st.log.last) {
			now = st.log.last.time().In(now.Location())
		}
		ev, err := TypingSignal(st, actor, now, draft, s.limits, s.supervision)
		if err != nil {
			return err
		}
		if tn, ok := s.notifier.(TypingNotifier); ok {
			tn.NotifyTyping(context.WithoutCancel(ctx), st, ev)
		}
		out = st.TypingFor(actor, ev, s.names)
		return nil
	})
	return out, err
}

// TypingSignal decides the typing signal of actor composing draft on s at
// now: the EventTyping a TypingNotifier delivers, or why it is refused.
// It is pure (Service.Typing and the harness kit use it).
func TypingSignal(s *State, actor PartyID, now time.Time, draft Command, limits Limits, policy SupervisionPolicy) (Event, error) {
	d := NewDecision(s, actor, now, "typing", limits, nopIDs{})
	d.drafting, d.supervision = true, policy
	if err := draft.Decide(d); err != nil {
		return Event{}, err
	}
	events, err := d.Events()
	if err != nil {
		return Event{}, err
	}
	if len(events) != 1 || events[0].Type != EventMessage || events[0].Kind != KindText || events[0].Actor != actor {
		return Event{}, &Error{Kind: ErrBadInput, Op: "typing", Interaction: s.ID, Party: actor, Rule: "R-X6", Detail: "the draft is no message of the party's"}
	}
	sc := events[0].Scope
	return Event{Interaction: s.ID, Type: EventTyping, Time: now, Deadline: now.Add(TypingExpiry), Actor: actor, Scope: sc, Leg: LegID(sc.Invitation)}, nil
}

type nopIDs struct{}

func (nopIDs) NewID() string { return "draft" }

// TypingVisible reports whether viewer is told of typing signal ev: it is
// not the typist, and it would see a message in ev's scope written now.
//
// Typing in a consultation reaches its agents only, never the contact (R-C5).
func (s *State) TypingVisible(viewer PartyID, ev *Event) bool {
	p := s.Party(viewer)
	if p == nil || ev.Type != EventTyping || viewer == ev.Actor {
		return false
	}
	return s.sees(p, ev.Actor, ev.Scope, s.Version+1, len(s.Parties))
}

// TypingFor is typing signal ev as viewer is shown it: the typist as the
// viewer knows it (the contact sees agent-n), no cause, no version.
func (s *State) TypingFor(viewer PartyID, ev Event, names ContactNames) Event {
	p := s.Party(viewer)
	if p == nil {
		return Event{}
	}
	out := s.lensFor(p, names).shown(&ev, 0, 0)
	out.Cause, out.Fingerprint = "", 0
	return out
}

// NotifyTyping implements TypingNotifier.
func (ns Notifiers) NotifyTyping(ctx context.Context, s *State, ev Event) {
	for _, n := range ns {
		if tn, ok := n.(TypingNotifier); ok {
			tn.NotifyTyping(ctx, s, ev)
		}
	}
}

// NotifyTyping implements TypingNotifier: each party's subscriptions that
// may see ev get it as that party is shown it (a delta subscription as a
// Delta with Changes 0, like a reminder: it changes no view).
func (n *MemoryNotifier) NotifyTyping(_ context.Context, s *State, ev Event) {
	if ev.Type != EventTyping {
		return
	}
	n.mu.RLock()
	defer n.mu.RUnlock()
	for i := range s.Parties {
		id := s.Parties[i].ID
		subs := n.byParty[id]
		if len(subs) == 0 || !s.TypingVisible(id, &ev) {
			continue
		}
		shown := s.TypingFor(id, ev, n.names)
		for _, sub := range subs {
			if sub.deltas {
				sub.pushDeltas([]Delta{{Interaction: s.ID, Event: shown}})
				continue
			}
			sub.push([]Event{shown}, false)
		}
	}
}

// TypingBoard is who is typing, as one party was told: a reader feeds it
// the typing signals and messages it is delivered (Observe) and asks who
// is typing at a time of its clock (Active). A signal lasts until its
// Deadline, or until that party's message in that scope arrives.
type TypingBoard struct {
	typing []Event
}

// Observe takes one delivered event: a typing signal (it replaces the
// party's earlier one in that scope) or a message (it ends its author's
// typing in its scope). Other events are ignored.
func (b *TypingBoard) Observe(ev Event) {
	switch ev.Type {
	case EventTyping, EventMessage:
	default:
		return
	}
	out := b.typing[:0]
	for _, t := range b.typing {
		if t.Interaction == ev.Interaction && t.Actor == ev.Actor && t.Scope == ev.Scope {
			continue
		}
		out = append(out, t)
	}
	b.typing = out
	if ev.Type == EventTyping && ev.Actor != "" {
		b.typing = append(b.typing, ev)
	}
}

// Active returns the signals that have not expired at now, dropping those
// that have.
func (b *TypingBoard) Active(now time.Time) []Event {
	out := b.typing[:0]
	for _, t := range b.typing {
		if now.Before(t.Deadline) {
			out = append(out, t)
		}
	}
	b.typing = out
	return append([]Event(nil), out...)
}

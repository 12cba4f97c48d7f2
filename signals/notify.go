package signals

import (
	"context"

	"github.com/chatconsult/chatconsult/interaction"
)

// Notify implements interaction.Notifier: it follows the committed events
// of one interaction. A batch of messages only (the common case) is
// applied message by message; any other event (membership, role, leg,
// status) re-derives the interaction's pending responses from the state.
//
// Decides R-C9: which chats wait for an agent's answer.
func (t *Tracker) Notify(_ context.Context, s *interaction.State, events []interaction.Event) {
	if len(events) == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return
	}
	// Drop what was heard already, by version: a tracker fed by its own
	// Service and by a relay of every instance's commands (several
	// instances on one Store) hears this instance's events twice, and a
	// late second hearing must not raise again what an answer settled.
	if last := t.heard[s.ID]; last > 0 {
		k := 0
		for k < len(events) && events[k].Version <= last {
			k++
		}
		events = events[k:]
		if len(events) == 0 {
			return
		}
	}
	if s.Status == interaction.StatusClosed {
		delete(t.heard, s.ID)
	} else {
		t.heard[s.ID] = events[len(events)-1].Version
	}
	structural := false
	for i := range events {
		if events[i].Type != interaction.EventMessage {
			structural = true
			break
		}
	}
	if structural {
		t.resync(s, events[len(events)-1].Time.UnixNano())
	} else {
		for i := range events {
			t.message(s, &events[i])
		}
	}
	t.rearm()
}

// Sync derives the pending responses of an interaction from its state
// alone, as of now: for a tracker started after the interaction (a
// restart), before its next event arrives. A restarted process hands it
// every open interaction the Store lists: chats.Recover(ctx, tracker.Sync)
// (interaction.Service.Recover). Their reminders are armed from now (Delay
// after the Sync); the desks' focus and settings were the old process's
// memory and come back with the desks (Focus, SetAnswerReminders).
func (t *Tracker) Sync(s *interaction.State) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return
	}
	if s.Status != interaction.StatusClosed && s.Version > t.heard[s.ID] {
		t.heard[s.ID] = s.Version // what a relay replays up to here is in s
	}
	t.resync(s, t.now())
	t.rearm()
}

// asks reports whether a message can ask for or give an answer: text
// written by a party, in the chat or in a leg (not notices, notes or
// coaching).
func asks(kind interaction.MessageKind, author interaction.PartyID, sc interaction.ScopeKind) bool {
	return kind == interaction.KindText && author != interaction.System &&
		(sc == interaction.ScopeEveryone || sc == interaction.ScopeLeg)
}

func (t *Tracker) message(s *interaction.State, ev *interaction.Event) {
	if !asks(ev.Kind, ev.Actor, ev.Scope.Kind) || s.Status != interaction.StatusActive {
		return
	}
	at := ev.Time.UnixNano()
	if ev.Scope.Kind == interaction.ScopeEveryone {
		c := Chat(s.ID)
		if ev.Actor == s.Contact {
			for i := range s.Parties {
				if p := &s.Parties[i]; p.Present() && p.Role.Engaged() {
					t.raise(t.deskOf(p.ID), c, at, at)
				}
			}
			return
		}
		// An engaged agent answered the contact, for all of them.
		for i := range s.Parties {
			t.settle(s.Parties[i].ID, c)
		}
		return
	}
	l := s.Leg(interaction.LegID(ev.Scope.Invitation))
	if l == nil {
		return
	}
	c := Consultation(s.ID, l.ID)
	t.settle(ev.Actor, c)
	if other, ok := otherAgent(l, ev.Actor); ok && l.State == interaction.LegActive {
		if q := s.Party(other); q != nil && q.Present() {
			t.raise(t.deskOf(other), c, at, at)
		}
	}
}

func otherAgent(l *interaction.Leg, author interaction.PartyID) (interaction.PartyID, bool) {
	switch author {
	case l.Owner:
		return l.Invitee, true
	case l.Invitee:
		return l.Owner, true
	}
	return "", false
}

// legRun is the trailing run of one leg's messages by one of its agents.
type legRun struct {
	leg   *interaction.Leg
	from  interaction.PartyID
	since int64
	open  bool
}

// resync derives the pending responses of interaction s from its state and
// brings the tracker in line: new ones are raised (as learnt at at), gone
// ones settled, lasting ones keep their schedule.
func (t *Tracker) resync(s *interaction.State, at int64) {
	want := t.want[:0]
	if s.Status == interaction.StatusActive {
		want = appendWanted(want, s)
	}
	for i := range s.Parties {
		d := t.desks[s.Parties[i].ID]
		if d == nil {
			continue
		}
		for j := len(d.pending) - 1; j >= 0; j-- {
			e := d.pending[j]
			if e.conv.Interaction == s.ID && !wants(want, d.agent, e.conv) {
				t.drop(d, j)
			}
		}
	}
	for _, w := range want {
		t.raise(t.deskOf(w.agent), w.conv, w.since, at)
	}
	clear(want)
	t.want = want[:0]
}

func wants(want []wanted, agent interaction.PartyID, c Conversation) bool {
	for _, w := range want {
		if w.agent == agent && w.conv == c {
			return true
		}
	}
	return false
}

// appendWanted scans the transcript from its end for the trailing run of
// the chat (by the contact) and of every active leg (by one of its
// agents); it stops as soon as every run is broken.
func appendWanted(want []wanted, s *interaction.State) []wanted {
	var runs []legRun
	for i := range s.Legs {
		if s.Legs[i].State == interaction.LegActive {
			runs = append(runs, legRun{leg: &s.Legs[i], open: true})
		}
	}
	chatOpen, chatWaits, chatSince := true, false, int64(0)
	open := len(runs) + 1
	for i := len(s.Messages) - 1; i >= 0 && open > 0; i-- {
		m := &s.Messages[i]
		if !asks(m.Kind, m.Author, m.Scope.Kind) {
			continue
		}
		if m.Scope.Kind == interaction.ScopeEveryone {
			if !chatOpen {
				continue
			}
			if m.Author == s.Contact {
				chatWaits, chatSince = true, m.Time.UnixNano()
			} else {
				chatOpen = false
				open--
			}
			continue
		}
		for k := range runs {
			r := &runs[k]
			if !r.open || interaction.InvitationID(r.leg.ID) != m.Scope.Invitation {
				continue
			}
			switch r.from {
			case "", m.Author:
				r.from, r.since = m.Author, m.Time.UnixNano()
			default:
				r.open = false
				open--
			}
			break
		}
	}
	if chatWaits {
		for i := range s.Parties {
			if p := &s.Parties[i]; p.Present() && p.Role.Engaged() {
				want = append(want, wanted{agent: p.ID, conv: Chat(s.ID), since: chatSince})
			}
		}
	}
	for _, r := range runs {
		if r.from == "" {
			continue
		}
		other, ok := otherAgent(r.leg, r.from)
		if q := s.Party(other); ok && q != nil && q.Present() {
			want = append(want, wanted{agent: other, conv: Consultation(s.ID, r.leg.ID), since: r.since})
		}
	}
	return want
}

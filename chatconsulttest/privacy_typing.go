package chatconsulttest

import (
	"context"
	"fmt"
	"slices"

	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/interaction"
)

// typingProbe (issue 17): after a step, its actor signals typing where it
// could write (the chat, and each active leg it is in), and the probe
// checks, against the model, that typing is refused exactly where the
// message would be, that it reaches exactly the parties the model says
// would see that message (Model.TypingTo) and nobody else (never the
// contact from a leg, never the Stranger), each told the typist as the
// model names it, and that it writes nothing. It runs when the harness's
// Notifier is a TypingNotifier (MemoryNotifier, Notifiers).
func (ph *PrivacyHarness) typingProbe(ctx context.Context, rep *StepReport, actor interaction.PartyID) {
	m := ph.Model
	p := m.party(actor)
	if p == nil || !m.exists || !deliversTyping(ph.Chats.Notifier()) {
		return // a Notifier that delivers no typing (a planted one's wrapper, say) leaks none
	}
	add := func(rule, subject, format string, args ...any) {
		rep.Differences = append(rep.Differences, Difference{Rule: rule, Subject: subject, Detail: fmt.Sprintf(format, args...)})
	}
	drafts := []interaction.Command{interaction.Post{}}
	for _, l := range m.legs {
		if (l.owner == actor || l.agent == actor) && l.state == interaction.LegActive {
			drafts = append(drafts, consult.Say{Leg: l.id})
		}
	}
	for _, draft := range drafts {
		subject := "typing of " + Step{Actor: actor, Command: draft}.String()
		var sc interaction.Scope
		var probe interaction.Command
		switch d := draft.(type) {
		case interaction.Post:
			sc, probe = interaction.Everyone, interaction.Post{Text: "x"}
		case consult.Say:
			sc, probe = interaction.LegScope(d.Leg), consult.Say{Leg: d.Leg, Text: "x"}
		}
		want := m.Predict(Step{Actor: actor, Command: probe})
		if want.Unmodelled || want.KnownBug != "" {
			continue
		}
		version := m.Version()
		_, err := ph.Chats.Typing(ctx, ph.ID, actor, draft)
		if !want.Allows(err) {
			add("R-C5", subject, "typing refused with %v where the message would be %v", err, want.Kinds)
		}
		var to []interaction.PartyID
		if want.Accepted {
			to = m.TypingTo(actor, sc)
		}
		readers := slices.Clone(m.parties)
		if m.party(Stranger) == nil {
			readers = append(readers, &mParty{id: Stranger, idx: -1})
		}
		for _, q := range readers {
			f := ph.feeds[q.id]
			if f == nil {
				continue
			}
			var typing []interaction.Event
			for _, ev := range f.Drain() {
				if ev.Type == interaction.EventTyping {
					typing = append(typing, ev)
				} else {
					add("R-X5", subject, "%s is told %s on typing", q.id, ev.Type)
				}
			}
			expect := slices.Contains(to, q.id)
			switch {
			case expect && len(typing) != 1:
				add("R-C5", subject, "%s would see the message but is told %d typing signals", q.id, len(typing))
			case !expect && len(typing) > 0:
				rule := "R-X6"
				if q.role == interaction.RoleContact {
					rule = "R-C5" // typing in a consultation reaches the contact
				} else if q.role == interaction.RoleSupervisor || p.role == interaction.RoleSupervisor {
					rule = "R-X7"
				}
				add(rule, subject, "%s may not see the message but is told typing %v", q.id, typing)
			case expect:
				ev := typing[0]
				if ev.Actor != m.ShownID(q.id, actor) || ev.Scope.Kind != sc.Kind || ev.Cause != "" || ev.Version != 0 || ev.Deadline.IsZero() {
					add("R-X6", subject, "%s is told typing as %+v (typist %q, scope %s)", q.id, ev, m.ShownID(q.id, actor), scopeString(sc))
				}
			}
		}
		if st, err := ph.Chats.State(ctx, ph.ID); err == nil && st.Version != version {
			add("R-X5", subject, "typing wrote events: version %d, model %d", st.Version, version)
		}
	}
}

// deliversTyping: n, or one of the Notifiers it fans out to, delivers
// typing signals (a MemoryNotifier, say).
func deliversTyping(n interaction.Notifier) bool {
	if ns, ok := n.(interaction.Notifiers); ok {
		return slices.ContainsFunc(ns, deliversTyping)
	}
	_, ok := n.(interaction.TypingNotifier)
	return ok
}

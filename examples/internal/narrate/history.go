package narrate

import (
	"fmt"

	"github.com/chatconsult/chatconsult/history"
)

// MyHistory prints the My History of each agent once the story is over,
// from a history projection replayed from the story's event log (R-X5).
// An agent lists the interaction only if it was engaged with the contact
// (R-H3), and the entry never holds a consultation message (R-H2).
func (s *Story) MyHistory(agents ...PartyID) {
	p := s.projection()
	if p == nil {
		return
	}
	fmt.Fprintf(s.w, "\nMy History afterwards (R-H2, R-H3):\n")
	for _, a := range agents {
		page, err := p.MyHistory(s.ctx, a, history.Query{})
		if err != nil {
			s.Fail(fmt.Errorf("my history of %s: %w", a, err))
			return
		}
		if len(page.Items) == 0 {
			fmt.Fprintf(s.w, "%s%s: no entry\n", indent, a)
			continue
		}
		fmt.Fprintf(s.w, "%s%s: %d %s\n", indent, a, len(page.Items), plural(len(page.Items), "entry", "entries"))
		for _, e := range page.Items {
			fmt.Fprintf(s.w, "%s  | chat with %s, agents %s, %s; %d %s in its transcript:\n",
				indent, e.Contact, names(e.Agents), e.Status, len(e.Transcript), plural(len(e.Transcript), "message", "messages"))
			for _, m := range e.Transcript {
				fmt.Fprintf(s.w, "%s  |   %s: %s%s\n", indent, m.Author, m.Text, scopeTag(m))
			}
		}
	}
}

// Activity prints the activity history (the staff view): one entry per
// interaction, its consultations inside it, never entries of their own
// (R-H1).
func (s *Story) Activity() {
	p := s.projection()
	if p == nil {
		return
	}
	page, err := p.Activity(s.ctx, history.Query{})
	if err != nil {
		s.Fail(fmt.Errorf("activity history: %w", err))
		return
	}
	fmt.Fprintf(s.w, "\nActivity history (R-H1): %d %s\n", len(page.Items), plural(len(page.Items), "entry", "entries"))
	for _, a := range page.Items {
		fmt.Fprintf(s.w, "%s| chat with %s, agents %s, %s\n", indent, a.Contact, names(a.Agents), a.Status)
		for _, c := range a.Consultations {
			fmt.Fprintf(s.w, "%s|   %s consultation %s -> %s (asked for %s): %s after %s\n",
				indent, c.Medium, c.Owner, c.Invitee, c.Target, c.State, c.Ended.Sub(c.Started))
		}
	}
}

// projection replays the story's log into a fresh history projection.
func (s *Story) projection() *history.Projection {
	if s.err != nil {
		return nil
	}
	p, err := history.Rebuild(s.ctx, s.Store)
	if err != nil {
		s.Fail(fmt.Errorf("history: %w", err))
		return nil
	}
	return p
}

func names(ids []PartyID) string {
	out := ""
	for i, id := range ids {
		if i > 0 {
			out += ", "
		}
		out += string(id)
	}
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

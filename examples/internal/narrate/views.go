package narrate

import (
	"fmt"

	"github.com/chatconsult/chatconsult/interaction"
)

// Show prints what each party sees of the interaction now: its View, the
// only thing a desk would render for it.
func (s *Story) Show(parties ...PartyID) {
	if s.err != nil {
		return
	}
	fmt.Fprintf(s.w, "\n%swhat each party sees now:\n", indent)
	for _, p := range parties {
		v, err := s.Chats.View(s.ctx, s.ID, p)
		if err != nil {
			s.Fail(fmt.Errorf("view of %s: %w", p, err))
			return
		}
		fmt.Fprintf(s.w, "%s%s (%s, %s; chat %s)\n", indent, p, v.Role, v.Membership, v.Status)
		for _, l := range v.Legs {
			fmt.Fprintf(s.w, "%s  | %s consultation %s -> %s: %s\n", indent, l.Medium, l.Owner, l.Invitee, l.State)
		}
		if len(v.Messages) == 0 {
			fmt.Fprintf(s.w, "%s  | (no messages)\n", indent)
		}
		for _, m := range v.Messages {
			fmt.Fprintf(s.w, "%s  | %s: %s%s\n", indent, m.Author, m.Text, scopeTag(m))
		}
	}
	fmt.Fprintln(s.w)
}

// scopeTag marks a message that not everyone in the chat sees.
func scopeTag(m interaction.Message) string {
	switch m.Scope.Kind {
	case interaction.ScopeLeg:
		return "   [consultation]"
	case interaction.ScopeParty:
		return "   [only " + string(m.Scope.Party) + "]"
	case interaction.ScopeAgents:
		return "   [agents only]"
	case interaction.ScopeCoach:
		return "   [coaching]"
	}
	return ""
}

// Status prints the state of the interaction.
func (s *Story) Status() {
	if s.err != nil {
		return
	}
	st, err := s.Chats.State(s.ctx, s.ID)
	if err != nil {
		s.Fail(err)
		return
	}
	fmt.Fprintf(s.w, "\nThe interaction is %s after %d events; one event stream, one transcript (R-H1).\n", st.Status, st.Version)
}

package narrate

import (
	"fmt"

	"github.com/chatconsult/chatconsult/interaction"
)

// The steps the stories share, each a call of the library with the
// sentence that narrates it. A step that returns an ID returns "" once the
// story has failed; later steps are skipped anyway.

// Open: the contact opens the chat with a first message.
func (s *Story) Open(contact PartyID, text string) {
	s.contact = contact
	s.Step(contact, fmt.Sprintf("opens a chat: %q", text), func() (err error) {
		s.ID, err = s.Chats.Open(s.ctx, contact, text)
		return err
	})
}

// Connect: routing offers the chat to agent, and agent takes it (owner).
func (s *Story) Connect(agent PartyID) {
	s.Step(interaction.System, "offers the chat to "+string(agent), func() error {
		return s.Chats.Assign(s.ctx, s.ID, interaction.System, agent)
	})
	s.Step(agent, "accepts the chat and is now its owner", func() error {
		return s.Chats.Join(s.ctx, s.ID, agent)
	})
}

// Post: actor writes in the chat with the contact.
func (s *Story) Post(actor PartyID, text string) {
	s.Step(actor, fmt.Sprintf("writes in the chat: %q", text), func() error {
		return s.Chats.Post(s.ctx, s.ID, actor, text)
	})
}

// Consult: owner invites target agent to a consultation held as medium
// (R-C1, R-C3, R-C10).
func (s *Story) Consult(owner, target PartyID, medium interaction.Medium) interaction.LegID {
	return s.ConsultTarget(owner, interaction.Target{Kind: interaction.TargetAgent, ID: string(target)}, medium)
}

// ConsultTarget: owner invites a target (agent, group, skill or queue) to
// a consultation (R-C2).
func (s *Story) ConsultTarget(owner PartyID, target interaction.Target, medium interaction.Medium) interaction.LegID {
	var leg interaction.LegID
	what := fmt.Sprintf("invites %s to %s", describeTarget(target), describeMedium(medium))
	s.Step(owner, what, func() (err error) {
		leg, err = s.Desk.Start(s.ctx, s.ID, owner, target, medium)
		return err
	})
	if target.Kind != interaction.TargetAgent && s.err == nil {
		st, err := s.Chats.State(s.ctx, s.ID)
		if err != nil {
			s.Fail(err)
			return leg
		}
		s.Note("R-C2: routing chose %s, an available agent with that %s", st.Leg(leg).Invitee, target.Kind)
	}
	return leg
}

// Accept: the invited agent accepts the consultation (R-C3, R-C6).
func (s *Story) Accept(agent PartyID, leg interaction.LegID) {
	s.Step(agent, "accepts the consultation", func() error {
		return s.Desk.Accept(s.ctx, s.ID, agent, leg)
	})
}

// Decline: the invited agent declines the consultation (R-C3).
func (s *Story) Decline(agent PartyID, leg interaction.LegID) {
	s.Step(agent, "declines the consultation", func() error {
		return s.Desk.Decline(s.ctx, s.ID, agent, leg)
	})
}

// Cancel: the owner withdraws an invitation still pending (R-X2).
func (s *Story) Cancel(owner PartyID, leg interaction.LegID) {
	s.Step(owner, "cancels its invitation before it is answered", func() error {
		return s.Desk.Cancel(s.ctx, s.ID, owner, leg)
	})
}

// Say: actor writes in the consultation (R-C5).
func (s *Story) Say(actor PartyID, leg interaction.LegID, text string) {
	s.Step(actor, fmt.Sprintf("writes in the consultation: %q", text), func() error {
		return s.Desk.Say(s.ctx, s.ID, actor, leg, text)
	})
}

// EndConsultation: the owner or the target ends the consultation (R-C4).
func (s *Story) EndConsultation(actor PartyID, leg interaction.LegID) {
	s.Step(actor, "ends the consultation", func() error {
		return s.Desk.EndConsultation(s.ctx, s.ID, actor, leg)
	})
}

// Transfer: the owner hands the chat to the consultation's target (R-T1).
func (s *Story) Transfer(owner PartyID, leg interaction.LegID) {
	s.Step(owner, "transfers the chat to the consultation's target", func() error {
		return s.Desk.Transfer(s.ctx, s.ID, owner, leg)
	})
}

// Conference: the owner asks the consultation's target to join the chat
// (R-F1); it returns the request.
func (s *Story) Conference(owner PartyID, leg interaction.LegID) interaction.RequestID {
	var req interaction.RequestID
	s.Step(owner, "asks the consultation's target to join the chat as a conference", func() (err error) {
		req, err = s.Desk.Conference(s.ctx, s.ID, owner, leg)
		return err
	})
	return req
}

// ConferenceWith: the owner asks agent to join the chat directly, without
// a consultation first (R-X4); it returns the request.
func (s *Story) ConferenceWith(owner, agent PartyID) interaction.RequestID {
	var req interaction.RequestID
	target := interaction.Target{Kind: interaction.TargetAgent, ID: string(agent)}
	s.Step(owner, "asks "+string(agent)+" to join the chat as a conference, without a consultation", func() (err error) {
		req, err = s.Desk.ConferenceWith(s.ctx, s.ID, owner, target)
		return err
	})
	return req
}

// AcceptRequest: the asked agent accepts a conference or transfer request.
func (s *Story) AcceptRequest(agent PartyID, req interaction.RequestID) {
	s.Step(agent, "accepts the request and joins the chat", func() error {
		return s.Desk.AcceptRequest(s.ctx, s.ID, agent, req)
	})
}

// DeclineRequest: the asked agent declines (R-F4).
func (s *Story) DeclineRequest(agent PartyID, req interaction.RequestID) {
	s.Step(agent, "declines the request", func() error {
		return s.Desk.DeclineRequest(s.ctx, s.ID, agent, req)
	})
}

// Remove: the owner takes a member out of the conference (R-F5).
func (s *Story) Remove(owner, member PartyID) {
	s.Step(owner, "removes "+string(member)+" from the conference", func() error {
		return s.Desk.Remove(s.ctx, s.ID, owner, member)
	})
}

// End: actor ends its session with the contact (R-C7, R-F6); the
// contact ending it ends the chat.
func (s *Story) End(actor PartyID) {
	what := "ends its session with the contact"
	if actor == s.contact {
		what = "ends the chat"
	}
	s.Step(actor, what, func() error {
		return s.Chats.EndSession(s.ctx, s.ID, actor)
	})
}

// MarkDone: an agent marks the interaction done (R-C8).
func (s *Story) MarkDone(agent PartyID) {
	s.Step(agent, "marks the interaction done", func() error {
		return s.Chats.MarkDone(s.ctx, s.ID, agent)
	})
}

func describeTarget(t interaction.Target) string {
	if t.Kind == interaction.TargetAgent {
		return t.ID
	}
	return "the " + t.Kind.String() + " " + t.ID
}

func describeMedium(m interaction.Medium) string {
	switch m {
	case interaction.MediumIM:
		return "an instant-message consultation"
	case interaction.MediumVoice:
		return "a voice consultation"
	}
	return "a chat consultation"
}

// LegOf returns the latest consultation aimed at agent: after a redirect
// (R-X1) the story does not know the new leg otherwise.
func (s *Story) LegOf(agent PartyID) interaction.LegID {
	var leg interaction.LegID
	if s.err != nil {
		return leg
	}
	err := s.Chats.Read(s.ctx, s.ID, func(st *interaction.State) error {
		for _, l := range st.Legs {
			if l.Invitee == agent {
				leg = l.ID
			}
		}
		return nil
	})
	if err == nil && leg == "" {
		err = fmt.Errorf("%s was never invited to a consultation", agent)
	}
	if err != nil {
		s.Fail(err)
	}
	return leg
}

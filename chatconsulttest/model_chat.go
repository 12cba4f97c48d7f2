package chatconsulttest

import (
	"github.com/chatconsult/chatconsult/interaction"
)

// The chat lifecycle family (R-X1 offers, R-F3, R-F6, R-C7, R-C8, R-X6):
// opening, offering the chat to an agent, joining, posting, leaving,
// ending and marking done.

// decideChat decides the chat lifecycle commands.
func (m *Model) decideChat(actor interaction.PartyID, cmd interaction.Command, f *faults) (effect func(), rule string, known bool) {
	switch c := cmd.(type) {
	case interaction.Open:
		if badPartyID(c.Contact) {
			f.add(errBadInput, "R-X6")
		}
		if m.exists {
			f.add(errConflict, "R-X6")
		}
		if c.Text != "" {
			m.text(c.Text, f)
		}
		return func() {
			m.exists, m.status, m.contact = true, interaction.StatusWaiting, c.Contact
			m.opened(c.Contact)
			m.member(m.ensure(c.Contact), interaction.MemberJoined, interaction.RoleContact, interaction.Everyone)
			if c.Text != "" {
				m.say(actor, c.Text, interaction.Everyone)
			}
		}, "R-X5", true

	case interaction.Assign:
		if actor != interaction.System {
			f.add(errNotPerm, "R-X6")
		}
		if badPartyID(c.Agent) {
			f.add(errBadInput, "R-X6")
		}
		if m.status != interaction.StatusWaiting {
			f.add(errTransition, "R-X1")
		}
		if c.Agent == m.contact {
			f.add(errNotPerm, "R-X6")
		}
		if inChat(m.party(c.Agent)) {
			f.add(errTransition, "R-X1")
		}
		return func() {
			// The offer is told to the offered agent only.
			m.member(m.ensure(c.Agent), interaction.MemberInvited, interaction.RoleOwner, interaction.PartyScope(c.Agent))
		}, "R-X1", true

	case interaction.Join:
		p := m.actingParty(actor, f)
		if p != nil && (p.role != interaction.RoleOwner || p.membership != interaction.MemberInvited) {
			f.add(errNotPerm, "R-X6")
		}
		if m.status != interaction.StatusWaiting {
			f.add(errTransition, "R-X1")
		}
		return func() {
			m.member(p, interaction.MemberJoined, interaction.RoleOwner, interaction.Everyone)
			m.statusTo(interaction.StatusActive)
			// The first to join wins; the other offers are withdrawn (R-X1).
			for _, q := range m.parties {
				if q != p && q.role == interaction.RoleOwner && q.membership == interaction.MemberInvited {
					m.member(q, interaction.MemberWithdrawn, q.role, interaction.PartyScope(q.id))
				}
			}
		}, "R-X1", true

	case interaction.Decline:
		p := m.actingParty(actor, f)
		if p != nil && (p.role != interaction.RoleOwner || p.membership != interaction.MemberInvited) {
			f.add(errNotPerm, "R-X6")
		}
		if m.status != interaction.StatusWaiting {
			f.add(errTransition, "R-X1") // chat offers exist only while the chat waits
		}
		return func() { m.member(p, interaction.MemberDeclined, p.role, interaction.PartyScope(p.id)) }, "R-X1", true

	case interaction.Withdraw:
		if actor != interaction.System {
			f.add(errNotPerm, "R-X6")
		}
		p := m.party(c.Agent)
		if p == nil || p.role != interaction.RoleOwner {
			f.add(errNotFound, "R-X1")
		} else if p.membership != interaction.MemberInvited || m.status != interaction.StatusWaiting {
			f.add(errTransition, "R-X1")
		}
		return func() { m.member(p, interaction.MemberWithdrawn, p.role, interaction.PartyScope(p.id)) }, "R-X1", true

	case interaction.Post:
		m.content(c.Text, c.Attachments, f)
		p := m.actingParty(actor, f)
		if p != nil {
			if !p.present() {
				f.add(errNotPerm, "R-X6")
			}
			// A consultation target reads along but talks in its leg (R-C5, R-C6).
			if p.role != interaction.RoleContact && !p.role.Engaged() {
				f.add(errNotPerm, "R-C5")
			}
			if m.status != interaction.StatusActive && !(m.status == interaction.StatusWaiting && p.role == interaction.RoleContact) {
				f.add(errTransition, "R-X6")
			}
		}
		return func() { m.sayWith(actor, c.Text, interaction.Everyone, c.Attachments) }, "R-F3", true

	case interaction.Note:
		m.content(c.Text, c.Attachments, f)
		p := m.actingParty(actor, f)
		if p != nil && (p.role == interaction.RoleContact || !p.present()) {
			f.add(errNotPerm, "R-X6")
		}
		if p != nil && p.role == interaction.RoleConsultant {
			f.add(errNotPerm, "R-X3") // a target talks in its leg, not to every agent
		}
		if p != nil && p.role == interaction.RoleSupervisor {
			f.add(errNotPerm, "R-X7") // a note would show a silent monitor to every agent
		}
		return func() { m.sayWith(actor, c.Text, interaction.Scope{Kind: interaction.ScopeAgents}, c.Attachments) }, "R-X6", true

	case interaction.Leave:
		p := m.actingParty(actor, f)
		if p == nil {
			return nil, "", true
		}
		if !p.present() {
			f.add(errTransition, "R-X6")
		}
		if p.role == interaction.RoleContact {
			m.sessionOpen(f)
			return m.sessionEnds, "R-C7", true
		}
		return func() { m.goesOut(p, interaction.MemberLeft) }, "R-F6", true

	case interaction.EndSession:
		p := m.actingParty(actor, f)
		if p == nil {
			return nil, "", true
		}
		if !p.present() {
			f.add(errTransition, "R-C7")
			return nil, "", true
		}
		switch {
		case p.role == interaction.RoleContact:
			m.sessionOpen(f)
			return m.sessionEnds, "R-C7", true
		case !p.role.Engaged():
			f.add(errNotPerm, "R-X6")
			return nil, "", true
		case m.engagedPresent() > 1:
			// Its own part only: the others go on with the contact (R-F6).
			return func() { m.goesOut(p, interaction.MemberLeft) }, "R-F6", true
		}
		m.sessionOpen(f)
		return m.sessionEnds, "R-C7", true

	case interaction.MarkDone:
		p := m.actingParty(actor, f)
		if p == nil {
			return nil, "", true
		}
		if p.role == interaction.RoleContact || !p.tookPart {
			f.add(errNotPerm, "R-C8")
		}
		// Its part must be over: out of the chat (and not invited back), or
		// the session ended.
		switch p.membership {
		case interaction.MemberJoined:
			if m.status != interaction.StatusEnded {
				f.add(errTransition, "R-C8")
			}
		case interaction.MemberLeft, interaction.MemberRemoved, interaction.MemberDeclined, interaction.MemberWithdrawn:
		default:
			f.add(errTransition, "R-C8")
		}
		return func() {
			m.member(p, interaction.MemberDone, p.role, m.doneScope(p))
			m.closeIfDone()
		}, "R-C8", true

	}
	return nil, "", false
}

// membershipScope is who is told of a party's membership change: the
// contact sees the engaged agents (and itself) come and go; a
// consultation target is seen by the agents of its last leg; anyone else
// (an offered agent, a supervisor) by itself only.
//
// "Engaged" is the party's own story, not only its role: an agent invited
// as owner or member (a direct request) that never joined, or that was
// invited again after its engaged stay, is not shown to the contact by
// its role: the contact is never told of an invitation (docs/visibility.md).
func (m *Model) membershipScope(p *mParty) interaction.Scope {
	switch {
	case p.role == interaction.RoleContact || m.contactFacing(p):
		return interaction.Everyone
	case p.role == interaction.RoleConsultant:
		for i := len(m.legs) - 1; i >= 0; i-- {
			if m.legs[i].agent == p.id {
				return interaction.LegScope(m.legs[i].id)
			}
		}
	}
	return interaction.PartyScope(p.id)
}

// doneScope: an agent's wrap-up is told to everyone in the chat when it is
// contact-facing (engaged, or left from its engaged stay, invited to
// nothing since); to itself otherwise.
func (m *Model) doneScope(p *mParty) interaction.Scope {
	if m.contactFacing(p) {
		return interaction.Everyone
	}
	return interaction.PartyScope(p.id)
}

// contactFacing: p is an engaged agent, in its engaged stay or after it,
// with no invitation since.
func (m *Model) contactFacing(p *mParty) bool {
	return p.role.Engaged() && p.engaged && !p.invitedSince
}

// goesOut takes p out of the chat (to = left or removed): its legs and
// requests end; an owner hands the chat to the earliest present member
// (R-F6); with no engaged agent left the session ends (R-C7).
func (m *Model) goesOut(p *mParty, to interaction.MemberState) {
	for _, l := range m.legs {
		if (l.owner == p.id || l.agent == p.id) && l.live() {
			m.legOver(l)
		}
	}
	for _, r := range m.requests {
		if (r.from == p.id || r.agent == p.id) && r.state == interaction.RequestPending {
			m.requestWithdrawn(r)
		}
	}
	if !p.present() {
		return // a consultation target: ending its leg released it
	}
	role := p.role
	m.member(p, to, role, m.membershipScope(p))
	if !role.Engaged() || m.status != interaction.StatusActive {
		return
	}
	if role == interaction.RoleOwner && m.presentOwner() == nil {
		var next *mParty
		for _, q := range m.parties {
			if q.role == interaction.RoleMember && q.present() && (next == nil || q.order < next.order) {
				next = q
			}
		}
		if next != nil {
			m.roleTo(next, interaction.RoleOwner, interaction.Everyone, "", false)
			return
		}
	}
	if m.engagedPresent() == 0 {
		m.sessionEnds()
	}
}

// sessionEnds ends the session with the contact (R-C7): the status first,
// while everyone is still in (everyone in the chat is told the session
// ended), then every leg and request ends, invitations are withdrawn, the
// contact, the targets and the supervisors leave, and the interaction
// closes at once if nobody must mark done.
func (m *Model) sessionEnds() {
	m.statusTo(interaction.StatusEnded)
	for _, l := range m.legs {
		if l.live() {
			m.legOver(l)
		}
	}
	for _, r := range m.requests {
		if r.state == interaction.RequestPending {
			m.requestWithdrawn(r)
		}
	}
	for _, p := range m.parties {
		switch {
		case p.membership == interaction.MemberInvited:
			m.member(p, interaction.MemberWithdrawn, p.role, interaction.PartyScope(p.id))
		case p.present() && (p.role == interaction.RoleContact || p.role == interaction.RoleConsultant || p.role == interaction.RoleSupervisor):
			m.member(p, interaction.MemberLeft, p.role, m.membershipScope(p))
		}
	}
	m.closeIfDone()
}

// closeIfDone closes an ended interaction once every agent who took part
// has marked it done (R-C8).
func (m *Model) closeIfDone() {
	if m.status != interaction.StatusEnded {
		return
	}
	for _, p := range m.parties {
		if p.role != interaction.RoleContact && p.role != interaction.RoleSupervisor && p.tookPart && p.membership != interaction.MemberDone {
			return
		}
	}
	m.statusTo(interaction.StatusClosed)
}

// sessionOpen: the session with the contact can only end once.
func (m *Model) sessionOpen(f *faults) {
	if m.status != interaction.StatusWaiting && m.status != interaction.StatusActive {
		f.add(errTransition, "R-C7")
	}
}

package chatconsulttest

import (
	"github.com/chatconsult/chatconsult/interaction"

	"github.com/chatconsult/chatconsult/consult"
)

// The transfer and conference family (R-T1, R-T2, R-F1–R-F5, R-X4).

// decideRequest decides transfer and conference requests, and removal.
func (m *Model) decideRequest(actor interaction.PartyID, cmd interaction.Command, f *faults) (effect func(), rule string, known bool) {
	switch c := cmd.(type) {
	case consult.Transfer:
		m.owner(actor, "R-T1", f)
		l := m.namedLeg(actor, c.Leg)
		if l == nil {
			f.add(errNotFound, "R-T1")
			return nil, "", true
		}
		if l.owner != actor {
			f.add(errNotPerm, "R-T1")
		}
		if l.state != interaction.LegActive {
			f.add(errTransition, "R-T1")
		}
		return func() {
			m.legTo(l, interaction.LegTransferred)
			m.withdrawRequestsOf(l)
			m.ownershipPasses(actor, l.agent)
		}, "R-T1", true

	case consult.Conference:
		m.owner(actor, "R-F1", f)
		l := m.namedLeg(actor, c.Leg)
		if l == nil {
			f.add(errNotFound, "R-F1")
			return nil, "", true
		}
		if l.owner != actor {
			f.add(errNotPerm, "R-F1")
		}
		if l.state != interaction.LegActive {
			f.add(errTransition, "R-F1")
		}
		if c.Request == "" {
			f.add(errBadInput, "R-F1")
		} else if m.idInUse(interaction.InvitationID(c.Request)) {
			f.add(errConflict, "R-F1")
		}
		for _, r := range m.requests {
			if r.via == l.id && r.state == interaction.RequestPending {
				f.add(errConflict, "R-F4")
			}
		}
		return func() {
			r := &mRequest{id: c.Request, kind: interaction.RequestConference, from: actor, agent: l.agent, target: l.target, via: l.id, state: interaction.RequestNone}
			m.requests = append(m.requests, r)
			m.requestTo(r, interaction.RequestPending)
		}, "R-F1", true

	case consult.Direct:
		m.owner(actor, "R-X4", f)
		if c.Kind != interaction.RequestTransfer && c.Kind != interaction.RequestConference {
			f.add(errBadInput, "R-X4")
		}
		if badPartyID(c.Invitee) {
			f.add(errBadInput, "R-X4")
		}
		if c.Invitee == actor || (c.Invitee != "" && c.Invitee == m.contact) {
			f.add(errNotPerm, "R-X4")
		}
		if inChat(m.party(c.Invitee)) {
			f.add(errConflict, "R-X4")
		}
		if c.Request == "" {
			f.add(errBadInput, "R-X4")
		} else if m.idInUse(interaction.InvitationID(c.Request)) {
			f.add(errConflict, "R-X4")
		}
		route := routeFor(c.Route, interaction.InvitationID(c.Request), c.Target)
		m.mayOffer(route, actor, c.Invitee, c.Target, interaction.MediumChat, c.Kind, f)
		return func() { m.newRequest(actor, c.Request, c.Kind, c.Invitee, c.Target, route) }, "R-X4", true

	case consult.AcceptRequest:
		r := m.namedRequest(actor, c.Request)
		if r == nil {
			f.add(errNotFound, "R-F4")
			return nil, "", true
		}
		if r.agent == actor {
			m.secondAccept(interaction.InvitationID(c.Request), f) // the first accept won (R-X1): told to the agent offered it only
		}
		if actor != r.agent {
			f.add(errNotPerm, "R-F4")
		}
		if m.status != interaction.StatusActive || r.state != interaction.RequestPending {
			f.add(errTransition, "R-F4")
		}
		return func() {
			m.takes(interaction.InvitationID(r.id)) // the first accept wins (R-X1)
			m.requestTo(r, interaction.RequestAccepted)
			p := m.party(r.agent)
			if r.via != "" {
				if r.kind == interaction.RequestTransfer {
					m.legTo(m.leg(r.via), interaction.LegTransferred)
				} else {
					m.legTo(m.leg(r.via), interaction.LegConferenced)
				}
			} else {
				role := interaction.RoleMember
				if r.kind == interaction.RequestTransfer {
					role = interaction.RoleOwner
				}
				m.member(p, interaction.MemberJoined, role, interaction.Everyone)
			}
			if r.kind == interaction.RequestTransfer {
				m.ownershipPasses(r.from, r.agent)
				return
			}
			// R-F2: the target is added to the chat and reads all of it.
			if r.via != "" {
				m.roleTo(p, interaction.RoleMember, interaction.Everyone, "", false)
			}
			m.notice(mNotice{code: interaction.NoticeJoined, parties: []interaction.PartyID{r.agent}}, interaction.Everyone)
		}, "R-F2", true

	case consult.DeclineRequest:
		return m.dropRequest(actor, c.Request, "decline", f)

	case consult.TimeOutRequest:
		return m.dropRequest(actor, c.Request, "time_out", f)

	case consult.CancelRequest:
		r := m.namedRequest(actor, c.Request)
		if r == nil {
			f.add(errNotFound, "R-X2")
			return nil, "", true
		}
		if actor != r.from {
			f.add(errNotPerm, "R-X2")
		}
		if r.state != interaction.RequestPending {
			f.add(errTransition, "R-X2")
		}
		return func() {
			m.requestWithdrawn(r)
			m.cancelInvitation(interaction.InvitationID(r.id)) // to the owner a routed invitation is one
		}, "R-X2", true

	case consult.Remove:
		o := m.owner(actor, "R-F5", f)
		p := m.party(c.Member)
		if p != nil && !m.showsParty(m.party(actor), p) {
			p = nil // a party the actor is not shown is none to it (R-X6)
		}
		if p == nil {
			f.add(errNotFound, "R-F5")
			return nil, "", true
		}
		if p == o || p.role != interaction.RoleMember || !p.present() {
			f.add(errNotPerm, "R-F5")
		}
		return func() {
			m.notice(mNotice{code: interaction.NoticeRemoved, parties: []interaction.PartyID{c.Member}}, interaction.Everyone)
			m.goesOut(p, interaction.MemberRemoved)
		}, "R-F5", true
	}
	return nil, "", false
}

// requestScope: a request made from a consultation is told in that leg;
// a direct one in its own scope (the owner who asked and the agent asked).
func requestScope(r *mRequest) interaction.Scope {
	if r.via != "" {
		return interaction.LegScope(r.via)
	}
	return interaction.RequestScope(r.id)
}

// requestWithdrawn drops a pending request; an agent it invited (a direct
// request) is withdrawn, told to itself.
func (m *Model) requestWithdrawn(r *mRequest) {
	m.requestTo(r, interaction.RequestCancelled)
	m.inviteeOut(r)
}

// inviteeOut: the agent a direct request invited goes with the request,
// told in the request's scope.
func (m *Model) inviteeOut(r *mRequest) {
	if p := m.party(r.agent); p != nil && p.membership == interaction.MemberInvited && p.role != interaction.RoleConsultant {
		m.member(p, interaction.MemberWithdrawn, p.role, interaction.RequestScope(r.id))
	}
}

func (m *Model) withdrawRequestsOf(l *mLeg) {
	for _, r := range m.requests {
		if r.via == l.id && r.state == interaction.RequestPending {
			m.requestWithdrawn(r)
		}
	}
}

// ownershipPasses makes to the owner and takes from out (R-T2).
func (m *Model) ownershipPasses(from, to interaction.PartyID) {
	if p := m.party(to); p.role != interaction.RoleOwner {
		m.roleTo(p, interaction.RoleOwner, interaction.Everyone, "", false)
	}
	m.notice(mNotice{code: interaction.NoticeTransferred, parties: []interaction.PartyID{from, to}}, interaction.Everyone)
	m.goesOut(m.party(from), interaction.MemberLeft)
}

// dropRequest: the asked agent declines, or nobody answers in time (actor
// System). The request is dropped and the chat goes on as before (R-F4);
// the owner who asked is told in its own view.
func (m *Model) dropRequest(actor interaction.PartyID, id interaction.RequestID, trigger string, f *faults) (func(), string, bool) {
	if trigger == "time_out" && actor != interaction.System {
		f.add(errNotPerm, "R-F4") // before the request is looked up
		return nil, "", true
	}
	r := m.namedRequest(actor, id)
	if r == nil {
		f.add(errNotFound, "R-F4")
		return nil, "", true
	}
	if trigger == "decline" && actor != r.agent {
		f.add(errNotPerm, "R-F4")
	}
	if r.state != interaction.RequestPending {
		f.add(errTransition, "R-F4")
	}
	return func() {
		state, membership, code := interaction.RequestDeclined, interaction.MemberDeclined, interaction.NoticeDeclined
		if trigger == "time_out" {
			state, membership, code = interaction.RequestTimedOut, interaction.MemberWithdrawn, interaction.NoticeNoAnswer
		}
		m.requestTo(r, state)
		if r.via == "" {
			p := m.party(r.agent)
			m.member(p, membership, p.role, interaction.RequestScope(r.id))
		}
		m.notice(mNotice{code: code, parties: []interaction.PartyID{r.agent}, what: r.kind}, interaction.PartyScope(r.from))
	}, "R-F4", true
}

// newRequest is a new direct transfer or conference request from owner to
// agent (R-X4): its first change is the owner's (also when routing offers
// it on); the agent is invited as the owner (transfer) or a member
// (conference) it would become.
func (m *Model) newRequest(owner interaction.PartyID, id interaction.RequestID, kind interaction.RequestKind, agent interaction.PartyID, t interaction.Target, route interaction.RouteID) {
	r := &mRequest{id: id, kind: kind, from: owner, agent: agent, target: t, state: interaction.RequestNone, route: route}
	m.requests = append(m.requests, r)
	m.offered(route, owner, t, interaction.MediumChat, kind, mOffer{id: interaction.InvitationID(id), agent: agent})
	m.as(owner, func() { m.requestTo(r, interaction.RequestPending) })
	role := interaction.RoleMember
	if kind == interaction.RequestTransfer {
		role = interaction.RoleOwner
	}
	m.member(m.ensure(agent), interaction.MemberInvited, role, interaction.RequestScope(r.id))
}

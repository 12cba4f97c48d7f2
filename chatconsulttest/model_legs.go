package chatconsulttest

import (
	"github.com/chatconsult/chatconsult/interaction"

	"github.com/chatconsult/chatconsult/consult"
)

// The consultation family (R-C1–R-C6, R-C10, R-X2, R-X3): a leg is a small
// record, an owner, a target agent, a medium and a phase; its items are
// for its two agents only, forever.

// decideLeg decides the commands on consultation legs.
func (m *Model) decideLeg(actor interaction.PartyID, cmd interaction.Command, f *faults) (effect func(), rule string, known bool) {
	switch c := cmd.(type) {
	case consult.Start:
		m.owner(actor, "R-C1", f)
		if c.Leg == "" || badPartyID(c.Invitee) {
			f.add(errBadInput, "R-C2")
		}
		if c.Medium > interaction.MediumVoice {
			f.add(errBadInput, "R-C10")
		}
		if c.Leg != "" && m.idInUse(interaction.InvitationID(c.Leg)) {
			f.add(errConflict, "R-X3")
		}
		if c.Invitee == actor || (c.Invitee != "" && c.Invitee == m.contact) {
			f.add(errNotPerm, "R-C1")
		}
		if inChat(m.party(c.Invitee)) {
			f.add(errConflict, "R-X3")
		}
		route := routeFor(c.Route, interaction.InvitationID(c.Leg), c.Target)
		m.mayOffer(route, actor, c.Invitee, c.Target, c.Medium, interaction.RequestNoKind, f)
		return func() { m.newLeg(actor, c.Leg, c.Invitee, c.Target, c.Medium, route) }, "R-C1", true

	case consult.Accept:
		if l := m.leg(c.Leg); l != nil && l.agent == actor {
			m.secondAccept(interaction.InvitationID(c.Leg), f) // the first accept won (R-X1): told to the agent offered it only
		}
		l := m.legCommand(actor, c.Leg, func(l *mLeg) bool { return actor == l.agent }, interaction.LegInviting, "R-C3", f)
		if l == nil {
			return nil, "", true
		}
		return func() {
			m.takes(interaction.InvitationID(l.id)) // the first accept wins (R-X1)
			m.legTo(l, interaction.LegActive)
			m.member(m.party(l.agent), interaction.MemberJoined, interaction.RoleConsultant, interaction.LegScope(l.id))
		}, "R-C3", true

	case consult.Decline:
		l := m.legCommand(actor, c.Leg, func(l *mLeg) bool { return actor == l.agent }, interaction.LegInviting, "R-C3", f)
		if l == nil {
			return nil, "", true
		}
		return func() {
			m.legTo(l, interaction.LegDeclined)
			m.member(m.party(l.agent), interaction.MemberDeclined, interaction.RoleConsultant, interaction.LegScope(l.id))
			m.notice(mNotice{code: interaction.NoticeDeclined, parties: []interaction.PartyID{l.agent}}, interaction.PartyScope(l.owner))
		}, "R-C3", true

	case consult.Cancel:
		l := m.legCommand(actor, c.Leg, func(l *mLeg) bool { return actor == l.owner }, interaction.LegInviting, "R-X2", f)
		if l == nil {
			return nil, "", true
		}
		return func() {
			m.legTo(l, interaction.LegCancelled)
			m.targetOut(l)
			m.cancelInvitation(interaction.InvitationID(l.id)) // to the owner a routed invitation is one
		}, "R-X2", true

	case consult.TimeOut:
		if actor != interaction.System {
			f.add(errNotPerm, "R-X1") // before the leg is looked up
			return nil, "", true
		}
		l := m.legCommand(actor, c.Leg, nil, interaction.LegInviting, "R-X1", f)
		if l == nil {
			return nil, "", true
		}
		return func() {
			m.legTo(l, interaction.LegTimedOut)
			m.targetOut(l)
			m.notice(mNotice{code: interaction.NoticeNoAnswer, parties: []interaction.PartyID{l.agent}}, interaction.PartyScope(l.owner))
		}, "R-X1", true

	case consult.EndConsultation:
		l := m.legCommand(actor, c.Leg, func(l *mLeg) bool { return actor == l.owner || actor == l.agent }, interaction.LegActive, "R-C4", f)
		if l == nil {
			return nil, "", true
		}
		return func() {
			m.legTo(l, interaction.LegEnded)
			m.withdrawRequestsOf(l)
			m.targetOut(l)
		}, "R-C4", true

	case consult.Say:
		m.content(c.Text, c.Attachments, f)
		l := m.namedLeg(actor, c.Leg)
		if l == nil {
			f.add(errNotFound, "R-C5")
			return nil, "", true
		}
		if actor != l.owner && actor != l.agent {
			f.add(errNotPerm, "R-C5")
		}
		if l.state != interaction.LegActive {
			f.add(errTransition, "R-C4")
		}
		if l.medium == interaction.MediumVoice {
			f.add(errNotPerm, "R-C10")
		}
		return func() { m.sayWith(actor, c.Text, interaction.LegScope(l.id), c.Attachments) }, "R-C5", true

	}
	return nil, "", false
}

// targetOut takes a consultation target out once its leg is over: an
// invited one is withdrawn, a joined one leaves. A target that became an
// owner or member stays.
func (m *Model) targetOut(l *mLeg) {
	p := m.party(l.agent)
	if p == nil || p.role != interaction.RoleConsultant {
		return
	}
	switch p.membership {
	case interaction.MemberInvited:
		m.member(p, interaction.MemberWithdrawn, p.role, interaction.LegScope(l.id))
	case interaction.MemberJoined:
		m.member(p, interaction.MemberLeft, p.role, interaction.LegScope(l.id))
	}
}

func (m *Model) legOver(l *mLeg) {
	if l.state == interaction.LegInviting {
		m.legTo(l, interaction.LegCancelled)
	} else {
		m.legTo(l, interaction.LegEnded)
	}
	m.targetOut(l)
}

// legCommand is the check every command on a consultation leg starts
// with: the leg exists and the actor is shown it (namedLeg; else it is not
// found, and nothing more can be checked), the actor may act on it
// (mayAct; nil: anyone), and it is in state. Each broken precondition is
// recorded in f under rule.
func (m *Model) legCommand(actor interaction.PartyID, id interaction.LegID, mayAct func(*mLeg) bool, state interaction.LegState, rule string, f *faults) *mLeg {
	l := m.namedLeg(actor, id)
	if l == nil {
		f.add(errNotFound, rule)
		return nil
	}
	if mayAct != nil && !mayAct(l) {
		f.add(errNotPerm, rule)
	}
	if l.state != state {
		f.add(errTransition, rule)
	}
	return l
}

// newLeg is a new consultation offer from owner to agent: its first change
// is the owner's (also when routing offers it on), the invitation is the
// agent's and its leg's (R-C3).
func (m *Model) newLeg(owner interaction.PartyID, id interaction.LegID, agent interaction.PartyID, t interaction.Target, medium interaction.Medium, route interaction.RouteID) {
	l := &mLeg{id: id, owner: owner, agent: agent, target: t, medium: medium, state: interaction.LegNone, route: route}
	m.legs = append(m.legs, l)
	m.offered(route, owner, t, medium, interaction.RequestNoKind, mOffer{id: interaction.InvitationID(id), agent: agent})
	m.as(owner, func() { m.legTo(l, interaction.LegInviting) })
	m.member(m.ensure(agent), interaction.MemberInvited, interaction.RoleConsultant, interaction.LegScope(l.id))
}

package chatconsulttest

import (
	"slices"

	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/interaction"
)

// Routed invitations (R-C2, R-X1, R-X2, R-X4), in the model's own terms.
//
// An invitation to a group, a skill or a queue is one question the owner
// asks ("will someone of billing take this?"), put to agents one at a time
// or to several at once (fan-out). The model keeps it as a small record,
// mInvitation: who asked, what it aims at, what it is (a consultation in
// a medium, or a transfer or conference request), the offers made so far
// (each offer is one of the model's legs or requests, to one agent), and
// the offer taken, if any. The rules, as the model states them:
//
//   - an offer goes to an internal agent who is not in the chat, never to
//     the owner or the contact, and never twice to the same agent;
//   - every offer of an invitation has its owner, target and kind; once an
//     offer is taken nothing more is offered;
//   - the first accept takes the invitation: every other offer still out
//     is rescinded (withdrawn by routing, System) in the same write, and an
//     accept of an offer rescinded so is an invalid transition (R-X1);
//   - the owner cancelling one offer cancels the invitation: every offer
//     still out goes (R-X2);
//   - an offer that fails (declined, not answered in time, or rescinded
//     because its agent left routing) offers the invitation on only when
//     it was the last offer out, none was taken and the owner can still
//     ask; then to the next agents, or the owner alone is told that nobody
//     is left (Reroute).
//
// Which agents are next is the router's choice: the model does not pick
// them, it checks that the ones offered are allowed. The generators pick
// them from a fixed directory (Gen.Routes), in order.

// mInvitation is one routed invitation.
type mInvitation struct {
	id     interaction.RouteID
	owner  interaction.PartyID
	target interaction.Target
	medium interaction.Medium      // of a consultation
	kind   interaction.RequestKind // RequestNoKind: a consultation
	offers []mOffer
	taken  interaction.InvitationID
}

// mOffer is one offer: the leg or request, and its agent.
type mOffer struct {
	id    interaction.InvitationID
	agent interaction.PartyID
}

func (m *Model) invitation(id interaction.RouteID) *mInvitation {
	if id == "" {
		return nil
	}
	for _, inv := range m.invitations {
		if inv.id == id {
			return inv
		}
	}
	return nil
}

// invitationOf is the invitation the leg or request id is an offer of.
func (m *Model) invitationOf(id interaction.InvitationID) *mInvitation {
	if l := m.leg(interaction.LegID(id)); l != nil {
		return m.invitation(l.route)
	}
	if r := m.request(interaction.RequestID(id)); r != nil {
		return m.invitation(r.route)
	}
	return nil
}

// pending: the offer id is still out (its agent may still answer).
func (m *Model) pending(id interaction.InvitationID) bool {
	if l := m.leg(interaction.LegID(id)); l != nil {
		return l.state == interaction.LegInviting
	}
	r := m.request(interaction.RequestID(id))
	return r != nil && r.state == interaction.RequestPending
}

// out lists the offers of inv still out, but except.
func (m *Model) out(inv *mInvitation, except interaction.InvitationID) []interaction.InvitationID {
	var ids []interaction.InvitationID
	for _, o := range inv.offers {
		if o.id != except && m.pending(o.id) {
			ids = append(ids, o.id)
		}
	}
	return ids
}

func (inv *mInvitation) tried(agent interaction.PartyID) bool {
	return slices.ContainsFunc(inv.offers, func(o mOffer) bool { return o.agent == agent })
}

func (inv *mInvitation) has(id interaction.InvitationID) bool {
	return slices.ContainsFunc(inv.offers, func(o mOffer) bool { return o.id == id })
}

// routeFor is the invitation a new offer (a Start or Direct with target t
// and route) belongs to: the route given, or, for a group, skill or queue,
// a new one named after the offer; "" for a named agent (R-C2).
func routeFor(route interaction.RouteID, offer interaction.InvitationID, t interaction.Target) interaction.RouteID {
	switch {
	case route != "":
		return route
	case t.Kind == interaction.TargetAgent:
		return ""
	}
	return interaction.RouteID(offer)
}

// badRoute: a route is given only for a group, skill or queue, and is a
// well-formed ID (R-X1, R-X6): bad input before anything else.
func badRoute(route interaction.RouteID, t interaction.Target) bool {
	return route != "" && (badID(string(route)) || t.Kind == interaction.TargetAgent)
}

// badTimeout: an invitation waits between nothing and a year (R-X6).
func badTimeout(c interaction.Command) bool {
	switch c := c.(type) {
	case consult.Start:
		return c.Timeout < 0 || c.Timeout > consult.MaxTimeout
	case consult.Direct:
		return c.Timeout < 0 || c.Timeout > consult.MaxTimeout
	case consult.Conference:
		return c.Timeout < 0 || c.Timeout > consult.MaxTimeout
	case consult.Reroute:
		return c.Timeout < 0 || c.Timeout > consult.MaxTimeout
	}
	return false
}

// mayOffer checks that agent may be offered invitation route (R-X1): the
// invitation, if it exists, is the owner's, aims at t, is of this kind (and
// medium), nobody took it, and agent was not offered it before.
func (m *Model) mayOffer(route interaction.RouteID, owner, agent interaction.PartyID, t interaction.Target, medium interaction.Medium, kind interaction.RequestKind, f *faults) {
	inv := m.invitation(route)
	if inv == nil {
		return
	}
	if inv.owner != owner || inv.target != t || inv.kind != kind || (kind == interaction.RequestNoKind && inv.medium != medium) {
		f.add(errConflict, "R-X1")
	}
	if inv.taken != "" {
		f.add(errTransition, "R-X1")
	}
	if inv.tried(agent) {
		f.add(errConflict, "R-X1")
	}
}

// offered files a new offer of invitation route (nothing for a named
// agent), starting the invitation with its first offer.
func (m *Model) offered(route interaction.RouteID, owner interaction.PartyID, t interaction.Target, medium interaction.Medium, kind interaction.RequestKind, o mOffer) {
	if route == "" {
		return
	}
	inv := m.invitation(route)
	if inv == nil {
		inv = &mInvitation{id: route, owner: owner, target: t, medium: medium, kind: kind}
		m.invitations = append(m.invitations, inv)
	}
	inv.offers = append(inv.offers, o)
}

// secondAccept: offer id's invitation was taken by another offer: the
// first accept won, this one is an invalid transition (R-X1).
func (m *Model) secondAccept(id interaction.InvitationID, f *faults) {
	if inv := m.invitationOf(id); inv != nil && inv.taken != "" && inv.taken != id {
		f.add(errTransition, "R-X1")
	}
}

// takes: offer id takes its invitation; routing rescinds every other offer
// still out, in the same write, before the accept itself (R-X1).
func (m *Model) takes(id interaction.InvitationID) {
	inv := m.invitationOf(id)
	if inv == nil {
		return
	}
	for _, rival := range m.out(inv, id) {
		m.rescind(rival)
	}
	inv.taken = id
}

// rescind withdraws offer id as routing: its change is System's, the
// agent's invitation ends with it.
func (m *Model) rescind(id interaction.InvitationID) {
	if l := m.leg(interaction.LegID(id)); l != nil {
		m.as(interaction.System, func() { m.legTo(l, interaction.LegCancelled) })
		m.targetOut(l)
		return
	}
	if r := m.request(interaction.RequestID(id)); r != nil {
		m.as(interaction.System, func() { m.requestTo(r, interaction.RequestCancelled) })
		m.inviteeOut(r)
	}
}

// cancelInvitation: the owner cancelled offer id, and with it every other
// offer of its invitation still out (R-X2).
func (m *Model) cancelInvitation(id interaction.InvitationID) {
	inv := m.invitationOf(id)
	if inv == nil {
		return
	}
	for _, other := range m.out(inv, id) {
		if l := m.leg(interaction.LegID(other)); l != nil {
			m.legTo(l, interaction.LegCancelled)
			m.targetOut(l)
		} else if r := m.request(interaction.RequestID(other)); r != nil {
			m.requestWithdrawn(r)
		}
	}
}

// as runs f with actor as the actor of the items it records.
func (m *Model) as(actor interaction.PartyID, f func()) {
	saved := m.actor
	m.actor = actor
	f()
	m.actor = saved
}

// canAsk: owner may still send an invitation: it owns the chat, is in it,
// and the chat is active.
func (m *Model) canAsk(owner interaction.PartyID) bool {
	p := m.party(owner)
	return p != nil && p.role == interaction.RoleOwner && p.present() && m.status == interaction.StatusActive
}

// decideRoute decides the commands that exist only for routed invitations
// (R-X1): a fan-out (Offers), the accept of one offer among rivals
// (AcceptOffer), and routing's next step after an offer failed (Reroute).
func (m *Model) decideRoute(actor interaction.PartyID, cmd interaction.Command, f *faults) (effect func(), rule string, known bool) {
	switch c := cmd.(type) {
	case Offers:
		// One write: the first refused offer refuses them all. Tried on a
		// copy, since each offer is decided on the state the earlier ones
		// left.
		try := m.Clone()
		for _, sub := range c {
			if try.badInput(actor, sub) {
				f.add(errBadInput, "R-X6")
				return nil, "", true
			}
			eff, _, known := try.decide(actor, sub, f)
			if !known {
				return nil, "", false
			}
			if f.any() {
				return nil, "", true
			}
			if eff != nil {
				eff()
			}
		}
		return func() {
			for _, sub := range c {
				if eff, _, _ := m.decide(actor, sub, &faults{}); eff != nil {
					eff()
				}
			}
		}, "R-X1", true

	case consult.AcceptOffer:
		// The rivals named that the actor is shown must be offers of the
		// same invitation; one it is not shown is not looked at (R-X6); the
		// offers rescinded are the model's own (R-X1).
		var inv *mInvitation
		switch {
		case m.namedLeg(actor, interaction.LegID(c.Invitation)) != nil || m.namedRequest(actor, interaction.RequestID(c.Invitation)) != nil:
			inv = m.invitationOf(c.Invitation)
		default:
			f.add(errNotFound, "R-X1")
			return nil, "", true
		}
		for _, id := range c.Rivals {
			shown := m.namedLeg(actor, interaction.LegID(id)) != nil || m.namedRequest(actor, interaction.RequestID(id)) != nil
			if id != c.Invitation && shown && (inv == nil || !inv.has(id)) {
				f.add(errNotPerm, "R-X1")
			}
		}
		if m.leg(interaction.LegID(c.Invitation)) != nil {
			eff, _, _ := m.decideLeg(actor, consult.Accept{Leg: interaction.LegID(c.Invitation)}, f)
			return eff, "R-X1", true
		}
		eff, _, _ := m.decideRequest(actor, consult.AcceptRequest{Request: consult.RequestID(c.Invitation)}, f)
		return eff, "R-X1", true

	case consult.Reroute:
		if actor != interaction.System {
			f.add(errNotPerm, "R-X1") // only routing offers an invitation on
			return nil, "", true
		}
		try := m.Clone()
		try.reroute(c, f)
		if f.any() {
			return nil, "", true
		}
		return func() { m.reroute(c, &faults{}) }, "R-X1", true
	}
	return nil, "", false
}

// reroute is routing's next step after offer c.Invitation failed: it ends
// the offer for c's reason (unless the agent declined: that was written
// already) and then, only if it was the last offer out of a routed
// invitation, none was taken and the owner can still ask, offers it to
// c.Next, or tells the owner that nobody is left. It applies as it checks:
// run it on a copy first.
func (m *Model) reroute(c consult.Reroute, f *faults) {
	var inv *mInvitation
	switch l, r := m.leg(interaction.LegID(c.Invitation)), m.request(interaction.RequestID(c.Invitation)); {
	case l != nil:
		inv = m.invitation(l.route)
		if !m.offerFails(l, c.Reason, f) {
			return
		}
	case r != nil:
		inv = m.invitation(r.route)
		if !m.requestFails(r, c.Reason, f) {
			return
		}
	default:
		f.add(errNotFound, "R-X1")
		return
	}
	switch {
	case inv == nil:
		if len(c.Next) > 0 {
			f.add(errBadInput, "R-X1") // a named agent has no next candidate
		}
		return
	case inv.taken != "" || len(m.out(inv, "")) > 0 || !m.canAsk(inv.owner):
		return // another offer is out (the last to fail goes on), or it is over
	case c.Exhausted:
		m.notice(mNotice{code: interaction.NoticeNotPlaced, target: inv.target, what: inv.kind}, interaction.PartyScope(inv.owner))
		return
	case len(c.Next) == 0:
		f.add(errConflict, "R-X1") // the last offer failed: offer on, or say nobody is left
		return
	}
	for _, o := range c.Next {
		switch p := m.party(o.Invitee); {
		case m.idInUse(o.ID):
			f.add(errConflict, "R-X1")
		case o.Invitee == inv.owner || o.Invitee == m.contact:
			f.add(errNotPerm, "R-X1")
		case inChat(p), inv.tried(o.Invitee):
			f.add(errConflict, "R-X1")
		}
		if f.any() {
			return
		}
		m.offerAgain(inv, o)
	}
}

// offerFails ends consultation offer l for reason (R-X1), reporting
// whether it could.
func (m *Model) offerFails(l *mLeg, reason consult.RerouteReason, f *faults) bool {
	if reason == consult.RerouteDeclined {
		if l.state != interaction.LegDeclined {
			f.add(errTransition, "R-X1")
			return false
		}
		return true
	}
	if l.state != interaction.LegInviting {
		f.add(errTransition, "R-X1")
		return false
	}
	to, code := interaction.LegTimedOut, interaction.NoticeNoAnswer
	if reason == consult.RerouteRescinded {
		to, code = interaction.LegCancelled, interaction.NoticeUnavailable
	}
	m.legTo(l, to)
	m.targetOut(l)
	m.notice(mNotice{code: code, parties: []interaction.PartyID{l.agent}}, interaction.PartyScope(l.owner))
	return true
}

// requestFails is offerFails for a request.
func (m *Model) requestFails(r *mRequest, reason consult.RerouteReason, f *faults) bool {
	switch reason {
	case consult.RerouteDeclined:
		if r.state != interaction.RequestDeclined {
			f.add(errTransition, "R-X1")
			return false
		}
		return true
	case consult.RerouteTimedOut:
		eff, _, _ := m.dropRequest(interaction.System, r.id, "time_out", f)
		if f.any() {
			return false
		}
		eff()
		return true
	}
	if r.state != interaction.RequestPending {
		f.add(errTransition, "R-X1")
		return false
	}
	m.requestTo(r, interaction.RequestCancelled)
	m.inviteeOut(r)
	m.notice(mNotice{code: interaction.NoticeUnavailable, parties: []interaction.PartyID{r.agent}, what: r.kind}, interaction.PartyScope(r.from))
	return true
}

// offerAgain offers inv to o on behalf of its owner: the offer's first
// change is the owner's, the invitation routing's.
func (m *Model) offerAgain(inv *mInvitation, o consult.Offer) {
	if inv.kind == interaction.RequestNoKind {
		m.newLeg(inv.owner, interaction.LegID(o.ID), o.Invitee, inv.target, inv.medium, inv.id)
		return
	}
	m.newRequest(inv.owner, interaction.RequestID(o.ID), inv.kind, o.Invitee, inv.target, inv.id)
}

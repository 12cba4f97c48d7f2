package interaction

import "slices"

// Routed invitations (R-X1).
//
// An invitation aimed at a group, a skill or a queue is offered to one
// agent after the other, or to several at once, until one accepts or
// nobody is left. Each offer is a consultation leg or a transfer or
// conference request of its own; the offers of one invitation share a
// Route (Event.Route, on the first event of each). So everything another
// service instance, or this one after a restart, needs to go on with the
// invitation is in the state, derived from the log: the target, the offers
// out now, the agents already tried, and whether an offer was taken.
// Package consult decides on it: an accept rescinds the rival offers in
// the same write, and only the last offer out offers the invitation on.

// Route is one routed invitation, as State.Route derives it.
type Route struct {
	ID     RouteID
	Owner  PartyID // who asked: the legs' and requests' Owner
	Target Target
	Medium Medium // of a consultation
	// RequestKind is the kind of a direct transfer or conference request;
	// RequestNoKind for a consultation.
	RequestKind RequestKind
	// Offers are the legs (or requests) of the route, in the order they
	// were made; Tried their agents.
	Offers []InvitationID
	Tried  []PartyID
	// Out are the offers still pending.
	Out []InvitationID
	// Taken is the offer that was accepted (empty while none was): the
	// invitation is over.
	Taken InvitationID
}

// Route returns the routed invitation with that route ID, or nil.
//
// Decides R-X1: a routed invitation's offers, the agents tried and the first accept, as stored state.
func (s *State) Route(id RouteID) *Route {
	if id == "" {
		return nil
	}
	var r *Route
	for i := range s.Legs {
		l := &s.Legs[i]
		if l.Route != id {
			continue
		}
		if r == nil {
			r = &Route{ID: id, Owner: l.Owner, Target: l.Target, Medium: l.Medium}
		}
		r.add(InvitationID(l.ID), l.Invitee, l.State == LegInviting, legTaken(l.State))
	}
	if r != nil {
		return r
	}
	for i := range s.Requests {
		q := &s.Requests[i]
		if q.Route != id {
			continue
		}
		if r == nil {
			r = &Route{ID: id, Owner: q.Owner, Target: q.Target, RequestKind: q.Kind}
		}
		r.add(InvitationID(q.ID), q.Invitee, q.State == RequestPending, q.State == RequestAccepted)
	}
	return r
}

// RouteOf returns the routed invitation that the leg or request inv is an
// offer of, or nil when inv is not routed (aimed at a named agent) or
// unknown.
func (s *State) RouteOf(inv InvitationID) *Route {
	if l := s.Leg(LegID(inv)); l != nil {
		return s.Route(l.Route)
	}
	if q := s.Request(RequestID(inv)); q != nil {
		return s.Route(q.Route)
	}
	return nil
}

func (r *Route) add(id InvitationID, agent PartyID, out, taken bool) {
	r.Offers = append(r.Offers, id)
	r.Tried = append(r.Tried, agent)
	if out {
		r.Out = append(r.Out, id)
	}
	if taken {
		r.Taken = id
	}
}

// Rivals are the offers out other than inv.
func (r *Route) Rivals(inv InvitationID) []InvitationID {
	var out []InvitationID
	for _, id := range r.Out {
		if id != inv {
			out = append(out, id)
		}
	}
	return out
}

// HasTried reports whether agent was offered the invitation already.
func (r *Route) HasTried(agent PartyID) bool {
	for _, a := range r.Tried {
		if a == agent {
			return true
		}
	}
	return false
}

// legTaken reports whether a leg in state st was accepted at some point.
func legTaken(st LegState) bool {
	switch st {
	case LegActive, LegEnded, LegTransferred, LegConferenced:
		return true
	}
	return false
}

// without is r as it stood before offer inv was made: the state an offer
// leaves from, once its leg or request is written.
func (r *Route) without(inv InvitationID) *Route {
	cp := Route{ID: r.ID, Owner: r.Owner, Target: r.Target, Medium: r.Medium, RequestKind: r.RequestKind}
	for i, id := range r.Offers {
		if id != inv {
			cp.add(id, r.Tried[i], slices.Contains(r.Out, id), r.Taken == id)
		}
	}
	return &cp
}

// CheckFirers refuses an actor that the table does not let fire trigger
// by a command, as firing it would (ErrNotPermitted with the table's
// rule), before the command looks up what it names: owner and target are
// the leg's, request's or offer's when the command knows them, "" when it
// has looked nothing up yet, so that only System is anything to it and
// anyone else learns nothing of what the interaction holds (R-X6).
func (d *Decision) CheckFirers(t Table, trigger Trigger, owner, target PartyID) error {
	return d.checkFirers(t.chart(), trigger, FirerOf(d.actor, owner, target), false)
}

// FireRoute fires the routed invitation machine (RouteMachine) on route,
// by the actor: TriggerOffer for offer inv, once its leg or request is
// written (the transition leaves from the state the route stood in
// without it), or TriggerOfferOn before the next offers are made. It
// records nothing: the offers' own events are the record. A route that
// does not exist (an invitation to a named agent) fires nothing.
func (d *Decision) FireRoute(route RouteID, trigger Trigger, inv InvitationID) error {
	r := d.State().Route(route)
	if r == nil {
		return nil
	}
	from := RouteStateOf(r)
	if trigger == TriggerOffer {
		from = RouteStateOf(r.without(inv))
	}
	_, err := d.fire(&RouteMachine.Chart, string(from), trigger, FirerOf(d.actor, r.Owner, ""), false, GuardInput{})
	return err
}

// AcceptRoute fires the routed invitation machine's accept for offer inv
// (a leg or a request), before the offer's own accept fires: so the agent
// offered it, the accept's only firer, is told when another offer was
// accepted first (the guard "no other offer was accepted first"), where
// its own machine would only say that the offer is cancelled. Anyone else
// fires nothing here, is refused by the offer's own machine as before,
// and learns nothing of the route (a supervisor may be shown the offer,
// R-X6). Nor does an offer that is not routed, or one whose route has no
// accept from where it stands (unanswered: no offer is out, so the
// offer's own machine refuses the accept, saying why). It records
// nothing.
func (d *Decision) AcceptRoute(inv InvitationID) error {
	m := &RouteMachine.Chart
	s := d.State()
	var in GuardInput
	var route RouteID
	var owner, target PartyID
	if l := s.Leg(LegID(inv)); l != nil {
		in.Leg, route, owner, target = l, l.Route, l.Owner, l.Invitee
	} else if q := s.Request(RequestID(inv)); q != nil {
		in.Request, route, owner, target = q, q.Route, q.Owner, q.Invitee
	}
	by := FirerOf(d.actor, owner, target)
	if !m.MayFire(TriggerAccept, by) {
		return nil
	}
	from := string(RouteStateOf(s.Route(route)))
	if !m.Can(from, TriggerAccept) {
		return nil
	}
	_, err := d.fire(m, from, TriggerAccept, by, false, in)
	return err
}

// CheckAnswered refuses unless the offer inv (a leg or a request) stands
// where trigger leads in its machine's table: routing, offering an
// invitation on because its offer was answered so (declined, R-X1), acts
// on a transition the offer's agent made, which the log must hold. The
// refusal says where the offer stands instead (ErrInvalidTransition,
// R-X1). An offer that is neither a leg nor a request passes: the
// command tells its actor it has none.
func (d *Decision) CheckAnswered(inv InvitationID, trigger Trigger) error {
	s := d.State()
	var m *Chart
	var what, from string
	if l := s.Leg(LegID(inv)); l != nil {
		m, what, from = &LegMachine.Chart, "consultation", string(l.State)
	} else if q := s.Request(RequestID(inv)); q != nil {
		m, what, from = &RequestMachine.Chart, "request", string(q.State)
	} else {
		return nil
	}
	to := ""
	for _, e := range m.Table {
		if Trigger(e.Name) == trigger {
			if e.Dst == from {
				return nil
			}
			to = e.Dst
		}
	}
	return d.Refuse(ErrInvalidTransition, "R-X1", what+" is "+from+", not "+to)
}

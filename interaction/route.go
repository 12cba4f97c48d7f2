package interaction

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

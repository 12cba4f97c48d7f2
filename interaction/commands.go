package interaction

// The commands of the chat itself. Package consult adds the consultation,
// transfer and conference commands on the same Decision.

// Open starts an interaction for a contact. Text, when not empty, is the
// contact's first message.
type Open struct {
	Contact PartyID
	Text    string
}

func (c Open) Decide(d *Decision) error {
	d.SetOp("open")
	if err := d.CheckPartyID(c.Contact); err != nil {
		return err
	}
	// The contact enters its own chat (the membership machine's guard),
	// checked before whether the interaction exists, as ever.
	if err := d.CheckFirst(MembershipMachine, string(MemberNone), TriggerEnter, GuardInput{Member: c.Contact}); err != nil {
		return err
	}
	if d.State().Version != 0 {
		return d.Refuse(ErrConflict, "", "interaction exists")
	}
	if c.Text != "" {
		if err := d.CheckText(c.Text); err != nil {
			return err
		}
	}
	d.record(Event{Type: EventOpened, Party: c.Contact, Scope: Everyone})
	if err := d.Membership(c.Contact, TriggerEnter, RoleContact, Everyone); err != nil {
		return err
	}
	if c.Text != "" {
		return d.message(c.Text, KindText, Everyone)
	}
	return nil
}

// Assign offers a waiting chat to an agent (routing does this, acting as
// System). Several offers may be out at once: the first agent to join wins
// and the other offers are withdrawn (R-X1). Who may offer, and when, is
// the chat offer machine's (OfferMachine).
type Assign struct{ Agent PartyID }

func (c Assign) Decide(d *Decision) error {
	d.SetOp("assign")
	if err := d.offer(c.Agent, TriggerOffer); err != nil {
		return err
	}
	return d.Membership(c.Agent, TriggerInvite, RoleOwner, PartyScope(c.Agent))
}

// Join: the offered agent accepts the chat and becomes its owner.
type Join struct{}

func (Join) Decide(d *Decision) error {
	d.SetOp("join")
	p, err := d.ActingParty()
	if err != nil {
		return err
	}
	if err := d.offer(p.ID, TriggerAccept); err != nil {
		return err
	}
	if err := d.Membership(p.ID, TriggerAccept, RoleOwner, Everyone); err != nil {
		return err
	}
	if err := d.status(TriggerAgentJoins); err != nil {
		return err
	}
	return d.withdrawOffersExcept(p.ID)
}

// withdrawOffersExcept withdraws every pending chat offer but keep's, as
// part of keep's joining (the membership machine's withdraw: the chat
// offer machine's is routing's).
func (d *Decision) withdrawOffersExcept(keep PartyID) error {
	for _, q := range d.State().Parties {
		if q.ID != keep && offerOf(&q) == OfferPending {
			if err := d.fireMembership(q.ID, TriggerWithdraw, RoleOwner, PartyScope(q.ID), true); err != nil {
				return err
			}
		}
	}
	return nil
}

// Decline: the offered agent turns the chat down; routing offers it on.
// Chat offers exist only while the chat waits; an owner invited to an
// active chat answers a transfer request (consult.DeclineRequest).
type Decline struct{}

func (Decline) Decide(d *Decision) error {
	d.SetOp("decline")
	p, err := d.ActingParty()
	if err != nil {
		return err
	}
	if err := d.offer(p.ID, TriggerDecline); err != nil {
		return err
	}
	return d.Membership(p.ID, TriggerDecline, RoleOwner, PartyScope(p.ID))
}

// Withdraw takes a chat offer back (routing's time-out, acting as System).
type Withdraw struct{ Agent PartyID }

func (c Withdraw) Decide(d *Decision) error {
	d.SetOp("withdraw")
	if err := d.offer(c.Agent, TriggerWithdraw); err != nil {
		return err
	}
	return d.Membership(c.Agent, TriggerWithdraw, RoleOwner, PartyScope(c.Agent))
}

// Post writes a message to the chat, seen by everyone in it. The contact
// may write while the chat waits for an agent; a consultation target may
// not write to the contact (it talks in its leg, R-C5): who may write, and
// when, is ChatMessageMachine's. Attachments, if any, go with the message and are seen exactly where it is (issue 17); a
// message with attachments may have no text.
type Post struct {
	Text        string
	Attachments []Attachment
}

func (c Post) Decide(d *Decision) error {
	d.SetOp("post")
	if err := d.CheckContent(c.Text, c.Attachments); err != nil {
		return err
	}
	return d.writeChat(TriggerWrite, c.Text, Everyone, c.Attachments, true) // WriteInChat, checked
}

// Note writes a note that every agent of the chat sees and the contact
// never does; its attachments with it. Who may write one is
// ChatMessageMachine's: an agent in the chat, neither a supervisor (R-X7)
// nor a consultation target (R-X3).
type Note struct {
	Text        string
	Attachments []Attachment
}

func (c Note) Decide(d *Decision) error {
	d.SetOp("note")
	if err := d.CheckContent(c.Text, c.Attachments); err != nil {
		return err
	}
	return d.writeChat(TriggerNote, c.Text, Scope{Kind: ScopeAgents}, c.Attachments, true) // WriteNote, checked
}

// Leave: the acting party leaves the chat. For the contact that ends the
// session. An engaged agent who leaves hands the chat to the earliest other
// engaged agent (R-F6); when none is left the session ends. A party
// already out is refused by the membership machine's guard on leaving
// ("the party is still in the chat"), checked first: the command only
// chooses what to fire.
type Leave struct{}

func (Leave) Decide(d *Decision) error {
	d.SetOp("leave")
	p, err := d.ActingParty()
	if err != nil {
		return err
	}
	if err := d.CheckFirst(MembershipMachine, string(MemberJoined), TriggerLeave, GuardInput{Party: p, Member: p.ID}); err != nil {
		return err
	}
	if p.Role == RoleContact {
		return d.endSession()
	}
	return d.Depart(p.ID, TriggerLeave)
}

// EndSession ends the acting party's session with the contact. The contact ending
// it, or the last engaged agent, ends the interaction: every consultation
// ends with it (R-C7). An owner in a conference ends only its own part;
// the others go on with the contact (R-F6). A party already out, and a
// consultation target or supervisor, which has no session with the
// contact, are refused by the tables' guards (the membership machine's on
// leaving, the interaction machine's on ending): the command only chooses
// what to fire.
type EndSession struct{}

func (EndSession) Decide(d *Decision) error {
	d.SetOp("end")
	p, err := d.ActingParty()
	if err != nil {
		return err
	}
	if err := d.CheckFirst(MembershipMachine, string(MemberJoined), TriggerLeave, GuardInput{Party: p, Member: p.ID}); err != nil {
		return err
	}
	if p.Role.Engaged() && d.State().EngagedPresent() > 1 {
		return d.Depart(p.ID, TriggerLeave)
	}
	// The contact, or the last engaged agent, who stays in the chat to
	// wrap up and mark done; anyone else is refused by the interaction
	// machine's guard on ending (the actor has a session with the contact).
	return d.endSession()
}

// MarkDone: an agent who took part marks the interaction done. Its part
// must be over (it left, was removed, or the session ended). When every
// agent who took part has marked done, the interaction closes (R-C8).
type MarkDone struct{}

func (MarkDone) Decide(d *Decision) error {
	d.SetOp("mark done")
	p, err := d.ActingParty()
	if err != nil {
		return err
	}
	if err := d.Membership(p.ID, TriggerDone, p.Role, doneScope(p)); err != nil {
		return err
	}
	return d.closeIfDone()
}

// doneScope is who is told that a party marked done: everyone still in
// the chat when it is an engaged agent that was engaged with the contact
// (the others wrap up with it); only itself otherwise. A consultation target's or an
// invitee's wrap-up is nobody else's business, least of all the
// contact's, and a party that left is told nothing after (docs/visibility.md).
func doneScope(p *Party) Scope {
	switch {
	case !p.WasEngaged || !p.Role.Engaged():
		return PartyScope(p.ID)
	case p.Membership == MemberJoined:
		return Everyone
	case (p.Membership == MemberLeft || p.Membership == MemberRemoved) && p.EngagedUntil == p.SeenUntil:
		return Everyone // it left from its engaged stay, invited to nothing since
	}
	return PartyScope(p.ID)
}

// membershipScope is who sees a party's membership change: the contact
// sees the engaged agents come and go; a consultation target is seen by
// the agents of its last leg only; anyone else by itself.
func membershipScope(s *State, p *Party) Scope {
	switch {
	case p.Role == RoleContact || p.Role.Engaged():
		return Everyone
	case p.Role == RoleConsultant:
		for i := len(s.Legs) - 1; i >= 0; i-- {
			if s.Legs[i].Invitee == p.ID {
				return LegScope(s.Legs[i].ID)
			}
		}
	}
	return PartyScope(p.ID)
}

// Depart takes party p out of the chat (trigger "leave" or "remove"), by
// the command's actor as the membership machine lets (a party leaves
// itself, the owner removes a member): its consultations and requests
// end, a departing owner hands over to the earliest engaged agent left
// (R-F6), and when no engaged agent is left the session with the contact
// ends.
//
// Decides R-F6: the earliest member left takes over from an owner who leaves.
func (d *Decision) Depart(p PartyID, trigger Trigger) error {
	return d.depart(p, trigger, false)
}

// depart is Depart; cascade: the departure is part of another transition
// (the former owner leaving as the chat passes on, HandOver).
func (d *Decision) depart(p PartyID, trigger Trigger, cascade bool) error {
	q := d.State().Party(p)
	if q == nil {
		return d.Refuse(ErrNotFound, "", "no party "+string(p))
	}
	// The departure's own rules first (who may remove whom, R-F5): its
	// cascade below must not run for a departure the table refuses, nor
	// for one its actor may not make of a party not in the chat (an
	// invited consultation target, whose invitation would go with it).
	if err := d.checkFirers(&MembershipMachine.Chart, trigger, d.firerFor(p), cascade); err != nil {
		return err
	}
	if q.Present() {
		if _, err := d.fire(&MembershipMachine.Chart, string(q.Membership), trigger, d.firerFor(p), cascade, GuardInput{Party: q}); err != nil {
			return err
		}
	}
	if err := d.endLegsOf(p); err != nil {
		return err
	}
	q = d.State().Party(p)
	role := q.Role
	if !q.Present() {
		// A consultation target is already out: ending its leg released it.
		return nil
	}
	if err := d.fireMembership(p, trigger, role, membershipScope(d.State(), q), cascade); err != nil {
		return err
	}
	if !role.Engaged() {
		return nil
	}
	s := d.State()
	if s.Status != StatusActive {
		return nil
	}
	if role == RoleOwner && s.Owner() == nil {
		var next *Party
		for i := range s.Parties {
			c := &s.Parties[i]
			if c.Role == RoleMember && c.Present() && (next == nil || c.Order < next.Order) {
				next = c
			}
		}
		if next != nil {
			return d.fireRole(next.ID, TriggerHandOver, Everyone, true)
		}
	}
	if s.EngagedPresent() == 0 {
		return d.endSession()
	}
	return nil
}

// HandOver passes the chat from its owner to the target of a transfer
// (R-T2): that agent becomes the owner (the role machine's transfer, when
// it was a consultation's target) and the former owner leaves. Both are
// part of the transfer, so HandOver is refused unless the interaction
// holds one: a consultation of from's with to, turned into a transfer, or
// a transfer request from from to to, accepted; and from is still the
// chat's owner.
//
// Decides R-T2: the transfer target becomes the owner and the former owner leaves.
func (d *Decision) HandOver(from, to PartyID) error {
	s := d.State()
	if p := s.Party(from); p == nil || p.Role != RoleOwner || !p.Present() || !s.transferred(from, to) {
		return d.Refuse(ErrInvalidTransition, "R-T2", "no transfer of the chat from "+string(from)+" to "+string(to))
	}
	if q := s.Party(to); q != nil && q.Role != RoleOwner {
		if err := d.fireRole(to, TriggerTransfer, Everyone, true); err != nil {
			return err
		}
	}
	d.NoticeOf(Notice{Code: NoticeTransferred, Parties: []PartyID{from, to}}, Everyone)
	return d.depart(from, TriggerLeave, true)
}

// transferred reports whether the chat was transferred from owner to
// agent: a consultation turned into a transfer, or a transfer request
// accepted.
func (s *State) transferred(owner, agent PartyID) bool {
	for i := range s.Legs {
		if l := &s.Legs[i]; l.Owner == owner && l.Invitee == agent && l.State == LegTransferred {
			return true
		}
	}
	for i := range s.Requests {
		if r := &s.Requests[i]; r.Owner == owner && r.Invitee == agent && r.Kind == RequestTransfer && r.State == RequestAccepted {
			return true
		}
	}
	return false
}

// endLegsOf ends every consultation party p is in and cancels the requests
// it made or was asked (R-C7, R-T2).
func (d *Decision) endLegsOf(p PartyID) error {
	for _, l := range d.State().Legs {
		if (l.Owner == p || l.Invitee == p) && l.Live() {
			if err := d.endLeg(l); err != nil {
				return err
			}
		}
	}
	for _, r := range d.State().Requests {
		if (r.Owner == p || r.Invitee == p) && r.State == RequestPending {
			if err := d.cancelRequest(r, "", true); err != nil {
				return err
			}
		}
	}
	return nil
}

func (d *Decision) endLeg(l Leg) error {
	trigger := TriggerEnd
	if l.State == LegInviting {
		trigger = TriggerCancel
	}
	if err := d.fireLeg(l.ID, trigger, Event{}, true); err != nil {
		return err
	}
	return d.ReleaseTarget(l.Invitee, l.ID)
}

// ReleaseTarget takes a consultation target out when its leg is over:
// an invited one is withdrawn, a joined one leaves (it keeps reading
// nothing new, and must still mark done, R-C8). A target that became
// engaged (conference member, new owner) stays.
func (d *Decision) ReleaseTarget(agent PartyID, leg LegID) error {
	q := d.State().Party(agent)
	if q == nil || q.Role != RoleConsultant {
		return nil
	}
	if l := d.State().Leg(leg); l == nil || l.Invitee != agent || l.Live() {
		return d.Refuse(ErrInvalidTransition, "R-X6", "a consultation target is released once its consultation is over")
	}
	// Part of the leg's ending, whose firers were checked.
	switch q.Membership {
	case MemberInvited:
		return d.fireMembership(agent, TriggerWithdraw, RoleConsultant, LegScope(leg), true)
	case MemberJoined:
		return d.fireMembership(agent, TriggerLeave, RoleConsultant, LegScope(leg), true)
	}
	return nil
}

// CancelRequest cancels a pending transfer or conference request and
// withdraws its target's invitation when the request invited it.
//
// actor is who cancels: the command's actor when empty, System when
// routing takes an offer back (rescinded); it must be one the table lets
// cancel. The owner who asked and the agent asked both see it.
func (d *Decision) CancelRequest(r Request, actor PartyID) error {
	return d.cancelRequest(r, actor, false)
}

// CancelRequestsVia cancels the requests still pending that were asked
// from consultation leg, which is ending or turning into a transfer: they
// go with it, whichever of its agents ends it (a cascade, see Firers).
func (d *Decision) CancelRequestsVia(leg LegID) error {
	for _, r := range d.State().Requests {
		if r.Via == leg && r.State == RequestPending {
			if err := d.cancelRequest(r, "", true); err != nil {
				return err
			}
		}
	}
	return nil
}

func (d *Decision) cancelRequest(r Request, actor PartyID, cascade bool) error {
	sc := RequestScope(r.ID)
	if r.Via != "" {
		sc = LegScope(r.Via)
	}
	if err := d.fireRequest(r.ID, TriggerCancel, Event{Actor: actor}, sc, cascade); err != nil {
		return err
	}
	if q := d.State().Party(r.Invitee); q != nil && q.Membership == MemberInvited && q.Role != RoleConsultant {
		// In the request's scope: the owner who asked sees its invitee go,
		// as it saw it invited.
		return d.fireMembership(r.Invitee, TriggerWithdraw, q.Role, RequestScope(r.ID), true)
	}
	return nil
}

// endSession ends the session with the contact: every leg and request
// ends (R-C7), offers and consultation targets go, the contact leaves, the
// interaction ends, and it closes at once if no agent has to mark done.
//
// Decides R-C7: ending the session with the contact ends its consultations.
func (d *Decision) endSession() error {
	// The status first, while everyone is still in: the contact and the
	// consultation targets see the session end before they are taken out
	// (a party that left learns nothing after, docs/visibility.md).
	if err := d.status(TriggerEnd); err != nil {
		return err
	}
	for _, l := range d.State().Legs {
		if l.Live() {
			if err := d.endLeg(l); err != nil {
				return err
			}
		}
	}
	for _, r := range d.State().Requests {
		if r.State == RequestPending {
			if err := d.cancelRequest(r, "", true); err != nil {
				return err
			}
		}
	}
	for _, q := range d.State().Parties {
		switch {
		case q.Membership == MemberInvited:
			if err := d.fireMembership(q.ID, TriggerWithdraw, q.Role, PartyScope(q.ID), true); err != nil {
				return err
			}
		case q.Membership == MemberJoined && (q.Role == RoleContact || q.Role == RoleSupervisor || q.Role == RoleConsultant):
			if err := d.fireMembership(q.ID, TriggerLeave, q.Role, membershipScope(d.State(), &q), true); err != nil {
				return err
			}
		}
	}
	return d.closeIfDone()
}

// closeIfDone closes an ended interaction once every agent who took part
// has marked it done (R-C8).
//
// Decides R-C8: the interaction closes when every agent who took part marked it done.
func (d *Decision) closeIfDone() error {
	s := d.State()
	if s.Status != StatusEnded {
		return nil
	}
	for _, q := range s.Parties {
		// Supervisors who only monitored or coached are not agents of the
		// interaction; one who barged in is a member and counts.
		if q.Role != RoleContact && q.Role != RoleSupervisor && q.TookPart && q.Membership != MemberDone {
			return nil
		}
	}
	return d.status(TriggerClose)
}

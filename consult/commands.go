package consult

import (
	"time"

	"github.com/chatconsult/chatconsult/interaction"
)

type (
	// PartyID, LegID, RequestID, InvitationID and RouteID are the
	// identifiers of package interaction.
	PartyID      = interaction.PartyID
	LegID        = interaction.LegID
	RequestID    = interaction.RequestID
	InvitationID = interaction.InvitationID
	RouteID      = interaction.RouteID
)

// The order of checks (R-X6). Every command checks, in this order:
//
//  1. its input: the leg, request and target IDs and the party IDs it
//     takes, the target kind, medium and request kind, the text
//     (interaction.CheckID, CheckTarget, CheckPartyID, CheckText; the rules
//     are in package interaction's input.go);
//  2. the acting party: it must be a party of the interaction
//     (Decision.ActingParty), so a command by an unknown party, or by
//     nobody, is bad input whatever else is wrong with it, as in package
//     interaction. The commands only System gives (TimeOut, TimeOutRequest,
//     Reroute) check the table's firers instead, before any lookup
//     (Decision.CheckFirers: the leg's or request's time_out, and
//     RouteMachine's offer_on for Reroute);
//  3. the leg or request exists and the actor's view shows it, else
//     ErrNotFound, the same for both (legOf), and a new one's ID is free
//     (ErrConflict);
//  4. everything else, by firing the transition through the Decision
//     (Decision.Leg, Request, Membership): the state allows it, the actor
//     may fire it, and its guards hold. Who may fire each transition and
//     its guards are declared beside it in the tables
//     (interaction.LegMachine, RequestMachine, …), not here, so no command
//     can forget one.
//
// So each kind of bad input gets ErrBadInput however the rest of the
// command looks, and a refused command writes nothing.

// Start opens a consultation leg from the owner (the actor) to Agent, the
// agent that Target resolved to (R-C1, R-C2), held as Medium (R-C10). The
// target is invited (R-C3); it does not see the chat until it accepts.
//
// A consultation aimed at a group, skill or queue is an offer of a routed
// invitation (R-X1): Route names it (empty: a route of its own, named
// after the leg). The offers of one fan-out share a Route, and so do the
// offers made when it goes on (Reroute); an invitation to a named agent has
// none.
//
// Timeout, when positive, gives the invitation a deadline that long after
// the command (interaction.Leg.Deadline): a Scheduler times it out then,
// on whichever instance runs it (see Service).
type Start struct {
	Leg     LegID // chosen by the caller, so it knows the leg before the write
	Target  interaction.Target
	Invitee PartyID
	Medium  interaction.Medium
	Route   RouteID
	Timeout time.Duration
}

// Decides R-C1, R-C10: an owner of an active chat starts a consultation, by chat, IM or voice, without a conference.
func (c Start) Decide(d *interaction.Decision) error {
	d.SetOp("start consultation")
	if err := d.CheckID("leg", string(c.Leg)); err != nil {
		return err
	}
	if err := d.CheckTarget(c.Target); err != nil {
		return err
	}
	if err := d.CheckPartyID(c.Invitee); err != nil {
		return err
	}
	if c.Medium > interaction.MediumVoice {
		return d.Refuse(interaction.ErrBadInput, "R-C10", "unknown medium")
	}
	if err := checkTimeout(d, c.Timeout); err != nil {
		return err
	}
	route, err := routeOf(d, c.Route, InvitationID(c.Leg), c.Target)
	if err != nil {
		return err
	}
	if _, err := d.ActingParty(); err != nil {
		return err
	}
	return inviteLeg(d, d.Actor(), Offer{ID: InvitationID(c.Leg), Invitee: c.Invitee}, c.Target, c.Medium, route, c.Timeout)
}

// MaxTimeout is the longest time-out an invitation may have: a year.
const MaxTimeout = 365 * 24 * time.Hour

// checkTimeout refuses a negative time-out, or one over MaxTimeout, as bad
// input (R-X6).
func checkTimeout(d *interaction.Decision, t time.Duration) error {
	if t < 0 || t > MaxTimeout {
		return d.Refuse(interaction.ErrBadInput, "R-X6", "time-out out of range (0 to a year)")
	}
	return nil
}

// deadline is the deadline of an invitation made now with time-out t:
// none for zero.
func deadline(d *interaction.Decision, t time.Duration) time.Time {
	if t <= 0 {
		return time.Time{}
	}
	return d.Now().Add(t)
}

// inviteLeg writes the invitation of a new consultation leg, on behalf of
// owner (the actor of a Start; Reroute writes it as System, naming the
// owner), with a deadline timeout from now if timeout is positive.
func inviteLeg(d *interaction.Decision, owner PartyID, o Offer, t interaction.Target, m interaction.Medium, route RouteID, timeout time.Duration) error {
	leg := LegID(o.ID)
	if err := d.Leg(leg, interaction.TriggerInvite, interaction.Event{Actor: owner, Party: o.Invitee, Target: t, Medium: m, Route: route, Deadline: deadline(d, timeout)}); err != nil {
		return err
	}
	if err := d.FireRoute(route, interaction.TriggerOffer, o.ID); err != nil {
		return err
	}
	return d.Membership(o.Invitee, interaction.TriggerInvite, interaction.RoleConsultant, interaction.LegScope(leg))
}

// routeOf checks the Route given to a Start or Direct and returns the one
// its offer joins: the given one, or, for a group, skill or queue, a route
// of the offer's own (R-X1). An invitation to a named agent is not routed.
func routeOf(d *interaction.Decision, route RouteID, offer InvitationID, t interaction.Target) (RouteID, error) {
	if route != "" {
		if err := d.CheckID("route", string(route)); err != nil {
			return "", err
		}
		if t.Kind == interaction.TargetAgent {
			return "", d.Refuse(interaction.ErrBadInput, "R-X1", "an invitation to a named agent is not routed")
		}
		return route, nil
	}
	if t.Kind == interaction.TargetAgent {
		return "", nil
	}
	return RouteID(offer), nil
}

// rescindRivals withdraws, as routing (System), every other offer of
// route that is still out: the first accept wins (R-X1).
func rescindRivals(d *interaction.Decision, route RouteID, keep InvitationID) error {
	r := d.State().Route(route)
	if r == nil {
		return nil
	}
	for _, id := range r.Rivals(keep) {
		if l := d.State().Leg(LegID(id)); l != nil {
			if err := d.Leg(l.ID, interaction.TriggerCancel, interaction.Event{Actor: interaction.System}); err != nil {
				return err
			}
			if err := d.ReleaseTarget(l.Invitee, l.ID); err != nil {
				return err
			}
			continue
		}
		if q := d.State().Request(RequestID(id)); q != nil {
			if err := rescindRequest(d, *q); err != nil {
				return err
			}
		}
	}
	return nil
}

// Accept: the invited target takes the consultation (R-C3). From now on it
// reads the chat between owner and contact, live (R-C6). The accept of an
// offer of a routed invitation withdraws (rescinds) the other offers still
// out in the same write: the first accept wins, and an offer rescinded so
// is refused with ErrInvalidTransition (R-X1), whichever Service decides
// it, since it is decided on the stored state.
type Accept struct{ Leg LegID }

// Decides R-C3: the target's accept opens the consultation chat.
func (c Accept) Decide(d *interaction.Decision) error {
	d.SetOp("accept consultation")
	l, err := partyLeg(d, c.Leg)
	if err != nil {
		return err
	}
	// The agent offered a routed invitation learns if another accepted it
	// first (RouteMachine's accept), before its cancelled leg refuses.
	if err := d.AcceptRoute(InvitationID(l.ID)); err != nil {
		return err
	}
	if l.State == interaction.LegInviting {
		if err := rescindRivals(d, l.Route, InvitationID(l.ID)); err != nil {
			return err
		}
	}
	if err := d.Leg(l.ID, interaction.TriggerAccept, interaction.Event{}); err != nil {
		return err
	}
	return d.Membership(l.Invitee, interaction.TriggerAccept, interaction.RoleConsultant, interaction.LegScope(l.ID))
}

// Decline: the invited target turns the consultation down; the owner gets
// a system notice in its own view (R-C3).
type Decline struct{ Leg LegID }

// Decides R-C3: the target's decline ends the invitation and tells the owner.
func (c Decline) Decide(d *interaction.Decision) error {
	d.SetOp("decline consultation")
	l, err := partyLeg(d, c.Leg)
	if err != nil {
		return err
	}
	if err := d.Leg(l.ID, interaction.TriggerDecline, interaction.Event{}); err != nil {
		return err
	}
	if err := d.Membership(l.Invitee, interaction.TriggerDecline, interaction.RoleConsultant, interaction.LegScope(l.ID)); err != nil {
		return err
	}
	d.NoticeOf(interaction.Notice{Code: interaction.NoticeDeclined, Parties: []PartyID{l.Invitee}}, interaction.PartyScope(l.Owner))
	return nil
}

// Cancel: the owner withdraws an invitation that is still pending (R-X2).
// For a routed invitation that is every offer of it still out: to the
// owner it is one invitation.
type Cancel struct{ Leg LegID }

// Decides R-X2: the owner cancels an invitation still pending.
func (c Cancel) Decide(d *interaction.Decision) error {
	d.SetOp("cancel consultation")
	l, err := partyLeg(d, c.Leg)
	if err != nil {
		return err
	}
	if err := d.Leg(l.ID, interaction.TriggerCancel, interaction.Event{}); err != nil {
		return err
	}
	if err := d.ReleaseTarget(l.Invitee, l.ID); err != nil {
		return err
	}
	if r := d.State().Route(l.Route); r != nil {
		for _, id := range r.Out {
			rl := d.State().Leg(LegID(id))
			if rl == nil {
				continue // a route of requests cannot share the ID (validate.go)
			}
			if err := d.Leg(rl.ID, interaction.TriggerCancel, interaction.Event{}); err != nil {
				return err
			}
			if err := d.ReleaseTarget(rl.Invitee, rl.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// TimeOut: nobody answered the invitation in time (actor System). The
// owner is told in its own view.
type TimeOut struct{ Leg LegID }

func (c TimeOut) Decide(d *interaction.Decision) error {
	d.SetOp("time out consultation")
	if err := d.CheckID("leg", string(c.Leg)); err != nil {
		return err
	}
	if err := d.CheckFirers(interaction.LegMachine, interaction.TriggerTimeOut, "", ""); err != nil {
		return err
	}
	l, err := legOf(d, c.Leg)
	if err != nil {
		return err
	}
	if err := d.Leg(l.ID, interaction.TriggerTimeOut, interaction.Event{}); err != nil {
		return err
	}
	if err := d.ReleaseTarget(l.Invitee, l.ID); err != nil {
		return err
	}
	d.NoticeOf(interaction.Notice{Code: interaction.NoticeNoAnswer, Parties: []PartyID{l.Invitee}}, interaction.PartyScope(l.Owner))
	return nil
}

// EndConsultation: the owner or the target ends an active consultation. The chat
// with the contact goes on (R-C4). The target leaves and must still mark
// the interaction done (R-C8).
type EndConsultation struct{ Leg LegID }

// Decides R-C4: either side ends the consultation; the chat goes on.
func (c EndConsultation) Decide(d *interaction.Decision) error {
	d.SetOp("end consultation")
	l, err := partyLeg(d, c.Leg)
	if err != nil {
		return err
	}
	if err := d.Leg(l.ID, interaction.TriggerEnd, interaction.Event{}); err != nil {
		return err
	}
	if err := d.CancelRequestsVia(l.ID); err != nil {
		return err
	}
	return d.ReleaseTarget(l.Invitee, l.ID)
}

// Say writes a private message in an active chat or IM consultation: only
// its two agents ever see it (R-C5, R-X3). A voice leg has no transcript.
// Attachments go with the message, seen exactly by whom it is (issue 17).
type Say struct {
	Leg         LegID
	Text        string
	Attachments []interaction.Attachment
}

func (c Say) Decide(d *interaction.Decision) error {
	d.SetOp("consultation message")
	if err := d.CheckContent(c.Text, c.Attachments); err != nil {
		return err
	}
	l, err := partyLeg(d, c.Leg)
	if err != nil {
		return err
	}
	return d.WriteInLeg(l.ID, c.Text, c.Attachments)
}

// Transfer hands the chat to the target of an active consultation (R-T1):
// the target becomes the owner, the former owner leaves, and the former
// owner's other consultations end (R-T2). The consultation messages stay
// visible to their two agents only (R-C5).
type Transfer struct{ Leg LegID }

// Decides R-C11, R-T1: the owner transfers the chat to an active consultation target, of any medium.
func (c Transfer) Decide(d *interaction.Decision) error {
	d.SetOp("transfer")
	if err := d.CheckID("leg", string(c.Leg)); err != nil {
		return err
	}
	if _, err := d.ActingParty(); err != nil {
		return err
	}
	// Only the chat's owner is told whether the consultation exists.
	if err := d.CheckFirst(interaction.LegMachine, string(interaction.LegActive), interaction.TriggerTransfer, interaction.GuardInput{}); err != nil {
		return err
	}
	l, err := legOf(d, c.Leg)
	if err != nil {
		return err
	}
	if err := d.Leg(l.ID, interaction.TriggerTransfer, interaction.Event{}); err != nil {
		return err
	}
	if err := d.CancelRequestsVia(l.ID); err != nil {
		return err
	}
	return d.HandOver(l.Owner, l.Invitee)
}

// Conference asks the target of an active consultation to join the chat
// (R-F1). Nothing changes until it accepts (R-F4). The request's ID is
// chosen by the caller.
type Conference struct {
	Leg     LegID
	Request RequestID
	Timeout time.Duration // as for Start
}

// Decides R-F1: the owner asks an active consultation target to join as a conference member.
func (c Conference) Decide(d *interaction.Decision) error {
	d.SetOp("conference")
	if err := d.CheckID("leg", string(c.Leg)); err != nil {
		return err
	}
	if err := d.CheckID("request", string(c.Request)); err != nil {
		return err
	}
	if err := checkTimeout(d, c.Timeout); err != nil {
		return err
	}
	if _, err := d.ActingParty(); err != nil {
		return err
	}
	// Only the chat's owner is told whether the consultation exists.
	if err := d.CheckFirst(interaction.RequestMachine, string(interaction.RequestNone), interaction.TriggerRequest,
		interaction.GuardInput{Asked: interaction.Asked{Via: c.Leg}}); err != nil {
		return err
	}
	l, err := legOf(d, c.Leg)
	if err != nil {
		return err
	}
	return d.Request(c.Request, interaction.TriggerRequest, interaction.Event{Party: l.Invitee, Target: l.Target, RequestKind: interaction.RequestConference, Via: l.ID,
		Deadline: deadline(d, c.Timeout)}, interaction.LegScope(l.ID))
}

// Direct asks an agent who is not in the chat to take it over (transfer)
// or to join it (conference) in a single step, without a consultation
// first (R-X4). The agent is invited; nothing else changes until it
// accepts. Route is as for Start: a request aimed at a group, skill or
// queue is an offer of a routed invitation (R-X1).
type Direct struct {
	Request RequestID
	Kind    interaction.RequestKind
	Target  interaction.Target
	Invitee PartyID
	Route   RouteID
	Timeout time.Duration // as for Start
}

// Decides R-X4: a transfer or conference requested directly to a target.
func (c Direct) Decide(d *interaction.Decision) error {
	d.SetOp("direct " + c.Kind.String())
	if err := d.CheckID("request", string(c.Request)); err != nil {
		return err
	}
	if c.Kind != interaction.RequestTransfer && c.Kind != interaction.RequestConference {
		return d.Refuse(interaction.ErrBadInput, "R-X4", "transfer or conference")
	}
	if err := d.CheckTarget(c.Target); err != nil {
		return err
	}
	if err := d.CheckPartyID(c.Invitee); err != nil {
		return err
	}
	if err := checkTimeout(d, c.Timeout); err != nil {
		return err
	}
	route, err := routeOf(d, c.Route, InvitationID(c.Request), c.Target)
	if err != nil {
		return err
	}
	if _, err := d.ActingParty(); err != nil {
		return err
	}
	return askRequest(d, d.Actor(), Offer{ID: InvitationID(c.Request), Invitee: c.Invitee}, c.Kind, c.Target, route, c.Timeout)
}

// askRequest writes a direct transfer or conference request, on behalf of owner
// (the actor of a Direct; Reroute writes it as System, naming the owner).
func askRequest(d *interaction.Decision, owner PartyID, o Offer, kind interaction.RequestKind, t interaction.Target, route RouteID, timeout time.Duration) error {
	role := interaction.RoleMember
	if kind == interaction.RequestTransfer {
		role = interaction.RoleOwner
	}
	req := RequestID(o.ID)
	if err := d.Request(req, interaction.TriggerRequest, interaction.Event{Actor: owner, Party: o.Invitee, Target: t, RequestKind: kind, Route: route,
		Deadline: deadline(d, timeout)}, interaction.RequestScope(req)); err != nil {
		return err
	}
	if err := d.FireRoute(route, interaction.TriggerOffer, o.ID); err != nil {
		return err
	}
	return d.Membership(o.Invitee, interaction.TriggerInvite, role, interaction.RequestScope(req))
}

// AcceptRequest: the asked agent accepts a conference or transfer request.
// Conference: it joins the chat as a member and sees the whole transcript
// between owner and contact, never a consultation message (R-F2, R-C5);
// what is written from then on is seen by all (R-F3). Transfer: it becomes
// the owner and the former owner leaves (R-T2).
type AcceptRequest struct{ Request RequestID }

func (c AcceptRequest) Decide(d *interaction.Decision) error {
	d.SetOp("accept request")
	r, err := partyRequest(d, c.Request)
	if err != nil {
		return err
	}
	if err := d.AcceptRoute(InvitationID(r.ID)); err != nil { // as in Accept
		return err
	}
	if r.State == interaction.RequestPending {
		if err := rescindRivals(d, r.Route, InvitationID(r.ID)); err != nil {
			return err
		}
	}
	sc := requestScope(&r)
	if err := d.Request(r.ID, interaction.TriggerAccept, interaction.Event{}, sc); err != nil {
		return err
	}
	if r.Via != "" {
		if err := d.Leg(r.Via, r.Kind.Trigger(), interaction.Event{}); err != nil {
			return err
		}
	} else {
		role := interaction.RoleMember
		if r.Kind == interaction.RequestTransfer {
			role = interaction.RoleOwner
		}
		if err := d.Membership(r.Invitee, interaction.TriggerAccept, role, interaction.Everyone); err != nil {
			return err
		}
	}
	if r.Kind == interaction.RequestTransfer {
		return d.HandOver(r.Owner, r.Invitee)
	}
	if r.Via != "" {
		if err := d.Role(r.Invitee, interaction.TriggerConference, interaction.Everyone); err != nil {
			return err
		}
	}
	d.NoticeOf(interaction.Notice{Code: interaction.NoticeJoined, Parties: []PartyID{r.Invitee}}, interaction.Everyone)
	return nil
}

// DeclineRequest: the asked agent says no. The request is dropped and the
// chat goes on as before (R-F4); the owner is told in its own view.
type DeclineRequest struct{ Request RequestID }

// Decides R-F4: a declined request is dropped and changes nothing.
func (c DeclineRequest) Decide(d *interaction.Decision) error {
	d.SetOp("decline request")
	r, err := partyRequest(d, c.Request)
	if err != nil {
		return err
	}
	return dropRequest(d, &r, interaction.TriggerDecline, interaction.NoticeDeclined)
}

// TimeOutRequest: the asked agent did not answer in time (actor System);
// as for a decline, nothing else changes (R-F4).
type TimeOutRequest struct{ Request RequestID }

func (c TimeOutRequest) Decide(d *interaction.Decision) error {
	d.SetOp("time out request")
	if err := d.CheckID("request", string(c.Request)); err != nil {
		return err
	}
	if err := d.CheckFirers(interaction.RequestMachine, interaction.TriggerTimeOut, "", ""); err != nil {
		return err
	}
	r, err := requestOf(d, c.Request)
	if err != nil {
		return err
	}
	return dropRequest(d, &r, interaction.TriggerTimeOut, interaction.NoticeNoAnswer)
}

// CancelRequest: the owner who asked takes a pending request back (R-X2).
type CancelRequest struct{ Request RequestID }

func (c CancelRequest) Decide(d *interaction.Decision) error {
	d.SetOp("cancel request")
	r, err := partyRequest(d, c.Request)
	if err != nil {
		return err
	}
	if err := d.CancelRequest(r, ""); err != nil {
		return err
	}
	if rt := d.State().Route(r.Route); rt != nil {
		// A routed request is one invitation to the owner: its other
		// offers go with it (R-X2).
		for _, id := range rt.Out {
			if q := d.State().Request(RequestID(id)); q != nil {
				if err := d.CancelRequest(*q, ""); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// Remove takes a conference member out of the chat (R-F5). Only the owner
// removes; the removed member can no longer post (R-X6) and must still
// mark the interaction done (R-C8).
type Remove struct{ Member PartyID }

// Decides R-F5: the owner removes a conference member.
func (c Remove) Decide(d *interaction.Decision) error {
	d.SetOp("remove")
	if _, err := d.ActingParty(); err != nil {
		return err
	}
	// The owner of the active chat first: only it is told whether the
	// party exists; then whom it may remove, whatever the party's
	// membership (the guards of the membership machine's remove).
	// A party the owner is not shown (a silent monitor) is refused as
	// none is (R-X6, R-X7).
	m := d.State().Party(c.Member)
	if m != nil && !d.State().ShowsParty(d.Actor(), m.ID) {
		m = nil
	}
	if err := d.CheckFirst(interaction.MembershipMachine, string(interaction.MemberJoined), interaction.TriggerRemove, interaction.GuardInput{Party: m}); err != nil {
		return err
	}
	if m == nil {
		return d.Refuse(interaction.ErrNotFound, "R-F5", "no such party")
	}
	d.NoticeOf(interaction.Notice{Code: interaction.NoticeRemoved, Parties: []PartyID{c.Member}}, interaction.Everyone)
	return d.Depart(c.Member, interaction.TriggerRemove)
}

// partyLeg is how a command by a party on a consultation leg starts: the
// leg ID is well formed, the actor is a party of the interaction, and the
// leg exists (see the order of checks above).
func partyLeg(d *interaction.Decision, id LegID) (interaction.Leg, error) {
	if err := d.CheckID("leg", string(id)); err != nil {
		return interaction.Leg{}, err
	}
	if _, err := d.ActingParty(); err != nil {
		return interaction.Leg{}, err
	}
	return legOf(d, id)
}

// partyRequest is partyLeg for a transfer or conference request.
func partyRequest(d *interaction.Decision, id RequestID) (interaction.Request, error) {
	if err := d.CheckID("request", string(id)); err != nil {
		return interaction.Request{}, err
	}
	if _, err := d.ActingParty(); err != nil {
		return interaction.Request{}, err
	}
	return requestOf(d, id)
}

// legOf is step 3 of the order of checks for every command naming a
// consultation leg: the leg exists, and the actor's view shows it
// (interaction.State.ShowsLeg: its two agents, a supervisor that watched
// one of them as it began, System). A leg the actor is not shown is
// refused exactly as a leg that does not exist, same kind, rule and
// words, so that naming an ID tells a party nothing it may not see
// (privacy covers metadata, R-X6, docs/visibility.md). A party that is
// shown the leg gets the refusal of what it may not do to it.
func legOf(d *interaction.Decision, id LegID) (interaction.Leg, error) {
	s := d.State()
	if !s.ShowsLeg(d.Actor(), id) {
		return interaction.Leg{}, d.Refuse(interaction.ErrNotFound, "", "no consultation "+string(id))
	}
	return *s.Leg(id), nil // a copy: the events the command records move the state on
}

// requestOf is legOf for a transfer or conference request, shown to the
// owner who asked and the agent asked only (ShowsRequest).
func requestOf(d *interaction.Decision, id RequestID) (interaction.Request, error) {
	s := d.State()
	if !s.ShowsRequest(d.Actor(), id) {
		return interaction.Request{}, d.Refuse(interaction.ErrNotFound, "", "no request "+string(id))
	}
	return *s.Request(id), nil
}

func requestScope(r *interaction.Request) interaction.Scope {
	if r.Via != "" {
		return interaction.LegScope(r.Via)
	}
	return interaction.RequestScope(r.ID)
}

func dropRequest(d *interaction.Decision, r *interaction.Request, trigger interaction.Trigger, notice interaction.NoticeCode) error {
	if err := d.Request(r.ID, trigger, interaction.Event{}, requestScope(r)); err != nil {
		return err
	}
	if r.Via == "" {
		membership := interaction.TriggerWithdraw // a request that timed out withdraws the invitation
		if trigger == interaction.TriggerDecline {
			membership = interaction.TriggerDecline
		}
		if err := d.Membership(r.Invitee, membership, d.State().Party(r.Invitee).Role, interaction.RequestScope(r.ID)); err != nil {
			return err
		}
	}
	d.NoticeOf(interaction.Notice{Code: notice, Parties: []PartyID{r.Invitee}, What: r.Kind}, interaction.PartyScope(r.Owner))
	return nil
}

package consult

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/internal/decisionhook"
)

// Routing a consultation, transfer or conference aimed at a group, a skill
// or a queue (R-C2, R-X1). The Router picks one agent and the invitation
// goes to it. When that agent declines, does not answer in time, or is
// taken back by routing (it logged out), the Service offers the same
// invitation to the next candidate, leaving out everyone already tried,
// for as long as there is one. When none is left the owner gets a system
// notice in its own view and the Service reports an Exhausted outcome.
// An invitation aimed at a named agent is never offered on: it ends as
// declined or timed out, and the owner is told (R-C3). A Router that is a
// Fanout offers a target to several agents at once: the first to accept
// wins, and the invitation goes on only when every offer out has failed.
//
// The route lives in the interaction, not in the Service: each offer is a
// leg (or request) whose first event names the invitation's Route
// (interaction.Route: target, offers out, agents tried, the offer taken).
// So every decision about a route is a command decided on the stored state
// and written in one append, by whichever Service instance handles it:
//
//   - an accept rescinds the rival offers still out in the same write
//     (Accept, AcceptRequest, AcceptOffer); a second accept finds its offer
//     rescinded and is refused with ErrInvalidTransition;
//   - a time-out, a rescind (Reroute) or a decline (the agent's Decline
//     and Reroute, in one write) ends one offer and, only when it was the
//     last one out and none was taken, offers the invitation on to the
//     candidates the Router picks, leaving out the agents the route tried,
//     or tells the owner that nobody is left. The Service reads the state
//     to know whether to pick; when another instance moved first the
//     command is refused (ErrConflict) or ignores the picks, and the
//     Service decides again on the fresh state.
//
// Two offers failing at the same moment, on two instances, are two appends
// to one stream: the later one is decided on a state that holds the
// earlier, so exactly one of them offers on.

// Reserver is a Router that counts capacity and holds the agent it picks
// until the invitation is written (package routing's Directory does). The
// Service gives the hold back when the command that would have invited the
// agent is refused or invites somebody else, and asks for a hold when a
// consultation held in IM or voice becomes a chat transfer or conference,
// which needs one more chat unit from its target.
type Reserver interface {
	Hold(ctx context.Context, agent PartyID, medium interaction.Medium) error
	Release(agent PartyID, medium interaction.Medium)
}

// Exhausted is the outcome of a routed invitation that found nobody: every
// candidate declined, did not answer or was taken back, and no other agent
// of the target is available (R-X1).
type Exhausted struct {
	Interaction interaction.ID
	Owner       PartyID
	Target      interaction.Target
	Medium      interaction.Medium
	// Request is the kind of a direct transfer or conference; RequestNoKind
	// for a consultation.
	Request interaction.RequestKind
	// Invitations are the legs (or requests) the invitation went through,
	// in order; Tried their agents.
	Invitations []InvitationID
	Tried       []PartyID
	// Err says why, as a refused command would: kind ErrNotFound, rule R-X1.
	Err *interaction.Error
}

// WithExhaustedHandler calls f when a routed invitation runs out of
// candidates (after the owner's notice is written). f runs on the
// goroutine that answered or timed out the last invitation, on the
// Service instance that wrote the notice (one, whichever it is).
func WithExhaustedHandler(f func(context.Context, Exhausted)) Option {
	return func(s *Service) { s.exhausted = f }
}

// Fanout is a Router that offers some targets to several agents at once
// (package routing's Directory: WithOffersAtOnce, SetOffersAtOnce): the
// first to accept wins and the other offers are rescinded in the same
// write (R-X1).
type Fanout interface {
	// OffersAtOnce is how many agents an invitation to target goes to at
	// once (1 or less: one).
	OffersAtOnce(target interaction.Target) int
}

// Offer is one agent offered a routed invitation, with the leg (or
// request) that invites it.
type Offer struct {
	ID      InvitationID
	Invitee PartyID
}

// RerouteReason says why a routed invitation is offered on.
type RerouteReason uint8

const (
	// RerouteTimedOut: nobody answered in time; the invitation is timed out
	// in the same write.
	RerouteTimedOut RerouteReason = iota + 1
	// RerouteDeclined: the agent declined (already written, or earlier in
	// the same write).
	RerouteDeclined
	// RerouteRescinded: routing takes the invitation back from its agent
	// (it logged out); it is withdrawn in the same write.
	RerouteRescinded
)

// Reroute ends one offer of an invitation that went unanswered and, in the
// same write, when it was the last offer of a routed invitation out and
// none was taken, offers the invitation to Next on behalf of the owner who
// asked, or, with Exhausted, tells the owner that nobody is left (R-X1).
// The actor is System. Each new leg's (or request's) first event names the
// owner as its actor, because the leg is the owner's: package interaction
// takes a leg's owner from that event; its Cause is this command, its
// Route the invitation's.
//
// What happens next is decided on the state, not by the caller: while
// other offers of the invitation are still out (the last of them to fail
// offers on), or one was taken, Next and Exhausted are ignored; so they
// are when the owner can no longer ask (it left, the chat ended). When the
// offer is the last one out and neither Next nor Exhausted is given, the
// command is refused with ErrConflict (the caller read an older state:
// read again, pick, and retry). Next agents already tried by the route, or
// in the chat, are refused with ErrConflict too. An invitation aimed at a
// named agent has no route: it just ends, and Next is bad input.
//
// An invitation with a deadline times out at its deadline, not before
// (ErrInvalidTransition). Timeout, when positive, gives each new offer a
// deadline that long after the command.
type Reroute struct {
	Invitation InvitationID // the consultation leg or direct request that failed
	Reason     RerouteReason
	Next       []Offer
	Exhausted  bool
	Timeout    time.Duration
}

func (c Reroute) Decide(d *interaction.Decision) error {
	d.SetOp("reroute")
	// Input first, then the actor (see the order of checks in commands.go).
	if err := d.CheckID("invitation", string(c.Invitation)); err != nil {
		return err
	}
	if c.Exhausted && len(c.Next) > 0 {
		return d.Refuse(interaction.ErrBadInput, "R-X1", "exhausted, yet offered on")
	}
	for _, o := range c.Next {
		// The next agent becomes a party: the router's choice gets the same
		// party-ID check as any other (R-X6).
		if err := d.CheckID("leg", string(o.ID)); err != nil {
			return err
		}
		if err := d.CheckPartyID(o.Invitee); err != nil {
			return err
		}
	}
	if c.Reason < RerouteTimedOut || c.Reason > RerouteRescinded {
		return d.Refuse(interaction.ErrBadInput, "R-X1", "unknown reason")
	}
	if err := checkTimeout(d, c.Timeout); err != nil {
		return err
	}
	// Only routing offers an invitation on: the table's firers refuse
	// anyone else before the invitation is looked up (R-X6).
	if err := d.CheckFirers(interaction.RouteMachine, interaction.TriggerOfferOn, "", ""); err != nil {
		return err
	}
	s := d.State()
	var route RouteID
	switch l, r := s.Leg(LegID(c.Invitation)), s.Request(RequestID(c.Invitation)); {
	case l != nil:
		if err := c.endLeg(d, *l); err != nil {
			return err
		}
		route = l.Route
	case r != nil:
		if err := c.endRequest(d, *r); err != nil {
			return err
		}
		route = r.Route
	default:
		return d.Refuse(interaction.ErrNotFound, "", "no invitation "+string(c.Invitation))
	}
	return c.offerOn(d, route)
}

// endLeg ends the consultation offer l for c's reason.
func (c Reroute) endLeg(d *interaction.Decision, l interaction.Leg) error {
	if c.Reason == RerouteDeclined {
		// The agent declined it (written already): only check so.
		return d.CheckAnswered(interaction.InvitationID(l.ID), interaction.TriggerDecline)
	}
	trigger, notice := interaction.TriggerTimeOut, interaction.NoticeNoAnswer
	if c.Reason == RerouteRescinded {
		trigger, notice = interaction.TriggerCancel, interaction.NoticeUnavailable
	}
	if err := d.Leg(l.ID, trigger, interaction.Event{}); err != nil {
		return err
	}
	if err := d.ReleaseTarget(l.Invitee, l.ID); err != nil {
		return err
	}
	d.NoticeOf(interaction.Notice{Code: notice, Parties: []PartyID{l.Invitee}}, interaction.PartyScope(l.Owner))
	return nil
}

// endRequest ends the request offer r for c's reason.
func (c Reroute) endRequest(d *interaction.Decision, r interaction.Request) error {
	switch c.Reason {
	case RerouteTimedOut:
		return dropRequest(d, &r, interaction.TriggerTimeOut, interaction.NoticeNoAnswer)
	case RerouteRescinded:
		if err := rescindRequest(d, r); err != nil {
			return err
		}
		d.NoticeOf(interaction.Notice{Code: interaction.NoticeUnavailable, Parties: []PartyID{r.Invitee}, What: r.Kind}, interaction.PartyScope(r.Owner))
		return nil
	}
	return d.CheckAnswered(interaction.InvitationID(r.ID), interaction.TriggerDecline)
}

// offerOn decides, on the state after the offer ended, whether the
// invitation goes on (see Reroute).
//
// Decides R-X1: an invitation declined, timed out or rescinded is offered to the next agent, or its owner told.
func (c Reroute) offerOn(d *interaction.Decision, route RouteID) error {
	rt := d.State().Route(route)
	if rt == nil {
		if len(c.Next) > 0 {
			return d.Refuse(interaction.ErrBadInput, "R-X1", "the invitation is not routed: it has no next candidate")
		}
		return nil // a named agent has no next candidate; the owner was told why it ended
	}
	if rt.Taken != "" || len(rt.Out) > 0 || !canAsk(d, rt.Owner) {
		return nil // the last offer out offers on; a taken or orphaned invitation goes nowhere
	}
	if c.Exhausted {
		d.NoticeOf(interaction.Notice{Code: interaction.NoticeNotPlaced, Target: rt.Target, What: rt.RequestKind}, interaction.PartyScope(rt.Owner))
		return nil
	}
	if len(c.Next) == 0 {
		return d.Refuse(interaction.ErrConflict, "R-X1", "the last offer of the invitation is over: offer it on, or say that nobody is left")
	}
	if err := d.FireRoute(rt.ID, interaction.TriggerOfferOn, ""); err != nil {
		return err
	}
	for _, o := range c.Next {
		if s := d.State(); s.Leg(LegID(o.ID)) != nil || s.Request(RequestID(o.ID)) != nil {
			return d.Refuse(interaction.ErrConflict, "", "leg ID in use")
		}
		var err error
		if rt.RequestKind == interaction.RequestNoKind {
			err = inviteLeg(d, rt.Owner, o, rt.Target, rt.Medium, rt.ID, c.Timeout)
		} else {
			err = askRequest(d, rt.Owner, o, rt.RequestKind, rt.Target, rt.ID, c.Timeout)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// rescindRequest withdraws a pending request as routing (actor System on
// its events, so that it reads as rescinded, not cancelled by the owner).
func rescindRequest(d *interaction.Decision, r interaction.Request) error {
	return d.CancelRequest(r, interaction.System)
}

// canAsk reports whether owner may still send an invitation, as the leg
// machine's invite would let it before anything is looked up: it owns
// the chat, is in it, and the chat is active (the guards that read the
// chat and the actor only).
func canAsk(d *interaction.Decision, owner PartyID) bool {
	return canAskIn(d.State(), owner)
}

func canAskIn(s *interaction.State, owner PartyID) bool {
	return interaction.LegMachine.HoldsFirst(string(interaction.LegNone), interaction.TriggerInvite, interaction.GuardInput{State: s, Actor: owner})
}

// AcceptOffer: the agent accepts one offer of a routed invitation (R-X1).
// It is Accept for a consultation leg and AcceptRequest for a request:
// decided on the stored state only, the first accept wins and the rival
// offers still pending are rescinded in the same write, so no invitation
// is ever accepted by two agents; the second accept is refused with
// ErrInvalidTransition. Rivals is optional and only checked: each one the
// actor is shown must be another offer of the same routed invitation
// (ErrNotPermitted otherwise); the offers rescinded are the ones the state
// holds. A rival the actor is not shown (another agent's offer, or none)
// is not checked: whether it belongs to the invitation is not for the
// actor to learn by naming it (R-X6).
type AcceptOffer struct {
	Invitation InvitationID
	Rivals     []InvitationID
}

// GoString is the command in Go syntax (%#v) as it read while Invitation
// and Rivals were LegIDs: interaction.Fingerprint hashes it, and a
// fingerprint stored before the rename must still tell a retry of the
// same command from another one reusing its command ID.
func (c AcceptOffer) GoString() string {
	var rivals []LegID
	if c.Rivals != nil {
		rivals = make([]LegID, len(c.Rivals))
		for i, id := range c.Rivals {
			rivals[i] = LegID(id)
		}
	}
	return fmt.Sprintf("consult.AcceptOffer{Invitation:%#v, Rivals:%#v}", LegID(c.Invitation), rivals)
}

func (c AcceptOffer) Decide(d *interaction.Decision) error {
	d.SetOp("accept offer")
	if err := d.CheckID("invitation", string(c.Invitation)); err != nil {
		return err
	}
	for _, id := range c.Rivals {
		if err := d.CheckID("invitation", string(id)); err != nil {
			return err
		}
	}
	if _, err := d.ActingParty(); err != nil {
		return err
	}
	s := d.State()
	l, r := s.Leg(LegID(c.Invitation)), s.Request(RequestID(c.Invitation))
	// The rivals named are checked whatever the route's state, by the
	// guard of the routed invitation machine's accept.
	in := interaction.GuardInput{Rivals: c.Rivals}
	switch {
	case l != nil && s.ShowsLeg(d.Actor(), l.ID):
		in.Leg = l
	case r != nil && s.ShowsRequest(d.Actor(), r.ID):
		in.Request = r
	default:
		// One the actor is not shown is refused as one that does not
		// exist (R-X6, as legOf).
		return d.Refuse(interaction.ErrNotFound, "", "no invitation "+string(c.Invitation))
	}
	if err := d.CheckFirst(interaction.RouteMachine, string(interaction.RouteOut), interaction.TriggerAccept, in); err != nil {
		return err
	}
	if in.Leg != nil {
		return Accept{Leg: LegID(c.Invitation)}.Decide(d)
	}
	return AcceptRequest{Request: RequestID(c.Invitation)}.Decide(d)
}

// batch runs several commands as one write: the offers of one routed
// invitation, made together.
type batch []interaction.Command

// one is the batch's only command when it has one, so that a single offer
// writes exactly what it always did.
func (b batch) one() interaction.Command {
	if len(b) == 1 {
		return b[0]
	}
	return b
}

func (b batch) Decide(d *interaction.Decision) error {
	for _, c := range b {
		if err := c.Decide(d); err != nil {
			return err
		}
	}
	return nil
}

// declined is an agent's decline of a routed offer and, in the same write,
// routing's next step (Reroute, as System): the decline and the offer on
// are one append, so no instance stopping between them leaves the
// invitation without an outcome.
type declined struct {
	answer interaction.Command
	next   Reroute
}

func (c declined) Decide(d *interaction.Decision) error {
	if err := c.answer.Decide(d); err != nil {
		return err
	}
	// Routing offers on in the same write, as the system (only routing
	// offers an invitation on, RouteMachine).
	return decisionhook.AsSystem(d, func() error { return c.next.Decide(d) })
}

// offersAtOnce is how many agents a target is offered to at once.
func (s *Service) offersAtOnce(t interaction.Target) int {
	if f, ok := s.router.(Fanout); ok && t.Kind != interaction.TargetAgent {
		if n := f.OffersAtOnce(t); n > 1 {
			return n
		}
	}
	return 1
}

// pick picks up to n agents for target, leaving out exclude: one at least,
// or the Router's error.
func (s *Service) pick(ctx context.Context, t interaction.Target, m interaction.Medium, exclude []PartyID, n int) ([]Offer, error) {
	var out []Offer
	for len(out) < n {
		agent, err := s.router.Pick(ctx, t, m, exclude)
		if err == nil && slices.Contains(exclude, agent) {
			// A router that ignores exclude would offer the same agents
			// round and round: count it as nobody left.
			s.releaseUnit(agent, m)
			err = &interaction.Error{Kind: interaction.ErrNotFound, Op: "route", Rule: "R-X1", Detail: "router offered " + string(agent) + " again"}
		}
		if err != nil {
			if len(out) > 0 {
				return out, nil
			}
			return nil, err
		}
		out = append(out, Offer{ID: InvitationID(s.chats.IDs().NewID()), Invitee: agent})
		exclude = append(exclude, agent)
	}
	return out, nil
}

func (s *Service) releaseAll(offers []Offer, m interaction.Medium) {
	for _, o := range offers {
		s.releaseUnit(o.Invitee, m)
	}
}

func (s *Service) releaseUnit(agent PartyID, m interaction.Medium) {
	if r, ok := s.router.(Reserver); ok && agent != "" {
		r.Release(agent, m)
	}
}

// invite writes cmd, the first offers of an invitation (a consultation, or
// a direct transfer or conference request), each with its deadline, and
// returns the first invitation written: the first run's, when the
// caller's command ID had been committed meanwhile (the holds on the
// agents picked now are given back).
func (s *Service) invite(ctx context.Context, id interaction.ID, owner PartyID, medium interaction.Medium, offers []Offer, cmd interaction.Command) (InvitationID, error) {
	events, again, err := s.doCommand(ctx, id, owner, interaction.CommandIDFrom(ctx), cmd)
	if err != nil || again {
		s.releaseAll(offers, medium)
	}
	if err != nil {
		return "", err
	}
	return invited(events), nil
}

// Rescind takes back the pending invitation inv (a consultation leg or a
// direct transfer or conference request) from agent, acting as System,
// and offers a routed one to the next candidate (R-X1). Package routing's
// Directory calls it when the agent logs out (routing.Rescinder). An
// invitation that is not agent's is refused with ErrNotFound.
//
// With the caller's command ID in ctx, the rescind of inv runs under an ID
// derived from it and inv (a call such as routing's logout rescinds
// several), and applies once on retry.
func (s *Service) Rescind(ctx context.Context, id interaction.ID, inv InvitationID, agent PartyID) error {
	cid := interaction.CommandIDFrom(ctx)
	if cid != "" {
		cid = interaction.DeriveID(cid, "rescind/"+string(inv))
		if _, ok, err := s.answered(ctx, id, interaction.System, cid, invitationKey{Op: "rescind", Invitation: inv, Agent: agent}); ok || err != nil {
			return err
		}
	}
	return s.reroute(ctx, id, inv, RerouteRescinded, agent, cid)
}

// rescindOf is a Reroute for a rescind: decided only when the invitation
// is agent's.
type rescindOf struct {
	agent PartyID
	Reroute
}

func (c rescindOf) Decide(d *interaction.Decision) error {
	s := d.State()
	l, r := s.Leg(LegID(c.Invitation)), s.Request(RequestID(c.Invitation))
	if (l == nil || l.Invitee != c.agent) && (r == nil || r.Invitee != c.agent) {
		return &interaction.Error{Kind: interaction.ErrNotFound, Op: "rescind", Interaction: s.ID, Party: c.agent, Rule: "R-X1", Detail: "no invitation " + string(c.Invitation) + " for this agent"}
	}
	return c.Reroute.Decide(d)
}

// plan is what the Service means to do after an offer fails: if the state
// it read says the offer is the last one out of a routed invitation, the
// next candidates (or that nobody is left).
type plan struct {
	route     RouteID
	medium    interaction.Medium
	next      []Offer
	exhausted bool
	why       error // why nobody is left, from the Router
}

// rerouteAttempts bounds how often the Service decides the next step of a
// route again after the state moved under it (another instance answered
// or offered on, a candidate joined meanwhile).
const rerouteAttempts = 5

// plan reads the state of inv's invitation and, when inv is its last offer
// out (it is pending, no rival is, none was taken) and the owner can still
// ask, picks the next candidates, leaving out the agents the route tried
// and everyone in the chat. It reads this instance's cache, which may lag
// behind another instance: the command decides again on what the Store
// holds, and refuses with ErrConflict when the plan was wrong, after which
// the cache is fresh and the Service plans again. With agent given (a
// decline, a rescind), only an offer to agent is planned for: the
// command refuses any other (ErrNotFound for one agent is not shown), so
// routing picks nobody for it.
func (s *Service) plan(ctx context.Context, id interaction.ID, inv InvitationID, agent PartyID) (plan, error) {
	var p plan
	var last bool
	var target interaction.Target
	var exclude []PartyID
	err := s.chats.Read(ctx, id, func(st *interaction.State) error {
		rt := st.RouteOf(inv)
		if rt == nil || (agent != "" && !offeredTo(st, inv, agent)) {
			return nil
		}
		p.route, p.medium, target = rt.ID, rt.Medium, rt.Target
		if rt.RequestKind != interaction.RequestNoKind {
			p.medium = interaction.MediumChat
		}
		last = slices.Contains(rt.Out, inv) && len(rt.Out) == 1 && rt.Taken == "" && canAskIn(st, rt.Owner)
		if !last {
			return nil
		}
		for _, q := range st.Parties {
			if q.Membership == interaction.MemberJoined || q.Membership == interaction.MemberInvited {
				exclude = append(exclude, q.ID)
			}
		}
		exclude = append(exclude, rt.Tried...)
		return nil
	})
	if err != nil || !last {
		return p, err
	}
	p.next, p.why = s.pick(ctx, target, p.medium, exclude, s.offersAtOnce(target))
	p.exhausted = len(p.next) == 0
	return p, nil
}

// offeredTo reports whether invitation inv (a leg or a request) is an
// offer to agent.
func offeredTo(st *interaction.State, inv InvitationID, agent PartyID) bool {
	if l := st.Leg(LegID(inv)); l != nil {
		return l.Invitee == agent
	}
	r := st.Request(interaction.RequestID(inv))
	return r != nil && r.Invitee == agent
}

// reroute ends the pending invitation inv after a time-out (run with
// commandID, the deadline's) or a rescind (of agent's invitation) and,
// when it was the last offer of a routed invitation still out, offers it
// on, or tells the owner that nobody is left. An invitation answered
// meanwhile is left alone.
func (s *Service) reroute(ctx context.Context, id interaction.ID, inv InvitationID, reason RerouteReason, agent PartyID, commandID string) error {
	for attempt := 1; ; attempt++ {
		p, err := s.plan(ctx, id, inv, agent)
		if err != nil {
			return err
		}
		var cmd interaction.Command = Reroute{Invitation: inv, Reason: reason, Next: p.next, Exhausted: p.exhausted, Timeout: s.inviteTimeout}
		if agent != "" {
			cmd = interaction.Keyed(rescindOf{agent: agent, Reroute: cmd.(Reroute)}, invitationKey{Op: "rescind", Invitation: inv, Agent: agent})
		}
		events, applied, err := s.doCommand(ctx, id, interaction.System, commandID, cmd)
		if err == nil && !applied {
			s.reported(ctx, id, inv, reason, p, events)
		}
		if applied {
			// Fired before (by another instance, or this one before a
			// restart) with the same candidates: its outcome was told there.
			s.releaseAll(p.next, p.medium)
			return nil
		}
		out, again, err := s.settle(ctx, id, p, events, err, attempt)
		if again {
			continue
		}
		s.tellExhausted(ctx, out)
		return ignoreAnswered(err)
	}
}

// decline runs the agent's decline of inv and, for a routed invitation,
// routing's next step in the same write (R-X1).
func (s *Service) decline(ctx context.Context, id interaction.ID, agent PartyID, inv InvitationID, cmd interaction.Command) error {
	key := invitationKey{Op: "decline", Invitation: inv}
	if _, ok, err := s.answered(ctx, id, agent, interaction.CommandIDFrom(ctx), key); ok || err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		p, err := s.plan(ctx, id, inv, agent)
		if err != nil {
			return err
		}
		// Also when the plan found no route: this instance's cache may not
		// know the offer yet, while the command is decided on what the
		// Store holds.
		c := declined{answer: cmd, next: Reroute{Invitation: inv, Reason: RerouteDeclined, Next: p.next, Exhausted: p.exhausted, Timeout: s.inviteTimeout}}
		events, again, err := s.doCommand(ctx, id, agent, interaction.CommandIDFrom(ctx), interaction.Keyed(c, key))
		if again {
			s.releaseAll(p.next, p.medium) // the first run offered on already
			return nil
		}
		if err == nil {
			s.reported(ctx, id, inv, RerouteDeclined, p, events)
		}
		out, again, err := s.settle(ctx, id, p, events, err, attempt)
		if again {
			continue
		}
		s.tellExhausted(ctx, out)
		return err
	}
}

// settle finishes one attempt at a route's next step: it gives back the
// holds on candidates the write did not invite, says whether to decide
// again (the state moved: ErrConflict), and builds the Exhausted outcome
// when the write told the owner that nobody is left.
func (s *Service) settle(ctx context.Context, id interaction.ID, p plan, events []interaction.Event, err error, attempt int) (*Exhausted, bool, error) {
	if err != nil {
		s.releaseAll(p.next, p.medium)
		if errors.Is(err, interaction.ErrConflict) && attempt < rerouteAttempts {
			return nil, true, nil
		}
		return nil, false, err
	}
	for _, o := range p.next {
		if !invites(events, o.ID) {
			s.releaseUnit(o.Invitee, p.medium) // another offer was still out, or one was taken
		}
	}
	if !p.exhausted || !notPlaced(events) {
		return nil, false, nil
	}
	return s.outcome(ctx, id, p.route, p.why), false, nil
}

// outcome is the Exhausted outcome of route, read from the state.
func (s *Service) outcome(ctx context.Context, id interaction.ID, route RouteID, why error) *Exhausted {
	var e *Exhausted
	_ = s.chats.Read(ctx, id, func(st *interaction.State) error {
		rt := st.Route(route)
		if rt == nil {
			return nil
		}
		e = &Exhausted{Interaction: id, Owner: rt.Owner, Target: rt.Target, Medium: rt.Medium, Request: rt.RequestKind,
			Invitations: rt.Offers, Tried: rt.Tried}
		if rt.RequestKind != interaction.RequestNoKind {
			e.Medium = interaction.MediumChat
		}
		return nil
	})
	if e == nil {
		return nil
	}
	var ie *interaction.Error
	if errors.As(why, &ie) && errors.Is(ie, interaction.ErrNotFound) {
		cp := *ie
		cp.Interaction, cp.Party = id, e.Owner
		e.Err = &cp
	} else {
		detail := "no other agent of " + e.Target.String() + " is available"
		if why != nil {
			detail += ": " + why.Error()
		}
		e.Err = &interaction.Error{Kind: interaction.ErrNotFound, Op: "route", Interaction: id, Party: e.Owner, Rule: "R-X1", Detail: detail}
	}
	return e
}

// expire fires deadline dl (the Scheduler's handler): the invitation times
// out and, if it was the last offer of a routed invitation out, is offered
// on (Reroute, System), with the deadline's command ID, so that the
// deadline applies once however often and wherever it is fired. A deadline
// whose invitation was answered fires nothing.
func (s *Service) expire(ctx context.Context, dl interaction.Deadline) error {
	for attempt := 1; ; attempt++ {
		known, pending, err := s.pending(ctx, dl)
		if errors.Is(err, interaction.ErrNotFound) {
			return nil // no such interaction
		}
		if err != nil {
			return err
		}
		if known && !pending {
			return nil // answered, cancelled or timed out: nothing to fire
		}
		err = s.reroute(ctx, dl.Interaction, dl.Invitation, RerouteTimedOut, "", dl.CommandID())
		if err == nil {
			// Written now, or answered meanwhile (a refusal on the Store's
			// state): see whether it is still pending, which only a deadline
			// not due on this clock leaves so.
			if _, pending, err := s.pending(ctx, dl); err != nil || !pending {
				return err
			}
			if attempt >= rerouteAttempts {
				return &interaction.Error{Kind: interaction.ErrInvalidTransition, Op: "expire", Interaction: dl.Interaction, Rule: "R-X1",
					Detail: "deadline of " + string(dl.Invitation) + " not due on this clock"}
			}
			continue
		}
		if errors.Is(err, interaction.ErrConflict) && attempt < rerouteAttempts {
			// Fired by another instance with other candidates (the command
			// ID is taken), or the state moved: look again.
			continue
		}
		return err
	}
}

// pending reads whether the invitation of dl is known to this instance's
// cache and still pending with that deadline. An invitation the cache does
// not know may be another instance's newer one: the command decides.
func (s *Service) pending(ctx context.Context, dl interaction.Deadline) (known, pending bool, err error) {
	err = s.chats.Read(ctx, dl.Interaction, func(st *interaction.State) error {
		if l := st.Leg(interaction.LegID(dl.Invitation)); l != nil {
			known, pending = true, l.State == interaction.LegInviting && l.Deadline.Equal(dl.Due)
		} else if r := st.Request(interaction.RequestID(dl.Invitation)); r != nil {
			known, pending = true, r.State == interaction.RequestPending && r.Deadline.Equal(dl.Due)
		}
		return nil
	})
	return known, pending, err
}

// tellExhausted hands the outcome, if any, to the Exhausted handler, if
// there is one.
func (s *Service) tellExhausted(ctx context.Context, out *Exhausted) {
	if out != nil && s.exhausted != nil {
		s.exhausted(ctx, *out)
	}
}

func ignoreAnswered(err error) error {
	if errors.Is(err, interaction.ErrInvalidTransition) {
		return nil
	}
	return err
}

// invites reports whether the events invite someone to leg or request id.
func invites(events []interaction.Event, id InvitationID) bool {
	for i := range events {
		ev := &events[i]
		if (ev.Type == interaction.EventLeg || ev.Type == interaction.EventRequest) && ev.Invitation() == id &&
			(ev.From == string(interaction.LegNone) || ev.From == string(interaction.RequestNone)) {
			return true
		}
	}
	return false
}

// notPlaced reports whether the events tell an owner that nobody is left.
func notPlaced(events []interaction.Event) bool {
	for i := range events {
		if ev := &events[i]; ev.Type == interaction.EventMessage && ev.Kind == interaction.KindNotice && string(ev.Trigger) == interaction.NoticeNotPlaced.String() {
			return true
		}
	}
	return false
}

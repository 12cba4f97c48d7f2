package consult

import (
	"context"
	"errors"
	"slices"
	"sync"

	"github.com/chatconsult/chatconsult/interaction"
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
// wins (AcceptOffer), and the invitation goes on only when every offer
// out has failed.
//
// The offers of one batch share their time-out and fail together, on as
// many goroutines. Whether an offer is the last one out is therefore
// decided under its route's turn (a mutex), from the read to the write:
// every failure (time-out, decline, rescind), accept and cancel of a routed
// offer takes it, so the last offer to fail always sees the others ended
// and offers on, or the owner is told. Answering through the Service keeps
// that promise; a decline run directly through interaction.Service.Do
// offers nothing on.
//
// The Service follows each pending invitation (its time-out, and for a
// routed one its route) until an event ends it, whatever command wrote
// that event: its own commands, and, through the Router when it is a
// Forwarder (package routing's Directory) or through Notify, any other,
// such as the owner ending the session (R-C7). An ended invitation's timer
// is stopped; one that fires anyway finds the invitation answered and
// writes nothing.

// Reserver is a Router that counts capacity and holds the agent it picks
// until the invitation is written (package routing's Directory does). The
// Service gives the hold back when the command that would have invited the
// agent is refused, and asks for a hold when a consultation held in IM or
// voice becomes a chat transfer or conference, which needs one more chat
// unit from its target.
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
	Invitations []LegID
	Tried       []PartyID
	// Err says why, as a refused command would: kind ErrNotFound, rule R-X1.
	Err *interaction.Error
}

// WithExhaustedHandler calls f when a routed invitation runs out of
// candidates (after the owner's notice is written). f runs on the
// goroutine that answered or timed out the last invitation.
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
	ID    LegID
	Agent PartyID
}

// RerouteReason says why a routed invitation is offered on.
type RerouteReason uint8

const (
	// RerouteTimedOut: nobody answered in time; the invitation is timed out
	// in the same write.
	RerouteTimedOut RerouteReason = iota + 1
	// RerouteDeclined: the agent declined (already written).
	RerouteDeclined
	// RerouteRescinded: routing takes the invitation back from its agent
	// (it logged out); it is withdrawn in the same write.
	RerouteRescinded
)

// Reroute ends one routed invitation that went unanswered and, in the same
// write, offers the invitation to the next candidates on behalf of the
// owner who asked (R-X1). The actor is System. Each new leg's (or
// request's) first event names the owner as its actor, because the leg is
// the owner's: package interaction takes a leg's owner from that event;
// its Cause is this command.
//
// With no Next it only ends the invitation: other offers of it are still
// out, or it was aimed at a named agent. Exhausted says nobody is left: the
// owner gets a notice in its own view. When the owner can no longer ask (it
// left, the chat ended), the invitation just ends and nothing is offered.
type Reroute struct {
	Invitation LegID // the consultation leg or direct request that failed
	Reason     RerouteReason
	Next       []Offer
	Exhausted  bool
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
		if err := d.CheckPartyID(o.Agent); err != nil {
			return err
		}
	}
	if d.Actor != interaction.System {
		return d.Refuse(interaction.ErrNotPermitted, "R-X1", "only routing (System) offers an invitation on")
	}
	s := d.State()
	if l := s.Leg(c.Invitation); l != nil {
		return c.leg(d, *l)
	}
	if r := s.Request(c.Invitation); r != nil {
		return c.request(d, *r)
	}
	return d.Refuse(interaction.ErrNotFound, "", "no invitation "+string(c.Invitation))
}

func (c Reroute) leg(d *interaction.Decision, l interaction.Leg) error {
	switch c.Reason {
	case RerouteTimedOut, RerouteRescinded:
		trigger, notice := "time_out", interaction.NoticeNoAnswer
		if c.Reason == RerouteRescinded {
			trigger, notice = "cancel", interaction.NoticeUnavailable
		}
		if err := d.Leg(l.ID, trigger, interaction.Event{}); err != nil {
			return err
		}
		if err := d.ReleaseTarget(l.Agent, l.ID); err != nil {
			return err
		}
		d.NoticeOf(interaction.Notice{Code: notice, Parties: []PartyID{l.Agent}}, interaction.PartyScope(l.Owner))
	case RerouteDeclined:
		if l.State != interaction.LegDeclined {
			return d.Refuse(interaction.ErrInvalidTransition, "R-X1", "consultation is "+l.State+", not declined")
		}
	default:
		return d.Refuse(interaction.ErrBadInput, "R-X1", "unknown reason")
	}
	if c.Exhausted {
		exhaustedNotice(d, l.Owner, l.Target, interaction.RequestNoKind)
		return nil
	}
	if len(c.Next) == 0 || !canAsk(d, l.Owner) {
		return nil
	}
	for _, o := range c.Next {
		if err := checkNext(d, l.Owner, o); err != nil {
			return err
		}
		if err := d.Leg(o.ID, "invite", interaction.Event{Actor: l.Owner, Party: o.Agent, Target: l.Target, Medium: l.Medium}); err != nil {
			return err
		}
		if err := d.Membership(o.Agent, "invite", interaction.RoleConsultant, interaction.LegScope(o.ID)); err != nil {
			return err
		}
	}
	return nil
}

func (c Reroute) request(d *interaction.Decision, r interaction.Request) error {
	if r.Via != "" && len(c.Next) > 0 {
		return d.Refuse(interaction.ErrBadInput, "R-X1", "a request made from a consultation goes to its target only")
	}
	switch c.Reason {
	case RerouteTimedOut:
		if err := dropRequest(d, &r, "time_out", interaction.NoticeNoAnswer); err != nil {
			return err
		}
	case RerouteRescinded:
		if err := rescindRequest(d, r); err != nil {
			return err
		}
		d.NoticeOf(interaction.Notice{Code: interaction.NoticeUnavailable, Parties: []PartyID{r.Agent}, What: r.Kind}, interaction.PartyScope(r.From))
	case RerouteDeclined:
		if r.State != interaction.RequestDeclined {
			return d.Refuse(interaction.ErrInvalidTransition, "R-X1", "request is "+r.State+", not declined")
		}
	default:
		return d.Refuse(interaction.ErrBadInput, "R-X1", "unknown reason")
	}
	if c.Exhausted {
		exhaustedNotice(d, r.From, r.Target, r.Kind)
		return nil
	}
	if len(c.Next) == 0 || !canAsk(d, r.From) {
		return nil
	}
	role := interaction.RoleMember
	if r.Kind == interaction.RequestTransfer {
		role = interaction.RoleOwner
	}
	for _, o := range c.Next {
		if err := checkNext(d, r.From, o); err != nil {
			return err
		}
		if err := d.Request(o.ID, "request", interaction.Event{Actor: r.From, Party: o.Agent, Target: r.Target, Request: r.Kind}, interaction.LegScope(o.ID)); err != nil {
			return err
		}
		if err := d.Membership(o.Agent, "invite", role, interaction.LegScope(o.ID)); err != nil {
			return err
		}
	}
	return nil
}

// rescindRequest withdraws a pending request as routing (actor System on
// its events, so that it reads as rescinded, not cancelled by the owner).
func rescindRequest(d *interaction.Decision, r interaction.Request) error {
	if r.State != interaction.RequestPending {
		return d.Refuse(interaction.ErrInvalidTransition, "R-X1", "request is "+r.State)
	}
	return d.CancelRequest(r, interaction.System)
}

// canAsk reports whether owner may still send an invitation: it owns the
// chat, is in it, and the chat is active.
func canAsk(d *interaction.Decision, owner PartyID) bool {
	s := d.State()
	p := s.Party(owner)
	return p != nil && p.Role == interaction.RoleOwner && p.Present() && s.Status == interaction.StatusActive
}

func checkNext(d *interaction.Decision, owner PartyID, o Offer) error {
	s := d.State()
	if s.Leg(o.ID) != nil || s.Request(o.ID) != nil {
		return d.Refuse(interaction.ErrConflict, "", "leg ID in use")
	}
	if o.Agent == owner || o.Agent == s.Contact {
		return d.Refuse(interaction.ErrNotPermitted, "R-X1", "the next candidate must be another internal agent")
	}
	if q := s.Party(o.Agent); q != nil && (q.Membership == interaction.MemberJoined || q.Membership == interaction.MemberInvited) {
		return d.Refuse(interaction.ErrConflict, "R-X1", "next candidate is already in this interaction")
	}
	return nil
}

func exhaustedNotice(d *interaction.Decision, owner PartyID, t interaction.Target, what interaction.RequestKind) {
	if t.Kind == interaction.TargetAgent {
		return // a named agent has no next candidate; the owner was told why it ended
	}
	d.NoticeOf(interaction.Notice{Code: interaction.NoticeNotPlaced, Target: t, What: what}, interaction.PartyScope(owner))
}

// AcceptOffer: the agent accepts one of several offers of the same routed
// invitation (R-X1): the first to accept wins, and the rival offers still
// pending are rescinded in the same write, so no invitation is ever
// accepted by two agents. consult.Service.Accept and AcceptRequest send it
// when an invitation is out to several agents at once. Rivals must be
// offers of the same invitation: same owner, target, and medium or kind.
type AcceptOffer struct {
	Invitation LegID
	Rivals     []LegID
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
	l, r := s.Leg(c.Invitation), s.Request(c.Invitation)
	if l == nil && r == nil {
		return d.Refuse(interaction.ErrNotFound, "", "no invitation "+string(c.Invitation))
	}
	for _, id := range c.Rivals {
		if id == c.Invitation {
			continue
		}
		rl, rr := d.State().Leg(id), d.State().Request(id)
		switch {
		case l != nil && rl != nil && rl.Owner == l.Owner && rl.Target == l.Target && rl.Medium == l.Medium && l.Target.Kind != interaction.TargetAgent:
			if rl.State != interaction.LegInviting {
				continue
			}
			if err := d.Leg(id, "cancel", interaction.Event{Actor: interaction.System}); err != nil {
				return err
			}
			if err := d.ReleaseTarget(rl.Agent, id); err != nil {
				return err
			}
		case r != nil && rr != nil && rr.From == r.From && rr.Target == r.Target && rr.Kind == r.Kind && rr.Via == "" && r.Target.Kind != interaction.TargetAgent:
			if rr.State != interaction.RequestPending {
				continue
			}
			if err := rescindRequest(d, *rr); err != nil {
				return err
			}
		default:
			return d.Refuse(interaction.ErrNotPermitted, "R-X1", string(id)+" is not another offer of the same invitation")
		}
	}
	if l != nil {
		return Accept{Leg: c.Invitation}.Decide(d)
	}
	return AcceptRequest{Request: c.Invitation}.Decide(d)
}

// batch runs several commands as one write: the offers of one routed
// invitation, made or cancelled together.
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

// ifPending decides its command only while invitation inv is pending: the
// owner's cancel takes back the rival offers that are still out, and an
// offer that failed meanwhile does not make the whole cancel fail.
type ifPending struct {
	inv LegID
	cmd interaction.Command
}

func (c ifPending) Decide(d *interaction.Decision) error {
	if !pendingIn(d.State(), c.inv) {
		return nil
	}
	return c.cmd.Decide(d)
}

// route is a routed invitation the Service follows so that it can offer it
// on: the target asked for, the offers out now, and everyone tried.
//
// Every decision about a route runs under its turn, from the read that
// decides to the write (R-X1): offering on after a time-out, a decline or a
// rescind, and the accept or cancel that must know the rival offers. The
// offers of one batch share their time-out, so their timers fire together:
// each must see what the other wrote, or both end themselves believing the
// other still out and the invitation dies without an outcome. The turn is
// never taken while an interaction is held (a Notifier does not take it).
type route struct {
	turn sync.Mutex

	interaction interaction.ID
	owner       PartyID
	target      interaction.Target
	medium      interaction.Medium
	request     interaction.RequestKind

	// Guarded by routeBook.mu; changed only under turn as well.
	batch []LegID // the offers made together last
	legs  []LegID // every offer, in order
	tried []PartyID
}

type routeKey struct {
	interaction interaction.ID
	leg         LegID
}

// routeBook maps each offer out now to its route. An offer enters it just
// before the write that makes it (an answer racing the write's return must
// find the route) and leaves it as soon as an event ends it, whatever
// command wrote that event (see Service.ended). So the book holds exactly
// the routed offers still out, and a route that ended in any way is gone.
type routeBook struct {
	mu sync.Mutex
	m  map[routeKey]*route
}

func (b *routeBook) get(id interaction.ID, leg LegID) *route {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.m[routeKey{id, leg}]
}

// expect maps offers to rt before the write that makes them.
func (b *routeBook) expect(rt *route, offers []Offer) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m == nil {
		b.m = map[routeKey]*route{}
	}
	for _, o := range offers {
		b.m[routeKey{rt.interaction, o.ID}] = rt
	}
}

// unexpect forgets offers that were not written.
func (b *routeBook) unexpect(rt *route, offers []Offer) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, o := range offers {
		if k := (routeKey{rt.interaction, o.ID}); b.m[k] == rt {
			delete(b.m, k)
		}
	}
}

// advance makes the written offers rt's current batch. The offers of the
// batch before have all ended; none is expected back.
func (b *routeBook) advance(rt *route, offers []Offer) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, leg := range rt.batch {
		if k := (routeKey{rt.interaction, leg}); b.m[k] == rt {
			delete(b.m, k)
		}
	}
	rt.batch = rt.batch[:0:0]
	for _, o := range offers {
		rt.batch = append(rt.batch, o.ID)
		rt.legs = append(rt.legs, o.ID)
		rt.tried = append(rt.tried, o.Agent)
	}
}

// drop forgets the route with all its offers: it is over.
func (b *routeBook) drop(rt *route) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, leg := range rt.batch {
		if k := (routeKey{rt.interaction, leg}); b.m[k] == rt {
			delete(b.m, k)
		}
	}
}

// forget forgets one offer; its rivals keep the route.
func (b *routeBook) forget(id interaction.ID, leg LegID) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.m, routeKey{id, leg})
}

// snapshot copies rt's offers and the agents tried.
func (b *routeBook) snapshot(rt *route) (batch, legs []LegID, tried []PartyID) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(rt.batch), slices.Clone(rt.legs), slices.Clone(rt.tried)
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
		out = append(out, Offer{ID: LegID(s.chats.IDs().NewID()), Agent: agent})
		exclude = append(exclude, agent)
	}
	return out, nil
}

func (s *Service) releaseAll(offers []Offer, m interaction.Medium) {
	for _, o := range offers {
		s.releaseUnit(o.Agent, m)
	}
}

func (s *Service) releaseUnit(agent PartyID, m interaction.Medium) {
	if r, ok := s.router.(Reserver); ok && agent != "" {
		r.Release(agent, m)
	}
}

// invite writes cmd, the first offers of an invitation (a consultation, or
// a direct transfer or conference request), follows it when it is routed
// (not aimed at a named agent), and arms the time-out of each offer.
func (s *Service) invite(ctx context.Context, id interaction.ID, owner PartyID, target interaction.Target, medium interaction.Medium, kind interaction.RequestKind, offers []Offer, cmd interaction.Command) error {
	var rt *route
	if target.Kind != interaction.TargetAgent {
		rt = &route{interaction: id, owner: owner, target: target, medium: medium, request: kind}
		rt.turn.Lock()
		defer rt.turn.Unlock()
		s.routes.expect(rt, offers)
	}
	if _, err := s.do(ctx, id, owner, cmd); err != nil {
		if rt != nil {
			s.routes.unexpect(rt, offers)
		}
		s.releaseAll(offers, medium)
		return err
	}
	if rt != nil {
		s.routes.advance(rt, offers)
	}
	s.armOffers(id, kind, offers)
	return nil
}

// armOffers arms the time-out of each offer: a leg's, or a request's.
func (s *Service) armOffers(id interaction.ID, kind interaction.RequestKind, offers []Offer) {
	for _, o := range offers {
		var timeOut interaction.Command = TimeOut{Leg: o.ID}
		if kind != interaction.RequestNoKind {
			timeOut = TimeOutRequest{Request: o.ID}
		}
		s.armTimeout(id, o.ID, timeOut)
	}
}

// rivals lists the other offers of inv's batch that are still out. Call it
// under rt's turn. An offer of an earlier batch has no rivals: it has
// ended, and so have they.
func (s *Service) rivals(ctx context.Context, rt *route, inv LegID) []LegID {
	batch, _, _ := s.routes.snapshot(rt)
	if !slices.Contains(batch, inv) {
		return nil
	}
	var out []LegID
	_ = s.chats.Read(ctx, rt.interaction, func(st *interaction.State) error {
		for _, leg := range batch {
			if leg != inv && pendingIn(st, leg) {
				out = append(out, leg)
			}
		}
		return nil
	})
	return out
}

// acceptedIn reports whether the offer leg was accepted: the invitation
// is taken, whatever became of it since.
func acceptedIn(st *interaction.State, leg LegID) bool {
	if l := st.Leg(leg); l != nil {
		switch l.State {
		case interaction.LegActive, interaction.LegEnded, interaction.LegTransferred, interaction.LegConferenced:
			return true
		}
		return false
	}
	r := st.Request(leg)
	return r != nil && r.State == interaction.RequestAccepted
}

func pendingIn(st *interaction.State, leg LegID) bool {
	if l := st.Leg(leg); l != nil {
		return l.State == interaction.LegInviting
	}
	if r := st.Request(leg); r != nil {
		return r.State == interaction.RequestPending
	}
	return false
}

// Rescind takes back the pending invitation inv (a consultation leg or a
// direct transfer or conference request) from agent, acting as System,
// and offers a routed one to the next candidate (R-X1). Package routing's
// Directory calls it when the agent logs out (routing.Rescinder).
func (s *Service) Rescind(ctx context.Context, id interaction.ID, inv LegID, agent PartyID) error {
	var found bool
	err := s.chats.Read(ctx, id, func(st *interaction.State) error {
		if l := st.Leg(inv); l != nil && l.Agent == agent {
			found = true
		}
		if r := st.Request(inv); r != nil && r.Agent == agent {
			found = true
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !found {
		return &interaction.Error{Kind: interaction.ErrNotFound, Op: "rescind", Interaction: id, Party: agent, Rule: "R-X1", Detail: "no invitation " + string(inv) + " for this agent"}
	}
	return s.reroute(ctx, id, inv, RerouteRescinded)
}

// reroute ends the pending invitation inv after a time-out or a rescind
// and, when it was the last offer of a routed invitation still out, offers
// it on, or tells the owner that nobody is left.
func (s *Service) reroute(ctx context.Context, id interaction.ID, inv LegID, reason RerouteReason) error {
	rt := s.routes.get(id, inv)
	if rt == nil {
		// Not routed, or no longer followed: end just this one (refused,
		// and ignored, when it was answered meanwhile).
		_, err := s.do(ctx, id, interaction.System, Reroute{Invitation: inv, Reason: reason})
		return ignoreAnswered(err)
	}
	rt.turn.Lock()
	out, err := s.offerOn(ctx, rt, inv, reason)
	rt.turn.Unlock()
	s.tellExhausted(ctx, out)
	return err
}

// offerOn ends invitation inv of rt after reason (a decline is written
// already) and, when no other offer of its batch is still out, offers it
// to the next candidates, or reports that nobody is left. The caller holds
// rt's turn, so that the read deciding "last offer out?" and the write
// are one step for this route: of two offers failing together, the second
// sees the first ended and offers on.
func (s *Service) offerOn(ctx context.Context, rt *route, inv LegID, reason RerouteReason) (*Exhausted, error) {
	id := rt.interaction
	batch, _, _ := s.routes.snapshot(rt)
	failing, others, won := false, false, false
	_ = s.chats.Read(ctx, id, func(st *interaction.State) error {
		failing = failed(st, inv, reason)
		for _, leg := range batch {
			others = others || (leg != inv && pendingIn(st, leg))
			won = won || acceptedIn(st, leg)
		}
		return nil
	})
	if !failing {
		s.routes.forget(id, inv) // answered meanwhile
		return nil, nil
	}
	if others || won || !slices.Contains(batch, inv) {
		// Other offers of the batch are still out: the last of them to fail
		// offers on. (Or another offer won, or inv belongs to an earlier
		// batch, which was offered on already.) inv stays in the book until
		// its end is written, so that its agent's accept, which would race
		// that write, waits for this turn and finds the rival offers.
		if reason == RerouteDeclined {
			return nil, nil // the decline is written
		}
		_, err := s.do(ctx, id, interaction.System, Reroute{Invitation: inv, Reason: reason})
		if errors.Is(err, interaction.ErrInvalidTransition) {
			s.routes.forget(id, inv) // ended meanwhile, by a command not of this route
			return nil, nil
		}
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		exclude, err := s.exclude(ctx, id)
		if err != nil {
			return nil, err
		}
		_, _, tried := s.routes.snapshot(rt)
		offers, why := s.pick(ctx, rt.target, rt.medium, append(exclude, tried...), s.offersAtOnce(rt.target))
		s.routes.expect(rt, offers)
		events, err := s.do(ctx, id, interaction.System, Reroute{Invitation: inv, Reason: reason, Next: offers, Exhausted: len(offers) == 0})
		if err != nil {
			s.routes.unexpect(rt, offers)
			s.releaseAll(offers, rt.medium)
			if errors.Is(err, interaction.ErrConflict) && len(offers) > 0 && attempt < 3 {
				continue // a candidate joined meanwhile: pick again
			}
			if errors.Is(err, interaction.ErrInvalidTransition) {
				s.routes.drop(rt) // ended meanwhile by a command not of this route (the session ended)
				return nil, nil
			}
			return nil, err
		}
		if len(offers) > 0 && invited(events, offers[0].ID) {
			s.routes.advance(rt, offers)
			s.armOffers(id, rt.request, offers)
			return nil, nil
		}
		s.routes.unexpect(rt, offers)
		s.releaseAll(offers, rt.medium) // the owner could no longer ask: nobody was invited
		s.routes.drop(rt)
		if len(offers) == 0 {
			e := s.routes.exhausted(rt, why)
			return &e, nil
		}
		return nil, nil
	}
}

// tellExhausted hands the outcome, if any, to the Exhausted handler, if
// there is one. It runs once the route's turn is given back, so that the
// handler may invite again on the same chat.
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

// failed reports whether invitation inv is in the state reason expects:
// still pending for a time-out or a rescind, declined for a decline.
// Anything else means it was answered meanwhile.
func failed(st *interaction.State, inv LegID, reason RerouteReason) bool {
	if l := st.Leg(inv); l != nil {
		if reason == RerouteDeclined {
			return l.State == interaction.LegDeclined
		}
		return l.State == interaction.LegInviting
	}
	if r := st.Request(inv); r != nil {
		if reason == RerouteDeclined {
			return r.State == interaction.RequestDeclined
		}
		return r.State == interaction.RequestPending
	}
	return false
}

// exhausted is the outcome of rt, which found nobody.
func (b *routeBook) exhausted(rt *route, why error) Exhausted {
	_, legs, tried := b.snapshot(rt)
	e := Exhausted{Interaction: rt.interaction, Owner: rt.owner, Target: rt.target, Medium: rt.medium, Request: rt.request,
		Invitations: legs, Tried: tried}
	var ie *interaction.Error
	if errors.As(why, &ie) && errors.Is(ie, interaction.ErrNotFound) {
		cp := *ie
		cp.Interaction, cp.Party = rt.interaction, rt.owner
		e.Err = &cp
	} else {
		detail := "no other agent of " + rt.target.String() + " is available"
		if why != nil {
			detail += ": " + why.Error()
		}
		e.Err = &interaction.Error{Kind: interaction.ErrNotFound, Op: "route", Interaction: rt.interaction, Party: rt.owner, Rule: "R-X1", Detail: detail}
	}
	return e
}

// invited reports whether the events invite someone to leg or request id.
func invited(events []interaction.Event, id LegID) bool {
	for i := range events {
		ev := &events[i]
		if (ev.Type == interaction.EventLeg || ev.Type == interaction.EventRequest) && ev.Leg == id &&
			(ev.From == interaction.LegNone || ev.From == interaction.RequestNone) {
			return true
		}
	}
	return false
}

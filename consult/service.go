package consult

import (
	"context"
	"sync"
	"time"

	"github.com/chatconsult/chatconsult/interaction"
)

// Service runs consultations, transfers and conferences on the chats of an
// interaction.Service: same Store, same Notifier, same Clock, one event
// stream per interaction (R-H1).
type Service struct {
	chats         *interaction.Service
	router        Router
	inviteTimeout time.Duration
	exhausted     func(context.Context, Exhausted)
	timers        timerBook
}

// Option configures a Service.
type Option func(*Service)

// WithRouter sets how targets resolve to agents (default DirectRouter).
func WithRouter(r Router) Option { return func(s *Service) { s.router = r } }

// WithInviteTimeout sets how long an invitation (consultation, transfer or
// conference request) waits for its answer before it times out (default
// 30 s; zero: never).
func WithInviteTimeout(d time.Duration) Option { return func(s *Service) { s.inviteTimeout = d } }

// New returns a Service on top of chats.
func New(chats *interaction.Service, opts ...Option) *Service {
	s := &Service{chats: chats, router: DirectRouter{}, inviteTimeout: 30 * time.Second}
	for _, o := range opts {
		o(s)
	}
	if f, ok := s.router.(Forwarder); ok {
		f.ForwardTo(s)
	}
	return s
}

// Forwarder is a Router that hears the events committed on the chats it
// routes and hands them on: package routing's Directory, which sits in
// their Notifier chain. New registers the Service with it, so that an
// invitation ended by any command, also one that does not go through the
// Service (the owner ending the session, R-C7), stops its time-out and
// leaves the Service's books at once.
type Forwarder interface {
	ForwardTo(n interaction.Notifier)
}

// Notify implements interaction.Notifier: it stops the time-out of every
// invitation the events end and forgets it. New wires it through a
// Forwarder; with another Router, put the Service in the chats' Notifier
// chain to get the same. Without it, an invitation ended by a command that
// does not go through the Service is forgotten when its time-out fires,
// harmlessly (never, with no time-out).
func (s *Service) Notify(_ context.Context, st *interaction.State, events []interaction.Event) {
	if st != nil {
		s.ended(st.ID, events)
	}
}

// do runs cmd and forgets the invitations its events end.
func (s *Service) do(ctx context.Context, id interaction.ID, actor PartyID, cmd interaction.Command) ([]interaction.Event, error) {
	events, err := s.chats.Execute(ctx, id, actor, "", cmd)
	if err == nil {
		s.ended(id, events)
	}
	return events, err
}

// ended stops the time-out of every invitation (consultation leg or
// request) the events end, whoever ended it: an answered, cancelled or
// timed-out invitation needs none. It may run inside a Notifier.
func (s *Service) ended(id interaction.ID, events []interaction.Event) {
	for i := range events {
		ev := &events[i]
		if (ev.Type == interaction.EventLeg && ev.From == interaction.LegInviting) ||
			(ev.Type == interaction.EventRequest && ev.From == interaction.RequestPending) {
			s.timers.stop(timerKey{id, ev.Leg})
		}
	}
}

type timerKey struct {
	interaction interaction.ID
	leg         LegID
}

// timerBook holds the armed time-out of each pending invitation, so that
// an invitation answered, cancelled or ended stops its timer instead of
// running a command at its time-out. A timer that fires all the same (it
// was already running, or the ending was not heard of) stays harmless: the
// invitation is no longer pending, and its time-out is refused.
type timerBook struct {
	mu sync.Mutex
	m  map[timerKey]*armed
}

type armed struct{ timer interaction.Timer }

// arm schedules f after d as k's time-out. The book's lock is held while
// the clock arms the timer, so that a timer firing at once finds itself.
func (b *timerBook) arm(c interaction.Clock, d time.Duration, k timerKey, f func()) {
	a := new(armed)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m == nil {
		b.m = map[timerKey]*armed{}
	}
	if old := b.m[k]; old != nil {
		old.timer.Stop()
	}
	a.timer = c.AfterFunc(d, func() {
		b.mu.Lock()
		mine := b.m[k] == a
		if mine {
			delete(b.m, k)
		}
		b.mu.Unlock()
		if mine {
			f()
		}
	})
	b.m[k] = a
}

// stop stops k's time-out, if one is armed.
func (b *timerBook) stop(k timerKey) {
	b.mu.Lock()
	a := b.m[k]
	delete(b.m, k)
	b.mu.Unlock()
	if a != nil {
		a.timer.Stop()
	}
}

// Chats returns the underlying interaction.Service.
func (s *Service) Chats() *interaction.Service { return s.chats }

// Router returns the Service's router.
func (s *Service) Router() Router { return s.router }

// exclude lists the agents a new invitation may not go to: everyone in the
// interaction now, or invited.
func (s *Service) exclude(ctx context.Context, id interaction.ID) ([]PartyID, error) {
	var out []PartyID
	err := s.chats.Read(ctx, id, func(st *interaction.State) error {
		for _, p := range st.Parties {
			if p.Membership == interaction.MemberJoined || p.Membership == interaction.MemberInvited {
				out = append(out, p.ID)
			}
		}
		return nil
	})
	return out, err
}

// Start invites target to a consultation about interaction id, on behalf
// of owner (R-C1–R-C3, R-C10). It returns the new leg. A group, skill or
// queue resolves through the Router to one available agent (R-C2); if that
// agent declines, does not answer or is taken back, the invitation goes to
// the next one (R-X1, see Reroute). No agent available now is an error
// wrapping interaction.ErrNotFound. A Router that offers the target to
// several agents at once (Fanout) gets one leg per agent, all in one
// write, sharing one Route; Start returns the first, and the first to
// accept wins.
func (s *Service) Start(ctx context.Context, id interaction.ID, owner PartyID, target interaction.Target, medium interaction.Medium) (LegID, error) {
	if err := interaction.CheckTarget(target); err != nil {
		return "", err // before routing: a bad target is bad input, not "nobody available"
	}
	exclude, err := s.exclude(ctx, id)
	if err != nil {
		return "", err
	}
	offers, err := s.pick(ctx, target, medium, exclude, s.offersAtOnce(target))
	if err != nil {
		return "", err
	}
	route := s.newRoute(target)
	var cmd batch
	for _, o := range offers {
		cmd = append(cmd, Start{Leg: o.ID, Target: target, Agent: o.Agent, Medium: medium, Route: route})
	}
	if err := s.invite(ctx, id, owner, medium, offers, cmd.one()); err != nil {
		return "", err
	}
	return offers[0].ID, nil
}

// newRoute names the routed invitation of a new invitation to target: a
// fresh ID, which tells the agents offered it nothing about each other;
// none for a named agent.
func (s *Service) newRoute(target interaction.Target) LegID {
	if target.Kind == interaction.TargetAgent {
		return ""
	}
	return LegID(s.chats.IDs().NewID())
}

// armTimeout schedules the time-out of invitation inv: a routed one is
// offered on, any other ends (Reroute). The timer stops when the
// invitation ends (see ended).
func (s *Service) armTimeout(id interaction.ID, inv LegID) {
	if s.inviteTimeout <= 0 {
		return
	}
	s.timers.arm(s.chats.Clock(), s.inviteTimeout, timerKey{id, inv}, func() {
		// An invitation answered meanwhile makes this an invalid
		// transition, so nothing is written. If the Store fails, the
		// invitation stays pending and can still be answered or cancelled.
		_ = s.reroute(context.Background(), id, inv, RerouteTimedOut, "")
	})
}

// Accept: agent accepts consultation leg. When the invitation is out to
// several agents at once, the rival offers are rescinded in the same write:
// the first to accept wins, and a later accept is refused with
// ErrInvalidTransition, on this or any other Service on the same Store.
func (s *Service) Accept(ctx context.Context, id interaction.ID, agent PartyID, leg LegID) error {
	_, err := s.do(ctx, id, agent, Accept{Leg: leg})
	return err
}

// Decline: agent declines consultation leg. A routed consultation (group,
// skill, queue) then goes to the next available agent (R-X1); one aimed
// at a named agent ends, and the owner is told (R-C3).
func (s *Service) Decline(ctx context.Context, id interaction.ID, agent PartyID, leg LegID) error {
	return s.decline(ctx, id, agent, leg, Decline{Leg: leg})
}

// Cancel: owner cancels a pending invitation (R-X2), with its rival
// offers if it is out to several agents.
func (s *Service) Cancel(ctx context.Context, id interaction.ID, owner PartyID, leg LegID) error {
	_, err := s.do(ctx, id, owner, Cancel{Leg: leg})
	return err
}

// End: the owner or the target ends an active consultation (R-C4).
func (s *Service) End(ctx context.Context, id interaction.ID, actor PartyID, leg LegID) error {
	_, err := s.do(ctx, id, actor, EndLeg{Leg: leg})
	return err
}

// Say writes a private consultation message (R-C5).
func (s *Service) Say(ctx context.Context, id interaction.ID, actor PartyID, leg LegID, text string) error {
	_, err := s.do(ctx, id, actor, Say{Leg: leg, Text: text})
	return err
}

// Transfer hands the chat to the target of an active consultation (R-T1).
func (s *Service) Transfer(ctx context.Context, id interaction.ID, owner PartyID, leg LegID) error {
	held, err := s.holdChatUnit(ctx, id, leg)
	if err != nil {
		return err
	}
	if _, err = s.do(ctx, id, owner, Transfer{Leg: leg}); err != nil {
		s.releaseUnit(held, interaction.MediumChat)
	}
	return err
}

// Conference asks the target of an active consultation to join the chat
// (R-F1); it returns the request, which the target accepts or declines.
func (s *Service) Conference(ctx context.Context, id interaction.ID, owner PartyID, leg LegID) (LegID, error) {
	held, err := s.holdChatUnit(ctx, id, leg)
	if err != nil {
		return "", err
	}
	req := LegID(s.chats.IDs().NewID())
	if _, err := s.do(ctx, id, owner, Conference{Leg: leg, Request: req}); err != nil {
		s.releaseUnit(held, interaction.MediumChat)
		return "", err
	}
	s.armOffers(id, []Offer{{ID: req}})
	return req, nil
}

// holdChatUnit asks a Reserver router for the chat unit that the target
// of an IM or voice consultation needs to take the chat over or join it;
// it returns the agent held, if any. A chat consultation's unit carries
// over, so it needs none; nor does a consultation with a conference request
// pending, which reserved that unit already.
func (s *Service) holdChatUnit(ctx context.Context, id interaction.ID, leg LegID) (PartyID, error) {
	r, ok := s.router.(Reserver)
	if !ok {
		return "", nil
	}
	var agent PartyID
	err := s.chats.Read(ctx, id, func(st *interaction.State) error {
		if l := st.Leg(leg); l != nil && l.State == interaction.LegActive && l.Medium != interaction.MediumChat {
			agent = l.Agent
		}
		for _, r := range st.Requests {
			if r.Via == leg && r.State == interaction.RequestPending {
				agent = "" // a pending conference request holds the unit already
			}
		}
		return nil
	})
	if err != nil || agent == "" {
		return "", err
	}
	if err := r.Hold(ctx, agent, interaction.MediumChat); err != nil {
		return "", err
	}
	return agent, nil
}

// TransferTo asks target to take the chat over without a consultation
// first (R-X4). A group, skill or queue goes through routing and is offered
// on when declined or not answered, as for Start.
func (s *Service) TransferTo(ctx context.Context, id interaction.ID, owner PartyID, target interaction.Target) (LegID, error) {
	return s.direct(ctx, id, owner, interaction.RequestTransfer, target)
}

// ConferenceWith asks target to join the chat without a consultation
// first (R-X4), through routing as TransferTo.
func (s *Service) ConferenceWith(ctx context.Context, id interaction.ID, owner PartyID, target interaction.Target) (LegID, error) {
	return s.direct(ctx, id, owner, interaction.RequestConference, target)
}

func (s *Service) direct(ctx context.Context, id interaction.ID, owner PartyID, kind interaction.RequestKind, target interaction.Target) (LegID, error) {
	if err := interaction.CheckTarget(target); err != nil {
		return "", err
	}
	exclude, err := s.exclude(ctx, id)
	if err != nil {
		return "", err
	}
	offers, err := s.pick(ctx, target, interaction.MediumChat, exclude, s.offersAtOnce(target))
	if err != nil {
		return "", err
	}
	route := s.newRoute(target)
	var cmd batch
	for _, o := range offers {
		cmd = append(cmd, Direct{Request: o.ID, Kind: kind, Target: target, Agent: o.Agent, Route: route})
	}
	if err := s.invite(ctx, id, owner, interaction.MediumChat, offers, cmd.one()); err != nil {
		return "", err
	}
	return offers[0].ID, nil
}

// AcceptRequest: the asked agent accepts a transfer or conference request;
// the first of several offers to accept wins, as for Accept.
func (s *Service) AcceptRequest(ctx context.Context, id interaction.ID, agent PartyID, req LegID) error {
	_, err := s.do(ctx, id, agent, AcceptRequest{Request: req})
	return err
}

// DeclineRequest: the asked agent declines (R-F4). A direct request to a
// group, skill or queue then goes to the next available agent (R-X1).
func (s *Service) DeclineRequest(ctx context.Context, id interaction.ID, agent PartyID, req LegID) error {
	return s.decline(ctx, id, agent, req, DeclineRequest{Request: req})
}

// CancelRequest: the owner takes a pending request back, with its rival
// offers.
func (s *Service) CancelRequest(ctx context.Context, id interaction.ID, owner PartyID, req LegID) error {
	_, err := s.do(ctx, id, owner, CancelRequest{Request: req})
	return err
}

// Remove takes a member out of the conference (R-F5).
func (s *Service) Remove(ctx context.Context, id interaction.ID, owner, member PartyID) error {
	_, err := s.do(ctx, id, owner, Remove{Member: member})
	return err
}

// ActiveConsultationsFor lists the active consultations viewer is one of
// the two agents of (R-X3: another agent's legs are private to it). A party
// that was never in the interaction is refused (R-X6).
func (s *Service) ActiveConsultationsFor(ctx context.Context, id interaction.ID, viewer PartyID) ([]interaction.Leg, error) {
	var out []interaction.Leg
	err := s.chats.Read(ctx, id, func(st *interaction.State) error {
		if st.Party(viewer) == nil {
			return &interaction.Error{Kind: interaction.ErrNotPermitted, Op: "active consultations", Interaction: id, Party: viewer, Rule: "R-X6", Detail: "not a party of this interaction"}
		}
		for _, l := range st.ActiveLegs() {
			if l.Owner == viewer || l.Agent == viewer {
				out = append(out, l)
			}
		}
		return nil
	})
	return out, err
}

// ActiveConsultations lists every leg of the interaction whose target has
// accepted and that has not ended: what a transfer or conference can aim
// at. It is the system's view, for routing and supervision; an agent's desk
// calls ActiveConsultationsFor.
func (s *Service) ActiveConsultations(ctx context.Context, id interaction.ID) ([]interaction.Leg, error) {
	var out []interaction.Leg
	err := s.chats.Read(ctx, id, func(st *interaction.State) error {
		out = st.ActiveLegs()
		return nil
	})
	return out, err
}

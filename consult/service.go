package consult

import (
	"context"
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
	routes        routeBook
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
	return s
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
// write; Start returns the first, and the first to accept wins.
func (s *Service) Start(ctx context.Context, id interaction.ID, owner PartyID, target interaction.Target, medium interaction.Medium) (LegID, error) {
	exclude, err := s.exclude(ctx, id)
	if err != nil {
		return "", err
	}
	offers, err := s.pick(ctx, target, medium, exclude, s.offersAtOnce(target))
	if err != nil {
		return "", err
	}
	var cmd batch
	for _, o := range offers {
		cmd = append(cmd, Start{Leg: o.ID, Target: target, Agent: o.Agent, Medium: medium})
	}
	if _, err := s.chats.Do(ctx, id, owner, cmd.one()); err != nil {
		s.releaseAll(offers, medium)
		return "", err
	}
	s.follow(id, owner, target, medium, interaction.RequestNoKind, offers)
	return offers[0].ID, nil
}

// armTimeout schedules the time-out of invitation inv: a routed one is
// offered on (Reroute), any other ends with timeOut.
func (s *Service) armTimeout(id interaction.ID, inv LegID, timeOut interaction.Command) {
	if s.inviteTimeout <= 0 {
		return
	}
	s.chats.Clock().AfterFunc(s.inviteTimeout, func() {
		// An invitation answered in time makes this an invalid transition,
		// so nothing is written. If the Store fails, the invitation stays
		// pending and can still be answered or cancelled.
		ctx := context.Background()
		if s.routes.get(id, inv) != nil {
			_ = s.reroute(ctx, id, inv, RerouteTimedOut)
			return
		}
		_, _ = s.chats.Do(ctx, id, interaction.System, timeOut)
	})
}

// Accept: agent accepts consultation leg. When the invitation is out to
// several agents at once, the rival offers are rescinded in the same write
// (AcceptOffer): the first to accept wins.
func (s *Service) Accept(ctx context.Context, id interaction.ID, agent PartyID, leg LegID) error {
	return s.accept(ctx, id, agent, leg, Accept{Leg: leg})
}

func (s *Service) accept(ctx context.Context, id interaction.ID, agent PartyID, inv LegID, cmd interaction.Command) error {
	if rt := s.routes.get(id, inv); rt != nil {
		if rivals := s.rivals(ctx, id, rt, inv); len(rivals) > 0 {
			cmd = AcceptOffer{Invitation: inv, Rivals: rivals}
		}
	}
	_, err := s.chats.Do(ctx, id, agent, cmd)
	if err == nil {
		s.routes.drop(id, inv)
	}
	return err
}

// cancel runs the owner's cancel of inv, and of its rival offers if the
// invitation is out to several agents: to the owner it is one invitation.
func (s *Service) cancel(ctx context.Context, id interaction.ID, owner PartyID, inv LegID, cancelOne func(LegID) interaction.Command) error {
	cmd := batch{cancelOne(inv)}
	if rt := s.routes.get(id, inv); rt != nil {
		for _, r := range s.rivals(ctx, id, rt, inv) {
			cmd = append(cmd, cancelOne(r))
		}
	}
	_, err := s.chats.Do(ctx, id, owner, cmd.one())
	if err == nil {
		s.routes.drop(id, inv)
	}
	return err
}

// Decline: agent declines consultation leg. A routed consultation (group,
// skill, queue) then goes to the next available agent (R-X1); one aimed
// at a named agent ends, and the owner is told (R-C3).
func (s *Service) Decline(ctx context.Context, id interaction.ID, agent PartyID, leg LegID) error {
	_, err := s.chats.Do(ctx, id, agent, Decline{Leg: leg})
	if err == nil && s.routes.get(id, leg) != nil {
		// The decline is written, so offer on even if ctx ends now; offering
		// on is best effort, as after a time-out.
		_ = s.reroute(context.WithoutCancel(ctx), id, leg, RerouteDeclined)
	}
	return err
}

// Cancel: owner cancels a pending invitation (R-X2), with its rival
// offers if it is out to several agents.
func (s *Service) Cancel(ctx context.Context, id interaction.ID, owner PartyID, leg LegID) error {
	return s.cancel(ctx, id, owner, leg, func(l LegID) interaction.Command { return Cancel{Leg: l} })
}

// End: the owner or the target ends an active consultation (R-C4).
func (s *Service) End(ctx context.Context, id interaction.ID, actor PartyID, leg LegID) error {
	_, err := s.chats.Do(ctx, id, actor, EndLeg{Leg: leg})
	return err
}

// Say writes a private consultation message (R-C5).
func (s *Service) Say(ctx context.Context, id interaction.ID, actor PartyID, leg LegID, text string) error {
	_, err := s.chats.Do(ctx, id, actor, Say{Leg: leg, Text: text})
	return err
}

// Transfer hands the chat to the target of an active consultation (R-T1).
func (s *Service) Transfer(ctx context.Context, id interaction.ID, owner PartyID, leg LegID) error {
	held, err := s.holdChatUnit(ctx, id, leg)
	if err != nil {
		return err
	}
	if _, err = s.chats.Do(ctx, id, owner, Transfer{Leg: leg}); err != nil {
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
	if _, err := s.chats.Do(ctx, id, owner, Conference{Leg: leg, Request: req}); err != nil {
		s.releaseUnit(held, interaction.MediumChat)
		return "", err
	}
	s.armOffers(id, interaction.RequestConference, []Offer{{ID: req}})
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
	exclude, err := s.exclude(ctx, id)
	if err != nil {
		return "", err
	}
	offers, err := s.pick(ctx, target, interaction.MediumChat, exclude, s.offersAtOnce(target))
	if err != nil {
		return "", err
	}
	var cmd batch
	for _, o := range offers {
		cmd = append(cmd, Direct{Request: o.ID, Kind: kind, Target: target, Agent: o.Agent})
	}
	if _, err := s.chats.Do(ctx, id, owner, cmd.one()); err != nil {
		s.releaseAll(offers, interaction.MediumChat)
		return "", err
	}
	s.follow(id, owner, target, interaction.MediumChat, kind, offers)
	return offers[0].ID, nil
}

// AcceptRequest: the asked agent accepts a transfer or conference request.
func (s *Service) AcceptRequest(ctx context.Context, id interaction.ID, agent PartyID, req LegID) error {
	return s.accept(ctx, id, agent, req, AcceptRequest{Request: req})
}

// DeclineRequest: the asked agent declines (R-F4). A direct request to a
// group, skill or queue then goes to the next available agent (R-X1).
func (s *Service) DeclineRequest(ctx context.Context, id interaction.ID, agent PartyID, req LegID) error {
	_, err := s.chats.Do(ctx, id, agent, DeclineRequest{Request: req})
	if err == nil && s.routes.get(id, req) != nil {
		_ = s.reroute(context.WithoutCancel(ctx), id, req, RerouteDeclined)
	}
	return err
}

// CancelRequest: the owner takes a pending request back.
func (s *Service) CancelRequest(ctx context.Context, id interaction.ID, owner PartyID, req LegID) error {
	return s.cancel(ctx, id, owner, req, func(r LegID) interaction.Command { return CancelRequest{Request: r} })
}

// Remove takes a member out of the conference (R-F5).
func (s *Service) Remove(ctx context.Context, id interaction.ID, owner, member PartyID) error {
	_, err := s.chats.Do(ctx, id, owner, Remove{Member: member})
	return err
}

// ActiveConsultations lists the legs of the interaction whose target has
// accepted and that have not ended: what a transfer or conference can aim at.
func (s *Service) ActiveConsultations(ctx context.Context, id interaction.ID) ([]interaction.Leg, error) {
	var out []interaction.Leg
	err := s.chats.Read(ctx, id, func(st *interaction.State) error {
		out = st.ActiveLegs()
		return nil
	})
	return out, err
}

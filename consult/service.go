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
// of owner (R-C1–R-C3, R-C10). It returns the new leg.
func (s *Service) Start(ctx context.Context, id interaction.ID, owner PartyID, target interaction.Target, medium interaction.Medium) (LegID, error) {
	exclude, err := s.exclude(ctx, id)
	if err != nil {
		return "", err
	}
	agent, err := s.router.Pick(ctx, target, medium, exclude)
	if err != nil {
		return "", err
	}
	leg := LegID(s.chats.IDs().NewID())
	if _, err := s.chats.Do(ctx, id, owner, Start{Leg: leg, Target: target, Agent: agent, Medium: medium}); err != nil {
		return "", err
	}
	s.armTimeout(id, TimeOut{Leg: leg})
	return leg, nil
}

func (s *Service) armTimeout(id interaction.ID, cmd interaction.Command) {
	if s.inviteTimeout <= 0 {
		return
	}
	s.chats.Clock().AfterFunc(s.inviteTimeout, func() {
		// An invitation answered in time makes this an invalid transition,
		// so nothing is written. If the Store fails, the invitation stays
		// pending and can still be answered or cancelled.
		_, _ = s.chats.Do(context.Background(), id, interaction.System, cmd)
	})
}

// Accept: agent accepts consultation leg.
func (s *Service) Accept(ctx context.Context, id interaction.ID, agent PartyID, leg LegID) error {
	_, err := s.chats.Do(ctx, id, agent, Accept{Leg: leg})
	return err
}

// Decline: agent declines consultation leg.
func (s *Service) Decline(ctx context.Context, id interaction.ID, agent PartyID, leg LegID) error {
	_, err := s.chats.Do(ctx, id, agent, Decline{Leg: leg})
	return err
}

// Cancel: owner cancels a pending invitation (R-X2).
func (s *Service) Cancel(ctx context.Context, id interaction.ID, owner PartyID, leg LegID) error {
	_, err := s.chats.Do(ctx, id, owner, Cancel{Leg: leg})
	return err
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
	_, err := s.chats.Do(ctx, id, owner, Transfer{Leg: leg})
	return err
}

// Conference asks the target of an active consultation to join the chat
// (R-F1); it returns the request, which the target accepts or declines.
func (s *Service) Conference(ctx context.Context, id interaction.ID, owner PartyID, leg LegID) (LegID, error) {
	req := LegID(s.chats.IDs().NewID())
	if _, err := s.chats.Do(ctx, id, owner, Conference{Leg: leg, Request: req}); err != nil {
		return "", err
	}
	s.armTimeout(id, TimeOutRequest{Request: req})
	return req, nil
}

// TransferTo asks target to take the chat over without a consultation
// first (R-X4).
func (s *Service) TransferTo(ctx context.Context, id interaction.ID, owner PartyID, target interaction.Target) (LegID, error) {
	return s.direct(ctx, id, owner, interaction.RequestTransfer, target)
}

// ConferenceWith asks target to join the chat without a consultation
// first (R-X4).
func (s *Service) ConferenceWith(ctx context.Context, id interaction.ID, owner PartyID, target interaction.Target) (LegID, error) {
	return s.direct(ctx, id, owner, interaction.RequestConference, target)
}

func (s *Service) direct(ctx context.Context, id interaction.ID, owner PartyID, kind interaction.RequestKind, target interaction.Target) (LegID, error) {
	exclude, err := s.exclude(ctx, id)
	if err != nil {
		return "", err
	}
	agent, err := s.router.Pick(ctx, target, interaction.MediumChat, exclude)
	if err != nil {
		return "", err
	}
	req := LegID(s.chats.IDs().NewID())
	if _, err := s.chats.Do(ctx, id, owner, Direct{Request: req, Kind: kind, Target: target, Agent: agent}); err != nil {
		return "", err
	}
	s.armTimeout(id, TimeOutRequest{Request: req})
	return req, nil
}

// AcceptRequest: the asked agent accepts a transfer or conference request.
func (s *Service) AcceptRequest(ctx context.Context, id interaction.ID, agent PartyID, req LegID) error {
	_, err := s.chats.Do(ctx, id, agent, AcceptRequest{Request: req})
	return err
}

// DeclineRequest: the asked agent declines (R-F4).
func (s *Service) DeclineRequest(ctx context.Context, id interaction.ID, agent PartyID, req LegID) error {
	_, err := s.chats.Do(ctx, id, agent, DeclineRequest{Request: req})
	return err
}

// CancelRequest: the owner takes a pending request back.
func (s *Service) CancelRequest(ctx context.Context, id interaction.ID, owner PartyID, req LegID) error {
	_, err := s.chats.Do(ctx, id, owner, CancelRequest{Request: req})
	return err
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

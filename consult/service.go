package consult

import (
	"context"
	"time"

	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/observe"
)

// Service runs consultations, transfers and conferences on the chats of an
// interaction.Service: same Store, same Notifier, same Clock, one event
// stream per interaction (R-H1).
//
// Time-outs are deadlines in the state (Leg.Deadline, Request.Deadline),
// which the Service's Scheduler fires on the chats' Clock as System
// commands with the deadline's command ID (interaction.Deadline.CommandID):
// exactly once, whichever instance fires it, and not at all when the
// invitation was answered first. By default the Scheduler's queue is in
// memory: it learns deadlines from the Service's own commands and the
// events it hears (Notify, Forwarder), and after a restart from the
// Store's log (Resume). On PostgreSQL the queue is the Store's table of
// deadlines (WithDeadlines).
type Service struct {
	chats         *interaction.Service
	router        Router
	inviteTimeout time.Duration
	exhausted     func(context.Context, Exhausted)
	deadlines     interaction.DeadlineQueue
	memory        *interaction.MemoryDeadlines // the default queue; nil with WithDeadlines
	schedOpts     []interaction.SchedulerOption
	sched         *interaction.Scheduler
	hooks         observe.Hooks // logger and Observer (observe.go)
}

// Option configures a Service.
type Option func(*Service)

// WithRouter sets how targets resolve to agents (default DirectRouter).
func WithRouter(r Router) Option { return func(s *Service) { s.router = r } }

// WithInviteTimeout sets how long an invitation (consultation, transfer or
// conference request) waits for its answer before it times out (default
// 30 s; zero: never). It becomes the invitation's deadline, in its first
// event.
func WithInviteTimeout(d time.Duration) Option { return func(s *Service) { s.inviteTimeout = d } }

// WithDeadlines sets where the Scheduler finds due deadlines: a queue
// shared by every instance, such as a pgstore Store's (pgstore.Deadlines),
// which the Store keeps in the transaction that appends the events.
// Without it the queue is in memory (interaction.MemoryDeadlines). opts
// configure the Scheduler (lease, errors).
func WithDeadlines(q interaction.DeadlineQueue, opts ...interaction.SchedulerOption) Option {
	return func(s *Service) { s.deadlines, s.schedOpts = q, opts }
}

// New returns a Service on top of chats. Its Scheduler arms the chats'
// Clock for the deadlines it learns of; call Resume to pick up the ones
// already in the Store (after a restart).
func New(chats *interaction.Service, opts ...Option) *Service {
	s := &Service{chats: chats, router: DirectRouter{}, inviteTimeout: 30 * time.Second}
	for _, o := range opts {
		o(s)
	}
	s.inheritHooks()
	if s.deadlines == nil {
		s.memory = interaction.NewMemoryDeadlines()
		s.deadlines = s.memory
	}
	s.sched = interaction.NewScheduler(s.deadlines, chats.Clock(), s.expire, s.schedOpts...)
	if f, ok := s.router.(Forwarder); ok {
		f.ForwardTo(s)
	}
	return s
}

// Resume picks up the deadlines of the invitations already pending in the
// Store: with the in-memory queue it rebuilds the queue from the Store's
// Log (the Store must be an interaction.Log, as MemoryStore and pgstore's
// Store are); then it arms the clock for the earliest. A restarted process
// calls it once; a deadline fired already (by this process before, or by
// another instance) is not fired again.
func (s *Service) Resume(ctx context.Context) error {
	if s.memory != nil {
		log, ok := s.chats.Store().(interaction.Log)
		if !ok {
			return &interaction.Error{Kind: interaction.ErrNotFound, Op: "resume", Detail: "the Store is not a Log: no deadlines to recover"}
		}
		if err := s.memory.Recover(ctx, log); err != nil {
			return err
		}
	}
	s.sched.Wake(ctx)
	return nil
}

// Stop stops the Service's Scheduler: no deadline fires from it any more
// (another instance, or a restarted process, fires them).
func (s *Service) Stop() { s.sched.Stop() }

// Scheduler returns the Service's Scheduler: RunDue fires what is due now,
// Follow wakes it on another process's writes (see pgstore).
func (s *Service) Scheduler() *interaction.Scheduler { return s.sched }

// Forwarder is a Router that hears the events committed on the chats it
// routes and hands them on: package routing's Directory, which sits in
// their Notifier chain. New registers the Service with it, so that the
// in-memory deadline queue learns of every invitation made or ended by any
// command, also one that does not go through the Service (the owner ending
// the session, R-C7).
type Forwarder interface {
	ForwardTo(n interaction.Notifier)
}

// Notify implements interaction.Notifier: the in-memory deadline queue
// learns the deadlines the events set and forgets those of the invitations
// they end. New wires it through a Forwarder; with another Router, put the
// Service in the chats' Notifier chain to get the same. Without it, an
// invitation ended by a command that does not go through the Service stays
// in the queue until its deadline, which then finds it answered and fires
// nothing.
func (s *Service) Notify(ctx context.Context, st *interaction.State, events []interaction.Event) {
	if s.memory != nil {
		s.memory.Notify(ctx, st, events)
	}
}

// do runs cmd, under the caller's command ID if ctx carries one
// (interaction.WithCommandID), and learns the deadlines its events set or
// end.
func (s *Service) do(ctx context.Context, id interaction.ID, actor PartyID, cmd interaction.Command) ([]interaction.Event, error) {
	events, _, err := s.doCommand(ctx, id, actor, interaction.CommandIDFrom(ctx), cmd)
	return events, err
}

// doCommand is do with a command ID (a deadline's); again says that the
// command was applied before, by this or another instance.
func (s *Service) doCommand(ctx context.Context, id interaction.ID, actor PartyID, commandID string, cmd interaction.Command) (events []interaction.Event, again bool, err error) {
	events, again, err = s.chats.ExecuteOnce(ctx, id, actor, commandID, cmd)
	if err == nil {
		s.learn(ctx, events)
	}
	return events, again, err
}

// learn tells the deadline queue what the Service's own command did: the
// in-memory queue learns from the events; a shared queue (the Store keeps
// it) only needs the Scheduler woken for a new deadline.
func (s *Service) learn(ctx context.Context, events []interaction.Event) {
	if s.memory != nil {
		s.memory.Notify(ctx, nil, events)
		return
	}
	if set, _ := interaction.DeadlineChanges(events); len(set) > 0 {
		s.sched.Wake(context.WithoutCancel(ctx))
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
//
// With the caller's command ID in ctx (interaction.WithCommandID), as
// every write call of the Service takes it, a retry applies once and
// returns the first run's leg, routing nobody again.
func (s *Service) Start(ctx context.Context, id interaction.ID, owner PartyID, target interaction.Target, medium interaction.Medium) (LegID, error) {
	if err := interaction.CheckTarget(target); err != nil {
		return "", err // before routing: a bad target is bad input, not "nobody available"
	}
	key := startKey{Op: "start", Target: target, Medium: medium}
	if events, ok, err := s.answered(ctx, id, owner, interaction.CommandIDFrom(ctx), key); ok || err != nil {
		return LegID(invited(events)), err
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
		cmd = append(cmd, Start{Leg: LegID(o.ID), Target: target, Invitee: o.Invitee, Medium: medium, Route: route, Timeout: s.inviteTimeout})
	}
	leg, err := s.invite(ctx, id, owner, medium, offers, interaction.Keyed(cmd.one(), key))
	return LegID(leg), err
}

// newRoute names the routed invitation of a new invitation to target: a
// fresh ID, which tells the agents offered it nothing about each other;
// none for a named agent.
func (s *Service) newRoute(target interaction.Target) RouteID {
	if target.Kind == interaction.TargetAgent {
		return ""
	}
	return RouteID(s.chats.IDs().NewID())
}

// Sync picks up the deadlines of the invitations pending in one
// interaction, from its state alone: a restarted process hands it every
// open interaction's state (interaction.Service.Recover with desk.Sync,
// next to the routing Directory's and the signals Tracker's Sync) instead
// of reading the whole log (Resume). With a shared queue (WithDeadlines,
// PostgreSQL) the deadlines are in the Store already and Sync only wakes
// the Scheduler. A deadline fired already is not fired again.
func (s *Service) Sync(st *interaction.State) {
	if st == nil {
		return
	}
	if s.memory != nil {
		s.memory.Sync(st)
	}
	s.sched.Wake(context.Background())
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
	return s.decline(ctx, id, agent, InvitationID(leg), Decline{Leg: leg})
}

// Cancel: owner cancels a pending invitation (R-X2), with its rival
// offers if it is out to several agents.
func (s *Service) Cancel(ctx context.Context, id interaction.ID, owner PartyID, leg LegID) error {
	_, err := s.do(ctx, id, owner, Cancel{Leg: leg})
	return err
}

// EndConsultation: the owner or the target ends an active consultation (R-C4).
func (s *Service) EndConsultation(ctx context.Context, id interaction.ID, actor PartyID, leg LegID) error {
	_, err := s.do(ctx, id, actor, EndConsultation{Leg: leg})
	return err
}

// Say writes a private consultation message (R-C5).
func (s *Service) Say(ctx context.Context, id interaction.ID, actor PartyID, leg LegID, text string) error {
	_, err := s.do(ctx, id, actor, Say{Leg: leg, Text: text})
	return err
}

// Transfer hands the chat to the target of an active consultation (R-T1).
func (s *Service) Transfer(ctx context.Context, id interaction.ID, owner PartyID, leg LegID) error {
	held, err := s.holdChatUnit(ctx, id, owner, leg)
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
func (s *Service) Conference(ctx context.Context, id interaction.ID, owner PartyID, leg LegID) (RequestID, error) {
	key := invitationKey{Op: "conference", Invitation: InvitationID(leg)}
	if events, ok, err := s.answered(ctx, id, owner, interaction.CommandIDFrom(ctx), key); ok || err != nil {
		return RequestID(invited(events)), err
	}
	held, err := s.holdChatUnit(ctx, id, owner, leg)
	if err != nil {
		return "", err
	}
	req := RequestID(s.chats.IDs().NewID())
	events, again, err := s.doCommand(ctx, id, owner, interaction.CommandIDFrom(ctx), interaction.Keyed(Conference{Leg: leg, Request: req, Timeout: s.inviteTimeout}, key))
	if err != nil || again {
		s.releaseUnit(held, interaction.MediumChat)
	}
	if err != nil {
		return "", err
	}
	return RequestID(invited(events)), nil
}

// holdChatUnit asks a Reserver router for the chat unit that the target
// of an IM or voice consultation needs to take the chat over or join it;
// it returns the agent held, if any. A chat consultation's unit carries
// over, so it needs none; nor does a consultation with a conference request
// pending, which reserved that unit already. Only a leg of owner's is
// held for: the command refuses any other, and a hold refused for it
// (its target at capacity) would tell a party that may not see the leg
// that it exists, and who its target is (R-X6).
func (s *Service) holdChatUnit(ctx context.Context, id interaction.ID, owner PartyID, leg LegID) (PartyID, error) {
	r, ok := s.router.(Reserver)
	if !ok {
		return "", nil
	}
	var agent PartyID
	err := s.chats.Read(ctx, id, func(st *interaction.State) error {
		if l := st.Leg(leg); l != nil && l.Owner == owner && l.State == interaction.LegActive && l.Medium != interaction.MediumChat {
			agent = l.Invitee
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
func (s *Service) TransferTo(ctx context.Context, id interaction.ID, owner PartyID, target interaction.Target) (RequestID, error) {
	return s.direct(ctx, id, owner, interaction.RequestTransfer, target)
}

// ConferenceWith asks target to join the chat without a consultation
// first (R-X4), through routing as TransferTo.
func (s *Service) ConferenceWith(ctx context.Context, id interaction.ID, owner PartyID, target interaction.Target) (RequestID, error) {
	return s.direct(ctx, id, owner, interaction.RequestConference, target)
}

func (s *Service) direct(ctx context.Context, id interaction.ID, owner PartyID, kind interaction.RequestKind, target interaction.Target) (RequestID, error) {
	if err := interaction.CheckTarget(target); err != nil {
		return "", err
	}
	key := startKey{Op: "direct " + kind.String(), Target: target, Medium: interaction.MediumChat}
	if events, ok, err := s.answered(ctx, id, owner, interaction.CommandIDFrom(ctx), key); ok || err != nil {
		return RequestID(invited(events)), err
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
		cmd = append(cmd, Direct{Request: RequestID(o.ID), Kind: kind, Target: target, Invitee: o.Invitee, Route: route, Timeout: s.inviteTimeout})
	}
	inv, err := s.invite(ctx, id, owner, interaction.MediumChat, offers, interaction.Keyed(cmd.one(), key))
	return RequestID(inv), err
}

// AcceptRequest: the asked agent accepts a transfer or conference request;
// the first of several offers to accept wins, as for Accept.
func (s *Service) AcceptRequest(ctx context.Context, id interaction.ID, agent PartyID, req RequestID) error {
	_, err := s.do(ctx, id, agent, AcceptRequest{Request: req})
	return err
}

// DeclineRequest: the asked agent declines (R-F4). A direct request to a
// group, skill or queue then goes to the next available agent (R-X1).
func (s *Service) DeclineRequest(ctx context.Context, id interaction.ID, agent PartyID, req RequestID) error {
	return s.decline(ctx, id, agent, InvitationID(req), DeclineRequest{Request: req})
}

// CancelRequest: the owner takes a pending request back, with its rival
// offers.
func (s *Service) CancelRequest(ctx context.Context, id interaction.ID, owner PartyID, req RequestID) error {
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
			if l.Owner == viewer || l.Invitee == viewer {
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

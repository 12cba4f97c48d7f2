package routing

import (
	"context"
	"errors"
	"sort"
	"time"

	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/observe"
)

// Routing new chats (issue 14: "new chats are routed too"; R-C2, R-X1).
//
// A contact's chat opened to a group, skill or queue is offered through
// the Directory like a consultation: Pick chooses an agent under the
// target's strategy and holds one chat unit of it (in the shared Store's
// conditional write when the Directory has one), the offer is
// interaction.Assign, acting as System, and Notify turns the hold into the
// offer's reservation. An offer not answered by its deadline is withdrawn
// and the chat offered to the next agent, leaving out every agent offered
// it before (they are parties of the interaction), in one append
// (Withdraw and Assign together); a decline offers it on the same way.
// When nobody is left the ChatRouter reports a typed outcome (ChatExhausted,
// kind ErrNotFound, rule R-X1) and the chat waits.
//
// What another instance, or a restarted process, needs to go on is in the
// Stores: the offers (who was offered, who declined, who was withdrawn)
// are the interaction's state; the route (the target and the deadline of
// the offer out) is a ChatRoute in the routing Store (ChatRoutes), which
// every instance's RunDue claims, one at a time, by lease. A deadline is
// fired as a System command whose ID is derived from it
// ("chat-offer/<interaction>/<agent>/time_out"), so two instances firing
// it (a lease that ran out, a restart) apply it once: the second one's
// command, with another agent picked, is refused as a conflict and its
// hold given back.
//
// The interaction core has no deadline for a chat offer (an offer made
// with Assign alone never times out): the deadline lives in the route.

// ChatRoute is one new chat being routed.
type ChatRoute struct {
	Interaction interaction.ID
	Target      interaction.Target
	// Agent is the agent offered the chat now ("" when nobody is).
	Agent interaction.PartyID
	// Due is when Agent's offer times out.
	Due time.Time
}

// ChatRoutes keeps the routes of new chats, shared by every instance: a
// routing Store that has it (MemoryStore, pgstore.RoutingStore) keeps them
// beside the agents.
type ChatRoutes interface {
	// SetChatRoute records r, replacing the chat's route if it has one;
	// its claim, if any, ends.
	SetChatRoute(ctx context.Context, r ChatRoute) error
	// ChatRoute returns the chat's route; ok false when it has none.
	ChatRoute(ctx context.Context, id interaction.ID) (r ChatRoute, ok bool, err error)
	// DropChatRoute forgets the chat's route (accepted, ended, nobody
	// left). Dropping one that is gone is no error.
	DropChatRoute(ctx context.Context, id interaction.ID) error
	// ClaimChatRoutes returns up to limit routes whose Due is not after
	// now, each claimed until now+lease: no other claim returns it before
	// then, nor before it is set again.
	ClaimChatRoutes(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]ChatRoute, error)
}

var _ ChatRoutes = (*MemoryStore)(nil)

type memChatRoute struct {
	ChatRoute
	claimed time.Time
}

func (m *MemoryStore) chatRoutes() map[interaction.ID]*memChatRoute {
	if m.routes == nil {
		m.routes = map[interaction.ID]*memChatRoute{}
	}
	return m.routes
}

// SetChatRoute implements ChatRoutes.
func (m *MemoryStore) SetChatRoute(ctx context.Context, r ChatRoute) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if r.Interaction == "" {
		return refuse(interaction.ErrBadInput, "set chat route", "no interaction")
	}
	m.mu.Lock()
	m.chatRoutes()[r.Interaction] = &memChatRoute{ChatRoute: r}
	m.mu.Unlock()
	return nil
}

// ChatRoute implements ChatRoutes.
func (m *MemoryStore) ChatRoute(ctx context.Context, id interaction.ID) (ChatRoute, bool, error) {
	if err := ctx.Err(); err != nil {
		return ChatRoute{}, false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.chatRoutes()[id]
	if !ok {
		return ChatRoute{}, false, nil
	}
	return r.ChatRoute, true, nil
}

// DropChatRoute implements ChatRoutes.
func (m *MemoryStore) DropChatRoute(ctx context.Context, id interaction.ID) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	delete(m.chatRoutes(), id)
	m.mu.Unlock()
	return nil
}

// ClaimChatRoutes implements ChatRoutes.
func (m *MemoryStore) ClaimChatRoutes(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]ChatRoute, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var due []*memChatRoute
	for _, r := range m.chatRoutes() {
		if !r.Due.After(now) && !r.claimed.After(now) {
			due = append(due, r)
		}
	}
	sort.Slice(due, func(i, j int) bool {
		if !due[i].Due.Equal(due[j].Due) {
			return due[i].Due.Before(due[j].Due)
		}
		return due[i].Interaction < due[j].Interaction
	})
	if limit > 0 && len(due) > limit {
		due = due[:limit]
	}
	out := make([]ChatRoute, len(due))
	for i, r := range due {
		r.claimed = now.Add(lease)
		out[i] = r.ChatRoute
	}
	return out, nil
}

// ChatExhausted is the outcome of a new chat that found nobody: no agent of
// its target is available, or every one was offered it already (R-X1).
type ChatExhausted struct {
	Interaction interaction.ID
	Target      interaction.Target
	// Tried are the agents the chat was offered to, in order.
	Tried []interaction.PartyID
	// Err says why: kind ErrNotFound, rule R-X1.
	Err *interaction.Error
}

// ChatRouter routes new chats (see above). Every instance has one, on its
// own interaction.Service and Directory, all on the same Stores.
type ChatRouter struct {
	chats     *interaction.Service
	dir       *Directory
	routes    ChatRoutes
	timeout   time.Duration
	lease     time.Duration
	exhausted func(context.Context, ChatExhausted)
	hooks     observe.Hooks // the chats' (chats_observe.go)
}

// ChatOption configures a ChatRouter.
type ChatOption func(*ChatRouter)

// WithChatTimeout sets how long a chat offer waits for its answer
// (default 30 s).
func WithChatTimeout(d time.Duration) ChatOption {
	return func(r *ChatRouter) {
		if d > 0 {
			r.timeout = d
		}
	}
}

// WithChatRoutes sets where the routes are kept (default: the Directory's
// Store when it keeps ChatRoutes, otherwise a MemoryStore of this process).
func WithChatRoutes(s ChatRoutes) ChatOption {
	return func(r *ChatRouter) {
		if s != nil {
			r.routes = s
		}
	}
}

// WithChatExhausted calls f when a chat finds nobody (after its last offer
// was withdrawn or declined), on the instance that found it.
func WithChatExhausted(f func(context.Context, ChatExhausted)) ChatOption {
	return func(r *ChatRouter) { r.exhausted = f }
}

// NewChatRouter returns the router of new chats of chats, picking through
// dir (which must be in chats' Notifier chain, as for consultations).
func NewChatRouter(chats *interaction.Service, dir *Directory, opts ...ChatOption) *ChatRouter {
	r := &ChatRouter{chats: chats, dir: dir, timeout: 30 * time.Second, lease: 30 * time.Second, hooks: chats.Hooks()}
	if cr, ok := dir.Store().(ChatRoutes); ok {
		r.routes = cr
	}
	for _, o := range opts {
		o(r)
	}
	if r.routes == nil {
		r.routes = NewMemoryStore()
	}
	return r
}

// Route offers the waiting chat id to an agent of target (a group, skill or
// queue; a named agent is offered it without redirect) and returns the
// agent. Nobody available is an error wrapping interaction.ErrNotFound
// (rule R-X1); the chat keeps waiting and Route may be called again.
//
// With the caller's command ID in ctx (interaction.WithCommandID), as
// Accept and Decline take it too, a retry applies once and returns the
// agent the first run offered the chat to.
func (r *ChatRouter) Route(ctx context.Context, id interaction.ID, target interaction.Target) (interaction.PartyID, error) {
	if err := interaction.CheckTarget(target); err != nil {
		return "", err
	}
	return r.offer(ctx, id, target, "", interaction.CommandIDFrom(ctx), routeKey{Target: target})
}

// Accept: the agent offered the chat takes it (interaction.Join) and the
// route ends. Another agent's offer, if any, is withdrawn in the same
// append (first accept wins).
func (r *ChatRouter) Accept(ctx context.Context, id interaction.ID, agent interaction.PartyID) error {
	if err := r.chats.Sync(ctx, id); err != nil { // the offer may be another instance's
		return err
	}
	if _, err := r.chats.DoCommand(ctx, id, agent, interaction.CommandIDFrom(ctx), interaction.Join{}); err != nil {
		return err
	}
	return r.routes.DropChatRoute(ctx, id)
}

// Decline: the agent turns the chat down, and it is offered to the next
// agent of its route at once (R-X1).
func (r *ChatRouter) Decline(ctx context.Context, id interaction.ID, agent interaction.PartyID) error {
	if err := r.chats.Sync(ctx, id); err != nil { // the offer may be another instance's
		return err
	}
	if _, err := r.chats.DoCommand(ctx, id, agent, interaction.CommandIDFrom(ctx), interaction.Decline{}); err != nil {
		return err
	}
	rt, ok, err := r.routes.ChatRoute(ctx, id)
	if err != nil || !ok || rt.Target.Kind == interaction.TargetAgent {
		if ok && err == nil {
			err = r.routes.DropChatRoute(ctx, id)
		}
		return err
	}
	next, err := r.offer(ctx, id, rt.Target, "", "chat-offer/"+string(id)+"/"+string(agent)+"/decline", nil)
	if err == nil {
		r.offeredOn(ctx, id, "declined", next)
	}
	if errors.Is(err, interaction.ErrNotFound) {
		return nil // nobody left: reported (ChatExhausted)
	}
	return err
}

// RunDue fires the chat offers whose deadline passed on the chats' clock:
// each is withdrawn and the chat offered to the next agent (R-X1), or,
// when nobody is left, reported. It returns how many it fired. Every
// instance may call it (on a timer, or after its clock moved); a route is
// claimed by one at a time, and a deadline fired twice applies once.
func (r *ChatRouter) RunDue(ctx context.Context) (int, error) {
	now := r.chats.Clock().Now()
	due, err := r.routes.ClaimChatRoutes(ctx, now, r.lease, 64)
	if err != nil {
		return 0, err
	}
	var errs []error
	for _, rt := range due {
		if err := r.fire(ctx, rt, now); err != nil && !errors.Is(err, interaction.ErrNotFound) {
			errs = append(errs, err)
		}
	}
	return len(due), errors.Join(errs...)
}

// fire decides a due route on the chat's stored state.
func (r *ChatRouter) fire(ctx context.Context, rt ChatRoute, now time.Time) error {
	err := r.chats.Sync(ctx, rt.Interaction) // another instance may have moved
	var st *interaction.State
	if err == nil {
		st, err = r.chats.State(ctx, rt.Interaction)
	}
	if errors.Is(err, interaction.ErrNotFound) {
		return r.routes.DropChatRoute(ctx, rt.Interaction)
	}
	if err != nil {
		return err
	}
	if st.Status != interaction.StatusWaiting {
		return r.routes.DropChatRoute(ctx, rt.Interaction) // taken, or ended
	}
	withdraw := interaction.PartyID("")
	if p := st.Party(rt.Agent); rt.Agent != "" && p != nil && p.Role == interaction.RoleOwner && p.Membership == interaction.MemberInvited {
		withdraw = rt.Agent
	} else if other := pendingChatOffer(st); other != "" {
		// The route is behind the state (an instance died between the offer
		// and recording it): give the offer out its full time from now.
		return r.routes.SetChatRoute(ctx, ChatRoute{Interaction: rt.Interaction, Target: rt.Target, Agent: other, Due: now.Add(r.timeout)})
	}
	if rt.Target.Kind == interaction.TargetAgent {
		r.timedOut(ctx, rt)
		if withdraw != "" {
			if _, _, err := r.chats.ExecuteOnce(ctx, rt.Interaction, interaction.System, chatDeadlineID(rt), interaction.Withdraw{Agent: withdraw}); err != nil {
				return err
			}
		}
		r.report(ctx, st, rt.Target, refuse(interaction.ErrNotFound, "route chat", "agent "+rt.Target.ID+" did not answer"))
		return r.routes.DropChatRoute(ctx, rt.Interaction)
	}
	r.timedOut(ctx, rt)
	next, err := r.offer(ctx, rt.Interaction, rt.Target, withdraw, chatDeadlineID(rt), nil)
	if err == nil {
		r.offeredOn(ctx, rt.Interaction, "timed_out", next)
	}
	return err
}

func chatDeadlineID(rt ChatRoute) string {
	return "chat-offer/" + string(rt.Interaction) + "/" + string(rt.Agent) + "/time_out"
}

// pendingChatOffer is an agent the waiting chat is offered to now, or "".
func pendingChatOffer(st *interaction.State) interaction.PartyID {
	for _, p := range st.Parties {
		if p.Role == interaction.RoleOwner && p.Membership == interaction.MemberInvited {
			return p.ID
		}
	}
	return ""
}

// offer withdraws withdraw's offer (if any) and offers the chat to the next
// agent of target in one append, under commandID ("" for a fresh one),
// then records the route. Nobody left: the withdrawal alone is written, the
// route dropped, and the outcome reported. A commandID committed before
// answers the agent its run offered the chat to; with key, the write is
// keyed by it (interaction.Keyed: a caller's retry, whatever is picked).
func (r *ChatRouter) offer(ctx context.Context, id interaction.ID, target interaction.Target, withdraw interaction.PartyID, commandID string, key any) (interaction.PartyID, error) {
	if agent, ok, err := r.answered(ctx, id, commandID, key); ok || err != nil {
		return agent, err
	}
	if err := r.chats.Sync(ctx, id); err != nil {
		return "", err
	}
	st, err := r.chats.State(ctx, id)
	if err != nil {
		return "", err
	}
	if st.Status != interaction.StatusWaiting {
		return "", refuse(interaction.ErrInvalidTransition, "route chat", "chat is "+string(st.Status)+", not waiting")
	}
	exclude := make([]interaction.PartyID, 0, len(st.Parties))
	for _, p := range st.Parties {
		exclude = append(exclude, p.ID) // the contact, and every agent offered it before
	}
	agent, err := r.dir.Pick(ctx, target, interaction.MediumChat, exclude)
	if err != nil {
		if !errors.Is(err, interaction.ErrNotFound) {
			return "", err
		}
		if withdraw != "" {
			if _, _, werr := r.chats.ExecuteOnce(ctx, id, interaction.System, commandID, interaction.Withdraw{Agent: withdraw}); werr != nil {
				return "", werr
			}
		}
		if derr := r.routes.DropChatRoute(ctx, id); derr != nil {
			return "", derr
		}
		var ie *interaction.Error
		if !errors.As(err, &ie) {
			ie = refuse(interaction.ErrNotFound, "route chat", err.Error()).(*interaction.Error)
		}
		r.report(ctx, st, target, ie)
		return "", err
	}
	var cmd interaction.Command = chatOffer{Withdraw: withdraw, Agent: agent}
	if key != nil {
		cmd = interaction.Keyed(cmd, key)
	}
	events, again, err := r.chats.ExecuteOnce(ctx, id, interaction.System, commandID, cmd)
	if err != nil || again {
		r.dir.Release(agent, interaction.MediumChat)
		if again {
			// Fired before, by this or another instance (with the same
			// pick, or keyed by the caller's request).
			return offeredTo(events), nil
		}
		return "", err
	}
	if err := r.routes.SetChatRoute(ctx, ChatRoute{Interaction: id, Target: target, Agent: agent, Due: r.chats.Clock().Now().Add(r.timeout)}); err != nil {
		return "", err
	}
	return agent, nil
}

func (r *ChatRouter) report(ctx context.Context, st *interaction.State, target interaction.Target, err error) {
	if r.exhausted == nil {
		return
	}
	var ie *interaction.Error
	if !errors.As(err, &ie) {
		return
	}
	ie.Rule = "R-X1"
	r.nobodyLeft(ctx, st.ID, target)
	var tried []interaction.PartyID
	for _, p := range st.Parties {
		if p.Role == interaction.RoleOwner {
			tried = append(tried, p.ID)
		}
	}
	r.exhausted(ctx, ChatExhausted{Interaction: st.ID, Target: target, Tried: tried, Err: ie})
}

// chatOffer withdraws one chat offer and makes another, in one append.
type chatOffer struct {
	Withdraw, Agent interaction.PartyID
}

func (c chatOffer) Decide(d *interaction.Decision) error {
	if c.Withdraw != "" {
		if err := (interaction.Withdraw{Agent: c.Withdraw}).Decide(d); err != nil {
			return err
		}
	}
	return interaction.Assign{Agent: c.Agent}.Decide(d)
}

// Rescind takes back the chat offer (ChatOffer) of an agent who logged
// out and offers the chat to the next agent of its route in the same
// append (R-X1); with no route (a chat assigned to a named agent), the
// offer is withdrawn and the chat waits. The command ID is derived from
// the chat and the agent, so whichever instance learns of the logout first
// does it, once. It implements Rescinder for chat offers; ChatRescinder
// sends the other invitations elsewhere.
func (r *ChatRouter) Rescind(ctx context.Context, id interaction.ID, invitation interaction.InvitationID, agent interaction.PartyID) error {
	if invitation != ChatOffer {
		return refuse(interaction.ErrBadInput, "rescind chat offer", "not a chat offer: "+string(invitation))
	}
	if err := r.chats.Sync(ctx, id); err != nil {
		return err
	}
	st, err := r.chats.State(ctx, id)
	if err != nil {
		return err
	}
	if p := st.Party(agent); st.Status != interaction.StatusWaiting || p == nil || p.Membership != interaction.MemberInvited {
		return refuse(interaction.ErrInvalidTransition, "rescind chat offer", "no pending chat offer to "+string(agent))
	}
	commandID := "chat-offer/" + string(id) + "/" + string(agent) + "/rescind"
	rt, ok, err := r.routes.ChatRoute(ctx, id)
	if err != nil {
		return err
	}
	if !ok || rt.Target.Kind == interaction.TargetAgent {
		_, _, err := r.chats.ExecuteOnce(ctx, id, interaction.System, commandID, interaction.Withdraw{Agent: agent})
		return err
	}
	next, err := r.offer(ctx, id, rt.Target, agent, commandID, nil)
	if err == nil {
		r.offeredOn(ctx, id, "rescinded", next)
	}
	if errors.Is(err, interaction.ErrNotFound) {
		return nil // withdrawn; nobody left: reported (ChatExhausted)
	}
	return err
}

// ChatRescinder takes back the invitations of an agent who logged out:
// its chat offers through Chats (ChatRouter.Rescind), every other
// invitation through Others (consult's Service). Give it to
// Directory.RescindWith.
type ChatRescinder struct {
	Chats  *ChatRouter
	Others Rescinder
}

// Rescind implements Rescinder.
func (c ChatRescinder) Rescind(ctx context.Context, id interaction.ID, invitation interaction.InvitationID, agent interaction.PartyID) error {
	if invitation == ChatOffer {
		if c.Chats == nil {
			return nil
		}
		return c.Chats.Rescind(ctx, id, invitation, agent)
	}
	if c.Others == nil {
		return nil
	}
	return c.Others.Rescind(ctx, id, invitation, agent)
}

// chatOffers is a Rescinder that takes back chat offers (ChatOffer) too;
// a Directory gives chat offers only to one (consult's Service takes back
// legs and requests only).
type chatOffers interface{ rescindsChatOffers() }

func (*ChatRouter) rescindsChatOffers()   {}
func (ChatRescinder) rescindsChatOffers() {}

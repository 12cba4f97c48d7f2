package routing

import (
	"context"
	"errors"
	"sort"
	"sync"
	"time"

	"github.com/chatconsult/chatconsult/interaction"
)

// Directory is the routing directory: the agents with their presence,
// skills, groups, queues and capacity, the load each one carries, and the
// invitations each one holds. It is the consult.Router that resolves a
// target to one available agent, and the interaction.Notifier that keeps
// load and invitations in step with the committed events, so it must be in
// the Notifier chain of the interaction.Service whose chats it routes:
//
//	dir := routing.NewDirectory(routing.WithClock(clock))
//	chats := interaction.NewService(interaction.WithClock(clock),
//		interaction.WithNotifier(interaction.Notifiers{dir, interaction.NewMemoryNotifier()}))
//	desk := consult.New(chats, consult.WithRouter(dir))
//	dir.RescindWith(desk) // optional: logging out withdraws pending invitations
//
// It is safe for concurrent use. It never calls out (to a Rescinder or an
// observer) while holding its own lock, so those may call back into it.
type Directory struct {
	mu         sync.Mutex
	clock      interaction.Clock
	strategy   Strategy
	strategies map[interaction.Target]Strategy
	fanout     int
	fanouts    map[interaction.Target]int
	holdTTL    time.Duration
	notReady   bool // set an agent not ready when it lets an invitation time out
	observer   func(Invitation)
	rescinder  Rescinder
	forward    []interaction.Notifier // see ForwardTo

	agents  map[interaction.PartyID]*agentRecord
	seq     uint64
	sets    map[setKey]*rankedSet
	members map[interaction.Target]int // registered agents per group, skill, queue
	names   map[interaction.Target]string

	// work is what every party holds over all interactions (also parties
	// not registered, so that registering one later starts from the truth).
	work         map[interaction.PartyID]Holding
	interactions map[interaction.ID]*interactionRecord
	holds        []*hold // oldest first, for expiry; used ones linger until swept
	liveHolds    int

	invitations invitationBook

	shared *sharedState // WithStore: a cache of a shared Store (shared.go)
}

type setKey struct {
	target interaction.Target
	medium interaction.Medium
}

type agentRecord struct {
	status  AgentStatus
	targets []interaction.Target
	slots   [][media]slot  // parallel to targets
	holds   [media][]*hold // live holds, oldest first
}

type interactionRecord struct {
	version  uint64
	holdings map[interaction.PartyID]Holding
}

// Option configures a Directory.
type Option func(*Directory)

// WithClock sets the Clock (default interaction.SystemClock). Use the same
// clock as the interaction.Service.
func WithClock(c interaction.Clock) Option { return func(d *Directory) { d.clock = c } }

// WithStrategy sets the default strategy (default LongestIdle).
func WithStrategy(s Strategy) Option {
	return func(d *Directory) {
		if s != nil {
			d.strategy = s
		}
	}
}

// WithOffersAtOnce makes an invitation to a group, skill or queue go to n
// agents at once (default 1): the first to accept wins and the others are
// rescinded in the same write, as the best routers do for skill targets
// (R-X1). consult.Service asks through consult.Fanout.
func WithOffersAtOnce(n int) Option { return func(d *Directory) { d.fanout = n } }

// WithHoldTTL sets how long a pick holds its agent when the invitation is
// neither written nor released (default one minute). See Pick. Not
// guarded: an invitation whose write takes longer than the TTL is counted
// (Notify, Store.Count) although its hold has expired, and if another pick
// took the unit meanwhile the agent is over capacity by one until one of
// them ends. Keep the TTL far above the slowest append (the default is).
func WithHoldTTL(ttl time.Duration) Option { return func(d *Directory) { d.holdTTL = ttl } }

// WithNotReadyOnTimeout makes an agent who lets an invitation time out
// not ready, as real desks do, so that routing stops offering to an agent
// who is not at the desk (default off).
func WithNotReadyOnTimeout(on bool) Option { return func(d *Directory) { d.notReady = on } }

// WithInvitationObserver calls f with every change of an invitation's
// state, in order per interaction. f runs on the goroutine that committed
// the events, while the interaction.Service holds that interaction: it
// must not run commands on it synchronously.
func WithInvitationObserver(f func(Invitation)) Option {
	return func(d *Directory) { d.observer = f }
}

// NewDirectory returns an empty directory.
func NewDirectory(opts ...Option) *Directory {
	d := &Directory{
		clock:        interaction.SystemClock{},
		strategy:     LongestIdle{},
		strategies:   map[interaction.Target]Strategy{},
		fanout:       1,
		fanouts:      map[interaction.Target]int{},
		holdTTL:      time.Minute,
		agents:       map[interaction.PartyID]*agentRecord{},
		sets:         map[setKey]*rankedSet{},
		members:      map[interaction.Target]int{},
		names:        map[interaction.Target]string{},
		work:         map[interaction.PartyID]Holding{},
		interactions: map[interaction.ID]*interactionRecord{},
		invitations:  newInvitationBook(),
	}
	for _, o := range opts {
		o(d)
	}
	return d
}

func refuse(kind error, op, detail string) error {
	return &interaction.Error{Kind: kind, Op: op, Rule: "R-X1", Detail: detail}
}

// Put registers an agent or replaces its profile (skills, groups, queues,
// capacity). Presence and load are kept. A new agent is logged out.
func (d *Directory) Put(a Agent) error {
	if d.shared != nil {
		return d.putShared(context.Background(), a)
	}
	if err := interaction.CheckPartyID(a.ID); err != nil {
		return err // the same rules as every party ID (R-X6): an agent the commands would refuse is not routed to
	}
	for m, n := range a.Capacity {
		if int(m) >= media || n < 0 {
			return refuse(interaction.ErrBadInput, "put agent", "capacity needs a known medium and a count ≥ 0")
		}
	}
	for s, lvl := range a.Skills {
		if s == "" || lvl < 0 {
			return refuse(interaction.ErrBadInput, "put agent", "skill needs a name and a level ≥ 0")
		}
	}
	a = a.clone()
	d.mu.Lock()
	defer d.mu.Unlock()
	r := d.agents[a.ID]
	if r == nil {
		d.seq++
		now := d.clock.Now()
		r = &agentRecord{status: AgentStatus{Presence: LoggedOut, PresenceSince: now, IdleSince: now, Seq: d.seq}}
		w := d.work[a.ID]
		r.status.Load, r.status.Reserved = w.Load, w.Reserved
		d.agents[a.ID] = r
	} else {
		d.unindex(r)
		for _, t := range r.targets {
			d.members[t]--
		}
	}
	r.status.Agent = a
	r.status.Limit = a.limits()
	r.targets = a.targets()
	r.slots = make([][media]slot, len(r.targets))
	for _, t := range r.targets {
		d.members[t]++
	}
	d.reindex(r)
	return nil
}

// Remove takes an agent out of the directory: it is offered nothing more.
// Its load is still counted, should it be registered again.
func (d *Directory) Remove(id interaction.PartyID) error {
	if d.shared != nil {
		return d.RemoveContext(context.Background(), id)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	r := d.agents[id]
	if r == nil {
		return refuse(interaction.ErrNotFound, "remove agent", "no agent "+string(id))
	}
	d.unindex(r)
	for _, t := range r.targets {
		d.members[t]--
	}
	for m := range r.holds {
		for _, h := range r.holds[m] {
			d.dropHold(h)
		}
	}
	delete(d.agents, id)
	return nil
}

// Define gives a group, skill or queue a display name for the Team
// Communicator, and makes it known even before an agent has it.
func (d *Directory) Define(t interaction.Target, name string) error {
	if t.Kind == interaction.TargetAgent || t.ID == "" {
		return refuse(interaction.ErrBadInput, "define", "a group, skill or queue with an ID")
	}
	if err := interaction.CheckTarget(t); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.names[t] = name
	return nil
}

// SetStrategy sets the strategy of one group, skill or queue; nil goes
// back to the directory's default.
func (d *Directory) SetStrategy(t interaction.Target, s Strategy) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if s == nil {
		delete(d.strategies, t)
	} else {
		d.strategies[t] = s
	}
	for _, r := range d.agents {
		for i, at := range r.targets {
			if at == t {
				for m := range r.slots[i] {
					r.slots[i][m].leave()
				}
			}
		}
		d.reindex(r)
	}
}

// SetOffersAtOnce sets how many agents an invitation to one group, skill or
// queue goes to at once; 0 goes back to the directory's default.
func (d *Directory) SetOffersAtOnce(t interaction.Target, n int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if n <= 0 {
		delete(d.fanouts, t)
	} else {
		d.fanouts[t] = n
	}
}

// OffersAtOnce implements consult.Fanout: how many agents an invitation to
// t goes to at once. A named agent is one.
func (d *Directory) OffersAtOnce(t interaction.Target) int {
	if t.Kind == interaction.TargetAgent {
		return 1
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if n, ok := d.fanouts[t]; ok {
		return n
	}
	return max(d.fanout, 1)
}

func (d *Directory) strategyFor(t interaction.Target) Strategy {
	if s, ok := d.strategies[t]; ok {
		return s
	}
	return d.strategy
}

// SetPresence changes an agent's presence. Becoming ready makes it the
// most recently idle. Logging out rescinds its pending invitations through
// the Rescinder, if there is one (see RescindWith); an agent who goes not
// ready or away keeps the invitations it holds and may still answer them.
func (d *Directory) SetPresence(ctx context.Context, id interaction.PartyID, p Presence) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !p.valid() {
		return refuse(interaction.ErrBadInput, "set presence", "unknown presence")
	}
	if d.shared != nil {
		return d.setPresenceShared(ctx, id, p)
	}
	d.mu.Lock()
	r := d.agents[id]
	if r == nil {
		d.mu.Unlock()
		return refuse(interaction.ErrNotFound, "set presence", "no agent "+string(id))
	}
	d.setPresence(r, p, d.clock.Now())
	var pending []Invitation
	rescinder := d.rescinder
	if p == LoggedOut && rescinder != nil {
		pending = d.invitations.rescindable(id)
		if _, ok := rescinder.(chatOffers); ok {
			pending = append(pending, d.invitations.chatOffers(id)...)
		}
	}
	d.mu.Unlock()
	var errs []error
	for _, inv := range pending {
		err := rescinder.Rescind(ctx, inv.Interaction, inv.ID, inv.Invitee)
		// Answered meanwhile: nothing left to rescind.
		if err != nil && !errors.Is(err, interaction.ErrInvalidTransition) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (d *Directory) setPresence(r *agentRecord, p Presence, now time.Time) {
	if r.status.Presence == p {
		return
	}
	r.status.Presence, r.status.PresenceSince = p, now
	if p == Ready {
		r.status.IdleSince = now
	}
	d.reindex(r)
}

// Agent returns a snapshot of one agent.
func (d *Directory) Agent(id interaction.PartyID) (AgentStatus, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	r := d.agents[id]
	if r == nil {
		return AgentStatus{}, false
	}
	d.sweep(d.clock.Now())
	return r.snapshot(), true
}

// Agents returns a snapshot of every agent, in registration order.
func (d *Directory) Agents() []AgentStatus {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.sweep(d.clock.Now())
	out := make([]AgentStatus, 0, len(d.agents))
	for _, r := range d.agents {
		out = append(out, r.snapshot())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return out
}

// Work returns what a party holds over all interactions, registered or
// not: the figure the Notifier keeps in step with the events.
func (d *Directory) Work(id interaction.PartyID) Holding {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.work[id]
}

func (r *agentRecord) snapshot() AgentStatus {
	s := r.status
	s.Agent = s.Agent.clone()
	return s
}

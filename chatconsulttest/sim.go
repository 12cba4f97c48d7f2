package chatconsulttest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/interaction"
)

// Rates are the probabilities that drive a simulation, each in [0, 1].
type Rates struct {
	Consult    float64 // weight of an owner starting a consultation, when it acts
	Decline    float64 // an invited agent declines (consultation, transfer or conference)
	TimeOut    float64 // an invited agent never answers: the invitation times out on the clock
	Transfer   float64 // weight of an owner with an active consultation transferring
	Conference float64 // weight of an owner with an active consultation asking for a conference
	Leave      float64 // weight of a party leaving (owner ends its part, member leaves, contact goes)
	Supervise  float64 // weight of a supervisor monitoring, coaching or barging in (R-X7)
	// Routed: an invitation (consultation, transfer or conference) goes to
	// the skill every agent has, through a routing.Directory offering it to
	// two agents at once (R-X1), instead of to a free agent by name. Zero:
	// no Directory, invitations go to named agents (consult.DirectRouter).
	Routed float64
}

// DefaultRates give stories with every kind of turn.
var DefaultRates = Rates{Consult: 0.3, Decline: 0.2, TimeOut: 0.1, Transfer: 0.15, Conference: 0.15, Leave: 0.1, Supervise: 0.1}

// SimConfig configures a Simulator. Zero fields take their defaults.
type SimConfig struct {
	Seed         uint64
	Agents       int // agents agent1 … agentN (default 8)
	Supervisors  int // supervisors super1 … superN (default 0: none)
	Interactions int // live interactions kept open at once (default 10)
	Rates        Rates
	Store        interaction.Store    // default: a new MemoryStore
	Notifier     interaction.Notifier // default: a new MemoryNotifier
	// InviteTimeout is how long an invitation waits (default 30 s).
	InviteTimeout time.Duration
	// Check runs the invariant checker on every interaction after every
	// command (and the rebuild check); violations land in SimResult.
	Check bool
	// Instances is how many service instances (an interaction.Service and
	// a consult.Service each, with its own cache, IDs and Scheduler) share
	// the Store and the clock; every command goes through one picked at
	// random (default 1). See InvFork and the other R-X1 invariants.
	Instances int
	// RestartRate is the chance, before each step, that an instance is
	// restarted: its Services dropped and rebuilt on the same Store,
	// recovering the pending deadlines (Simulator.Restart).
	RestartRate float64
}

// SimResult counts what a simulation did.
type SimResult struct {
	Commands int // commands sent (timers firing on the clock not included)
	Accepted int
	Refused  int
	Opened   int // interactions opened
	Closed   int // interactions closed (R-C8)
	Stuck    int // ended interactions left because nobody left can mark done
	Events   int // events committed, time-outs included
	Restarts int // instances restarted
	// SecondAccepts: accepts of an offer after another offer of its routed
	// invitation was taken (each must be refused, R-X1).
	SecondAccepts int
	Violations    []Violation
}

// Simulator drives contacts, agents and supervisors acting at random over
// any Store and Notifier. Everything runs on the calling goroutine from
// one seeded source, with sequential IDs and a ManualClock, so the same
// seed and config give a byte-identical event log (see Hash).
type Simulator struct {
	cfg     SimConfig
	rng     *rand.Rand
	Clock   *ManualClock
	Chats   *interaction.Service
	Desk    *consult.Service
	agents  []interaction.PartyID
	supers  []interaction.PartyID
	opened  []interaction.ID
	live    []interaction.ID
	ignored map[interaction.InvitationID]bool
	checks  map[interaction.ID]*Checker
	rec     *recorder
	res     SimResult
	nextCon int
	m       *multi
	routes  map[interaction.ID]*routeWitness // InvRoute, per interaction
}

// recorder hears every committed batch, time-outs included, once: a
// batch told again (a retried command, another instance) is dropped.
type recorder struct {
	batches [][]interaction.Event
	events  int
	seen    map[interaction.ID]uint64
}

func (r *recorder) Notify(_ context.Context, _ *interaction.State, events []interaction.Event) {
	if len(events) == 0 {
		return
	}
	id := events[0].Interaction
	for len(events) > 0 && events[0].Version <= r.seen[id] {
		events = events[1:]
	}
	if len(events) == 0 {
		return
	}
	r.seen[id] = events[len(events)-1].Version
	r.events += len(events)
	r.batches = append(r.batches, events)
}

// NewSimulator returns a simulator; nothing runs until Step or Run.
func NewSimulator(cfg SimConfig) *Simulator {
	if cfg.Agents <= 0 {
		cfg.Agents = 8
	}
	if cfg.Interactions <= 0 {
		cfg.Interactions = 10
	}
	if cfg.Rates == (Rates{}) {
		cfg.Rates = DefaultRates
	}
	if cfg.Store == nil {
		cfg.Store = interaction.NewMemoryStore()
	}
	if cfg.Notifier == nil {
		cfg.Notifier = interaction.NewMemoryNotifier()
	}
	if cfg.InviteTimeout <= 0 {
		cfg.InviteTimeout = 30 * time.Second
	}
	s := &Simulator{
		cfg:     cfg,
		rng:     rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		Clock:   NewManualClock(),
		ignored: map[interaction.InvitationID]bool{},
		checks:  map[interaction.ID]*Checker{},
		rec:     &recorder{seen: map[interaction.ID]uint64{}},
	}
	for i := 1; i <= cfg.Agents; i++ {
		s.agents = append(s.agents, interaction.PartyID("agent"+strconv.Itoa(i)))
	}
	for i := 1; i <= cfg.Supervisors; i++ {
		s.supers = append(s.supers, interaction.PartyID("super"+strconv.Itoa(i)))
	}
	s.setUpInstances()
	s.m.tick = time.Duration(2*s.mean()) * time.Millisecond
	return s
}

// Opened lists the interactions opened so far, in order.
func (s *Simulator) Opened() []interaction.ID { return append([]interaction.ID(nil), s.opened...) }

// Result returns the counts so far.
func (s *Simulator) Result() SimResult { return s.res }

// Hash is StoreHash over every interaction opened, in order of opening.
func (s *Simulator) Hash(ctx context.Context) (string, error) {
	return StoreHash(ctx, s.cfg.Store, s.opened)
}

// Run sends n commands.
func (s *Simulator) Run(ctx context.Context, n int) (SimResult, error) {
	for i := 0; i < n; i++ {
		if _, err := s.Step(ctx); err != nil {
			return s.res, err
		}
	}
	return s.res, nil
}

// Step moves the clock a little (firing due time-outs), then sends one
// command, and returns every event committed meanwhile.
func (s *Simulator) Step(ctx context.Context) ([]interaction.Event, error) {
	s.rec.batches = s.rec.batches[:0]
	if s.m.multiple() {
		if err := s.multiStep(ctx); err != nil {
			return nil, err
		}
	}
	s.Clock.Advance(time.Duration(1+s.rng.IntN(2*s.mean())) * time.Millisecond)
	err := s.act(ctx)
	s.res.Commands++
	var e *interaction.Error
	switch {
	case err == nil:
		s.res.Accepted++
	case errors.As(err, &e):
		s.res.Refused++
	default:
		return nil, err
	}
	var out []interaction.Event
	for _, b := range s.rec.batches {
		out = append(out, b...)
	}
	s.res.Events = s.rec.events
	if s.cfg.Check {
		s.check(ctx)
	}
	return out, nil
}

// mean is about three seconds per interaction between two of its own
// commands, in milliseconds.
func (s *Simulator) mean() int { return max(1, 3000/s.cfg.Interactions) }

func (s *Simulator) check(ctx context.Context) {
	s.witnessRoutes()
	var touched []interaction.ID
	for _, b := range s.rec.batches {
		id := b[0].Interaction
		c := s.checks[id]
		if c == nil {
			c = NewChecker()
			s.checks[id] = c
		}
		s.res.Violations = append(s.res.Violations, c.Add(b)...)
		if len(touched) == 0 || touched[len(touched)-1] != id {
			touched = append(touched, id)
		}
	}
	if s.m.multiple() {
		// An instance's cache may lag the others' writes: check against
		// the state rebuilt from the Store instead.
		s.checkStore(ctx)
		for _, id := range touched {
			if st := s.m.states[id]; st != nil && !s.m.broken[id] {
				s.res.Violations = append(s.res.Violations, s.checks[id].Verify(st)...)
			}
		}
		return
	}
	for _, id := range touched {
		_ = s.Chats.Read(ctx, id, func(st *interaction.State) error {
			s.res.Violations = append(s.res.Violations, s.checks[id].Verify(st)...)
			return nil
		})
	}
}

func (s *Simulator) chance(p float64) bool { return s.rng.Float64() < p }

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// snapshot is what the simulated desk knows of one interaction.
type snapshot struct {
	status   interaction.Status
	contact  interaction.PartyID
	owner    interaction.PartyID
	offered  []interaction.PartyID
	members  []interaction.PartyID
	inChat   map[interaction.PartyID]bool
	inviting []interaction.Leg
	active   []interaction.Leg
	pending  []interaction.Request
	undone   []interaction.PartyID // may mark done now
	stuck    bool                  // ended, someone must mark done, nobody can
	supers   []interaction.Party
	// late: offers of routed invitations rescinded because another offer
	// was accepted first (R-X1): their agents may still try to accept.
	late []interaction.Leg
}

func (s *Simulator) snapshot(ctx context.Context, id interaction.ID) (snapshot, error) {
	var sn snapshot
	err := s.Chats.Read(ctx, id, func(st *interaction.State) error {
		sn = snapshot{status: st.Status, contact: st.Contact, inChat: map[interaction.PartyID]bool{}}
		waiting := false
		for _, p := range st.Parties {
			in := p.Membership == interaction.MemberJoined || p.Membership == interaction.MemberInvited
			sn.inChat[p.ID] = in
			switch {
			case p.Role == interaction.RoleOwner && p.Present():
				sn.owner = p.ID
			case p.Role == interaction.RoleOwner && p.Membership == interaction.MemberInvited && st.Status == interaction.StatusWaiting:
				sn.offered = append(sn.offered, p.ID)
			case p.Role == interaction.RoleMember && p.Present():
				sn.members = append(sn.members, p.ID)
			case p.Role == interaction.RoleSupervisor && p.Present():
				sn.supers = append(sn.supers, p)
			}
			if p.Role == interaction.RoleContact || p.Role == interaction.RoleSupervisor || !p.TookPart || p.Membership == interaction.MemberDone {
				continue
			}
			switch {
			case p.Membership == interaction.MemberLeft || p.Membership == interaction.MemberRemoved ||
				(p.Present() && st.Status == interaction.StatusEnded):
				sn.undone = append(sn.undone, p.ID)
			default:
				waiting = true
			}
		}
		sn.stuck = st.Status == interaction.StatusEnded && len(sn.undone) == 0 && waiting
		for _, l := range st.Legs {
			switch l.State {
			case interaction.LegInviting:
				sn.inviting = append(sn.inviting, l)
			case interaction.LegActive:
				sn.active = append(sn.active, l)
			case interaction.LegCancelled:
				if rt := st.Route(l.Route); rt != nil && rt.Taken != "" && rt.Taken != interaction.InvitationID(l.ID) && st.Status == interaction.StatusActive {
					sn.late = append(sn.late, l)
				}
			}
		}
		for _, r := range st.Requests {
			if r.State == interaction.RequestPending {
				sn.pending = append(sn.pending, r)
			}
		}
		return nil
	})
	return sn, err
}

// act sends one command to a live interaction, opening one when fewer
// than Interactions are live.
func (s *Simulator) act(ctx context.Context) error {
	if len(s.live) < s.cfg.Interactions {
		s.nextCon++
		contact := interaction.PartyID("contact" + strconv.Itoa(s.nextCon))
		id, err := s.Chats.Open(ctx, contact, "Hello, I need help with order "+strconv.Itoa(s.nextCon))
		if err == nil {
			s.opened = append(s.opened, id)
			s.live = append(s.live, id)
			s.res.Opened++
		}
		return err
	}
	i := s.rng.IntN(len(s.live))
	id := s.live[i]
	sn, err := s.snapshot(ctx, id)
	if err != nil {
		return err
	}
	if sn.status == interaction.StatusClosed || sn.stuck {
		s.live = append(s.live[:i], s.live[i+1:]...)
		delete(s.checks, id)
		if sn.stuck {
			s.res.Stuck++
		} else {
			s.res.Closed++
		}
		return s.act(ctx)
	}
	switch sn.status {
	case interaction.StatusWaiting:
		return s.waiting(ctx, id, sn)
	case interaction.StatusEnded:
		_, err := s.Chats.Do(ctx, id, pick(s.rng, sn.undone), interaction.MarkDone{})
		return err
	}
	return s.active(ctx, id, sn)
}

func (s *Simulator) waiting(ctx context.Context, id interaction.ID, sn snapshot) error {
	if len(sn.offered) == 0 {
		if s.chance(0.2) {
			return s.Chats.Post(ctx, id, sn.contact, "Anyone there?")
		}
		return s.Chats.Assign(ctx, id, interaction.System, pick(s.rng, s.agents))
	}
	a := pick(s.rng, sn.offered)
	if s.chance(s.cfg.Rates.Decline) {
		_, err := s.Chats.Do(ctx, id, a, interaction.Decline{})
		return err
	}
	return s.Chats.Join(ctx, id, a)
}

// answer: an invited agent accepts, declines, or never answers.
func (s *Simulator) answer(ctx context.Context, id interaction.ID, sn snapshot) (bool, error) {
	var open []func() error
	for _, l := range sn.inviting {
		if !s.ignored[interaction.InvitationID(l.ID)] {
			open = append(open, func() error {
				switch p := s.rng.Float64(); {
				case p < s.cfg.Rates.TimeOut:
					s.ignored[interaction.InvitationID(l.ID)] = true // the clock will time it out
					return s.Chats.Post(ctx, id, sn.contact, "Still waiting")
				case p < s.cfg.Rates.TimeOut+s.cfg.Rates.Decline:
					return s.Desk.Decline(ctx, id, l.Invitee, l.ID)
				}
				return s.Desk.Accept(ctx, id, l.Invitee, l.ID)
			})
		}
	}
	for _, r := range sn.pending {
		if !s.ignored[interaction.InvitationID(r.ID)] {
			open = append(open, func() error {
				switch p := s.rng.Float64(); {
				case p < s.cfg.Rates.TimeOut:
					s.ignored[interaction.InvitationID(r.ID)] = true
					return s.Chats.Post(ctx, id, sn.owner, "One moment please")
				case p < s.cfg.Rates.TimeOut+s.cfg.Rates.Decline:
					return s.Desk.DeclineRequest(ctx, id, r.Invitee, r.ID)
				}
				return s.Desk.AcceptRequest(ctx, id, r.Invitee, r.ID)
			})
		}
	}
	if len(sn.late) > 0 && s.chance(0.1) {
		// Too late: another agent accepted first. Refused, whichever
		// instance decides it (R-X1).
		l := pick(s.rng, sn.late)
		err := s.Desk.Accept(ctx, id, l.Invitee, l.ID)
		var e *interaction.Error
		if !errors.As(err, &e) || e.Kind != interaction.ErrInvalidTransition || e.Rule != "R-X1" {
			s.res.Violations = append(s.res.Violations, Violation{Rule: "R-X1", Invariant: InvRoute,
				Detail: fmt.Sprintf("%s: %s accepts %s after another offer of its route was taken: %v, want refused (invalid transition, R-X1)", id, l.Invitee, l.ID, err)})
		}
		s.res.SecondAccepts++
		return true, err
	}
	if len(open) == 0 || !s.chance(0.6) {
		return false, nil
	}
	return true, pick(s.rng, open)()
}

type option struct {
	weight float64
	do     func() error
}

func (s *Simulator) active(ctx context.Context, id interaction.ID, sn snapshot) error {
	if done, err := s.answer(ctx, id, sn); done {
		return err
	}
	rates := s.cfg.Rates
	var opts []option
	add := func(w float64, f func() error) {
		if w > 0 {
			opts = append(opts, option{w, f})
		}
	}
	var free []interaction.PartyID
	for _, a := range s.agents {
		if !sn.inChat[a] {
			free = append(free, a)
		}
	}
	n := s.res.Commands
	add(2, func() error { return s.Chats.Post(ctx, id, sn.contact, fmt.Sprintf("question %d", n)) })
	add(2, func() error { return s.Chats.Post(ctx, id, sn.owner, fmt.Sprintf("answer %d", n)) })
	add(0.3, func() error {
		_, err := s.Chats.Do(ctx, id, sn.owner, interaction.Note{Text: "note " + strconv.Itoa(n)})
		return err
	})
	if len(free) > 0 {
		add(3*rates.Consult, func() error {
			medium := pick(s.rng, []interaction.Medium{interaction.MediumChat, interaction.MediumChat, interaction.MediumIM, interaction.MediumVoice})
			_, err := s.Desk.Start(ctx, id, sn.owner, s.target(free), medium)
			return err
		})
		add(rates.Transfer/3, func() error {
			_, err := s.Desk.TransferTo(ctx, id, sn.owner, s.target(free))
			return err
		})
		add(rates.Conference/3, func() error {
			_, err := s.Desk.ConferenceWith(ctx, id, sn.owner, s.target(free))
			return err
		})
	}
	for _, l := range sn.active {
		if l.Medium != interaction.MediumVoice {
			add(1, func() error { return s.Desk.Say(ctx, id, l.Owner, l.ID, fmt.Sprintf("can I %d?", n)) })
			add(1, func() error { return s.Desk.Say(ctx, id, l.Invitee, l.ID, fmt.Sprintf("yes, %d", n)) })
		}
		add(0.3, func() error {
			return s.Desk.EndConsultation(ctx, id, pick(s.rng, []interaction.PartyID{l.Owner, l.Invitee}), l.ID)
		})
		if l.Owner == sn.owner {
			add(2*rates.Transfer, func() error { return s.Desk.Transfer(ctx, id, l.Owner, l.ID) })
			add(2*rates.Conference, func() error {
				_, err := s.Desk.Conference(ctx, id, l.Owner, l.ID)
				return err
			})
		}
	}
	for _, m := range sn.members {
		add(1, func() error { return s.Chats.Post(ctx, id, m, fmt.Sprintf("member note %d", n)) })
		add(rates.Leave, func() error { return s.Chats.Leave(ctx, id, m) })
		add(0.2, func() error { return s.Desk.Remove(ctx, id, sn.owner, m) })
	}
	for _, r := range sn.pending {
		add(0.1, func() error { return s.Desk.CancelRequest(ctx, id, r.Owner, r.ID) })
	}
	for _, l := range sn.inviting {
		add(0.1, func() error { return s.Desk.Cancel(ctx, id, l.Owner, l.ID) })
	}
	add(rates.Leave, func() error { return s.Chats.EndSession(ctx, id, sn.owner) })
	add(rates.Leave/4, func() error { return s.Chats.Leave(ctx, id, sn.contact) })
	if len(s.supers) > 0 {
		engaged := append([]interaction.PartyID{sn.owner}, sn.members...)
		add(rates.Supervise, func() error { return s.supervise(ctx, id, sn, engaged) })
	}
	total := 0.0
	for _, o := range opts {
		total += o.weight
	}
	x := s.rng.Float64() * total
	for _, o := range opts {
		if x < o.weight {
			return o.do()
		}
		x -= o.weight
	}
	return opts[len(opts)-1].do()
}

// supervise: a supervisor starts or switches monitoring, coaches, barges
// in or stops (R-X7).
func (s *Simulator) supervise(ctx context.Context, id interaction.ID, sn snapshot, engaged []interaction.PartyID) error {
	sup := pick(s.rng, s.supers)
	agent := pick(s.rng, engaged)
	switch s.rng.IntN(6) {
	case 0, 1:
		return s.Chats.Monitor(ctx, id, sup, agent)
	case 2, 3:
		return s.Chats.Coach(ctx, id, sup, agent, "offer the voucher")
	case 4:
		return s.Chats.BargeIn(ctx, id, sup)
	}
	if len(sn.supers) > 0 {
		return s.Chats.Leave(ctx, id, pick(s.rng, sn.supers).ID)
	}
	return s.Chats.Monitor(ctx, id, sup, agent)
}

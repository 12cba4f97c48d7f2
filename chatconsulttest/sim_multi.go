package chatconsulttest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/routing"
)

// Multi-instance simulation (issue 13).
//
// With SimConfig.Instances > 1 the Simulator runs that many instances, each
// an interaction.Service (its own cache, its own IDs) and a consult.Service
// (its own Scheduler and in-memory deadline queue), all on ONE Store and
// one ManualClock. Every command goes through an instance picked at random;
// time passes, so invitations time out and the Schedulers fire their
// deadlines (with the Directory as router every Scheduler hears every
// deadline, so the same deadline is fired by more than one instance and
// must apply once). Now and then (RestartRate) an instance is restarted:
// its Services are dropped (the Scheduler stopped) and rebuilt on the same
// Store, recovering with chats.Recover(ctx, desk.Sync), desk.Resume(ctx), or
// both, at random.
//
// With Check set, the Simulator checks after every step, over the Store's
// log and the states rebuilt from it, the multi-instance invariants of R-X1
// (InvFork, InvWinner, InvDeadline, InvFiredOnce), next to the per-
// interaction Checker.

// The multi-instance invariants, checked over the Store after every step.
const (
	// InvFork (R-X1/R-X5): the Store's stream of every interaction rebuilds
	// (versions 1, 2, … accepted by interaction.Apply): no two instances
	// forked it.
	InvFork = "fork"
	// InvWinner (R-X1): no routed invitation has more than one accepted
	// offer, no agent has two active legs of one route, and once an offer
	// is taken none of its rivals is still out.
	InvWinner = "winner"
	// InvDeadline (R-X1): no lost deadline: once the clock moved and the
	// Schedulers ran, no pending invitation's deadline is older than the
	// clock minus one tick.
	InvDeadline = "deadline"
	// InvFiredOnce (R-X1): each deadline's command ID is applied at most
	// once, however many instances fired it.
	InvFiredOnce = "fired-once"
)

// simSkill is the skill every simulated agent has: the target of routed
// invitations (Rates.Routed).
var simSkill = interaction.Target{Kind: interaction.TargetSkill, ID: "billing"}

// simFanOut is how many agents the Directory offers a routed invitation
// to at once.
const simFanOut = 2

// simInstance is one service instance of a multi-instance simulation.
type simInstance struct {
	chats *interaction.Service
	desk  *consult.Service
	gen   int
}

// multi is the state of the multi-instance part of a Simulator.
type multi struct {
	instances []*simInstance
	dir       *routing.Directory // nil unless Rates.Routed > 0
	// states rebuilt from the Store, per interaction, for the R-X1 checks;
	// fired: how often each deadline command ID was applied, per
	// interaction.
	states   map[interaction.ID]*interaction.State
	fired    map[interaction.ID]map[string]int
	broken   map[interaction.ID]bool
	tick     time.Duration // the most the clock moves in one step
	restarts bool          // RestartRate > 0
}

// multiple reports whether instances share the Store or restart: the
// multi-instance steps and checks run.
func (m *multi) multiple() bool { return len(m.instances) > 1 || m.restarts }

// newInstance builds instance i of generation gen on the Simulator's
// Store and clock.
func (s *Simulator) newInstance(i, gen int) *simInstance {
	prefix := "sim-"
	if s.cfg.Instances > 1 || gen > 0 {
		prefix = fmt.Sprintf("sim-%d.%d-", i, gen)
	}
	chain := interaction.Notifiers{s.rec}
	if s.m.dir != nil {
		chain = append(chain, s.m.dir)
	}
	chain = append(chain, s.cfg.Notifier)
	chats := interaction.NewService(interaction.WithStore(s.cfg.Store),
		interaction.WithNotifier(chain),
		interaction.WithClock(s.Clock), interaction.WithIDs(NewSequentialIDs(prefix)),
		interaction.WithSupervision(interaction.AnyoneMaySupervise))
	opts := []consult.Option{consult.WithInviteTimeout(s.cfg.InviteTimeout)}
	if s.m.dir != nil {
		opts = append(opts, consult.WithRouter(s.m.dir))
	}
	return &simInstance{chats: chats, desk: consult.New(chats, opts...), gen: gen}
}

// setUpInstances builds the instances (one unless Instances says more) and
// the Directory when invitations are routed.
func (s *Simulator) setUpInstances() {
	s.m = &multi{states: map[interaction.ID]*interaction.State{}, fired: map[interaction.ID]map[string]int{},
		broken: map[interaction.ID]bool{}, restarts: s.cfg.RestartRate > 0}
	if s.cfg.Rates.Routed > 0 {
		s.m.dir = routing.NewDirectory(routing.WithClock(s.Clock), routing.WithOffersAtOnce(simFanOut))
		lots := routing.Capacity{interaction.MediumChat: 1 << 20, interaction.MediumIM: 1 << 20, interaction.MediumVoice: 1 << 20}
		for _, a := range s.agents {
			_ = s.m.dir.Put(routing.Agent{ID: a, Skills: map[string]int{simSkill.ID: 1}, Capacity: lots})
			_ = s.m.dir.SetPresence(context.Background(), a, routing.Ready)
		}
	}
	for i := range max(1, s.cfg.Instances) {
		s.m.instances = append(s.m.instances, s.newInstance(i, 0))
	}
	s.use(0)
}

// use points Chats and Desk at instance i.
func (s *Simulator) use(i int) {
	s.Chats, s.Desk = s.m.instances[i].chats, s.m.instances[i].desk
}

// Instance returns the Services of instance i (0 ≤ i < Instances), as
// they are now: a restart replaces them.
func (s *Simulator) Instance(i int) (*interaction.Service, *consult.Service) {
	in := s.m.instances[i]
	return in.chats, in.desk
}

// Restart drops instance i's Services (its Scheduler stopped, its cache
// gone) and builds new ones on the same Store, which recover what is
// pending: how is picked at random, chats.Recover(ctx, desk.Sync),
// desk.Resume(ctx), or both. A Store that neither lists its open
// interactions nor is a Log leaves nothing to recover from.
func (s *Simulator) Restart(ctx context.Context, i int) error {
	old := s.m.instances[i]
	old.desk.Stop()
	in := s.newInstance(i, old.gen+1)
	s.m.instances[i] = in
	s.res.Restarts++
	how := s.rng.IntN(3)
	var recErr, resErr error
	if how != 1 {
		_, recErr = in.chats.Recover(ctx, in.desk.Sync)
	}
	if how != 0 {
		resErr = in.desk.Resume(ctx)
	}
	for _, err := range []error{recErr, resErr} {
		var e *interaction.Error
		if err != nil && !(errors.As(err, &e) && (e.Kind == interaction.ErrBadInput || e.Kind == interaction.ErrNotFound)) {
			return err
		}
	}
	return nil
}

// multiStep restarts an instance now and then, and picks the instance the
// step's command goes through.
func (s *Simulator) multiStep(ctx context.Context) error {
	if s.cfg.RestartRate > 0 && s.chance(s.cfg.RestartRate) {
		if err := s.Restart(ctx, s.rng.IntN(len(s.m.instances))); err != nil {
			return err
		}
	}
	s.use(0)
	if len(s.m.instances) > 1 {
		s.use(s.rng.IntN(len(s.m.instances)))
	}
	return nil
}

// target is what a new invitation goes to: a free agent by name, or the
// skill every agent has (routed, two offers at once) at Rates.Routed.
func (s *Simulator) target(free []interaction.PartyID) interaction.Target {
	if s.m.dir != nil && s.chance(s.cfg.Rates.Routed) {
		return simSkill
	}
	return agentTarget(pick(s.rng, free))
}

// checkStore checks the R-X1 invariants over the Store: every interaction
// opened and not known closed is caught up from its stream.
func (s *Simulator) checkStore(ctx context.Context) {
	now := s.Clock.Now()
	sr, _ := s.cfg.Store.(interaction.StreamReader)
	for _, id := range s.opened {
		if s.m.broken[id] {
			continue
		}
		st := s.m.states[id]
		if st != nil && st.Status == interaction.StatusClosed {
			continue
		}
		var events []interaction.Event
		var err error
		if st != nil && sr != nil {
			events, err = sr.LoadFrom(ctx, id, st.Version)
		} else {
			st = &interaction.State{}
			s.m.fired[id] = map[string]int{}
			events, err = s.cfg.Store.Load(ctx, id)
		}
		if err != nil {
			s.violate(id, InvFork, 0, "loading the stream: %v", err)
			continue
		}
		fired := s.m.fired[id]
		if fired == nil {
			fired = map[string]int{}
			s.m.fired[id] = fired
		}
		for i := range events {
			ev := &events[i]
			if err := st.Apply(ev); err != nil {
				s.violate(id, InvFork, ev.Version, "the stream does not rebuild: %v", err)
				break
			}
			if strings.HasPrefix(ev.Cause, "deadline/") && ev.Fingerprint != 0 {
				fired[ev.Cause]++
				if fired[ev.Cause] > 1 {
					s.violate(id, InvFiredOnce, ev.Version, "deadline command %s applied %d times", ev.Cause, fired[ev.Cause])
				}
			}
		}
		if s.m.broken[id] {
			continue
		}
		s.m.states[id] = st
		s.checkRoutes(st)
		for _, d := range st.Deadlines() {
			if d.Due.Add(s.m.tick).Before(now) {
				s.violate(id, InvDeadline, st.Version, "%s %s due %s still pending at %s (lost deadline)",
					d.Kind, d.Invitation, d.Due.Sub(Epoch), now.Sub(Epoch))
			}
		}
	}
}

// checkRoutes: at most one winner per routed invitation (R-X1).
func (s *Simulator) checkRoutes(st *interaction.State) {
	routes := map[interaction.RouteID]bool{}
	for _, l := range st.Legs {
		if l.Route != "" {
			routes[l.Route] = true
		}
	}
	for _, q := range st.Requests {
		if q.Route != "" {
			routes[q.Route] = true
		}
	}
	for id := range routes {
		taken, active := 0, map[interaction.PartyID]int{}
		for _, l := range st.Legs {
			if l.Route != id {
				continue
			}
			switch l.State {
			case interaction.LegActive:
				active[l.Invitee]++
				taken++
			case interaction.LegEnded, interaction.LegTransferred, interaction.LegConferenced:
				taken++
			}
		}
		for _, q := range st.Requests {
			if q.Route == id && q.State == interaction.RequestAccepted {
				taken++
			}
		}
		if taken > 1 {
			s.violate(st.ID, InvWinner, st.Version, "route %s has %d accepted offers", id, taken)
		}
		for a, n := range active {
			if n > 1 {
				s.violate(st.ID, InvWinner, st.Version, "agent %s has %d active legs of route %s", a, n, id)
			}
		}
		if taken > 0 {
			if r := st.Route(id); r != nil && len(r.Out) > 0 {
				s.violate(st.ID, InvWinner, st.Version, "route %s taken by %s with rivals still out: %v", id, r.Taken, r.Out)
			}
		}
	}
}

func (s *Simulator) violate(id interaction.ID, inv string, v uint64, format string, args ...any) {
	if inv == InvFork {
		s.m.broken[id] = true
	}
	s.res.Violations = append(s.res.Violations, Violation{Rule: "R-X1", Invariant: inv, Version: v,
		Detail: string(id) + ": " + fmt.Sprintf(format, args...)})
}

package routing

import "github.com/chatconsult/chatconsult/interaction"

// Strategy orders the available agents of a group, skill or queue: the
// agent with the smallest Rank is offered an invitation first (R-X1).
//
// The Directory keeps, per target and medium, the available agents sorted
// by Rank, so that a pick costs O(log n). For that, Rank must depend only
// on what it is given; the Directory ranks an agent again whenever its
// status changes.
type Strategy interface {
	Name() string
	Rank(a *AgentStatus, target interaction.Target, medium interaction.Medium) Rank
}

// Rank orders candidates: by Primary, then Secondary, then registration
// order (so ranks never tie).
type Rank struct {
	Primary, Secondary int64
}

// Rotating marks a strategy whose order is a circle: each pick starts
// after the agent picked last for the same target and medium, and wraps
// around (round-robin).
type Rotating interface {
	Strategy
	Rotates()
}

// LongestIdle offers to the agent whose work changed longest ago
// (AgentStatus.IdleSince). It is the default.
type LongestIdle struct{}

func (LongestIdle) Name() string { return "longest-idle" }

func (LongestIdle) Rank(a *AgentStatus, _ interaction.Target, _ interaction.Medium) Rank {
	return Rank{Primary: a.IdleSince.UnixNano()}
}

// LeastBusy offers to the agent holding the fewest units of work over all
// media (load, reserved and held); ties go to the longest idle.
type LeastBusy struct{}

func (LeastBusy) Name() string { return "least-busy" }

func (LeastBusy) Rank(a *AgentStatus, _ interaction.Target, _ interaction.Medium) Rank {
	busy := a.Load.Total() + a.Reserved.Total() + a.Held.Total()
	return Rank{Primary: int64(busy), Secondary: a.IdleSince.UnixNano()}
}

// RoundRobin offers to the agents of a target in turn, in registration
// order, starting after the one picked last.
type RoundRobin struct{}

func (RoundRobin) Name() string { return "round-robin" }

func (RoundRobin) Rank(*AgentStatus, interaction.Target, interaction.Medium) Rank { return Rank{} }

// Rotates implements Rotating.
func (RoundRobin) Rotates() {}

// MostSkilled offers a skill to the agent with the highest level in it;
// ties, and group and queue targets, go to the longest idle.
type MostSkilled struct{}

func (MostSkilled) Name() string { return "most-skilled" }

func (MostSkilled) Rank(a *AgentStatus, t interaction.Target, _ interaction.Medium) Rank {
	r := Rank{Secondary: a.IdleSince.UnixNano()}
	if t.Kind == interaction.TargetSkill {
		r.Primary = -int64(a.Level(t.ID))
	}
	return r
}

var (
	_ Strategy = LongestIdle{}
	_ Strategy = LeastBusy{}
	_ Rotating = RoundRobin{}
	_ Strategy = MostSkilled{}
)

package routing

import (
	"sort"
	"time"

	"github.com/chatconsult/chatconsult/interaction"
)

// media is the number of interaction.Medium values (chat, IM, voice).
const media = int(interaction.MediumVoice) + 1

// Capacity is how many units of each medium an agent handles at once.
type Capacity map[interaction.Medium]int

// DefaultCapacity is the capacity of an agent registered without one:
// three chats, three IM sessions, one call.
var DefaultCapacity = Capacity{interaction.MediumChat: 3, interaction.MediumIM: 3, interaction.MediumVoice: 1}

// Agent is what the directory knows about an agent that changes rarely:
// who it is and what it can take. Presence and load are kept by the
// Directory itself.
type Agent struct {
	ID   interaction.PartyID
	Name string // shown by the Team Communicator; the ID when empty
	// Skills maps a skill to the agent's level in it (1 and up). A skill
	// target reaches every agent with the skill at any level; the
	// MostSkilled strategy prefers higher levels.
	Skills map[string]int
	Groups []string
	Queues []string // the interaction queues the agent serves
	// Capacity per medium; nil means DefaultCapacity. A medium missing
	// from a non-nil map has capacity 0: the agent is never offered it.
	Capacity Capacity
}

// Units counts what an agent holds of each medium.
type Units [media]int

// Of returns the count for one medium.
func (u Units) Of(m interaction.Medium) int {
	if int(m) >= media {
		return 0
	}
	return u[m]
}

// Total is the sum over all media.
func (u Units) Total() int {
	n := 0
	for _, x := range u {
		n += x
	}
	return n
}

// AgentStatus is a snapshot of one agent: its profile, presence and load.
type AgentStatus struct {
	Agent
	Presence Presence
	// PresenceSince is when the presence last changed.
	PresenceSince time.Time
	// IdleSince is when the agent's work last changed (an invitation came
	// or went, a chat or consultation began or ended) or it became ready:
	// the longest-idle strategy offers to the smallest first.
	IdleSince time.Time
	// Load: what the agent is in now (joined as owner or member of a chat,
	// or as the target of an active consultation), per medium.
	Load Units
	// Reserved: invitations it has not answered yet, per medium.
	Reserved Units
	// Held: agents picked for an invitation not yet written (see
	// Directory.Pick), per medium.
	Held Units
	// Limit is the capacity per medium.
	Limit Units
	// Seq is the agent's registration order (round-robin's order).
	Seq uint64
}

// Busy is everything that counts against capacity for medium m.
func (s *AgentStatus) Busy(m interaction.Medium) int {
	return s.Load.Of(m) + s.Reserved.Of(m) + s.Held.Of(m)
}

// Free is how many more units of medium m the agent can take.
func (s *AgentStatus) Free(m interaction.Medium) int {
	return s.Limit.Of(m) - s.Busy(m)
}

// Available reports whether routing may offer the agent work in medium m
// now: ready, and below capacity (R-X1).
func (s *AgentStatus) Available(m interaction.Medium) bool {
	return s.Presence == Ready && s.Free(m) > 0
}

// Level returns the agent's level in skill, 0 without it.
func (a *Agent) Level(skill string) int { return a.Skills[skill] }

// displayName is Name, or the ID when Name is empty.
func (a *Agent) displayName() string {
	if a.Name != "" {
		return a.Name
	}
	return string(a.ID)
}

// limits turns the Capacity map into Units.
func (a *Agent) limits() Units {
	c := a.Capacity
	if c == nil {
		c = DefaultCapacity
	}
	var u Units
	for m, n := range c {
		if int(m) < media && n > 0 {
			u[m] = n
		}
	}
	return u
}

// targets lists the group, skill and queue targets the agent belongs to,
// without duplicates.
func (a *Agent) targets() []interaction.Target {
	var out []interaction.Target
	seen := map[interaction.Target]bool{}
	add := func(k interaction.TargetKind, id string) {
		t := interaction.Target{Kind: k, ID: id}
		if id != "" && !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	for _, g := range a.Groups {
		add(interaction.TargetGroup, g)
	}
	skills := make([]string, 0, len(a.Skills))
	for s, lvl := range a.Skills {
		if lvl > 0 {
			skills = append(skills, s)
		}
	}
	sort.Strings(skills)
	for _, s := range skills {
		add(interaction.TargetSkill, s)
	}
	for _, q := range a.Queues {
		add(interaction.TargetQueue, q)
	}
	return out
}

// clone copies the profile so the Directory shares nothing with the caller.
func (a Agent) clone() Agent {
	c := a
	if a.Skills != nil {
		c.Skills = make(map[string]int, len(a.Skills))
		for k, v := range a.Skills {
			c.Skills[k] = v
		}
	}
	c.Groups = append([]string(nil), a.Groups...)
	c.Queues = append([]string(nil), a.Queues...)
	if a.Capacity != nil {
		c.Capacity = make(Capacity, len(a.Capacity))
		for k, v := range a.Capacity {
			c.Capacity[k] = v
		}
	}
	return c
}

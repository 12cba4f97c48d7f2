package routing

import (
	"context"
	"sort"
	"strings"

	"github.com/chatconsult/chatconsult/interaction"
)

// Entry is one target the agent desk can aim a consultation, transfer or
// conference at, with its availability now.
type Entry struct {
	Target interaction.Target
	Name   string
	// Presence of an agent; LoggedOut for a group, skill or queue.
	Presence Presence
	// Agents is a group's, skill's or queue's number of registered
	// agents (1 for an agent).
	Agents int
	// Available counts the agents an invitation could reach now for the
	// query's medium: for an agent 1 or 0 (by the named-agent rule: ready
	// or not ready, below capacity), for a group, skill or queue its ready
	// agents below capacity.
	Available int
}

// Query says what the Team Communicator looks for.
type Query struct {
	// Text is matched, case-insensitively, against IDs and names: entries
	// with a word of the ID or name starting with it come first, then those
	// that contain it elsewhere. Empty matches everything.
	Text string
	// Kinds keeps only these kinds of target; empty keeps all.
	Kinds []interaction.TargetKind
	// Medium is the medium availability is counted for (default chat).
	Medium interaction.Medium
	// AvailableOnly drops entries nobody could be reached through now.
	AvailableOnly bool
	// Limit caps the number of entries (≤ 0: no cap).
	Limit int
}

// Search finds targets for the Team Communicator. It costs one pass over
// the agents and targets.
func (d *Directory) Search(ctx context.Context, q Query) ([]Entry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if int(q.Medium) >= media {
		return nil, refuse(interaction.ErrBadInput, "search", "unknown medium")
	}
	text := strings.ToLower(strings.TrimSpace(q.Text))
	want := func(k interaction.TargetKind) bool {
		if len(q.Kinds) == 0 {
			return true
		}
		for _, x := range q.Kinds {
			if x == k {
				return true
			}
		}
		return false
	}
	type hit struct {
		e      Entry
		prefix bool
	}
	var hits []hit
	consider := func(e Entry) {
		if q.AvailableOnly && e.Available == 0 {
			return
		}
		id, name := strings.ToLower(e.Target.ID), strings.ToLower(e.Name)
		switch {
		case wordPrefix(id, text) || wordPrefix(name, text):
			hits = append(hits, hit{e, true})
		case strings.Contains(id, text) || strings.Contains(name, text):
			hits = append(hits, hit{e, false})
		}
	}
	d.mu.Lock()
	d.sweep(d.clock.Now())
	if want(interaction.TargetAgent) {
		for _, r := range d.agents {
			e := Entry{Target: interaction.Target{Kind: interaction.TargetAgent, ID: string(r.status.ID)},
				Name: r.status.displayName(), Presence: r.status.Presence, Agents: 1}
			if r.status.Presence.reachableByName() && r.status.Free(q.Medium) > 0 {
				e.Available = 1
			}
			consider(e)
		}
	}
	targets := map[interaction.Target]bool{}
	for t, n := range d.members {
		if n > 0 {
			targets[t] = true
		}
	}
	for t := range d.names {
		targets[t] = true
	}
	for t := range targets {
		if !want(t.Kind) {
			continue
		}
		e := Entry{Target: t, Name: d.names[t], Agents: d.members[t]}
		if e.Name == "" {
			e.Name = t.ID
		}
		if s := d.sets[setKey{t, q.Medium}]; s != nil {
			e.Available = s.size
		}
		consider(e)
	}
	d.mu.Unlock()
	sort.Slice(hits, func(i, j int) bool {
		a, b := hits[i], hits[j]
		if a.prefix != b.prefix {
			return a.prefix
		}
		if a.e.Target.Kind != b.e.Target.Kind {
			return a.e.Target.Kind < b.e.Target.Kind
		}
		if an, bn := strings.ToLower(a.e.Name), strings.ToLower(b.e.Name); an != bn {
			return an < bn
		}
		return a.e.Target.ID < b.e.Target.ID
	})
	if q.Limit > 0 && len(hits) > q.Limit {
		hits = hits[:q.Limit]
	}
	out := make([]Entry, len(hits))
	for i := range hits {
		out[i] = hits[i].e
	}
	return out, nil
}

// wordPrefix reports whether prefix starts s or one of its words (split
// at spaces, dashes, dots and underscores): "smi" finds "Bill Smith".
func wordPrefix(s, prefix string) bool {
	if strings.HasPrefix(s, prefix) {
		return true
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '-', '_', '.':
			if strings.HasPrefix(s[i+1:], prefix) {
				return true
			}
		}
	}
	return false
}

// Consultations is what the Team Communicator needs from package consult:
// consult.Service implements it.
type Consultations interface {
	ActiveConsultations(ctx context.Context, id interaction.ID) ([]interaction.Leg, error)
}

// TeamCommunicator is the agent desk's search box: targets by name or kind
// with their availability, and the viewer's active consultations of the
// interaction it is working on (what it can transfer or conference to,
// R-C11, R-T1, R-F1).
type TeamCommunicator struct {
	Directory     *Directory
	Consultations Consultations
}

// Results is what one search finds.
type Results struct {
	Targets []Entry
	// Consultations are the active consultation legs of the interaction
	// that viewer owns: each is private to its two agents (R-X3), so the
	// viewer never sees another agent's.
	Consultations []interaction.Leg
}

// Find searches the directory and, when id is not empty, lists viewer's
// active consultations of interaction id.
func (tc TeamCommunicator) Find(ctx context.Context, id interaction.ID, viewer interaction.PartyID, q Query) (Results, error) {
	var res Results
	var err error
	if res.Targets, err = tc.Directory.Search(ctx, q); err != nil {
		return Results{}, err
	}
	if id == "" || tc.Consultations == nil {
		return res, nil
	}
	legs, err := tc.Consultations.ActiveConsultations(ctx, id)
	if err != nil {
		return Results{}, err
	}
	for _, l := range legs {
		if l.Owner == viewer {
			res.Consultations = append(res.Consultations, l)
		}
	}
	return res, nil
}

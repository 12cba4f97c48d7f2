package routing

import (
	"context"
	"time"

	"github.com/chatconsult/chatconsult/interaction"
)

// hold is one unit of one medium kept for an agent between a pick and the
// invitation it is for (see Pick).
type hold struct {
	agent  *agentRecord
	medium interaction.Medium
	at     time.Time
	live   bool
}

// Pick implements consult.Router: the first available agent for target and
// medium under the target's strategy, leaving out exclude (R-C2, R-X1).
//
// A group, skill or queue resolves to a ready agent below capacity. A named
// agent is reachable when it is ready or not ready (not away, not logged
// out) and below capacity: the colleague who names it sees its presence.
// Nobody available is an error wrapping interaction.ErrNotFound.
//
// The agent picked is held: one unit of medium counts against its capacity
// until the invitation reaches the Notifier (the hold turns into the
// invitation's reservation), Release gives it back, or the hold TTL ends.
// So two picks racing for an agent's last unit cannot both win.
//
// Decides R-C2, R-X1: which available agent of a group, skill or queue is offered next.
func (d *Directory) Pick(ctx context.Context, t interaction.Target, m interaction.Medium, exclude []interaction.PartyID) (interaction.PartyID, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if int(m) >= media {
		return "", refuse(interaction.ErrBadInput, "route", "unknown medium")
	}
	if d.shared != nil {
		return d.pickShared(ctx, t, m, exclude)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.clock.Now()
	d.sweep(now)
	var r *agentRecord
	if t.Kind == interaction.TargetAgent {
		var err error
		if r, err = d.named(t, m, exclude); err != nil {
			return "", err
		}
	} else {
		if t.ID == "" || t.Kind > interaction.TargetQueue {
			return "", refuse(interaction.ErrBadInput, "route", "target needs a known kind and an ID")
		}
		s := d.sets[setKey{t, m}]
		if s != nil {
			d.scan(t, s, exclude, func(n *rankNode) bool { r = n.agent; return false })
		}
		if r == nil {
			if d.members[t] == 0 && d.names[t] == "" {
				return "", refuse(interaction.ErrNotFound, "route", "no "+t.String())
			}
			return "", refuse(interaction.ErrNotFound, "route", "no agent of "+t.String()+" is available for "+m.String())
		}
		if _, ok := d.strategyFor(t).(Rotating); ok {
			s.cursor = r.status.Seq
		}
	}
	d.hold(r, m, now)
	return r.status.ID, nil
}

// named checks that a named agent can be invited.
func (d *Directory) named(t interaction.Target, m interaction.Medium, exclude []interaction.PartyID) (*agentRecord, error) {
	if t.ID == "" {
		return nil, refuse(interaction.ErrBadInput, "route", "empty agent target")
	}
	r := d.agents[interaction.PartyID(t.ID)]
	switch {
	case r == nil:
		return nil, refuse(interaction.ErrNotFound, "route", "agent "+t.ID+" is not in the directory")
	case excluded(exclude, r.status.ID):
		return nil, refuse(interaction.ErrNotFound, "route", "agent "+t.ID+" is already in this interaction or was tried")
	case !r.status.Presence.reachableByName():
		return nil, refuse(interaction.ErrNotFound, "route", "agent "+t.ID+" is "+r.status.Presence.String())
	case r.status.Free(m) <= 0:
		return nil, refuse(interaction.ErrNotFound, "route", "agent "+t.ID+" is at capacity for "+m.String())
	}
	return r, nil
}

// Candidates lists, without holding anyone, up to limit agents that Pick
// would offer target to, in order (limit ≤ 0: all of them).
func (d *Directory) Candidates(ctx context.Context, t interaction.Target, m interaction.Medium, exclude []interaction.PartyID, limit int) ([]AgentStatus, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if int(m) >= media {
		return nil, refuse(interaction.ErrBadInput, "candidates", "unknown medium")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.sweep(d.clock.Now())
	if t.Kind == interaction.TargetAgent {
		r, err := d.named(t, m, exclude)
		if err != nil {
			return nil, nil
		}
		return []AgentStatus{r.snapshot()}, nil
	}
	var out []AgentStatus
	if s := d.sets[setKey{t, m}]; s != nil {
		d.scan(t, s, exclude, func(n *rankNode) bool {
			out = append(out, n.agent.snapshot())
			return limit <= 0 || len(out) < limit
		})
	}
	return out, nil
}

// Hold reserves one unit of medium for a named agent without routing: for
// an agent already in the interaction who is about to take on more of it,
// as when a voice consultation becomes a chat transfer or conference
// (consult.Service calls it). It needs capacity, not readiness.
func (d *Directory) Hold(ctx context.Context, agent interaction.PartyID, m interaction.Medium) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if int(m) >= media {
		return refuse(interaction.ErrBadInput, "hold", "unknown medium")
	}
	if d.shared != nil {
		return d.holdNamedShared(ctx, agent, m)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.clock.Now()
	d.sweep(now)
	r := d.agents[agent]
	switch {
	case r == nil:
		return refuse(interaction.ErrNotFound, "hold", "agent "+string(agent)+" is not in the directory")
	case r.status.Free(m) <= 0:
		return refuse(interaction.ErrNotFound, "hold", "agent "+string(agent)+" is at capacity for "+m.String())
	}
	d.hold(r, m, now)
	return nil
}

// Release gives back a hold made by Pick or Hold whose invitation was not
// written (the command was refused).
func (d *Directory) Release(agent interaction.PartyID, m interaction.Medium) {
	if int(m) >= media {
		return
	}
	if d.shared != nil {
		if err := d.ReleaseContext(context.Background(), agent, m); err != nil {
			d.shared.onError(err)
		}
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	r := d.agents[agent]
	if r == nil || len(r.holds[m]) == 0 {
		return
	}
	hs := r.holds[m]
	h := hs[len(hs)-1]
	r.holds[m] = hs[:len(hs)-1]
	d.dropHold(h)
	r.status.Held[m]--
	d.reindex(r)
}

func (d *Directory) hold(r *agentRecord, m interaction.Medium, now time.Time) {
	h := &hold{agent: r, medium: m, at: now, live: true}
	r.holds[m] = append(r.holds[m], h)
	r.status.Held[m]++
	r.status.IdleSince = now
	d.holds = append(d.holds, h)
	d.liveHolds++
	d.reindex(r)
}

func (d *Directory) dropHold(h *hold) {
	if h.live {
		h.live = false
		d.liveHolds--
	}
}

// consumeHolds turns up to n of r's holds on m into the reservations or
// load that the Notifier has just counted.
func (d *Directory) consumeHolds(r *agentRecord, m interaction.Medium, n int) {
	for ; n > 0 && len(r.holds[m]) > 0; n-- {
		h := r.holds[m][0]
		r.holds[m] = r.holds[m][1:]
		d.dropHold(h)
		r.status.Held[m]--
	}
}

// sweep drops expired holds (and forgets used ones) from the front of the
// queue: holds are queued in time order and share one TTL.
func (d *Directory) sweep(now time.Time) {
	i := 0
	for ; i < len(d.holds); i++ {
		h := d.holds[i]
		if h.live {
			if now.Sub(h.at) < d.holdTTL {
				break
			}
			r := h.agent
			for j, x := range r.holds[h.medium] {
				if x == h {
					r.holds[h.medium] = append(r.holds[h.medium][:j], r.holds[h.medium][j+1:]...)
					break
				}
			}
			d.dropHold(h)
			r.status.Held[h.medium]--
			d.reindex(r)
		}
		d.holds[i] = nil
	}
	d.holds = d.holds[i:]
	if len(d.holds) > 64 && len(d.holds) > 4*d.liveHolds {
		// A long-lived hold at the front keeps used ones queued behind it:
		// drop those now, so the queue stays within a few times the live ones.
		live := d.holds[:0]
		for _, h := range d.holds {
			if h.live {
				live = append(live, h)
			}
		}
		clear(d.holds[len(live):])
		d.holds = live
	}
}

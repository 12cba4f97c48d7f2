package routing

import "github.com/chatconsult/chatconsult/interaction"

// slot is the agent's place in the ranked set of one target and medium;
// the node is kept and reused when the agent is ranked again.
type slot struct {
	set   *rankedSet
	node  *rankNode // nil while the agent is not in the set
	reuse *rankNode // a node taken out, to insert again without allocating
}

// reindex puts r into, or takes it out of, the ranked sets of its targets
// so that each set holds exactly the agents available for its medium,
// under their current rank.
func (d *Directory) reindex(r *agentRecord) {
	for i, t := range r.targets {
		st := d.strategyFor(t)
		for m := range r.slots[i] {
			sl := &r.slots[i][m]
			medium := interaction.Medium(m)
			if !r.status.Available(medium) {
				sl.leave()
				continue
			}
			rk := st.Rank(&r.status, t, medium)
			key := rankKey{primary: rk.Primary, secondary: rk.Secondary, seq: r.status.Seq}
			if sl.node != nil && sl.node.key == key {
				continue
			}
			sl.leave()
			if sl.set == nil {
				sl.set = d.set(t, medium)
			}
			sl.node = sl.set.insert(key, r, sl.reuse)
			sl.reuse = nil
		}
	}
}

// set returns the ranked set of target and medium, made on first use.
func (d *Directory) set(t interaction.Target, m interaction.Medium) *rankedSet {
	k := setKey{t, m}
	s := d.sets[k]
	if s == nil {
		s = &rankedSet{}
		d.sets[k] = s
	}
	return s
}

// leave takes the agent out of the slot's set, keeping the node for reuse.
func (sl *slot) leave() {
	if sl.node != nil {
		sl.set.delete(sl.node.key)
		sl.reuse, sl.node = sl.node, nil
	}
}

func (d *Directory) unindex(r *agentRecord) {
	for i := range r.slots {
		for m := range r.slots[i] {
			r.slots[i][m].leave()
		}
	}
}

// scan walks a ranked set in strategy order, skipping excluded agents.
func (d *Directory) scan(t interaction.Target, s *rankedSet, exclude []interaction.PartyID, f func(*rankNode) bool) {
	start, wrap := s.first(), false
	if _, ok := d.strategyFor(t).(Rotating); ok {
		start, wrap = s.afterSeq(s.cursor), true
	}
	s.each(start, wrap, func(n *rankNode) bool {
		if excluded(exclude, n.agent.status.ID) {
			return true
		}
		return f(n)
	})
}

func excluded(list []interaction.PartyID, id interaction.PartyID) bool {
	for _, x := range list {
		if x == id {
			return true
		}
	}
	return false
}

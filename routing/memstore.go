package routing

import (
	"context"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/chatconsult/chatconsult/interaction"
)

// MemoryStore is the in-memory Store: the routing state shared by the
// Directories of one process (tests, a single process with several
// Services). Its change feed is a log of agent IDs with positions under
// its lock. One mutex guards it: each method is a few map operations.
type MemoryStore struct {
	mu      sync.Mutex
	agents  map[interaction.PartyID]*memAgent
	holds   map[string]*memHold
	work    map[interaction.ID]*memWork
	seq     uint64
	feed    []feedEntry // in position order; Prune keeps each agent's last
	feedEnd uint64      // the last position given out
	changed chan struct{}
	routes  map[interaction.ID]*memChatRoute // ChatRoutes
}

type feedEntry struct {
	pos   uint64
	agent interaction.PartyID
}

type memAgent struct {
	rec   Record
	holds []*memHold // oldest first
}

type memHold struct {
	HoldRequest
}

type memWork struct {
	version uint64
	at      time.Time // CountRequest.At of the last count
	// holdings empty: the interaction holds nothing; the entry is the
	// version guard only, until Prune forgets it.
	holdings map[interaction.PartyID]Holding
	offers   map[interaction.PartyID][]interaction.InvitationID
}

var (
	_ Store   = (*MemoryStore)(nil)
	_ Watcher = (*MemoryStore)(nil)
)

// NewMemoryStore returns an empty routing store.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{agents: map[interaction.PartyID]*memAgent{}, holds: map[string]*memHold{},
		work: map[interaction.ID]*memWork{}}
}

// Changed implements Watcher.
func (m *MemoryStore) Changed() <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.changed == nil {
		m.changed = make(chan struct{})
	}
	return m.changed
}

// touch records a change of a: a new Rev, a feed entry. Called with m.mu held.
func (m *MemoryStore) touch(a *memAgent) Record {
	a.rec.Rev++
	a.rec.Held = Units{}
	a.rec.HoldsExpire = time.Time{}
	for _, h := range a.holds {
		a.rec.Held[h.Medium]++
		if a.rec.HoldsExpire.IsZero() || h.Expires.Before(a.rec.HoldsExpire) {
			a.rec.HoldsExpire = h.Expires
		}
	}
	m.feedEnd++
	m.feed = append(m.feed, feedEntry{pos: m.feedEnd, agent: a.rec.Agent.ID})
	if m.changed != nil {
		close(m.changed)
		m.changed = nil
	}
	return a.rec.Clone()
}

func (m *MemoryStore) agent(id interaction.PartyID) *memAgent {
	a := m.agents[id]
	if a == nil {
		a = &memAgent{rec: Record{Agent: Agent{ID: id}}}
		m.agents[id] = a
	}
	return a
}

// Put implements Store.
func (m *MemoryStore) Put(ctx context.Context, ag Agent, now time.Time) (Record, error) {
	if err := ctx.Err(); err != nil {
		return Record{}, err
	}
	if err := CheckAgent(ag); err != nil {
		return Record{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	a := m.agent(ag.ID)
	if !a.rec.Registered {
		m.seq++
		a.rec.Registered, a.rec.Seq = true, m.seq
		a.rec.Presence, a.rec.PresenceSince, a.rec.IdleSince = LoggedOut, now, now
	}
	a.rec.Agent = ag.clone()
	return m.touch(a), nil
}

// Remove implements Store.
func (m *MemoryStore) Remove(ctx context.Context, id interaction.PartyID) (Record, error) {
	if err := ctx.Err(); err != nil {
		return Record{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	a := m.agents[id]
	if a == nil || !a.rec.Registered {
		return Record{}, storeErr(interaction.ErrNotFound, "remove agent", "no agent "+string(id))
	}
	a.rec.Registered, a.rec.Presence = false, LoggedOut
	for _, h := range a.holds {
		delete(m.holds, h.ID)
	}
	a.holds = nil
	return m.touch(a), nil
}

// SetPresence implements Store.
func (m *MemoryStore) SetPresence(ctx context.Context, id interaction.PartyID, p Presence, now time.Time) (Record, error) {
	if err := ctx.Err(); err != nil {
		return Record{}, err
	}
	if !p.valid() {
		return Record{}, storeErr(interaction.ErrBadInput, "set presence", "unknown presence")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	a := m.agents[id]
	if a == nil || !a.rec.Registered {
		return Record{}, storeErr(interaction.ErrNotFound, "set presence", "no agent "+string(id))
	}
	if a.rec.Presence == p {
		return a.rec.Clone(), nil
	}
	a.rec.Presence, a.rec.PresenceSince = p, now
	if p == Ready {
		a.rec.IdleSince = now
	}
	return m.touch(a), nil
}

// Hold implements Store.
func (m *MemoryStore) Hold(ctx context.Context, h HoldRequest) (Record, error) {
	if err := ctx.Err(); err != nil {
		return Record{}, err
	}
	if int(h.Medium) >= media || h.ID == "" {
		return Record{}, storeErr(interaction.ErrBadInput, "hold", "a hold needs an ID and a known medium")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	a := m.agents[h.Agent]
	if a == nil || !a.rec.Registered {
		var rec Record
		if a != nil {
			rec = a.rec.Clone()
		}
		return rec, storeErr(interaction.ErrNotFound, "hold", "agent "+string(h.Agent)+" is not in the directory")
	}
	if _, dup := m.holds[h.ID]; dup {
		return a.rec.Clone(), storeErr(interaction.ErrConflict, "hold", "hold "+h.ID+" exists")
	}
	if !a.rec.CanHold(h.Medium, h.Need) {
		return a.rec.Clone(), storeErr(interaction.ErrConflict, "hold", "agent "+string(h.Agent)+" is not available for "+h.Medium.String())
	}
	mh := &memHold{h}
	m.holds[h.ID] = mh
	a.holds = append(a.holds, mh)
	a.rec.IdleSince = h.At
	return m.touch(a), nil
}

// Release implements Store.
func (m *MemoryStore) Release(ctx context.Context, id string) (Record, bool, error) {
	if err := ctx.Err(); err != nil {
		return Record{}, false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	h := m.holds[id]
	if h == nil {
		return Record{}, false, nil
	}
	a := m.dropHold(h)
	return m.touch(a), true, nil
}

func (m *MemoryStore) dropHold(h *memHold) *memAgent {
	delete(m.holds, h.ID)
	a := m.agents[h.Agent]
	if i := slices.Index(a.holds, h); i >= 0 {
		a.holds = slices.Delete(a.holds, i, i+1)
	}
	return a
}

// Expire implements Store.
func (m *MemoryStore) Expire(ctx context.Context, now time.Time) ([]Record, time.Time, error) {
	if err := ctx.Err(); err != nil {
		return nil, time.Time{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	touched := map[*memAgent]bool{}
	var next time.Time
	for _, h := range m.holds {
		if !h.Expires.After(now) {
			touched[m.dropHold(h)] = true
		} else if next.IsZero() || h.Expires.Before(next) {
			next = h.Expires
		}
	}
	var out []Record
	for a := range touched {
		out = append(out, m.touch(a))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Agent.ID < out[j].Agent.ID })
	return out, next, nil
}

// Count implements Store.
func (m *MemoryStore) Count(ctx context.Context, c CountRequest) (CountResult, error) {
	if err := ctx.Err(); err != nil {
		return CountResult{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	w := m.work[c.Interaction]
	if w != nil && c.Version <= w.version {
		return CountResult{}, nil
	}
	var old map[interaction.PartyID]Holding
	if w != nil {
		old = w.holdings
	}
	res := CountResult{Applied: true}
	parties := map[interaction.PartyID]bool{}
	for p := range c.Holdings {
		parties[p] = true
	}
	for p := range old {
		parties[p] = true
	}
	ids := make([]interaction.PartyID, 0, len(parties))
	for p := range parties {
		if old[p] != c.Holdings[p] {
			ids = append(ids, p)
		}
	}
	slices.Sort(ids)
	for _, p := range ids {
		o, h := old[p], c.Holdings[p]
		a := m.agent(p)
		for i := 0; i < media; i++ {
			a.rec.Load[i] += h.Load[i] - o.Load[i]
			a.rec.Reserved[i] += h.Reserved[i] - o.Reserved[i]
			grew := h.Busy(interaction.Medium(i)) - o.Busy(interaction.Medium(i))
			if c.Holder == "" {
				continue
			}
			for j := 0; j < len(a.holds) && grew > 0; {
				if hd := a.holds[j]; hd.Holder == c.Holder && int(hd.Medium) == i {
					res.Consumed = append(res.Consumed, hd.ID)
					m.dropHold(hd)
					grew--
					continue
				}
				j++
			}
		}
		a.rec.IdleSince = c.At
		res.Changed = append(res.Changed, m.touch(a))
	}
	if isZeroHoldings(c.Holdings) {
		// Kept as the version guard: a late count of an older version
		// must not count again what the interaction no longer holds.
		m.work[c.Interaction] = &memWork{version: c.Version, at: c.At}
	} else {
		hs := make(map[interaction.PartyID]Holding, len(c.Holdings))
		for p, h := range c.Holdings {
			if !h.isZero() {
				hs[p] = h
			}
		}
		offers := map[interaction.PartyID][]interaction.InvitationID{}
		for p, ids := range c.Offers {
			offers[p] = slices.Clone(ids)
		}
		m.work[c.Interaction] = &memWork{version: c.Version, at: c.At, holdings: hs, offers: offers}
	}
	return res, nil
}

func isZeroHoldings(hs map[interaction.PartyID]Holding) bool {
	for _, h := range hs {
		if !h.isZero() {
			return false
		}
	}
	return true
}

// Offers implements Store.
func (m *MemoryStore) Offers(ctx context.Context, agent interaction.PartyID) ([]Offer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Offer
	for id, w := range m.work {
		for _, inv := range w.offers[agent] {
			out = append(out, Offer{Interaction: id, Invitation: inv})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Interaction != out[j].Interaction {
			return out[i].Interaction < out[j].Interaction
		}
		return out[i].Invitation < out[j].Invitation
	})
	return out, nil
}

// Counted implements Store.
func (m *MemoryStore) Counted(ctx context.Context, after interaction.ID, limit int) ([]interaction.ID, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []interaction.ID
	for id, w := range m.work {
		if id > after && len(w.holdings) > 0 {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// Changes implements Store.
func (m *MemoryStore) Changes(ctx context.Context, after Position, limit int) ([]Record, Position, error) {
	if err := ctx.Err(); err != nil {
		return nil, after, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Record
	seen := map[interaction.PartyID]bool{}
	next := after.Seq
	i := sort.Search(len(m.feed), func(i int) bool { return m.feed[i].pos > after.Seq })
	for ; i < len(m.feed); i++ {
		id := m.feed[i].agent
		if !seen[id] {
			if limit > 0 && len(out) >= limit {
				break
			}
			seen[id] = true
			out = append(out, m.agents[id].rec.Clone())
		}
		next = m.feed[i].pos
	}
	if i == len(m.feed) {
		next = max(next, m.feedEnd)
	}
	return out, Position{Seq: next}, nil
}

// Snapshot implements Store.
func (m *MemoryStore) Snapshot(ctx context.Context) ([]Record, Position, error) {
	if err := ctx.Err(); err != nil {
		return nil, Position{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Record, 0, len(m.agents))
	for _, a := range m.agents {
		out = append(out, a.rec.Clone())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Agent.ID < out[j].Agent.ID })
	return out, Position{Seq: m.feedEnd}, nil
}

var _ Pruner = (*MemoryStore)(nil)

// Prune implements Pruner.
func (m *MemoryStore) Prune(ctx context.Context, countedBefore time.Time) (PruneResult, error) {
	if err := ctx.Err(); err != nil {
		return PruneResult{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var res PruneResult
	last := make(map[interaction.PartyID]uint64, len(m.agents))
	for _, e := range m.feed {
		last[e.agent] = e.pos
	}
	kept := m.feed[:0]
	for _, e := range m.feed {
		if last[e.agent] == e.pos {
			kept = append(kept, e)
		} else {
			res.Changes++
		}
	}
	clear(m.feed[len(kept):])
	m.feed = kept
	for id, w := range m.work {
		if len(w.holdings) == 0 && w.at.Before(countedBefore) {
			delete(m.work, id)
			res.Counted++
		}
	}
	return res, nil
}

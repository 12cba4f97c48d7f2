package routing

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"math"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/chatconsult/chatconsult/interaction"
)

// A Directory made WithStore is a cache of a routing Store shared by every
// instance (issue 14). What changes an agent (Put, Remove, SetPresence,
// Pick's hold, Hold, Release, the counts of Notify and Sync) is written to
// the Store first, in one atomic write per change, and the Record it
// returns is applied to the cache; what other Directories change reaches
// the cache from the Store's change feed (Refresh, Follow). Picking ranks
// the cached agents in memory, O(log n) as before, and then takes the unit
// with the Store's conditional hold: when another instance took it first
// (or the cache was stale: the agent went away, is at capacity), the hold
// is refused, the cache gets the agent's current Record, and the pick goes
// on to the next candidate. So capacity holds across instances, whatever
// the caches say.
//
// Concurrent picks spread over the candidates (issue 14: picks serialised
// on the longest-idle agent's row). Callers of one Directory that read
// the cache at the same moment would all choose the same first agent and
// queue on its row lock. So a routed pick (group, skill, queue) passes
// over the agents whose hold is under way in this Directory, and asks the
// Store not to wait for a row another instance is writing
// (HoldRequest.NoWait): an agent refused that way, whose Record says it
// has room, is tried again, waiting, only when nobody else is left. The
// Store still decides every unit, so the capacity guarantee is the same;
// what changes is the strategy's meaning under contention: with k picks
// of the target under way, the agent picked is one of the k+1 first in
// the strategy's order (longest idle becomes "one of the k+1 longest
// idle"), and with none under way it is the first, as before. A named
// agent's pick and Hold wait as before.

// sharedState is the part of a Directory that only a store-backed one uses.
type sharedState struct {
	store  Store
	holder string
	holds  uint64 // hold IDs issued

	refresh    sync.Mutex // one Refresh at a time
	loaded     bool
	pos        Position
	revs       map[interaction.PartyID]uint64
	nextExpiry time.Time
	mine       map[interaction.PartyID]*[media][]string // this Directory's live holds, oldest first
	counted    map[interaction.ID]uint64
	inflight   map[interaction.PartyID]int // agents whose Store hold is under way in this Directory
	offline    []interaction.PartyID       // learned from the feed: rescind their offers (Follow)
	notReady   []interaction.PartyID       // timed out with WithNotReadyOnTimeout, to write
	onError    func(error)
}

// WithStore makes the Directory a cache of a shared routing Store: every
// Directory on one Store (one per instance) routes to the same agents,
// with one capacity (see Store). Run Follow (or call Refresh) so that the
// cache hears of other instances' changes soon; a pick is correct without
// it, since the Store's conditional hold decides.
func WithStore(s Store) Option {
	return func(d *Directory) {
		if s == nil {
			return
		}
		var b [8]byte
		_, _ = rand.Read(b[:])
		d.shared = &sharedState{store: s, holder: hex.EncodeToString(b[:]), revs: map[interaction.PartyID]uint64{},
			mine: map[interaction.PartyID]*[media][]string{}, counted: map[interaction.ID]uint64{},
			inflight: map[interaction.PartyID]int{}, onError: func(error) {}}
	}
}

// WithHolder names this Directory in the Store's holds (default: random).
// Two live Directories on one Store must not share a name.
func WithHolder(name string) Option {
	return func(d *Directory) {
		if d.shared != nil && name != "" {
			d.shared.holder = name
		}
	}
}

// WithStoreErrors sets where a store-backed Directory reports the errors
// of writes that have no caller to return them to (the counts of Notify
// and Sync, Release, Follow's reads). Default: dropped; a lost count is
// repaired by the interaction's next count, and by Recount.
func WithStoreErrors(f func(error)) Option {
	return func(d *Directory) {
		if d.shared != nil && f != nil {
			d.shared.onError = f
		}
	}
}

// Store returns the Directory's shared Store, nil for a process-local one.
func (d *Directory) Store() Store {
	if d.shared == nil {
		return nil
	}
	return d.shared.store
}

// Holder is this Directory's name in the Store's holds.
func (d *Directory) Holder() string {
	if d.shared == nil {
		return ""
	}
	return d.shared.holder
}

// Refresh brings the cache up to date with the Store: the first call reads
// a Snapshot, later ones the Changes after the last position read.
func (d *Directory) Refresh(ctx context.Context) error {
	sh := d.shared
	if sh == nil {
		return ctx.Err()
	}
	sh.refresh.Lock()
	defer sh.refresh.Unlock()
	if !sh.loaded {
		recs, pos, err := sh.store.Snapshot(ctx)
		if err != nil {
			return err
		}
		d.mu.Lock()
		for _, rec := range recs {
			d.apply(rec)
		}
		sh.loaded, sh.pos = true, pos
		d.mu.Unlock()
		return nil
	}
	const page = 1024
	for {
		recs, next, err := sh.store.Changes(ctx, sh.pos, page)
		if err != nil {
			return err
		}
		d.mu.Lock()
		for _, rec := range recs {
			if d.apply(rec) {
				sh.offline = append(sh.offline, rec.Agent.ID)
			}
		}
		sh.pos = next
		d.mu.Unlock()
		if len(recs) < page {
			return nil
		}
	}
}

func (d *Directory) ensureLoaded(ctx context.Context) error {
	sh := d.shared
	sh.refresh.Lock()
	loaded := sh.loaded
	sh.refresh.Unlock()
	if loaded {
		return nil
	}
	return d.Refresh(ctx)
}

// Follow keeps the cache fresh until ctx ends: it reads the Store's
// changes each time w says the Store changed, and takes back (through the
// Rescinder) the pending invitations of every agent it learns has logged
// out, so that whichever instance learns first redirects them; the
// interaction decides, so each is rescinded and offered on once (R-X1).
// w is the Store itself for a MemoryStore, pgstore.RoutingStore's Listen
// for PostgreSQL.
func (d *Directory) Follow(ctx context.Context, w Watcher) error {
	if d.shared == nil {
		return refuse(interaction.ErrBadInput, "follow", "the Directory has no Store")
	}
	for {
		ch := w.Changed()
		if err := d.Refresh(ctx); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			d.shared.onError(err)
		}
		d.rescindOffline(ctx)
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// rescindOffline rescinds the offers of the agents the feed said logged out.
func (d *Directory) rescindOffline(ctx context.Context) {
	d.mu.Lock()
	ids := d.shared.offline
	d.shared.offline = nil
	rescinder := d.rescinder
	d.mu.Unlock()
	if rescinder == nil {
		return
	}
	for _, id := range ids {
		if err := d.rescindOffers(ctx, rescinder, id); err != nil {
			d.shared.onError(err)
		}
	}
}

// rescindOffers takes back every pending invitation the Store lists for agent.
func (d *Directory) rescindOffers(ctx context.Context, rescinder Rescinder, agent interaction.PartyID) error {
	offers, err := d.shared.store.Offers(ctx, agent)
	if err != nil {
		return err
	}
	_, chats := rescinder.(chatOffers)
	var errs []error
	for _, o := range offers {
		if o.Invitation == ChatOffer && !chats {
			continue // whoever assigns chats takes them back
		}
		err := rescinder.Rescind(ctx, o.Interaction, o.Invitation, agent)
		// Answered meanwhile, or rescinded by another instance first.
		if err != nil && !errors.Is(err, interaction.ErrInvalidTransition) && !errors.Is(err, interaction.ErrNotFound) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// apply puts a Record into the cache unless the cache has a newer one of
// the agent. It reports whether the agent went from logged in to logged
// out. Called with d.mu held.
func (d *Directory) apply(rec Record) (wentOffline bool) {
	sh := d.shared
	id := rec.Agent.ID
	if id == "" {
		return false
	}
	if rev, ok := sh.revs[id]; ok && rec.Rev <= rev {
		return false
	}
	sh.revs[id] = rec.Rev
	if w := (Holding{Load: rec.Load, Reserved: rec.Reserved}); w.isZero() {
		delete(d.work, id)
	} else {
		d.work[id] = w
	}
	if !rec.HoldsExpire.IsZero() && (sh.nextExpiry.IsZero() || rec.HoldsExpire.Before(sh.nextExpiry)) {
		sh.nextExpiry = rec.HoldsExpire
	}
	r := d.agents[id]
	if !rec.Registered {
		if r != nil {
			d.unindex(r)
			for _, t := range r.targets {
				d.members[t]--
			}
			delete(d.agents, id)
		}
		return false
	}
	was := LoggedOut
	profile := true
	if r == nil {
		r = &agentRecord{}
		d.agents[id] = r
	} else {
		was = r.status.Presence
		if profile = !sameAgent(&r.status.Agent, &rec.Agent); profile {
			d.unindex(r)
			for _, t := range r.targets {
				d.members[t]--
			}
		}
	}
	a := rec.Agent.clone()
	if !profile {
		a = r.status.Agent
	}
	r.status = AgentStatus{Agent: a, Presence: rec.Presence, PresenceSince: rec.PresenceSince, IdleSince: rec.IdleSince,
		Load: rec.Load, Reserved: rec.Reserved, Held: rec.Held, Limit: a.limits(), Seq: rec.Seq}
	if profile {
		r.targets = a.targets()
		r.slots = make([][media]slot, len(r.targets))
		for _, t := range r.targets {
			d.members[t]++
		}
	}
	d.reindex(r)
	return was != LoggedOut && rec.Presence == LoggedOut
}

func sameAgent(a, b *Agent) bool {
	if a.ID != b.ID || a.Name != b.Name || len(a.Skills) != len(b.Skills) || len(a.Capacity) != len(b.Capacity) ||
		(a.Capacity == nil) != (b.Capacity == nil) || !slices.Equal(a.Groups, b.Groups) || !slices.Equal(a.Queues, b.Queues) {
		return false
	}
	for k, v := range a.Skills {
		if w, ok := b.Skills[k]; !ok || w != v {
			return false
		}
	}
	for k, v := range a.Capacity {
		if w, ok := b.Capacity[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func (d *Directory) applyAll(recs []Record) {
	d.mu.Lock()
	for _, rec := range recs {
		d.apply(rec)
	}
	d.mu.Unlock()
}

// PutContext is Put with a context: a store-backed Directory writes the
// profile to the Store.
func (d *Directory) PutContext(ctx context.Context, a Agent) error {
	if d.shared == nil {
		if err := ctx.Err(); err != nil {
			return err
		}
		return d.Put(a)
	}
	return d.putShared(ctx, a)
}

func (d *Directory) putShared(ctx context.Context, a Agent) error {
	if err := CheckAgent(a); err != nil {
		return err
	}
	if err := d.ensureLoaded(ctx); err != nil {
		return err
	}
	rec, err := d.shared.store.Put(ctx, a, d.clock.Now())
	if err != nil {
		return err
	}
	d.applyAll([]Record{rec})
	return nil
}

// RemoveContext is Remove with a context.
func (d *Directory) RemoveContext(ctx context.Context, id interaction.PartyID) error {
	if d.shared == nil {
		if err := ctx.Err(); err != nil {
			return err
		}
		return d.Remove(id)
	}
	if err := d.ensureLoaded(ctx); err != nil {
		return err
	}
	rec, err := d.shared.store.Remove(ctx, id)
	if err != nil {
		return err
	}
	d.mu.Lock()
	delete(d.shared.mine, id)
	d.apply(rec)
	d.mu.Unlock()
	return nil
}

func (d *Directory) setPresenceShared(ctx context.Context, id interaction.PartyID, p Presence) error {
	if err := d.ensureLoaded(ctx); err != nil {
		return err
	}
	rec, err := d.shared.store.SetPresence(ctx, id, p, d.clock.Now())
	if err != nil {
		return err
	}
	d.mu.Lock()
	d.apply(rec)
	rescinder := d.rescinder
	d.mu.Unlock()
	if p == LoggedOut && rescinder != nil {
		return d.rescindOffers(ctx, rescinder, id)
	}
	return nil
}

// expireDue drops the Store's expired holds when the cache knows of one.
func (d *Directory) expireDue(ctx context.Context, now time.Time) error {
	sh := d.shared
	d.mu.Lock()
	due := !sh.nextExpiry.IsZero() && !now.Before(sh.nextExpiry)
	d.mu.Unlock()
	if !due {
		return nil
	}
	recs, next, err := sh.store.Expire(ctx, now)
	if err != nil {
		return err
	}
	d.mu.Lock()
	sh.nextExpiry = next
	for _, rec := range recs {
		d.apply(rec)
		if !rec.HoldsExpire.IsZero() && (sh.nextExpiry.IsZero() || rec.HoldsExpire.Before(sh.nextExpiry)) {
			sh.nextExpiry = rec.HoldsExpire
		}
	}
	d.mu.Unlock()
	return nil
}

// holdShared takes one unit of r's agent in the Store. ok false: refused
// (the cache now has the agent's current Record); busy: refused because
// nowait and another writer had the agent's row, with room left as far as
// the Record read after says.
func (d *Directory) holdShared(ctx context.Context, agent interaction.PartyID, m interaction.Medium, need Need, now time.Time, nowait bool) (ok, busy bool, err error) {
	sh := d.shared
	d.mu.Lock()
	sh.holds++
	id := sh.holder + "-" + strconv.FormatUint(sh.holds, 36)
	sh.inflight[agent]++
	d.mu.Unlock()
	rec, err := sh.store.Hold(ctx, HoldRequest{ID: id, Holder: sh.holder, Agent: agent, Medium: m, Need: need, At: now,
		Expires: now.Add(d.holdTTL), NoWait: nowait})
	d.mu.Lock()
	defer d.mu.Unlock()
	if sh.inflight[agent]--; sh.inflight[agent] <= 0 {
		delete(sh.inflight, agent)
	}
	if rec.Agent.ID != "" {
		d.apply(rec)
	}
	if err != nil {
		if errors.Is(err, interaction.ErrConflict) {
			return false, nowait && rec.CanHold(m, need), nil
		}
		if errors.Is(err, interaction.ErrNotFound) {
			return false, false, nil
		}
		return false, false, err
	}
	hs := sh.mine[agent]
	if hs == nil {
		hs = new([media][]string)
		sh.mine[agent] = hs
	}
	hs[m] = append(hs[m], id)
	return true, false, nil
}

// maxPickAttempts bounds how many candidates one pick tries in the Store
// before it gives up with the last refusal.
const maxPickAttempts = 16

func (d *Directory) pickShared(ctx context.Context, t interaction.Target, m interaction.Medium, exclude []interaction.PartyID) (interaction.PartyID, error) {
	if t.Kind != interaction.TargetAgent && (t.ID == "" || t.Kind > interaction.TargetQueue) {
		return "", refuse(interaction.ErrBadInput, "route", "target needs a known kind and an ID")
	}
	if err := d.ensureLoaded(ctx); err != nil {
		return "", err
	}
	now := d.clock.Now()
	if err := d.expireDue(ctx, now); err != nil {
		return "", err
	}
	skip := exclude
	refreshed := false
	routed := t.Kind != interaction.TargetAgent
	var busy []interaction.PartyID // refused as in flight elsewhere, room left: tried last, waiting
	spins := 0
	var lastErr error
	for attempt := 0; attempt < maxPickAttempts; attempt++ {
		agent, need, err := d.choose(t, m, skip, routed)
		wait := !routed
		if err != nil && errors.Is(err, interaction.ErrNotFound) && len(busy) > 0 {
			agent, need, err, wait = busy[0], NeedReady, nil, true
			busy = busy[1:]
		}
		if err != nil {
			if !refreshed && errors.Is(err, interaction.ErrNotFound) {
				// The cache may not know yet what another instance did.
				refreshed = true
				if rerr := d.Refresh(ctx); rerr != nil {
					return "", rerr
				}
				attempt--
				continue
			}
			return "", err
		}
		ok, contended, err := d.holdShared(ctx, agent, m, need, now, !wait)
		if err != nil {
			return "", err
		}
		if ok {
			d.mu.Lock()
			if s := d.sets[setKey{t, m}]; s != nil && routed {
				if _, rot := d.strategyFor(t).(Rotating); rot {
					if r := d.agents[agent]; r != nil {
						s.cursor = r.status.Seq
					}
				}
			}
			d.mu.Unlock()
			return agent, nil
		}
		lastErr = refuse(interaction.ErrNotFound, "route", "agent "+string(agent)+" was taken by another instance")
		if contended {
			busy = append(busy, agent)
			if spins++; spins <= 4*maxPickAttempts {
				attempt-- // a row in flight elsewhere is no refusal: it costs no attempt
			}
		}
		if !routed {
			// The cache has the agent's current Record now: ask it once more.
			if _, _, err := d.choose(t, m, exclude, false); err != nil {
				return "", err
			}
		}
		if !slices.Contains(skip, agent) {
			skip = append(slices.Clip(skip), agent)
		}
	}
	return "", lastErr
}

// choose picks from the cache as the process-local Pick does; spread: it
// passes over the agents whose hold is under way in this Directory, unless
// nobody else is available.
func (d *Directory) choose(t interaction.Target, m interaction.Medium, exclude []interaction.PartyID, spread bool) (interaction.PartyID, Need, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if spread && len(d.shared.inflight) > 0 {
		var r *agentRecord
		if s := d.sets[setKey{t, m}]; s != nil {
			d.scan(t, s, exclude, func(n *rankNode) bool {
				if d.shared.inflight[n.agent.status.ID] > 0 {
					return true
				}
				r = n.agent
				return false
			})
		}
		if r != nil {
			return r.status.ID, NeedReady, nil
		}
	}
	if t.Kind == interaction.TargetAgent {
		r, err := d.named(t, m, exclude)
		if err != nil {
			return "", 0, err
		}
		return r.status.ID, NeedReachable, nil
	}
	var r *agentRecord
	if s := d.sets[setKey{t, m}]; s != nil {
		d.scan(t, s, exclude, func(n *rankNode) bool { r = n.agent; return false })
	}
	if r == nil {
		if d.members[t] == 0 && d.names[t] == "" {
			return "", 0, refuse(interaction.ErrNotFound, "route", "no "+t.String())
		}
		return "", 0, refuse(interaction.ErrNotFound, "route", "no agent of "+t.String()+" is available for "+m.String())
	}
	return r.status.ID, NeedReady, nil
}

func (d *Directory) holdNamedShared(ctx context.Context, agent interaction.PartyID, m interaction.Medium) error {
	if err := d.ensureLoaded(ctx); err != nil {
		return err
	}
	now := d.clock.Now()
	if err := d.expireDue(ctx, now); err != nil {
		return err
	}
	ok, _, err := d.holdShared(ctx, agent, m, NeedAny, now, false)
	if err != nil {
		return err
	}
	if !ok {
		d.mu.Lock()
		_, known := d.agents[agent]
		d.mu.Unlock()
		if !known {
			return refuse(interaction.ErrNotFound, "hold", "agent "+string(agent)+" is not in the directory")
		}
		return refuse(interaction.ErrNotFound, "hold", "agent "+string(agent)+" is at capacity for "+m.String())
	}
	return nil
}

// ReleaseContext is Release with a context.
func (d *Directory) ReleaseContext(ctx context.Context, agent interaction.PartyID, m interaction.Medium) error {
	if d.shared == nil {
		d.Release(agent, m)
		return ctx.Err()
	}
	if int(m) >= media {
		return nil
	}
	sh := d.shared
	for {
		d.mu.Lock()
		hs := sh.mine[agent]
		if hs == nil || len(hs[m]) == 0 {
			d.mu.Unlock()
			return nil
		}
		id := hs[m][len(hs[m])-1]
		hs[m] = hs[m][:len(hs[m])-1]
		d.mu.Unlock()
		rec, ok, err := sh.store.Release(ctx, id)
		if err != nil {
			return err
		}
		if ok {
			d.applyAll([]Record{rec})
			return nil
		}
		// Gone: a count under way consumed it for another of this
		// Directory's picks of the agent (units are alike), or it
		// expired. Give back the next one.
	}
}

// dropMine forgets holds the Store consumed. Called with d.mu held.
func (d *Directory) dropMine(ids []string) {
	if len(ids) == 0 {
		return
	}
	for agent, hs := range d.shared.mine {
		for m := range hs {
			hs[m] = slices.DeleteFunc(hs[m], func(id string) bool { return slices.Contains(ids, id) })
		}
		if hs[0] == nil && hs[1] == nil && hs[2] == nil {
			delete(d.shared.mine, agent)
		}
	}
}

// notifyShared is Notify for a store-backed Directory: the holdings go to
// the Store (Count), the invitations to the local book.
func (d *Directory) notifyShared(ctx context.Context, st *interaction.State, events []interaction.Event) {
	sh := d.shared
	d.mu.Lock()
	if v, ok := sh.counted[st.ID]; ok && st.Version <= v {
		d.mu.Unlock()
		return
	}
	d.mu.Unlock()
	// The events are committed: count them even if the command's context ends.
	wctx := context.WithoutCancel(ctx)
	res, err := d.count(wctx, st, events[len(events)-1].Time, sh.holder)
	if err != nil {
		sh.onError(err)
	}
	d.mu.Lock()
	changed := d.track(st.ID, events)
	notReady := sh.notReady
	sh.notReady = nil
	observer, forward := d.observer, d.forward
	d.mu.Unlock()
	_ = res
	for _, id := range notReady {
		if err := d.setPresenceShared(wctx, id, NotReady); err != nil {
			sh.onError(err)
		}
	}
	if observer != nil {
		for _, inv := range changed {
			observer(inv)
		}
	}
	for _, n := range forward {
		n.Notify(ctx, st, events)
	}
}

// count writes an interaction's holdings to the Store and applies what it
// changed.
func (d *Directory) count(ctx context.Context, st *interaction.State, at time.Time, holder string) (CountResult, error) {
	sh := d.shared
	if err := d.ensureLoaded(ctx); err != nil {
		return CountResult{}, err
	}
	hs := Holdings(st)
	res, err := sh.store.Count(ctx, CountRequest{Interaction: st.ID, Version: st.Version, Holdings: hs,
		Offers: PendingOffers(st), Holder: holder, At: at})
	if err != nil {
		return res, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, rec := range res.Changed {
		d.apply(rec)
	}
	d.dropMine(res.Consumed)
	if isZeroHoldings(hs) {
		delete(sh.counted, st.ID)
	} else if st.Version > sh.counted[st.ID] {
		sh.counted[st.ID] = st.Version
	}
	return res, nil
}

// SyncContext is Sync with a context and an error: a store-backed
// Directory counts the state in the Store (once per version, whichever
// instance counts it).
func (d *Directory) SyncContext(ctx context.Context, st *interaction.State) error {
	if d.shared == nil {
		d.Sync(st)
		return ctx.Err()
	}
	if st == nil || st.Version == 0 {
		return nil
	}
	if _, err := d.count(ctx, st, d.clock.Now(), ""); err != nil {
		return err
	}
	d.mu.Lock()
	d.resumeAll(st)
	d.mu.Unlock()
	return nil
}

// Recount repairs the Store's counts after a crash: it reads, through
// state, every interaction the Store counts something for and counts its
// current state, so that a release that was never counted (the process
// died between the interaction's append and its count) does not leave an
// agent busy; a closed interaction counts nothing. With Recover, a
// restarted process has loads equal to those of the open interactions:
//
//	chats.Recover(ctx, dir.Sync)
//	dir.Recount(ctx, chats.State)
func (d *Directory) Recount(ctx context.Context, state func(context.Context, interaction.ID) (*interaction.State, error)) error {
	if d.shared == nil {
		return ctx.Err()
	}
	var after interaction.ID
	for {
		ids, err := d.shared.store.Counted(ctx, after, 256)
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		for _, id := range ids {
			st, err := state(ctx, id)
			if errors.Is(err, interaction.ErrNotFound) {
				// No such interaction: nothing of it is held.
				if _, err := d.shared.store.Count(ctx, CountRequest{Interaction: id, Version: math.MaxUint64, At: d.clock.Now()}); err != nil {
					return err
				}
				continue
			}
			if err != nil {
				return err
			}
			if err := d.SyncContext(ctx, st); err != nil {
				return err
			}
		}
		after = ids[len(ids)-1]
	}
}

package interaction

import (
	"context"
	"sync"
	"sync/atomic"
)

// Notifier hears about events after the Store has committed them, never
// before, in stream order per interaction. state is the interaction after
// the events: use it to decide who may see what, and do not keep it. The
// events slice may be kept (a Service hands a Notifier of another package
// a copy the Store and the caller share): read it, do not change it.
type Notifier interface {
	Notify(ctx context.Context, state *State, events []Event)
}

// Notifiers fans one notification out to several notifiers, in order.
type Notifiers []Notifier

// Notify implements Notifier.
func (ns Notifiers) Notify(ctx context.Context, s *State, events []Event) {
	for _, n := range ns {
		n.Notify(ctx, s, events)
	}
}

// NopNotifier drops every notification.
type NopNotifier struct{}

// Notify implements Notifier.
func (NopNotifier) Notify(context.Context, *State, []Event) {}

// MemoryNotifier is the in-memory Notifier. A party subscribes and gets,
// across every interaction, exactly the events it may see (the same
// visibility as its View); SubscribeAll gets every event, for projections.
// Delivery never blocks the command: each subscription queues up to its
// limit (DefaultQueueLimit, WithQueueLimit) and then tells its subscriber
// it fell behind (LagError, lag.go); an event notified again (a retried
// command, delivered at least once) is dropped by its version.
type MemoryNotifier struct {
	names   ContactNames
	limit   int // queue limit of new subscriptions (0: DefaultQueueLimit)
	mu      sync.RWMutex
	byParty map[PartyID][]*Subscription
	all     []*Subscription
	// subscriptions counts what byParty and all hold, so that a notifier
	// nobody subscribed to takes no lock (most Services of an embedding
	// service deliver through their own Notifier).
	subscriptions atomic.Int32
}

var _ Notifier = (*MemoryNotifier)(nil)

// NewMemoryNotifier returns a notifier with no subscriptions.
func NewMemoryNotifier() *MemoryNotifier {
	return &MemoryNotifier{byParty: map[PartyID][]*Subscription{}}
}

// WithContactNames sets how agents are named to contacts in the events
// they are delivered (default: DefaultContactName) and returns n.
func (n *MemoryNotifier) WithContactNames(names ContactNames) *MemoryNotifier {
	n.names = names
	return n
}

// Subscribe delivers the events party may see, from now on, as it may see
// them (State.EventsFor: its own numbering, no actor or cause it may not
// know).
func (n *MemoryNotifier) Subscribe(party PartyID) *Subscription {
	sub := newSubscription(n, party)
	n.mu.Lock()
	n.byParty[party] = append(n.byParty[party], sub)
	n.subscriptions.Add(1)
	n.mu.Unlock()
	return sub
}

// SubscribeDeltas delivers, from now on, what each event changes in
// party's view (State.DeltasFor): one Delta per event it is shown, with the
// event as it is shown it, and per change of its view it is told of
// without one. Read a Page after subscribing and keep it current with
// Page.Apply; read a page again when Apply says so. Next, TryNext and
// Drain return the deltas' events; NextDelta, TryNextDelta and DrainDeltas
// the deltas. A reminder (Remind) comes as a Delta with the reminder as
// its Event and Changes 0 (it changes no view: Page.Apply skips it).
func (n *MemoryNotifier) SubscribeDeltas(party PartyID) *Subscription {
	sub := newSubscription(n, party)
	sub.deltas = true
	n.mu.Lock()
	n.byParty[party] = append(n.byParty[party], sub)
	n.subscriptions.Add(1)
	n.mu.Unlock()
	return sub
}

// SubscribeAll delivers every event, from now on.
func (n *MemoryNotifier) SubscribeAll() *Subscription {
	sub := newSubscription(n, "")
	n.mu.Lock()
	n.all = append(n.all, sub)
	n.subscriptions.Add(1)
	n.mu.Unlock()
	return sub
}

// Notify implements Notifier.
func (n *MemoryNotifier) Notify(_ context.Context, s *State, events []Event) {
	if n.subscriptions.Load() == 0 {
		return
	}
	n.mu.RLock()
	defer n.mu.RUnlock()
	for _, sub := range n.all {
		sub.push(events, true)
	}
	if len(n.byParty) == 0 {
		return
	}
	for i := range s.Parties {
		subs := n.byParty[s.Parties[i].ID]
		if len(subs) == 0 {
			continue
		}
		var visible []Event
		var deltas []Delta
		var madeEvents, madeDeltas bool
		for _, sub := range subs {
			if sub.deltas {
				if !madeDeltas {
					deltas, madeDeltas = s.DeltasFor(s.Parties[i].ID, events, n.names), true
				}
				sub.pushDeltas(deltas)
				continue
			}
			if !madeEvents {
				visible, madeEvents = s.EventsFor(s.Parties[i].ID, events, n.names), true
			}
			if len(visible) > 0 {
				sub.push(visible, true)
			}
		}
	}
}

// Remind delivers a reminder (an EventReminder for ev.Party) to that
// party's subscriptions; signals.NotifierSink calls it, so reminders reach
// a desk the same way as everything else (R-C9).
func (n *MemoryNotifier) Remind(ev Event) {
	if ev.Type != EventReminder {
		return
	}
	n.mu.RLock()
	defer n.mu.RUnlock()
	for _, sub := range n.byParty[ev.Party] {
		if sub.deltas {
			sub.pushDeltas([]Delta{{Interaction: ev.Interaction, Event: ev}})
			continue
		}
		sub.push([]Event{ev}, false)
	}
}

func (n *MemoryNotifier) remove(sub *Subscription) {
	n.mu.Lock()
	defer n.mu.Unlock()
	drop := func(list []*Subscription) []*Subscription {
		for i, x := range list {
			if x == sub {
				n.subscriptions.Add(-1)
				return append(list[:i:i], list[i+1:]...)
			}
		}
		return list
	}
	if sub.party == "" {
		n.all = drop(n.all)
		return
	}
	n.byParty[sub.party] = drop(n.byParty[sub.party])
	if len(n.byParty[sub.party]) == 0 {
		delete(n.byParty, sub.party)
	}
}

// Subscription is one subscriber's queue of events (or, made by
// SubscribeDeltas, of deltas).
type Subscription struct {
	n      *MemoryNotifier
	party  PartyID
	mu     sync.Mutex
	queue  []Event
	deltas bool
	dq     []Delta
	signal chan struct{}
	closed bool
	// last is the version of the last event queued per interaction (for a
	// delta subscription, the Changes of the last delta): an event notified
	// again (a retried command, at least once) is dropped.
	last map[ID]uint64
	// limit bounds the queue; lag is what was dropped past it (lag.go).
	limit int
	lag   *LagError
}

func newSubscription(n *MemoryNotifier, party PartyID) *Subscription {
	n.mu.RLock()
	limit := n.limit
	n.mu.RUnlock()
	return &Subscription{n: n, party: party, signal: make(chan struct{}, 1), limit: limit}
}

func (s *Subscription) push(events []Event, dedupe bool) {
	s.mu.Lock()
	if !s.closed {
		for _, ev := range events {
			if dedupe {
				if ev.Version == 0 || ev.Version <= s.last[ev.Interaction] {
					continue
				}
				if s.overflow(ev.Interaction, len(s.queue)) {
					continue
				}
				if s.last == nil {
					s.last = map[ID]uint64{}
				}
				s.last[ev.Interaction] = ev.Version
			} else if s.overflow("", len(s.queue)) {
				continue
			}
			s.queue = append(s.queue, ev)
		}
	}
	s.mu.Unlock()
	select {
	case s.signal <- struct{}{}:
	default:
	}
}

// pushDeltas queues deltas, dropping those queued before (by Changes);
// a reminder's delta (Changes 0) is always queued.
func (s *Subscription) pushDeltas(ds []Delta) {
	if len(ds) == 0 {
		return
	}
	s.mu.Lock()
	if !s.closed {
		for _, d := range ds {
			if d.Changes != 0 {
				id := d.Interaction
				if d.Changes <= s.last[id] {
					continue
				}
				if s.overflow(id, len(s.dq)) {
					continue
				}
				if s.last == nil {
					s.last = map[ID]uint64{}
				}
				s.last[id] = d.Changes
			} else if s.overflow("", len(s.dq)) {
				continue
			}
			s.dq = append(s.dq, d)
		}
	}
	s.mu.Unlock()
	select {
	case s.signal <- struct{}{}:
	default:
	}
}

// Next waits for the next event. It returns ctx's error when ctx ends
// first, a *LagError once it fell behind and what was queued is read, and
// ErrNotFound once the subscription is closed and drained.
func (s *Subscription) Next(ctx context.Context) (Event, error) {
	for {
		if ev, ok, closed := s.take(); ok {
			return ev, nil
		} else if lag := s.TakeLag(); lag != nil {
			return Event{}, lag
		} else if closed {
			return Event{}, &Error{Kind: ErrNotFound, Op: "next", Detail: "subscription closed"}
		}
		select {
		case <-ctx.Done():
			return Event{}, ctx.Err()
		case <-s.signal:
		}
	}
}

// TryNext returns the next event if one is queued.
func (s *Subscription) TryNext() (Event, bool) {
	ev, ok, _ := s.take()
	return ev, ok
}

// Drain returns every queued event (of a delta subscription: the events of
// every queued delta, which it drops).
func (s *Subscription) Drain() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.deltas {
		var out []Event
		for _, d := range s.dq {
			if d.Event.Type != 0 {
				out = append(out, d.Event)
			}
		}
		s.dq = nil
		return out
	}
	out := s.queue
	s.queue = nil
	return out
}

func (s *Subscription) take() (Event, bool, bool) {
	if s.deltas {
		for {
			d, ok, closed := s.takeDelta()
			if !ok || d.Event.Type != 0 {
				return d.Event, ok, closed
			}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.queue) == 0 {
		return Event{}, false, s.closed
	}
	ev := s.queue[0]
	s.queue[0] = Event{}
	s.queue = s.queue[1:]
	return ev, true, false
}

// NextDelta waits for the next delta of a delta subscription
// (SubscribeDeltas). It returns ctx's error when ctx ends first, and
// ErrNotFound once the subscription is closed and drained.
func (s *Subscription) NextDelta(ctx context.Context) (Delta, error) {
	for {
		if d, ok, closed := s.takeDelta(); ok {
			return d, nil
		} else if lag := s.TakeLag(); lag != nil {
			return Delta{}, lag
		} else if closed {
			return Delta{}, &Error{Kind: ErrNotFound, Op: "next", Detail: "subscription closed"}
		}
		select {
		case <-ctx.Done():
			return Delta{}, ctx.Err()
		case <-s.signal:
		}
	}
}

// TryNextDelta returns the next delta if one is queued.
func (s *Subscription) TryNextDelta() (Delta, bool) {
	d, ok, _ := s.takeDelta()
	return d, ok
}

// DrainDeltas returns every queued delta.
func (s *Subscription) DrainDeltas() []Delta {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.dq
	s.dq = nil
	return out
}

func (s *Subscription) takeDelta() (Delta, bool, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.dq) == 0 {
		return Delta{}, false, s.closed
	}
	d := s.dq[0]
	s.dq[0] = Delta{}
	s.dq = s.dq[1:]
	return d, true, false
}

// Close ends the subscription; queued events can still be read.
func (s *Subscription) Close() {
	s.n.remove(s)
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	select {
	case s.signal <- struct{}{}:
	default:
	}
}

// LogFollower reads a Log from a position on: every event after it, in
// position order, each once, waiting when it has caught up. It loses
// nothing, whoever wrote the events and whether or not a Notifier heard
// of them, because it reads the Log itself; so projections (history,
// metrics) and delivery across service instances run on it. To resume
// after a restart, save Position once an event is handled and follow from
// there: delivery is then at least once. One goroutine uses it at a time.
type LogFollower struct {
	log   LogWatcher
	after uint64
	batch []Event
	next  int
}

// followBatch is how many events a LogFollower reads at a time.
const followBatch = 256

// FollowLog returns a follower of log that starts after position after
// (0: from the beginning).
func FollowLog(log LogWatcher, after uint64) *LogFollower {
	return &LogFollower{log: log, after: after}
}

// Next returns the next event, waiting for it. It returns ctx's error when
// ctx ends first, and the Log's error when a read fails; the follower then
// stays where it was, so calling Next again retries.
func (f *LogFollower) Next(ctx context.Context) (Event, error) {
	for {
		if f.next < len(f.batch) {
			ev := f.batch[f.next]
			f.batch[f.next] = Event{}
			f.next++
			f.after = ev.Position
			return ev, nil
		}
		// Take the channel before reading: an append that the read misses
		// closes it, so the wait below cannot sleep through it.
		changed := f.log.Changed()
		events, err := f.log.ReadAll(ctx, f.after, followBatch)
		if err != nil {
			return Event{}, err
		}
		if len(events) > 0 {
			f.batch, f.next = events, 0
			continue
		}
		select {
		case <-ctx.Done():
			return Event{}, ctx.Err()
		case <-changed:
		}
	}
}

// Position is the position of the last event Next returned, or the one
// the follower started after.
func (f *LogFollower) Position() uint64 { return f.after }

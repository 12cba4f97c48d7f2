package interaction

import (
	"context"
	"errors"
	"strconv"
)

// Bounded subscriptions (issue 16). A MemoryNotifier's subscription
// queues at most its limit (DefaultQueueLimit, WithQueueLimit) of events
// or deltas. Notify never waits for a subscriber: when a queue is full,
// what does not fit is dropped, and so is everything after it until the
// subscriber has read what was queued and been told, by a *LagError
// (errors.Is(err, ErrLagged)) from Next or NextDelta, or by TakeLag. The
// LagError says, per interaction, the last Version (for SubscribeDeltas:
// Changes) queued before the drop: the subscriber reads the rest through
// the Store (Service.EventsSince, from that Version; for deltas, a Page)
// and goes on with Next, skipping what it has by Version (the queue then
// holds what was notified after the subscriber was told, possibly events
// it already read from the Store). Reminders dropped are not read again:
// they repeat on their own schedule (R-C9).

// DefaultQueueLimit is how many events (or deltas) a subscription queues
// before it drops and tells its subscriber it fell behind.
const DefaultQueueLimit = 4096

// ErrLagged is the kind of LagError: a subscriber fell behind and events
// were dropped from its queue.
var ErrLagged = errors.New("subscriber fell behind")

// LagError tells a subscriber it fell behind: events were dropped from
// its queue after it was full.
type LagError struct {
	// After is, per interaction of which something was dropped, the
	// Version (for a delta subscription, the Changes) of the last item
	// queued before the drop: resume from there through the Store.
	After map[ID]uint64
	// Dropped counts the items dropped, reminders included.
	Dropped int
}

func (e *LagError) Error() string {
	return "subscription: " + ErrLagged.Error() + ": " + strconv.Itoa(e.Dropped) + " dropped"
}

// Unwrap returns ErrLagged.
func (e *LagError) Unwrap() error { return ErrLagged }

// WithQueueLimit sets how many events or deltas each subscription made
// from now on queues (at least 1; DefaultQueueLimit by default), and
// returns n.
func (n *MemoryNotifier) WithQueueLimit(limit int) *MemoryNotifier {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.limit = max(limit, 1)
	return n
}

// overflow reports, with s.mu held, whether an item of interaction id
// (last: the last Version or Changes queued of it) must be dropped, and
// records the drop.
func (s *Subscription) overflow(id ID, queued int) bool {
	limit := s.limit
	if limit <= 0 {
		limit = DefaultQueueLimit
	}
	if s.lag == nil && queued < limit {
		return false
	}
	if s.lag == nil {
		s.lag = &LagError{After: map[ID]uint64{}}
	}
	s.lag.Dropped++
	if id != "" {
		if _, ok := s.lag.After[id]; !ok {
			s.lag.After[id] = s.last[id]
		}
	}
	return true
}

// pendingLag returns and clears the lag, with s.mu held, once the queue
// ahead of it is drained.
func (s *Subscription) pendingLag() *LagError {
	l := s.lag
	s.lag = nil
	return l
}

// TakeLag returns the subscription's LagError and clears it, when it fell
// behind and everything queued before the drop has been read; nil
// otherwise. For readers that use TryNext or Drain.
func (s *Subscription) TakeLag() *LagError {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lag == nil || len(s.queue) > 0 || len(s.dq) > 0 {
		return nil
	}
	return s.pendingLag()
}

// Lagged reports whether the subscription dropped something it has not
// told of yet.
func (s *Subscription) Lagged() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lag != nil
}

// EventsSince returns the events of interaction id that viewer was shown
// after its own event number after (View.Version, the Version of the
// events it is delivered), numbered as they were delivered: what a
// subscriber that fell behind, or a client that reconnects, missed. It
// reads the interaction's log from the Store and replays it, so it costs
// the length of the stream. A viewer that was never a party of the
// interaction gets ErrNotPermitted (R-X6); an interaction the Store does
// not hold, ErrNotFound.
func (s *Service) EventsSince(ctx context.Context, id ID, viewer PartyID, after uint64) ([]Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	events, err := s.store.Load(ctx, id)
	if err != nil {
		return nil, err
	}
	if len(events) == 0 {
		return nil, &Error{Kind: ErrNotFound, Op: "events", Interaction: id, Detail: "no such interaction"}
	}
	st := &State{}
	var out []Event
	for i := range events {
		if err := st.Apply(&events[i]); err != nil {
			return nil, err
		}
		if st.Party(viewer) == nil {
			continue
		}
		for _, ev := range st.EventsFor(viewer, events[i:i+1], s.names) {
			if ev.Version > after {
				out = append(out, ev)
			}
		}
	}
	if st.Party(viewer) == nil {
		return nil, &Error{Kind: ErrNotPermitted, Op: "events", Interaction: id, Party: viewer, Rule: "R-X6", Detail: "not a party of this interaction"}
	}
	return out, nil
}

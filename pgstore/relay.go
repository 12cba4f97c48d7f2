package pgstore

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/observe"
)

// Relay delivers the log to a Notifier on this instance, command by
// command, with the interaction's state after the command, exactly as a
// Service notifies after its own appends. Put an
// interaction.MemoryNotifier behind it and its party subscriptions get,
// on every instance, the events each party may see, whichever instance
// ran the command.
//
// It reads the log by position (from a LogWatcher such as a Listener), so
// it delivers every command in log order, once per run; started from a
// saved Position it delivers at least once. It keeps the state of every
// interaction it has seen until that interaction closes, and loads one it
// has not seen from the Store.
type Relay struct {
	log     interaction.LogWatcher
	store   interaction.Store
	target  interaction.Notifier
	clock   interaction.Clock
	onError func(error)
	hooks   observe.Hooks // observe.go

	after  uint64
	pos    atomic.Uint64
	states map[interaction.ID]*interaction.State
}

// relayPage is how many events the Relay reads at a time.
const relayPage = 512

// RelayOption configures a Relay.
type RelayOption func(*Relay)

// RelayClock sets the clock that paces retries after a failed read
// (default interaction.SystemClock).
func RelayClock(c interaction.Clock) RelayOption { return func(r *Relay) { r.clock = c } }

// RelayErrors sets where read errors are reported (default: dropped; the
// Relay retries on its own).
func RelayErrors(f func(error)) RelayOption { return func(r *Relay) { r.onError = f } }

// NewRelay returns a Relay from log (and store, for interactions it has
// not seen from their start) to target, starting after position after.
func NewRelay(log interaction.LogWatcher, store interaction.Store, target interaction.Notifier, after uint64, opts ...RelayOption) *Relay {
	r := &Relay{log: log, store: store, target: target, clock: interaction.SystemClock{}, onError: func(error) {},
		after: after, states: map[interaction.ID]*interaction.State{}}
	r.pos.Store(after)
	for _, o := range opts {
		o(r)
	}
	return r
}

// Position is the position of the last event delivered: save it to
// resume a later Relay from there.
func (r *Relay) Position() uint64 { return r.pos.Load() }

// Run delivers until ctx ends, and returns ctx's error. Read errors (the
// server restarts) are reported and retried, backing off.
func (r *Relay) Run(ctx context.Context) error {
	backoff := minBackoff
	for {
		changed := r.log.Changed()
		page, err := r.log.ReadAll(ctx, r.after, relayPage)
		if err == nil {
			backoff = minBackoff
			if len(page) == 0 {
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-changed:
				}
				continue
			}
			err = r.deliverPage(ctx, page)
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			r.onError(err)
			r.readFailed(ctx, err, backoff)
			if !sleep(ctx, r.clock, backoff) {
				return ctx.Err()
			}
			backoff = min(2*backoff, maxBackoff)
		}
	}
}

// deliverPage hands over each command of the page. A command cut by the
// end of a full page waits for the next read, so that a Notify always
// gets a whole command.
func (r *Relay) deliverPage(ctx context.Context, page []interaction.Event) error {
	end := len(page)
	if len(page) == relayPage {
		last := groupStart(page, len(page)-1)
		if last > 0 {
			end = last
		}
	}
	for i := 0; i < end; {
		j := i + 1
		for j < end && sameCommand(&page[i], &page[j]) {
			j++
		}
		if err := r.deliver(ctx, page[i:j]); err != nil {
			return err
		}
		r.after = page[j-1].Position
		r.pos.Store(r.after)
		i = j
	}
	return nil
}

func sameCommand(a, b *interaction.Event) bool {
	return a.Interaction == b.Interaction && a.Cause == b.Cause && b.Version == a.Version+1
}

// groupStart is where the command holding page[k] starts.
func groupStart(page []interaction.Event, k int) int {
	for k > 0 && sameCommand(&page[k-1], &page[k]) {
		k--
	}
	return k
}

func (r *Relay) deliver(ctx context.Context, events []interaction.Event) error {
	id := events[0].Interaction
	st := r.states[id]
	if st == nil || st.Version+1 != events[0].Version {
		var err error
		st, err = r.load(ctx, id, events[0].Version-1)
		if errors.Is(err, interaction.ErrCorruptLog) {
			r.onError(fmt.Errorf("pgstore: relay: %w", err))
			return nil
		}
		if err != nil {
			return err
		}
	}
	for i := range events {
		if err := st.Apply(&events[i]); err != nil {
			// Not a history this library wrote: report it and go on
			// with the rest of the log rather than stop every delivery.
			delete(r.states, id)
			r.onError(fmt.Errorf("pgstore: relay: %w", err))
			return nil
		}
	}
	r.target.Notify(ctx, st, events)
	r.delivered(ctx, events)
	if st.Status == interaction.StatusClosed {
		delete(r.states, id) // nothing follows a closed interaction
	} else {
		r.states[id] = st
	}
	return nil
}

// load rebuilds interaction id up to version from the Store.
func (r *Relay) load(ctx context.Context, id interaction.ID, version uint64) (*interaction.State, error) {
	if version == 0 {
		return &interaction.State{}, nil
	}
	events, err := r.store.Load(ctx, id)
	if err != nil {
		return nil, err
	}
	if uint64(len(events)) < version {
		return nil, fmt.Errorf("pgstore: relay: %s has %d events, the log shows version %d", id, len(events), version)
	}
	return interaction.Rebuild(events[:version])
}

package pgstore

import (
	"slices"
	"sync"
	"time"
)

// join gathers more appends into batch while another writer's
// transaction is in flight: this writer's share of the appends that have
// lately been under way at once (at most joinBatch), or until that
// transaction ends. Without it, a writer that has just committed takes the
// first append back, and the writers take turns with batches of one or
// two next to large ones: each a commit, a WAL flush and a notification,
// while the server's cores are busy (BENCHMARKS.md, issue 15). A writer
// alone never waits, nor one whose batch is its share already. stopped:
// the Store is closing, and join has answered every append of the batch.
func (s *Store) join(batch []*appendRequest, events int) (_ []*appendRequest, _ int, carry *appendRequest, stopped bool) {
	var patience *time.Timer
	defer func() {
		if patience != nil {
			patience.Stop()
		}
	}()
	for {
		landed, share := s.flights.airborne(s.writers)
		if landed == nil || len(batch) >= min(share, s.joinBatch, s.maxBatch) {
			return batch, events, nil, false
		}
		if patience == nil {
			// A transaction that hangs (a connection cut without a word)
			// holds the others up only this long.
			patience = time.NewTimer(maxJoinWait)
		}
		select {
		case <-patience.C:
			return batch, events, nil, false
		case r := <-s.queue:
			if events+len(r.events) > maxTxEvents {
				return batch, events, r, false
			}
			batch, events = append(batch, r), events+len(r.events)
		case <-landed:
		case <-s.stop:
			for _, r := range batch {
				r.done <- appendResult{err: ErrClosed} // nothing written
			}
			return batch, events, nil, true
		}
	}
}

// maxJoinWait bounds how long a writer waits for company (write).
const maxJoinWait = 10 * time.Millisecond

// flights counts the writers' transactions in flight and their appends,
// and tells a writer gathering appends when one of them ends.
type flights struct {
	mu       sync.Mutex
	sizes    []int         // the appends of each transaction in flight
	landed   chan struct{} // closed when a transaction in flight ends
	underway [16]int       // the appends under way at the last takeoffs
	next     int
}

// takeOff counts a transaction of appends, with queued appends waiting.
func (f *flights) takeOff(appends, queued int) {
	f.mu.Lock()
	f.sizes = append(f.sizes, appends)
	n := queued
	for _, a := range f.sizes {
		n += a
	}
	f.underway[f.next] = n
	f.next = (f.next + 1) % len(f.underway)
	f.mu.Unlock()
}

func (f *flights) land(appends int) {
	f.mu.Lock()
	if i := slices.Index(f.sizes, appends); i >= 0 {
		f.sizes = slices.Delete(f.sizes, i, i+1)
	}
	if f.landed != nil {
		close(f.landed)
		f.landed = nil
	}
	f.mu.Unlock()
}

// airborne returns a channel closed when a transaction in flight ends,
// and one writer's share of the most appends under way at once at the
// last takeoffs; nil when no transaction is in flight.
func (f *flights) airborne(writers int) (<-chan struct{}, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.sizes) == 0 {
		return nil, 0
	}
	if f.landed == nil {
		f.landed = make(chan struct{})
	}
	return f.landed, (slices.Max(f.underway[:]) + writers - 1) / writers
}

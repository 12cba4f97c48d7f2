package chatconsulttest

import (
	"sort"
	"sync"
	"time"

	"github.com/chatconsult/chatconsult/interaction"
)

// ManualClock is a Clock that moves only when told. Advance fires the
// timers that fall due, in order of their due time (then of creation), each
// with the clock set to its due time, so a run replays exactly and no test
// sleeps. It is safe for concurrent use; timers fire on the goroutine that
// calls Advance, without the clock's lock held, so a timer may schedule
// another.
type ManualClock struct {
	mu     sync.Mutex
	now    time.Time
	seq    uint64
	timers []*manualTimer
}

var _ interaction.Clock = (*ManualClock)(nil)

// Epoch is where a NewManualClock starts: a fixed instant, so logs replay.
var Epoch = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

// NewManualClock returns a clock at Epoch.
func NewManualClock() *ManualClock { return &ManualClock{now: Epoch} }

type manualTimer struct {
	c       *ManualClock
	due     time.Time
	seq     uint64
	f       func()
	stopped bool
}

// Now returns the clock's time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc schedules f at Now()+d.
func (c *ManualClock) AfterFunc(d time.Duration, f func()) interaction.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	t := &manualTimer{c: c, due: c.now.Add(d), seq: c.seq, f: f}
	c.timers = append(c.timers, t)
	return t
}

// Stop implements interaction.Timer.
func (t *manualTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	if t.stopped {
		return false
	}
	t.stopped = true
	for i, x := range t.c.timers {
		if x == t {
			t.c.timers = append(t.c.timers[:i], t.c.timers[i+1:]...)
			break
		}
	}
	return true
}

// Advance moves the clock forward by d, firing every timer that falls due.
// It returns how many fired.
func (c *ManualClock) Advance(d time.Duration) int {
	c.mu.Lock()
	end := c.now.Add(d)
	c.mu.Unlock()
	fired := 0
	for {
		c.mu.Lock()
		sort.Slice(c.timers, func(i, j int) bool {
			a, b := c.timers[i], c.timers[j]
			if !a.due.Equal(b.due) {
				return a.due.Before(b.due)
			}
			return a.seq < b.seq
		})
		if len(c.timers) == 0 || c.timers[0].due.After(end) {
			c.now = end
			c.mu.Unlock()
			return fired
		}
		t := c.timers[0]
		c.timers = c.timers[1:]
		t.stopped = true
		if t.due.After(c.now) {
			c.now = t.due
		}
		c.mu.Unlock()
		t.f()
		fired++
	}
}

// Pending is the number of timers not yet fired or stopped.
func (c *ManualClock) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

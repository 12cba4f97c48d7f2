package signals

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/chatconsult/chatconsult/interaction"
)

// Tracker knows, for every agent, which conversations wait for its answer,
// and raises reminders for them through the injected Clock (R-C9). It is an
// interaction.Notifier. It is safe for concurrent use.
type Tracker struct {
	clock    interaction.Clock
	sink     Sink
	delay    int64 // ns
	interval int64 // ns
	remind   bool  // setting of an agent whose desk has not set one

	// fireMu serialises firing: reminders reach the Sink in order, and
	// the delivery buffer is reused.
	fireMu sync.Mutex
	out    []Reminder

	mu      sync.Mutex
	desks   map[interaction.PartyID]*desk
	due     dueHeap
	seq     uint64
	timer   interaction.Timer
	timerAt int64 // when the outstanding timer fires; 0 when none
	gen     uint64
	closed  bool
	want    []wanted // scratch for resync
	// heard is, per open interaction, the last stream version Notify
	// applied: an event heard twice (from the instance's own Service and
	// again from a relay of the whole log) is applied once.
	heard map[interaction.ID]uint64
}

var _ interaction.Notifier = (*Tracker)(nil)

// desk is what the tracker knows of one agent.
type desk struct {
	agent  interaction.PartyID
	focus  Conversation
	remind bool
	// configured: the desk set focus or setting; keep the record when
	// nothing is pending.
	configured bool
	pending    []*entry
}

// entry is one pending response: agent desk owes an answer in conv.
type entry struct {
	desk  *desk
	conv  Conversation
	since int64 // Unix ns
	index int32 // slot in Tracker.due (which holds the due time); -1 when not armed
	count int32 // reminders raised so far
	// away: reminded since it last lost focus (or became pending). With
	// the setting off an unfocused conversation is reminded of once.
	away bool
}

type wanted struct {
	agent interaction.PartyID
	conv  Conversation
	since int64
}

// Option configures a Tracker.
type Option func(*Tracker)

// WithDelay sets how long a response waits, or an unfocused conversation
// has lost the focus, before the first reminder (default 10 s).
func WithDelay(d time.Duration) Option {
	return func(t *Tracker) {
		if d >= 0 {
			t.delay = int64(d)
		}
	}
}

// WithInterval sets how often reminders repeat for an agent with the
// answer-reminder setting on (default 30 s; at least 1 ms).
func WithInterval(d time.Duration) Option {
	return func(t *Tracker) {
		if d >= time.Millisecond {
			t.interval = int64(d)
		}
	}
}

// WithAnswerReminders sets the answer-reminder setting of agents whose desk
// has not called SetAnswerReminders (default off).
func WithAnswerReminders(on bool) Option { return func(t *Tracker) { t.remind = on } }

// New returns a Tracker that schedules through clock and delivers to sink.
func New(clock interaction.Clock, sink Sink, opts ...Option) *Tracker {
	t := &Tracker{clock: clock, sink: sink, delay: int64(10 * time.Second), interval: int64(30 * time.Second),
		desks: map[interaction.PartyID]*desk{}, heard: map[interaction.ID]uint64{}}
	for _, o := range opts {
		o(t)
	}
	return t
}

// Focus records which conversation agent has in focus on its desk; the
// zero Conversation means none. A pending response that loses the focus is
// reminded of again (R-C9).
func (t *Tracker) Focus(agent interaction.PartyID, c Conversation) {
	t.mu.Lock()
	defer t.mu.Unlock()
	d := t.deskOf(agent)
	d.configured = true
	t.focus(d, c)
	t.rearm()
}

func (t *Tracker) focus(d *desk, c Conversation) {
	old := d.focus
	if old == c {
		return
	}
	d.focus = c
	if !d.remind {
		if e := d.find(old); e != nil {
			e.away = false
			t.arm(e, t.now()+t.delay)
		}
		if e := d.find(c); e != nil {
			t.disarm(e)
		}
	}
}

// SetAnswerReminders records agent's answer-reminder setting. On: every
// pending response is reminded of every Interval, focused or not. Off:
// only an unfocused one, once each time it loses the focus (R-C9).
func (t *Tracker) SetAnswerReminders(agent interaction.PartyID, on bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	d := t.deskOf(agent)
	d.configured = true
	t.setRemind(d, on)
	t.rearm()
}

func (t *Tracker) setRemind(d *desk, on bool) {
	if d.remind == on {
		return
	}
	d.remind = on
	now := t.now()
	for _, e := range d.pending {
		switch {
		case on && e.index < 0:
			t.arm(e, now+t.delay)
		case !on && (e.conv == d.focus || e.away):
			t.disarm(e)
		}
	}
}

// Forget drops what the desk told about agent (focus, setting), for an
// agent who logged out: nothing is in focus and the default setting holds.
// Its pending responses stay known.
func (t *Tracker) Forget(agent interaction.PartyID) {
	t.mu.Lock()
	defer t.mu.Unlock()
	d := t.desks[agent]
	if d == nil {
		return
	}
	t.focus(d, Conversation{})
	t.setRemind(d, t.remind)
	d.configured = false
	if len(d.pending) == 0 {
		delete(t.desks, agent)
	}
	t.rearm()
}

// Pending lists the conversations waiting for agent's answer, oldest first.
func (t *Tracker) Pending(agent interaction.PartyID) []Pending {
	t.mu.Lock()
	defer t.mu.Unlock()
	d := t.desks[agent]
	if d == nil {
		return nil
	}
	out := make([]Pending, 0, len(d.pending))
	for _, e := range d.pending {
		out = append(out, Pending{Conversation: e.conv, Since: time.Unix(0, e.since).UTC()})
	}
	slices.SortFunc(out, func(a, b Pending) int {
		if c := a.Since.Compare(b.Since); c != 0 {
			return c
		}
		if a.Interaction != b.Interaction {
			return compareStrings(string(a.Interaction), string(b.Interaction))
		}
		return compareStrings(string(a.Leg), string(b.Leg))
	})
	return out
}

// Armed is the number of reminders scheduled.
func (t *Tracker) Armed() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.due)
}

// Close stops the clock timer; no reminder is raised afterwards.
func (t *Tracker) Close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closed = true
	if t.timer != nil {
		t.timer.Stop()
		t.timer, t.timerAt = nil, 0
	}
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (t *Tracker) now() int64 { return t.clock.Now().UnixNano() }

func (t *Tracker) deskOf(agent interaction.PartyID) *desk {
	d := t.desks[agent]
	if d == nil {
		d = &desk{agent: agent, remind: t.remind}
		t.desks[agent] = d
	}
	return d
}

func (d *desk) find(c Conversation) *entry {
	if c == (Conversation{}) {
		return nil
	}
	for _, e := range d.pending {
		if e.conv == c {
			return e
		}
	}
	return nil
}

// raise records that agent d owes an answer in c since since; at is when
// the tracker learnt it. An answer already owed keeps its first since.
func (t *Tracker) raise(d *desk, c Conversation, since, at int64) {
	if d.find(c) != nil {
		return
	}
	e := &entry{desk: d, conv: c, since: since, index: -1}
	d.pending = append(d.pending, e)
	if d.remind || d.focus != c {
		t.arm(e, max(since, at)+t.delay)
	}
}

// settle forgets the pending response of agent in c, if any.
func (t *Tracker) settle(agent interaction.PartyID, c Conversation) {
	d := t.desks[agent]
	if d == nil {
		return
	}
	for i, e := range d.pending {
		if e.conv == c {
			t.drop(d, i)
			return
		}
	}
}

func (t *Tracker) drop(d *desk, i int) {
	e := d.pending[i]
	t.disarm(e)
	last := len(d.pending) - 1
	d.pending[i] = d.pending[last]
	d.pending[last] = nil
	d.pending = d.pending[:last]
	e.desk = nil
	if last == 0 && !d.configured {
		delete(t.desks, d.agent)
	}
}

func (t *Tracker) arm(e *entry, due int64) {
	t.seq++
	if e.index >= 0 {
		t.due[e.index].due, t.due[e.index].seq = due, t.seq
		t.due.fix(int(e.index))
		return
	}
	t.due.push(slot{due: due, seq: t.seq, e: e})
}

func (t *Tracker) disarm(e *entry) {
	if e.index >= 0 {
		t.due.remove(int(e.index))
	}
}

// rearm makes sure one clock timer is out for the earliest armed entry. A
// timer that would fire earlier than needed is left alone: it finds
// nothing due and sets the next one, which saves a Stop per change.
func (t *Tracker) rearm() {
	if t.closed || len(t.due) == 0 {
		return
	}
	head := t.due[0].due
	if t.timer != nil && t.timerAt <= head {
		return
	}
	if t.timer != nil {
		t.timer.Stop()
	}
	t.gen++
	gen := t.gen
	d := time.Duration(head - t.now())
	if d < 0 {
		d = 0
	}
	t.timerAt = head
	t.timer = t.clock.AfterFunc(d, func() { t.fire(gen) })
}

// fire runs on the clock's timer: raise what is due, then deliver.
func (t *Tracker) fire(gen uint64) {
	t.fireMu.Lock()
	defer t.fireMu.Unlock()
	t.mu.Lock()
	if gen == t.gen {
		t.timer, t.timerAt = nil, 0
	}
	if t.closed {
		t.mu.Unlock()
		return
	}
	t.out = t.tick(t.now(), t.out[:0])
	t.rearm()
	t.mu.Unlock()
	ctx := context.Background()
	for i := range t.out {
		t.sink.Remind(ctx, t.out[i])
	}
	clear(t.out) // pin no strings of finished interactions
}

// tick pops the entries due at or before now and appends their reminders
// to out. Its cost is O(due · log armed): entries not due are not looked at.
func (t *Tracker) tick(now int64, out []Reminder) []Reminder {
	for len(t.due) > 0 && t.due[0].due <= now {
		due, e := t.due[0].due, t.due[0].e
		d := e.desk
		focused := d.focus == e.conv
		if focused && !d.remind {
			t.due.remove(0) // cannot happen: Focus disarms it; be safe
			continue
		}
		e.count++
		e.away = true
		out = append(out, Reminder{Agent: d.agent, Conversation: e.conv, Since: time.Unix(0, e.since).UTC(),
			Due: time.Unix(0, due).UTC(), Count: int(e.count), Focused: focused})
		if !d.remind {
			t.due.remove(0)
			continue
		}
		next := due + t.interval
		if next <= now {
			next = now + t.interval
		}
		t.seq++
		t.due[0].due, t.due[0].seq = next, t.seq
		t.due.fix(0)
	}
	return out
}

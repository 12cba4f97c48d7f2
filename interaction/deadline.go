package interaction

import (
	"context"
	"sync"
	"time"
)

// Deadlines as data (issue 13).
//
// Every time-out of an invitation (a consultation leg, a transfer or
// conference request, an offer of a routed invitation) is a deadline in the
// state: the invitation's first event carries it (Event.Deadline), and
// State.Deadlines lists the ones still pending. No goroutine and no timer
// of the state machine holds it; time is an input. A Scheduler fires a due
// deadline as an ordinary System command through Service.DoCommand, with a
// command ID derived from the deadline (Deadline.CommandID), so that firing
// it twice (two instances, a restart) applies it once, and a deadline whose
// invitation was answered fires nothing.
//
// Where a Scheduler finds the due deadlines is a DeadlineQueue: in memory,
// MemoryDeadlines, learned from committed events (it is a Notifier) and, on
// start, from the interactions' states (Recover); on PostgreSQL, a table the
// Store maintains in the transaction that appends the events, claimed by
// one instance at a time (module pgstore).

// DeadlineKind says what a deadline times out.
type DeadlineKind uint8

const (
	// DeadlineLeg: a consultation leg's invitation.
	DeadlineLeg DeadlineKind = iota + 1
	// DeadlineRequest: a transfer or conference request.
	DeadlineRequest
)

func (k DeadlineKind) String() string {
	switch k {
	case DeadlineLeg:
		return "leg"
	case DeadlineRequest:
		return "request"
	}
	return "unknown"
}

// Deadline is when a pending invitation times out.
type Deadline struct {
	Interaction ID
	Invitation  InvitationID // the leg or request
	Kind        DeadlineKind
	Due         time.Time
}

// CommandID is the ID of the command that fires the deadline:
// "deadline/<invitation>/<kind>". Run with it through Service.DoCommand, a
// deadline fired twice, by two instances or after a restart, applies once.
func (d Deadline) CommandID() string {
	return "deadline/" + string(d.Invitation) + "/" + d.Kind.String()
}

type deadlineKey struct {
	interaction ID
	invitation  InvitationID
}

func (d Deadline) key() deadlineKey { return deadlineKey{d.Interaction, d.Invitation} }

// Deadlines lists the deadlines of the invitations still pending: every
// inviting leg and pending request that has one.
func (s *State) Deadlines() []Deadline {
	var out []Deadline
	for i := range s.Legs {
		if l := &s.Legs[i]; l.State == LegInviting && !l.Deadline.IsZero() {
			out = append(out, Deadline{Interaction: s.ID, Invitation: InvitationID(l.ID), Kind: DeadlineLeg, Due: l.Deadline})
		}
	}
	for i := range s.Requests {
		if r := &s.Requests[i]; r.State == RequestPending && !r.Deadline.IsZero() {
			out = append(out, Deadline{Interaction: s.ID, Invitation: InvitationID(r.ID), Kind: DeadlineRequest, Due: r.Deadline})
		}
	}
	return out
}

// DeadlineChanges is what committed events do to the deadlines: the ones
// they set (a new leg or request with a deadline) and the invitations they
// end (answered, cancelled, timed out), whose deadlines go. A store that
// keeps deadlines beside the events (pgstore) and MemoryDeadlines both
// follow it. An invitation set and ended by the same events is in ended
// only.
func DeadlineChanges(events []Event) (set []Deadline, ended []Deadline) {
	for i := range events {
		ev := &events[i]
		var kind DeadlineKind
		var none, pending string
		switch ev.Type {
		case EventLeg:
			kind, none, pending = DeadlineLeg, string(LegNone), string(LegInviting)
		case EventRequest:
			kind, none, pending = DeadlineRequest, string(RequestNone), string(RequestPending)
		default:
			continue
		}
		d := Deadline{Interaction: ev.Interaction, Invitation: ev.Invitation(), Kind: kind, Due: ev.Deadline}
		switch {
		case ev.From == none && !ev.Deadline.IsZero():
			set = append(set, d)
		case ev.From == pending:
			for j := range set {
				if set[j].key() == d.key() {
					set = append(set[:j], set[j+1:]...)
					break
				}
			}
			d.Due = time.Time{}
			ended = append(ended, d)
		}
	}
	return set, ended
}

// DeadlineQueue is where a Scheduler finds due deadlines. It is safe for
// concurrent use, also by the Schedulers of several instances when it is
// shared (a database table).
type DeadlineQueue interface {
	// Claim returns up to limit deadlines due at now, each claimed until
	// now+lease: no other Claim returns it before then. A deadline claimed
	// by a process that died is claimed again once its lease ran out.
	Claim(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Deadline, error)
	// Next returns the earliest time a Claim may return something: the
	// earliest due deadline not claimed, or the end of a claim's lease.
	// ok is false when the queue is empty.
	Next(ctx context.Context) (at time.Time, ok bool, err error)
	// Done drops a deadline that was fired (or found answered). Dropping
	// one that is gone already is no error.
	Done(ctx context.Context, d Deadline) error
}

// MemoryDeadlines is the in-memory DeadlineQueue. It learns deadlines from
// committed events (it is a Notifier: put it in the Service's chain, or let
// package consult feed it) and, on start, from the interactions' states
// (Recover). It is a cache of State.Deadlines over every interaction, and
// holds nothing the log does not.
//
// Notifications of one interaction may reach it out of order (two
// instances committing at once, a Service learning of its own command
// after a Forwarder told it of the next one): it applies each command's
// events once, in stream order, and drops what arrives older than what it
// has applied. It keeps that version per interaction while the interaction
// is open and has had an invitation.
type MemoryDeadlines struct {
	mu       sync.Mutex
	due      map[deadlineKey]*memDeadline
	applied  map[ID]uint64
	onChange func()
}

type memDeadline struct {
	d       Deadline
	claimed time.Time // end of the claim's lease; zero when not claimed
}

var (
	_ DeadlineQueue = (*MemoryDeadlines)(nil)
	_ Notifier      = (*MemoryDeadlines)(nil)
)

// NewMemoryDeadlines returns an empty queue.
func NewMemoryDeadlines() *MemoryDeadlines {
	return &MemoryDeadlines{due: map[deadlineKey]*memDeadline{}, applied: map[ID]uint64{}}
}

// OnChange sets f to be called after the queue changed (a deadline was
// added or dropped), outside the queue's lock: a Scheduler re-arms its
// timer there (NewScheduler sets it).
func (m *MemoryDeadlines) OnChange(f func()) {
	m.mu.Lock()
	m.onChange = f
	m.mu.Unlock()
}

// Notify implements Notifier: it adds the deadlines the events set and
// drops those of the invitations they end.
func (m *MemoryDeadlines) Notify(_ context.Context, _ *State, events []Event) {
	if len(events) == 0 {
		return
	}
	id, last := events[0].Interaction, events[len(events)-1].Version
	closed := false
	for i := range events {
		if events[i].Type == EventStatus && events[i].To == string(StatusClosed) {
			closed = true
		}
	}
	set, ended := DeadlineChanges(events)
	if len(set) == 0 && len(ended) == 0 && !closed {
		return
	}
	m.mu.Lock()
	if v, ok := m.applied[id]; ok && v >= last {
		m.mu.Unlock()
		return // applied already, or older than what was
	}
	m.applied[id] = last
	if closed {
		delete(m.applied, id) // nothing follows a closed interaction
	}
	for _, d := range ended {
		delete(m.due, d.key())
	}
	for _, d := range set {
		m.add(d)
	}
	f := m.onChange
	m.mu.Unlock()
	if f != nil && (len(set) > 0 || len(ended) > 0) {
		f()
	}
}

// add adds d, unless it is known already (a notification delivered again).
// Called with m.mu held.
func (m *MemoryDeadlines) add(d Deadline) {
	if cur, ok := m.due[d.key()]; ok && cur.d.Due.Equal(d.Due) {
		return
	}
	m.due[d.key()] = &memDeadline{d: d}
}

// Sync adds the deadlines pending in st, a state read from the Store (the
// open interactions a restarted process lists, Service.Recover), so that
// it need not read the log from its start (Recover).
func (m *MemoryDeadlines) Sync(st *State) {
	ds := st.Deadlines()
	m.mu.Lock()
	if v, ok := m.applied[st.ID]; ok && v >= st.Version {
		m.mu.Unlock()
		return // it knows this interaction as far already
	}
	if len(ds) > 0 {
		m.applied[st.ID] = st.Version
	}
	for _, d := range ds {
		m.add(d)
	}
	f := m.onChange
	m.mu.Unlock()
	if f != nil && len(ds) > 0 {
		f()
	}
}

// Recover adds the deadlines of every interaction in log, rebuilt from its
// events: what a restarted process, or a new instance, must know of the
// invitations already pending.
func (m *MemoryDeadlines) Recover(ctx context.Context, log Log) error {
	states := map[ID]*State{}
	var after uint64
	for {
		page, err := log.ReadAll(ctx, after, 1024)
		if err != nil {
			return err
		}
		if len(page) == 0 {
			break
		}
		for i := range page {
			ev := &page[i]
			after = ev.Position
			st := states[ev.Interaction]
			if st == nil {
				st = &State{}
				states[ev.Interaction] = st
			}
			if err := st.Apply(ev); err != nil {
				// Not a history this library wrote (or a gap): such an
				// interaction is refused wherever it is loaded; it has no
				// deadline to fire.
				states[ev.Interaction] = &State{Version: ^uint64(0)}
			}
		}
	}
	var all []Deadline
	m.mu.Lock()
	for id, st := range states {
		if st.Version == ^uint64(0) || st.Status == StatusClosed {
			continue
		}
		if v, ok := m.applied[id]; ok && v >= st.Version {
			continue // known up to there already
		}
		ds := st.Deadlines()
		if len(ds) == 0 && len(st.Legs) == 0 && len(st.Requests) == 0 {
			continue
		}
		m.applied[id] = st.Version
		for k := range m.due {
			if k.interaction == id {
				delete(m.due, k)
			}
		}
		all = append(all, ds...)
	}
	for _, d := range all {
		m.add(d)
	}
	f := m.onChange
	m.mu.Unlock()
	if f != nil && len(all) > 0 {
		f()
	}
	return nil
}

// Claim implements DeadlineQueue, earliest deadline first.
func (m *MemoryDeadlines) Claim(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Deadline, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*memDeadline
	for _, e := range m.due {
		if e.d.Due.After(now) || (!e.claimed.IsZero() && e.claimed.After(now)) {
			continue
		}
		out = append(out, e)
	}
	sortDeadlines(out)
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	claimed := make([]Deadline, len(out))
	for i, e := range out {
		e.claimed = now.Add(lease)
		claimed[i] = e.d
	}
	return claimed, nil
}

func sortDeadlines(ds []*memDeadline) {
	// Insertion sort: a handful of deadlines fall due at a time.
	for i := 1; i < len(ds); i++ {
		for j := i; j > 0 && deadlineBefore(ds[j].d, ds[j-1].d); j-- {
			ds[j], ds[j-1] = ds[j-1], ds[j]
		}
	}
}

func deadlineBefore(a, b Deadline) bool {
	if !a.Due.Equal(b.Due) {
		return a.Due.Before(b.Due)
	}
	if a.Interaction != b.Interaction {
		return a.Interaction < b.Interaction
	}
	return a.Invitation < b.Invitation
}

// Next implements DeadlineQueue.
func (m *MemoryDeadlines) Next(ctx context.Context) (time.Time, bool, error) {
	if err := ctx.Err(); err != nil {
		return time.Time{}, false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var next time.Time
	ok := false
	for _, e := range m.due {
		at := e.d.Due
		if e.claimed.After(at) {
			at = e.claimed
		}
		if !ok || at.Before(next) {
			next, ok = at, true
		}
	}
	return next, ok, nil
}

// Done implements DeadlineQueue.
func (m *MemoryDeadlines) Done(_ context.Context, d Deadline) error {
	m.mu.Lock()
	if e, ok := m.due[d.key()]; ok && e.d.Due.Equal(d.Due) {
		delete(m.due, d.key())
	}
	m.mu.Unlock()
	return nil
}

// Len is the number of deadlines the queue holds.
func (m *MemoryDeadlines) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.due)
}

// Scheduler fires the due deadlines of a DeadlineQueue, driven by the
// injected Clock: it keeps one timer (Clock.AfterFunc) at the queue's next
// deadline, and when it fires claims what is due and hands each deadline to
// fire, which runs it as a command (package consult's Service does:
// Deadline.CommandID through Service.DoCommand). A deadline fire handled
// without error is dropped from the queue; one that failed stays claimed
// until its lease ends and is then fired again. With a manual clock
// (chatconsulttest.ManualClock) everything runs on the goroutine that
// advances it.
type Scheduler struct {
	queue   DeadlineQueue
	clock   Clock
	fire    func(context.Context, Deadline) error
	lease   time.Duration
	batch   int
	retry   time.Duration
	onError func(error)

	mu      sync.Mutex
	timer   Timer
	armed   time.Time // when timer fires; zero when there is none
	gen     uint64    // which timer is the current one
	stopped bool
}

// SchedulerOption configures a Scheduler.
type SchedulerOption func(*Scheduler)

// WithLease sets how long a claimed deadline is kept from other claimers
// (default 30 s): longer than firing one takes.
func WithLease(d time.Duration) SchedulerOption { return func(s *Scheduler) { s.lease = d } }

// WithSchedulerErrors sets where the errors of the queue and of fire go
// (default: dropped; the Scheduler retries on its own).
func WithSchedulerErrors(f func(error)) SchedulerOption {
	return func(s *Scheduler) { s.onError = f }
}

// NewScheduler returns a Scheduler of queue on clock that hands due
// deadlines to fire. It arms nothing until Wake. A MemoryDeadlines queue
// wakes it whenever it changes.
func NewScheduler(queue DeadlineQueue, clock Clock, fire func(context.Context, Deadline) error, opts ...SchedulerOption) *Scheduler {
	s := &Scheduler{queue: queue, clock: clock, fire: fire, lease: 30 * time.Second, batch: 64, retry: time.Second, onError: func(error) {}}
	for _, o := range opts {
		o(s)
	}
	if m, ok := queue.(*MemoryDeadlines); ok {
		m.OnChange(func() { s.Wake(context.Background()) })
	}
	return s
}

// Wake reads the queue's next deadline and arms the timer for it (or
// stops the timer when the queue is empty). Call it when deadlines may have
// been added by someone the queue does not tell (another process).
func (s *Scheduler) Wake(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return
	}
	next, ok, err := s.queue.Next(ctx)
	if err != nil {
		s.onError(err)
		next, ok = s.clock.Now().Add(s.retry), true // try again soon
	}
	if !ok {
		s.disarm()
		return
	}
	if s.timer != nil && s.armed.Equal(next) {
		return
	}
	s.disarm()
	s.gen++
	gen := s.gen
	s.armed = next
	s.timer = s.clock.AfterFunc(max(next.Sub(s.clock.Now()), 0), func() { s.tick(gen) })
}

// disarm stops the timer. Called with s.mu held.
func (s *Scheduler) disarm() {
	if s.timer != nil {
		s.timer.Stop()
	}
	s.timer, s.armed = nil, time.Time{}
}

// Armed is when the Scheduler's timer fires next; zero when it is not armed.
func (s *Scheduler) Armed() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.armed
}

func (s *Scheduler) tick(gen uint64) {
	s.mu.Lock()
	if s.stopped || gen != s.gen {
		s.mu.Unlock()
		return // a timer stopped too late
	}
	s.timer, s.armed = nil, time.Time{}
	s.mu.Unlock()
	ctx := context.Background()
	if _, err := s.RunDue(ctx); err != nil {
		s.onError(err)
	}
	s.Wake(ctx)
}

// RunDue fires every deadline due now on the clock, claimed from the
// queue, and returns how many it handed to fire without error. The timer
// calls it; a test or an operator may too.
func (s *Scheduler) RunDue(ctx context.Context) (int, error) {
	n := 0
	for {
		s.mu.Lock()
		stopped := s.stopped
		s.mu.Unlock()
		if stopped {
			return n, nil
		}
		due, err := s.queue.Claim(ctx, s.clock.Now(), s.lease, s.batch)
		if err != nil || len(due) == 0 {
			return n, err
		}
		for _, d := range due {
			if err := s.fire(ctx, d); err != nil {
				// Left claimed: fired again when the lease ends.
				s.onError(err)
				continue
			}
			if err := s.queue.Done(ctx, d); err != nil {
				s.onError(err)
			}
			n++
		}
	}
}

// Stop stops the timer for good; a RunDue under way ends after the
// deadline it is firing.
func (s *Scheduler) Stop() {
	s.mu.Lock()
	s.stopped = true
	s.disarm()
	s.mu.Unlock()
}

// Follow wakes the Scheduler whenever watcher's Changed says the log grew
// (another process may have written a deadline), until ctx ends. Run it on
// a goroutine of its own when the queue is shared with other processes
// (pgstore, with its Listener as watcher).
func (s *Scheduler) Follow(ctx context.Context, watcher LogWatcher) error {
	for {
		changed := watcher.Changed()
		s.Wake(ctx)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
		}
	}
}

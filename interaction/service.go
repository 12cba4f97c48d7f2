package interaction

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
)

// Service runs commands against interactions: it loads an interaction from
// the Store (once, then keeps it), decides the command, appends the events
// with the version it decided on, applies them, and then notifies.
//
// It is safe for concurrent use. Commands on one interaction run one at a
// time; commands on different interactions do not wait for each other
// (the cache is sharded, and a shard's lock is held only to find an entry).
// Several Services may share one Store: a stale cache shows up as a
// conflict on append, and the command is decided again on fresh state.
type Service struct {
	store    Store
	notifier Notifier
	clock    Clock
	ids      IDSource
	causes   IDSource // makes the command IDs that Do records as Cause
	limits   Limits
	retries  int
	shards   [serviceShards]serviceShard
}

const serviceShards = 64

type serviceShard struct {
	mu sync.Mutex
	m  map[ID]*entry
}

type entry struct {
	mu    sync.Mutex
	state *State
	// recent holds the caller-chosen command IDs this Service committed
	// lately, so that a retry of one is recognised without a Store read.
	// It is made on the first such command: most interactions never have
	// one, and an idle interaction should stay small (issue 2).
	recent *[recentCommands]string
	next   int
}

const recentCommands = 8

func (e *entry) remember(commandID string) {
	if e.recent == nil {
		e.recent = new([recentCommands]string)
	}
	e.recent[e.next] = commandID
	e.next = (e.next + 1) % recentCommands
}

func (e *entry) seen(commandID string) bool {
	if e.recent == nil {
		return false
	}
	for _, c := range e.recent {
		if c == commandID {
			return true
		}
	}
	return false
}

// Option configures a Service.
type Option func(*Service)

// WithStore sets the Store (default: a new MemoryStore).
func WithStore(st Store) Option { return func(s *Service) { s.store = st } }

// WithNotifier sets the Notifier (default: a new MemoryNotifier).
func WithNotifier(n Notifier) Option { return func(s *Service) { s.notifier = n } }

// WithClock sets the Clock (default: SystemClock).
func WithClock(c Clock) Option { return func(s *Service) { s.clock = c } }

// WithIDs sets the IDSource (default: UUIDs). It also makes the command
// IDs that Do records as the events' Cause, so that a run replays exactly.
func WithIDs(ids IDSource) Option { return func(s *Service) { s.ids = ids } }

// WithLimits sets the input limits (default: DefaultLimits; a zero field
// keeps its default).
func WithLimits(l Limits) Option {
	return func(s *Service) {
		if l.MaxMessageBytes <= 0 {
			l.MaxMessageBytes = DefaultLimits.MaxMessageBytes
		}
		s.limits = l
	}
}

// WithConflictRetries sets how often a command is decided again after
// another writer got there first (default 3). Zero returns ErrConflict at
// the first conflict.
func WithConflictRetries(n int) Option { return func(s *Service) { s.retries = n } }

// NewService returns a Service; without options it runs on a MemoryStore,
// a MemoryNotifier, the system clock and random UUIDs.
//
// Without WithIDs, the command IDs (the Cause of the events of a command
// that Do runs without one of the caller's) are one random UUID per
// Service followed by a counter: as unique as a UUID each, without reading
// the system's random source for every command, which was an eighth of the
// cost of a command (BENCHMARKS.md).
func NewService(opts ...Option) *Service {
	s := &Service{clock: SystemClock{}, limits: DefaultLimits, retries: 3}
	for _, o := range opts {
		o(s)
	}
	if s.ids == nil {
		s.ids = UUIDs{}
		s.causes = &commandIDs{prefix: UUIDs{}.NewID() + "."}
	} else {
		s.causes = s.ids
	}
	if s.store == nil {
		s.store = NewMemoryStore()
	}
	if s.notifier == nil {
		s.notifier = NewMemoryNotifier()
	}
	for i := range s.shards {
		s.shards[i].m = map[ID]*entry{}
	}
	return s
}

// commandIDs makes the default command IDs: prefix, then a counter in base
// 36, built in one allocation.
type commandIDs struct {
	prefix string
	n      atomic.Uint64
}

func (c *commandIDs) NewID() string {
	var buf [64]byte
	b := append(buf[:0], c.prefix...)
	return string(strconv.AppendUint(b, c.n.Add(1), 36))
}

// Cached is the number of interactions the Service holds in memory: the
// ones used since they were loaded, until they close.
func (s *Service) Cached() int {
	var entries []*entry
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		for _, e := range sh.m {
			entries = append(entries, e)
		}
		sh.mu.Unlock()
	}
	n := 0
	for _, e := range entries { // entry locks are never taken under a shard lock
		e.mu.Lock()
		if e.state != nil {
			n++
		}
		e.mu.Unlock()
	}
	return n
}

// Store returns the service's Store.
func (s *Service) Store() Store { return s.store }

// Notifier returns the service's Notifier.
func (s *Service) Notifier() Notifier { return s.notifier }

// Clock returns the service's Clock.
func (s *Service) Clock() Clock { return s.clock }

// IDs returns the service's IDSource.
func (s *Service) IDs() IDSource { return s.ids }

func (s *Service) entry(id ID) *entry {
	sh := &s.shards[shardOf(id, serviceShards)]
	sh.mu.Lock()
	e := sh.m[id]
	if e == nil {
		e = &entry{}
		sh.m[id] = e
	}
	sh.mu.Unlock()
	return e
}

func (s *Service) forget(id ID, e *entry) {
	sh := &s.shards[shardOf(id, serviceShards)]
	sh.mu.Lock()
	if sh.m[id] == e {
		delete(sh.m, id)
	}
	sh.mu.Unlock()
}

// load fills e.state from the Store. Called with e.mu held. If commandID
// is not empty it returns the events that command caused, if any.
func (s *Service) load(ctx context.Context, id ID, e *entry, commandID string) ([]Event, error) {
	events, err := s.store.Load(ctx, id)
	if err != nil {
		return nil, err
	}
	var done []Event
	if commandID != "" {
		for _, ev := range events {
			if ev.Cause == commandID {
				done = append(done, ev)
			}
		}
	}
	st, err := Rebuild(events)
	if err != nil {
		return nil, err
	}
	if st.Version == 0 {
		st.ID = id
	}
	e.state = st
	return done, nil
}

// Open starts a new interaction for contact, with an optional first message.
func (s *Service) Open(ctx context.Context, contact PartyID, text string) (ID, error) {
	id := ID(s.ids.NewID())
	_, err := s.Do(ctx, id, contact, Open{Contact: contact, Text: text})
	if err != nil {
		return "", err
	}
	return id, nil
}

// Do runs one command by actor on interaction id and returns the events it
// caused. A refused command returns an *Error and leaves no trace: no
// event, no notification, no change of state.
func (s *Service) Do(ctx context.Context, id ID, actor PartyID, cmd Command) ([]Event, error) {
	return s.DoCommand(ctx, id, actor, "", cmd)
}

// DoCommand is Do with the caller's own command ID, recorded as the Cause
// of the events. It makes a retry safe: when a command with that ID has
// already been committed to the interaction (by this or another Service on
// the same Store, say before a connection was cut), DoCommand returns the
// events it caused and writes nothing: the command applies exactly once.
func (s *Service) DoCommand(ctx context.Context, id ID, actor PartyID, commandID string, cmd Command) ([]Event, error) {
	if id == "" {
		return nil, &Error{Kind: ErrBadInput, Op: "command", Detail: "no interaction ID"}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	_, opening := cmd.(Open)
	e := s.entry(id)
	e.mu.Lock()
	defer e.mu.Unlock()
	defer s.releaseIfClosed(id, e)
	explicit := commandID
	if commandID == "" {
		commandID = s.causes.NewID()
	} else if e.seen(commandID) {
		e.state = nil // reload, to hand back what the command caused
	}
	fresh := false
	for attempt := 0; ; attempt++ {
		if e.state == nil {
			done, err := s.load(ctx, id, e, explicit)
			if err != nil {
				return nil, err
			}
			if len(done) > 0 {
				return done, nil
			}
			fresh = true
		}
		if e.state.Version == 0 && !opening {
			e.state = nil
			s.forget(id, e)
			return nil, &Error{Kind: ErrNotFound, Op: "command", Interaction: id, Party: actor, Detail: "no such interaction"}
		}
		d := newPooledDecision(e.state, actor, s.clock.Now(), commandID, s.limits, s.ids)
		if err := cmd.Decide(d); err != nil {
			d.release()
			if !fresh {
				// The cache may be behind another Service on the same Store
				// (the agent joined through another instance): a refusal is
				// final only when decided on what the Store holds.
				e.state = nil
				continue
			}
			if e.state.Version == 0 {
				e.state = nil
				s.forget(id, e)
			}
			return nil, err
		}
		recorded, err := d.Events()
		if err != nil || len(recorded) == 0 {
			d.release()
			return nil, err
		}
		// The caller, the Store and the Notifier get a slice of their own,
		// sized exactly; the Decision goes back to the pool.
		events := make([]Event, len(recorded))
		copy(events, recorded)
		d.release()
		err = s.store.Append(ctx, id, e.state.Version, events)
		if errors.Is(err, ErrConflict) && attempt < s.retries {
			e.state = nil // another writer moved on: decide again on fresh state
			continue
		}
		if err != nil {
			// The outcome is unknown (a cut connection may have committed):
			// drop the cache so the next command, or a retry with the same
			// command ID, starts from what the Store holds.
			if e.state.Version == 0 {
				s.forget(id, e)
			}
			e.state = nil
			return nil, err
		}
		if explicit != "" {
			e.remember(explicit)
		}
		for i := range events {
			if err := e.state.Apply(&events[i]); err != nil {
				// The events were applied to the Decision's copy already, so
				// this cannot happen; reload rather than trust the cache.
				e.state = nil
				return events, err
			}
		}
		// The command is committed: notify even if the caller's context
		// has been cancelled meanwhile.
		if ctx.Done() != nil {
			ctx = context.WithoutCancel(ctx)
		}
		s.notifier.Notify(ctx, e.state, events)
		return events, nil
	}
}

// Read runs f on the current state of interaction id, under its lock.
// f must not keep the state or call the Service.
func (s *Service) Read(ctx context.Context, id ID, f func(*State) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	e := s.entry(id)
	e.mu.Lock()
	defer e.mu.Unlock()
	defer s.releaseIfClosed(id, e)
	if e.state == nil {
		if _, err := s.load(ctx, id, e, ""); err != nil {
			return err
		}
	}
	if e.state.Version == 0 {
		e.state = nil
		s.forget(id, e)
		return &Error{Kind: ErrNotFound, Op: "read", Interaction: id, Detail: "no such interaction"}
	}
	return f(e.state)
}

// releaseIfClosed lets a closed interaction go from the cache: closed is
// final, nothing changes it again, and a later read loads it from the
// Store. Called with e.mu held, on every way out of DoCommand and Read.
func (s *Service) releaseIfClosed(id ID, e *entry) {
	if e.state != nil && e.state.Status == StatusClosed {
		e.state = nil
		s.forget(id, e)
	}
}

// State returns a copy of the interaction's current state.
func (s *Service) State(ctx context.Context, id ID) (*State, error) {
	var out *State
	err := s.Read(ctx, id, func(st *State) error { out = st.Clone(); return nil })
	return out, err
}

// View returns what viewer may see of the interaction (R-X6: a party that
// was never in it gets ErrNotPermitted).
func (s *Service) View(ctx context.Context, id ID, viewer PartyID) (View, error) {
	var v View
	err := s.Read(ctx, id, func(st *State) error {
		var err error
		v, err = st.ViewFor(viewer)
		return err
	})
	return v, err
}

// Assign offers a waiting chat to agent (actor: System, for routing).
func (s *Service) Assign(ctx context.Context, id ID, actor, agent PartyID) error {
	_, err := s.Do(ctx, id, actor, Assign{Agent: agent})
	return err
}

// Join: the offered agent takes the chat.
func (s *Service) Join(ctx context.Context, id ID, agent PartyID) error {
	_, err := s.Do(ctx, id, agent, Join{})
	return err
}

// Post writes a message to the chat.
func (s *Service) Post(ctx context.Context, id ID, actor PartyID, text string) error {
	_, err := s.Do(ctx, id, actor, Post{Text: text})
	return err
}

// Leave takes actor out of the chat.
func (s *Service) Leave(ctx context.Context, id ID, actor PartyID) error {
	_, err := s.Do(ctx, id, actor, Leave{})
	return err
}

// End ends actor's session with the contact.
func (s *Service) End(ctx context.Context, id ID, actor PartyID) error {
	_, err := s.Do(ctx, id, actor, End{})
	return err
}

// MarkDone marks the interaction done for actor.
func (s *Service) MarkDone(ctx context.Context, id ID, actor PartyID) error {
	_, err := s.Do(ctx, id, actor, MarkDone{})
	return err
}

package interaction

import (
	"context"
	cryptorand "crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	mathrand "math/rand/v2"
	"sync"

	"github.com/chatconsult/chatconsult/observe"
)

// Service runs commands against interactions: it loads an interaction from
// the Store (once, then keeps it; an Open of an interaction it holds
// nothing of is decided on the empty state, which the append's expected
// version checks), decides the command, appends the events with the
// version it decided on, applies them, and then notifies.
//
// It is safe for concurrent use. Commands on one interaction run one at a
// time; commands on different interactions do not wait for each other
// (the cache is sharded, and a shard's lock is held only to find an entry).
// Several Services may share one Store: a stale cache shows up as a
// conflict on append, and the command is decided again on fresh state.
type Service struct {
	store       Store
	notifier    Notifier
	clock       Clock
	ids         IDSource
	causes      IDSource // makes the command IDs that Do records as Cause
	limits      Limits
	retries     int
	names       ContactNames
	supervision SupervisionPolicy
	readLatest  bool
	// lends: the Store and the Notifier read a command's events only during
	// their call (borrowsEvents), so run need not copy them.
	lends  bool
	hooks  observe.Hooks // logger and Observer (observe.go)
	shards [serviceShards]serviceShard
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
// keeps its default). MaxMessageBytes is capped at MaxTextBytes.
func WithLimits(l Limits) Option {
	return func(s *Service) {
		if l.MaxMessageBytes <= 0 {
			l.MaxMessageBytes = DefaultLimits.MaxMessageBytes
		}
		l.MaxMessageBytes = min(l.MaxMessageBytes, MaxTextBytes)
		s.limits = l
	}
}

// WithContactNames sets how agents are named to contacts in the views
// Service.View returns and the events Do returns (default:
// DefaultContactName). Give the MemoryNotifier the same names.
func WithContactNames(names ContactNames) Option { return func(s *Service) { s.names = names } }

// WithSupervision sets who may supervise whom (R-X7). Without it nobody
// may: Monitor, Coach and BargeIn are refused.
func WithSupervision(p SupervisionPolicy) Option { return func(s *Service) { s.supervision = p } }

// WithReadLatest makes every read (View, State, Read) first catch up with
// the Store (one StreamReader.LoadFrom of the newer events: on PostgreSQL
// one query by primary key), so that a read sees every write committed
// before it began, through any instance. Without it a read answers from
// this instance's cache: monotonic, and it includes this instance's own
// writes, but it may lag another instance's writes until this instance
// next writes to the interaction, or Sync is called.
func WithReadLatest() Option { return func(s *Service) { s.readLatest = true } }

// WithConflictRetries sets how often a command is decided again after
// another writer got there first (default 3). Zero returns ErrConflict at
// the first conflict.
func WithConflictRetries(n int) Option { return func(s *Service) { s.retries = n } }

// NewService returns a Service; without options it runs on a MemoryStore,
// a MemoryNotifier, the system clock and random UUIDs.
//
// Without WithIDs, the command IDs (the Cause of the events of a command
// that Do runs without one of the caller's) are 128 random bits each from
// a cryptographically strong generator: a party that sees one of its own
// command IDs cannot predict the next ones (issue 12), and making one
// reads no system random source, which was an eighth of the cost of a
// command (BENCHMARKS.md).
func NewService(opts ...Option) *Service {
	s := &Service{clock: SystemClock{}, limits: DefaultLimits, retries: 3}
	for _, o := range opts {
		o(s)
	}
	if s.ids == nil {
		s.ids = UUIDs{}
		s.causes = newCommandIDs()
	} else {
		s.causes = s.ids
	}
	if s.store == nil {
		s.store = NewMemoryStore()
	}
	if s.notifier == nil {
		s.notifier = NewMemoryNotifier()
	}
	s.lends = borrowsEvents(s.store) && borrowsEvents(s.notifier)
	for i := range s.shards {
		s.shards[i].m = map[ID]*entry{}
	}
	return s
}

// commandIDs makes the default command IDs: 128 bits from ChaCha8
// generators seeded from crypto/rand, so no ID tells anything about the
// next one, and making one reads no system random source. The generators
// are sharded, each behind its own lock taken for two reads, and a caller
// picks one at random: no lock shared by all callers.
type commandIDs struct {
	shards [idShards]idShard
}

const idShards = 16

type idShard struct {
	mu  sync.Mutex
	gen *mathrand.ChaCha8
	_   [40]byte // one shard per cache line
}

func newCommandIDs() *commandIDs {
	c := &commandIDs{}
	for i := range c.shards {
		var seed [32]byte
		_, _ = cryptorand.Read(seed[:]) // never fails (crypto/rand, Go 1.24+)
		c.shards[i].gen = mathrand.NewChaCha8(seed)
	}
	return c
}

func (c *commandIDs) NewID() string {
	sh := &c.shards[mathrand.Uint32()%idShards]
	sh.mu.Lock()
	hi, lo := sh.gen.Uint64(), sh.gen.Uint64()
	sh.mu.Unlock()
	var raw [16]byte
	binary.LittleEndian.PutUint64(raw[:8], hi)
	binary.LittleEndian.PutUint64(raw[8:], lo)
	return commandIDText(&raw)
}

// commandIDText is base64.RawURLEncoding of raw (22 characters, small
// enough for the 24-byte size class), unrolled for its one length: the
// general encoder was a third of the cost of making an ID.
func commandIDText(raw *[16]byte) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	var buf [22]byte
	for i, o := 0, 0; i < 15; i, o = i+3, o+4 {
		v := uint(raw[i])<<16 | uint(raw[i+1])<<8 | uint(raw[i+2])
		buf[o], buf[o+1], buf[o+2], buf[o+3] = alphabet[v>>18&63], alphabet[v>>12&63], alphabet[v>>6&63], alphabet[v&63]
	}
	buf[20], buf[21] = alphabet[raw[15]>>2], alphabet[raw[15]<<4&63]
	return string(buf[:])
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
// is not empty it returns the events that command caused, if any, and,
// when later commands followed it, the state right after it (to show the
// command's events as they were shown then).
func (s *Service) load(ctx context.Context, id ID, e *entry, commandID string) ([]Event, *State, error) {
	events, err := s.store.Load(ctx, id)
	if err != nil {
		return nil, nil, err
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
		return nil, nil, err
	}
	if st.Version == 0 {
		st.ID = id
	}
	e.state = st
	then := st
	if n := len(done); n > 0 && done[n-1].Version < st.Version {
		if then, err = Rebuild(events[:done[n-1].Version]); err != nil {
			return nil, nil, err
		}
	}
	return done, then, nil
}

// Open starts a new interaction for contact, with an optional first message.
func (s *Service) Open(ctx context.Context, contact PartyID, text string) (ID, error) {
	id := ID(s.ids.NewID())
	err := run(s, ctx, id, contact, "", Open{Contact: contact, Text: text}, nil, false)
	if err != nil {
		return "", err
	}
	return id, nil
}

// Do runs one command by actor on interaction id and returns the events it
// caused as actor may see them (State.EventsFor: its own numbering, no
// actor or cause of a party it may not know); System sees them all. A
// refused command returns an *Error and leaves no trace: no event, no
// notification, no change of state.
//
// Decides R-X6: every command names its acting party and is refused with a typed error.
func (s *Service) Do(ctx context.Context, id ID, actor PartyID, cmd Command) ([]Event, error) {
	return s.DoCommand(ctx, id, actor, "", cmd)
}

// DoCommand is Do with the caller's own command ID, recorded as the Cause
// of the events. It makes a retry safe: when the same actor's same command
// (same ID, same content: its Fingerprint) has already been committed to
// the interaction (by this or another Service on the same Store, say
// before a connection was cut), DoCommand writes nothing, notifies the
// events again (subscribers drop what they have, by version) and returns
// them as actor may see them: the command applies exactly once. A command
// ID already used by another actor or for another command is refused with
// ErrConflict, and nothing of that command is returned.
func (s *Service) DoCommand(ctx context.Context, id ID, actor PartyID, commandID string, cmd Command) ([]Event, error) {
	var out []Event
	err := run(s, ctx, id, actor, commandID, cmd, func(st *State, events []Event, _ bool) {
		if actor == System {
			out = events
			return
		}
		out = st.EventsFor(actor, events, s.names) // a new slice
	}, actor == System)
	return out, err
}

// Execute is DoCommand for the embedding service's own bookkeeping
// (routing, projections, checkers): it returns every event the command
// caused, with stream versions and causes, whoever may see them. Never
// hand its result to a party: give a party what Do returns.
func (s *Service) Execute(ctx context.Context, id ID, actor PartyID, commandID string, cmd Command) ([]Event, error) {
	events, _, err := s.ExecuteOnce(ctx, id, actor, commandID, cmd)
	return events, err
}

// ExecuteOnce is Execute that also says whether this call wrote the
// events: again is true when the command (its caller-chosen ID) had been
// applied before, by this or another Service on the Store, and its events
// are handed back once more. A side effect that must happen once per
// command (telling someone outside the interaction) belongs to the call
// that wrote it.
func (s *Service) ExecuteOnce(ctx context.Context, id ID, actor PartyID, commandID string, cmd Command) (events []Event, again bool, err error) {
	err = run(s, ctx, id, actor, commandID, cmd, func(_ *State, evs []Event, retry bool) { events, again = evs, retry }, true)
	return events, again, err
}

// Fingerprint identifies a command by its actor, type and content, so that
// a retry is told from another command reusing the same ID. It is stored
// on the first event of a command run with a caller-chosen ID.
func Fingerprint(actor PartyID, cmd Command) uint64 {
	h := fnv.New64a()
	if k, ok := cmd.(keyed); ok {
		k.fingerprint(h, actor) // its key, not its content (commandid.go)
	} else {
		fmt.Fprintf(h, "%s\x00%T\x00%#v", actor, cmd, cmd)
	}
	if f := h.Sum64(); f != 0 {
		return f
	}
	return 1 // 0 means "no fingerprint"
}

// run decides cmd and commits its events. result, when not nil, gets them
// as committed; keeps says whether it keeps the slice past its call (run
// then hands it a slice of its own). It is generic so that the Service's
// own commands (Post, Join, …) reach Decide without being boxed in a
// Command: a tenth of a chat's allocations.
func run[C Command](s *Service, ctx context.Context, id ID, actor PartyID, commandID string, cmd C, result func(st *State, events []Event, again bool), keeps bool) (err error) {
	decided := 0
	if s.hooks.On() {
		start := s.clock.Now()
		defer func() { s.observeCommand(ctx, id, cmd, err, s.clock.Now().Sub(start), decided) }()
	}
	if id == "" {
		return &Error{Kind: ErrBadInput, Op: "command", Detail: "no interaction ID"}
	}
	if any(cmd) == nil {
		return &Error{Kind: ErrBadInput, Op: "command", Interaction: id, Party: actor, Rule: "R-X6", Detail: "no command"}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	e := s.entry(id)
	e.mu.Lock()
	// Few returns and defers here, and none in a loop, so that the compiler
	// inlines the defers (a deferred call from runLocked's loop and many
	// returns went through the runtime's defer records).
	defer e.mu.Unlock()
	defer s.releaseIfClosed(id, e)
	decided, err = runLocked(s, ctx, e, id, actor, commandID, cmd, result, keeps)
	return err
}

// runLocked is run with e locked; decided counts the decisions made.
func runLocked[C Command](s *Service, ctx context.Context, e *entry, id ID, actor PartyID, commandID string, cmd C, result func(st *State, events []Event, again bool), keeps bool) (decided int, err error) {
	_, opening := any(cmd).(Open)
	explicit := commandID
	var fingerprint uint64
	if commandID == "" {
		commandID = s.causes.NewID()
	} else {
		fingerprint = Fingerprint(actor, cmd)
		if e.seen(commandID) {
			e.state = nil // reload, to hand back what the command caused
		}
	}
	fresh := false
	// An interaction this Service holds nothing of is new when the command
	// opens it (its ID is fresh): the command is decided on the empty state,
	// and the append's expected version 0 checks that guess, instead of a
	// read of a stream that is all but always empty (issue 15: a round trip
	// per chat on PostgreSQL). A refusal or a conflict on the guess reads the
	// stream and decides again. A caller-chosen command ID is read first,
	// since it may have been applied already.
	guessed := false
	if opening && e.state == nil && explicit == "" {
		if st, err := Rebuild(nil); err == nil {
			st.ID = id
			e.state, guessed = st, true
		}
	}
	for attempt := 0; ; attempt++ {
		if e.state == nil {
			guessed = false
			done, then, err := s.load(ctx, id, e, explicit)
			if err != nil {
				return decided, err
			}
			if len(done) > 0 {
				return decided, s.retried(ctx, e, then, actor, fingerprint, done, result)
			}
			fresh = true
		}
		if e.state.Version == 0 && !opening {
			e.state = nil
			s.forget(id, e)
			return decided, &Error{Kind: ErrNotFound, Op: "command", Interaction: id, Party: actor, Detail: "no such interaction"}
		}
		// A command is never decided before the last event: another
		// instance's clock may run ahead of this one's, or the clock may
		// step back; the log's time must not go backwards (R-X5, validate).
		now := s.clock.Now()
		if eventTimeOf(now).before(e.state.log.last) {
			now = e.state.log.last.time().In(now.Location())
		}
		d := newPooledDecision(e.state, actor, now, commandID, s.limits, s.ids)
		d.supervision = s.supervision
		decided++
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
			return decided, err
		}
		recorded, err := d.Events()
		if err != nil || len(recorded) == 0 {
			d.release()
			return decided, err
		}
		// The caller, the Store and the Notifier get a slice of their own,
		// sized exactly, unless none of them keeps it past its call (the
		// MemoryStore and this package's Notifiers): then they read the
		// Decision's, and it goes back to the pool once they are done. A
		// copy was a third of the bytes a chat allocated.
		events, lent := recorded, d
		if !s.lends || keeps {
			events, lent = make([]Event, len(recorded)), nil
			copy(events, recorded)
			d.release()
		}
		err = s.commit(ctx, e, id, events, fingerprint, explicit)
		if err == nil && result != nil {
			result(e.state, events, false)
		}
		if lent != nil {
			lent.release()
		}
		if errors.Is(err, ErrConflict) && guessed {
			// The interaction exists: read it and decide again. Not a
			// conflict with another writer, so not one of the retries.
			e.state = nil
			attempt--
			continue
		}
		if errors.Is(err, ErrConflict) {
			s.conflicted(ctx, id, cmd, attempt, attempt < s.retries)
			if attempt < s.retries {
				e.state = nil // another writer moved on: decide again on fresh state
				continue
			}
			if e.state.Version == 0 {
				s.forget(id, e)
			}
			e.state = nil
		}
		return decided, err
	}
}

// commit appends events to the Store, applies them to the cached state and
// notifies them. On a conflict it returns an error wrapping ErrConflict and
// leaves the cache for the caller to drop; on any other error the cache is
// dropped.
func (s *Service) commit(ctx context.Context, e *entry, id ID, events []Event, fingerprint uint64, explicit string) error {
	events[0].Fingerprint = fingerprint
	err := s.store.Append(ctx, id, e.state.Version, events)
	if errors.Is(err, ErrConflict) {
		return err
	}
	if err != nil {
		// The outcome is unknown (a cut connection may have committed):
		// drop the cache so the next command, or a retry with the same
		// command ID, starts from what the Store holds.
		if e.state.Version == 0 {
			s.forget(id, e)
		}
		e.state = nil
		return err
	}
	if explicit != "" {
		e.remember(explicit)
	}
	// The Decision validated these events on a copy of this state as it
	// recorded them (validate.go): Apply need not validate them again.
	e.state.log.trusted = events[len(events)-1].Version
	for i := range events {
		if err := e.state.Apply(&events[i]); err != nil {
			// The events were applied to the Decision's copy already, so
			// this cannot happen; reload rather than trust the cache.
			e.state = nil
			return err
		}
	}
	e.state.log.trusted = 0
	// The command is committed: notify even if the caller's context
	// has been cancelled meanwhile.
	if ctx.Done() != nil {
		ctx = context.WithoutCancel(ctx)
	}
	s.notifier.Notify(ctx, e.state, events)
	return nil
}

// retried answers a command ID found committed: the same actor's same
// command gets its events, as they were shown when it was applied (then:
// the state right after it); anything else is a conflict that reveals
// nothing of that command. When the command is still the interaction's
// last, it is notified again: the first notification may never have gone
// out, after an append whose outcome was unknown (subscribers and
// projections drop what they have, by version). When later commands
// followed, their notifications went out: a subscriber that missed the
// command sees the gap in its own numbering and re-reads its view, and a
// projection reads the gap from the Store.
func (s *Service) retried(ctx context.Context, e *entry, then *State, actor PartyID, fingerprint uint64, done []Event, result func(*State, []Event, bool)) error {
	same := done[0].Fingerprint != 0 && done[0].Fingerprint == fingerprint
	s.retriedCommand(ctx, e.state.ID, actor, done[0].Cause, same)
	if !same {
		return &Error{Kind: ErrConflict, Op: "command", Interaction: e.state.ID, Party: actor, Rule: "R-X6",
			Detail: "command ID already used by another command"}
	}
	if then == e.state {
		if ctx.Done() != nil {
			ctx = context.WithoutCancel(ctx)
		}
		s.notifier.Notify(ctx, e.state, done)
	}
	if result != nil {
		result(then, done, true)
	}
	return nil
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
	if err := s.fresh(ctx, id, e, s.readLatest); err != nil {
		return err
	}
	if e.state.Version == 0 {
		e.state = nil
		s.forget(id, e)
		return &Error{Kind: ErrNotFound, Op: "read", Interaction: id, Detail: "no such interaction"}
	}
	return f(e.state)
}

// Sync brings this Service's copy of interaction id up to the Store's
// latest version: afterwards its reads include every write committed
// before Sync began, through any instance. Without WithReadLatest, call it
// where a read must see another instance's write (after a redirect from
// another instance, say).
func (s *Service) Sync(ctx context.Context, id ID) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	e := s.entry(id)
	e.mu.Lock()
	defer e.mu.Unlock()
	defer s.releaseIfClosed(id, e)
	if err := s.fresh(ctx, id, e, true); err != nil {
		return err
	}
	if e.state.Version == 0 {
		e.state = nil
		s.forget(id, e)
		return &Error{Kind: ErrNotFound, Op: "sync", Interaction: id, Detail: "no such interaction"}
	}
	return nil
}

// fresh loads e.state when it is not cached and, when latest is set,
// catches a cached one up with the Store: only the newer events when the
// Store is a StreamReader, the whole stream otherwise. Called with e.mu
// held.
func (s *Service) fresh(ctx context.Context, id ID, e *entry, latest bool) error {
	if e.state == nil {
		_, _, err := s.load(ctx, id, e, "")
		return err
	}
	if !latest {
		return nil
	}
	sr, ok := s.store.(StreamReader)
	if !ok {
		e.state = nil
		_, _, err := s.load(ctx, id, e, "")
		return err
	}
	events, err := sr.LoadFrom(ctx, id, e.state.Version)
	if err != nil {
		return err
	}
	for i := range events {
		if err := e.state.Apply(&events[i]); err != nil {
			e.state = nil // half caught up: start again from the Store next time
			return err
		}
	}
	return nil
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
		v, err = st.ViewNamed(viewer, s.names)
		return err
	})
	return v, err
}

// Assign offers a waiting chat to agent (actor: System, for routing).
func (s *Service) Assign(ctx context.Context, id ID, actor, agent PartyID) error {
	return run(s, ctx, id, actor, "", Assign{Agent: agent}, nil, false)
}

// Join: the offered agent takes the chat.
func (s *Service) Join(ctx context.Context, id ID, agent PartyID) error {
	return run(s, ctx, id, agent, "", Join{}, nil, false)
}

// Post writes a message to the chat.
func (s *Service) Post(ctx context.Context, id ID, actor PartyID, text string) error {
	return run(s, ctx, id, actor, "", Post{Text: text}, nil, false)
}

// Leave takes actor out of the chat.
func (s *Service) Leave(ctx context.Context, id ID, actor PartyID) error {
	return run(s, ctx, id, actor, "", Leave{}, nil, false)
}

// EndSession ends actor's session with the contact.
func (s *Service) EndSession(ctx context.Context, id ID, actor PartyID) error {
	return run(s, ctx, id, actor, "", EndSession{}, nil, false)
}

// MarkDone marks the interaction done for actor.
func (s *Service) MarkDone(ctx context.Context, id ID, actor PartyID) error {
	return run(s, ctx, id, actor, "", MarkDone{}, nil, false)
}

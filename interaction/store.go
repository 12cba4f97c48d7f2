package interaction

import (
	"context"
	"hash/maphash"
	"sync"
	"time"
)

// Store persists the event streams, one per interaction, with optimistic
// concurrency. It is the only place the truth lives.
type Store interface {
	// Load returns every event of the interaction in order; none (and no
	// error) for an interaction that does not exist.
	Load(ctx context.Context, id ID) ([]Event, error)
	// Append adds events after version expected, atomically: all or none.
	// If the stream is not at that version it returns an error wrapping
	// ErrConflict and writes nothing. On success it sets each event's
	// Position in the store's global log.
	//
	// A command is applied once: when the stream already holds an event
	// whose Cause is the (non-empty) Cause of the first event appended,
	// Append also returns an error wrapping ErrConflict and writes nothing.
	// That is what makes Service.DoCommand exactly-once when the retry
	// reaches an instance whose cache has already moved past the command.
	Append(ctx context.Context, id ID, expected uint64, events []Event) error
}

// LogWatcher is a Log that tells when it may have grown, so a follower
// waits instead of polling (see FollowLog).
type LogWatcher interface {
	Log
	// Changed returns a channel that is closed after the next append (or
	// sooner: a spurious wake-up only costs a read).
	Changed() <-chan struct{}
}

// Log is the store's global log, read by position: what projections
// (history, metrics) replay from. Positions grow with commit order, so a
// reader that resumes after position p never misses an event.
type Log interface {
	// ReadAll returns up to limit events with Position > after, in order.
	ReadAll(ctx context.Context, after uint64, limit int) ([]Event, error)
}

// MemoryStore is the in-memory Store and Log. Streams are sharded so that
// writers to different interactions do not wait on each other; only the
// global log's tail is shared, for the few nanoseconds it takes to assign
// a position and link the events.
type MemoryStore struct {
	shards [storeShards]storeShard
	logMu  sync.RWMutex
	log    []eventRef
	// streams numbers the streams for eventRef, so that the log holds no
	// pointers for the garbage collector to follow.
	streams []*memStream
	// changed is closed by the next append; nil until a follower asks.
	changed chan struct{}
}

const storeShards = 64

type storeShard struct {
	mu      sync.RWMutex
	streams map[ID]*memStream
}

// memStream holds one interaction's events in their stored form, in
// fixed-size chunks: appending never copies or discards what is held, and a
// stream holds at most one chunk's spare room.
type memStream struct {
	id     ID
	chunks []*[streamChunk]storedEvent
	n      uint32
	num    uint32 // 1-based index in MemoryStore.streams; 0 until the first append
}

// streamChunk events of 144 bytes fill a 1152-byte size class exactly.
const streamChunk = 8

func (s *memStream) at(i uint32) *storedEvent { return &s.chunks[i/streamChunk][i%streamChunk] }

func (s *memStream) add(ev *Event) {
	if s.n%streamChunk == 0 {
		s.chunks = append(s.chunks, new([streamChunk]storedEvent))
	}
	*s.at(s.n) = storeEvent(ev)
	s.n++
}

func (s *memStream) load() []Event {
	out := make([]Event, s.n)
	for i := range out {
		s.at(uint32(i)).expand(s.id, &out[i])
	}
	return out
}

type eventRef struct {
	stream uint32 // memStream.num
	index  uint32
}

// storedEvent is how the MemoryStore holds an Event, to keep an idle
// interaction small (issue 2: at most 8 KiB with its events): the
// interaction ID is the stream's, and the fields that only state changes,
// legs and requests use sit behind one pointer, so a message (the bulk of
// any stream) takes 144 bytes instead of the 296 of an Event. Load and
// ReadAll expand it back into exactly the Event that was appended.
type storedEvent struct {
	version  uint64
	position uint64
	time     time.Time
	actor    PartyID
	cause    string
	text     string
	scope    Scope
	seq      uint32
	typ      EventType
	kind     MessageKind
	role     Role
	detail   *eventDetail // nil when all its fields are zero and Leg is Scope.Leg
}

type eventDetail struct {
	party   PartyID
	from    string
	to      string
	trigger string
	leg     LegID
	via     LegID
	target  Target
	medium  Medium
	request RequestKind
}

func storeEvent(ev *Event) storedEvent {
	se := storedEvent{
		version: ev.Version, position: ev.Position, time: ev.Time, actor: ev.Actor, cause: ev.Cause,
		text: ev.Text, scope: ev.Scope, seq: ev.Seq, typ: ev.Type, kind: ev.Kind, role: ev.Role,
	}
	d := eventDetail{party: ev.Party, from: ev.From, to: ev.To, trigger: ev.Trigger, leg: ev.Leg, via: ev.Via,
		target: ev.Target, medium: ev.Medium, request: ev.Request}
	if d != (eventDetail{leg: ev.Scope.Leg}) {
		se.detail = new(eventDetail) // allocated here only: &d would put every d on the heap
		*se.detail = d
	}
	return se
}

func (se *storedEvent) expand(id ID, ev *Event) {
	*ev = Event{
		Interaction: id, Version: se.version, Position: se.position, Time: se.time, Actor: se.actor,
		Cause: se.cause, Type: se.typ, Scope: se.scope, Role: se.role, Leg: se.scope.Leg,
		Text: se.text, Kind: se.kind, Seq: se.seq,
	}
	if d := se.detail; d != nil {
		ev.Party, ev.From, ev.To, ev.Trigger, ev.Leg, ev.Via = d.party, d.from, d.to, d.trigger, d.leg, d.via
		ev.Target, ev.Medium, ev.Request = d.target, d.medium, d.request
	}
}

var (
	_ Store      = (*MemoryStore)(nil)
	_ Log        = (*MemoryStore)(nil)
	_ LogWatcher = (*MemoryStore)(nil)
)

// NewMemoryStore returns an empty in-memory store.
func NewMemoryStore() *MemoryStore {
	m := &MemoryStore{}
	for i := range m.shards {
		m.shards[i].streams = map[ID]*memStream{}
	}
	return m
}

func (m *MemoryStore) shard(id ID) *storeShard { return &m.shards[shardOf(id, storeShards)] }

// shardSeed seeds the shard hash. maphash uses the CPU's AES instructions:
// a third of the time of an FNV loop over a 36-byte UUID, and it runs
// twice per command (Service and MemoryStore).
var shardSeed = maphash.MakeSeed()

func shardOf(id ID, n uint32) uint32 {
	return uint32(maphash.String(shardSeed, string(id)) % uint64(n))
}

// Load returns a copy of the stream.
func (m *MemoryStore) Load(ctx context.Context, id ID) ([]Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sh := m.shard(id)
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	s := sh.streams[id]
	if s == nil {
		return nil, nil
	}
	return s.load(), nil
}

// Append implements Store.
func (m *MemoryStore) Append(ctx context.Context, id ID, expected uint64, events []Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(events) == 0 {
		return nil
	}
	sh := m.shard(id)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	s := sh.streams[id]
	var have uint64
	if s != nil {
		have = uint64(s.n)
	}
	if have != expected {
		return &Error{Kind: ErrConflict, Op: "append", Interaction: id, Detail: "stream moved on"}
	}
	for i := range events {
		if events[i].Version != expected+uint64(i)+1 || events[i].Interaction != id {
			return &Error{Kind: ErrBadInput, Op: "append", Interaction: id, Detail: "events out of sequence"}
		}
	}
	if c := events[0].Cause; c != "" && s != nil {
		for i := uint32(0); i < s.n; i++ {
			if s.at(i).cause == c {
				return &Error{Kind: ErrConflict, Op: "append", Interaction: id, Detail: "command " + c + " already applied"}
			}
		}
	}
	if s == nil {
		s = &memStream{id: id}
		sh.streams[id] = s
	}
	m.logMu.Lock()
	if s.num == 0 {
		m.streams = append(m.streams, s)
		s.num = uint32(len(m.streams))
	}
	for i := range events {
		events[i].Position = uint64(len(m.log)) + 1
		m.log = append(m.log, eventRef{stream: s.num, index: s.n})
		s.add(&events[i])
	}
	if m.changed != nil {
		close(m.changed)
		m.changed = nil
	}
	m.logMu.Unlock()
	return nil
}

// Changed implements LogWatcher.
func (m *MemoryStore) Changed() <-chan struct{} {
	m.logMu.Lock()
	defer m.logMu.Unlock()
	if m.changed == nil {
		m.changed = make(chan struct{})
	}
	return m.changed
}

// ReadAll implements Log.
func (m *MemoryStore) ReadAll(ctx context.Context, after uint64, limit int) ([]Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.logMu.RLock()
	defer m.logMu.RUnlock()
	if after >= uint64(len(m.log)) {
		return nil, nil
	}
	refs := m.log[after:]
	if limit > 0 && len(refs) > limit {
		refs = refs[:limit]
	}
	out := make([]Event, len(refs))
	for i, r := range refs {
		s := m.streams[r.stream-1]
		s.at(r.index).expand(s.id, &out[i])
	}
	return out, nil
}

package interaction

import (
	"context"
	"sync"
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
	Append(ctx context.Context, id ID, expected uint64, events []Event) error
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
}

const storeShards = 64

type storeShard struct {
	mu      sync.RWMutex
	streams map[ID]*memStream
}

// memStream keeps each append's events as one batch, sized exactly, so a
// stream never holds the spare capacity of a growing slice.
type memStream struct {
	batches [][]Event
	n       uint64
}

func (s *memStream) events() []Event {
	out := make([]Event, 0, s.n)
	for _, b := range s.batches {
		out = append(out, b...)
	}
	return out
}

type eventRef struct {
	stream *memStream
	batch  uint32
	index  uint32
}

var (
	_ Store = (*MemoryStore)(nil)
	_ Log   = (*MemoryStore)(nil)
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

func shardOf(id ID, n uint32) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(id); i++ {
		h = (h ^ uint32(id[i])) * 16777619
	}
	return h % n
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
	return s.events(), nil
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
		have = s.n
	}
	if have != expected {
		return &Error{Kind: ErrConflict, Op: "append", Interaction: id, Detail: "stream moved on"}
	}
	for i := range events {
		if events[i].Version != expected+uint64(i)+1 || events[i].Interaction != id {
			return &Error{Kind: ErrBadInput, Op: "append", Interaction: id, Detail: "events out of sequence"}
		}
	}
	if s == nil {
		s = &memStream{}
		sh.streams[id] = s
	}
	batch := make([]Event, len(events))
	m.logMu.Lock()
	for i := range events {
		events[i].Position = uint64(len(m.log)) + 1
		m.log = append(m.log, eventRef{stream: s, batch: uint32(len(s.batches)), index: uint32(i)})
	}
	copy(batch, events)
	s.batches = append(s.batches, batch)
	s.n += uint64(len(events))
	m.logMu.Unlock()
	return nil
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
		out[i] = r.stream.batches[r.batch][r.index]
	}
	return out, nil
}

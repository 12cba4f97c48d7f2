package interaction

import (
	"context"
	"hash/maphash"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Store persists the event streams, one per interaction, with optimistic
// concurrency. It is the only place the truth lives: whatever another
// instance or a restarted process needs is in the Store, decided by the
// aggregate, and a process's memory (a Service's cache, a routing
// Directory's loads, a signals Tracker's pending responses, a history
// Projection) is a cache that can be rebuilt from it. So a Store should
// also be a Log (what projections replay) and an OpenLister (the
// interactions a restarted process must know of, without reading the log
// from position 0); MemoryStore and pgstore.Store are all three.
type Store interface {
	// Load returns every event of the interaction in order; none (and no
	// error) for an interaction that does not exist. A store may keep an
	// event's Leg and RequestID in one place (Event.Invitation) and put it
	// back with Event.SetInvitation; one that keeps both must turn a direct
	// request's membership change appended with its request in Leg (as
	// written before RequestID named it) into the form written now, which
	// SetInvitation does (storetest checks it).
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
	//
	// Append may keep the events slice past its return (a batching
	// writer): a Service hands a Store of another package a copy, shared
	// with the Notifier and the caller; only the MemoryStore reads the
	// Service's own buffer, during the call.
	Append(ctx context.Context, id ID, expected uint64, events []Event) error
}

// OpenLister lists the interactions that are not closed: the index a
// restarted process (or another instance) reads to rebuild what it keeps
// in memory (routing loads, pending responses, time-outs) without reading
// the log from position 0. A Store keeps it with the events, atomically:
// an interaction is listed from the append of its first event until the
// append holding an EventStatus event with To == StatusClosed (closed is
// final: an interaction is never listed again), and an append that fails
// (ErrConflict, ErrBadInput, a cancelled context) changes nothing in it.
// The aggregate decides what is open (its status machine); the Store only
// records the facts, so the index of two Stores on one database, or of a
// process before and after a restart, is the same.
//
// See Recover and Service.Recover for how a restarted process uses it.
type OpenLister interface {
	// OpenInteractions returns up to limit IDs of interactions that are
	// not closed, in ascending ID order (byte-wise, Go's string order),
	// each greater than after: pass "" for the first page, then the last
	// ID of a page for the next. limit <= 0 means no limit. An empty page
	// means the end. Each ID is listed as of some moment during the call:
	// an interaction that opens or closes meanwhile may or may not be in
	// it (its next events reach the caller through its Notifier or Log).
	OpenInteractions(ctx context.Context, after ID, limit int) ([]ID, error)
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
// (history, metrics) replay from. A reader that resumes after a position
// it read from the Log never misses an event. (A Position seen on events
// returned by a command or delivered by a Notifier is not a safe resume
// point: a lower position may still be being written by another stream.)
type Log interface {
	// ReadAll returns up to limit events with Position > after, in order.
	ReadAll(ctx context.Context, after uint64, limit int) ([]Event, error)
}

// MemoryStore is the in-memory Store and Log. Streams are sharded so that
// writers to different interactions do not wait on each other, and the
// global log takes no lock at all: an append reserves its positions with
// one atomic add (under its own stream's shard lock, so a stream's events
// stay in order) and publishes each slot when the event is stored; a
// reader stops at the first slot not yet published, so it never skips an
// event that a slower writer is still storing.
//
// It is also an OpenLister: each shard keeps the IDs of its interactions
// that are not closed, sorted, updated in Append under the shard's lock
// with the events (a sorted insert at an interaction's first append, a
// removal at the append that closes it). A page of OpenInteractions costs
// a binary search per shard and a merge of the shards' next IDs.
type MemoryStore struct {
	shards [storeShards]storeShard
	log    memLog
	// changed is closed by the next append; nil until a follower asks.
	changed atomic.Pointer[chan struct{}]
}

// memLog is the global log: slots in fixed chunks found through a
// directory that is replaced, never changed, when a chunk is added.
type memLog struct {
	reserved atomic.Uint64
	dir      atomic.Pointer[[]*logChunk]
	grow     sync.Mutex // taken once per logChunkSize events, to add a chunk
}

const logChunkSize = 1024

type logChunk [logChunkSize]logSlot

// logSlot is one position. ev is set last: once it is not nil, stream is
// set and the event is stored for good.
type logSlot struct {
	ev     atomic.Pointer[storedEvent]
	stream *memStream
}

// slot returns position pos's slot, or nil if its chunk does not exist.
func (l *memLog) slot(pos uint64) *logSlot {
	i := pos - 1
	d := l.dir.Load()
	if d == nil || i/logChunkSize >= uint64(len(*d)) {
		return nil
	}
	return &(*d)[i/logChunkSize][i%logChunkSize]
}

// reserve returns the first of n new positions, with their chunks made.
func (l *memLog) reserve(n int) uint64 {
	last := l.reserved.Add(uint64(n))
	first := last - uint64(n) + 1
	for l.slot(last) == nil {
		l.grow.Lock()
		if d := l.dir.Load(); d == nil || (last-1)/logChunkSize >= uint64(len(*d)) {
			var next []*logChunk
			if d != nil {
				next = append(next, *d...)
			}
			next = append(next, new(logChunk))
			l.dir.Store(&next)
		}
		l.grow.Unlock()
	}
	return first
}

const storeShards = 64

type storeShard struct {
	mu      sync.RWMutex
	streams map[ID]*memStream
	// open holds the IDs of the shard's streams that are not closed, in
	// ascending order (OpenLister).
	open []ID
}

// addOpen and dropOpen keep sh.open sorted. Called with sh.mu held.
func (sh *storeShard) addOpen(id ID) {
	if i, found := slices.BinarySearch(sh.open, id); !found {
		sh.open = slices.Insert(sh.open, i, id)
	}
}

func (sh *storeShard) dropOpen(id ID) {
	if i, found := slices.BinarySearch(sh.open, id); found {
		sh.open = slices.Delete(sh.open, i, i+1)
		if len(sh.open) == 0 {
			sh.open = nil // a shard emptied after a peak gives its memory back
		}
	}
}

// Closes reports whether events hold the end of an interaction: an
// EventStatus event to StatusClosed. It is the rule of every OpenLister.
func Closes(events []Event) bool {
	for i := range events {
		if events[i].Type == EventStatus && events[i].To == string(StatusClosed) {
			return true
		}
	}
	return false
}

// memStream holds one interaction's events in their stored form, in
// fixed-size chunks: appending never copies or discards what is held, and a
// stream holds at most one chunk's spare room.
type memStream struct {
	id     ID
	chunks []*[streamChunk]storedEvent
	n      uint32
	closed bool // an append held the close (Closes): out of the open index for good
	// causes holds a hash of the Cause of every append's first event,
	// sorted, so that recognising a command applied before costs a binary
	// search, not a scan of the stream. Past causeSlice commands they move
	// to causeSet: a sorted insert moves half the slice, which made a post
	// to a chat of 100 000 messages cost several times one to a short chat.
	causes   []uint64
	causeSet map[uint64]struct{}
}

// causeSlice is how many command hashes a stream keeps in its sorted slice
// before it moves them to a map: an idle chat has a dozen commands and
// stays small; a long one pays a map entry instead of an O(n) insert.
const causeSlice = 256

// streamChunk events of 152 bytes take 1216 bytes (the 1280-byte size class).
const streamChunk = 8

func (s *memStream) at(i uint32) *storedEvent { return &s.chunks[i/streamChunk][i%streamChunk] }

func (s *memStream) add(ev *Event) *storedEvent {
	if s.n%streamChunk == 0 {
		s.chunks = append(s.chunks, new([streamChunk]storedEvent))
	}
	se := s.at(s.n)
	se.store(ev)
	s.n++
	return se
}

var causeSeed = maphash.MakeSeed()

// applied reports whether an append with this first Cause (h: its
// causeHash) was stored; at is where remember puts h in the sorted slice.
func (s *memStream) applied(cause string, h uint64) (found bool, at int) {
	if s.causeSet != nil {
		if _, found := s.causeSet[h]; !found {
			return false, 0
		}
	} else if at, found = slices.BinarySearch(s.causes, h); !found {
		return false, at
	}
	// A hash can collide: confirm on the events (rare, and only here).
	for j := uint32(0); j < s.n; j++ {
		if s.at(j).cause == cause {
			return true, at
		}
	}
	return false, at
}

func causeHash(cause string) uint64 { return maphash.String(causeSeed, cause) }

// remember records the hash of an append's first Cause, at the place
// applied found for it.
func (s *memStream) remember(h uint64, at int) {
	if s.causeSet == nil && len(s.causes) >= causeSlice {
		s.causeSet = make(map[uint64]struct{}, 2*len(s.causes))
		for _, c := range s.causes {
			s.causeSet[c] = struct{}{}
		}
		s.causes = nil
	}
	if s.causeSet != nil {
		s.causeSet[h] = struct{}{}
		return
	}
	if s.causes == nil {
		// Skip the 1, 2, 4, 8 steps of append's growth: a chat has a dozen
		// commands or more.
		s.causes = make([]uint64, 0, 16)
	}
	s.causes = slices.Insert(s.causes, at, h)
}

func (s *memStream) load() []Event {
	out := make([]Event, s.n)
	for i := range out {
		s.at(uint32(i)).expand(s.id, &out[i])
	}
	return out
}

// storedEvent is how the MemoryStore holds an Event, to keep an idle
// interaction small (issue 2: at most 8 KiB with its events): the
// interaction ID is the stream's, and the fields that only state changes,
// legs and requests use sit behind one pointer, so a message (the bulk of
// any stream) takes 152 bytes instead of the 304 of an Event. Load and
// ReadAll expand it back into exactly the Event that was appended (but
// for a direct request's membership change appended with its request in
// Leg, as before RequestID named it: it comes back as written now,
// Event.SetInvitation).
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
	detail   *eventDetail // nil when all its fields are zero and the invitation is Scope.Invitation
	// fingerprint of the command (Event.Fingerprint): after the small
	// fields, in what was padding's place next to the pointer.
	fingerprint uint64
}

type eventDetail struct {
	party   PartyID
	from    string
	to      string
	trigger Trigger
	// invitation: Event.Invitation (its Leg or RequestID: expand puts it
	// back with SetInvitation)
	invitation InvitationID
	via        LegID
	route      RouteID
	deadline   time.Time
	target     Target
	medium     Medium
	request    RequestKind
	// supervised: Event.Supervised
	supervised PartyID
	// attachments: Event.Attachments (a message's files, issue 17),
	// immutable, shared with the appended event.
	attachments Files
}

// store fills se with ev. The fields only some events use go behind one
// pointer, allocated only when one of them is set; a message's event (the
// bulk of any stream) has none, which the first test tells.
func (se *storedEvent) store(ev *Event) {
	*se = storedEvent{
		version: ev.Version, position: ev.Position, time: ev.Time, actor: ev.Actor, cause: ev.Cause,
		text: ev.Text, scope: ev.Scope, seq: ev.Seq, typ: ev.Type, kind: ev.Kind, role: ev.Role,
		fingerprint: ev.Fingerprint,
	}
	inv := ev.Invitation()
	if ev.Party == "" && ev.From == "" && ev.To == "" && ev.Trigger == "" && inv == ev.Scope.Invitation && ev.Via == "" &&
		ev.Route == "" && ev.Deadline == (time.Time{}) && ev.Target == (Target{}) && ev.Medium == 0 && ev.RequestKind == 0 &&
		ev.Supervised == "" && ev.Attachments == (Files{}) {
		return
	}
	se.detail = &eventDetail{party: ev.Party, from: ev.From, to: ev.To, trigger: ev.Trigger, invitation: inv, via: ev.Via,
		route: ev.Route, deadline: ev.Deadline, target: ev.Target, medium: ev.Medium, request: ev.RequestKind,
		supervised: ev.Supervised, attachments: ev.Attachments}
}

func (se *storedEvent) expand(id ID, ev *Event) {
	*ev = Event{
		Interaction: id, Version: se.version, Position: se.position, Time: se.time, Actor: se.actor,
		Cause: se.cause, Type: se.typ, Scope: se.scope, Role: se.role,
		Text: se.text, Kind: se.kind, Seq: se.seq, Fingerprint: se.fingerprint,
	}
	inv := se.scope.Invitation
	if d := se.detail; d != nil {
		ev.Party, ev.From, ev.To, ev.Trigger, inv, ev.Via = d.party, d.from, d.to, d.trigger, d.invitation, d.via
		ev.Route, ev.Deadline, ev.Target, ev.Medium, ev.RequestKind = d.route, d.deadline, d.target, d.medium, d.request
		ev.Supervised = d.supervised
		ev.Attachments = d.attachments
	}
	ev.SetInvitation(inv)
}

var (
	_ Store      = (*MemoryStore)(nil)
	_ Log        = (*MemoryStore)(nil)
	_ LogWatcher = (*MemoryStore)(nil)
	_ OpenLister = (*MemoryStore)(nil)
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
	var causeH uint64
	causeAt := 0
	if c := events[0].Cause; c != "" {
		causeH = causeHash(c)
		if s != nil {
			var found bool
			if found, causeAt = s.applied(c, causeH); found {
				return &Error{Kind: ErrConflict, Op: "append", Interaction: id, Detail: "command " + c + " already applied"}
			}
		}
	}
	closes := Closes(events)
	if s == nil {
		// Room for two chunks' pointers (16 events, an idle chat's) from the
		// start, not append's 1 then 2.
		s = &memStream{id: id, chunks: make([]*[streamChunk]storedEvent, 0, 2)}
		sh.streams[id] = s
		if !closes {
			sh.addOpen(id)
		}
	}
	if closes && !s.closed {
		s.closed = true
		sh.dropOpen(id)
	}
	if events[0].Cause != "" {
		s.remember(causeH, causeAt)
	}
	first := m.log.reserve(len(events))
	for i := range events {
		pos := first + uint64(i)
		events[i].Position = pos
		slot := m.log.slot(pos)
		slot.stream = s
		slot.ev.Store(s.add(&events[i]))
	}
	if m.changed.Load() != nil { // a plain read first: most appends have no follower
		if ch := m.changed.Swap(nil); ch != nil {
			close(*ch)
		}
	}
	return nil
}

// Changed implements LogWatcher.
func (m *MemoryStore) Changed() <-chan struct{} {
	for {
		if ch := m.changed.Load(); ch != nil {
			return *ch
		}
		ch := make(chan struct{})
		if m.changed.CompareAndSwap(nil, &ch) {
			return ch
		}
	}
}

// ReadAll implements Log. It returns the events published so far, in
// position order, stopping at the first position still being written.
func (m *MemoryStore) ReadAll(ctx context.Context, after uint64, limit int) ([]Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	n := m.log.reserved.Load()
	if after >= n {
		return nil, nil
	}
	if limit <= 0 || uint64(limit) > n-after {
		limit = int(n - after)
	}
	out := make([]Event, 0, limit)
	for pos := after + 1; len(out) < limit; pos++ {
		slot := m.log.slot(pos)
		if slot == nil {
			break
		}
		se := slot.ev.Load()
		if se == nil {
			break
		}
		out = append(out, Event{})
		se.expand(slot.stream.id, &out[len(out)-1])
	}
	return out, nil
}

// OpenInteractions implements OpenLister. Each shard is read under its
// lock, so an interaction is listed exactly when its appends so far leave
// it open.
func (m *MemoryStore) OpenInteractions(ctx context.Context, after ID, limit int) ([]ID, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// Each shard's next IDs after after (at most limit of them), merged.
	heads := make([][]ID, 0, storeShards)
	total := 0
	for i := range m.shards {
		sh := &m.shards[i]
		sh.mu.RLock()
		j, found := slices.BinarySearch(sh.open, after)
		if found {
			j++
		}
		next := sh.open[j:]
		if limit > 0 && len(next) > limit {
			next = next[:limit]
		}
		if len(next) > 0 {
			heads = append(heads, slices.Clone(next))
			total += len(next)
		}
		sh.mu.RUnlock()
	}
	if limit <= 0 || limit > total {
		limit = total
	}
	out := make([]ID, 0, limit)
	for len(out) < limit {
		k := 0
		for h := 1; h < len(heads); h++ {
			if heads[h][0] < heads[k][0] {
				k = h
			}
		}
		out = append(out, heads[k][0])
		if heads[k] = heads[k][1:]; len(heads[k]) == 0 {
			heads[k] = heads[len(heads)-1]
			heads = heads[:len(heads)-1]
		}
	}
	return out, nil
}

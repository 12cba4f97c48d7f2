package history

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chatconsult/chatconsult/interaction"
)

// Projection holds every interaction it has been given, folded from its
// events, with the indexes the history queries page through. The zero
// value is not usable; call New.
type Projection struct {
	mu       sync.RWMutex
	records  map[interaction.ID]*record
	all      timeIndex
	contacts map[interaction.PartyID]*timeIndex
	engaged  map[interaction.PartyID]*timeIndex // My History (R-H3)
	involved map[interaction.PartyID]*timeIndex // any agent party, for Activity

	// store, when set (WithStore), is where Apply and Notify read the
	// events of an interaction that they did not get.
	store interaction.Store
	// snapshots, when set (WithSnapshots), has each record keep its events
	// encoded, which Snapshot and WriteSnapshot write.
	snapshots bool

	// replayMu serialises Replay calls; checkpoint is the last global log
	// position Replay has read.
	replayMu   sync.Mutex
	checkpoint atomic.Uint64

	// seq counts the changes to records; newest heads the list of records
	// by their last change (record.seq), newest first, which Snapshot
	// walks to find what changed after a mark.
	seq    uint64
	newest *record
}

var _ interaction.Notifier = (*Projection)(nil)

// replayBatch is how many events Replay asks the Log for at a time.
const replayBatch = 4096

// Option configures a Projection (see New).
type Option func(*Projection)

// WithStore has the Projection read what it was not given from store:
// when Apply or Notify gets events of an interaction whose first version
// is beyond the next one the Projection expects, it loads that
// interaction's stream (Store.Load, the only method it calls) and applies
// the missing events in order, then the new ones. That happens when an
// append committed but the Store reported an error (a cut connection):
// the Service then notifies nobody of those events, and without a Store
// the Projection would hold every later event of the interaction until a
// Replay brought the missing ones.
//
// The Store is read outside the Projection's lock, at most once per
// interaction per Apply or Notify call, and only when there is a gap. A
// read error is returned by Apply (Notify has nobody to give it to); the
// events stay held, and the next delivery of an event of that interaction
// reads again, as does Replay.
func WithStore(store interaction.Store) Option {
	return func(p *Projection) { p.store = store }
}

// New returns an empty Projection.
func New(opts ...Option) *Projection {
	p := &Projection{
		records:  map[interaction.ID]*record{},
		contacts: map[interaction.PartyID]*timeIndex{},
		engaged:  map[interaction.PartyID]*timeIndex{},
		involved: map[interaction.PartyID]*timeIndex{},
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

// Rebuild returns a Projection built from scratch from log.
func Rebuild(ctx context.Context, log interaction.Log) (*Projection, error) {
	p := New()
	return p, p.Replay(ctx, log)
}

// Replay reads log from the last position it read (the start, on a new
// Projection) to its end, and applies what it reads. Events the Notifier
// delivered already are recognised and skipped. A stream that does not
// replay is reported in the returned error, and the others still replay; a
// read error or ctx's end stops Replay, and the next call resumes.
func (p *Projection) Replay(ctx context.Context, log interaction.Log) error {
	p.replayMu.Lock()
	defer p.replayMu.Unlock()
	var corrupt []error
	for {
		batch, err := log.ReadAll(ctx, p.checkpoint.Load(), replayBatch)
		if err != nil {
			return errors.Join(append(corrupt, err)...)
		}
		if len(batch) == 0 {
			return errors.Join(corrupt...)
		}
		p.mu.Lock()
		for i := range batch {
			if err := p.apply(&batch[i]); err != nil {
				corrupt = append(corrupt, err)
			}
		}
		p.mu.Unlock()
		p.checkpoint.Store(batch[len(batch)-1].Position)
	}
}

// Checkpoint is the last global log position Replay has read. Events the
// Notifier delivered do not move it: across interactions they may arrive
// out of position order.
func (p *Projection) Checkpoint() uint64 { return p.checkpoint.Load() }

// Notify implements interaction.Notifier: it applies the committed events
// (and, with WithStore, reads the ones before them that it missed, under
// ctx). The state argument is not used; the Projection folds its own from
// the events, exactly as Replay does. An error has nobody to go to here:
// a stream that does not replay stays stopped on the interaction, and
// Apply or Replay report it; a Store read error is retried at the next
// delivery for that interaction.
func (p *Projection) Notify(ctx context.Context, _ *interaction.State, events []interaction.Event) {
	_ = p.applyAll(ctx, events)
}

// Apply folds events into the Projection, from any source: each is
// applied once, in stream order per interaction, whatever order and however
// often they arrive. An event that arrives before the ones it follows is
// held until they come, or, with WithStore, until they are read from the
// Store right away.
func (p *Projection) Apply(events ...interaction.Event) error {
	return p.applyAll(context.Background(), events)
}

func (p *Projection) applyAll(ctx context.Context, events []interaction.Event) error {
	var errs []error
	var gaps []interaction.ID
	p.mu.Lock()
	for i := range events {
		if err := p.apply(&events[i]); err != nil {
			errs = append(errs, err)
		}
	}
	if p.store != nil {
		for i := range events {
			id := events[i].Interaction
			if rec := p.records[id]; rec != nil && rec.gap() && !hasID(gaps, id) {
				gaps = append(gaps, id)
			}
		}
	}
	p.mu.Unlock()
	for _, id := range gaps {
		if err := p.fill(ctx, id); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// fill reads interaction id from the Store and applies what the
// Projection does not have yet. The Store is read without the lock.
func (p *Projection) fill(ctx context.Context, id interaction.ID) error {
	events, err := p.store.Load(ctx, id)
	if err != nil {
		return fmt.Errorf("history: read the missing events of %s: %w", id, err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	rec := p.records[id]
	for i := range events {
		if events[i].Version <= rec.st.Version {
			continue // had it already, or applied meanwhile
		}
		if err := p.apply(&events[i]); err != nil {
			return err
		}
	}
	return nil
}

func hasID(list []interaction.ID, id interaction.ID) bool {
	for _, x := range list {
		if x == id {
			return true
		}
	}
	return false
}

// record is one interaction as the Projection knows it.
type record struct {
	st      *interaction.State
	closed  time.Time
	pending []interaction.Event // arrived before the events they follow, by version
	err     error               // the stream stopped here: it does not replay
	clocks  []agentClock        // handle time per engaged agent
	// engaged and involved list the parties already in the Projection's
	// indexes for this interaction, so each goes in once.
	engaged  []interaction.PartyID
	involved []interaction.PartyID

	// The snapshot form (snapshot.go): every event the record folded (the
	// one that stopped the stream included), encoded as it was folded;
	// logN counts them, logPrev is the last of them.
	log     []byte
	logN    uint64
	logPrev prevEvent
	// seq is the Projection's change count when the record last changed;
	// newer and older link it into the Projection's list by seq.
	seq          uint64
	newer, older *record
}

// agentClock times one engaged agent: engaged spells and wrap-up.
type agentClock struct {
	agent    interaction.PartyID
	on       bool // engaged with the contact in an active chat now
	since    time.Time
	engaged  time.Duration
	wrapping bool // between its last spell and marking done
	wrapFrom time.Time
	wrapUp   time.Duration
	done     bool
}

func (p *Projection) apply(ev *interaction.Event) error {
	if ev.Interaction == "" || ev.Version == 0 {
		return &interaction.Error{Kind: interaction.ErrBadInput, Op: "history apply", Interaction: ev.Interaction, Detail: "event without interaction or version"}
	}
	rec := p.records[ev.Interaction]
	if rec == nil {
		rec = &record{st: &interaction.State{}}
		p.records[ev.Interaction] = rec
	}
	if rec.err != nil {
		return nil // reported when it happened
	}
	switch {
	case ev.Version <= rec.st.Version:
		return nil // delivered again (at-least-once)
	case ev.Version > rec.st.Version+1:
		rec.hold(*ev)
		p.touch(rec)
		return nil
	}
	p.touch(rec)
	if err := p.fold(rec, ev); err != nil {
		return err
	}
	for len(rec.pending) > 0 && rec.pending[0].Version == rec.st.Version+1 {
		next := rec.pending[0]
		rec.pending = rec.pending[1:]
		if err := p.fold(rec, &next); err != nil {
			return err
		}
	}
	if len(rec.pending) == 0 {
		rec.pending = nil
	}
	return nil
}

// gap reports whether the record holds events it cannot apply yet
// because some before them are missing.
func (r *record) gap() bool { return r.err == nil && len(r.pending) > 0 }

// hold keeps an early event until the ones before it arrive; a second copy
// of a held event is dropped.
func (r *record) hold(ev interaction.Event) {
	i := sort.Search(len(r.pending), func(i int) bool { return r.pending[i].Version >= ev.Version })
	if i < len(r.pending) && r.pending[i].Version == ev.Version {
		return
	}
	r.pending = append(r.pending, interaction.Event{})
	copy(r.pending[i+1:], r.pending[i:])
	r.pending[i] = ev
}

// fold applies the next event of the stream and keeps the indexes and
// clocks in step with it.
func (p *Projection) fold(rec *record, ev *interaction.Event) error {
	st := rec.st
	err := st.Apply(ev)
	if p.snapshots {
		rec.log = appendEvent(rec.log, ev, &rec.logPrev, false)
	}
	rec.logN++
	if err != nil {
		rec.err, rec.pending = err, nil
		return err
	}
	switch ev.Type {
	case interaction.EventOpened:
		k := indexKey{at: st.Opened.UnixNano(), id: st.ID, rec: rec}
		p.all.insert(k)
		indexOf(p.contacts, st.Contact).insert(k)
	case interaction.EventStatus:
		if ev.To == string(interaction.StatusClosed) {
			rec.closed = ev.Time
			if p.snapshots {
				rec.log = bytes.Clone(rec.log) // final: no room to grow
			}
		}
		rec.tick(ev)
	case interaction.EventMembership, interaction.EventRole:
		p.index(rec, ev.Party)
		rec.tick(ev)
	}
	return nil
}

func indexOf(m map[interaction.PartyID]*timeIndex, id interaction.PartyID) *timeIndex {
	ix := m[id]
	if ix == nil {
		ix = &timeIndex{}
		m[id] = ix
	}
	return ix
}

// index puts an agent party in the Activity index when it first appears,
// and in its My History when it first engages with the contact (R-H3).
func (p *Projection) index(rec *record, party interaction.PartyID) {
	q := rec.st.Party(party)
	if q == nil || q.Role == interaction.RoleContact {
		return
	}
	k := indexKey{at: rec.st.Opened.UnixNano(), id: rec.st.ID, rec: rec}
	if !hasParty(rec.involved, party) {
		rec.involved = append(rec.involved, party)
		indexOf(p.involved, party).insert(k)
	}
	if q.WasEngaged && !hasParty(rec.engaged, party) {
		rec.engaged = append(rec.engaged, party)
		indexOf(p.engaged, party).insert(k)
	}
}

func hasParty(list []interaction.PartyID, id interaction.PartyID) bool {
	for _, x := range list {
		if x == id {
			return true
		}
	}
	return false
}

// tick moves the handle-time clocks after a status, membership or role
// event: an agent is engaged while it holds an engaged role, is in the
// chat, and the chat is active; its wrap-up runs from the end of its last
// engaged spell until it marks done.
func (r *record) tick(ev *interaction.Event) {
	st := r.st
	for i := range st.Parties {
		q := &st.Parties[i]
		if !q.WasEngaged {
			continue
		}
		c := r.clock(q.ID)
		now := q.Role.Engaged() && q.Present() && st.Status == interaction.StatusActive
		switch {
		case now && !c.on:
			c.on, c.since, c.wrapping = true, ev.Time, false
		case !now && c.on:
			c.on = false
			c.engaged += ev.Time.Sub(c.since)
			c.wrapping, c.wrapFrom = true, ev.Time
		}
		isDone := q.Membership == interaction.MemberDone
		if isDone && !c.done && c.wrapping {
			c.wrapUp += ev.Time.Sub(c.wrapFrom)
			c.wrapping = false
		}
		c.done = isDone
	}
}

func (r *record) clock(agent interaction.PartyID) *agentClock {
	for i := range r.clocks {
		if r.clocks[i].agent == agent {
			return &r.clocks[i]
		}
	}
	r.clocks = append(r.clocks, agentClock{agent: agent})
	return &r.clocks[len(r.clocks)-1]
}

// opened reports whether the record's stream has started: a record made
// only of held events is not shown anywhere yet.
func (r *record) opened() bool { return r.st.Version > 0 }

// lookup returns the record of an opened interaction. Called with p.mu held.
func (p *Projection) lookup(op string, id interaction.ID) (*record, error) {
	rec := p.records[id]
	if rec == nil || !rec.opened() {
		return nil, &interaction.Error{Kind: interaction.ErrNotFound, Op: op, Interaction: id, Detail: "no such interaction in history"}
	}
	return rec, nil
}

// Version is the stream version the Projection has applied of interaction
// id: where its history of it stands (the number of events, not a number
// any party is shown).
func (p *Projection) Version(ctx context.Context, id interaction.ID) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	rec, err := p.lookup("version", id)
	if err != nil {
		return 0, err
	}
	return rec.st.Version, nil
}

package interaction

import "time"

// Deltas for live readers (issue 19). A reader that re-reads a party's
// view on every notification pays O(transcript) per event. A Delta is one
// event as that party is shown it together with what it changes in the
// party's view, and the position it moves the view to: so a reader reads
// a Page once, when it (re)connects, and then keeps it current with
// Page.Apply, each delta costing O(1) in the transcript's length.
//
// Deltas follow the same rules as the view (docs/visibility.md): the
// viewer's own numbering (Version, Total, Message.Seq), contact-facing
// IDs and names for the contact, nothing of a party it may not see, and
// nothing after it left.
//
// Two kinds of delta have no event (Event.Type is 0):
//
//   - a change of the view that no event the party is shown caused: the
//     status of a chat it is invited to (its view shows the current one,
//     though it is not told of status events), and the state of a
//     consultation a supervisor saw begin through the agent it supervised,
//     after its window closed (its view shows the leg as it is now);
//   - Reset: the view changed in a way no delta carries. The party joined
//     and reads the shared transcript from before (R-C6, R-F2), or a
//     supervision window opened onto an agent's sight (R-X7): earlier
//     messages, parties and legs appear and its message numbers move. The
//     reader reads a page again. A party's first delta (it was invited,
//     offered the chat or came in) is a Reset too.
//
// A Reset delta may carry an event (the join itself, when the party is
// shown it).

// Delta is what one event, or one change without an event, does to one
// party's view. The header fields (Role … Ended) are the view's after the
// command the delta belongs to.
type Delta struct {
	Interaction ID
	// Event is the event as the party is shown it (State.EventsFor): its
	// Version is the view's Version after it. Zero (Type 0) for a change
	// the party is told of without an event.
	Event Event
	// Version is the view's Version after the delta: its events so far.
	Version uint64
	// Changes counts the changes of the view so far, this one included:
	// each delta adds one (Page.Changes). A reader that holds a page skips
	// the deltas with Changes at most the page's, and a gap means it
	// missed one: it reads a page again.
	Changes uint64
	// Total is how many messages the party may read after the delta.
	Total uint32

	Role       Role
	Membership MemberState
	Status     Status
	Ended      time.Time

	// Message is a new message, numbered Total (its Seq).
	Message *Message
	// Party is an entry of the party list that the event adds or changes
	// (the viewer's own included). An entry with its ID is replaced; a new
	// one goes at PartyAt in the list.
	Party   *PartyView
	PartyAt int
	// Leg and Request are a consultation or request that the delta adds
	// (at the end of the list) or changes (the one with its ID).
	Leg     *Leg
	Request *Request
	// Receipt is the reader's receipt a read event shows (View.Receipts:
	// it replaces that reader's entry). A new message's attachments are
	// its Event's (View.Attachments).
	Receipt *Receipt
	// Reset: the view changed beyond this delta; read a page again.
	Reset bool
}

// lastCommand returns who was shown each of events, if they are the last
// command applied to s or the end of it (nil otherwise).
func (s *State) lastCommand(events []Event) []uint64 {
	b := &s.batch
	if len(events) == 0 {
		return nil
	}
	last := events[len(events)-1].Version
	if events[0].Version < b.from || last != b.from+uint64(len(b.shown))-1 || last-events[0].Version+1 != uint64(len(events)) {
		return nil
	}
	return b.shown[events[0].Version-b.from:]
}

// DeltasFor returns what the events of the last command applied to s (all
// of them, or the last of them) change in viewer's view, one Delta per
// event it is shown and per change it is told of without one; nil when
// they change nothing of it. It is what a delta subscription delivers
// (MemoryNotifier.SubscribeDeltas). names are the contact-facing names
// (nil: the defaults).
//
// For events of an earlier command (a retry found committed after others)
// it returns a single Reset delta: the view's numbers of that time are not
// kept.
func (s *State) DeltasFor(viewer PartyID, events []Event, names ContactNames) []Delta {
	i := s.partyIndex(viewer)
	if i < 0 || len(events) == 0 {
		return nil
	}
	p := &s.Parties[i]
	l := s.lensFor(p, names)
	head := Delta{Interaction: s.ID, Version: p.sight.events, Changes: p.sight.viewChanges(), Total: p.sight.messages,
		Role: l.ownRole(), Membership: p.Membership, Status: l.status()}
	if st := statusNames[p.sight.status]; st == StatusEnded || st == StatusClosed {
		head.Ended = s.Ended
	}
	shown := s.lastCommand(events)
	if shown == nil || i >= MaxParties {
		if len(s.earlierEventsFor(p, events, names)) == 0 {
			return nil
		}
		head.Reset = true
		return []Delta{head}
	}
	at := int(events[0].Version - s.batch.from)
	bit := uint64(1) << uint(i)
	// Count back from the view as it is now to where these events began.
	var nEv, nQuiet uint64
	var nMsg uint32
	lastReset := -1 // the viewer's deltas up to here are Resets (see below)
	for j := range events {
		q := s.batch.quietAt(at + j)
		if q.reset&bit != 0 {
			lastReset = j
		}
		switch {
		case shown[j]&bit != 0:
			nEv++
			if events[j].Type == EventMessage {
				nMsg++
			}
		case q.silent&bit != 0:
			nQuiet++
		}
	}
	if nEv+nQuiet == 0 {
		return nil
	}
	version, changes, total := head.Version-nEv, head.Changes-nEv-nQuiet, head.Total-nMsg
	out := make([]Delta, 0, nEv+nQuiet)
	for j := range events {
		e := &events[j]
		q := s.batch.quietAt(at + j)
		isShown := shown[j]&bit != 0
		if !isShown && q.silent&bit == 0 {
			continue
		}
		d := head
		// Up to a Reset, numbers counted back from the command's end are
		// not those of that moment: each of those deltas says to page
		// again, and a page read then holds the whole command.
		d.Reset = j <= lastReset
		changes++
		if isShown {
			version++
			if e.Type == EventMessage {
				total++
			}
			d.Event = l.shown(e, version, total)
		}
		d.Version, d.Changes, d.Total = version, changes, total
		s.deltaItem(&d, l, e, isShown)
		out = append(out, d)
	}
	return out
}

// deltaItem sets what event e changes in the view of the lens's viewer:
// the message, party, leg or request (shown: the viewer is shown e).
func (s *State) deltaItem(d *Delta, l lens, e *Event, shown bool) {
	p := l.p
	switch e.Type {
	case EventMessage:
		if shown && e.Seq >= 1 && int(e.Seq) <= len(s.Messages) {
			m := l.message(&s.Messages[e.Seq-1])
			m.Seq = d.Total
			d.Message = &m
		}
	case EventMembership, EventRole:
		if !shown {
			return
		}
		q := s.Party(e.Party)
		if q == nil {
			return
		}
		pv := PartyView{ID: l.id(q.ID), Name: l.name(q.ID)}
		if q == p {
			pv.Role, pv.Membership = d.Role, p.Membership
		} else {
			c := q.changeAt(e.Version)
			if c == nil {
				return
			}
			pv.Role, pv.Membership = c.role, memberStates[c.membership]
		}
		d.Party = &pv
		// Its place: after the parties before it in the interaction's order
		// that the viewer listed by then.
		for k := range s.Parties {
			r := &s.Parties[k]
			if r == q {
				break
			}
			if s.shownBy(p, r, e.Version) {
				d.PartyAt++
			}
		}
	case EventLeg:
		if lg := s.Leg(e.Leg); lg != nil && s.legShown(p, lg) {
			c := s.legAsSeenBy(p, *lg)
			c.Since = 0 // a stream version (see ViewNamed)
			d.Leg = &c
		}
	case EventRequest:
		if r := s.Request(e.RequestID); shown && r != nil && requestShown(p, r) {
			c := *r
			d.Request = &c
		}
	case EventRead:
		if (shown || e.Actor == p.ID) && e.Seq >= 1 {
			if rc, ok := s.receiptShown(p, l, &receipt{time: e.Time, reader: e.Actor, msg: e.Seq - 1}); ok {
				d.Receipt = &rc
			}
		}
	}
}

// changeAt returns the party's membership or role change at version v.
func (q *Party) changeAt(v uint64) *partyChange {
	for i := len(q.sight.changes) - 1; i >= 0; i-- {
		if q.sight.changes[i].version == v {
			return &q.sight.changes[i]
		}
		if q.sight.changes[i].version < v {
			break
		}
	}
	return nil
}

// shownBy reports whether viewer lists q once the events up to version v
// are applied: q is the viewer, or the viewer may see one of q's changes
// up to v.
func (s *State) shownBy(viewer, q *Party, v uint64) bool {
	if viewer == q {
		return true
	}
	hops := len(s.Parties)
	for i := len(q.sight.changes) - 1; i >= 0; i-- {
		c := &q.sight.changes[i]
		if c.version <= v && s.sees(viewer, q.ID, s.changeScope(c), c.version, hops) {
			return true
		}
	}
	return false
}

// Apply brings the page up to date with d, one of the deltas the viewer's
// subscription delivers in order, and reports whether it could. A delta
// the page holds already (its Changes at most the page's) changes nothing
// and is true. It is false, leaving the page as it was, when the page must
// be read again: d is a Reset, or a delta was missed (Changes is not the
// page's next), or its message does not follow the page's Total.
//
// A new message joins the window when the window ends at the viewer's
// last message (or is empty); a window over earlier messages stays as it
// is while Total grows.
func (pg *Page) Apply(d Delta) bool {
	if d.Changes <= pg.Changes {
		return true
	}
	if d.Reset || d.Changes != pg.Changes+1 {
		return false
	}
	if d.Message != nil && (d.Message.Seq != pg.Total+1 || d.Total != d.Message.Seq) {
		return false
	}
	if d.Message == nil && d.Total != pg.Total {
		return false
	}
	if d.Message != nil && (len(pg.Messages) == 0 || pg.Last() == pg.Total) {
		pg.Messages = append(pg.Messages, *d.Message)
		if d.Event.Attachments.Len() > 0 {
			if pg.Attachments == nil {
				pg.Attachments = map[uint32][]Attachment{}
			}
			pg.Attachments[d.Message.Seq] = d.Event.Attachments.List()
		}
	}
	if d.Receipt != nil {
		pg.Receipts = upsert(pg.Receipts, *d.Receipt, func(r *Receipt) bool { return r.Party == d.Receipt.Party })
		sortReceipts(pg.Receipts)
	}
	pg.Total, pg.Changes, pg.Version = d.Total, d.Changes, d.Version
	pg.Role, pg.Membership, pg.Status, pg.Ended = d.Role, d.Membership, d.Status, d.Ended
	if d.Party != nil {
		pg.Parties = upsertParty(pg.Parties, *d.Party, d.PartyAt)
	}
	// The viewer's own entry shows what it is now.
	for k := range pg.Parties {
		if pg.Parties[k].ID == pg.Viewer {
			pg.Parties[k].Role, pg.Parties[k].Membership = d.Role, d.Membership
		}
	}
	if d.Leg != nil {
		pg.Legs = upsert(pg.Legs, *d.Leg, func(l *Leg) bool { return l.ID == d.Leg.ID })
	}
	if d.Request != nil {
		pg.Requests = upsert(pg.Requests, *d.Request, func(r *Request) bool { return r.ID == d.Request.ID })
	}
	return true
}

func upsertParty(list []PartyView, pv PartyView, at int) []PartyView {
	for k := range list {
		if list[k].ID == pv.ID {
			list[k] = pv
			return list
		}
	}
	at = min(max(at, 0), len(list))
	list = append(list, PartyView{})
	copy(list[at+1:], list[at:])
	list[at] = pv
	return list
}

func upsert[T any](list []T, x T, same func(*T) bool) []T {
	for k := range list {
		if same(&list[k]) {
			list[k] = x
			return list
		}
	}
	return append(list, x)
}

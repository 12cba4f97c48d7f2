package interaction

import "time"

// What each party has been shown, kept beside the state so that every
// number, name and party list a party receives can be derived from what it
// may see (issue 12: privacy covers metadata). Apply keeps it up to date
// on every State it builds; a Decision's working copy skips it (a command
// never reads it), so deciding costs nothing more.
//
//   - A party's own numbering: events counts the events it was shown (its
//     View.Version and the Version of the events delivered to it), messages
//     the messages it may read now (its Message.Seq). Neither counts what it
//     may not see, so no gap tells it how many private items there were.
//   - changes is the party's membership and role history with each
//     change's scope: another viewer's party list shows the latest change
//     that viewer may see, and only from the moment it may see one (the
//     contact sees an agent from the moment it is engaged with it).
//   - windows are a supervisor's stays with an agent (R-X7): it reads
//     through that agent only within them.
//   - reads is the index of the messages it may read (index.go), so that a
//     page of its transcript costs the page, not the transcript.
//   - silent counts the changes of its view that no event it was shown
//     caused (a delta without an event, delta.go); with events it orders
//     its deltas and pages (Delta.Changes, Page.Changes).

// MaxParties bounds the parties of one interaction. Who saw each event of
// a command is kept as one bit per party.
const MaxParties = 64

type partySight struct {
	events   uint64 // events shown so far: the party's own version
	messages uint32 // messages it may read now: its own message number
	silent   uint32 // changes of its view shown without an event (delta.go)
	// status is the interaction status it last saw (index in statusNames).
	status uint8
	// firstEngaged is the version it first became engaged with the contact
	// (0: never); engagedSince the version its current or last engaged stay
	// began. The contact's names for agents follow firstEngaged.
	firstEngaged uint64
	engagedSince uint64
	changes      []partyChange
	windows      []sightWindow
	reads        []readRun // the messages it may read (index.go)
}

func (p partySight) clone() partySight {
	p.changes = append([]partyChange(nil), p.changes...)
	p.windows = append([]sightWindow(nil), p.windows...)
	p.reads = append(p.reads[:0:0], p.reads...) // nil stays nil, empty stays empty
	return p
}

// partyChange is one membership or role event of a party, compactly: the
// scope is kept as its kind and the index of its leg or request and party.
type partyChange struct {
	version    uint64
	leg        int32 // ScopeLeg: index in Legs, or -1-index in Requests
	membership uint8 // index in memberStates
	role       Role
	kind       ScopeKind
	party      uint8 // ScopeParty, ScopeCoach: index in Parties
}

// sightWindow is a stretch [from, until] of versions in which a supervisor
// read through agent: from is when the agent's engaged stay began (what it
// saw from then on, the whole shared transcript included), until when the
// supervisor stopped supervising it, left, or the agent's stay ended.
type sightWindow struct {
	agent       PartyID
	from, until uint64
}

// batchSight is who was shown each event of the last command applied: one
// bit per party (by index in Parties) per event, from version from on.
// quiet, made only for a command that needs it, says per event whose view
// it changed without showing it to them (silent) and whose view grew in a
// way no delta carries (reset: a join shows the backlog, a supervision
// window opens): delta.go.
type batchSight struct {
	from  uint64
	cause string
	shown []uint64
	quiet *[]quietBits // nil until a command needs it (an idle interaction stays small)
}

type quietBits struct{ silent, reset uint64 }

var memberStates = []MemberState{MemberNone, MemberInvited, MemberJoined, MemberDeclined, MemberWithdrawn, MemberLeft, MemberRemoved, MemberDone}

func memberIndex(m MemberState) uint8 {
	for i, x := range memberStates {
		if x == m {
			return uint8(i)
		}
	}
	return 0
}

var statusNames = []Status{StatusWaiting, StatusActive, StatusEnded, StatusClosed}

func statusIndex(st Status) uint8 {
	for i, x := range statusNames {
		if x == st {
			return uint8(i)
		}
	}
	return 0
}

func (p *Party) startEngagement(version uint64) {
	if p.EngagedUntil != unbounded {
		p.sight.engagedSince = version
		if p.sight.firstEngaged == 0 {
			p.sight.firstEngaged = version
		}
	}
	p.WasEngaged, p.EngagedUntil = true, unbounded
}

// partyIndex returns the index of party id in s.Parties, or -1.
func (s *State) partyIndex(id PartyID) int {
	for i := range s.Parties {
		if s.Parties[i].ID == id {
			return i
		}
	}
	return -1
}

// account records who was shown ev, right after Apply folded it in, and
// keeps each party's index of readable messages (index.go). joinedAfter is,
// for a membership event that joins its party, the last version that party
// could read before (0: it never took part).
func (s *State) account(ev *Event, joinedAfter uint64) {
	if ev.Cause != s.batch.cause || ev.Version == 1 || len(s.batch.shown) == 0 || s.batch.from+uint64(len(s.batch.shown)) != ev.Version {
		s.batch.from, s.batch.cause, s.batch.shown = ev.Version, ev.Cause, s.batch.shown[:0]
		if s.batch.quiet != nil {
			*s.batch.quiet = (*s.batch.quiet)[:0]
		}
	}
	var q quietBits
	if ev.Type == EventLeg {
		if s.legChanges == nil {
			s.legChanges = new([]legChange)
		}
		*s.legChanges = append(*s.legChanges, legChange{leg: ev.Leg, version: ev.Version, state: LegState(ev.To), at: ev.Time})
	}
	switch ev.Type {
	case EventMembership, EventRole:
		s.recordChange(ev)
		opened := s.updateWindows(ev.Version)
		var joined uint64
		if i := s.partyIndex(ev.Party); i >= 0 && i < MaxParties && ev.Type == EventMembership {
			switch {
			case ev.To == string(MemberJoined):
				joined = 1 << uint(i)
			case ev.From == string(MemberNone):
				q.reset |= 1 << uint(i) // a new party: its first delta sets up its view
			}
		}
		// A join shows the backlog; a supervision window opens onto an
		// agent's sight, and so onto what reads through that supervisor in
		// turn. Only those parties' indexes change, and only they are told
		// to read their view again.
		grown := s.throughWindows(opened | joined)
		for i := range s.Parties {
			if i >= MaxParties || grown&(1<<uint(i)) == 0 {
				continue
			}
			if grown&^joined&(1<<uint(i)) == 0 {
				s.readBacklog(&s.Parties[i], joinedAfter)
			} else {
				s.reindex(&s.Parties[i])
			}
		}
		q.reset |= grown
	}
	var shown uint64
	status := statusIndex(s.Status)
	for i := range s.Parties {
		p := &s.Parties[i]
		if i >= MaxParties {
			continue
		}
		bit := uint64(1) << uint(i)
		if !s.visibleTo(p, ev) {
			if q.reset&bit != 0 || s.changedQuietly(p, ev) {
				q.silent |= bit
				p.sight.silent++
			}
			continue
		}
		shown |= bit
		p.sight.events++
		p.sight.status = status
		if ev.Type == EventMessage {
			p.sight.addRead(uint32(len(s.Messages) - 1))
		}
	}
	s.batch.shown = append(s.batch.shown, shown)
	if q != (quietBits{}) || (s.batch.quiet != nil && len(*s.batch.quiet) > 0) {
		if s.batch.quiet == nil {
			s.batch.quiet = new([]quietBits)
		}
		bits := *s.batch.quiet
		for len(bits) < len(s.batch.shown)-1 {
			bits = append(bits, quietBits{})
		}
		*s.batch.quiet = append(bits, q)
	}
}

// quietAt returns the quiet bits of the j-th event of the last command.
func (b *batchSight) quietAt(j int) quietBits {
	if b.quiet == nil || j >= len(*b.quiet) {
		return quietBits{}
	}
	return (*b.quiet)[j]
}

// changedQuietly reports whether ev, which p is not shown, changes p's
// view all the same: its own reading of a message it may no longer see
// the scope of (read through a supervision window since closed) is not
// an event it is shown, yet its view's receipts show it (receiptsFor), so
// its deltas carry the receipt without the event. Nothing else does: an
// invited party's view shows the status it was last shown, and a
// supervisor's the consultations it saw as it last saw them
// (legAsSeenBy).
func (s *State) changedQuietly(p *Party, ev *Event) bool {
	return ev.Type == EventRead && ev.Actor == p.ID
}

// legChange is one state change of a consultation leg, kept so that a
// supervisor reading through its agent is shown a leg as it last saw it.
type legChange struct {
	leg     LegID
	version uint64
	state   LegState
	at      time.Time
}

// legAsSeenBy is leg l as p was last shown it: as it is for its two
// agents; for a supervisor, as of the last of its changes p saw through
// its windows (nothing after a window closed, docs/visibility.md).
func (s *State) legAsSeenBy(p *Party, l Leg) Leg {
	if l.Owner == p.ID || l.Invitee == p.ID {
		return l
	}
	if s.legChanges == nil {
		return l
	}
	changes := *s.legChanges
	var seen *legChange
	hops := len(s.Parties)
	for i := range changes {
		c := &changes[i]
		if c.leg == l.ID && s.sees(p, "", LegScope(l.ID), c.version, hops) {
			seen = c
		}
	}
	if seen == nil || seen.state == l.State {
		return l
	}
	l.State, l.Answered, l.Ended = seen.state, time.Time{}, time.Time{}
	for i := range changes {
		c := &changes[i]
		if c.leg != l.ID || c.version > seen.version {
			continue
		}
		switch c.state {
		case LegActive, LegDeclined, LegCancelled, LegTimedOut:
			l.Answered = c.at
		}
		if c.state != LegInviting && c.state != LegActive {
			l.Ended = c.at
		}
	}
	return l
}

// throughWindows adds to the parties in grown (a bit per party) every
// party that reads through one of them: a supervisor whose window onto it
// is open, and so on along the chain. (A closed window onto a party ended
// before anything that party reads from now on.)
func (s *State) throughWindows(grown uint64) uint64 {
	for more := grown != 0; more; {
		more = false
		for i := range s.Parties {
			if i >= MaxParties || grown&(1<<uint(i)) != 0 {
				continue
			}
			ws := s.Parties[i].sight.windows
			if len(ws) == 0 || ws[len(ws)-1].until != unbounded {
				continue
			}
			if k := s.partyIndex(ws[len(ws)-1].agent); k >= 0 && k < MaxParties && grown&(1<<uint(k)) != 0 {
				grown |= 1 << uint(i)
				more = true
			}
		}
	}
	return grown
}

func (s *State) recordChange(ev *Event) {
	i := s.partyIndex(ev.Party)
	if i < 0 {
		return
	}
	c := partyChange{version: ev.Version, membership: memberIndex(s.Parties[i].Membership), role: s.Parties[i].Role, kind: ev.Scope.Kind, leg: -1}
	switch ev.Scope.Kind {
	case ScopeLeg:
		for j := range s.Legs {
			if InvitationID(s.Legs[j].ID) == ev.Scope.Invitation {
				c.leg = int32(j)
			}
		}
		if c.leg < 0 {
			for j := range s.Requests {
				if InvitationID(s.Requests[j].ID) == ev.Scope.Invitation {
					c.leg = int32(-1 - j)
				}
			}
		}
	case ScopeParty, ScopeCoach:
		if k := s.partyIndex(ev.Scope.Party); k >= 0 {
			c.party = uint8(k)
		}
	}
	p := &s.Parties[i]
	if p.sight.changes == nil {
		p.sight.changes = make([]partyChange, 0, 4) // a party changes a few times: one allocation
	}
	p.sight.changes = append(p.sight.changes, c)
}

// changeScope is the scope a change was recorded with.
func (s *State) changeScope(c *partyChange) Scope {
	sc := Scope{Kind: c.kind}
	switch c.kind {
	case ScopeLeg:
		if c.leg >= 0 && int(c.leg) < len(s.Legs) {
			sc.Invitation = InvitationID(s.Legs[c.leg].ID)
		} else if j := int(-1 - c.leg); c.leg < 0 && j < len(s.Requests) {
			sc = RequestScope(s.Requests[j].ID)
		}
	case ScopeParty, ScopeCoach:
		if int(c.party) < len(s.Parties) {
			sc.Party = s.Parties[c.party].ID
		}
	}
	return sc
}

// updateWindows opens and closes supervisors' windows after a membership
// or role change at version v (R-X7). It returns the parties (a bit each)
// for which it opened one.
func (s *State) updateWindows(v uint64) uint64 {
	var opened uint64
	for i := range s.Parties {
		p := &s.Parties[i]
		if p.Supervises == "" && len(p.sight.windows) == 0 {
			continue
		}
		var w *Party
		if p.Present() && p.Supervises != "" {
			w = s.Party(p.Supervises)
			if w != nil && !(w.Present() && w.Role.Engaged()) {
				w = nil
			}
		}
		ws := p.sight.windows
		open := len(ws) > 0 && ws[len(ws)-1].until == unbounded
		if open && (w == nil || ws[len(ws)-1].agent != w.ID) {
			ws[len(ws)-1].until = v
			open = false
		}
		if w != nil && !open {
			ws = append(ws, sightWindow{agent: w.ID, from: w.sight.engagedSince, until: unbounded})
			if i < MaxParties {
				opened |= 1 << uint(i)
			}
		}
		p.sight.windows = ws
	}
	return opened
}

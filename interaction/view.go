package interaction

import "time"

// Visibility is decided in one place, here, from the scope every message
// and event carries. Views, notifications, history and exports all call it.

// CanSee reports whether viewer may see something with this scope, written
// by author at stream version version.
func (s *State) CanSee(viewer, author PartyID, sc Scope, version uint64) bool {
	p := s.Party(viewer)
	if p == nil {
		return false
	}
	return s.sees(p, author, sc, version, len(s.Parties))
}

// sees is CanSee for a party: by its own right, or, for a supervisor,
// through the agent it supervised (R-X7), within its windows only: it
// reads what that agent saw during the engaged stays it watched, the
// shared transcript up to the window's end and the agent's private items
// (its consultations, notices to it, coaching) from the start of that
// stay to the window's end. A consultation the agent held while it was
// not engaged stays closed to it. If that agent is a supervisor that
// barged in, what it saw in turn, hop by hop.
//
// Decides R-C5, R-C6, R-F2, R-F3, R-X3: who reads which message.
func (s *State) sees(p *Party, author PartyID, sc Scope, version uint64, hops int) bool {
	if s.canSee(p, author, sc, version) {
		return true
	}
	if hops <= 0 {
		return false
	}
	shared := sc.Kind == ScopeEveryone || sc.Kind == ScopeAgents
	for _, w := range p.sight.windows {
		if version > w.until || (!shared && version < w.from) {
			continue
		}
		if sc.Kind == ScopeLeg {
			if l := s.Leg(LegID(sc.Invitation)); l != nil && (l.Since < w.from || l.Since > w.until) {
				continue
			}
		}
		if a := s.Party(w.agent); a != nil && s.sees(a, author, sc, version, hops-1) {
			return true
		}
	}
	return false
}

// legInSight: a supervisor sees the consultations of the agent it
// supervised (R-X7) that began within one of its windows, along the chain
// of supervised agents.
func (s *State) legInSight(p *Party, l *Leg, hops int) bool {
	if hops <= 0 {
		return false
	}
	for _, w := range p.sight.windows {
		if l.Since < w.from || l.Since > w.until {
			continue
		}
		if w.agent == l.Owner || w.agent == l.Invitee {
			return true
		}
		if a := s.Party(w.agent); a != nil && s.legInSight(a, l, hops-1) {
			return true
		}
	}
	return false
}

// canSee is CanSee by the party's own right, without supervision.
func (s *State) canSee(p *Party, author PartyID, sc Scope, version uint64) bool {
	viewer := p.ID
	switch sc.Kind {
	case ScopeEveryone:
		// Every party that has joined reads the whole shared transcript, also
		// what was said before it came (R-C6, R-F2), until it goes.
		return p.TookPart && version <= p.SeenUntil
	case ScopeAgents:
		return p.Role != RoleContact && p.TookPart && version <= p.SeenUntil
	case ScopeLeg:
		// Exactly the leg's two agents, forever (R-C5, R-X3).
		// A request (transfer, conference) uses the same scope: exactly the
		// owner who asked and the agent asked.
		if l := s.Leg(LegID(sc.Invitation)); l != nil {
			return viewer == l.Owner || viewer == l.Invitee
		}
		if r := s.Request(RequestID(sc.Invitation)); r != nil {
			return viewer == r.Owner || viewer == r.Invitee
		}
		return false
	case ScopeParty:
		return viewer == sc.Party
	case ScopeCoach:
		return viewer == sc.Party || viewer == author
	}
	return false
}

// Visible reports whether viewer may see the event.
//
// Beyond the scope, a party always sees what happens to itself (its own
// membership and role changes, such as marking done after it left), and a
// party that took part sees the changes of the interaction's status while
// it is in the chat, and those its own commands cause (the end of the
// session it ended, the close its mark-done caused). A party that left
// learns nothing of what happens after (R-C5, R-X6).
func (s *State) Visible(viewer PartyID, ev *Event) bool {
	p := s.Party(viewer)
	return p != nil && s.visibleTo(p, ev)
}

func (s *State) visibleTo(p *Party, ev *Event) bool {
	switch ev.Type {
	case EventMembership, EventRole:
		if ev.Party == p.ID {
			return true
		}
	case EventStatus:
		return p.TookPart && (ev.Version <= p.SeenUntil || ev.Actor == p.ID)
	}
	return s.sees(p, ev.Actor, ev.Scope, ev.Version, len(s.Parties))
}

// View is what one party may see of an interaction, and nothing else:
// every number, name and party in it is derived from what the viewer may
// see (docs/visibility.md).
type View struct {
	Interaction ID
	Viewer      PartyID
	// Role is what the viewer is in the chat now: RoleNone once it is out
	// (Membership says how it went), so a former owner is not shown as one.
	Role       Role
	Membership MemberState
	// Status is the interaction's status as the viewer may know it: the
	// current one while it is in the chat (or invited); once it is out, the
	// last it saw, where an active chat it left reads as ended (its session
	// is over), and later only what its own commands cause.
	Status Status
	// Ended is when the session with the contact ended, if the viewer was
	// told (zero otherwise).
	Ended time.Time
	// Version counts the events the viewer was shown: the Version of the
	// last event delivered to it. It does not count what it may not see.
	Version uint64
	Parties []PartyView
	// Messages are numbered (Seq) 1, 2, … in the viewer's own order: the
	// numbers count only what it may read.
	Messages []Message
	// Legs are the consultations the viewer is one of the two agents of.
	Legs []Leg
	// Requests are the transfer and conference requests the viewer made or
	// was asked.
	Requests []Request
	// Attachments are the files of the viewer's messages (of Messages)
	// that carry some, by Message.Seq; nil when none does (issue 17). A
	// message's attachments are shown exactly where it is.
	Attachments map[uint32][]Attachment
	// Receipts say how far each party read, as far as the viewer may know
	// (receipt.go): per reader its latest receipt the viewer may see, in
	// the viewer's numbering, ordered by the reader's ID as shown.
	Receipts []Receipt
}

// PartyView is another party as the viewer sees it: as the latest of its
// membership and role changes the viewer may see. The contact sees agents
// only from the moment they are engaged with it, under contact-facing IDs
// and names (ContactNames); a party that left sees the others as they
// were when it left.
type PartyView struct {
	ID         PartyID
	Name       string
	Role       Role
	Membership MemberState
}

// ViewFor returns viewer's view, naming agents to the contact with the
// default contact-facing names. A party that was never in the interaction
// may not read it (R-X6).
func (s *State) ViewFor(viewer PartyID) (View, error) { return s.ViewNamed(viewer, nil) }

// ViewNamed is ViewFor with the embedding service's contact-facing names
// (nil: DefaultContactName).
func (s *State) ViewNamed(viewer PartyID, names ContactNames) (View, error) {
	p, err := s.viewer(viewer, "view")
	if err != nil {
		return View{}, err
	}
	return s.view(p, s.lensFor(p, names), 1, p.sight.messages), nil
}

// viewer returns the party viewer, or the error for one that was never in
// the interaction (R-X6).
func (s *State) viewer(viewer PartyID, op string) (*Party, error) {
	if p := s.Party(viewer); p != nil {
		return p, nil
	}
	return nil, &Error{Kind: ErrNotPermitted, Op: op, Interaction: s.ID, Party: viewer, Rule: "R-X6", Detail: "not a party of this interaction"}
}

// view is p's view with its messages first to last (its Seq numbers; none
// when first > last): everything else whole. It costs the parties, the
// legs, the requests and the messages it holds (index.go), whatever the
// length of the transcript.
func (s *State) view(p *Party, lens lens, first, last uint32) View {
	var v View
	s.viewInto(&v, p, lens, first, last)
	return v
}

// viewInto sets *v to what view returns, reusing the room of v's slices
// (Service.PageInto): what they held before is overwritten.
func (s *State) viewInto(v *View, p *Party, lens lens, first, last uint32) {
	viewer := p.ID
	*v = View{
		Interaction: s.ID, Viewer: viewer, Role: lens.ownRole(), Membership: p.Membership, Status: lens.status(), Version: p.sight.events,
		Parties: v.Parties[:0], Messages: v.Messages[:0], Legs: v.Legs[:0], Requests: v.Requests[:0], Receipts: v.Receipts[:0], Attachments: v.Attachments,
	}
	clear(v.Attachments)
	if st := statusNames[p.sight.status]; st == StatusEnded || st == StatusClosed {
		v.Ended = s.Ended
	}
	for i := range s.Parties {
		q := &s.Parties[i]
		if c, ok := s.shownTo(p, q); ok {
			pv := PartyView{ID: lens.id(q.ID), Name: lens.name(q.ID), Role: c.role, Membership: memberStates[c.membership]}
			if q == p {
				pv.Role, pv.Membership = v.Role, p.Membership
			}
			v.Parties = append(v.Parties, pv)
		}
	}
	if first >= 1 && first <= last && last <= p.sight.messages {
		v.Messages = s.messagesInto(v, p, lens, first, last)
	}
	if len(v.Attachments) == 0 {
		v.Attachments = nil
	}
	if s.extra != nil {
		v.Receipts = s.receiptsFor(p, lens, v.Receipts)
	}
	if len(v.Receipts) == 0 {
		v.Receipts = nil
	}
	for _, l := range s.Legs {
		if s.legShown(p, &l) {
			l = s.legAsSeenBy(p, l)
			l.Since = 0 // a stream version: it counts events the viewer may not see
			v.Legs = append(v.Legs, l)
		}
	}
	for _, r := range s.Requests {
		if requestShown(p, &r) {
			v.Requests = append(v.Requests, r)
		}
	}
	// What a fresh view holds none of is nil, as in one built anew (its
	// JSON says null): the room kept for a next page is given up then.
	if len(v.Parties) == 0 {
		v.Parties = nil
	}
	if len(v.Messages) == 0 {
		v.Messages = nil
	}
	if len(v.Legs) == 0 {
		v.Legs = nil
	}
	if len(v.Requests) == 0 {
		v.Requests = nil
	}
}

// messagesInto returns p's messages first to last (1 ≤ first ≤ last ≤
// its count) as lens shows them, in v.Messages' room when it has enough,
// and their attachments in v.Attachments. It walks the runs of p's read
// index (index.go) and copies each message once.
func (s *State) messagesInto(v *View, p *Party, lens lens, first, last uint32) []Message {
	n := int(last - first + 1)
	out := v.Messages[:0]
	if cap(out) < n {
		out = make([]Message, n)
	} else {
		out = out[:n]
	}
	var ids shownIDs
	var atts []msgAttachments // the attachments from the window's first message on
	if s.extra != nil {
		atts = s.extra.attachments
	}
	ps := &p.sight
	k := 0
	seq := first
	for j := ps.run(first); j < len(ps.reads) && seq <= last; j++ {
		r := ps.reads[j]
		end := min(r.before+ps.runLen(j), last) // the Seq of the run's last message in the window
		at := r.at + (seq - 1 - r.before)
		src := s.Messages[at : at+(end-seq)+1]
		dst := out[k : k+len(src)]
		copy(dst, src)
		if lens.contact {
			for x := range dst {
				m := &dst[x]
				i := int(m.author) - 1
				m.Version, m.Seq, m.author = 0, seq+uint32(x), 0
				if i >= 0 && i < len(ids.byNumber) && ids.known&(1<<i) != 0 && m.Scope.Party == "" && m.Notice == nil {
					m.Author = ids.byNumber[i] // the common case, inline
					continue
				}
				lens.showTo(m, uint8(i+1), &ids)
			}
		} else {
			for x := range dst {
				dst[x].Version, dst[x].Seq, dst[x].author = 0, seq+uint32(x), 0
			}
		}
		if len(atts) > 0 {
			atts = atts[attachmentsFrom(atts, at):]
			for len(atts) > 0 && atts[0].at <= at+uint32(len(src))-1 {
				if v.Attachments == nil {
					v.Attachments = map[uint32][]Attachment{}
				}
				v.Attachments[seq+(atts[0].at-at)] = cloneAttachments(atts[0].list)
				atts = atts[1:]
			}
		}
		k += len(src)
		seq = end + 1
	}
	return out
}

// ShowsLeg reports whether viewer's view shows consultation leg id
// (View.Legs): it is one of the leg's two agents, or a supervisor that
// watched one of them when the leg began (R-X7). System, which is no
// party, is shown every leg (the system's view). A command that names a
// leg its actor is not shown is refused exactly as one naming a leg that
// does not exist: privacy covers metadata (R-X6, docs/visibility.md).
func (s *State) ShowsLeg(viewer PartyID, id LegID) bool {
	l := s.Leg(id)
	if l == nil {
		return false
	}
	if viewer == System {
		return true
	}
	p := s.Party(viewer)
	return p != nil && s.legShown(p, l)
}

// ShowsParty reports whether viewer's view shows party id
// (View.Parties): a silent monitor, for one, is shown to nobody but
// itself (R-X7). System is shown every party. A command that names a
// party its actor is not shown is refused as one naming nobody.
func (s *State) ShowsParty(viewer, id PartyID) bool {
	q := s.Party(id)
	if q == nil {
		return false
	}
	if viewer == System {
		return true
	}
	p := s.Party(viewer)
	if p == nil {
		return false
	}
	_, ok := s.shownTo(p, q)
	return ok
}

// ShowsRequest is ShowsLeg for a transfer or conference request
// (View.Requests): it is shown to the owner who asked and the agent asked
// only, and to System.
func (s *State) ShowsRequest(viewer PartyID, id RequestID) bool {
	r := s.Request(id)
	if r == nil {
		return false
	}
	if viewer == System {
		return true
	}
	p := s.Party(viewer)
	return p != nil && requestShown(p, r)
}

// legShown and requestShown decide which legs and requests p's view and
// deltas show, and which of them p's commands may name (ShowsLeg).
func (s *State) legShown(p *Party, l *Leg) bool {
	return l.Owner == p.ID || l.Invitee == p.ID || s.legInSight(p, l, len(s.Parties))
}

func requestShown(p *Party, r *Request) bool { return r.Owner == p.ID || r.Invitee == p.ID }

// shownTo returns the latest change of q that viewer may see, if any: a
// party is in a viewer's party list from the first of its membership or
// role changes the viewer may see, as the latest of them.
func (s *State) shownTo(viewer, q *Party) (partyChange, bool) {
	if viewer == q {
		if n := len(q.sight.changes); n > 0 {
			return q.sight.changes[n-1], true
		}
		return partyChange{membership: memberIndex(q.Membership), role: q.Role}, true
	}
	hops := len(s.Parties)
	for i := len(q.sight.changes) - 1; i >= 0; i-- {
		c := &q.sight.changes[i]
		if s.sees(viewer, q.ID, s.changeScope(c), c.version, hops) {
			return *c, true
		}
	}
	return partyChange{}, false
}

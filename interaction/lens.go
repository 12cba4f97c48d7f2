package interaction

import "strconv"

// ContactNames names an agent to the contact: a first name, say, or
// "Agent". It gets the agent's internal party ID; "" keeps the default
// (DefaultContactName). The contact never sees internal agent IDs: in
// its views, events and exports an agent's ID is a contact-facing one
// (ContactAgentID) and its name comes from here (issue 12).
type ContactNames func(agent PartyID) string

// DefaultContactName is how the contact is shown the n-th agent engaged
// with it, without ContactNames: "Agent 1", "Agent 2", …
func DefaultContactName(n int) string { return "Agent " + strconv.Itoa(n) }

// ContactAgentID is the party ID the contact sees for the n-th agent
// engaged with it (in the order they first became engaged).
func ContactAgentID(n int) PartyID {
	if n >= 0 && n < len(contactAgentIDs) {
		return contactAgentIDs[n] // made once: a page names an agent per message
	}
	return PartyID("agent-" + strconv.Itoa(n))
}

var contactAgentIDs = func() (ids [MaxParties + 1]PartyID) {
	for i := range ids {
		ids[i] = PartyID("agent-" + strconv.Itoa(i))
	}
	return ids
}()

// lens is how one viewer is shown parties, names and messages.
type lens struct {
	s       *State
	p       *Party
	contact bool
	names   ContactNames
}

func (s *State) lensFor(p *Party, names ContactNames) lens {
	return lens{s: s, p: p, contact: p.Role == RoleContact, names: names}
}

// rank is the contact-facing number of agent q: 1 + the agents engaged
// with the contact before it; 0 if q never was.
func (l lens) rank(q *Party) int {
	if q.sight.firstEngaged == 0 {
		return 0
	}
	n := 1
	for i := range l.s.Parties {
		if f := l.s.Parties[i].sight.firstEngaged; f != 0 && f < q.sight.firstEngaged {
			n++
		}
	}
	return n
}

// id is how the viewer is shown party id: as itself to internal viewers;
// to the contact, agents by their contact-facing ID, and a party it may
// not know of not at all ("").
func (l lens) id(id PartyID) PartyID {
	if !l.contact || id == l.p.ID || id == System || id == "" {
		return id
	}
	q := l.s.Party(id)
	if q == nil || q.Role == RoleContact {
		return id
	}
	if n := l.rank(q); n > 0 {
		return ContactAgentID(n)
	}
	return ""
}

// name is the display name of party id for the viewer.
func (l lens) name(id PartyID) string {
	if !l.contact || id == l.p.ID || id == System {
		return string(id)
	}
	q := l.s.Party(id)
	if q == nil {
		return "someone"
	}
	n := l.rank(q)
	if n == 0 {
		return "someone"
	}
	if l.names != nil {
		if name := l.names(id); name != "" {
			return name
		}
	}
	return DefaultContactName(n)
}

// message is m as the viewer is shown it (Seq set by the caller). Its
// stream version is not shown: it counts every event (Version is 0).
func (l lens) message(m *Message) Message {
	out := *m
	out.Version, out.author = 0, 0
	if l.contact {
		l.showTo(&out, m.author, nil)
	}
	return out
}

// showTo rewrites the contact's copy m of a message, whose author is
// party number author (Message.author), as the contact is shown it: its
// author and the party of its scope by contact-facing IDs, a notice's
// text with contact-facing names. ids remembers the parties shown over a
// page (nil: a message alone).
func (l lens) showTo(m *Message, author uint8, ids *shownIDs) {
	m.Author = ids.author(l, author, m.Author)
	if m.Scope.Party != "" {
		m.Scope.Party = ids.id(l, m.Scope.Party)
	}
	if m.Notice != nil {
		m.Text = m.Notice.Render(l.name)
		m.Notice = l.notice(m.Notice)
	}
}

// shownIDs remembers, over one page, how the contact is shown the parties
// it asked for: lens.id searches the parties and ranks the agent, and a
// page names the same few parties message after message. The first
// sixteen parties are remembered by number (Message.author), the others
// (and scopes' parties) the last four of them by ID.
type shownIDs struct {
	byNumber [16]PartyID
	known    uint16 // bit i: byNumber[i] is set
	next     int
	ids      [4][2]PartyID // party, as shown
}

// author is how the contact is shown party id, the author of a message
// whose party number is number (Message.author).
func (c *shownIDs) author(l lens, number uint8, id PartyID) PartyID {
	i := int(number) - 1
	if c == nil || i < 0 || i >= len(c.byNumber) {
		return c.id(l, id)
	}
	if c.known&(1<<i) == 0 {
		c.byNumber[i] = l.id(id)
		c.known |= 1 << i
	}
	return c.byNumber[i]
}

// id is how the contact is shown party id (lens.id), remembered when c is
// not nil.
func (c *shownIDs) id(l lens, id PartyID) PartyID {
	if c == nil {
		return l.id(id)
	}
	if id == "" || id == l.p.ID {
		return id
	}
	for i := range c.ids {
		if c.ids[i][0] == id {
			return c.ids[i][1]
		}
	}
	shown := l.id(id)
	c.ids[c.next] = [2]PartyID{id, shown}
	c.next = (c.next + 1) % len(c.ids)
	return shown
}

func (l lens) notice(n *Notice) *Notice {
	c := *n
	c.Parties = make([]PartyID, len(n.Parties))
	for i, p := range n.Parties {
		c.Parties[i] = l.id(p)
	}
	return &c
}

// ownRole is the viewer's role as its own view shows it: none once out.
func (l lens) ownRole() Role {
	if l.p.Present() || l.p.Membership == MemberInvited {
		return l.p.Role
	}
	return RoleNone
}

// status is the interaction's status as the viewer may know it.
func (l lens) status() Status {
	if l.p.Present() {
		return l.s.Status
	}
	// Invited, or out: the status it was last shown (an invitee is not
	// told of the chat's changes until it joins).
	st := statusNames[l.p.sight.status]
	if l.p.Membership != MemberInvited && l.p.TookPart && (st == StatusWaiting || st == StatusActive) {
		return StatusEnded // its session with the contact is over
	}
	return st
}

// ShownID is the party ID viewer is shown for party: the party's own ID
// to internal viewers, the contact-facing one (ContactAgentID) to the
// contact, and "" when the viewer may not know that party at all. History
// and other read models use it to name parties as the views do.
func (s *State) ShownID(viewer, party PartyID) PartyID {
	p := s.Party(viewer)
	if p == nil {
		return ""
	}
	l := s.lensFor(p, nil)
	if q := s.Party(party); q != nil && q != p {
		if _, ok := s.shownTo(p, q); !ok {
			return ""
		}
	}
	return l.id(party)
}

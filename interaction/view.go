package interaction

// Visibility is decided in one place, here, from the scope every message
// and event carries. Views, notifications, history and exports all call it.

// CanSee reports whether viewer may see something with this scope, written
// by author at stream version version.
func (s *State) CanSee(viewer, author PartyID, sc Scope, version uint64) bool {
	p := s.Party(viewer)
	if p == nil {
		return false
	}
	if s.canSee(p, author, sc, version) {
		return true
	}
	// A supervisor also sees, while it is in the chat, whatever the agent it
	// monitors or coaches sees, that agent's consultations included (R-X7),
	// as long as that agent is engaged with the contact: once it left (or
	// was transferred away) only what it saw until then, not what it sees
	// later in another role. If that agent is a supervisor that barged in,
	// what it sees in turn. The chain is acyclic (an agent is supervised
	// only once engaged, and a supervisor that barged in supervises no one
	// new); it is bounded anyway.
	for hops := len(s.Parties); p.Supervises != "" && version <= p.SeenUntil && hops > 0; hops-- {
		w := s.Supervised(p)
		if w == nil || version > w.EngagedUntil {
			return false
		}
		if s.canSee(w, author, sc, version) {
			return true
		}
		p = w
	}
	return false
}

// legInSight: a supervisor sees the consultations of the agent it
// supervises (R-X7), those started while that agent was engaged and while
// the supervisor itself was in the chat, along the chain of supervised
// agents.
func (s *State) legInSight(p *Party, l *Leg) bool {
	for hops := len(s.Parties); p.Supervises != "" && hops > 0; hops-- {
		if l.Since > p.SeenUntil {
			return false
		}
		w := s.Supervised(p)
		if w == nil || l.Since > w.EngagedUntil {
			return false
		}
		if w.ID == l.Owner || w.ID == l.Agent {
			return true
		}
		p = w
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
		if l := s.Leg(sc.Leg); l != nil {
			return viewer == l.Owner || viewer == l.Agent
		}
		if r := s.Request(sc.Leg); r != nil {
			return viewer == r.From || viewer == r.Agent
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
// Beyond the scope, a party that took part always sees what happens to
// itself (its own membership and role changes, such as marking done after
// it left) and the changes of the interaction's status (ended, closed).
func (s *State) Visible(viewer PartyID, ev *Event) bool {
	switch ev.Type {
	case EventMembership, EventRole:
		if ev.Party == viewer {
			return true
		}
	case EventStatus:
		if p := s.Party(viewer); p != nil && p.TookPart {
			return true
		}
	}
	return s.CanSee(viewer, ev.Actor, ev.Scope, ev.Version)
}

// View is what one party may see of an interaction, and nothing else.
type View struct {
	Interaction ID
	Viewer      PartyID
	Role        Role
	Membership  string
	Status      string
	Version     uint64
	Parties     []PartyView
	Messages    []Message
	// Legs are the consultations the viewer is one of the two agents of.
	Legs []Leg
	// Requests are the transfer and conference requests the viewer made or
	// was asked.
	Requests []Request
}

// PartyView is another party as the viewer sees it.
type PartyView struct {
	ID         PartyID
	Role       Role
	Membership string
}

// ViewFor returns viewer's view. A party that was never in the interaction
// may not read it (R-X6).
func (s *State) ViewFor(viewer PartyID) (View, error) {
	p := s.Party(viewer)
	if p == nil {
		return View{}, &Error{Kind: ErrNotPermitted, Op: "view", Interaction: s.ID, Party: viewer, Rule: "R-X6", Detail: "not a party of this interaction"}
	}
	v := View{Interaction: s.ID, Viewer: viewer, Role: p.Role, Membership: p.Membership, Status: s.Status, Version: s.Version}
	for i := range s.Parties {
		q := &s.Parties[i]
		if s.partyVisible(p, q) {
			v.Parties = append(v.Parties, PartyView{ID: q.ID, Role: q.Role, Membership: q.Membership})
		}
	}
	for i := range s.Messages {
		m := &s.Messages[i]
		if s.CanSee(viewer, m.Author, m.Scope, m.Version) {
			v.Messages = append(v.Messages, *m)
		}
	}
	for _, l := range s.Legs {
		if l.Owner == viewer || l.Agent == viewer || s.legInSight(p, &l) {
			v.Legs = append(v.Legs, l)
		}
	}
	for _, r := range s.Requests {
		if r.From == viewer || r.Agent == viewer {
			v.Requests = append(v.Requests, r)
		}
	}
	return v, nil
}

// partyVisible: everyone sees the contact and the engaged agents; a
// consultation target is seen only by the agents of its legs; a supervisor
// only by itself and by the agent it coaches (R-X7).
// A supervisor also sees the parties its agent sees.
func (s *State) partyVisible(viewer, q *Party) bool {
	if s.partyVisibleTo(viewer, q) {
		return true
	}
	// Only while the supervisor is in the chat: out, it is shown nobody new.
	for hops, p := len(s.Parties), viewer; p.Supervises != "" && p.Present() && hops > 0; hops-- {
		w := s.Supervised(p)
		if w == nil {
			return false
		}
		if s.partyVisibleTo(w, q) {
			return true
		}
		p = w
	}
	return false
}

func (s *State) partyVisibleTo(viewer, q *Party) bool {
	if q.Role == RoleSupervisor && q.ID != viewer.ID {
		w := s.Supervised(q)
		return q.Coaching && w != nil && w.ID == viewer.ID
	}
	if q.ID == viewer.ID || q.Role == RoleContact || q.Role.Engaged() {
		return q.TookPart || q.ID == viewer.ID
	}
	if viewer.Role == RoleContact {
		return false
	}
	for _, l := range s.Legs {
		if (l.Owner == viewer.ID && l.Agent == q.ID) || (l.Agent == viewer.ID && l.Owner == q.ID) {
			return true
		}
	}
	return false
}

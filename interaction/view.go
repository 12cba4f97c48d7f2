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
func (s *State) Visible(viewer PartyID, ev *Event) bool {
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
		if l.Owner == viewer || l.Agent == viewer {
			v.Legs = append(v.Legs, l)
		}
	}
	return v, nil
}

// partyVisible: everyone sees the contact and the engaged agents; a
// consultation target is seen only by the agents of its legs; a supervisor
// only by itself and by the agent it coaches (R-X7).
func (s *State) partyVisible(viewer, q *Party) bool {
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

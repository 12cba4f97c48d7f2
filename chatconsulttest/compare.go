package chatconsulttest

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/chatconsult/chatconsult/interaction"
)

// Difference is one place where the library disagrees with the model,
// with the SPEC rule that the disagreement breaks.
type Difference struct {
	Rule    string // SPEC.md rule, e.g. "R-C5"
	Subject string // what differs, e.g. "view of contact"
	Detail  string
}

func (d Difference) String() string { return d.Rule + ": " + d.Subject + ": " + d.Detail }

// ViewFunc returns what viewer may see of an interaction. The library's is
// (*interaction.State).ViewFor; a harness may plug in another (a service's
// own view layer, or a deliberately broken one to prove the kit fails).
type ViewFunc func(s *interaction.State, viewer interaction.PartyID) (interaction.View, error)

// LibraryView is the library's view function.
func LibraryView(s *interaction.State, viewer interaction.PartyID) (interaction.View, error) {
	return s.ViewFor(viewer)
}

// Stranger is a party ID that is never part of a generated story; its
// view must be refused (R-X6).
const Stranger interaction.PartyID = "stranger"

// Compare checks the library's state, and the view of every party (through
// view, LibraryView when nil), against the model. It returns every
// difference, each with the rule it breaks.
func Compare(m *Model, st *interaction.State, view ViewFunc) []Difference {
	if view == nil {
		view = LibraryView
	}
	var out []Difference
	add := func(rule, subject, format string, args ...any) {
		out = append(out, Difference{Rule: rule, Subject: subject, Detail: fmt.Sprintf(format, args...)})
	}
	if st == nil || st.Version == 0 {
		if m.exists {
			add("R-X5", "interaction", "the model has it, the library does not")
		}
		return out
	}
	if !m.exists {
		add("R-X5", "interaction", "the library has it, the model does not")
		return out
	}
	if st.Status != m.status {
		add(statusRule(m.status, st.Status), "status", "library %s, model %s", st.Status, m.status)
	}
	if st.Contact != m.contact {
		add("R-X5", "contact", "library %s, model %s", st.Contact, m.contact)
	}

	// Parties, in the order they came.
	if len(st.Parties) != len(m.parties) {
		add("R-X6", "parties", "library %v, model %v", libPartyIDs(st), modelPartyIDs(m))
	}
	for i := 0; i < min(len(st.Parties), len(m.parties)); i++ {
		lp, mp := &st.Parties[i], m.parties[i]
		subj := "party " + string(mp.id)
		if lp.ID != mp.id {
			add("R-X6", "parties", "library %v, model %v", libPartyIDs(st), modelPartyIDs(m))
			break
		}
		if lp.Role != mp.role {
			add(roleRule(mp.role, lp.Role), subj, "role: library %s, model %s", lp.Role, mp.role)
		}
		if lp.Membership != mp.membership {
			add(membershipRule(mp.membership, lp.Membership), subj, "membership: library %s, model %s", lp.Membership, mp.membership)
		}
		if lp.TookPart != mp.tookPart {
			add("R-C8", subj, "took part: library %v, model %v", lp.TookPart, mp.tookPart)
		}
		if lp.Engaged != mp.engaged {
			add("R-H3", subj, "engaged with the contact: library %v, model %v", lp.Engaged, mp.engaged)
		}
		// Coaching means something only for a supervisor (R-X7).
		if lp.Supervises != mp.supervises || (mp.role == interaction.RoleSupervisor && lp.Coaching != mp.coaching) {
			add("R-X7", subj, "supervises: library %q (coaching %v), model %q (coaching %v)", lp.Supervises, lp.Coaching, mp.supervises, mp.coaching)
		}
	}

	// The transcript: nothing lost, nothing duplicated, every scope right.
	if len(st.Messages) != len(m.messages) {
		add("R-X6", "transcript", "library has %d messages, model %d", len(st.Messages), len(m.messages))
	}
	for i := 0; i < min(len(st.Messages), len(m.messages)); i++ {
		lm, mm := &st.Messages[i], &m.messages[i]
		subj := fmt.Sprintf("message %d", i+1)
		if lm.Seq != uint32(i+1) {
			add("R-X6", subj, "numbered %d", lm.Seq)
		}
		if lm.Author != mm.author || lm.Kind != mm.kind || (mm.kind == interaction.KindText && lm.Text != mm.text) {
			add("R-X6", subj, "library %s %s %q, model %s %s %q", lm.Author, lm.Kind, lm.Text, mm.author, mm.kind, mm.text)
		}
		if lm.Scope != mm.scope {
			rule := "R-X5"
			if mm.scope.Kind == interaction.ScopeLeg || lm.Scope.Kind == interaction.ScopeLeg {
				rule = "R-C5"
			}
			add(rule, subj, "scope: library %s, model %s", scopeString(lm.Scope), scopeString(mm.scope))
		}
	}

	// Consultations and requests.
	if len(st.Legs) != len(m.legs) {
		add("R-C1", "legs", "library has %d, model %d", len(st.Legs), len(m.legs))
	}
	for i := 0; i < min(len(st.Legs), len(m.legs)); i++ {
		ll, ml := &st.Legs[i], m.legs[i]
		subj := "leg " + string(ml.id)
		if ll.ID != ml.id || ll.Owner != ml.owner || ll.Agent != ml.agent || ll.Target != ml.target || ll.Medium != ml.medium {
			add("R-C2", subj, "library %s %s→%s %s %s, model %s %s→%s %s %s",
				ll.ID, ll.Owner, ll.Agent, ll.Target, ll.Medium, ml.id, ml.owner, ml.agent, ml.target, ml.medium)
		}
		if ll.State != ml.state {
			add(legRule(ml.state, ll.State), subj, "state: library %s, model %s", ll.State, ml.state)
		}
	}
	if len(st.Requests) != len(m.requests) {
		add("R-F1", "requests", "library has %d, model %d", len(st.Requests), len(m.requests))
	}
	for i := 0; i < min(len(st.Requests), len(m.requests)); i++ {
		lr, mr := &st.Requests[i], m.requests[i]
		subj := "request " + string(mr.id)
		if lr.ID != mr.id || lr.Kind != mr.kind || lr.From != mr.from || lr.Agent != mr.agent || lr.Target != mr.target || lr.Via != mr.via {
			add("R-X4", subj, "library %s %s %s→%s via %q, model %s %s %s→%s via %q",
				lr.ID, lr.Kind, lr.From, lr.Agent, lr.Via, mr.id, mr.kind, mr.from, mr.agent, mr.via)
		}
		if lr.State != mr.state {
			add(requestRule(mr.state, lr.State), subj, "state: library %s, model %s", lr.State, mr.state)
		}
	}

	// Every party's view, and a stranger's.
	for _, p := range m.parties {
		out = append(out, compareView(m, p, st, view)...)
	}
	if m.party(Stranger) == nil {
		if _, err := view(st, Stranger); !errors.Is(err, interaction.ErrNotPermitted) {
			add("R-X6", "view of "+string(Stranger), "a non-participant reads the interaction (err %v)", err)
		}
	}
	return out
}

func compareView(m *Model, p *mParty, st *interaction.State, view ViewFunc) []Difference {
	var out []Difference
	subj := "view of " + string(p.id)
	add := func(rule, format string, args ...any) {
		out = append(out, Difference{Rule: rule, Subject: subj, Detail: fmt.Sprintf(format, args...)})
	}
	v, err := view(st, p.id)
	if err != nil {
		add("R-X6", "refused: %v", err)
		return out
	}
	if v.Viewer != p.id || v.Role != p.role || v.Membership != p.membership || v.Status != m.status {
		add("R-X6", "header: library %s %s %s %s, model %s %s %s %s", v.Viewer, v.Role, v.Membership, v.Status, p.id, p.role, p.membership, m.status)
	}
	// Messages: exactly the ones the model lets p read, in order.
	want := map[uint32]bool{}
	for i := range m.messages {
		if m.canRead(p, i) {
			want[uint32(i+1)] = true
		}
	}
	got := map[uint32]bool{}
	var last uint32
	for _, msg := range v.Messages {
		if got[msg.Seq] || msg.Seq <= last {
			add("R-X6", "message %d shown twice or out of order", msg.Seq)
		}
		got[msg.Seq], last = true, msg.Seq
		if !want[msg.Seq] {
			sc, author := msg.Scope, msg.Author
			if i := int(msg.Seq) - 1; i >= 0 && i < len(m.messages) {
				sc, author = m.messages[i].scope, m.messages[i].author
			}
			add(leakRule(p, sc), "sees message %d (%s, by %s) that it may not", msg.Seq, scopeString(sc), author)
			continue
		}
		if i := int(msg.Seq) - 1; i < len(m.messages) {
			mm := m.messages[i]
			if msg.Author != mm.author || (mm.kind == interaction.KindText && msg.Text != mm.text) {
				add("R-X6", "message %d reads %s %q, model %s %q", msg.Seq, msg.Author, msg.Text, mm.author, mm.text)
			}
		}
	}
	for i := range m.messages {
		if seq := uint32(i + 1); want[seq] && !got[seq] {
			rule := missRule(m, p, m.messages[i].scope)
			if !m.canReadOwn(p, i) {
				rule = "R-X7" // it reads it through the agent it supervises
			}
			add(rule, "misses message %d (%s, by %s)", seq, scopeString(m.messages[i].scope), m.messages[i].author)
		}
	}
	// Parties it sees.
	var wantParties, gotParties []string
	for _, q := range m.parties {
		if m.partyVisible(p, q) {
			wantParties = append(wantParties, fmt.Sprintf("%s %s %s", q.id, q.role, q.membership))
		}
	}
	for _, q := range v.Parties {
		gotParties = append(gotParties, fmt.Sprintf("%s %s %s", q.ID, q.Role, q.Membership))
	}
	if !slices.Equal(wantParties, gotParties) {
		rule := "R-X6"
		if p.role != interaction.RoleContact {
			rule = "R-X3"
		}
		if supervisorShown(st, m, v) {
			rule = "R-X7" // a supervisor seen by whom it may not be, or the other way round
		}
		add(rule, "parties: library %v, model %v", gotParties, wantParties)
	}
	// Its consultations (R-C3: the accepted leg is a chat linked to the
	// interaction), and a supervisor's agent's (R-X7).
	var wantLegs, gotLegs []string
	for j, l := range m.legs {
		if l.owner == p.id || l.agent == p.id || m.legInSight(p, j) {
			wantLegs = append(wantLegs, string(l.id)+" "+l.state)
		}
	}
	for _, l := range v.Legs {
		gotLegs = append(gotLegs, string(l.ID)+" "+l.State)
	}
	if !slices.Equal(wantLegs, gotLegs) {
		rule := "R-X3"
		if p.supervises != "" {
			rule = "R-X7"
		}
		add(rule, "legs: library %v, model %v", gotLegs, wantLegs)
	}
	return out
}

// supervisorShown reports whether a party that is a supervisor, in the
// library or the model, is in one view's parties and not the other's.
func supervisorShown(st *interaction.State, m *Model, v interaction.View) bool {
	got := map[interaction.PartyID]bool{}
	for _, q := range v.Parties {
		got[q.ID] = true
	}
	viewer := m.party(v.Viewer)
	for _, q := range m.parties {
		lq := st.Party(q.id)
		isSup := q.role == interaction.RoleSupervisor || (lq != nil && lq.Role == interaction.RoleSupervisor)
		if isSup && viewer != nil && got[q.id] != m.partyVisible(viewer, q) {
			return true
		}
	}
	return false
}

// canRead: may p read message i? By its own right (canReadOwn), or, for a
// supervisor, through the agent it supervises (R-X7): it reads what that
// agent reads, that agent's consultations and coaching included, while it
// is in the chat itself (once out it keeps what was said until it went);
// and once the agent is no longer engaged with the contact (it left, or
// was transferred away), only what the agent read until then. A supervisor
// that barged in keeps that sight, and one monitoring it sees through it
// in turn.
func (m *Model) canRead(p *mParty, i int) bool {
	if m.canReadOwn(p, i) {
		return true
	}
	for hops, q := len(m.parties), p; q.supervises != "" && hops > 0; hops-- {
		if !q.present() && i >= q.readUpTo {
			return false // the supervisor's own stay
		}
		w := m.party(q.supervises)
		if w == nil || (!w.engagedNow() && i >= w.engagedMsgs) {
			return false
		}
		if m.canReadOwn(w, i) {
			return true
		}
		q = w
	}
	return false
}

// legInSight: does supervisor p see leg j (the j-th) through the agent it
// supervises (R-X7)? The agent's legs, those of its time as an engaged
// agent once it is no longer one, and those started while the supervisor
// itself was in the chat.
func (m *Model) legInSight(p *mParty, j int) bool {
	l := m.legs[j]
	for hops, q := len(m.parties), p; q.supervises != "" && hops > 0; hops-- {
		if !q.present() && j >= q.readLegsUpTo {
			return false
		}
		w := m.party(q.supervises)
		if w == nil || (!w.engagedNow() && j >= w.engagedLegs) {
			return false
		}
		if l.owner == w.id || l.agent == w.id {
			return true
		}
		q = w
	}
	return false
}

// canReadOwn: may p read message i by its own right? Shared scopes: every
// party that has joined reads the whole transcript (R-C6, R-F2), and keeps
// what was said until it went. A leg's messages: its two agents, forever
// (R-C5, R-X3). Coaching: the coached agent and its coach (R-X7).
func (m *Model) canReadOwn(p *mParty, i int) bool {
	msg := m.messages[i]
	shared := p.tookPart && (p.present() || i < p.readUpTo)
	switch msg.scope.Kind {
	case interaction.ScopeEveryone:
		return shared
	case interaction.ScopeAgents:
		return shared && p.role != interaction.RoleContact
	case interaction.ScopeLeg:
		if l := m.leg(msg.scope.Leg); l != nil {
			return p.id == l.owner || p.id == l.agent
		}
		if r := m.request(msg.scope.Leg); r != nil {
			return p.id == r.from || p.id == r.agent
		}
		return false
	case interaction.ScopeParty:
		return p.id == msg.scope.Party
	case interaction.ScopeCoach:
		return p.id == msg.scope.Party || p.id == msg.author
	}
	return false
}

// partyVisible: a party sees itself; everyone sees the contact and the
// engaged agents once they took part; a consultation target is seen only
// by the agents of its legs, never by the contact; a supervisor (that has
// not barged in) only by the agent it coaches, never by the contact
// (R-X7). A supervisor also sees whom the agent it supervises sees.
func (m *Model) partyVisible(viewer, q *mParty) bool {
	if m.partyVisibleTo(viewer, q) {
		return true
	}
	// Only while it is in the chat: out, it is shown nobody new.
	for hops, p := len(m.parties), viewer; p.supervises != "" && p.present() && hops > 0; hops-- {
		w := m.party(p.supervises)
		if w == nil {
			return false
		}
		if m.partyVisibleTo(w, q) {
			return true
		}
		p = w
	}
	return false
}

func (m *Model) partyVisibleTo(viewer, q *mParty) bool {
	if q == viewer {
		return true
	}
	if q.role == interaction.RoleSupervisor {
		return q.coaching && q.supervises == viewer.id
	}
	if q.role == interaction.RoleContact || q.role.Engaged() {
		return q.tookPart
	}
	if viewer.role == interaction.RoleContact {
		return false
	}
	for _, l := range m.legs {
		if (l.owner == viewer.id && l.agent == q.id) || (l.agent == viewer.id && l.owner == q.id) {
			return true
		}
	}
	return false
}

func scopeString(sc interaction.Scope) string {
	switch sc.Kind {
	case interaction.ScopeLeg:
		return "leg " + string(sc.Leg)
	case interaction.ScopeParty:
		return "to " + string(sc.Party)
	case interaction.ScopeCoach:
		return "coach " + string(sc.Party)
	}
	return sc.Kind.String()
}

// leakRule names the rule broken when p sees a message in scope sc that it
// may not see.
func leakRule(p *mParty, sc interaction.Scope) string {
	switch {
	case sc.Kind == interaction.ScopeCoach:
		return "R-X7"
	case sc.Kind == interaction.ScopeLeg && p.role == interaction.RoleContact:
		return "R-C5"
	case p.supervises != "":
		return "R-X7" // more than its agent sees
	case sc.Kind == interaction.ScopeLeg:
		return "R-X3"
	case sc.Kind == interaction.ScopeParty:
		return "R-C3"
	case p.role == interaction.RoleContact:
		return "R-C5"
	}
	return "R-X6"
}

// missRule names the rule broken when p does not see a message it should.
func missRule(m *Model, p *mParty, sc interaction.Scope) string {
	switch {
	case sc.Kind == interaction.ScopeLeg:
		return "R-X3"
	case sc.Kind == interaction.ScopeParty:
		return "R-C3"
	case p.role == interaction.RoleConsultant:
		return "R-C6"
	case p.role == interaction.RoleMember:
		return "R-F2"
	}
	return "R-F3"
}

func statusRule(model, lib string) string {
	switch {
	case model == interaction.StatusClosed || lib == interaction.StatusClosed:
		return "R-C8"
	case model == interaction.StatusEnded:
		return "R-C7"
	case lib == interaction.StatusEnded:
		return "R-F6"
	}
	return "R-X1"
}

func roleRule(model, lib interaction.Role) string {
	switch {
	case model == interaction.RoleOwner || lib == interaction.RoleOwner:
		return "R-T2"
	case model == interaction.RoleMember || lib == interaction.RoleMember:
		return "R-F2"
	}
	return "R-H3"
}

func membershipRule(model, lib string) string {
	for _, s := range []string{model, lib} {
		switch s {
		case interaction.MemberDone:
			return "R-C8"
		case interaction.MemberRemoved:
			return "R-F5"
		case interaction.MemberDeclined:
			return "R-C3"
		case interaction.MemberWithdrawn:
			return "R-X2"
		}
	}
	return "R-T2"
}

func legRule(model, lib string) string {
	for _, s := range []string{model, lib} {
		switch s {
		case interaction.LegDeclined, interaction.LegActive:
			return "R-C3"
		case interaction.LegCancelled:
			return "R-X2"
		case interaction.LegTransferred:
			return "R-T1"
		case interaction.LegConferenced:
			return "R-F1"
		case interaction.LegTimedOut:
			return "R-X1"
		}
	}
	return "R-C4"
}

func requestRule(model, lib string) string {
	if model == interaction.RequestAccepted || lib == interaction.RequestAccepted {
		return "R-F2"
	}
	return "R-F4"
}

func libPartyIDs(st *interaction.State) string {
	var ids []string
	for _, p := range st.Parties {
		ids = append(ids, string(p.ID))
	}
	return strings.Join(ids, ",")
}

func modelPartyIDs(m *Model) string {
	var ids []string
	for _, p := range m.parties {
		ids = append(ids, string(p.id))
	}
	return strings.Join(ids, ",")
}

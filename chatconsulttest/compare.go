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
	return compare(m, st, view)
}

// compare is Compare; a nil view compares the state only.
func compare(m *Model, st *interaction.State, view ViewFunc) []Difference {
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
	if st.Version != m.Version() {
		add("R-X5", "stream", "library at version %d, model %d", st.Version, m.Version())
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
		if lp.WasEngaged != mp.engaged {
			add("R-H3", subj, "engaged with the contact: library %v, model %v", lp.WasEngaged, mp.engaged)
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
		if lm.Author != mm.author || lm.Kind != mm.kind || lm.Text != mm.text {
			add("R-X6", subj, "library %s %s %q, model %s %s %q", lm.Author, lm.Kind, lm.Text, mm.author, mm.kind, mm.text)
		}
		if lm.Version != uint64(mm.item.version) {
			add("R-X5", subj, "written at version %d, model %d", lm.Version, mm.item.version)
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
		if ll.ID != ml.id || ll.Owner != ml.owner || ll.Invitee != ml.agent || ll.Target != ml.target || ll.Medium != ml.medium {
			add("R-C2", subj, "library %s %s→%s %s %s, model %s %s→%s %s %s",
				ll.ID, ll.Owner, ll.Invitee, ll.Target, ll.Medium, ml.id, ml.owner, ml.agent, ml.target, ml.medium)
		}
		if ll.Route != ml.route {
			add("R-X1", subj, "offer of route %q in the library, %q in the model", ll.Route, ml.route)
		}
		if ll.State != ml.state {
			rule := legRule(ml.state, ll.State)
			if ml.route != "" {
				rule = "R-X1" // an offer of a routed invitation
			}
			add(rule, subj, "state: library %s, model %s", ll.State, ml.state)
		}
	}
	if len(st.Requests) != len(m.requests) {
		add("R-F1", "requests", "library has %d, model %d", len(st.Requests), len(m.requests))
	}
	for i := 0; i < min(len(st.Requests), len(m.requests)); i++ {
		lr, mr := &st.Requests[i], m.requests[i]
		subj := "request " + string(mr.id)
		if lr.ID != mr.id || lr.Kind != mr.kind || lr.Owner != mr.from || lr.Invitee != mr.agent || lr.Target != mr.target || lr.Via != mr.via {
			add("R-X4", subj, "library %s %s %s→%s via %q, model %s %s %s→%s via %q",
				lr.ID, lr.Kind, lr.Owner, lr.Invitee, lr.Via, mr.id, mr.kind, mr.from, mr.agent, mr.via)
		}
		if lr.Route != mr.route {
			add("R-X1", subj, "offer of route %q in the library, %q in the model", lr.Route, mr.route)
		}
		if lr.State != mr.state {
			rule := requestRule(mr.state, lr.State)
			if mr.route != "" {
				rule = "R-X1" // an offer of a routed invitation
			}
			add(rule, subj, "state: library %s, model %s", lr.State, mr.state)
		}
	}

	// Every party's view, and a stranger's.
	if view == nil {
		return out
	}
	for _, p := range m.parties {
		v, err := view(st, p.id)
		if err != nil {
			add("R-X6", "view of "+string(p.id), "refused: %v", err)
			continue
		}
		out = append(out, CompareView(m, v, "view of "+string(p.id))...)
	}
	if m.party(Stranger) == nil {
		if _, err := view(st, Stranger); !errors.Is(err, interaction.ErrNotPermitted) {
			add("R-X6", "view of "+string(Stranger), "a non-participant reads the interaction (err %v)", err)
		}
	}
	return out
}

// CompareView checks one view a party got (from a ViewFunc, Service.View,
// an export read back…) against what the model says it may know
// (model_view.go): the header (role, membership, status, and its
// Version: how many items it was shown), the parties it may know (the
// contact sees agents by their contact-facing IDs and names), the
// messages it may read (author as shown, text, its own numbering 1, 2, …,
// their attachments), the receipts it may see, its consultations and its
// requests; and that it carries no stream bookkeeping (a message's or
// leg's stream version). The clock fields are not compared. subject names
// the read path in the differences.
func CompareView(m *Model, got interaction.View, subject string) []Difference {
	var out []Difference
	add := func(rule, format string, args ...any) {
		out = append(out, Difference{Rule: rule, Subject: subject, Detail: fmt.Sprintf(format, args...)})
	}
	s, ok := m.sightOf(got.Viewer)
	if !ok {
		add("R-X6", "a non-participant %s is shown the interaction", got.Viewer)
		return out
	}
	if m.shows(&s, &got) {
		return nil
	}
	p := s.p
	rule := "R-X6"
	switch {
	case p.role == interaction.RoleSupervisor || p.supervises != "":
		rule = "R-X7"
	case p.role == interaction.RoleContact:
		rule = "R-C5" // what the contact may not learn is the consultations (and coaching)
	}
	if got.Interaction != m.ID || got.Viewer != p.id || got.Role != s.role || got.Membership != s.membership || got.Status != s.status {
		add("R-X6", "header: library %s %s %s %s, model %s %s %s %s", got.Viewer, got.Role, got.Membership, got.Status,
			p.id, s.role, s.membership, s.status)
	}
	if got.Version != uint64(s.shown) {
		add(rule, "version: library %d, model %d (the number of events it was shown)", got.Version, s.shown)
	}
	if got.Ended.IsZero() == s.endTold {
		add("R-X6", "end of the session: library %v, model told of it: %v", got.Ended, s.endTold)
	}

	// Parties it may know.
	gotParties, wantParties := partyLines(got.Parties), m.partyLinesOf(&s)
	if !slices.Equal(gotParties, wantParties) {
		r := "R-X3"
		switch {
		case supervisorInvolved(m, gotParties, wantParties):
			r = "R-X7" // a supervisor seen by whom it may not be, or the other way round
		case p.role == interaction.RoleContact:
			r = "R-C5"
		case !inChat(p):
			r = "R-X6" // a party out of the chat learns nothing new
		}
		add(r, "parties: library %v, model %v", gotParties, wantParties)
	}

	// Messages: exactly the ones the model lets it read, in order, numbered
	// 1, 2, … in its own count.
	gotMsgs, wantMsgs := messageLines(got.Messages), m.messageLinesOf(&s)
	if !slices.Equal(gotMsgs, wantMsgs) {
		leaked, missed := multisetDiff(stripSeq(gotMsgs), stripSeq(wantMsgs))
		for _, l := range leaked {
			add(leakRule(p, scopeOfLine(l)), "sees %s, which it may not", l)
		}
		for _, l := range missed {
			add(missRule(p, scopeOfLine(l)), "misses %s", l)
		}
		if len(leaked)+len(missed) == 0 {
			add(rule, "messages numbered or ordered wrongly: library %v, model %v", gotMsgs, wantMsgs)
		}
	}
	// Attachments (issue 17): exactly those of the messages it reads, on
	// those messages; and the receipts the model lets it see.
	if g, w := attachmentLines(got), m.attachmentLinesOf(&s); !slices.Equal(g, w) {
		add(rule, "attachments: library %v, model %v", g, w)
	}
	if g, w := receiptLines(got.Receipts), m.receiptLinesOf(&s); !slices.Equal(g, w) {
		add(rule, "read receipts: library %v, model %v", g, w)
	}
	for _, msg := range got.Messages {
		if msg.Version != 0 && !knownLeak(LeakMessageVersion) {
			add(rule, "message %d carries stream version %d: a party's numbers count only what it was shown", msg.Seq, msg.Version)
			break
		}
	}

	// Its consultations (R-C3: the accepted leg is a chat linked to the
	// interaction), a supervisor's agent's (R-X7), and its requests.
	gotLegs, wantLegs := legLines(got.Legs), legLinesOf(&s)
	if !slices.Equal(gotLegs, wantLegs) {
		r := "R-X3"
		if p.supervises != "" {
			r = "R-X7"
		}
		if p.role == interaction.RoleContact {
			r = "R-C5"
		}
		add(r, "legs: library %v, model %v", gotLegs, wantLegs)
	}
	for _, l := range got.Legs {
		if l.Since != 0 && !knownLeak(LeakLegSince) {
			add(rule, "leg %s carries stream version %d", l.ID, l.Since)
			break
		}
	}
	gotReqs, wantReqs := requestLines(got.Requests), requestLinesOf(&s)
	if !slices.Equal(gotReqs, wantReqs) {
		add("R-X4", "requests: library %v, model %v", gotReqs, wantReqs)
	}
	return out
}

// The model's facts as lines, for the differences; the library's view
// is written in the same lines below.

func (m *Model) partyLinesOf(s *sight) []string {
	var out []string
	for _, sp := range s.parties {
		out = append(out, partyLine(m.partyFacts(s, sp)))
	}
	return out
}

func (m *Model) messageLinesOf(s *sight) []string {
	var out []string
	for k, i := range s.messages {
		mm := &m.messages[i]
		l := messageLine(uint32(k+1), mm.kind, m.shownID(s.p, mm.author), mm.scope, m.shownText(s.p, i))
		if n := mm.notice; n != nil {
			l += fmt.Sprintf(" notice %s %v", n.code, m.shownIDs(s.p, n.parties))
		}
		out = append(out, l)
	}
	return out
}

func (m *Model) shownIDs(p *mParty, ids []interaction.PartyID) []interaction.PartyID {
	out := make([]interaction.PartyID, len(ids))
	for j, id := range ids {
		out[j] = m.shownID(p, id)
	}
	return out
}

func (m *Model) attachmentLinesOf(s *sight) []string {
	var out []string
	for k, i := range s.messages {
		if a := m.messages[i].atts; len(a) > 0 {
			out = append(out, fmt.Sprintf("#%d %v", k+1, a))
		}
	}
	return out
}

func (m *Model) receiptLinesOf(s *sight) []string {
	var out []string
	for _, r := range s.receipts {
		out = append(out, receiptLine(m.shownID(s.p, r.reader.id), r.upTo))
	}
	return out
}

func legLinesOf(s *sight) []string {
	var out []string
	for _, sl := range s.legs {
		l := sl.l
		out = append(out, legLine(l.id, l.owner, l.agent, l.target, l.medium, sl.state))
	}
	return out
}

func requestLinesOf(s *sight) []string {
	var out []string
	for _, r := range s.requests {
		out = append(out, requestLine(r.id, r.kind, r.from, r.agent, r.via, r.target, r.state))
	}
	return out
}

// shows reports whether the library's view v shows exactly what s says
// (the fast path of CompareView, which then says nothing): every fact
// CompareView compares, compared field by field.
func (m *Model) shows(s *sight, v *interaction.View) bool {
	p := s.p
	if v.Interaction != m.ID || v.Viewer != p.id || v.Role != s.role || v.Membership != s.membership || v.Status != s.status ||
		v.Version != uint64(s.shown) || v.Ended.IsZero() == s.endTold || len(v.Parties) != len(s.parties) ||
		len(v.Messages) != len(s.messages) || len(v.Legs) != len(s.legs) || len(v.Requests) != len(s.requests) ||
		len(v.Receipts) != len(s.receipts) {
		return false
	}
	for k, sp := range s.parties {
		id, name, role, ms := m.partyFacts(s, sp)
		if g := &v.Parties[k]; g.ID != id || g.Name != name || g.Role != role || g.Membership != ms {
			return false
		}
	}
	files := 0
	for k, i := range s.messages {
		g, mm := &v.Messages[k], &m.messages[i]
		if g.Seq != uint32(k+1) || g.Kind != mm.kind || g.Scope != mm.scope || g.Author != m.shownID(p, mm.author) ||
			(g.Version != 0 && !knownLeak(LeakMessageVersion)) || (g.Notice == nil) != (mm.notice == nil) {
			return false
		}
		if n := mm.notice; n != nil {
			if g.Notice.Code != n.code || len(g.Notice.Parties) != len(n.parties) {
				return false
			}
			for j, id := range n.parties {
				if g.Notice.Parties[j] != m.shownID(p, id) {
					return false
				}
			}
		}
		if g.Text != m.shownText(p, i) {
			return false
		}
		if len(mm.atts) > 0 {
			files++
			if !slices.Equal(v.Attachments[g.Seq], mm.atts) {
				return false
			}
		}
	}
	if len(v.Attachments) != files {
		return false
	}
	for k, sl := range s.legs {
		g, l := &v.Legs[k], sl.l
		if g.ID != l.id || g.Owner != l.owner || g.Invitee != l.agent || g.Target != l.target || g.Medium != l.medium || g.State != sl.state ||
			(g.Since != 0 && !knownLeak(LeakLegSince)) {
			return false
		}
	}
	for k, r := range s.requests {
		g := &v.Requests[k]
		if g.ID != r.id || g.Kind != r.kind || g.Owner != r.from || g.Invitee != r.agent || g.Target != r.target || g.Via != r.via || g.State != r.state {
			return false
		}
	}
	for k, r := range s.receipts {
		if g := &v.Receipts[k]; g.Party != m.shownID(p, r.reader.id) || g.Seq != r.upTo {
			return false
		}
	}
	return true
}

// sameLibraryView: two views the library gave are alike in everything
// CompareView compares (the clock fields aside), and neither carries a
// stream version.
func sameLibraryView(a, b *interaction.View) bool {
	if a.Interaction != b.Interaction || a.Viewer != b.Viewer || a.Role != b.Role || a.Membership != b.Membership ||
		a.Status != b.Status || a.Version != b.Version || a.Ended.IsZero() != b.Ended.IsZero() ||
		!slices.Equal(a.Parties, b.Parties) || !slices.Equal(a.Receipts, b.Receipts) || len(a.Messages) != len(b.Messages) ||
		len(a.Legs) != len(b.Legs) || !slices.Equal(a.Requests, b.Requests) || len(a.Attachments) != len(b.Attachments) ||
		versionShown(a) || versionShown(b) {
		return false
	}
	for i := range a.Messages {
		g, w := &a.Messages[i], &b.Messages[i]
		if g.Seq != w.Seq || g.Author != w.Author || g.Kind != w.Kind || g.Scope != w.Scope || g.Text != w.Text || (g.Notice == nil) != (w.Notice == nil) {
			return false
		}
		if g.Notice != nil && (g.Notice.Code != w.Notice.Code || !slices.Equal(g.Notice.Parties, w.Notice.Parties)) {
			return false
		}
	}
	for seq, files := range a.Attachments {
		if !slices.Equal(files, b.Attachments[seq]) {
			return false
		}
	}
	for i := range a.Legs {
		g, w := &a.Legs[i], &b.Legs[i]
		if g.ID != w.ID || g.Owner != w.Owner || g.Invitee != w.Invitee || g.Target != w.Target || g.Medium != w.Medium || g.State != w.State {
			return false
		}
	}
	return true
}

// versionShown: the view carries a stream version (a message's or a
// leg's), which CompareView reports.
func versionShown(v *interaction.View) bool {
	for i := range v.Messages {
		if v.Messages[i].Version != 0 && !knownLeak(LeakMessageVersion) {
			return true
		}
	}
	for i := range v.Legs {
		if v.Legs[i].Since != 0 && !knownLeak(LeakLegSince) {
			return true
		}
	}
	return false
}

func partyLines(ps []interaction.PartyView) []string {
	var out []string
	for _, q := range ps {
		out = append(out, partyLine(q.ID, q.Name, q.Role, q.Membership))
	}
	return out
}

func partyLine(id interaction.PartyID, name string, role interaction.Role, ms interaction.MemberState) string {
	shown := ""
	if name != string(id) {
		shown = " " + strconvQuote(name)
	}
	return fmt.Sprintf("%s%s %s %s", id, shown, role, ms)
}

func strconvQuote(s string) string { return fmt.Sprintf("%q", s) }

func messageLines(ms []interaction.Message) []string {
	var out []string
	for _, m := range ms {
		l := messageLine(m.Seq, m.Kind, m.Author, m.Scope, m.Text)
		if n := m.Notice; n != nil {
			l += fmt.Sprintf(" notice %s %v", n.Code, n.Parties)
		}
		out = append(out, l)
	}
	return out
}

func messageLine(seq uint32, kind interaction.MessageKind, author interaction.PartyID, sc interaction.Scope, text string) string {
	return fmt.Sprintf("#%d %s by %s [%s] %q", seq, kind, author, scopeString(sc), text)
}

func stripSeq(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		if j := strings.IndexByte(l, ' '); j >= 0 {
			out[i] = l[j+1:]
		}
	}
	return out
}

// scopeOfLine reads the scope back from a message line, for the rule.
func scopeOfLine(l string) interaction.Scope {
	i, j := strings.IndexByte(l, '['), strings.IndexByte(l, ']')
	if i < 0 || j < i {
		return interaction.Everyone
	}
	s := l[i+1 : j]
	switch {
	case strings.HasPrefix(s, "leg "):
		return interaction.LegScope(interaction.LegID(s[4:]))
	case strings.HasPrefix(s, "to "):
		return interaction.PartyScope(interaction.PartyID(s[3:]))
	case strings.HasPrefix(s, "coach "):
		return interaction.Scope{Kind: interaction.ScopeCoach, Party: interaction.PartyID(s[6:])}
	case s == "agents":
		return interaction.Scope{Kind: interaction.ScopeAgents}
	}
	return interaction.Everyone
}

// multisetDiff returns what is in a and not in b, and what is in b and
// not in a, counting repeats.
func multisetDiff(a, b []string) (onlyA, onlyB []string) {
	count := map[string]int{}
	for _, x := range b {
		count[x]++
	}
	for _, x := range a {
		if count[x] > 0 {
			count[x]--
			continue
		}
		onlyA = append(onlyA, x)
	}
	count = map[string]int{}
	for _, x := range a {
		count[x]++
	}
	for _, x := range b {
		if count[x] > 0 {
			count[x]--
			continue
		}
		onlyB = append(onlyB, x)
	}
	return onlyA, onlyB
}

func legLines(ls []interaction.Leg) []string {
	var out []string
	for _, l := range ls {
		out = append(out, legLine(l.ID, l.Owner, l.Invitee, l.Target, l.Medium, l.State))
	}
	return out
}

func legLine(id interaction.LegID, owner, agent interaction.PartyID, target interaction.Target, medium interaction.Medium, state interaction.LegState) string {
	return fmt.Sprintf("%s %s→%s %s %s %s", id, owner, agent, target, medium, state)
}

func requestLines(rs []interaction.Request) []string {
	var out []string
	for _, r := range rs {
		out = append(out, requestLine(r.ID, r.Kind, r.Owner, r.Invitee, r.Via, r.Target, r.State))
	}
	return out
}

func requestLine(id interaction.RequestID, kind interaction.RequestKind, owner, agent interaction.PartyID, via interaction.LegID, target interaction.Target, state interaction.RequestState) string {
	return fmt.Sprintf("%s %s %s→%s via %q %s %s", id, kind, owner, agent, via, target, state)
}

// supervisorInvolved reports whether the two party lists (partyLine)
// differ in a party that is a supervisor in the model (or was one).
func supervisorInvolved(m *Model, a, b []string) bool {
	in := func(lines []string, id interaction.PartyID) string {
		for _, l := range lines {
			if first, _, _ := strings.Cut(l, " "); first == string(id) {
				return l
			}
		}
		return ""
	}
	for _, q := range m.parties {
		if (q.role == interaction.RoleSupervisor || q.supervises != "") && in(a, q.id) != in(b, q.id) {
			return true
		}
	}
	return false
}

func scopeString(sc interaction.Scope) string {
	switch sc.Kind {
	case interaction.ScopeLeg:
		return "leg " + string(sc.Invitation)
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
func missRule(p *mParty, sc interaction.Scope) string {
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

func statusRule(model, lib interaction.Status) string {
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

func membershipRule(model, lib interaction.MemberState) string {
	for _, s := range []interaction.MemberState{model, lib} {
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

func legRule(model, lib interaction.LegState) string {
	for _, s := range []interaction.LegState{model, lib} {
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

func requestRule(model, lib interaction.RequestState) string {
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

// CompareEvents checks the events a party got on one read path (its
// subscription, what Do handed back) against what the model says it must
// be told (Model.Told, Model.Retold): the same events in order, each with
// the viewer's own Version and Seq, Position 0, the actor only when the
// viewer sees it, the cause only of its own commands, parties as it knows
// them (contact-facing IDs for the contact), the same text.
func CompareEvents(m *Model, viewer interaction.PartyID, got, want []interaction.Event, subject string) []Difference {
	var out []Difference
	add := func(rule, format string, args ...any) {
		out = append(out, Difference{Rule: rule, Subject: subject, Detail: fmt.Sprintf(format, args...)})
	}
	rule := "R-X6"
	if p := m.party(viewer); p != nil && p.role == interaction.RoleContact {
		rule = "R-C5"
	} else if p != nil && (p.role == interaction.RoleSupervisor || p.supervises != "") {
		rule = "R-X7"
	}
	line := func(ev interaction.Event) string {
		l := fmt.Sprintf("v%d %s", ev.Version, ev.Type)
		if ev.To != "" {
			l += " to " + ev.To
		}
		l += fmt.Sprintf(" actor=%q cause=%q party=%q scope=%s", ev.Actor, ev.Cause, ev.Party, scopeString(ev.Scope))
		switch ev.Type {
		case interaction.EventMessage:
			l += fmt.Sprintf(" #%d %s %q", ev.Seq, ev.Kind, ev.Text)
			if ev.Attachments.Len() > 0 {
				l += fmt.Sprintf(" files %v", ev.Attachments.List())
			}
		case interaction.EventRead:
			l += fmt.Sprintf(" read up to #%d", ev.Seq)
		}
		return l
	}
	for i := 0; i < max(len(got), len(want)); i++ {
		switch {
		case i >= len(got):
			add(rule, "is not told %s", line(want[i]))
			continue
		case i >= len(want):
			add(leakRuleForEvent(m, viewer, got[i], rule), "is told %s, which it may not be", line(got[i]))
			continue
		}
		g, w := got[i], want[i]
		if g.Position != 0 {
			add("R-X6", "is told store position %d (it counts every interaction's events)", g.Position)
		}
		if g.Interaction != w.Interaction || line(g) != line(w) {
			r := rule
			if g.Actor != w.Actor || g.Party != w.Party {
				r = leakRuleForEvent(m, viewer, g, rule)
			}
			if g.Cause != w.Cause {
				r = "R-X6"
			}
			add(r, "is told %s, model %s", line(g), line(w))
		}
	}
	return out
}

// leakRuleForEvent names the rule an event told to viewer breaks when it
// should not be told so: R-X7 for a supervisor's, R-C5 for a consultation
// told to the contact, else fallback.
func leakRuleForEvent(m *Model, viewer interaction.PartyID, ev interaction.Event, fallback string) string {
	for _, id := range []interaction.PartyID{ev.Actor, ev.Party} {
		if q := m.party(id); q != nil && q.role == interaction.RoleSupervisor {
			return "R-X7"
		}
	}
	if ev.Scope.Kind == interaction.ScopeCoach {
		return "R-X7"
	}
	if p := m.party(viewer); p != nil && p.role == interaction.RoleContact && ev.Scope.Kind == interaction.ScopeLeg {
		return "R-C5"
	}
	return fallback
}

func attachmentLines(v interaction.View) []string {
	var out []string
	for _, m := range v.Messages {
		if a := v.Attachments[m.Seq]; len(a) > 0 {
			out = append(out, fmt.Sprintf("#%d %v", m.Seq, a))
		}
	}
	if len(out) == 0 && len(v.Attachments) > 0 {
		out = append(out, fmt.Sprintf("attachments of no message shown: %v", v.Attachments))
	}
	return out
}

func receiptLines(rs []interaction.Receipt) []string {
	var out []string
	for _, r := range rs {
		out = append(out, receiptLine(r.Party, r.Seq))
	}
	return out
}

func receiptLine(reader interaction.PartyID, upTo uint32) string {
	return fmt.Sprintf("%s read up to #%d", reader, upTo)
}

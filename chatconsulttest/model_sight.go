package chatconsulttest

import (
	"slices"

	"github.com/chatconsult/chatconsult/interaction"
)

// Who sees what, in the model's own terms (docs/visibility.md).
//
// Everything that happens is an item: the interaction opening, a change
// of its status, of a party's membership or role, a message, a change of
// a leg or a request. Each item keeps two sets of parties:
//
//   - shown: who was told of it when it happened. A party's View.Version
//     is how many items it was shown; the events delivered to it are the
//     items it was shown, numbered so.
//   - seen: who may see it now. The set is decided when the item happens
//     and only ever grows: when a party joins, it may read the shared
//     items from before it came (R-C6, R-F2); when a supervision window
//     opens, the supervisor may read the private items its agent saw
//     since the agent's engaged stay began (R-X7). A party's messages are
//     the messages it may see, numbered 1, 2, …; another party is in its
//     party list as the latest of that party's changes it may see.
//
// When an item happens, it is for:
//
//   - shared items (the chat, scope everyone): every party in the chat;
//     agents' notes the same but the contact;
//   - a leg's items: its two agents, forever; a request's items: the
//     owner who asked and the agent asked (R-C5, R-X3); but a party out
//     of the chat is told no other party's change (below);
//   - an item for one party (an offer, a notice): that party;
//   - coaching: the coach and the coached agent, never the contact (R-X7);
//   - a change of a party's membership or role: that party too, always;
//   - a change of the status: the parties that took part and are in the
//     chat, and the party whose command caused it (the session it ended,
//     the close its marking done caused); nothing through supervision;
//   - and, for every private item (leg, request, one party, coaching), a
//     supervisor whose window onto one of those parties is open: the
//     supervisor is in the chat, supervises that agent, and the agent is
//     engaged with the contact. A leg's items only when the leg began
//     within the window. Through a supervisor that barged in, on to the
//     one supervising it.
//
// A party out of the chat (not joined, not invited) is told no change of
// another party: it sees the others as they were when it left; and of the
// status only what its own command changed.

// mItem is one item (one event of the stream).
type mItem struct {
	version int
	typ     interaction.EventType
	actor   interaction.PartyID
	cause   string
	command int // the model's count of commands with items, when it happened
	party   *mParty
	scope   interaction.Scope
	leg     *mLeg // scope of a leg: the leg (windows open on its start)
	// After the item: the party's role and membership (membership and role
	// items), the status, the leg's or request's state.
	role       interaction.Role
	membership interaction.MemberState
	status     interaction.Status
	to         string
	// evParty is the Party the event carries (the subject of a membership
	// or role change, a leg's or request's agent on its first event, a
	// notice's first party, the contact on opening).
	evParty interaction.PartyID
	msg     int // index in Model.messages, or -1
	read    int // a read receipt: the index in Model.messages of the last message read
	right   uint64
	seen    uint64
	shown   uint64
}

// window is a stretch [from, until] of versions in which a supervisor reads
// through agent (an index in Model.parties): from is when the agent's
// engaged stay began, until when the window closed (openEnd while open).
type window struct {
	agent       int
	from, until int
}

const openEnd = int(^uint(0) >> 1)

func (w window) covers(it *mItem) bool {
	if it.version < w.from || it.version > w.until {
		return false
	}
	return it.leg == nil || (it.leg.since >= w.from && it.leg.since <= w.until)
}

// mNotice is a system notice: what it tells and about whom.
type mNotice struct {
	code    interaction.NoticeCode
	parties []interaction.PartyID
	what    interaction.RequestKind
	target  interaction.Target
}

// render writes the notice in English, naming each party with name.
func (n *mNotice) render(name func(interaction.PartyID) string) string {
	party := func(i int) string {
		if i < len(n.parties) {
			return name(n.parties[i])
		}
		return "someone"
	}
	what := "consultation"
	if n.what != interaction.RequestNoKind {
		what = n.what.String()
	}
	switch n.code {
	case interaction.NoticeDeclined:
		return party(0) + " declined the " + what
	case interaction.NoticeNoAnswer:
		return party(0) + " did not answer the " + what
	case interaction.NoticeUnavailable:
		return party(0) + " is no longer available for the " + what
	case interaction.NoticeNotPlaced:
		return "no other agent of " + n.target.String() + " is available: the " + what + " was not placed"
	case interaction.NoticeTransferred:
		return party(0) + " transferred the chat to " + party(1)
	case interaction.NoticeJoined:
		return party(0) + " joined the conference"
	case interaction.NoticeRemoved:
		return party(0) + " was removed from the conference"
	}
	return ""
}

func bit(i int) uint64 { return 1 << uint(i) }

// The emitters: each applies one change and records its item.

func (m *Model) opened(contact interaction.PartyID) {
	m.record(&mItem{typ: interaction.EventOpened, scope: interaction.Everyone, evParty: contact}, nil)
}

func (m *Model) statusTo(to interaction.Status) {
	m.status = to
	m.record(&mItem{typ: interaction.EventStatus, scope: interaction.Everyone, to: string(to)}, nil)
}

func (m *Model) startStay(p *mParty, v int) {
	if !p.inStay {
		p.engagedSince = v
		if p.firstEngaged == 0 {
			p.firstEngaged = v
		}
	}
	p.inStay, p.engaged, p.invitedSince = true, true, false
}

// member changes p's membership (and role), told in scope sc.
func (m *Model) member(p *mParty, to interaction.MemberState, role interaction.Role, sc interaction.Scope) {
	from := p.membership
	v := len(m.items) + 1
	p.membership, p.role = to, role
	if to == interaction.MemberInvited {
		// Invited in another role, a former supervisor no longer reads
		// through the agent it supervised (R-C5, R-X3).
		p.supervises, p.coaching = "", false
		p.invitedSince = true
	}
	var joined *mParty
	switch {
	case to == interaction.MemberJoined:
		if !p.tookPart {
			m.joins++
			p.order = m.joins
		}
		p.tookPart = true
		if role.Engaged() {
			m.startStay(p, v)
		}
		joined = p
	case from == interaction.MemberJoined:
		p.inStay = false
	}
	m.record(&mItem{typ: interaction.EventMembership, party: p, scope: sc, to: string(to), evParty: p.id}, joined)
}

// roleTo gives p a new role, told in scope sc; for a supervisor, agent and
// coach say whom it supervises and how.
func (m *Model) roleTo(p *mParty, role interaction.Role, sc interaction.Scope, agent interaction.PartyID, coach bool) {
	p.role = role
	if p.present() && role.Engaged() {
		m.startStay(p, len(m.items)+1)
	}
	p.coaching = false
	if role == interaction.RoleSupervisor {
		p.supervises, p.coaching = agent, coach
	}
	m.record(&mItem{typ: interaction.EventRole, party: p, scope: sc, evParty: p.id}, nil)
}

func (m *Model) say(author interaction.PartyID, text string, sc interaction.Scope) {
	m.sayWith(author, text, sc, nil)
}

func (m *Model) sayWith(author interaction.PartyID, text string, sc interaction.Scope, atts []interaction.Attachment) {
	m.messages = append(m.messages, mMessage{author: author, text: text, kind: interaction.KindText, scope: sc, atts: slices.Clone(atts)})
	it := &mItem{typ: interaction.EventMessage, scope: sc, actor: author, msg: len(m.messages) - 1}
	if sc.Kind == interaction.ScopeLeg {
		it.leg = m.leg(interaction.LegID(sc.Invitation))
	}
	m.messages[len(m.messages)-1].item = it
	m.record(it, nil)
}

func (m *Model) notice(n mNotice, sc interaction.Scope) {
	text := n.render(func(p interaction.PartyID) string { return string(p) })
	m.messages = append(m.messages, mMessage{author: interaction.System, text: text, kind: interaction.KindNotice, scope: sc, notice: &n})
	it := &mItem{typ: interaction.EventMessage, scope: sc, actor: interaction.System, msg: len(m.messages) - 1}
	if len(n.parties) > 0 {
		it.evParty = n.parties[0]
	}
	m.messages[len(m.messages)-1].item = it
	m.record(it, nil)
}

func (m *Model) legTo(l *mLeg, to interaction.LegState) {
	it := &mItem{typ: interaction.EventLeg, scope: interaction.LegScope(l.id), leg: l, to: string(to)}
	if l.state == interaction.LegNone {
		l.since = len(m.items) + 1
		it.evParty = l.agent
	}
	l.state = to
	m.record(it, nil)
}

func (m *Model) requestTo(r *mRequest, to interaction.RequestState) {
	sc := requestScope(r)
	it := &mItem{typ: interaction.EventRequest, scope: sc, leg: m.leg(interaction.LegID(sc.Invitation)), to: string(to)}
	if r.state == interaction.RequestNone {
		it.evParty = r.agent
	}
	r.state = to
	m.record(it, nil)
}

// record files the item and decides who is shown it and who may see it.
// joined is the party that joined with it, if any.
func (m *Model) record(it *mItem, joined *mParty) {
	it.version = len(m.items) + 1
	if it.actor == "" {
		it.actor = m.actor
	}
	if it.typ != interaction.EventMessage {
		it.msg = -1
	}
	if it.scope.Kind == interaction.ScopeLeg && it.leg == nil {
		it.leg = m.leg(interaction.LegID(it.scope.Invitation)) // nil for a request's own scope
	}
	it.cause, it.command, it.status = m.cause, m.commands+1, m.status
	if it.party != nil {
		it.role, it.membership = it.party.role, it.party.membership
	}
	m.items = append(m.items, it)
	if it.typ == interaction.EventMembership || it.typ == interaction.EventRole {
		m.updateWindows(it.version)
	}
	if joined != nil {
		// It reads the chat from its beginning (R-C6, R-F2).
		for _, old := range m.items[:len(m.items)-1] {
			if old.typ == interaction.EventStatus {
				continue
			}
			if old.scope.Kind == interaction.ScopeEveryone || (old.scope.Kind == interaction.ScopeAgents && joined.role != interaction.RoleContact) {
				m.grant(old, joined.idx)
			}
		}
	}
	switch it.typ {
	case interaction.EventStatus:
		for _, p := range m.parties {
			if p.tookPart && (p.present() || it.actor == p.id) {
				it.seen |= bit(p.idx)
			}
		}
	default:
		for _, p := range m.parties {
			if m.scopeRight(it, p) {
				m.grant(it, p.idx)
			}
		}
		if it.party != nil {
			it.seen |= bit(it.party.idx)
		}
	}
	it.shown = it.seen
	for _, p := range m.parties {
		if it.shown&bit(p.idx) != 0 {
			p.shown++
			p.lastStatus = m.status
		}
	}
}

// scopeRight: may p see the item, when it happens, by its own right?
func (m *Model) scopeRight(it *mItem, p *mParty) bool {
	sc := it.scope
	switch sc.Kind {
	case interaction.ScopeEveryone:
		return p.present()
	case interaction.ScopeAgents:
		return p.present() && p.role != interaction.RoleContact
	case interaction.ScopeLeg:
		// Forever, but a party out of the chat sees the others as they
		// were when it left.
		if l := m.leg(interaction.LegID(sc.Invitation)); l != nil {
			return (p.id == l.owner || p.id == l.agent) && (inChat(p) || it.party == nil)
		}
		if r := m.request(interaction.RequestID(sc.Invitation)); r != nil {
			return (p.id == r.from || p.id == r.agent) && (inChat(p) || it.party == nil)
		}
	case interaction.ScopeParty:
		return p.id == sc.Party
	case interaction.ScopeCoach:
		return p.id == sc.Party || p.id == it.actor
	}
	return false
}

func private(sc interaction.Scope) bool {
	return sc.Kind == interaction.ScopeLeg || sc.Kind == interaction.ScopeParty || sc.Kind == interaction.ScopeCoach
}

// grant lets party i see the item, and so every supervisor whose window
// onto i covers it (R-X7).
func (m *Model) grant(it *mItem, i int) {
	if it.right&bit(i) != 0 {
		return
	}
	it.right |= bit(i)
	it.seen |= bit(i)
	if !private(it.scope) {
		return
	}
	for _, s := range m.parties {
		for _, w := range s.windows {
			if w.agent == i && w.covers(it) {
				m.grant(it, s.idx)
			}
		}
	}
}

// updateWindows opens and closes the supervisors' windows after a change
// of membership or role at version v: open while the supervisor is in
// the chat, supervises the agent, and the agent is engaged with the
// contact. A window that opens shows the agent's private items from the
// start of the agent's engaged stay.
func (m *Model) updateWindows(v int) {
	for _, p := range m.parties {
		if p.supervises == "" && len(p.windows) == 0 {
			continue
		}
		var a *mParty
		if p.present() && p.supervises != "" {
			if a = m.party(p.supervises); a != nil && !a.engagedNow() {
				a = nil
			}
		}
		n := len(p.windows)
		open := n > 0 && p.windows[n-1].until == openEnd
		if open && (a == nil || p.windows[n-1].agent != a.idx) {
			p.windows[n-1].until = v
			open = false
		}
		if a == nil || open {
			continue
		}
		w := window{agent: a.idx, from: a.engagedSince, until: openEnd}
		p.windows = append(p.windows, w)
		for _, old := range m.items[:len(m.items)-1] {
			if old.right&bit(a.idx) != 0 && private(old.scope) && w.covers(old) {
				m.grant(old, p.idx)
			}
		}
	}
}

// Naming, in the model's terms (who may see which item is above; what a
// party may know of the whole interaction is model_view.go).

func (m *Model) sees(p *mParty, it *mItem) bool { return it.seen&bit(p.idx) != 0 }

// rank is the contact-facing number of agent q: 1 + the agents engaged
// with the contact before it; 0 if it never was.
func (m *Model) rank(q *mParty) int {
	if q.firstEngaged == 0 {
		return 0
	}
	n := 1
	for _, o := range m.parties {
		if o.firstEngaged != 0 && o.firstEngaged < q.firstEngaged {
			n++
		}
	}
	return n
}

// shownID is how viewer is shown party id: as itself to internal
// viewers; to the contact, agents by their contact-facing ID, and one it
// was never engaged with not at all.
func (m *Model) shownID(viewer *mParty, id interaction.PartyID) interaction.PartyID {
	if viewer.role != interaction.RoleContact || id == viewer.id || id == interaction.System || id == "" {
		return id
	}
	q := m.party(id)
	if q == nil || q.role == interaction.RoleContact {
		return id
	}
	if n := m.rank(q); n > 0 {
		return interaction.ContactAgentID(n)
	}
	return ""
}

// shownName is the display name of party id for viewer: the contact
// names agents by DefaultContactName.
func (m *Model) shownName(viewer *mParty, id interaction.PartyID) string {
	if viewer.role != interaction.RoleContact || id == viewer.id || id == interaction.System {
		return string(id)
	}
	q := m.party(id)
	if q == nil {
		return "someone"
	}
	if n := m.rank(q); n > 0 {
		return interaction.DefaultContactName(n)
	}
	return "someone"
}

// latestChange is the latest change of q that viewer may see, or nil.
func (m *Model) latestChange(viewer, q *mParty) *mItem {
	for i := len(m.items) - 1; i >= 0; i-- {
		it := m.items[i]
		if it.party == q && m.sees(viewer, it) {
			return it
		}
	}
	return nil
}

// knows: viewer may see party id (it is in its party list), is it, or id
// is the system.
func (m *Model) knows(viewer *mParty, id interaction.PartyID) bool {
	if id == viewer.id || id == interaction.System {
		return true
	}
	q := m.party(id)
	return q != nil && m.latestChange(viewer, q) != nil
}

// messageNumber is viewer's own number of message i (its Seq), 0 if it may
// not read it.
func (m *Model) messageNumber(viewer *mParty, i int) uint32 {
	var n uint32
	for j := 0; j <= i; j++ {
		if m.sees(viewer, m.messages[j].item) {
			n++
		}
	}
	if !m.sees(viewer, m.messages[i].item) {
		return 0
	}
	return n
}

// Told returns the events of the last accepted step as viewer must be told
// them (by its subscription, and by Do when it acted): the items it was
// shown when they happened, numbered by its own count (Version) and its
// own message numbers (Seq), with Position 0, the actor only when the
// viewer may see that party, and the cause only on its own commands. Only
// the fields the rules speak of are set: Interaction, Version, Type,
// Actor, Cause, Party, Text, Kind, Seq, To, Scope (its Party as shown).
func (m *Model) Told(viewer interaction.PartyID) []interaction.Event {
	p := m.party(viewer)
	if p == nil {
		return nil
	}
	var out []interaction.Event
	for _, it := range m.items[m.batch:] {
		if it.shown&bit(p.idx) != 0 {
			out = append(out, m.tell(p, it))
		}
	}
	n := uint64(p.shown) - uint64(len(out))
	for i := range out {
		out[i].Version = n + uint64(i) + 1
	}
	return out
}

// tell is item it as viewer is told it, without its Version.
func (m *Model) tell(p *mParty, it *mItem) interaction.Event {
	ev := interaction.Event{Interaction: m.ID, Type: it.typ, To: it.to, Scope: it.scope}
	if m.knows(p, it.actor) {
		ev.Actor = m.shownID(p, it.actor)
	}
	if it.actor == p.id {
		ev.Cause = it.cause
	}
	ev.Party = it.evParty
	if p.role == interaction.RoleContact {
		ev.Party = m.shownID(p, it.evParty)
		if ev.Scope.Party != "" {
			ev.Scope.Party = m.shownID(p, ev.Scope.Party)
		}
	}
	if it.msg >= 0 {
		mm := &m.messages[it.msg]
		ev.Text, ev.Kind, ev.Seq = m.shownText(p, it.msg), mm.kind, m.messageNumber(p, it.msg)
		ev.Attachments = interaction.NewFiles(mm.atts)
		if mm.notice != nil && len(mm.notice.parties) > 0 {
			ev.Party = m.shownID(p, mm.notice.parties[0])
		}
	}
	if it.typ == interaction.EventMembership {
		ev.To = string(it.membership)
	}
	if it.typ == interaction.EventRead {
		ev.Seq = m.seenUpTo(p, it.read)
	}
	return ev
}

// Retold returns what a retry of the command with ID cause, by the party
// that gave it (same actor, same command), must hand back to it
// (docs/visibility.md, "Actors, causes, command IDs"): the events of the
// latest command as they were told; those of an earlier one as the party
// may see them now, with Version and Seq 0 (its numbers of that time are
// not kept). An earlier command's status changes were its own doing: it
// sees them if it took part.
func (m *Model) Retold(actor interaction.PartyID, cause string) []interaction.Event {
	p := m.party(actor)
	if p == nil || cause == "" || len(m.items) == 0 {
		return nil
	}
	if m.items[len(m.items)-1].cause == cause {
		first := len(m.items)
		for first > 0 && m.items[first-1].cause == cause {
			first--
		}
		var out []interaction.Event
		for _, it := range m.items[first:] {
			if it.shown&bit(p.idx) != 0 {
				out = append(out, m.tell(p, it))
			}
		}
		n := uint64(p.shown) - uint64(len(out))
		for i := range out {
			out[i].Version = n + uint64(i) + 1
		}
		return out
	}
	var out []interaction.Event
	for _, it := range m.items {
		if it.cause != cause {
			continue
		}
		if it.typ == interaction.EventStatus && !p.tookPart || it.typ != interaction.EventStatus && !m.sees(p, it) {
			continue
		}
		ev := m.tell(p, it)
		ev.Seq = 0
		out = append(out, ev)
	}
	return out
}

// endedKnown: viewer was told that the session ended (its View.Ended is
// set).
func (m *Model) endedKnown(viewer *mParty) bool {
	return viewer.lastStatus == interaction.StatusEnded || viewer.lastStatus == interaction.StatusClosed
}

// hiddenTexts are the texts of the messages viewer may not read.
func (m *Model) hiddenTexts(viewer *mParty) []string {
	var out []string
	for i := range m.messages {
		mm := &m.messages[i]
		if mm.kind == interaction.KindText && !m.sees(viewer, mm.item) {
			out = append(out, mm.text)
		}
	}
	return out
}

// readableTexts are the texts of the messages viewer may read, as it reads
// them.
func (m *Model) readableTexts(viewer *mParty) []string {
	var out []string
	for i := range m.messages {
		if m.sees(viewer, m.messages[i].item) {
			out = append(out, m.shownText(viewer, i))
		}
	}
	return out
}

// internalIDs are the IDs of the parties the contact must never be shown
// (every party but the contact).
func (m *Model) internalIDs() []interaction.PartyID {
	var out []interaction.PartyID
	for _, p := range m.parties {
		if p.role != interaction.RoleContact {
			out = append(out, p.id)
		}
	}
	return out
}

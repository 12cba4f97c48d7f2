package chatconsulttest

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/interaction"
)

// Model is the reference model of one interaction: the lifecycle and
// visibility rules of SPEC.md and docs/visibility.md, written a second
// time, as plainly as possible, without the library's State, Apply,
// CanSee, ViewFor, EventsFor or machines. It uses the library's
// vocabulary only (the names of states, roles and scopes, the command
// types it predicts, ContactAgentID and DefaultContactName).
//
// Do predicts whether a step is accepted and, if so, applies its effects,
// item by item: every event the library must record (a message, a change
// of a party's membership or role, a change of the interaction's status,
// a leg or request change) is an item, and the model decides, when the
// item happens, who is shown it, and who may see it (model_sight.go).
// Compare then checks the library's state and every party's view against
// the model, and Delivered what a party was told.
type Model struct {
	ID     interaction.ID
	Limits interaction.Limits
	// Policy is who may supervise whom (R-X7), as the embedding service
	// says; nil: nobody may (the library without WithSupervision). A
	// Harness sets it to the policy its Service runs with.
	Policy interaction.SupervisionPolicy

	exists   bool
	status   interaction.Status
	contact  interaction.PartyID
	parties  []*mParty
	messages []mMessage
	legs     []*mLeg
	requests []*mRequest
	joins    int // how many parties have joined for the first time (Order)

	// What happened, item by item, with who saw what (model_sight.go).
	items []*mItem
	// The command being applied: its actor and its cause (the command ID
	// the harness gave it, "" when the library made one), and where its
	// items start.
	actor    interaction.PartyID
	cause    string
	commands int
	batch    int
}

type mParty struct {
	id         interaction.PartyID
	idx        int // index in Model.parties
	role       interaction.Role
	membership interaction.MemberState
	tookPart   bool // joined at least once (R-C8)
	engaged    bool // was owner or member while joined (R-H3)
	order      int  // when it first joined
	// supervises: the agent it monitors or coaches (R-X7), kept after it
	// barges in, dropped when it is invited in another role (a former
	// supervisor consulted). coaching: it coaches that agent.
	supervises interaction.PartyID
	coaching   bool

	// Sight (model_sight.go). shown counts the items it was shown when
	// they happened (its View.Version); lastStatus is the status it was
	// shown last. firstEngaged is the version at which it first became
	// engaged with the contact (the contact's names for agents follow it),
	// engagedSince the start of its current or last engaged stay, inStay
	// whether that stay goes on. windows are its supervision windows.
	shown        int
	lastStatus   interaction.Status
	firstEngaged int
	engagedSince int
	inStay       bool
	invitedSince bool // invited since its last engaged stay began (or never engaged)
	windows      []window
}

// engagedNow: an agent engaged with the contact and in the chat.
func (p *mParty) engagedNow() bool { return p.present() && p.role.Engaged() }

func (p *mParty) present() bool { return p.membership == interaction.MemberJoined }

type mMessage struct {
	author interaction.PartyID
	text   string
	kind   interaction.MessageKind
	scope  interaction.Scope
	notice *mNotice
	item   *mItem
}

type mLeg struct {
	id     interaction.LegID
	owner  interaction.PartyID
	agent  interaction.PartyID
	target interaction.Target
	medium interaction.Medium
	state  interaction.LegState
	since  int // version of its invitation
}

func (l *mLeg) live() bool {
	return l.state == interaction.LegInviting || l.state == interaction.LegActive
}

type mRequest struct {
	id     interaction.LegID
	kind   interaction.RequestKind
	from   interaction.PartyID
	agent  interaction.PartyID
	target interaction.Target
	via    interaction.LegID
	state  interaction.RequestState
}

// NewModel returns the model of interaction id, not opened yet, with the
// library's default limits and no supervision policy.
func NewModel(id interaction.ID) *Model {
	return &Model{ID: id, Limits: interaction.DefaultLimits}
}

// Clone returns an independent copy.
func (m *Model) Clone() *Model {
	c := *m
	c.parties = make([]*mParty, len(m.parties))
	for i, p := range m.parties {
		cp := *p
		cp.windows = append([]window(nil), p.windows...)
		c.parties[i] = &cp
	}
	c.legs = make([]*mLeg, len(m.legs))
	legs := map[*mLeg]*mLeg{}
	for i, l := range m.legs {
		cp := *l
		c.legs[i] = &cp
		legs[l] = &cp
	}
	c.requests = make([]*mRequest, len(m.requests))
	for i, r := range m.requests {
		cp := *r
		c.requests[i] = &cp
	}
	c.items = make([]*mItem, len(m.items))
	items := map[*mItem]*mItem{}
	for i, it := range m.items {
		cp := *it
		if it.leg != nil {
			cp.leg = legs[it.leg]
		}
		c.items[i] = &cp
		items[it] = &cp
	}
	c.messages = append([]mMessage(nil), m.messages...)
	for i := range c.messages {
		c.messages[i].item = items[m.messages[i].item]
	}
	return &c
}

// Exists reports whether the interaction has been opened.
func (m *Model) Exists() bool { return m.exists }

// Status is the interaction's status in the model.
func (m *Model) Status() interaction.Status { return m.status }

// Version is the number of events the interaction's stream holds, as the
// model has it.
func (m *Model) Version() uint64 { return uint64(len(m.items)) }

// Outcome is the model's prediction for one step.
type Outcome struct {
	// Accepted: the library must accept the step.
	Accepted bool
	// Kinds: for a refused step, the error kinds the library may return
	// (every precondition the step breaks adds its kind; the library
	// reports one of them).
	Kinds []error
	// Rule names the SPEC rule behind the refusal or, for an accepted
	// step, the rule the command carries out.
	Rule string
	// KnownBug, when not empty, names a known core bug (see KnownBugs) that
	// this step runs into. The model does not predict such a step and
	// leaves its own state unchanged; a harness stops comparing there.
	KnownBug string
	// Unmodelled: the model does not know this command type.
	Unmodelled bool
}

// Allows reports whether err is what the outcome predicts.
func (o Outcome) Allows(err error) bool {
	if o.Accepted {
		return err == nil
	}
	for _, k := range o.Kinds {
		if errors.Is(err, k) {
			return true
		}
	}
	return false
}

// faults collects the preconditions a step breaks.
type faults struct {
	kinds []error
	rule  string
}

func (f *faults) add(kind error, rule string) {
	for _, k := range f.kinds {
		if k == kind {
			goto rule
		}
	}
	f.kinds = append(f.kinds, kind)
rule:
	if f.rule == "" {
		f.rule = rule
	}
}

func (f *faults) any() bool { return len(f.kinds) > 0 }

var (
	errBadInput   = interaction.ErrBadInput
	errNotPerm    = interaction.ErrNotPermitted
	errNotFound   = interaction.ErrNotFound
	errTransition = interaction.ErrInvalidTransition
	errConflict   = interaction.ErrConflict
)

// Predict returns the outcome of step without changing the model.
func (m *Model) Predict(step Step) Outcome {
	return m.Clone().Do(step)
}

// Do predicts the outcome of step and, when it is accepted, applies it.
func (m *Model) Do(step Step) Outcome { return m.DoCommand(step, "") }

// DoCommand is Do for a step the library runs with command ID cause
// (Service.DoCommand); "" for one the library names itself. The model
// keeps the cause on the items the step causes, to predict what each
// party is told of it (Delivered).
func (m *Model) DoCommand(step Step, cause string) Outcome {
	m.batch = len(m.items) // a refused step tells nobody anything
	if step.Interaction != "" && step.Interaction != m.ID {
		if _, ok := step.Command.(interaction.Open); ok {
			// Opens another interaction: nothing this model follows.
			return Outcome{Unmodelled: true}
		}
		return Outcome{Kinds: []error{errNotFound}, Rule: "R-X6"}
	}
	if _, ok := step.Command.(interaction.Open); !ok && !m.exists {
		return Outcome{Kinds: []error{errNotFound}, Rule: "R-X6"}
	}
	if bug := m.knownBug(step); bug != "" {
		return Outcome{KnownBug: bug}
	}
	if m.badInput(step.Actor, step.Command) {
		return Outcome{Kinds: []error{errBadInput}, Rule: "R-X6"}
	}
	var f faults
	effect, rule, known := m.decide(step.Actor, step.Command, &f)
	if !known {
		return Outcome{Unmodelled: true}
	}
	if f.any() {
		return Outcome{Kinds: f.kinds, Rule: f.rule}
	}
	m.actor, m.cause = step.Actor, cause
	if effect != nil {
		effect()
	}
	if len(m.items) > m.batch {
		m.commands++
	}
	return Outcome{Accepted: true, Rule: rule}
}

// validText is the documented input rule: at most the limit, valid
// UTF-8, and not blank: something in it is visible. Whitespace, control
// characters and invisible ones (see hidden) do not count; inside text
// with something visible they are kept (R-X6).
func (m *Model) validText(s string) bool {
	if len(s) > m.Limits.MaxMessageBytes || !utf8.ValidString(s) {
		return false
	}
	return strings.IndexFunc(s, func(r rune) bool { return !hidden(r) }) >= 0
}

// hidden: a character that shows nothing, written from the documented
// classes: whitespace, controls (Cc), format characters (Cf: zero-width
// space, joiners, BOM, bidi controls), the other default-ignorable code
// points, variation selectors, and the braille blank U+2800.
func hidden(r rune) bool {
	return unicode.In(r, unicode.White_Space, unicode.Cc, unicode.Cf,
		unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector) || r == 0x2800
}

func (m *Model) party(id interaction.PartyID) *mParty {
	for _, p := range m.parties {
		if p.id == id {
			return p
		}
	}
	return nil
}

func (m *Model) leg(id interaction.LegID) *mLeg {
	for _, l := range m.legs {
		if l.id == id {
			return l
		}
	}
	return nil
}

func (m *Model) request(id interaction.LegID) *mRequest {
	for _, r := range m.requests {
		if r.id == id {
			return r
		}
	}
	return nil
}

// ensure returns party id, adding it (not yet a member) when new. The
// library adds a party with its first membership change, so the effects
// call it right before that change.
func (m *Model) ensure(id interaction.PartyID) *mParty {
	if p := m.party(id); p != nil {
		return p
	}
	p := &mParty{id: id, idx: len(m.parties), membership: interaction.MemberNone}
	m.parties = append(m.parties, p)
	return p
}

func (m *Model) presentOwner() *mParty {
	for _, p := range m.parties {
		if p.role == interaction.RoleOwner && p.present() {
			return p
		}
	}
	return nil
}

func (m *Model) engagedPresent() int {
	n := 0
	for _, p := range m.parties {
		if p.role.Engaged() && p.present() {
			n++
		}
	}
	return n
}

// inChat: joined or invited, so it cannot be invited again.
func inChat(p *mParty) bool {
	return p != nil && (p.membership == interaction.MemberJoined || p.membership == interaction.MemberInvited)
}

// The effects, event by event, in the order the rules have them happen.
// Each emits its item (model_sight.go decides who sees it).

// membershipScope is who is told of a party's membership change: the
// contact sees the engaged agents (and itself) come and go; a
// consultation target is seen by the agents of its last leg; anyone else
// (an offered agent, a supervisor) by itself only.
//
// "Engaged" is the party's own story, not only its role: an agent invited
// as owner or member (a direct request) that never joined, or that was
// invited again after its engaged stay, is not shown to the contact by
// its role: the contact is never told of an invitation (docs/visibility.md).
func (m *Model) membershipScope(p *mParty) interaction.Scope {
	switch {
	case p.role == interaction.RoleContact || m.contactFacing(p):
		return interaction.Everyone
	case p.role == interaction.RoleConsultant:
		for i := len(m.legs) - 1; i >= 0; i-- {
			if m.legs[i].agent == p.id {
				return interaction.LegScope(m.legs[i].id)
			}
		}
	}
	return interaction.PartyScope(p.id)
}

// doneScope: an agent's wrap-up is told to everyone in the chat when it is
// contact-facing (engaged, or left from its engaged stay, invited to
// nothing since); to itself otherwise.
func (m *Model) doneScope(p *mParty) interaction.Scope {
	if m.contactFacing(p) {
		return interaction.Everyone
	}
	return interaction.PartyScope(p.id)
}

// contactFacing: p is an engaged agent, in its engaged stay or after it,
// with no invitation since.
func (m *Model) contactFacing(p *mParty) bool {
	return p.role.Engaged() && p.engaged && !p.invitedSince
}

// release takes a consultation target out once its leg is over: an
// invited one is withdrawn, a joined one leaves. A target that became an
// owner or member stays.
func (m *Model) release(l *mLeg) {
	p := m.party(l.agent)
	if p == nil || p.role != interaction.RoleConsultant {
		return
	}
	switch p.membership {
	case interaction.MemberInvited:
		m.member(p, interaction.MemberWithdrawn, p.role, interaction.LegScope(l.id))
	case interaction.MemberJoined:
		m.member(p, interaction.MemberLeft, p.role, interaction.LegScope(l.id))
	}
}

func (m *Model) finishLeg(l *mLeg) {
	if l.state == interaction.LegInviting {
		m.legTo(l, interaction.LegCancelled)
	} else {
		m.legTo(l, interaction.LegEnded)
	}
	m.release(l)
}

// requestScope: a request made from a consultation is told in that leg;
// a direct one in its own scope (the owner who asked and the agent asked).
func requestScope(r *mRequest) interaction.Scope {
	if r.via != "" {
		return interaction.LegScope(r.via)
	}
	return interaction.LegScope(r.id)
}

// cancelRequest drops a pending request; an agent it invited (a direct
// request) is withdrawn, told to itself.
func (m *Model) cancelRequest(r *mRequest) {
	m.requestTo(r, interaction.RequestCancelled)
	if p := m.party(r.agent); p != nil && p.membership == interaction.MemberInvited && p.role != interaction.RoleConsultant {
		m.member(p, interaction.MemberWithdrawn, p.role, interaction.LegScope(r.id))
	}
}

func (m *Model) cancelRequestsVia(l *mLeg) {
	for _, r := range m.requests {
		if r.via == l.id && r.state == interaction.RequestPending {
			m.cancelRequest(r)
		}
	}
}

// depart takes p out of the chat (to = left or removed): its legs and
// requests end; an owner hands the chat to the earliest present member
// (R-F6); with no engaged agent left the session ends (R-C7).
func (m *Model) depart(p *mParty, to interaction.MemberState) {
	for _, l := range m.legs {
		if (l.owner == p.id || l.agent == p.id) && l.live() {
			m.finishLeg(l)
		}
	}
	for _, r := range m.requests {
		if (r.from == p.id || r.agent == p.id) && r.state == interaction.RequestPending {
			m.cancelRequest(r)
		}
	}
	if !p.present() {
		return // a consultation target: ending its leg released it
	}
	role := p.role
	m.member(p, to, role, m.membershipScope(p))
	if !role.Engaged() || m.status != interaction.StatusActive {
		return
	}
	if role == interaction.RoleOwner && m.presentOwner() == nil {
		var next *mParty
		for _, q := range m.parties {
			if q.role == interaction.RoleMember && q.present() && (next == nil || q.order < next.order) {
				next = q
			}
		}
		if next != nil {
			m.roleTo(next, interaction.RoleOwner, interaction.Everyone, "", false)
			return
		}
	}
	if m.engagedPresent() == 0 {
		m.endSession()
	}
}

// endSession ends the session with the contact (R-C7): the status first,
// while everyone is still in (everyone in the chat is told the session
// ended), then every leg and request ends, invitations are withdrawn, the
// contact, the targets and the supervisors leave, and the interaction
// closes at once if nobody must mark done.
func (m *Model) endSession() {
	m.statusTo(interaction.StatusEnded)
	for _, l := range m.legs {
		if l.live() {
			m.finishLeg(l)
		}
	}
	for _, r := range m.requests {
		if r.state == interaction.RequestPending {
			m.cancelRequest(r)
		}
	}
	for _, p := range m.parties {
		switch {
		case p.membership == interaction.MemberInvited:
			m.member(p, interaction.MemberWithdrawn, p.role, interaction.PartyScope(p.id))
		case p.present() && (p.role == interaction.RoleContact || p.role == interaction.RoleConsultant || p.role == interaction.RoleSupervisor):
			m.member(p, interaction.MemberLeft, p.role, m.membershipScope(p))
		}
	}
	m.closeIfDone()
}

// closeIfDone closes an ended interaction once every agent who took part
// has marked it done (R-C8).
func (m *Model) closeIfDone() {
	if m.status != interaction.StatusEnded {
		return
	}
	for _, p := range m.parties {
		if p.role != interaction.RoleContact && p.role != interaction.RoleSupervisor && p.tookPart && p.membership != interaction.MemberDone {
			return
		}
	}
	m.statusTo(interaction.StatusClosed)
}

// handOver makes to the owner and takes from out (R-T2).
func (m *Model) handOver(from, to interaction.PartyID) {
	if p := m.party(to); p.role != interaction.RoleOwner {
		m.roleTo(p, interaction.RoleOwner, interaction.Everyone, "", false)
	}
	m.notice(mNotice{code: interaction.NoticeTransferred, parties: []interaction.PartyID{from, to}}, interaction.Everyone)
	m.depart(m.party(from), interaction.MemberLeft)
}

// actingParty checks that the actor is a party; a missing or unknown one
// is bad input (R-X6).
func (m *Model) actingParty(actor interaction.PartyID, f *faults) *mParty {
	p := m.party(actor)
	if actor == "" || p == nil {
		f.add(errBadInput, "R-X6")
		return nil
	}
	return p
}

// owner checks that the actor is the present owner of an active chat.
func (m *Model) owner(actor interaction.PartyID, rule string, f *faults) *mParty {
	p := m.actingParty(actor, f)
	if p == nil {
		return nil
	}
	if p.role != interaction.RoleOwner || !p.present() {
		f.add(errNotPerm, rule)
	}
	if m.status != interaction.StatusActive {
		f.add(errTransition, rule)
	}
	return p
}

func (m *Model) text(s string, f *faults) {
	if !m.validText(s) {
		f.add(errBadInput, "R-X6")
	}
}

func (m *Model) idInUse(id interaction.LegID) bool { return m.leg(id) != nil || m.request(id) != nil }

// decide checks the step's preconditions into f and returns its effect.
// known is false for a command type the model does not know.
func (m *Model) decide(actor interaction.PartyID, cmd interaction.Command, f *faults) (effect func(), rule string, known bool) {
	switch c := cmd.(type) {
	case interaction.Open:
		if badPartyID(c.Contact) {
			f.add(errBadInput, "R-X6")
		}
		if m.exists {
			f.add(errConflict, "R-X6")
		}
		if c.Text != "" {
			m.text(c.Text, f)
		}
		return func() {
			m.exists, m.status, m.contact = true, interaction.StatusWaiting, c.Contact
			m.opened(c.Contact)
			m.member(m.ensure(c.Contact), interaction.MemberJoined, interaction.RoleContact, interaction.Everyone)
			if c.Text != "" {
				m.say(actor, c.Text, interaction.Everyone)
			}
		}, "R-X5", true

	case interaction.Assign:
		if actor != interaction.System {
			f.add(errNotPerm, "R-X6")
		}
		if badPartyID(c.Agent) {
			f.add(errBadInput, "R-X6")
		}
		if m.status != interaction.StatusWaiting {
			f.add(errTransition, "R-X1")
		}
		if c.Agent == m.contact {
			f.add(errNotPerm, "R-X6")
		}
		if inChat(m.party(c.Agent)) {
			f.add(errTransition, "R-X1")
		}
		return func() {
			// The offer is told to the offered agent only.
			m.member(m.ensure(c.Agent), interaction.MemberInvited, interaction.RoleOwner, interaction.PartyScope(c.Agent))
		}, "R-X1", true

	case interaction.Join:
		p := m.actingParty(actor, f)
		if p != nil && (p.role != interaction.RoleOwner || p.membership != interaction.MemberInvited) {
			f.add(errNotPerm, "R-X6")
		}
		if m.status != interaction.StatusWaiting {
			f.add(errTransition, "R-X1")
		}
		return func() {
			m.member(p, interaction.MemberJoined, interaction.RoleOwner, interaction.Everyone)
			m.statusTo(interaction.StatusActive)
			// The first to join wins; the other offers are withdrawn (R-X1).
			for _, q := range m.parties {
				if q != p && q.role == interaction.RoleOwner && q.membership == interaction.MemberInvited {
					m.member(q, interaction.MemberWithdrawn, q.role, interaction.PartyScope(q.id))
				}
			}
		}, "R-X1", true

	case interaction.Decline:
		p := m.actingParty(actor, f)
		if p != nil && (p.role != interaction.RoleOwner || p.membership != interaction.MemberInvited) {
			f.add(errNotPerm, "R-X6")
		}
		if m.status != interaction.StatusWaiting {
			f.add(errTransition, "R-X1") // chat offers exist only while the chat waits
		}
		return func() { m.member(p, interaction.MemberDeclined, p.role, interaction.PartyScope(p.id)) }, "R-X1", true

	case interaction.Withdraw:
		if actor != interaction.System {
			f.add(errNotPerm, "R-X6")
		}
		p := m.party(c.Agent)
		if p == nil || p.role != interaction.RoleOwner {
			f.add(errNotFound, "R-X1")
		} else if p.membership != interaction.MemberInvited || m.status != interaction.StatusWaiting {
			f.add(errTransition, "R-X1")
		}
		return func() { m.member(p, interaction.MemberWithdrawn, p.role, interaction.PartyScope(p.id)) }, "R-X1", true

	case interaction.Post:
		m.text(c.Text, f)
		p := m.actingParty(actor, f)
		if p != nil {
			if !p.present() {
				f.add(errNotPerm, "R-X6")
			}
			// A consultation target reads along but talks in its leg (R-C5, R-C6).
			if p.role != interaction.RoleContact && !p.role.Engaged() {
				f.add(errNotPerm, "R-C5")
			}
			if m.status != interaction.StatusActive && !(m.status == interaction.StatusWaiting && p.role == interaction.RoleContact) {
				f.add(errTransition, "R-X6")
			}
		}
		return func() { m.say(actor, c.Text, interaction.Everyone) }, "R-F3", true

	case interaction.Note:
		m.text(c.Text, f)
		p := m.actingParty(actor, f)
		if p != nil && (p.role == interaction.RoleContact || !p.present()) {
			f.add(errNotPerm, "R-X6")
		}
		if p != nil && p.role == interaction.RoleConsultant {
			f.add(errNotPerm, "R-X3") // a target talks in its leg, not to every agent
		}
		if p != nil && p.role == interaction.RoleSupervisor {
			f.add(errNotPerm, "R-X7") // a note would show a silent monitor to every agent
		}
		return func() { m.say(actor, c.Text, interaction.Scope{Kind: interaction.ScopeAgents}) }, "R-X6", true

	case interaction.Leave:
		p := m.actingParty(actor, f)
		if p == nil {
			return nil, "", true
		}
		if !p.present() {
			f.add(errTransition, "R-X6")
		}
		if p.role == interaction.RoleContact {
			m.sessionOpen(f)
			return m.endSession, "R-C7", true
		}
		return func() { m.depart(p, interaction.MemberLeft) }, "R-F6", true

	case interaction.End:
		p := m.actingParty(actor, f)
		if p == nil {
			return nil, "", true
		}
		if !p.present() {
			f.add(errTransition, "R-C7")
			return nil, "", true
		}
		switch {
		case p.role == interaction.RoleContact:
			m.sessionOpen(f)
			return m.endSession, "R-C7", true
		case !p.role.Engaged():
			f.add(errNotPerm, "R-X6")
			return nil, "", true
		case m.engagedPresent() > 1:
			// Its own part only: the others go on with the contact (R-F6).
			return func() { m.depart(p, interaction.MemberLeft) }, "R-F6", true
		}
		m.sessionOpen(f)
		return m.endSession, "R-C7", true

	case interaction.MarkDone:
		p := m.actingParty(actor, f)
		if p == nil {
			return nil, "", true
		}
		if p.role == interaction.RoleContact || !p.tookPart {
			f.add(errNotPerm, "R-C8")
		}
		// Its part must be over: out of the chat (and not invited back), or
		// the session ended.
		switch p.membership {
		case interaction.MemberJoined:
			if m.status != interaction.StatusEnded {
				f.add(errTransition, "R-C8")
			}
		case interaction.MemberLeft, interaction.MemberRemoved, interaction.MemberDeclined, interaction.MemberWithdrawn:
		default:
			f.add(errTransition, "R-C8")
		}
		return func() {
			m.member(p, interaction.MemberDone, p.role, m.doneScope(p))
			m.closeIfDone()
		}, "R-C8", true

	case interaction.Monitor:
		return m.supervise(actor, c.Agent, false, "", f)

	case interaction.Coach:
		return m.supervise(actor, c.Agent, true, c.Text, f)

	case interaction.BargeIn:
		sup, ok := m.supervisor(actor, f)
		if !ok {
			return nil, "", true
		}
		agent := interaction.PartyID("")
		if sup != nil && sup.present() {
			agent = sup.supervises // else the policy is asked about the owner
		}
		m.policy(actor, agent, f)
		if m.status != interaction.StatusActive {
			f.add(errTransition, "R-X7")
		}
		if sup != nil && sup.role != interaction.RoleSupervisor {
			f.add(errTransition, "R-X7") // already barged in
		}
		return func() {
			// A conference member from now on, seen by all, reading the
			// whole chat (R-F2, R-F3); it keeps the sight of its agent.
			p := m.ensure(actor)
			if p.present() {
				m.roleTo(p, interaction.RoleMember, interaction.Everyone, "", false)
			} else {
				// Back in the chat: it reads through nobody it supervised
				// before (R-X7).
				p.supervises, p.coaching = "", false
				m.member(p, interaction.MemberJoined, interaction.RoleMember, interaction.Everyone)
			}
			m.notice(mNotice{code: interaction.NoticeJoined, parties: []interaction.PartyID{actor}}, interaction.Everyone)
		}, "R-X7", true

	case consult.Start:
		m.owner(actor, "R-C1", f)
		if c.Leg == "" || badPartyID(c.Agent) {
			f.add(errBadInput, "R-C2")
		}
		if c.Medium > interaction.MediumVoice {
			f.add(errBadInput, "R-C10")
		}
		if c.Leg != "" && m.idInUse(c.Leg) {
			f.add(errConflict, "R-X3")
		}
		if c.Agent == actor || (c.Agent != "" && c.Agent == m.contact) {
			f.add(errNotPerm, "R-C1")
		}
		if inChat(m.party(c.Agent)) {
			f.add(errConflict, "R-X3")
		}
		return func() {
			l := &mLeg{id: c.Leg, owner: actor, agent: c.Agent, target: c.Target, medium: c.Medium, state: interaction.LegNone}
			m.legs = append(m.legs, l)
			m.legTo(l, interaction.LegInviting)
			m.member(m.ensure(c.Agent), interaction.MemberInvited, interaction.RoleConsultant, interaction.LegScope(l.id))
		}, "R-C1", true

	case consult.Accept:
		l := m.legCommand(c.Leg, func(l *mLeg) bool { return actor == l.agent }, interaction.LegInviting, "R-C3", f)
		if l == nil {
			return nil, "", true
		}
		return func() {
			m.legTo(l, interaction.LegActive)
			m.member(m.party(l.agent), interaction.MemberJoined, interaction.RoleConsultant, interaction.LegScope(l.id))
		}, "R-C3", true

	case consult.Decline:
		l := m.legCommand(c.Leg, func(l *mLeg) bool { return actor == l.agent }, interaction.LegInviting, "R-C3", f)
		if l == nil {
			return nil, "", true
		}
		return func() {
			m.legTo(l, interaction.LegDeclined)
			m.member(m.party(l.agent), interaction.MemberDeclined, interaction.RoleConsultant, interaction.LegScope(l.id))
			m.notice(mNotice{code: interaction.NoticeDeclined, parties: []interaction.PartyID{l.agent}}, interaction.PartyScope(l.owner))
		}, "R-C3", true

	case consult.Cancel:
		l := m.legCommand(c.Leg, func(l *mLeg) bool { return actor == l.owner }, interaction.LegInviting, "R-X2", f)
		if l == nil {
			return nil, "", true
		}
		return func() {
			m.legTo(l, interaction.LegCancelled)
			m.release(l)
		}, "R-X2", true

	case consult.TimeOut:
		if actor != interaction.System {
			f.add(errNotPerm, "R-X1")
		}
		l := m.legCommand(c.Leg, nil, interaction.LegInviting, "R-X1", f)
		if l == nil {
			return nil, "", true
		}
		return func() {
			m.legTo(l, interaction.LegTimedOut)
			m.release(l)
			m.notice(mNotice{code: interaction.NoticeNoAnswer, parties: []interaction.PartyID{l.agent}}, interaction.PartyScope(l.owner))
		}, "R-X1", true

	case consult.EndLeg:
		l := m.legCommand(c.Leg, func(l *mLeg) bool { return actor == l.owner || actor == l.agent }, interaction.LegActive, "R-C4", f)
		if l == nil {
			return nil, "", true
		}
		return func() {
			m.legTo(l, interaction.LegEnded)
			m.cancelRequestsVia(l)
			m.release(l)
		}, "R-C4", true

	case consult.Say:
		m.text(c.Text, f)
		l := m.leg(c.Leg)
		if l == nil {
			f.add(errNotFound, "R-C5")
			return nil, "", true
		}
		if actor != l.owner && actor != l.agent {
			f.add(errNotPerm, "R-C5")
		}
		if l.state != interaction.LegActive {
			f.add(errTransition, "R-C4")
		}
		if l.medium == interaction.MediumVoice {
			f.add(errNotPerm, "R-C10")
		}
		return func() { m.say(actor, c.Text, interaction.LegScope(l.id)) }, "R-C5", true

	case consult.Transfer:
		m.owner(actor, "R-T1", f)
		l := m.leg(c.Leg)
		if l == nil {
			f.add(errNotFound, "R-T1")
			return nil, "", true
		}
		if l.owner != actor {
			f.add(errNotPerm, "R-T1")
		}
		if l.state != interaction.LegActive {
			f.add(errTransition, "R-T1")
		}
		return func() {
			m.legTo(l, interaction.LegTransferred)
			m.cancelRequestsVia(l)
			m.handOver(actor, l.agent)
		}, "R-T1", true

	case consult.Conference:
		m.owner(actor, "R-F1", f)
		l := m.leg(c.Leg)
		if l == nil {
			f.add(errNotFound, "R-F1")
			return nil, "", true
		}
		if l.owner != actor {
			f.add(errNotPerm, "R-F1")
		}
		if l.state != interaction.LegActive {
			f.add(errTransition, "R-F1")
		}
		if c.Request == "" {
			f.add(errBadInput, "R-F1")
		} else if m.idInUse(c.Request) {
			f.add(errConflict, "R-F1")
		}
		for _, r := range m.requests {
			if r.via == l.id && r.state == interaction.RequestPending {
				f.add(errConflict, "R-F4")
			}
		}
		return func() {
			r := &mRequest{id: c.Request, kind: interaction.RequestConference, from: actor, agent: l.agent, target: l.target, via: l.id, state: interaction.RequestNone}
			m.requests = append(m.requests, r)
			m.requestTo(r, interaction.RequestPending)
		}, "R-F1", true

	case consult.Direct:
		m.owner(actor, "R-X4", f)
		if c.Kind != interaction.RequestTransfer && c.Kind != interaction.RequestConference {
			f.add(errBadInput, "R-X4")
		}
		if badPartyID(c.Agent) {
			f.add(errBadInput, "R-X4")
		}
		if c.Agent == actor || (c.Agent != "" && c.Agent == m.contact) {
			f.add(errNotPerm, "R-X4")
		}
		if inChat(m.party(c.Agent)) {
			f.add(errConflict, "R-X4")
		}
		if c.Request == "" {
			f.add(errBadInput, "R-X4")
		} else if m.idInUse(c.Request) {
			f.add(errConflict, "R-X4")
		}
		return func() {
			r := &mRequest{id: c.Request, kind: c.Kind, from: actor, agent: c.Agent, target: c.Target, state: interaction.RequestNone}
			m.requests = append(m.requests, r)
			m.requestTo(r, interaction.RequestPending)
			role := interaction.RoleMember
			if c.Kind == interaction.RequestTransfer {
				role = interaction.RoleOwner
			}
			m.member(m.ensure(c.Agent), interaction.MemberInvited, role, interaction.LegScope(r.id))
		}, "R-X4", true

	case consult.AcceptRequest:
		r := m.request(c.Request)
		if r == nil {
			f.add(errNotFound, "R-F4")
			return nil, "", true
		}
		if actor != r.agent {
			f.add(errNotPerm, "R-F4")
		}
		if m.status != interaction.StatusActive || r.state != interaction.RequestPending {
			f.add(errTransition, "R-F4")
		}
		return func() {
			m.requestTo(r, interaction.RequestAccepted)
			p := m.party(r.agent)
			if r.via != "" {
				if r.kind == interaction.RequestTransfer {
					m.legTo(m.leg(r.via), interaction.LegTransferred)
				} else {
					m.legTo(m.leg(r.via), interaction.LegConferenced)
				}
			} else {
				role := interaction.RoleMember
				if r.kind == interaction.RequestTransfer {
					role = interaction.RoleOwner
				}
				m.member(p, interaction.MemberJoined, role, interaction.Everyone)
			}
			if r.kind == interaction.RequestTransfer {
				m.handOver(r.from, r.agent)
				return
			}
			// R-F2: the target is added to the chat and reads all of it.
			if r.via != "" {
				m.roleTo(p, interaction.RoleMember, interaction.Everyone, "", false)
			}
			m.notice(mNotice{code: interaction.NoticeJoined, parties: []interaction.PartyID{r.agent}}, interaction.Everyone)
		}, "R-F2", true

	case consult.DeclineRequest:
		return m.dropRequest(actor, c.Request, "decline", f)

	case consult.TimeOutRequest:
		return m.dropRequest(actor, c.Request, "time_out", f)

	case consult.CancelRequest:
		r := m.request(c.Request)
		if r == nil {
			f.add(errNotFound, "R-X2")
			return nil, "", true
		}
		if actor != r.from {
			f.add(errNotPerm, "R-X2")
		}
		if r.state != interaction.RequestPending {
			f.add(errTransition, "R-X2")
		}
		return func() { m.cancelRequest(r) }, "R-X2", true

	case consult.Remove:
		o := m.owner(actor, "R-F5", f)
		p := m.party(c.Member)
		if p == nil {
			f.add(errNotFound, "R-F5")
			return nil, "", true
		}
		if p == o || p.role != interaction.RoleMember || !p.present() {
			f.add(errNotPerm, "R-F5")
		}
		return func() {
			m.notice(mNotice{code: interaction.NoticeRemoved, parties: []interaction.PartyID{c.Member}}, interaction.Everyone)
			m.depart(p, interaction.MemberRemoved)
		}, "R-F5", true
	}
	return nil, "", false
}

// policy asks the embedding service's policy whether actor may supervise
// agent (R-X7); agent empty means the present owner. Without a policy, or
// with nobody to supervise, supervision is not permitted.
func (m *Model) policy(actor, agent interaction.PartyID, f *faults) {
	if agent == "" {
		if o := m.presentOwner(); o != nil {
			agent = o.id
		}
	}
	if m.Policy == nil || agent == "" || !m.Policy.MaySupervise(m.ID, actor, agent) {
		f.add(errNotPerm, "R-X7")
	}
}

// supervisor checks who may supervise (R-X7): anyone who is not, and was
// not, in the interaction in another role. It returns the actor's party
// when it already supervises (or barged in and is still in the chat), nil
// for a newcomer, and ok false for anyone else.
func (m *Model) supervisor(actor interaction.PartyID, f *faults) (p *mParty, ok bool) {
	switch actor {
	case "":
		f.add(errBadInput, "R-X6")
		return nil, false
	case interaction.System:
		f.add(errNotPerm, "R-X7")
		return nil, false
	}
	p = m.party(actor)
	switch {
	case p == nil:
		if badPartyID(actor) {
			f.add(errBadInput, "R-X6")
		}
		return nil, true
	case p.role == interaction.RoleSupervisor, p.role == interaction.RoleMember && p.supervises != "" && p.present():
		return p, true
	}
	f.add(errNotPerm, "R-X7")
	return nil, false
}

// supervise is Monitor and Coach (R-X7): only an agent engaged with the
// contact, in an active chat, is supervised; the supervisor enters unseen
// (or switches agent or mode), told to itself only, or, when it coaches,
// to the coached agent too; a coaching text is seen by that agent only.
func (m *Model) supervise(actor, agent interaction.PartyID, coach bool, text string, f *faults) (func(), string, bool) {
	if text != "" {
		m.text(text, f)
	}
	sup, ok := m.supervisor(actor, f)
	if !ok {
		return nil, "", true
	}
	m.policy(actor, agent, f)
	if sup != nil && sup.role != interaction.RoleSupervisor && sup.present() {
		f.add(errNotPerm, "R-X7") // barged in: a member writes to everyone
	}
	if m.status != interaction.StatusActive {
		f.add(errTransition, "R-X7")
	}
	w := m.party(agent)
	switch {
	case agent == "":
		f.add(errBadInput, "R-X7")
	case w == nil:
		f.add(errNotFound, "R-X7")
	case !w.engagedNow():
		f.add(errNotPerm, "R-X7")
	}
	return func() {
		scope := interaction.PartyScope(actor)
		if coach {
			scope = interaction.Scope{Kind: interaction.ScopeCoach, Party: agent}
		}
		p := m.ensure(actor)
		present := p.present()
		same := present && p.coaching == coach && p.supervises == agent
		if !present {
			// It comes in supervising agent, and nobody else.
			p.supervises, p.coaching = agent, coach
			m.member(p, interaction.MemberJoined, interaction.RoleSupervisor, scope)
		}
		if !same {
			m.roleTo(p, interaction.RoleSupervisor, scope, agent, coach)
		}
		if text != "" {
			m.say(actor, text, interaction.Scope{Kind: interaction.ScopeCoach, Party: agent})
		}
	}, "R-X7", true
}

// sessionOpen: the session with the contact can only end once.
func (m *Model) sessionOpen(f *faults) {
	if m.status != interaction.StatusWaiting && m.status != interaction.StatusActive {
		f.add(errTransition, "R-C7")
	}
}

// dropRequest: the asked agent declines, or nobody answers in time (actor
// System). The request is dropped and the chat goes on as before (R-F4);
// the owner who asked is told in its own view.
func (m *Model) dropRequest(actor interaction.PartyID, id interaction.LegID, trigger string, f *faults) (func(), string, bool) {
	if trigger == "time_out" && actor != interaction.System {
		f.add(errNotPerm, "R-F4")
	}
	r := m.request(id)
	if r == nil {
		f.add(errNotFound, "R-F4")
		return nil, "", true
	}
	if trigger == "decline" && actor != r.agent {
		f.add(errNotPerm, "R-F4")
	}
	if r.state != interaction.RequestPending {
		f.add(errTransition, "R-F4")
	}
	return func() {
		state, membership, code := interaction.RequestDeclined, interaction.MemberDeclined, interaction.NoticeDeclined
		if trigger == "time_out" {
			state, membership, code = interaction.RequestTimedOut, interaction.MemberWithdrawn, interaction.NoticeNoAnswer
		}
		m.requestTo(r, state)
		if r.via == "" {
			p := m.party(r.agent)
			m.member(p, membership, p.role, interaction.LegScope(r.id))
		}
		m.notice(mNotice{code: code, parties: []interaction.PartyID{r.agent}, what: r.kind}, interaction.PartyScope(r.from))
	}, "R-F4", true
}

// badPartyID: a party ID is a well-formed identifier (badID) that is not,
// and does not look like, the reserved System (R-X6).
func badPartyID(p interaction.PartyID) bool {
	return badID(string(p)) || posesAsSystem(string(p))
}

// badID: an identifier must be given, at most 256 bytes of valid UTF-8,
// with no hidden character anywhere: no whitespace, control or invisible
// character (R-X6).
func badID(id string) bool {
	return id == "" || len(id) > 256 || !utf8.ValidString(id) || strings.IndexFunc(id, hidden) >= 0
}

// posesAsSystem: id spells "system" once its letters are taken to plain
// ASCII: fullwidth forms (U+FF01–U+FF5E), the mathematical alphanumeric
// letters (U+1D400–U+1D6A3, 13 alphabets of A–Z then a–z) and the circled
// letters (U+24B6–U+24E9), in any case.
func posesAsSystem(id string) bool {
	var plain []rune
	for _, r := range id {
		switch {
		case 0xFF01 <= r && r <= 0xFF5E:
			r = '!' + (r - 0xFF01)
		case 0x1D400 <= r && r <= 0x1D6A3:
			r = rune("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"[(r-0x1D400)%52])
		case 0x24B6 <= r && r <= 0x24CF:
			r = 'A' + (r - 0x24B6)
		case 0x24D0 <= r && r <= 0x24E9:
			r = 'a' + (r - 0x24D0)
		}
		plain = append(plain, unicode.ToLower(unicode.ToUpper(r)))
	}
	return string(plain) == string(interaction.System)
}

// badTarget: a target is of a known kind (agent to queue) with a
// well-formed ID (R-X6, R-C2).
func badTarget(t interaction.Target) bool {
	return t.Kind > interaction.TargetQueue || badID(t.ID)
}

// badInput is R-X6 for the commands whose refusal of bad input comes
// before every other check, so that it is their only possible answer:
// every consultation command with a malformed ID, target, agent, medium,
// request kind or text, or given by a party the interaction does not know
// (the commands only System gives check for System instead); and a
// newcomer supervising under a malformed party ID.
func (m *Model) badInput(actor interaction.PartyID, cmd interaction.Command) bool {
	unknown := actor == "" || m.party(actor) == nil
	switch c := cmd.(type) {
	case consult.Start:
		return badID(string(c.Leg)) || badTarget(c.Target) || badPartyID(c.Agent) || c.Medium > interaction.MediumVoice || unknown
	case consult.Accept:
		return badID(string(c.Leg)) || unknown
	case consult.Decline:
		return badID(string(c.Leg)) || unknown
	case consult.Cancel:
		return badID(string(c.Leg)) || unknown
	case consult.EndLeg:
		return badID(string(c.Leg)) || unknown
	case consult.Transfer:
		return badID(string(c.Leg)) || unknown
	case consult.TimeOut:
		return badID(string(c.Leg))
	case consult.Say:
		return !m.validText(c.Text) || badID(string(c.Leg)) || unknown
	case consult.Conference:
		return badID(string(c.Leg)) || badID(string(c.Request)) || unknown
	case consult.Direct:
		return badID(string(c.Request)) || (c.Kind != interaction.RequestTransfer && c.Kind != interaction.RequestConference) ||
			badTarget(c.Target) || badPartyID(c.Agent) || unknown
	case consult.AcceptRequest:
		return badID(string(c.Request)) || unknown
	case consult.DeclineRequest:
		return badID(string(c.Request)) || unknown
	case consult.CancelRequest:
		return badID(string(c.Request)) || unknown
	case consult.TimeOutRequest:
		return badID(string(c.Request))
	case consult.Remove:
		return unknown
	case interaction.Monitor, interaction.Coach, interaction.BargeIn:
		// Anyone new may supervise, under a well-formed party ID; "" and
		// System are refused by the supervision rules themselves.
		if co, ok := cmd.(interaction.Coach); ok && co.Text != "" && !m.validText(co.Text) {
			return true
		}
		return actor != "" && actor != interaction.System && m.party(actor) == nil && badPartyID(actor)
	}
	return false
}

// legCommand is the check every command on a consultation leg starts
// with: the leg exists (else it is not found, and nothing more can be
// checked), the actor may act on it (mayAct; nil: anyone), and it is in
// state. Each broken precondition is recorded in f under rule.
func (m *Model) legCommand(id interaction.LegID, mayAct func(*mLeg) bool, state interaction.LegState, rule string, f *faults) *mLeg {
	l := m.leg(id)
	if l == nil {
		f.add(errNotFound, rule)
		return nil
	}
	if mayAct != nil && !mayAct(l) {
		f.add(errNotPerm, rule)
	}
	if l.state != state {
		f.add(errTransition, rule)
	}
	return l
}

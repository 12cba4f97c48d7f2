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
// visibility rules of SPEC.md and the README's decisions, written a second
// time, as plainly as possible, without the library's State, Apply, CanSee
// or machines. It uses the library's vocabulary only (the names of states,
// roles and scopes, and the command types it predicts).
//
// Do predicts whether a step is accepted and, if so, applies its effects;
// Compare then checks the library's state and every party's view against
// the model. The model compares notices by author, scope and position, not
// by wording.
type Model struct {
	ID     interaction.ID
	Limits interaction.Limits

	exists   bool
	status   string
	contact  interaction.PartyID
	parties  []*mParty
	messages []mMessage
	legs     []*mLeg
	requests []*mRequest
	joins    int // how many parties have joined for the first time (Order)
}

type mParty struct {
	id         interaction.PartyID
	role       interaction.Role
	membership string
	tookPart   bool // joined at least once (R-C8)
	engaged    bool // was owner or member while joined (R-H3)
	order      int  // when it first joined
	// readUpTo: how many messages it may read in the shared scopes once it
	// is out (it keeps what was said while it was there); readLegsUpTo: how
	// many legs there were then (a supervisor out of the chat is shown none
	// of its agent's later consultations).
	readUpTo     int
	readLegsUpTo int
	// supervises: the agent it monitors or coaches (R-X7), kept after it
	// barges in, dropped when it is invited in another role (a former
	// supervisor consulted). coaching: it coaches that agent.
	supervises interaction.PartyID
	coaching   bool
	// engagedMsgs, engagedLegs: how many messages and legs there were when
	// it last stopped being an engaged agent in the chat. A supervisor keeps
	// reading what its agent saw until then, not what the agent sees later
	// in another role (R-X7: "not the new owner's consultations").
	engagedMsgs int
	engagedLegs int
}

// engagedNow: an agent engaged with the contact and in the chat.
func (p *mParty) engagedNow() bool { return p.present() && p.role.Engaged() }

func (p *mParty) present() bool { return p.membership == interaction.MemberJoined }

type mMessage struct {
	author interaction.PartyID
	text   string
	kind   interaction.MessageKind
	scope  interaction.Scope
}

type mLeg struct {
	id     interaction.LegID
	owner  interaction.PartyID
	agent  interaction.PartyID
	target interaction.Target
	medium interaction.Medium
	state  string
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
	state  string
}

// NewModel returns the model of interaction id, not opened yet, with the
// library's default limits.
func NewModel(id interaction.ID) *Model {
	return &Model{ID: id, Limits: interaction.DefaultLimits}
}

// Clone returns an independent copy.
func (m *Model) Clone() *Model {
	c := *m
	c.parties = make([]*mParty, len(m.parties))
	for i, p := range m.parties {
		cp := *p
		c.parties[i] = &cp
	}
	c.messages = append([]mMessage(nil), m.messages...)
	c.legs = make([]*mLeg, len(m.legs))
	for i, l := range m.legs {
		cp := *l
		c.legs[i] = &cp
	}
	c.requests = make([]*mRequest, len(m.requests))
	for i, r := range m.requests {
		cp := *r
		c.requests[i] = &cp
	}
	return &c
}

// Exists reports whether the interaction has been opened.
func (m *Model) Exists() bool { return m.exists }

// Status is the interaction's status in the model.
func (m *Model) Status() string { return m.status }

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
func (m *Model) Do(step Step) Outcome {
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
	var f faults
	effect, rule, known := m.decide(step.Actor, step.Command, &f)
	if !known {
		return Outcome{Unmodelled: true}
	}
	if f.any() {
		return Outcome{Kinds: f.kinds, Rule: f.rule}
	}
	if effect != nil {
		effect()
	}
	return Outcome{Accepted: true, Rule: rule}
}

// validText is the documented input rule: not blank, at most the limit,
// valid UTF-8.
func (m *Model) validText(s string) bool {
	return len(s) <= m.Limits.MaxMessageBytes && utf8.ValidString(s) && strings.TrimFunc(s, unicode.IsSpace) != ""
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

// ensure returns party id, adding it (not yet a member) when new.
func (m *Model) ensure(id interaction.PartyID) *mParty {
	if p := m.party(id); p != nil {
		return p
	}
	p := &mParty{id: id, membership: interaction.MemberNone}
	m.parties = append(m.parties, p)
	return p
}

// setMembership moves p, keeping what it may read: joining lets it read
// everything (R-C6, R-F2); going out freezes what it read.
func (m *Model) setMembership(p *mParty, to string) {
	if p.present() && to != interaction.MemberJoined {
		p.readUpTo, p.readLegsUpTo = len(m.messages), len(m.legs)
		if p.role.Engaged() {
			p.engagedMsgs, p.engagedLegs = len(m.messages), len(m.legs)
		}
	}
	p.membership = to
	if to == interaction.MemberJoined {
		if !p.tookPart {
			m.joins++
			p.order = m.joins
		}
		p.tookPart = true
		if p.role.Engaged() {
			p.engaged = true
		}
	}
}

// invite invites p in role r. Invited in another role, a former
// supervisor no longer reads through the agent it supervised (R-C5, R-X3).
func (m *Model) invite(p *mParty, r interaction.Role) {
	p.role = r
	p.supervises, p.coaching = "", false
	m.setMembership(p, interaction.MemberInvited)
}

func (m *Model) setRole(p *mParty, r interaction.Role) {
	p.role = r
	if p.present() && r.Engaged() {
		p.engaged = true
	}
}

func (m *Model) say(author interaction.PartyID, text string, kind interaction.MessageKind, sc interaction.Scope) {
	m.messages = append(m.messages, mMessage{author: author, text: text, kind: kind, scope: sc})
}

func (m *Model) notice(text string, sc interaction.Scope) {
	m.say(interaction.System, text, interaction.KindNotice, sc)
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

// release takes a consultation target out once its leg is over: an
// invited one is withdrawn, a joined one leaves. A target that became an
// owner or member stays.
func (m *Model) release(agent interaction.PartyID) {
	p := m.party(agent)
	if p == nil || p.role != interaction.RoleConsultant {
		return
	}
	for _, l := range m.legs {
		if l.agent == agent && l.live() {
			return
		}
	}
	switch p.membership {
	case interaction.MemberInvited:
		m.setMembership(p, interaction.MemberWithdrawn)
	case interaction.MemberJoined:
		m.setMembership(p, interaction.MemberLeft)
	}
}

func (m *Model) finishLeg(l *mLeg) {
	if l.state == interaction.LegInviting {
		l.state = interaction.LegCancelled
	} else {
		l.state = interaction.LegEnded
	}
	m.release(l.agent)
}

// cancelRequest drops a pending request; an agent it invited (a direct
// request) is withdrawn.
func (m *Model) cancelRequest(r *mRequest) {
	r.state = interaction.RequestCancelled
	if p := m.party(r.agent); p != nil && p.membership == interaction.MemberInvited && p.role != interaction.RoleConsultant {
		m.setMembership(p, interaction.MemberWithdrawn)
	}
}

// depart takes p out of the chat (to = left or removed): its legs and
// requests end; an owner hands the chat to the earliest present member
// (R-F6); with no engaged agent left the session ends (R-C7).
func (m *Model) depart(p *mParty, to string) {
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
	m.setMembership(p, to)
	if !p.role.Engaged() || m.status != interaction.StatusActive {
		return
	}
	if p.role == interaction.RoleOwner && m.presentOwner() == nil {
		var next *mParty
		for _, q := range m.parties {
			if q.role == interaction.RoleMember && q.present() && (next == nil || q.order < next.order) {
				next = q
			}
		}
		if next != nil {
			m.setRole(next, interaction.RoleOwner)
			return
		}
	}
	if m.engagedPresent() == 0 {
		m.endSession()
	}
}

// endSession ends the session with the contact (R-C7): every leg and
// request ends, invitations are withdrawn, the contact and the targets
// leave, and the interaction closes at once if nobody must mark done.
func (m *Model) endSession() {
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
			m.setMembership(p, interaction.MemberWithdrawn)
		case p.present() && (p.role == interaction.RoleContact || p.role == interaction.RoleConsultant || p.role == interaction.RoleSupervisor):
			m.setMembership(p, interaction.MemberLeft)
		}
	}
	m.status = interaction.StatusEnded
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
	m.status = interaction.StatusClosed
}

// handOver makes to the owner and takes from out (R-T2).
func (m *Model) handOver(from, to interaction.PartyID) {
	m.setRole(m.party(to), interaction.RoleOwner)
	m.notice(string(from)+" transferred the chat to "+string(to), interaction.Everyone)
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
			p := m.ensure(c.Contact)
			p.role = interaction.RoleContact
			m.setMembership(p, interaction.MemberJoined)
			if c.Text != "" {
				m.say(actor, c.Text, interaction.KindText, interaction.Everyone)
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
			m.invite(m.ensure(c.Agent), interaction.RoleOwner)
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
			m.setMembership(p, interaction.MemberJoined)
			m.status = interaction.StatusActive
			// The first to join wins; the other offers are withdrawn (R-X1).
			for _, q := range m.parties {
				if q != p && q.role == interaction.RoleOwner && q.membership == interaction.MemberInvited {
					m.setMembership(q, interaction.MemberWithdrawn)
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
		return func() { m.setMembership(p, interaction.MemberDeclined) }, "R-X1", true

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
		return func() { m.setMembership(p, interaction.MemberWithdrawn) }, "R-X1", true

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
		return func() { m.say(actor, c.Text, interaction.KindText, interaction.Everyone) }, "R-F3", true

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
		return func() { m.say(actor, c.Text, interaction.KindText, interaction.Scope{Kind: interaction.ScopeAgents}) }, "R-X6", true

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
			m.setMembership(p, interaction.MemberDone)
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
			p.coaching = false
			if p.present() {
				m.setRole(p, interaction.RoleMember)
			} else {
				p.role = interaction.RoleMember
				m.setMembership(p, interaction.MemberJoined)
			}
			m.notice(string(actor)+" joined the conference", interaction.Everyone)
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
			m.legs = append(m.legs, &mLeg{id: c.Leg, owner: actor, agent: c.Agent, target: c.Target, medium: c.Medium, state: interaction.LegInviting})
			m.invite(m.ensure(c.Agent), interaction.RoleConsultant)
		}, "R-C1", true

	case consult.Accept:
		l := m.legCommand(c.Leg, func(l *mLeg) bool { return actor == l.agent }, interaction.LegInviting, "R-C3", f)
		if l == nil {
			return nil, "", true
		}
		return func() {
			l.state = interaction.LegActive
			m.setMembership(m.party(l.agent), interaction.MemberJoined)
		}, "R-C3", true

	case consult.Decline:
		l := m.legCommand(c.Leg, func(l *mLeg) bool { return actor == l.agent }, interaction.LegInviting, "R-C3", f)
		if l == nil {
			return nil, "", true
		}
		return func() {
			l.state = interaction.LegDeclined
			m.setMembership(m.party(l.agent), interaction.MemberDeclined)
			m.notice(string(l.agent)+" declined the consultation", interaction.PartyScope(l.owner))
		}, "R-C3", true

	case consult.Cancel:
		l := m.legCommand(c.Leg, func(l *mLeg) bool { return actor == l.owner }, interaction.LegInviting, "R-X2", f)
		if l == nil {
			return nil, "", true
		}
		return func() {
			l.state = interaction.LegCancelled
			m.release(l.agent)
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
			l.state = interaction.LegTimedOut
			m.release(l.agent)
			m.notice(string(l.agent)+" did not answer the consultation", interaction.PartyScope(l.owner))
		}, "R-X1", true

	case consult.EndLeg:
		l := m.legCommand(c.Leg, func(l *mLeg) bool { return actor == l.owner || actor == l.agent }, interaction.LegActive, "R-C4", f)
		if l == nil {
			return nil, "", true
		}
		return func() {
			l.state = interaction.LegEnded
			for _, r := range m.requests {
				if r.via == l.id && r.state == interaction.RequestPending {
					m.cancelRequest(r)
				}
			}
			m.release(l.agent)
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
		return func() { m.say(actor, c.Text, interaction.KindText, interaction.LegScope(l.id)) }, "R-C5", true

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
			l.state = interaction.LegTransferred
			for _, r := range m.requests {
				if r.via == l.id && r.state == interaction.RequestPending {
					m.cancelRequest(r)
				}
			}
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
			m.requests = append(m.requests, &mRequest{id: c.Request, kind: interaction.RequestConference, from: actor, agent: l.agent, target: l.target, via: l.id, state: interaction.RequestPending})
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
			m.requests = append(m.requests, &mRequest{id: c.Request, kind: c.Kind, from: actor, agent: c.Agent, target: c.Target, state: interaction.RequestPending})
			role := interaction.RoleMember
			if c.Kind == interaction.RequestTransfer {
				role = interaction.RoleOwner
			}
			m.invite(m.ensure(c.Agent), role)
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
			r.state = interaction.RequestAccepted
			p := m.party(r.agent)
			if r.via != "" {
				if r.kind == interaction.RequestTransfer {
					m.leg(r.via).state = interaction.LegTransferred
				} else {
					m.leg(r.via).state = interaction.LegConferenced
				}
			} else {
				m.setMembership(p, interaction.MemberJoined)
			}
			if r.kind == interaction.RequestTransfer {
				m.handOver(r.from, r.agent)
				return
			}
			// R-F2: the target is added to the chat and reads all of it.
			m.setRole(p, interaction.RoleMember)
			m.notice(string(r.agent)+" joined the conference", interaction.Everyone)
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
			m.notice(string(c.Member)+" was removed from the conference", interaction.Everyone)
			m.depart(p, interaction.MemberRemoved)
		}, "R-F5", true
	}
	return nil, "", false
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
		return nil, true
	case p.role == interaction.RoleSupervisor, p.role == interaction.RoleMember && p.supervises != "" && p.present():
		return p, true
	}
	f.add(errNotPerm, "R-X7")
	return nil, false
}

// supervise is Monitor and Coach (R-X7): only an agent engaged with the
// contact, in an active chat, is supervised; the supervisor enters unseen
// (or switches agent or mode); a coaching text is seen by the agent only.
func (m *Model) supervise(actor, agent interaction.PartyID, coach bool, text string, f *faults) (func(), string, bool) {
	if text != "" {
		m.text(text, f)
	}
	sup, ok := m.supervisor(actor, f)
	if !ok {
		return nil, "", true
	}
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
		p := m.ensure(actor)
		if !p.present() {
			p.role = interaction.RoleSupervisor
			m.setMembership(p, interaction.MemberJoined)
		}
		p.supervises, p.coaching = agent, coach
		if text != "" {
			m.say(actor, text, interaction.KindText, interaction.Scope{Kind: interaction.ScopeCoach, Party: agent})
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
		state, membership := interaction.RequestDeclined, interaction.MemberDeclined
		if trigger == "time_out" {
			state, membership = interaction.RequestTimedOut, interaction.MemberWithdrawn
		}
		r.state = state
		if r.via == "" {
			m.setMembership(m.party(r.agent), membership)
		}
		m.notice(string(r.agent)+" did not take the "+r.kind.String(), interaction.PartyScope(r.from))
	}, "R-F4", true
}

// badPartyID: a party ID must be given, not the reserved System, at most
// 256 bytes and valid UTF-8 (R-X6).
func badPartyID(p interaction.PartyID) bool {
	return p == "" || p == interaction.System || len(p) > 256 || !utf8.ValidString(string(p))
}

// legCommand is the check every command on a consultation leg starts
// with: the leg exists (else it is not found, and nothing more can be
// checked), the actor may act on it (mayAct; nil: anyone), and it is in
// state. Each broken precondition is recorded in f under rule.
func (m *Model) legCommand(id interaction.LegID, mayAct func(*mLeg) bool, state, rule string, f *faults) *mLeg {
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

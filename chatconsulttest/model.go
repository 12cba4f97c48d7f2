package chatconsulttest

import (
	"errors"
	"slices"
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
	// invitations are the routed invitations (model_routes.go).
	invitations []*mInvitation
	joins       int // how many parties have joined for the first time (Order)

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
	read         int  // 1 + the index of the last message it marked read (0: none)
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
	atts   []interaction.Attachment // its attachments (model_extras.go)
}

type mLeg struct {
	id     interaction.LegID
	owner  interaction.PartyID
	agent  interaction.PartyID
	target interaction.Target
	medium interaction.Medium
	state  interaction.LegState
	since  int                 // version of its invitation
	route  interaction.RouteID // the routed invitation it is an offer of; "" for a named agent
}

func (l *mLeg) live() bool {
	return l.state == interaction.LegInviting || l.state == interaction.LegActive
}

type mRequest struct {
	id     interaction.RequestID
	kind   interaction.RequestKind
	from   interaction.PartyID
	agent  interaction.PartyID
	target interaction.Target
	via    interaction.LegID
	state  interaction.RequestState
	route  interaction.RouteID // as for a leg
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
	c.invitations = make([]*mInvitation, len(m.invitations))
	for i, inv := range m.invitations {
		cp := *inv
		cp.offers = append([]mOffer(nil), inv.offers...)
		c.invitations[i] = &cp
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

func (m *Model) request(id interaction.RequestID) *mRequest {
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

func (m *Model) idInUse(id interaction.InvitationID) bool {
	return m.leg(interaction.LegID(id)) != nil || m.request(interaction.RequestID(id)) != nil
}

// decide checks the step's preconditions into f and returns its effect.
// known is false for a command type the model does not know. Each command
// family decides its own commands, in its own file.
func (m *Model) decide(actor interaction.PartyID, cmd interaction.Command, f *faults) (effect func(), rule string, known bool) {
	for _, family := range []func(interaction.PartyID, interaction.Command, *faults) (func(), string, bool){
		m.decideChat,        // model_chat.go: the chat's lifecycle
		m.decideLeg,         // model_legs.go: consultation legs
		m.decideRequest,     // model_requests.go: transfer and conference requests
		m.decideSupervision, // model_supervision.go: monitor, coach, barge in
		m.decideRoute,       // model_routes.go: routed invitations
		m.decideExtras,      // model_extras.go: read receipts
	} {
		if effect, rule, known := family(actor, cmd, f); known {
			return effect, rule, true
		}
	}
	return nil, "", false
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
		return badID(string(c.Leg)) || badTarget(c.Target) || badPartyID(c.Invitee) || c.Medium > interaction.MediumVoice ||
			badTimeout(c) || badRoute(c.Route, c.Target) || unknown
	case consult.Accept:
		return badID(string(c.Leg)) || unknown
	case consult.Decline:
		return badID(string(c.Leg)) || unknown
	case consult.Cancel:
		return badID(string(c.Leg)) || unknown
	case consult.EndConsultation:
		return badID(string(c.Leg)) || unknown
	case consult.Transfer:
		return badID(string(c.Leg)) || unknown
	case consult.TimeOut:
		return badID(string(c.Leg))
	case consult.Say:
		return !m.contentValid(c.Text, c.Attachments) || badID(string(c.Leg)) || unknown
	case consult.Conference:
		return badID(string(c.Leg)) || badID(string(c.Request)) || badTimeout(c) || unknown
	case consult.AcceptOffer:
		return badID(string(c.Invitation)) || slices.ContainsFunc(c.Rivals, func(id interaction.InvitationID) bool { return badID(string(id)) }) || unknown
	case consult.Reroute:
		// Routing (System) gives it: no acting party to check first.
		return badID(string(c.Invitation)) || (c.Exhausted && len(c.Next) > 0) ||
			slices.ContainsFunc(c.Next, func(o consult.Offer) bool { return badID(string(o.ID)) || badPartyID(o.Invitee) }) ||
			c.Reason < consult.RerouteTimedOut || c.Reason > consult.RerouteRescinded || badTimeout(c)
	case consult.Direct:
		return badID(string(c.Request)) || (c.Kind != interaction.RequestTransfer && c.Kind != interaction.RequestConference) ||
			badTarget(c.Target) || badPartyID(c.Invitee) || badTimeout(c) || badRoute(c.Route, c.Target) || unknown
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

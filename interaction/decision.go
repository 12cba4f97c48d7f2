package interaction

import (
	"sync"
	"time"
	"unicode/utf8"

	"github.com/chatconsult/chatconsult/internal/decisionhook"
)

// Command is one request from a party. Decide reads the interaction
// through the Decision and records the events the command causes, or
// returns why it is refused. It does no I/O and must not keep the Decision.
// Package consult defines the consultation commands this way too.
type Command interface {
	Decide(d *Decision) error
}

// Decision is the workspace of one command: it hands out the current state
// (including the effect of events recorded so far in this command), runs
// every state change through its machine, and collects the events. Nothing
// reaches the real State until the Store has accepted the events.
type Decision struct {
	decided
	// work is the state after the events recorded so far, once the
	// command reads past the first (dirty); zero otherwise, but for the
	// buffers a recycled Decision keeps.
	work State
}

// decided is all of a Decision but its working copy, so that recycling
// one clears only what a command used (release).
type decided struct {
	// What the command is decided for, set when the Decision is made and
	// read-only to the command (Actor, Now, Cause, Limits): who acts is
	// what the tables' firers and guards check, and the time is what a
	// deadline is due at.
	actor  PartyID
	now    time.Time
	cause  string
	limits Limits
	ids    IDSource
	op     string
	// supervision is the embedding service's policy (nil: nobody may).
	supervision SupervisionPolicy
	// drafting: the command is decided only to learn where its message
	// would go (a typing signal, typing.go); its text may be empty.
	drafting bool

	base    *State
	dirty   bool
	pending bool
	// checked: Events validated the last event without applying it.
	checked bool
	events  []Event
	err     error
}

// Limits bound what a command may carry.
type Limits struct {
	// MaxMessageBytes is the largest message text accepted, in bytes of
	// UTF-8. The default is 4096; it is at most MaxTextBytes (64 KiB),
	// the most a valid log holds.
	MaxMessageBytes int
	// MaxAttachments is the most attachments one message carries (default
	// DefaultMaxAttachments, 10; at most MaxAttachmentsPerMessage).
	MaxAttachments int
	// MaxAttachmentBytes is the largest attachment size accepted (default
	// DefaultMaxAttachmentBytes, 25 MiB; at most MaxAttachmentSize).
	MaxAttachmentBytes int64
}

// DefaultLimits are the limits of a Service created without WithLimits.
var DefaultLimits = Limits{MaxMessageBytes: 4096, MaxAttachments: DefaultMaxAttachments, MaxAttachmentBytes: DefaultMaxAttachmentBytes}

// NewDecision starts deciding one command against s. Services call it;
// tests and the harness kit use it to decide without a Store.
func NewDecision(s *State, actor PartyID, now time.Time, cause string, limits Limits, ids IDSource) *Decision {
	return &Decision{decided: decided{actor: actor, now: now, cause: cause, limits: limits, ids: ids, base: s}}
}

// decisions recycles the Decisions a Service makes, with their event and
// working-copy buffers, so that a command allocates no workspace. sync.Pool
// is per processor: no global lock on the hot path.
var decisions = sync.Pool{New: func() any { return new(Decision) }}

// maxPooledItems bounds the buffers a recycled Decision keeps, so that one
// huge interaction does not pin its buffers in the pool.
const maxPooledItems = 64

// newPooledDecision is NewDecision on a recycled Decision. The caller must
// call release once it no longer uses the Decision, its State or the slice
// Events returned.
func newPooledDecision(s *State, actor PartyID, now time.Time, cause string, limits Limits, ids IDSource) *Decision {
	d := decisions.Get().(*Decision)
	d.actor, d.now, d.cause, d.limits, d.ids, d.base = actor, now, cause, limits, ids, s
	return d
}

// release clears d (so the pool pins no strings of the interaction) and
// recycles it with its buffers.
func (d *Decision) release() {
	events, parties, legs, requests := d.events, d.work.Parties, d.work.Legs, d.work.Requests
	clear(events)
	clear(parties)
	clear(legs)
	clear(requests)
	if d.dirty {
		d.work = State{}
	}
	d.decided = decided{}
	d.work.Parties, d.work.Legs, d.work.Requests = nil, nil, nil
	if cap(events) <= maxPooledItems && cap(parties) <= maxPooledItems && cap(legs) <= maxPooledItems && cap(requests) <= maxPooledItems {
		d.events = events[:0]
		d.work.Parties, d.work.Legs, d.work.Requests = parties[:0], legs[:0], requests[:0]
	}
	decisions.Put(d)
}

// Events returns what the command recorded, or the error that makes the
// recorded events unusable (a command that broke the machines' rules).
func (d *Decision) Events() ([]Event, error) {
	if d.pending && d.err == nil {
		// The last event needs checking, not applying: nothing reads the
		// state after it, unless the command goes on (flush applies it
		// then), and the log's validator checks all that Apply would (and
		// more: it is the rule of what a command may write). So a command
		// that records one event (a message, an invitation) copies
		// nothing, and one that records more applies all but the last.
		d.pending, d.checked = false, true
		st := d.base
		if d.dirty {
			st = &d.work
		}
		// check, not validate: the base is the command's to read, not to
		// change (a typing signal's draft is decided so and never written).
		if err := st.check(&d.events[len(d.events)-1]); err != nil {
			d.err = err
		}
		return d.events, d.err
	}
	d.flush()
	return d.events, d.err
}

// State is the interaction as it will be after the events recorded so far.
// Treat it as read-only.
func (d *Decision) State() *State {
	d.flush()
	if d.dirty {
		return &d.work
	}
	return d.base
}

func init() {
	decisionhook.AsSystem = func(d any, f func() error) error {
		dec := d.(*Decision)
		actor := dec.actor
		dec.actor = System
		defer func() { dec.actor = actor }()
		return f()
	}
	decisionhook.Message = func(d any, text string, sc any) error {
		return d.(*Decision).message(text, KindText, sc.(Scope))
	}
	decisionhook.SetSupervision = func(d any, p any) {
		pol, _ := p.(SupervisionPolicy)
		d.(*Decision).supervision = pol
	}
}

// Actor is the party the command is decided for.
func (d *Decision) Actor() PartyID { return d.actor }

// Now is the command's time, from the Service's clock.
func (d *Decision) Now() time.Time { return d.now }

// Cause is the ID of the command, which each of its events carries.
func (d *Decision) Cause() string { return d.cause }

// Limits are the bounds the command's input is checked against.
func (d *Decision) Limits() Limits { return d.limits }

// NewID makes an identifier for a new leg or request.
func (d *Decision) NewID() string { return d.ids.NewID() }

// SetOp names the operation in the errors Refuse builds.
func (d *Decision) SetOp(op string) { d.op = op }

// Refuse builds the error for a refused command.
func (d *Decision) Refuse(kind error, rule, detail string) error {
	return &Error{Kind: kind, Op: d.op, Interaction: d.base.ID, Party: d.actor, Rule: rule, Detail: detail}
}

// flush applies the last recorded event to the working copy. It is lazy so
// that a command recording a single event (a message) copies nothing.
func (d *Decision) flush() {
	if d.checked {
		// Events checked the last event only: apply it, the command reads on.
		d.checked, d.pending = false, d.err == nil
	}
	if !d.pending {
		return
	}
	d.pending = false
	if !d.dirty {
		// Reuse the buffers of a recycled Decision (nil for a new one).
		parties, legs, requests := d.work.Parties[:0], d.work.Legs[:0], d.work.Requests[:0]
		d.work = *d.base
		d.work.Parties = append(parties, d.base.Parties...)
		d.work.Legs = append(legs, d.base.Legs...)
		d.work.Requests = append(requests, d.base.Requests...)
		// Shared, read-only, capacity capped (a read receipt's check reads the
		// message it names, validate.go); never appended to: scratch counts.
		d.work.Messages = d.base.Messages[:len(d.base.Messages):len(d.base.Messages)]
		d.work.messages = uint32(len(d.base.Messages))
		d.work.scratch = true
		d.dirty = true
	}
	if err := d.work.Apply(&d.events[len(d.events)-1]); err != nil && d.err == nil {
		// Events come from the machines, so this is a bug in a command, not
		// bad input; the command fails and nothing is written.
		d.err = err
	}
}

// record adds one event, filling in what every event carries: interaction,
// version, time, actor and cause. Every event a command writes comes
// through one of the machine-firing methods above it or a message, never
// past them.
func (d *Decision) record(ev Event) {
	cur := d.State()
	ev.Interaction = cur.ID
	if ev.Type == EventOpened {
		ev.Interaction = d.base.ID
	}
	ev.Version = cur.Version + 1
	ev.Time = d.now
	if ev.Actor == "" {
		ev.Actor = d.actor
	}
	ev.Cause = d.cause
	d.events = append(d.events, ev)
	d.pending = true
}

// status fires the interaction machine.
func (d *Decision) status(trigger Trigger) error {
	from := d.State().Status
	// Who ends the session before the status it ends from: a party that
	// has none to end learns nothing of the chat's (hasSession).
	m := &InteractionMachine.Chart
	if err := d.checkFirstOn(m, trigger, GuardInput{}); err != nil {
		return err
	}
	to, err := d.fire(&InteractionMachine.Chart, string(from), trigger, 0, false, GuardInput{})
	if err != nil {
		return err
	}
	d.record(Event{Type: EventStatus, From: string(from), To: to, Trigger: trigger, Scope: Everyone})
	return nil
}

// Membership fires the membership machine of party p by the command's
// actor, as its table lets (MembershipMachine: the owner or routing
// invites, a party answers, leaves and marks done for itself); role is the
// role it holds afterwards and sc who may see the change.
func (d *Decision) Membership(p PartyID, trigger Trigger, role Role, sc Scope) error {
	return d.fireMembership(p, trigger, role, sc, false)
}

// fireMembership is Membership; cascade: fired as part of another
// transition whose firers were checked (a consultation ending, a request
// cancelled, the session ending, another agent joining), which the table
// may let anyone make.
func (d *Decision) fireMembership(p PartyID, trigger Trigger, role Role, sc Scope, cascade bool) error {
	from := MemberNone
	q := d.State().Party(p)
	if q != nil {
		from = q.Membership
	}
	to, err := d.fire(&MembershipMachine.Chart, string(from), trigger, d.firerFor(p), cascade, GuardInput{Party: q, Member: p})
	if err != nil {
		return err
	}
	ev := Event{Type: EventMembership, Party: p, Role: role, From: string(from), To: to, Trigger: trigger, Scope: sc}
	ev.SetInvitation(sc.Invitation) // the leg or direct request of its scope, if any
	d.record(ev)
	return nil
}

// offer fires the chat offer machine (OfferMachine) for agent's offer of
// the chat: routing offering it (TriggerOffer) or taking it back
// (TriggerWithdraw), or the agent, as the actor, answering it
// (TriggerAccept, TriggerDecline). It records nothing: the command records
// the membership change the transition stands for. It checks, in order,
// who may fire it (the table's firers: the system, or the offer's target);
// a new offer's agent ID (bad input, R-X6); that an agent routing names
// has an offer at all (ErrNotFound); the guards marked First, which read
// the chat and the actor only (the chat waiting, the actor's own offer
// pending), before the offer's state; then the state and every guard.
func (d *Decision) offer(agent PartyID, trigger Trigger) error {
	m := &OfferMachine.Chart
	by := FirerOf(d.actor, "", agent)
	if err := d.checkFirers(m, trigger, by, false); err != nil {
		return err
	}
	q := d.State().Party(agent)
	from := offerOf(q)
	switch {
	case trigger == TriggerOffer:
		if err := d.CheckPartyID(agent); err != nil {
			return err
		}
	case from == OfferNone && by == BySystem:
		return d.Refuse(ErrNotFound, "", "no chat offer for "+string(agent))
	}
	in := GuardInput{Party: q}
	if err := d.checkFirstOn(m, trigger, in); err != nil {
		return err
	}
	_, err := d.fire(m, string(from), trigger, by, false, in)
	return err
}

// Role fires the role machine for party p (RoleMachine).
func (d *Decision) Role(p PartyID, trigger Trigger, sc Scope) error {
	return d.fireRole(p, trigger, sc, false)
}

// fireRole is Role; cascade as for fireMembership (a transfer, an owner
// leaving).
func (d *Decision) fireRole(p PartyID, trigger Trigger, sc Scope, cascade bool) error {
	q := d.State().Party(p)
	if q == nil {
		return d.Refuse(ErrNotFound, "", "no party "+string(p))
	}
	to, err := d.fire(&RoleMachine.Chart, q.Role.String(), trigger, d.firerFor(p), cascade, GuardInput{Party: q})
	if err != nil {
		return err
	}
	d.record(Event{Type: EventRole, Party: p, Role: roleNamed(to), Trigger: trigger, Scope: sc})
	return nil
}

// firerFor is what the command's actor is to a transition of party p's
// membership or role: the party itself (BySelf), the chat's owner, the
// system, or nobody.
func (d *Decision) firerFor(p PartyID) Firers {
	if d.actor != "" && d.actor != System && d.actor == p {
		return BySelf
	}
	owner := PartyID("")
	if o := d.State().Owner(); o != nil {
		owner = o.ID
	}
	return FirerOf(d.actor, owner, p)
}

// Supervision is the acting supervisor's transition of the role machine
// (R-X7): mode TriggerMonitor or TriggerCoach, to watch agent from now
// on, or TriggerBargeIn, to join the conversation (agent is then the one
// it watched, or "" for the chat's owner, which the policy is asked
// about). The table's guards decide whether it may, before anything is
// written. A supervisor not in the chat enters it (as a supervisor, or as
// a member when it barges in); one that already watches agent in that
// mode changes nothing. sc is who is told.
func (d *Decision) Supervision(agent PartyID, mode Trigger, sc Scope) error {
	s := d.State()
	q := s.Party(d.actor)
	present := q != nil && q.Present()
	from := RoleSupervisor.String() // the role a supervisor enters with
	if present {
		from = q.Role.String()
	}
	supervised := agent
	if supervised == "" && mode == TriggerBargeIn {
		if o := s.Owner(); o != nil {
			supervised = o.ID
		}
	}
	m := &RoleMachine.Chart
	in := GuardInput{Party: q, Supervised: supervised}
	// Who may supervise first (they read the actor only): a party that
	// barged in learns so, not that a member has no such edge.
	if err := d.checkFirstOn(m, mode, in); err != nil {
		return err
	}
	if q == nil {
		// New to the interaction: its ID is stored for good, so check it.
		if err := d.CheckPartyID(d.actor); err != nil {
			return err
		}
	}
	if agent == "" && mode != TriggerBargeIn {
		return d.Refuse(ErrBadInput, "R-X7", "no agent to supervise")
	}
	to, err := d.fire(m, from, mode, BySelf, false, in) // for itself
	if err != nil {
		return err
	}
	if !present {
		role := RoleSupervisor
		if mode == TriggerBargeIn {
			role = RoleMember
		}
		if err := d.Membership(d.actor, TriggerEnter, role, sc); err != nil {
			return err
		}
		if mode == TriggerBargeIn {
			return nil // it enters as a member: no role to change
		}
	} else if mode != TriggerBargeIn && q.Coaching == (mode == TriggerCoach) && q.Supervises == agent {
		return nil
	}
	ev := Event{Type: EventRole, Party: d.actor, Role: roleNamed(to), Trigger: mode, Scope: sc}
	if mode != TriggerBargeIn {
		ev.Supervised = agent
	}
	d.record(ev)
	return nil
}

func roleNamed(name string) Role {
	for r := RoleNone; int(r) < len(roleNames); r++ {
		if r.String() == name {
			return r
		}
	}
	return RoleNone
}

// Leg fires the leg machine. For a new leg (from none), tmpl carries the
// target agent (Party), Target and Medium. The actor must be one the
// table lets fire the transition (Transition.By); tmpl.Actor, when set,
// is the actor the event names instead of the command's.
func (d *Decision) Leg(id LegID, trigger Trigger, tmpl Event) error {
	return d.fireLeg(id, trigger, tmpl, false)
}

// fireLeg is Leg; cascade: fired as part of another change (the session
// ending, a party leaving), which the table may let anyone make.
func (d *Decision) fireLeg(id LegID, trigger Trigger, tmpl Event, cascade bool) error {
	from := LegNone
	sc := LegScope(id)
	in := GuardInput{Actor: tmpl.Actor}
	actor := d.actorOf(&tmpl)
	var by Firers
	if trigger == TriggerInvite && d.idInUse(string(id)) {
		return d.refuseIDInUse(&LegMachine.Chart, string(LegNone), trigger, &tmpl, cascade, "leg")
	}
	if l := d.State().Leg(id); l != nil {
		if err := d.checkNamedActor(&tmpl, trigger, l.Route); err != nil {
			return err
		}
		from, in.Leg = l.State, l
		by = FirerOf(actor, l.Owner, l.Invitee)
	} else if err := d.checkNamedActor(&tmpl, trigger, ""); err != nil {
		return err
	} else {
		in.Asked = askedBy(&tmpl)
		by = FirerOf(actor, actor, tmpl.Party)
	}
	to, err := d.fire(&LegMachine.Chart, string(from), trigger, by, cascade, in)
	if err != nil {
		return err
	}
	tmpl.Type, tmpl.Leg, tmpl.From, tmpl.To, tmpl.Trigger, tmpl.Scope = EventLeg, id, string(from), to, trigger, sc
	d.record(tmpl)
	return nil
}

// Request fires the request machine, as Leg does the leg machine. For a
// new request, tmpl carries the target agent (Party), Target, Request kind
// and Via; sc who may see it.
func (d *Decision) Request(id RequestID, trigger Trigger, tmpl Event, sc Scope) error {
	return d.fireRequest(id, trigger, tmpl, sc, false)
}

func (d *Decision) fireRequest(id RequestID, trigger Trigger, tmpl Event, sc Scope, cascade bool) error {
	from := RequestNone
	in := GuardInput{Actor: tmpl.Actor}
	actor := d.actorOf(&tmpl)
	var by Firers
	if trigger == TriggerRequest && d.idInUse(string(id)) {
		return d.refuseIDInUse(&RequestMachine.Chart, string(RequestNone), trigger, &tmpl, cascade, "request")
	}
	if r := d.State().Request(id); r != nil {
		if err := d.checkNamedActor(&tmpl, trigger, r.Route); err != nil {
			return err
		}
		from, in.Request = r.State, r
		by = FirerOf(actor, r.Owner, r.Invitee)
	} else if err := d.checkNamedActor(&tmpl, trigger, ""); err != nil {
		return err
	} else {
		in.Asked = askedBy(&tmpl)
		by = FirerOf(actor, actor, tmpl.Party)
	}
	to, err := d.fire(&RequestMachine.Chart, string(from), trigger, by, cascade, in)
	if err != nil {
		return err
	}
	tmpl.Type, tmpl.RequestID, tmpl.From, tmpl.To, tmpl.Trigger, tmpl.Scope = EventRequest, id, string(from), to, trigger, sc
	d.record(tmpl)
	return nil
}

// idInUse reports whether a leg or a request has the ID: the two share
// one space, so that an ID names one invitation.
func (d *Decision) idInUse(id string) bool {
	return d.State().Leg(LegID(id)) != nil || d.State().Request(RequestID(id)) != nil
}

// refuseIDInUse refuses a new leg or request whose ID is taken, but only
// after its firers and guards have held as for a new one: a party that
// may not make the invitation gets the refusal a new ID gets, and learns
// nothing of the IDs in use (privacy covers metadata, R-X6).
func (d *Decision) refuseIDInUse(m *Chart, none string, trigger Trigger, tmpl *Event, cascade bool, kind string) error {
	actor := d.actorOf(tmpl)
	in := GuardInput{Actor: tmpl.Actor, Asked: askedBy(tmpl)}
	if _, err := d.fire(m, none, trigger, FirerOf(actor, actor, tmpl.Party), cascade, in); err != nil {
		return err
	}
	return d.Refuse(ErrConflict, "", kind+" ID in use")
}

// checkNamedActor refuses an event template that names an actor other
// than the command's (the one the firers and guards then check), except
// where routing's rules write in another's name (R-X1): the system offers
// an invitation on in its owner's name, and the agent accepting an offer
// rescinds its routed invitation's rival offers as the system (cancel, on
// a route where that agent was offered the invitation too).
func (d *Decision) checkNamedActor(tmpl *Event, trigger Trigger, route RouteID) error {
	switch {
	case tmpl.Actor == "" || tmpl.Actor == d.actor || d.actor == System:
		return nil
	case tmpl.Actor == System && trigger == TriggerCancel && route != "":
		if r := d.State().Route(route); r != nil && r.HasTried(d.actor) {
			return nil
		}
	}
	return d.Refuse(ErrNotPermitted, "R-X6", "a command acts as its own actor, or as routing only where routing's rules say")
}

// actorOf is who an event of tmpl names as its actor (record fills in the
// command's when tmpl names none).
func (d *Decision) actorOf(tmpl *Event) PartyID {
	if tmpl.Actor != "" {
		return tmpl.Actor
	}
	return d.actor
}

// message records a message after checking its text: for the commands
// of this package that write past the message machines (the contact's
// first words, a coach's), never for a command author.
func (d *Decision) message(text string, kind MessageKind, sc Scope) error {
	if kind == KindText {
		if err := d.CheckText(text); err != nil {
			return err
		}
	}
	d.record(Event{Type: EventMessage, Text: text, Kind: kind, Scope: sc, Leg: LegID(sc.Invitation), Seq: d.State().MessageCount() + 1})
	return nil
}

// CheckText refuses oversized, invalid UTF-8 and blank text: empty, or
// made only of whitespace, control and invisible characters (zero-width
// space, NUL, BOM…). Inside text with something visible those characters
// are kept as written (see input.go).
func (d *Decision) CheckText(text string) error {
	switch {
	case len(text) > d.limits.MaxMessageBytes || len(text) > MaxTextBytes:
		return d.Refuse(ErrBadInput, "R-X6", "message longer than the limit")
	case !utf8.ValidString(text):
		return d.Refuse(ErrBadInput, "R-X6", "message is not valid UTF-8")
	case blank(text) && !(d.drafting && text == ""):
		return d.Refuse(ErrBadInput, "R-X6", "message is empty")
	}
	return nil
}

// MaxPartyIDBytes bounds a party ID: identifiers are the caller's user
// IDs, short and valid UTF-8.
const MaxPartyIDBytes = 256

// CheckPartyID refuses, as bad input (R-X6), a party ID that is empty,
// longer than MaxPartyIDBytes or not valid UTF-8; that has a control
// character (Cc), whitespace or an invisible character (Cf such as U+200B,
// ZWJ, the BOM and the bidi controls, other default-ignorables, variation
// selectors) anywhere; or that is or looks like the reserved System.
// "Looks like" is decided after folding the fullwidth forms U+FF01–U+FF5E,
// the mathematical alphanumeric letters and the circled letters to ASCII
// (a fold written by hand: the standard library has no NFKC), then with
// strings.EqualFold: "System", "SYSTEM", "ｓｙｓｔｅｍ" and "ſystem" are
// refused; "sys\u200btem" is refused for its invisible character. The
// answer depends on p alone, the same on every Service and Store (input.go
// has the rules in full; the function CheckPartyID is the same check
// outside a command).
//
// On an interaction not opened yet (version 0: Open, whose first check is
// its contact's ID), it also checks the interaction's own ID (CheckID); an
// empty one is refused by Service.DoCommand already.
func (d *Decision) CheckPartyID(p PartyID) error {
	if why := partyIDProblem(p); why != "" {
		return d.Refuse(ErrBadInput, "R-X6", "party ID "+why)
	}
	if d.base != nil && d.base.Version == 0 && d.base.ID != "" {
		if why := idProblem(string(d.base.ID), MaxIDBytes); why != "" {
			return d.Refuse(ErrBadInput, "R-X6", "interaction ID "+why)
		}
	}
	return nil
}

// ActingParty returns the acting party, refusing an unknown one as bad input.
func (d *Decision) ActingParty() (*Party, error) {
	if d.actor == "" {
		return nil, d.Refuse(ErrBadInput, "R-X6", "no acting party")
	}
	p := d.State().Party(d.actor)
	if p == nil {
		return nil, d.Refuse(ErrBadInput, "R-X6", "unknown party")
	}
	return p, nil
}

func (d *Decision) wrap(err error) error {
	if e, ok := err.(*Error); ok {
		e.Interaction, e.Party = d.base.ID, d.actor
		if d.op != "" {
			e.Op = d.op + ": " + e.Op
		}
	}
	return err
}

package interaction

import (
	"fmt"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"
)

// Validating a log (R-X5, R-X6, R-C5, R-X3, R-X7).
//
// A log is the truth: views, notifications (also those a Relay delivers
// from a shared store), history and exports are derived from it. So a log
// no command of this library could have written must not be served: a
// forged consultation message written for everyone would show the contact
// what R-C5 keeps from it, a forged "enter" would let a stranger read the
// chat. Apply therefore runs every event through validate first; Rebuild,
// a Service loading an interaction from its Store, a history Projection and
// a Relay all fold through Apply, and so does every Decision: a command
// cannot write an event that validate refuses (it fails instead, and
// nothing is written), so what the library writes is what it reads back.
//
// Each rule below says which command writes the events it admits. The
// rules are checked against the state before the event.

// MaxTextBytes is the largest message text a log may hold, in bytes of
// UTF-8, whatever the Service's Limits: WithLimits and CheckText cap
// Limits.MaxMessageBytes there, so no command writes a longer one.
const MaxTextBytes = 64 << 10

// LogError is the error Apply (and so Rebuild) returns for an event that
// no command could have written. It wraps ErrCorruptLog.
type LogError struct {
	Rule    string    // the SPEC.md rule the event breaks, e.g. "R-C5"
	Check   string    // which kind of rule; see below
	Version uint64    // the event's stream version
	Type    EventType // the event's type
	Detail  string
}

// The kinds of rule a LogError names in Check. The harness kit's invariant
// checker (package chatconsulttest) reports a refused event under the same
// names.
const (
	checkStream      = "stream"            // versions, first event, interaction, time, actor present
	checkTransition  = "transition"        // a state change its machine declares, from the state it was in
	checkNumbering   = "numbering"         // messages numbered 1, 2, … without gaps
	checkInput       = "input"             // IDs and text a command would have accepted
	checkAuthor      = "author"            // who may write a message in which scope
	checkParty       = "party"             // who may join, invite, leave, supervise, in which role
	checkScope       = "scope"             // who is told of an event
	checkLegPrivate  = "leg-private"       // a leg's or a request's events stay with its two agents
	checkSupervision = "supervisor-hidden" // a supervisor is told to nobody but whom it coaches
)

func (e *LogError) Error() string {
	return fmt.Sprintf("%v: event %d (%s): %s: %s", ErrCorruptLog, e.Version, e.Type, e.Rule, e.Detail)
}

// Unwrap returns ErrCorruptLog.
func (e *LogError) Unwrap() error { return ErrCorruptLog }

func refuse(ev *Event, rule, check, format string, args ...any) error {
	return &LogError{Rule: rule, Check: check, Version: ev.Version, Type: ev.Type, Detail: fmt.Sprintf(format, args...)}
}

// skipValidation turns validate off, for the benchmark that measures what
// it costs (export_test.go). Nothing else sets it.
var skipValidation atomic.Bool

// validate checks that ev can follow s (check) and, when it does, records
// its time as the last one seen.
func (s *State) validate(ev *Event) error {
	if err := s.check(ev); err != nil {
		return err
	}
	s.log.last = eventTimeOf(ev.Time)
	return nil
}

// check reports whether ev can follow s: whether some command of this
// library, run on s, could have written it. It changes nothing.
func (s *State) check(ev *Event) error {
	if ev.Version <= s.log.trusted {
		// Validated already, by the Decision that wrote it, on this very
		// state (Service.DoCommand applies a command's events after the
		// append).
		return nil
	}
	if skipValidation.Load() {
		return nil
	}
	// The stream (R-X5): the next version, opened first and only first, one
	// interaction, known event types. Reminders are signals to one agent,
	// never stored (R-C9, signals.NotifierSink).
	switch {
	case ev.Version != s.Version+1:
		return refuse(ev, "R-X5", checkStream, "version %d, want %d", ev.Version, s.Version+1)
	case ev.Type == EventReminder:
		return refuse(ev, "R-C9", checkStream, "a reminder is a signal to one agent, never part of a stream")
	case ev.Type == EventTyping:
		return refuse(ev, "R-X5", checkStream, "typing is a signal, never part of a stream")
	case ev.Type < EventOpened || ev.Type > EventRead:
		return refuse(ev, "R-X5", checkStream, "unknown event type %d", ev.Type)
	case (s.Version == 0) != (ev.Type == EventOpened):
		return refuse(ev, "R-X5", checkStream, "a stream starts with opened, and only once")
	case s.Version == 0 && (ev.Interaction == "" || (s.ID != "" && ev.Interaction != s.ID)):
		return refuse(ev, "R-X5", checkStream, "opens interaction %q in the stream of %q", ev.Interaction, s.ID)
	case s.Version > 0 && ev.Interaction != s.ID:
		return refuse(ev, "R-X5", checkStream, "event of interaction %q in the stream of %q", ev.Interaction, s.ID)
	case ev.RequestID != "" && !ev.namesRequest():
		return refuse(ev, "R-X5", checkInput, "%s event names request %s: only a request event and a direct request's agent's membership change do", ev.Type, ev.RequestID)
	}
	// Every event names who caused it (R-X5): the system or a party of the
	// interaction. Every command but Open checks its acting party
	// (ActingParty, the firers and guards of the tables, the System-only
	// commands); the contact opening its chat and a supervisor entering are
	// the actors of their own events, checked below. A party's ID was
	// checked when it joined; any other actor's is checked here (R-X6).
	var actor *Party // nil for the system and for a party not yet in
	switch {
	case ev.Actor == "":
		return refuse(ev, "R-X5", checkStream, "event without an actor")
	case ev.Actor == System:
	default:
		if actor = s.Party(ev.Actor); actor != nil {
			break
		}
		if !validPartyID(ev.Actor) {
			return refuse(ev, "R-X6", checkInput, "actor is not a valid party ID")
		}
		if ev.Type != EventOpened && !(ev.Type == EventMembership && ev.Trigger == TriggerEnter && ev.Party == ev.Actor) {
			return refuse(ev, "R-X6", checkParty, "%s is not a party of this interaction", ev.Actor)
		}
	}
	// Time never goes backwards: every event of a command has the command's
	// time, and the Service never decides a command before the last event
	// (Service.DoCommand). Compared on the wall clock, as stores keep it.
	at := eventTimeOf(ev.Time)
	if at.before(s.log.last) {
		return refuse(ev, "R-X5", checkStream, "time %s before the previous event's %s", ev.Time.Format(time.RFC3339Nano), s.log.last.time().Format(time.RFC3339Nano))
	}
	var err error
	switch ev.Type {
	case EventOpened:
		err = s.validateOpened(ev)
	case EventStatus:
		err = s.validateStatus(ev, actor)
	case EventMembership:
		err = s.validateMembership(ev, actor)
	case EventRole:
		err = s.validateRole(ev)
	case EventMessage:
		err = s.validateMessage(ev, actor)
	case EventLeg:
		err = s.validateLeg(ev, actor)
	case EventRequest:
		err = s.validateRequest(ev, actor)
	case EventRead:
		err = s.validateRead(ev, actor)
	}
	if err == nil && ev.Attachments.Len() > 0 {
		err = validateAttachments(ev)
	}
	return err
}

// logCheck is what validate keeps in a State.
type logCheck struct {
	last eventTime // the time of the last event applied
	// trusted: events up to this version were validated by the Decision
	// that recorded them on a copy of this state. Set by the Service only
	// while it applies a committed command's events, then cleared, so that
	// a rebuilt state equals the live one.
	trusted uint64
}

// eventTime is an instant on the wall clock, as a store keeps it: no
// monotonic reading, no location (so State holds no pointer for it).
type eventTime struct {
	sec  int64
	nsec int32
}

func eventTimeOf(t time.Time) eventTime { return eventTime{t.Unix(), int32(t.Nanosecond())} }

func (a eventTime) before(b eventTime) bool {
	return a.sec < b.sec || (a.sec == b.sec && a.nsec < b.nsec)
}

func (a eventTime) time() time.Time { return time.Unix(a.sec, int64(a.nsec)).UTC() }

// validPartyID is CheckPartyID's rule (R-X6): not empty, not the reserved
// System, at most MaxPartyIDBytes of valid UTF-8.
func validPartyID(p PartyID) bool {
	return p != "" && p != System && len(p) <= MaxPartyIDBytes && utf8.ValidString(string(p))
}

// validText is CheckText's rule (R-X6), with the log's own bound: at most
// MaxTextBytes of valid UTF-8, not blank.
func validText(text string) bool {
	if len(text) > MaxTextBytes || !utf8.ValidString(text) {
		return false
	}
	for _, r := range text {
		if !unicode.IsSpace(r) {
			return true
		}
	}
	return false
}

// opened: Open, by the contact itself, for everyone.
func (s *State) validateOpened(ev *Event) error {
	switch {
	case !validPartyID(ev.Party):
		return refuse(ev, "R-X6", checkInput, "the contact is not a valid party ID")
	case ev.Actor != ev.Party:
		return refuse(ev, "R-X6", checkParty, "%s opens the chat of contact %s", ev.Actor, ev.Party)
	case ev.Scope != Everyone:
		return refuse(ev, "R-X6", checkScope, "opened in scope %s", ev.Scope.Kind)
	}
	return nil
}

// status: Decision.Status, for everyone. agent_joins is Join's: the agent
// who joined is the present owner.
func (s *State) validateStatus(ev *Event, actor *Party) error {
	if s.Status != Status(ev.From) || !InteractionMachine.Allows(Status(ev.From), ev.Trigger, Status(ev.To)) {
		return refuse(ev, "R-X5", checkTransition, "interaction %s -%s-> %s not declared from %s", ev.From, ev.Trigger, ev.To, s.Status)
	}
	if ev.Scope != Everyone {
		return refuse(ev, "R-X6", checkScope, "status change in scope %s", ev.Scope.Kind)
	}
	if ev.Trigger == "agent_joins" {
		if actor == nil || actor.Role != RoleOwner || !actor.Present() {
			return refuse(ev, "R-X6", checkParty, "the chat becomes active when its owner joins, not by %s", ev.Actor)
		}
	}
	return nil
}

// present reports whether party id is in the chat now, in an engaged role
// if engaged is set.
func (s *State) present(id PartyID, engaged bool) bool {
	p := s.Party(id)
	return p != nil && p.Present() && (!engaged || p.Role.Engaged())
}

// membership: who may enter or be invited, in which role, by whom, and who
// is told.
func (s *State) validateMembership(ev *Event, actor *Party) error {
	if !validPartyID(ev.Party) {
		return refuse(ev, "R-X6", checkInput, "party is not a valid party ID")
	}
	if ev.Role < RoleContact || ev.Role > RoleSupervisor {
		return refuse(ev, "R-X6", checkInput, "unknown role %d", ev.Role)
	}
	if s.Party(ev.Party) == nil && len(s.Parties) >= MaxParties {
		return refuse(ev, "R-X6", checkInput, "a party more than the %d an interaction holds", MaxParties)
	}
	// It names the leg or direct request of its scope, if any, where
	// SetInvitation puts it (Decision.Membership): an owner's or member's,
	// a direct request, in RequestID, never in Leg; any other party's, a
	// leg, in Leg (validated above: no request). That the scope is such a
	// request's or leg is checked with the scope below.
	if ev.Invitation() != ev.Scope.Invitation || (ev.Leg != "" && ev.namesRequest()) {
		return refuse(ev, "R-X5", checkInput, "membership change of %s names leg %q and request %q in scope %s", ev.Party, ev.Leg, ev.RequestID, scopeName(ev.Scope))
	}
	// One contact, always in the contact's role (Open); every other party
	// is an agent or a supervisor.
	if (ev.Party == s.Contact) != (ev.Role == RoleContact) {
		return refuse(ev, "R-X6", checkParty, "%s in the %s role: the contact %s is the only party in the contact's role", ev.Party, ev.Role, s.Contact)
	}
	p := s.Party(ev.Party)
	from := MemberNone
	if p != nil {
		from = p.Membership
	}
	if from != MemberState(ev.From) || !MembershipMachine.Allows(MemberState(ev.From), ev.Trigger, MemberState(ev.To)) {
		return refuse(ev, "R-X5", checkTransition, "membership of %s %s -%s-> %s not declared from %s", ev.Party, ev.From, ev.Trigger, ev.To, from)
	}
	switch ev.Trigger {
	case TriggerEnter:
		if err := s.validateEnter(ev, p); err != nil {
			return err
		}
	case TriggerInvite:
		if err := s.validateInvite(ev, actor); err != nil {
			return err
		}
	default:
		// Every other change keeps the party's role (Decision.Membership
		// is given the party's role by Join, Decline, MarkDone, Depart,
		// ReleaseTarget, CancelRequest, EndSession, consult's Accept,
		// Decline, AcceptRequest and dropRequest).
		if ev.Role != p.Role {
			return refuse(ev, "R-X5", checkTransition, "%s %s in the %s role, but it is in the %s role", ev.Party, ev.Trigger, ev.Role, p.Role)
		}
	}
	switch ev.Trigger {
	case TriggerAccept, TriggerDecline:
		// The invited party answers for itself: Join, Decline (a chat
		// offer), consult's Accept, Decline, AcceptRequest, DeclineRequest.
		if ev.Actor != ev.Party {
			return refuse(ev, "R-X6", checkParty, "%s answers the invitation of %s", ev.Actor, ev.Party)
		}
	case TriggerDone:
		// MarkDone: an agent who took part marks done for itself (R-C8).
		if ev.Actor != ev.Party || p.Role == RoleContact || !p.TookPart {
			return refuse(ev, "R-C8", checkParty, "%s marks done for %s (%s, took part: %v)", ev.Actor, ev.Party, p.Role, p.TookPart)
		}
	case TriggerRemove:
		// consult.Remove: a present owner removes a conference member (R-F5).
		if actor == nil || actor.Role != RoleOwner || !actor.Present() || ev.Actor == ev.Party || p.Role != RoleMember {
			return refuse(ev, "R-F5", checkParty, "%s removes %s (a %s): only an owner removes a conference member", ev.Actor, ev.Party, p.Role)
		}
	}
	return s.validateMembershipScope(ev)
}

// enter is for the contact at open (Open writes it as version 2) and for
// supervisors, as themselves, in an active chat: Monitor and Coach enter
// as RoleSupervisor, BargeIn as RoleMember. A supervisor who left may come
// back; nobody who was in the chat in another role enters (R-X6, R-X7).
func (s *State) validateEnter(ev *Event, p *Party) error {
	if ev.Role == RoleContact {
		if ev.Version != 2 {
			return refuse(ev, "R-X5", checkStream, "the contact enters once, right after opening")
		}
		return nil
	}
	if ev.Version == 2 {
		return refuse(ev, "R-X5", checkStream, "the contact enters right after opening, not %s", ev.Party)
	}
	switch {
	case ev.Role != RoleSupervisor && ev.Role != RoleMember:
		return refuse(ev, "R-X6", checkParty, "%s enters as %s: only supervisors enter uninvited", ev.Party, ev.Role)
	case ev.Actor != ev.Party:
		return refuse(ev, "R-X7", checkParty, "%s makes %s enter: a supervisor enters as itself", ev.Actor, ev.Party)
	case p != nil && p.Role != RoleSupervisor:
		return refuse(ev, "R-X7", checkParty, "%s was a %s of this interaction, not a supervisor", ev.Party, p.Role)
	case s.Status != StatusActive:
		return refuse(ev, "R-X7", checkParty, "a supervisor enters an active chat, not a %s one", s.Status)
	case ev.Role == RoleMember && ev.Scope != Everyone:
		return refuse(ev, "R-X7", checkScope, "%s barges in, told to %s only: a conference member is seen by all", ev.Party, scopeName(ev.Scope))
	}
	return nil
}

// invite: an agent is offered the chat by routing (Assign: System, while
// the chat waits, as owner), invited to a consultation (consult.Start by
// the owner, Reroute by System, as consultant) or asked by a direct
// transfer or conference request (consult.Direct by the owner, Reroute by
// System, as owner or member). Never the contact, never the inviter.
func (s *State) validateInvite(ev *Event, actor *Party) error {
	if ev.Actor != System && (actor == nil || actor.Role != RoleOwner || !actor.Present()) {
		return refuse(ev, "R-X6", checkParty, "%s invites %s: only the present owner or routing invites", ev.Actor, ev.Party)
	}
	if ev.Party == ev.Actor {
		return refuse(ev, "R-X6", checkParty, "%s invites itself", ev.Party)
	}
	switch ev.Role {
	case RoleOwner, RoleMember, RoleConsultant:
	default:
		return refuse(ev, "R-X6", checkParty, "%s invited in the %s role", ev.Party, ev.Role)
	}
	if ev.Scope == PartyScope(ev.Party) && ev.Role == RoleOwner && ev.Actor == System && s.Status == StatusWaiting {
		return nil // a chat offer (R-X1)
	}
	if ev.Scope.Kind == ScopeLeg {
		if l := s.lastLeg(LegID(ev.Scope.Invitation)); l != nil {
			if ev.Role == RoleConsultant && l.Invitee == ev.Party && l.State == LegInviting {
				return nil // the target of the consultation just started (R-C3)
			}
		} else if r := s.lastRequest(RequestID(ev.Scope.Invitation)); r != nil && r.Via == "" && r.Invitee == ev.Party && r.State == RequestPending {
			if (r.Kind == RequestTransfer && ev.Role == RoleOwner) || (r.Kind == RequestConference && ev.Role == RoleMember) {
				return nil // the agent of a direct request (R-X4)
			}
		}
	}
	if ev.Role == RoleConsultant {
		// A consultation's invitation is told to its two agents only.
		return refuse(ev, "R-C5", checkLegPrivate, "%s invited as a consultation target in scope %s, not its consultation's", ev.Party, scopeName(ev.Scope))
	}
	return refuse(ev, "R-X6", checkParty, "%s invited in the %s role in scope %s: no chat offer or request invites it", ev.Party, ev.Role, scopeName(ev.Scope))
}

// validateMembershipScope: who is told of a membership change
// (membershipScope and the commands that name a scope). The contact's are
// told to everyone. A supervisor's only to itself or, entering to coach,
// to the agent it coaches (R-X7). A consultation target's to the agents of
// one of its legs or to itself (R-C5, R-X3). An engaged agent's to
// everyone, to itself (chat offers, withdrawn invitations) or within a
// direct request it was asked (R-X4).
func (s *State) validateMembershipScope(ev *Event) error {
	sc, own := ev.Scope, ev.Scope == PartyScope(ev.Party)
	switch ev.Role {
	case RoleContact:
		if sc == Everyone {
			return nil
		}
	case RoleSupervisor:
		if own || (ev.Trigger == TriggerEnter && sc.Kind == ScopeCoach && sc.Invitation == "" && s.present(sc.Party, true)) {
			return nil
		}
		return refuse(ev, "R-X7", checkSupervision, "supervisor %s %s in scope %s", ev.Party, ev.To, scopeName(sc))
	case RoleConsultant:
		if own {
			return nil
		}
		if sc.Kind == ScopeLeg && sc.Party == "" {
			if l := s.lastLeg(LegID(sc.Invitation)); l != nil && l.Invitee == ev.Party {
				return nil
			}
		}
		return refuse(ev, "R-C5", checkLegPrivate, "consultation target %s %s in scope %s", ev.Party, ev.To, scopeName(sc))
	case RoleOwner, RoleMember:
		if sc == Everyone || own {
			return nil
		}
		if sc.Kind == ScopeLeg && sc.Party == "" && s.lastLeg(LegID(sc.Invitation)) == nil {
			if r := s.lastRequest(RequestID(sc.Invitation)); r != nil && r.Invitee == ev.Party {
				return nil
			}
		}
	}
	return refuse(ev, "R-X6", checkScope, "%s (%s) %s in scope %s", ev.Party, ev.Role, ev.To, scopeName(sc))
}

// role: transfer (Decision.HandOver) and conference (AcceptRequest),
// hand-over (Depart), barge-in (BargeIn), all told to everyone; and a
// supervisor's mode (Monitor, Coach) naming the agent it supervises.
func (s *State) validateRole(ev *Event) error {
	p := s.Party(ev.Party)
	if p == nil {
		return refuse(ev, "R-X5", checkTransition, "role of unknown party %s", ev.Party)
	}
	if ev.Role < RoleContact || ev.Role > RoleSupervisor {
		return refuse(ev, "R-X6", checkInput, "unknown role %d", ev.Role)
	}
	if !RoleMachine.Allows(p.Role.State(), ev.Trigger, ev.Role.State()) {
		return refuse(ev, "R-X5", checkTransition, "role of %s %s -%s-> %s not declared", ev.Party, p.Role, ev.Trigger, ev.Role)
	}
	if !p.Present() {
		return refuse(ev, "R-X5", checkTransition, "role of %s changes while it is %s", ev.Party, p.Membership)
	}
	if ev.Role == RoleSupervisor {
		// R-X7: a supervisor monitors or coaches, as itself, an agent
		// engaged with the contact, in an active chat; a monitor is told to
		// itself only, coaching to the coached agent.
		agent := ev.Supervised
		switch {
		case ev.Actor != ev.Party:
			return refuse(ev, "R-X7", checkParty, "%s sets the supervision of %s", ev.Actor, ev.Party)
		case ev.Trigger != TriggerMonitor && ev.Trigger != TriggerCoach:
			return refuse(ev, "R-X7", checkParty, "supervision of %s in unknown mode %q", ev.Party, ev.Trigger)
		case ev.Target != (Target{}):
			return refuse(ev, "R-X7", checkParty, "supervision of %s names a target: the supervised agent is Supervised", ev.Party)
		case agent == ev.Party || !s.present(agent, true):
			return refuse(ev, "R-X7", checkParty, "%s supervises %q, not an agent engaged with the contact", ev.Party, agent)
		case s.Status != StatusActive:
			return refuse(ev, "R-X7", checkParty, "supervision of a %s chat", s.Status)
		case ev.Trigger == TriggerMonitor && ev.Scope != PartyScope(ev.Party),
			ev.Trigger == TriggerCoach && ev.Scope != (Scope{Kind: ScopeCoach, Party: agent}):
			return refuse(ev, "R-X7", checkSupervision, "%s starts to %s %s in scope %s", ev.Party, ev.Trigger, agent, scopeName(ev.Scope))
		}
		return nil
	}
	if ev.Scope != Everyone {
		return refuse(ev, "R-X6", checkScope, "role change of %s in scope %s", ev.Party, scopeName(ev.Scope))
	}
	switch ev.Trigger {
	case "barge_in":
		if ev.Actor != ev.Party || s.Status != StatusActive {
			return refuse(ev, "R-X7", checkParty, "%s barges %s in (chat %s): a supervisor barges in as itself, in an active chat", ev.Actor, ev.Party, s.Status)
		}
	case TriggerHandOver:
		// Depart: the earliest member takes over when no owner is left (R-F6).
		if s.Owner() != nil {
			return refuse(ev, "R-F6", checkParty, "%s takes over while %s owns the chat", ev.Party, s.Owner().ID)
		}
	}
	return nil
}

// message: who may write in which scope, and what.
func (s *State) validateMessage(ev *Event, p *Party) error {
	if ev.Seq != s.MessageCount()+1 {
		return refuse(ev, "R-X6", checkNumbering, "message numbered %d after %d", ev.Seq, s.MessageCount())
	}
	if !validText(ev.Text) && !(ev.Text == "" && ev.Attachments.Len() > 0 && ev.Kind == KindText) {
		// A message with attachments may have no text (CheckContent).
		return refuse(ev, "R-X6", checkInput, "blank, oversized or invalid UTF-8 text (%d bytes)", len(ev.Text))
	}
	sc := ev.Scope
	if InvitationID(ev.Leg) != sc.Invitation || (sc.Kind == ScopeLeg) != (sc.Invitation != "") || (sc.Party != "") != (sc.Kind == ScopeParty || sc.Kind == ScopeCoach) {
		// The Decision's messages and notices set Leg from the scope; a scope names
		// a leg or a party exactly when its kind does.
		return refuse(ev, "R-C5", checkAuthor, "a message of leg %q in scope %s", ev.Leg, scopeName(sc))
	}
	switch ev.Kind {
	case KindNotice:
		// Decision.Notice: the library's notices, by System, to everyone
		// (joined, transferred, removed) or to one agent (declined, timed
		// out, no one available: the owner who asked), never to the contact.
		if ev.Actor != System {
			return refuse(ev, "R-X5", checkAuthor, "notice by %s, not the system", ev.Actor)
		}
		switch sc.Kind {
		case ScopeEveryone:
			return nil
		case ScopeParty:
			if q := s.Party(sc.Party); q != nil && q.Role != RoleContact {
				return nil
			}
		}
		return refuse(ev, "R-X6", checkAuthor, "notice in scope %s", scopeName(sc))
	case KindText:
	default:
		return refuse(ev, "R-X6", checkInput, "unknown message kind %d", ev.Kind)
	}
	if ev.Actor == System {
		return refuse(ev, "R-X6", checkAuthor, "the system writes notices, not text")
	}
	if p == nil || !p.Present() {
		return refuse(ev, "R-X6", checkAuthor, "%s writes but is not in the chat", ev.Actor)
	}
	switch sc.Kind {
	case ScopeEveryone:
		// Post (and Open's first message): the contact (also while the chat
		// waits) and the engaged agents of an active chat (R-F3). A
		// consultation target talks in its leg (R-C5); a supervisor writes
		// to everyone only once it barged in (R-X7).
		switch {
		case p.Role == RoleConsultant:
			return refuse(ev, "R-C5", checkAuthor, "consultation target %s writes to the contact", ev.Actor)
		case p.Role == RoleSupervisor:
			return refuse(ev, "R-X7", checkAuthor, "supervisor %s writes to the contact without barging in", ev.Actor)
		case p.Role != RoleContact && !p.Role.Engaged():
			return refuse(ev, "R-X6", checkAuthor, "%s (%s) writes to everyone", ev.Actor, p.Role)
		case s.Status != StatusActive && !(s.Status == StatusWaiting && p.Role == RoleContact):
			return refuse(ev, "R-X6", checkAuthor, "%s (%s) writes in a %s chat", ev.Actor, p.Role, s.Status)
		}
	case ScopeLeg:
		// consult.Say: one of the leg's two agents, while the leg is active,
		// in a chat or IM leg (R-C5, R-X3, R-C4, R-C10).
		l := s.lastLeg(LegID(sc.Invitation))
		switch {
		case l == nil:
			return refuse(ev, "R-C5", checkAuthor, "message in the scope of %s, which is no consultation", sc.Invitation)
		case ev.Actor != l.Owner && ev.Actor != l.Invitee:
			return refuse(ev, "R-X3", checkAuthor, "%s writes in leg %s of %s and %s", ev.Actor, l.ID, l.Owner, l.Invitee)
		case l.State != LegActive:
			return refuse(ev, "R-C4", checkAuthor, "message in leg %s, which is %s", l.ID, l.State)
		case l.Medium == MediumVoice:
			return refuse(ev, "R-C10", checkAuthor, "message in voice leg %s", l.ID)
		}
	case ScopeAgents:
		// Note: an engaged agent; never the contact, a supervisor (it would
		// show itself to every agent, R-X7) or a consultation target (its
		// note would reach other legs' targets, R-X3).
		switch p.Role {
		case RoleOwner, RoleMember:
		case RoleSupervisor:
			return refuse(ev, "R-X7", checkAuthor, "supervisor %s writes a note every agent sees", ev.Actor)
		case RoleConsultant:
			return refuse(ev, "R-X3", checkAuthor, "consultation target %s writes a note every agent sees", ev.Actor)
		default:
			return refuse(ev, "R-X6", checkAuthor, "%s (%s) writes an agents' note", ev.Actor, p.Role)
		}
	case ScopeCoach:
		// Coach: a supervisor coaching that agent, engaged and present, in
		// an active chat (R-X7).
		if p.Role != RoleSupervisor || !p.Coaching || p.Supervises != sc.Party || !s.present(sc.Party, true) || s.Status != StatusActive {
			return refuse(ev, "R-X7", checkAuthor, "%s (%s) writes coaching for %s without coaching it", ev.Actor, p.Role, sc.Party)
		}
	default:
		// No command writes text for one party only, or in an unknown scope:
		// a consultation target's words stay in its leg (R-C5).
		rule := "R-X6"
		if p.Role == RoleConsultant {
			rule = "R-C5"
		}
		return refuse(ev, rule, checkAuthor, "%s (%s) writes text in scope %s", ev.Actor, p.Role, scopeName(sc))
	}
	return nil
}

// leg: consult's commands. A leg starts from a present owner of an active
// chat to another agent (Start; Reroute on the owner's behalf), always in
// its own scope (R-C5); its target answers (Accept, Decline), the clock
// times it out (TimeOut, Reroute), its agents turn it into a transfer or
// conference (Transfer, AcceptRequest); anyone whose command ends the
// session or takes an agent out ends or cancels it.
func (s *State) validateLeg(ev *Event, actor *Party) error {
	if ev.Leg == "" {
		return refuse(ev, "R-C1", checkInput, "leg without an ID")
	}
	if ev.Scope != LegScope(ev.Leg) {
		return refuse(ev, "R-C5", checkLegPrivate, "leg %s event in scope %s", ev.Leg, scopeName(ev.Scope))
	}
	l := s.lastLeg(ev.Leg)
	if l == nil {
		if ev.From != string(LegNone) {
			return refuse(ev, "R-X5", checkTransition, "unknown leg %s", ev.Leg)
		}
		if s.lastRequest(RequestID(ev.Leg)) != nil {
			return refuse(ev, "R-X5", checkInput, "leg %s has a request's ID", ev.Leg)
		}
		if err := s.validateInvitation(ev, actor, "R-C1"); err != nil {
			return err
		}
		if ev.Medium > MediumVoice || ev.Target.Kind > TargetQueue {
			return refuse(ev, "R-C2", checkInput, "unknown medium %d or target kind %d", ev.Medium, ev.Target.Kind)
		}
		if err := s.validateOffer(ev); err != nil {
			return err
		}
	} else if ev.Route != "" || !ev.Deadline.IsZero() {
		return refuse(ev, "R-X1", checkInput, "leg %s names its route or deadline after its invitation", ev.Leg)
	}
	state := LegNone
	if l != nil {
		state = l.State
	}
	if state != LegState(ev.From) || !LegMachine.Allows(LegState(ev.From), ev.Trigger, LegState(ev.To)) {
		return refuse(ev, "R-X5", checkTransition, "leg %s %s -%s-> %s not declared from %s", ev.Leg, ev.From, ev.Trigger, ev.To, state)
	}
	if l == nil {
		return nil // the invitation: its actor was checked above
	}
	if err := validateFirer(ev, &LegMachine.Chart, l.Owner, l.Invitee); err != nil {
		return err
	}
	switch ev.Trigger {
	case TriggerAccept:
		return s.validateTake(ev, l.Route)
	case TriggerTimeOut:
		return validateDue(ev, l.Deadline)
	}
	return nil
}

// firer: who may fire a transition of a leg or request is declared with
// its machine (Transition.By), and a log is held to it as commands
// are: the target answers, the system times out, the owner transfers, the
// target turns the leg into a conference. A transition that may also come
// from another change (ByCascade: the session ending, a party leaving) is
// anyone's.
func validateFirer(ev *Event, m *Chart, owner, target PartyID) error {
	p, ok := m.Firers(ev.Trigger)
	if !ok || p.By&ByCascade != 0 || m.MayFire(ev.Trigger, FirerOf(ev.Actor, owner, target)) {
		return nil
	}
	return refuse(ev, p.Rule, checkParty, "%s fires %s on %s %s of %s and %s: only %s may", ev.Actor, ev.Trigger, m.Name, ev.Invitation(), owner, target, p.By.words())
}

// validateInvitation: the first event of a leg or request is the present
// owner's of an active chat (consult.Start, Conference, Direct; Reroute
// names the owner as the actor), to another agent: not the contact, not
// the system, not the owner itself (R-C1, R-X4).
func (s *State) validateInvitation(ev *Event, owner *Party, rule string) error {
	switch {
	case owner == nil || owner.Role != RoleOwner || !owner.Present():
		return refuse(ev, rule, checkParty, "%s, not the present owner, asks for %s", ev.Actor, ev.Party)
	case s.Status != StatusActive:
		return refuse(ev, rule, checkParty, "asked in a %s chat", s.Status)
	case !validPartyID(ev.Party):
		return refuse(ev, "R-X6", checkInput, "the target is not a valid party ID")
	case ev.Party == s.Contact || ev.Party == ev.Actor:
		return refuse(ev, rule, checkParty, "target %s is the contact or the owner itself: a consultation is with another internal agent", ev.Party)
	}
	return nil
}

// request: a transfer or conference request from the present owner
// (Conference, from one of its active consultations, to that target;
// Direct, to another agent; Reroute on the owner's behalf), told to the
// owner and the agent asked only: in the scope of its consultation, or its
// own (R-F4, R-X4). The agent asked answers (AcceptRequest, DeclineRequest),
// the clock times it out (TimeOutRequest, Reroute); anyone may cancel it
// along with what it depends on (CancelRequest).
func (s *State) validateRequest(ev *Event, actor *Party) error {
	if ev.RequestID == "" {
		return refuse(ev, "R-X4", checkInput, "request without an ID")
	}
	if ev.Leg != "" {
		return refuse(ev, "R-X5", checkInput, "request %s event names leg %s", ev.RequestID, ev.Leg)
	}
	r := s.lastRequest(ev.RequestID)
	if r == nil {
		if ev.From != string(RequestNone) {
			return refuse(ev, "R-X5", checkTransition, "unknown request %s", ev.RequestID)
		}
		if s.lastLeg(LegID(ev.RequestID)) != nil {
			return refuse(ev, "R-X5", checkInput, "request %s has a leg's ID", ev.RequestID)
		}
		if err := s.validateInvitation(ev, actor, "R-X4"); err != nil {
			return err
		}
		if ev.RequestKind != RequestTransfer && ev.RequestKind != RequestConference {
			return refuse(ev, "R-X4", checkInput, "request of kind %d", ev.RequestKind)
		}
		if ev.Target.Kind > TargetQueue {
			return refuse(ev, "R-C2", checkInput, "unknown target kind %d", ev.Target.Kind)
		}
		if ev.Via != "" {
			if l := s.lastLeg(ev.Via); l == nil || l.Owner != ev.Actor || l.Invitee != ev.Party || l.State != LegActive {
				return refuse(ev, "R-F1", checkParty, "request %s via %s, not an active consultation of %s with %s", ev.RequestID, ev.Via, ev.Actor, ev.Party)
			}
		}
		if err := s.validateOffer(ev); err != nil {
			return err
		}
	} else if ev.Route != "" || !ev.Deadline.IsZero() {
		return refuse(ev, "R-X1", checkInput, "request %s names its route or deadline after it was made", ev.RequestID)
	}
	via := ev.Via
	if r != nil {
		via = r.Via
	}
	want := RequestScope(ev.RequestID)
	if via != "" {
		want = LegScope(via)
	}
	if ev.Scope != want {
		return refuse(ev, "R-C5", checkLegPrivate, "request %s event in scope %s", ev.RequestID, scopeName(ev.Scope))
	}
	state := RequestNone
	if r != nil {
		state = r.State
	}
	if state != RequestState(ev.From) || !RequestMachine.Allows(RequestState(ev.From), ev.Trigger, RequestState(ev.To)) {
		return refuse(ev, "R-X5", checkTransition, "request %s %s -%s-> %s not declared from %s", ev.RequestID, ev.From, ev.Trigger, ev.To, state)
	}
	if r == nil {
		return nil // the request itself: its actor was checked above
	}
	if err := validateFirer(ev, &RequestMachine.Chart, r.Owner, r.Invitee); err != nil {
		return err
	}
	switch ev.Trigger {
	case TriggerAccept:
		return s.validateTake(ev, r.Route)
	case TriggerTimeOut:
		return validateDue(ev, r.Deadline)
	}
	return nil
}

// offer: the first event of a leg or request. Its deadline, if any, is
// after it (consult's commands add their time-out to the command's time).
// An offer of a routed invitation (R-X1): consult's Start and Direct begin
// a route for a group,
// skill or queue (never for a named agent, nor for a request made from a
// consultation), and Reroute, or Start and Direct again, offer it on. Every
// offer of a route is of the same kind (consultation legs, or requests of
// one kind), from the same owner, to the same target (and medium); no agent
// is offered a route twice, and nothing is offered once an offer was taken.
func (s *State) validateOffer(ev *Event) error {
	if !ev.Deadline.IsZero() && !eventTimeOf(ev.Time).before(eventTimeOf(ev.Deadline)) {
		// consult's commands set a deadline their time-out after the
		// invitation (R-X1).
		return refuse(ev, "R-X1", checkInput, "%s %s is due at %s, not after it is made", ev.Type, ev.Invitation(), ev.Deadline.Format(time.RFC3339Nano))
	}
	if ev.Route == "" {
		return nil
	}
	if why := idProblem(string(ev.Route), MaxIDBytes); why != "" {
		return refuse(ev, "R-X6", checkInput, "route ID %s", why)
	}
	if ev.Target.Kind == TargetAgent || ev.Via != "" {
		return refuse(ev, "R-X1", checkInput, "%s %s is routed, but it is aimed at a named agent or made from a consultation", ev.Type, ev.Invitation())
	}
	r := s.Route(ev.Route)
	if r == nil {
		return nil // the route's first offer
	}
	request := ev.Type == EventRequest
	if (r.RequestKind != RequestNoKind) != request || r.Owner != ev.Actor || r.Target != ev.Target ||
		(request && r.RequestKind != ev.RequestKind) || (!request && r.Medium != ev.Medium) {
		return refuse(ev, "R-X1", checkParty, "%s %s joins route %s of another owner, target, medium or kind", ev.Type, ev.Invitation(), ev.Route)
	}
	if r.Taken != "" {
		return refuse(ev, "R-X1", checkTransition, "%s %s offers route %s, which %s took already", ev.Type, ev.Invitation(), ev.Route, r.Taken)
	}
	if r.HasTried(ev.Party) {
		return refuse(ev, "R-X1", checkParty, "%s is offered route %s a second time", ev.Party, ev.Route)
	}
	return nil
}

// due: an invitation with a deadline times out at its deadline, not before
// (a Scheduler fires it at the deadline, on the clock's time).
func validateDue(ev *Event, deadline time.Time) error {
	if !deadline.IsZero() && eventTimeOf(ev.Time).before(eventTimeOf(deadline)) {
		return refuse(ev, "R-X1", checkTransition, "%s times out at %s, before its deadline %s", ev.Invitation(), ev.Time.Format(time.RFC3339Nano), deadline.Format(time.RFC3339Nano))
	}
	return nil
}

// take: an agent accepts an offer (consult's Accept, AcceptRequest,
// AcceptOffer). An offer of a routed invitation is taken only while no
// other offer of it is out or taken: the first accept rescinds the rivals in
// the same write, so an invitation is never accepted by two agents (R-X1).
func (s *State) validateTake(ev *Event, route RouteID) error {
	r := s.Route(route)
	if r == nil {
		return nil
	}
	if r.Taken != "" {
		return refuse(ev, "R-X1", checkTransition, "%s accepts %s of route %s, which %s took already", ev.Actor, ev.Invitation(), route, r.Taken)
	}
	if rivals := r.Rivals(ev.Invitation()); len(rivals) > 0 {
		return refuse(ev, "R-X1", checkTransition, "%s accepts %s of route %s while %s is still offered", ev.Actor, ev.Invitation(), route, rivals[0])
	}
	return nil
}

// lastLeg is State.Leg searching from the newest leg: the leg an event
// names is almost always one of the last, and a long chat has many.
func (s *State) lastLeg(id LegID) *Leg {
	for i := len(s.Legs) - 1; i >= 0; i-- {
		if s.Legs[i].ID == id {
			return &s.Legs[i]
		}
	}
	return nil
}

// lastRequest is State.Request searching from the newest request.
func (s *State) lastRequest(id RequestID) *Request {
	for i := len(s.Requests) - 1; i >= 0; i-- {
		if s.Requests[i].ID == id {
			return &s.Requests[i]
		}
	}
	return nil
}

func scopeName(sc Scope) string {
	switch sc.Kind {
	case ScopeLeg:
		return "leg:" + string(sc.Invitation)
	case ScopeParty, ScopeCoach:
		return sc.Kind.String() + ":" + string(sc.Party)
	}
	return sc.Kind.String()
}

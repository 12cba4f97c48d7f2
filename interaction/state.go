package interaction

import (
	"fmt"
	"time"
)

// State is one interaction, as derived from its events: the parties and
// their membership, the transcript, the consultation legs and the pending
// transfer or conference requests. It is a value built only by Apply; a
// command never changes it directly (see Decision).
type State struct {
	ID       ID
	Version  uint64 // number of events applied
	Status   Status
	Contact  PartyID
	Opened   time.Time
	Ended    time.Time // zero until the contact session ends
	Parties  []Party
	Messages []Message
	Legs     []Leg
	Requests []Request

	// scratch marks the working copy inside a Decision: it counts messages
	// instead of storing them, so deciding a command never copies the
	// transcript.
	scratch  bool
	messages uint32
	// batch is who was shown each event of the last command (sight.go).
	batch batchSight
	// legChanges are the legs' state changes (sight.go, legAsSeenBy),
	// behind a pointer: most interactions have no leg (issue 2's budget).
	legChanges *[]legChange
	// extra holds attachments and read receipts (extras.go), behind a
	// pointer: a chat without either pays 8 bytes for both (issue 2's budget).
	extra *extras

	// log is validate's own bookkeeping (validate.go): the last event's
	// time (a log's time never goes backwards, R-X5).
	log logCheck
}

// Party is one participant and its membership.
type Party struct {
	ID         PartyID
	Role       Role
	Membership MemberState
	// TookPart: the party joined at least once. Every agent who took part
	// must mark the interaction done before it closes (R-C8).
	TookPart bool
	// WasEngaged: the party was engaged with the contact at some point (owner
	// or conference member while joined). Only engaged agents get a My
	// History entry (R-H3).
	WasEngaged bool
	// Coaching: a supervisor coaches Supervises, who sees it among the
	// parties; a monitoring supervisor is seen by nobody (R-X7). (Next to
	// the other bools: it fits in their padding.)
	Coaching bool
	// SeenUntil is the last stream version the party may read in the shared
	// scopes (everyone, agents): unbounded while joined, frozen when it goes.
	SeenUntil uint64
	// EngagedUntil is the last stream version of the party's latest stay
	// as an engaged agent (owner or member): unbounded during it, zero if
	// it never had one. A supervisor reads through its agent only up to
	// there (R-X7).
	EngagedUntil uint64
	// Order is when the party first joined (stream version); the earliest
	// member takes over when the owner leaves (R-F6).
	Order uint64
	// Supervises is the agent a supervisor monitors or coaches (R-X7); the
	// supervisor also sees what that agent sees (see CanSee). It is kept
	// after a barge-in. Empty for every other party.
	Supervises PartyID

	// sight is what the party has been shown (sight.go). Apply keeps it on
	// a State it builds, never on a Decision's working copy.
	sight partySight
}

// Present reports whether the party is in the chat now.
func (p *Party) Present() bool { return p.Membership == MemberJoined }

// Message is one line of the transcript.
type Message struct {
	Version uint64
	Time    time.Time
	Author  PartyID
	Text    string
	Scope   Scope
	Seq     uint32
	Kind    MessageKind // next to Seq: 112 bytes, not 120 (issue 2's memory target)
	// author is 1 + the author's index in State.Parties (0: none, or
	// past the 255th), so that a page shows each author to the contact
	// with one lookup per author, not one search per message. It fills
	// padding after Kind, and views and pages hand out 0.
	author uint8
	// Notice is the structure of a system notice (nil for a party's words
	// and for notices written before notices had one).
	Notice *Notice
}

// Leg is one consultation (R-C1): a private conversation between Owner and
// Agent about this interaction.
type Leg struct {
	ID      LegID
	Owner   PartyID // the owner who started it
	Invitee PartyID // the target agent (resolved from Target)
	Target  Target  // what the owner asked for (R-C2)
	Route   RouteID // the routed invitation it is an offer of (R-X1); empty for a named agent
	Medium  Medium  // chat, IM or voice (R-C10)
	State   LegState
	Since   uint64 // stream version of the invitation
	Started time.Time
	// Deadline is when the invitation times out unanswered (zero: never);
	// while the leg is inviting it is one of State.Deadlines.
	Deadline time.Time
	Answered time.Time // accepted, declined, cancelled or timed out
	Ended    time.Time
}

// Live reports whether the leg is inviting or active.
func (l *Leg) Live() bool { return l.State == LegInviting || l.State == LegActive }

// Request is one transfer or conference request waiting for its target (R-F4, R-X4).
type Request struct {
	ID       RequestID
	Kind     RequestKind
	Owner    PartyID // the owner who asked
	Invitee  PartyID // the target agent
	Target   Target
	Via      LegID   // the consultation it came from; empty for a direct one (R-X4)
	Route    RouteID // the routed invitation it is an offer of (R-X1); empty for a named agent
	State    RequestState
	Started  time.Time
	Deadline time.Time // when it times out unanswered (zero: never), as for a Leg
	Answered time.Time
}

const unbounded = ^uint64(0)

// Party returns the party with that ID, or nil.
func (s *State) Party(id PartyID) *Party {
	for i := range s.Parties {
		if s.Parties[i].ID == id {
			return &s.Parties[i]
		}
	}
	return nil
}

// partyNumber is 1 + the index of party id in Parties, 0 when it is none
// of them or past the 255th (Message.author).
func (s *State) partyNumber(id PartyID) uint8 {
	for i := range min(len(s.Parties), 255) {
		if s.Parties[i].ID == id {
			return uint8(i + 1)
		}
	}
	return 0
}

// Leg returns the leg with that ID, or nil. It looks from the newest leg
// back: events and messages almost always name a recent one, and a long
// chat has hundreds (IDs are unique, so the order finds the same leg).
func (s *State) Leg(id LegID) *Leg {
	for i := len(s.Legs) - 1; i >= 0; i-- {
		if s.Legs[i].ID == id {
			return &s.Legs[i]
		}
	}
	return nil
}

// Request returns the request with that ID, or nil (newest first, as Leg).
func (s *State) Request(id RequestID) *Request {
	for i := len(s.Requests) - 1; i >= 0; i-- {
		if s.Requests[i].ID == id {
			return &s.Requests[i]
		}
	}
	return nil
}

// Owner returns the current owner, or nil when there is none.
func (s *State) Owner() *Party {
	for i := range s.Parties {
		if s.Parties[i].Role == RoleOwner && s.Parties[i].Present() {
			return &s.Parties[i]
		}
	}
	return nil
}

// EngagedPresent counts the agents engaged with the contact right now.
func (s *State) EngagedPresent() int {
	n := 0
	for i := range s.Parties {
		if s.Parties[i].Role.Engaged() && s.Parties[i].Present() {
			n++
		}
	}
	return n
}

// MessageCount is the number of messages in the transcript.
func (s *State) MessageCount() uint32 {
	if s.scratch {
		return s.messages
	}
	return uint32(len(s.Messages))
}

// ActiveLegs returns the active consultations: legs whose target accepted
// and that have not ended. They are what a transfer or conference can aim at.
func (s *State) ActiveLegs() []Leg {
	var out []Leg
	for _, l := range s.Legs {
		if l.State == LegActive {
			out = append(out, l)
		}
	}
	return out
}

// Rebuild derives an interaction from its events alone.
func Rebuild(events []Event) (*State, error) {
	s := &State{}
	for i := range events {
		if err := s.Apply(&events[i]); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Clone returns a deep copy that shares nothing mutable with s.
func (s *State) Clone() *State {
	c := *s
	c.Parties = append([]Party(nil), s.Parties...)
	for i := range c.Parties {
		c.Parties[i].sight = c.Parties[i].sight.clone()
	}
	c.batch.shown = append([]uint64(nil), s.batch.shown...)
	if s.legChanges != nil {
		lc := append([]legChange(nil), *s.legChanges...)
		c.legChanges = &lc
	}
	if s.batch.quiet != nil {
		q := append((*s.batch.quiet)[:0:0], *s.batch.quiet...)
		c.batch.quiet = &q
	}
	c.extra = s.extra.clone()
	c.Messages = append([]Message(nil), s.Messages...)
	c.Legs = append([]Leg(nil), s.Legs...)
	c.Requests = append([]Request(nil), s.Requests...)
	return &c
}

// ErrCorruptLog is wrapped by Apply's errors: the event does not follow
// from the state, so no command of this library could have written it.
var ErrCorruptLog = fmt.Errorf("event log is not a valid history")

func corrupt(ev *Event, format string, args ...any) error {
	return fmt.Errorf("%w: event %d (%s): %s", ErrCorruptLog, ev.Version, ev.Type, fmt.Sprintf(format, args...))
}

// Apply folds one event into the state. It checks that the event follows:
// the next version, and a state change that its machine's table declares.
//
// Decides R-X5: the state is the events applied in order; a log no command could have written is refused.
func (s *State) Apply(ev *Event) error {
	if err := s.validate(ev); err != nil {
		return err
	}
	if ev.Version != s.Version+1 {
		return corrupt(ev, "expected version %d", s.Version+1)
	}
	if s.Version == 0 && ev.Type != EventOpened {
		return corrupt(ev, "a stream starts with opened")
	}
	// validate checked every transition against its table (or the Decision
	// did, on this state): the table is asked again only where validation
	// is off (the benchmark of what it costs: the Apply of before).
	unchecked := skipValidation.Load()
	var joinedAfter uint64 // for account: what a joining party read before
	switch ev.Type {
	case EventOpened:
		if s.Version != 0 {
			return corrupt(ev, "opened twice")
		}
		s.ID, s.Status, s.Contact, s.Opened = ev.Interaction, StatusWaiting, ev.Party, ev.Time
	case EventStatus:
		if s.Status != Status(ev.From) || unchecked && !InteractionMachine.Allows(Status(ev.From), ev.Trigger, Status(ev.To)) {
			return corrupt(ev, "interaction %s -%s-> %s not declared from %s", ev.From, ev.Trigger, ev.To, s.Status)
		}
		s.Status = Status(ev.To)
		if ev.To == string(StatusEnded) {
			s.Ended = ev.Time
		}
	case EventMembership:
		p := s.Party(ev.Party)
		if p == nil {
			if ev.From != string(MemberNone) {
				return corrupt(ev, "unknown party %s", ev.Party)
			}
			if s.Parties == nil {
				s.Parties = make([]Party, 0, 2) // a chat has a contact and an agent
			}
			if len(s.Parties) >= MaxParties {
				return corrupt(ev, "more than %d parties", MaxParties)
			}
			s.Parties = append(s.Parties, Party{ID: ev.Party, Membership: MemberNone})
			p = &s.Parties[len(s.Parties)-1]
		}
		if p.Membership != MemberState(ev.From) || unchecked && !MembershipMachine.Allows(MemberState(ev.From), ev.Trigger, MemberState(ev.To)) {
			return corrupt(ev, "membership of %s %s -%s-> %s not declared from %s", ev.Party, ev.From, ev.Trigger, ev.To, p.Membership)
		}
		p.Membership, p.Role = MemberState(ev.To), ev.Role
		if ev.Trigger == TriggerInvite || ev.Trigger == TriggerEnter {
			// Invited in another role (a former supervisor consulted, say),
			// or back in the chat, the party no longer reads through the
			// agent it supervised before (R-C5, R-X3, R-X7): a returning
			// supervisor supervises whom its next role event names.
			p.Supervises, p.Coaching = "", false
		}
		switch {
		case ev.To == string(MemberJoined):
			if !p.TookPart {
				p.Order = ev.Version
			} else {
				joinedAfter = p.SeenUntil // it read the shared transcript up to its last leave
			}
			p.TookPart, p.SeenUntil = true, unbounded
			if p.Role.Engaged() {
				p.startEngagement(ev.Version)
			}
		case ev.From == string(MemberJoined):
			p.SeenUntil = ev.Version
			if p.EngagedUntil == unbounded {
				p.EngagedUntil = ev.Version
			}
		}
	case EventRole:
		p := s.Party(ev.Party)
		if p == nil {
			return corrupt(ev, "unknown party %s", ev.Party)
		}
		if unchecked && !RoleMachine.Allows(p.Role.State(), ev.Trigger, ev.Role.State()) {
			return corrupt(ev, "role of %s %s -%s-> %s not declared", ev.Party, p.Role, ev.Trigger, ev.Role)
		}
		p.Role = ev.Role
		if p.Present() && p.Role.Engaged() {
			p.startEngagement(ev.Version)
		}
		p.Coaching = false
		if ev.Role == RoleSupervisor {
			// R-X7: Target names the agent supervised, Trigger how.
			if ev.Supervised == "" || s.Party(ev.Supervised) == nil || (ev.Trigger != TriggerMonitor && ev.Trigger != TriggerCoach) {
				return corrupt(ev, "supervision of %s names no known agent or mode", ev.Party)
			}
			p.Supervises, p.Coaching = ev.Supervised, ev.Trigger == TriggerCoach
		}
	case EventMessage:
		if ev.Seq != s.MessageCount()+1 {
			return corrupt(ev, "message %d out of order", ev.Seq)
		}
		if s.scratch {
			s.messages++
		} else {
			if s.Messages == nil {
				// Skip the 1, 2, 4 steps of append's growth: a chat has messages.
				s.Messages = make([]Message, 0, 8)
			}
			s.Messages = append(s.Messages, Message{Seq: ev.Seq, Version: ev.Version, Time: ev.Time, Author: ev.Actor, Text: ev.Text, Kind: ev.Kind, Scope: ev.Scope, Notice: noticeOf(ev), author: s.partyNumber(ev.Actor)})
			if ev.Attachments.Len() > 0 {
				s.addAttachments(uint32(len(s.Messages)-1), ev.Attachments.all())
			}
		}
	case EventRead:
		if !s.scratch {
			s.addReceipt(ev)
		}
	case EventLeg:
		l := s.Leg(ev.Leg)
		if l == nil {
			if ev.From != string(LegNone) {
				return corrupt(ev, "unknown leg %s", ev.Leg)
			}
			s.Legs = append(s.Legs, Leg{ID: ev.Leg, Owner: ev.Actor, Invitee: ev.Party, Target: ev.Target, Route: ev.Route, Medium: ev.Medium, State: LegNone, Since: ev.Version, Started: ev.Time, Deadline: ev.Deadline})
			l = &s.Legs[len(s.Legs)-1]
		}
		if l.State != LegState(ev.From) || unchecked && !LegMachine.Allows(LegState(ev.From), ev.Trigger, LegState(ev.To)) {
			return corrupt(ev, "leg %s %s -%s-> %s not declared from %s", ev.Leg, ev.From, ev.Trigger, ev.To, l.State)
		}
		l.State = LegState(ev.To)
		switch l.State {
		case LegActive, LegDeclined, LegCancelled, LegTimedOut:
			l.Answered = ev.Time
		}
		if !l.Live() {
			l.Ended = ev.Time
		}
	case EventRequest:
		r := s.Request(ev.RequestID)
		if r == nil {
			if ev.From != string(RequestNone) {
				return corrupt(ev, "unknown request %s", ev.RequestID)
			}
			s.Requests = append(s.Requests, Request{ID: ev.RequestID, Kind: ev.RequestKind, Owner: ev.Actor, Invitee: ev.Party, Target: ev.Target, Via: ev.Via, Route: ev.Route, State: RequestNone, Started: ev.Time, Deadline: ev.Deadline})
			r = &s.Requests[len(s.Requests)-1]
		}
		if r.State != RequestState(ev.From) || unchecked && !RequestMachine.Allows(RequestState(ev.From), ev.Trigger, RequestState(ev.To)) {
			return corrupt(ev, "request %s %s -%s-> %s not declared from %s", ev.RequestID, ev.From, ev.Trigger, ev.To, r.State)
		}
		r.State = RequestState(ev.To)
		if ev.To != string(RequestPending) {
			r.Answered = ev.Time
		}
	default:
		return corrupt(ev, "unknown event type")
	}
	if !s.scratch {
		s.account(ev, joinedAfter)
	}
	s.Version = ev.Version
	return nil
}

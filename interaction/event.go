package interaction

import "time"

// EventType says what an Event records.
type EventType uint8

const (
	// EventOpened starts a stream: the contact (Party) opened the chat.
	EventOpened EventType = iota + 1
	// EventStatus: the interaction machine went From → To by Trigger.
	EventStatus
	// EventMembership: Party's membership went From → To by Trigger; Role
	// is the role it holds afterwards.
	EventMembership
	// EventRole: Party now holds Role (transfer, conference, owner hand-over).
	// For RoleSupervisor (R-X7), Target names the agent supervised and
	// Trigger is TriggerMonitor or TriggerCoach.
	EventRole
	// EventMessage: Actor wrote Text (Kind, Seq) visible in Scope.
	EventMessage
	// EventLeg: consultation leg Leg went From → To by Trigger. The first
	// event of a leg (From = "none") carries Party (the target agent),
	// Target (what was asked for), Medium, its Deadline if it has one, and
	// for an offer of a routed invitation its Route.
	EventLeg
	// EventRequest: transfer or conference request RequestID went From → To by
	// Trigger. The first carries Party (the target agent), Target, RequestKind,
	// its Deadline if it has one, and, for a request made from a
	// consultation, Via (that leg); for an offer of a routed invitation,
	// its Route.
	EventRequest
	// EventReminder is not a fact about the interaction but a signal to one
	// agent: a response is pending in the interaction (Leg: in that
	// consultation) and it is reminded of it (R-C9). Notifiers deliver it
	// (MemoryNotifier.Remind); a Store never holds one: Apply refuses it.
	// Seq counts the reminders of one pending response.
	EventReminder
	// EventRead: Actor read the transcript up to message Seq (a read
	// receipt, issue 17, MarkRead). Scope is who is told (receipt.go): it
	// follows the message read and the reader's role.
	EventRead
	// EventTyping is, like EventReminder, a signal and not a fact: Actor
	// is typing a message in Scope (the chat, a consultation leg, …) until
	// Deadline, unless it sends one first (typing.go). Notifiers deliver
	// it (TypingNotifier) to exactly the parties who would see a message
	// there; a Store never holds one: Apply refuses it.
	EventTyping
)

var eventTypeNames = [...]string{"", "opened", "status", "membership", "role", "message", "leg", "request", "reminder", "read", "typing"}

func (t EventType) String() string {
	if int(t) < len(eventTypeNames) {
		return eventTypeNames[t]
	}
	return "unknown"
}

// Event is one fact about one interaction. Events are the truth (R-X5):
// the state, every party's view, the history and the metrics are derived
// from them. The struct is flat, not one type per event, so that a log is
// cheap to hold in memory and simple to persist; Type says which fields
// mean something.
type Event struct {
	Interaction ID
	Version     uint64    // 1-based position in the interaction's stream
	Position    uint64    // position in the store's global log, set by the Store
	Time        time.Time // from the injected Clock
	Actor       PartyID   // who caused it (System for time-outs)
	Cause       string    // ID of the command that caused it
	Type        EventType
	Scope       Scope // who may see this event

	Party PartyID
	Role  Role
	// From and To are states of the machine the event changed (Type says
	// which): a Status, MemberState, LegState or RequestState by name.
	From    string
	To      string
	Trigger Trigger
	// Leg is the consultation leg a leg event changes, and the leg of a
	// message or membership change in a leg's scope; RequestID the
	// transfer or conference request a request event changes, and the
	// direct request of a membership change in its scope (RequestScope: its
	// agent invited, declining, timed out or withdrawn). An event names one
	// or the other, never both (State.Apply refuses a mix-up), so a store
	// may keep them in one place (Invitation, SetInvitation: MemoryStore,
	// pgstore's leg column).
	Leg       LegID
	RequestID RequestID
	// Via is the consultation a request is made from (its first event).
	Via LegID
	// Route names the routed invitation (R-X1) a new leg or request is an
	// offer of: every offer made for one invitation to a group, skill or
	// queue, together (fan-out) or one after the other (offered on after a
	// decline, time-out or rescind), carries the same Route. Set on the
	// first event of a leg or request only; empty for an invitation aimed
	// at a named agent.
	Route RouteID
	// Deadline is when a new leg's or request's invitation times out if it
	// is not answered (the invitation's first event only; zero: never).
	// The deadline is data: a Scheduler fires it, on any instance, as an
	// ordinary System command (see Deadline).
	Deadline time.Time
	Target   Target
	// Supervised is the agent a supervisor's EventRole says it monitors
	// or coaches from now on (R-X7); empty on every other event.
	Supervised  PartyID
	Medium      Medium
	RequestKind RequestKind
	Text        string
	Kind        MessageKind
	Seq         uint32 // message number in the transcript, 1-based
	// Attachments are the files a message carries (attachment.go); empty
	// on every other event and on a message without any. Files keeps
	// Event comparable with ==.
	Attachments Files

	// Fingerprint identifies the command (actor and content) on the first
	// event of a command run with a caller-chosen ID (Service.DoCommand);
	// 0 otherwise. A retry of that ID must carry the same.
	Fingerprint uint64
}

// Invitation is the leg or request the event names, in Leg or in
// RequestID (never both): the leg a leg event changes or the request a
// request event changes, which is the invitation (R-X1) a route offers, a
// deadline times out and routing tracks (Deadline.Invitation,
// Route.Offers); and the leg or direct request in whose scope a
// membership change, a message or a receipt is. Empty when it names none.
func (e *Event) Invitation() InvitationID {
	if e.RequestID != "" {
		return InvitationID(e.RequestID)
	}
	return InvitationID(e.Leg)
}

// SetInvitation names inv in the field that the event's type, role and
// scope say, and empties the other: RequestID for a request event and for
// a membership change of an owner or member in a scope of kind ScopeLeg
// (State.Apply holds that one to a direct request, a consultant's to a
// leg), Leg for every other event. Set Type, Role and Scope first.
//
// It is how an event is read back where its Invitation is kept in one
// place (MemoryStore, pgstore's leg column, the history snapshot codec, the
// "leg" of a membership event's JSON document), and so a direct request's
// membership change stored before RequestID named it (with the request in
// Leg) reads as one written now: nothing stored has to change.
func (e *Event) SetInvitation(inv InvitationID) {
	e.Leg, e.RequestID = "", ""
	if e.namesRequest() {
		e.RequestID = RequestID(inv)
	} else {
		e.Leg = LegID(inv)
	}
}

// namesRequest reports whether the event names a request (RequestID)
// rather than a leg: a request event, and a direct request's agent's
// membership change, told to the request's two agents.
func (e *Event) namesRequest() bool {
	return e.Type == EventRequest || (e.Type == EventMembership && e.Scope.Kind == ScopeLeg && e.Role.Engaged())
}

// Role is what a party is in an interaction.
type Role uint8

const (
	RoleNone       Role = iota
	RoleContact         // the customer
	RoleOwner           // the agent engaged with the contact and in charge of the chat
	RoleMember          // another agent engaged with the contact (conference, R-F1)
	RoleConsultant      // a consultation target: not engaged with the contact (R-H3)
	RoleSupervisor      // monitors or coaches (R-X7)
)

var roleNames = [...]string{"none", "contact", "owner", "member", "consultant", "supervisor"}

func (r Role) String() string {
	if int(r) < len(roleNames) {
		return roleNames[r]
	}
	return "unknown"
}

// Engaged reports whether the role is engaged with the contact: the agents
// whose My History lists the interaction (R-H3).
func (r Role) Engaged() bool { return r == RoleOwner || r == RoleMember }

// Medium is how a consultation is held (R-C10).
type Medium uint8

const (
	MediumChat Medium = iota
	MediumIM
	MediumVoice
)

var mediumNames = [...]string{"chat", "im", "voice"}

func (m Medium) String() string {
	if int(m) < len(mediumNames) {
		return mediumNames[m]
	}
	return "unknown"
}

// TargetKind is what a consultation, transfer or conference is aimed at (R-C2).
type TargetKind uint8

const (
	TargetAgent TargetKind = iota
	TargetGroup
	TargetSkill
	TargetQueue
)

var targetKindNames = [...]string{"agent", "group", "skill", "queue"}

func (k TargetKind) String() string {
	if int(k) < len(targetKindNames) {
		return targetKindNames[k]
	}
	return "unknown"
}

// Target names an agent, an agent group, a skill or an interaction queue.
type Target struct {
	Kind TargetKind
	ID   string
}

func (t Target) String() string { return t.Kind.String() + ":" + t.ID }

// RequestKind tells a transfer request from a conference request.
type RequestKind uint8

const (
	RequestNoKind RequestKind = iota
	RequestTransfer
	RequestConference
)

func (k RequestKind) String() string {
	switch k {
	case RequestTransfer:
		return "transfer"
	case RequestConference:
		return "conference"
	}
	return "none"
}

// Trigger is what a request of kind k does to the consultation it was
// asked from once accepted (the leg machine's transfer or conference);
// "" for no kind.
func (k RequestKind) Trigger() Trigger {
	switch k {
	case RequestTransfer:
		return TriggerTransfer
	case RequestConference:
		return TriggerConference
	}
	return ""
}

// MessageKind tells a party's own words from a notice the library writes.
type MessageKind uint8

const (
	KindText   MessageKind = iota
	KindNotice             // a system notice (joined, declined, …)
)

func (k MessageKind) String() string {
	if k == KindNotice {
		return "notice"
	}
	return "text"
}

// ScopeKind says who may see a message or an event.
type ScopeKind uint8

const (
	// ScopeEveryone: every party of the chat (contact, engaged agents,
	// consultation targets while they read along, R-C6).
	ScopeEveryone ScopeKind = iota
	// ScopeLeg: the two agents of one consultation leg only, forever (R-C5);
	// for a direct transfer or conference request (RequestScope), the owner
	// who asked and the agent asked. Scope.Invitation names the leg or the
	// request (their IDs never collide); one kind for both, so that one
	// rule decides who sees either and stored scopes and the JSON "leg"
	// kind are the same for both.
	ScopeLeg
	// ScopeAgents: every agent party, never the contact (system notes).
	ScopeAgents
	// ScopeParty: one party only (a notice such as "declined", R-C3).
	ScopeParty
	// ScopeCoach: a supervisor and the one agent it coaches (R-X7).
	ScopeCoach
)

var scopeNames = [...]string{"everyone", "leg", "agents", "party", "coach"}

func (k ScopeKind) String() string {
	if int(k) < len(scopeNames) {
		return scopeNames[k]
	}
	return "unknown"
}

// Scope is a visibility scope. Invitation is set for ScopeLeg; Party for
// ScopeParty and ScopeCoach (the coached agent; the supervisor is the
// author of the message).
type Scope struct {
	Kind ScopeKind
	// Invitation is the leg or direct request whose two agents see it
	// (Kind says which: ScopeLeg for both; the leg or request with this ID
	// of the interaction, State.Leg or State.Request).
	Invitation InvitationID
	Party      PartyID
}

// Everyone is the scope of the chat itself.
var Everyone = Scope{Kind: ScopeEveryone}

// LegScope is the scope of one consultation leg.
func LegScope(leg LegID) Scope { return Scope{Kind: ScopeLeg, Invitation: InvitationID(leg)} }

// RequestScope is the scope of one direct transfer or conference request
// (R-X4): the owner who asked and the agent asked, as a leg's scope is its
// two agents. It is a scope of kind ScopeLeg keyed by the request's ID
// (Scope.Invitation holds it; leg and request IDs never collide), so that who
// sees what is decided by one rule for both (docs/visibility.md). A
// request made from a consultation is in its leg's scope instead.
func RequestScope(req RequestID) Scope { return Scope{Kind: ScopeLeg, Invitation: InvitationID(req)} }

// PartyScope is the scope of one party.
func PartyScope(p PartyID) Scope { return Scope{Kind: ScopeParty, Party: p} }

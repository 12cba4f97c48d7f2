package interaction

import (
	"github.com/chatconsult/chatconsult/internal/enumtext"
)

// The text form of every enum of the package (issue 16): each marshals as
// its name, the same as its String, and parses back from it, so JSON
// documents (json.go) and query strings carry names, never numbers. A
// value without a name does not marshal, and an unknown name does not
// parse: both are an *Error of kind ErrBadInput, never a panic. The typed
// states (Status, MemberState, LegState, RequestState) and Trigger are
// strings already; their UnmarshalText refuses a name the machines do not
// have, and the empty string (an unset state) round-trips as itself.

func badText(typ string, text []byte) error {
	return &Error{Kind: ErrBadInput, Op: "parse " + typ, Detail: "unknown " + typ + " " + enumtext.Quote(text)}
}

func badValue(typ string) error {
	return &Error{Kind: ErrBadInput, Op: "marshal " + typ, Detail: typ + " value has no name"}
}

func marshalEnum[T ~uint8](v T, names []string, typ string) ([]byte, error) {
	if n, ok := enumtext.Name(v, names); ok {
		return []byte(n), nil
	}
	return nil, badValue(typ)
}

func unmarshalEnum[T ~uint8](p *T, text []byte, names []string, typ string) error {
	v, ok := enumtext.Parse[T](text, names)
	if !ok {
		return badText(typ, text)
	}
	*p = v
	return nil
}

func unmarshalState[S ~string](p *S, text []byte, names []S, typ string) error {
	if len(text) > 0 && !enumtext.In(text, names) {
		return badText(typ, text)
	}
	*p = S(text)
	return nil
}

var (
	requestKindNames  = []string{"none", "transfer", "conference"}
	messageKindNames  = []string{"text", "notice"}
	deadlineKindNames = []string{"", "leg", "request"}
	statusNamesText   = []Status{StatusWaiting, StatusActive, StatusEnded, StatusClosed}
	memberStateNames  = []MemberState{MemberNone, MemberInvited, MemberJoined, MemberDeclined, MemberWithdrawn, MemberLeft, MemberRemoved, MemberDone}
	legStateNames     = []LegState{LegNone, LegInviting, LegActive, LegDeclined, LegCancelled, LegTimedOut, LegEnded, LegTransferred, LegConferenced}
	requestStateNames = []RequestState{RequestNone, RequestPending, RequestAccepted, RequestDeclined, RequestTimedOut, RequestCancelled}
	triggerNames      = []Trigger{
		TriggerAgentJoins, TriggerEnd, TriggerClose, TriggerInvite, TriggerEnter, TriggerAccept,
		TriggerDecline, TriggerWithdraw, TriggerLeave, TriggerRemove, TriggerDone, TriggerCancel,
		TriggerTimeOut, TriggerTransfer, TriggerConference, TriggerHandOver, TriggerBargeIn,
		TriggerRequest, TriggerOffer, TriggerRescind, TriggerMonitor, TriggerCoach,
	}
)

// MarshalText implements encoding.TextMarshaler ("opened", "message", …).
func (t EventType) MarshalText() ([]byte, error) {
	return marshalEnum(t, eventTypeNames[:], "event type")
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (t *EventType) UnmarshalText(text []byte) error {
	return unmarshalEnum(t, text, eventTypeNames[:], "event type")
}

// MarshalText implements encoding.TextMarshaler ("contact", "owner", …).
func (r Role) MarshalText() ([]byte, error) { return marshalEnum(r, roleNames[:], "role") }

// UnmarshalText implements encoding.TextUnmarshaler.
func (r *Role) UnmarshalText(text []byte) error {
	return unmarshalEnum(r, text, roleNames[:], "role")
}

// MarshalText implements encoding.TextMarshaler ("chat", "im", "voice").
func (m Medium) MarshalText() ([]byte, error) { return marshalEnum(m, mediumNames[:], "medium") }

// UnmarshalText implements encoding.TextUnmarshaler.
func (m *Medium) UnmarshalText(text []byte) error {
	return unmarshalEnum(m, text, mediumNames[:], "medium")
}

// MarshalText implements encoding.TextMarshaler ("agent", "group", "skill", "queue").
func (k TargetKind) MarshalText() ([]byte, error) {
	return marshalEnum(k, targetKindNames[:], "target kind")
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *TargetKind) UnmarshalText(text []byte) error {
	return unmarshalEnum(k, text, targetKindNames[:], "target kind")
}

// MarshalText implements encoding.TextMarshaler ("none", "transfer", "conference").
func (k RequestKind) MarshalText() ([]byte, error) {
	return marshalEnum(k, requestKindNames, "request kind")
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *RequestKind) UnmarshalText(text []byte) error {
	return unmarshalEnum(k, text, requestKindNames, "request kind")
}

// MarshalText implements encoding.TextMarshaler ("text", "notice").
func (k MessageKind) MarshalText() ([]byte, error) {
	return marshalEnum(k, messageKindNames, "message kind")
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *MessageKind) UnmarshalText(text []byte) error {
	return unmarshalEnum(k, text, messageKindNames, "message kind")
}

// MarshalText implements encoding.TextMarshaler ("everyone", "leg", …).
func (k ScopeKind) MarshalText() ([]byte, error) { return marshalEnum(k, scopeNames[:], "scope") }

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *ScopeKind) UnmarshalText(text []byte) error {
	return unmarshalEnum(k, text, scopeNames[:], "scope")
}

// MarshalText implements encoding.TextMarshaler ("declined", "no_answer", …).
func (c NoticeCode) MarshalText() ([]byte, error) {
	return marshalEnum(c, noticeCodeNames[:], "notice code")
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (c *NoticeCode) UnmarshalText(text []byte) error {
	return unmarshalEnum(c, text, noticeCodeNames[:], "notice code")
}

// MarshalText implements encoding.TextMarshaler ("leg", "request").
func (k DeadlineKind) MarshalText() ([]byte, error) {
	return marshalEnum(k, deadlineKindNames, "deadline kind")
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *DeadlineKind) UnmarshalText(text []byte) error {
	return unmarshalEnum(k, text, deadlineKindNames, "deadline kind")
}

// UnmarshalText implements encoding.TextUnmarshaler: one of the
// interaction machine's states, or empty.
func (s *Status) UnmarshalText(text []byte) error {
	return unmarshalState(s, text, statusNamesText, "status")
}

// UnmarshalText implements encoding.TextUnmarshaler: one of the membership
// machine's states, or empty.
func (s *MemberState) UnmarshalText(text []byte) error {
	return unmarshalState(s, text, memberStateNames, "membership state")
}

// UnmarshalText implements encoding.TextUnmarshaler: one of the leg
// machine's states, or empty.
func (s *LegState) UnmarshalText(text []byte) error {
	return unmarshalState(s, text, legStateNames, "leg state")
}

// UnmarshalText implements encoding.TextUnmarshaler: one of the request
// machine's states, or empty.
func (s *RequestState) UnmarshalText(text []byte) error {
	return unmarshalState(s, text, requestStateNames, "request state")
}

// UnmarshalText implements encoding.TextUnmarshaler: a trigger of one of
// the machines (the tables of machines.go, supervision's monitor and
// coach, routing's offer and rescind), or empty.
func (t *Trigger) UnmarshalText(text []byte) error {
	return unmarshalState(t, text, triggerNames, "trigger")
}

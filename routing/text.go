package routing

import (
	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/internal/enumtext"
)

// The text form of routing's enums (issue 16): each marshals as its name
// and parses back from it; a value without a name does not marshal and an
// unknown name does not parse, both as an *interaction.Error of kind
// ErrBadInput.

var (
	needNames            = []string{"ready", "reachable", "any"}
	invitationStateNames = []InvitationState{InvitationNone, InvitationPending, InvitationAccepted, InvitationDeclined, InvitationTimedOut, InvitationCancelled, InvitationRescinded}
)

func badText(typ string, text []byte) error {
	return &interaction.Error{Kind: interaction.ErrBadInput, Op: "parse " + typ, Detail: "unknown " + typ + " " + enumtext.Quote(text)}
}

func marshalEnum[T ~uint8](v T, names []string, typ string) ([]byte, error) {
	if n, ok := enumtext.Name(v, names); ok {
		return []byte(n), nil
	}
	return nil, &interaction.Error{Kind: interaction.ErrBadInput, Op: "marshal " + typ, Detail: typ + " value has no name"}
}

func unmarshalEnum[T ~uint8](p *T, text []byte, names []string, typ string) error {
	v, ok := enumtext.Parse[T](text, names)
	if !ok {
		return badText(typ, text)
	}
	*p = v
	return nil
}

// MarshalText implements encoding.TextMarshaler ("logged_out", "ready", "not_ready", "away").
func (p Presence) MarshalText() ([]byte, error) {
	return marshalEnum(p, presenceNames[:], "presence")
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (p *Presence) UnmarshalText(text []byte) error {
	return unmarshalEnum(p, text, presenceNames[:], "presence")
}

// MarshalText implements encoding.TextMarshaler ("chat", "consultation", "transfer", "conference").
func (k InvitationKind) MarshalText() ([]byte, error) {
	return marshalEnum(k, invitationKindNames[:], "invitation kind")
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *InvitationKind) UnmarshalText(text []byte) error {
	return unmarshalEnum(k, text, invitationKindNames[:], "invitation kind")
}

// String names the need.
func (n Need) String() string {
	if s, ok := enumtext.Name(n, needNames); ok {
		return s
	}
	return "unknown"
}

// MarshalText implements encoding.TextMarshaler ("ready", "reachable", "any").
func (n Need) MarshalText() ([]byte, error) { return marshalEnum(n, needNames, "need") }

// UnmarshalText implements encoding.TextUnmarshaler.
func (n *Need) UnmarshalText(text []byte) error {
	return unmarshalEnum(n, text, needNames, "need")
}

// UnmarshalText implements encoding.TextUnmarshaler: one of the invitation
// machine's states, or empty.
func (s *InvitationState) UnmarshalText(text []byte) error {
	if len(text) > 0 && !enumtext.In(text, invitationStateNames) {
		return badText("invitation state", text)
	}
	*s = InvitationState(text)
	return nil
}

package interaction_test

import (
	"encoding"
	"errors"
	"testing"

	"github.com/chatconsult/chatconsult/interaction"
)

// textEnum is one enum of the package, for the round-trip tests: its
// named values and a fresh pointer to parse into.
type textEnum struct {
	name   string
	values []encoding.TextMarshaler
	fresh  func() encoding.TextUnmarshaler
	// marshalBack marshals what fresh parsed.
	marshalBack func(encoding.TextUnmarshaler) ([]byte, error)
}

func enumOf[T any, P interface {
	*T
	encoding.TextUnmarshaler
}](name string, values ...T) textEnum {
	e := textEnum{name: name, fresh: func() encoding.TextUnmarshaler { return P(new(T)) }}
	for _, v := range values {
		e.values = append(e.values, asMarshaler(v))
	}
	e.marshalBack = func(u encoding.TextUnmarshaler) ([]byte, error) {
		return asMarshaler(*(*T)(u.(P))).MarshalText()
	}
	return e
}

type stringText string

func (s stringText) MarshalText() ([]byte, error) { return []byte(s), nil }

func asMarshaler(v any) encoding.TextMarshaler {
	if m, ok := v.(encoding.TextMarshaler); ok {
		return m
	}
	switch s := v.(type) {
	case interaction.Status:
		return stringText(s)
	case interaction.MemberState:
		return stringText(s)
	case interaction.LegState:
		return stringText(s)
	case interaction.RequestState:
		return stringText(s)
	case interaction.Trigger:
		return stringText(s)
	}
	panic("not an enum")
}

func textEnums() []textEnum {
	I := interaction.EventOpened
	return []textEnum{
		enumOf("event type", I, interaction.EventStatus, interaction.EventMembership, interaction.EventRole, interaction.EventMessage, interaction.EventLeg, interaction.EventRequest, interaction.EventReminder),
		enumOf("role", interaction.RoleNone, interaction.RoleContact, interaction.RoleOwner, interaction.RoleMember, interaction.RoleConsultant, interaction.RoleSupervisor),
		enumOf("medium", interaction.MediumChat, interaction.MediumIM, interaction.MediumVoice),
		enumOf("target kind", interaction.TargetAgent, interaction.TargetGroup, interaction.TargetSkill, interaction.TargetQueue),
		enumOf("request kind", interaction.RequestNoKind, interaction.RequestTransfer, interaction.RequestConference),
		enumOf("message kind", interaction.KindText, interaction.KindNotice),
		enumOf("scope", interaction.ScopeEveryone, interaction.ScopeLeg, interaction.ScopeAgents, interaction.ScopeParty, interaction.ScopeCoach),
		enumOf("notice code", interaction.NoticeDeclined, interaction.NoticeNoAnswer, interaction.NoticeUnavailable, interaction.NoticeNotPlaced, interaction.NoticeTransferred, interaction.NoticeJoined, interaction.NoticeRemoved),
		enumOf("deadline kind", interaction.DeadlineLeg, interaction.DeadlineRequest),
		enumOf("status", interaction.StatusWaiting, interaction.StatusActive, interaction.StatusEnded, interaction.StatusClosed),
		enumOf("membership", interaction.MemberNone, interaction.MemberInvited, interaction.MemberJoined, interaction.MemberDeclined, interaction.MemberWithdrawn, interaction.MemberLeft, interaction.MemberRemoved, interaction.MemberDone),
		enumOf("leg state", interaction.LegNone, interaction.LegInviting, interaction.LegActive, interaction.LegDeclined, interaction.LegCancelled, interaction.LegTimedOut, interaction.LegEnded, interaction.LegTransferred, interaction.LegConferenced),
		enumOf("request state", interaction.RequestNone, interaction.RequestPending, interaction.RequestAccepted, interaction.RequestDeclined, interaction.RequestTimedOut, interaction.RequestCancelled),
		enumOf("trigger", interaction.TriggerAgentJoins, interaction.TriggerEnd, interaction.TriggerClose, interaction.TriggerInvite, interaction.TriggerEnter, interaction.TriggerAccept, interaction.TriggerDecline, interaction.TriggerWithdraw, interaction.TriggerLeave, interaction.TriggerRemove, interaction.TriggerDone, interaction.TriggerCancel, interaction.TriggerTimeOut, interaction.TriggerTransfer, interaction.TriggerConference, interaction.TriggerHandOver, interaction.TriggerBargeIn, interaction.TriggerRequest, interaction.TriggerOffer, interaction.TriggerRescind, interaction.TriggerMonitor, interaction.TriggerCoach),
	}
}

// Every named value marshals as its String and parses back to itself;
// an unknown name is ErrBadInput (issue 16).
func TestEnumTextRoundTrip(t *testing.T) {
	for _, e := range textEnums() {
		seen := map[string]bool{}
		for _, v := range e.values {
			text, err := v.MarshalText()
			if err != nil {
				t.Fatalf("%s %v: %v", e.name, v, err)
			}
			if s, ok := v.(interface{ String() string }); ok && s.String() != string(text) {
				t.Errorf("%s: MarshalText %q, String %q", e.name, text, s.String())
			}
			if seen[string(text)] {
				t.Errorf("%s: two values named %q", e.name, text)
			}
			seen[string(text)] = true
			u := e.fresh()
			if err := u.UnmarshalText(text); err != nil {
				t.Fatalf("%s %q: %v", e.name, text, err)
			}
			back, err := e.marshalBack(u)
			if err != nil || string(back) != string(text) {
				t.Errorf("%s %q parsed and marshalled back as %q, %v", e.name, text, back, err)
			}
		}
		for _, bad := range []string{"nope", "Owner", " chat", "0", "\xff"} {
			if err := e.fresh().UnmarshalText([]byte(bad)); !errors.Is(err, interaction.ErrBadInput) {
				t.Errorf("%s %q: %v, want ErrBadInput", e.name, bad, err)
			}
		}
	}
}

// A value out of range does not marshal (an error, not "unknown" on the
// wire, and no panic).
func TestEnumTextOutOfRange(t *testing.T) {
	for _, v := range []encoding.TextMarshaler{interaction.Role(200), interaction.Medium(9), interaction.TargetKind(9), interaction.EventType(0), interaction.ScopeKind(99), interaction.NoticeCode(0), interaction.MessageKind(7), interaction.RequestKind(3)} {
		if _, err := v.MarshalText(); !errors.Is(err, interaction.ErrBadInput) {
			t.Errorf("%T(%v): %v, want ErrBadInput", v, v, err)
		}
	}
}

// FuzzEnumText: whatever the text, parsing never panics, and what parses
// marshals back to exactly the same text (the oracle: a name is one value).
func FuzzEnumText(f *testing.F) {
	for _, e := range textEnums() {
		for _, v := range e.values {
			b, _ := v.MarshalText()
			f.Add(b)
		}
	}
	f.Add([]byte("unknown"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, text []byte) {
		for _, e := range textEnums() {
			u := e.fresh()
			err := u.UnmarshalText(text)
			if err != nil {
				if !errors.Is(err, interaction.ErrBadInput) {
					t.Fatalf("%s %q: %v, want ErrBadInput", e.name, text, err)
				}
				continue
			}
			back, err := e.marshalBack(u)
			if err != nil || string(back) != string(text) {
				t.Fatalf("%s %q parsed, marshals back as %q, %v", e.name, text, back, err)
			}
		}
	})
}

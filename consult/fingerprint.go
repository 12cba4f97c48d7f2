package consult

import (
	"fmt"
	"strings"
	"time"

	"github.com/chatconsult/chatconsult/interaction"
)

// A command's fingerprint (interaction.Fingerprint) hashes it in Go syntax
// (%#v), and is stored on the events of a command run with a caller-chosen
// ID: a retry must still match what was stored before a field was renamed.
// These commands name the agent invited Invitee now and Agent then, so
// they print as they did (TestFingerprintsKept).

type startForm struct {
	Leg     LegID
	Target  interaction.Target
	Agent   PartyID
	Medium  interaction.Medium
	Route   RouteID
	Timeout time.Duration
}

// GoString is the command in Go syntax as it read while Invitee was Agent.
func (c Start) GoString() string {
	return goSyntax("consult.Start", startForm{Leg: c.Leg, Target: c.Target, Agent: c.Invitee, Medium: c.Medium, Route: c.Route, Timeout: c.Timeout})
}

type directForm struct {
	Request RequestID
	Kind    interaction.RequestKind
	Target  interaction.Target
	Agent   PartyID
	Route   RouteID
	Timeout time.Duration
}

// GoString is the command in Go syntax as it read while Invitee was Agent.
func (c Direct) GoString() string {
	return goSyntax("consult.Direct", directForm{Request: c.Request, Kind: c.Kind, Target: c.Target, Agent: c.Invitee, Route: c.Route, Timeout: c.Timeout})
}

type offerForm struct {
	ID    InvitationID
	Agent PartyID
}

// GoString is the offer in Go syntax as it read while Invitee was Agent
// (a Reroute prints its offers so).
func (o Offer) GoString() string {
	return goSyntax("consult.Offer", offerForm{ID: o.ID, Agent: o.Invitee})
}

// goSyntax is v in Go syntax under the type name name.
func goSyntax(name string, v any) string {
	s := fmt.Sprintf("%#v", v)
	return name + s[strings.IndexByte(s, '{'):]
}

package interaction

import (
	"strconv"
	"sync/atomic"

	"github.com/google/uuid"
)

// ID identifies one interaction (one contact chat session and its event stream).
type ID string

// PartyID identifies a participant: a contact, an agent or a supervisor.
// The library does not interpret it; it is the caller's user identifier.
type PartyID string

// LegID identifies one consultation leg inside an interaction.
type LegID string

// RequestID identifies one transfer or conference request inside an
// interaction. Leg and request IDs are drawn from one space: no request
// has the ID of a leg of the same interaction, so that an invitation (a
// leg or a request, R-X1) is named by its ID alone: an InvitationID.
type RequestID string

// InvitationID names an invitation (R-X1): a consultation leg or a
// transfer or conference request, whichever has the ID (leg and request
// IDs share one space per interaction, so it names one). It is what a
// field holds that may name either: Deadline.Invitation, Route.Offers,
// Event.Invitation, and in packages routing and consult the offers of a
// routed invitation. Convert with InvitationID(leg), InvitationID(req),
// and back with LegID(inv) or RequestID(inv) once it is known which the
// invitation is (State.Leg, State.Request).
type InvitationID string

// RouteID names one routed invitation (R-X1, Route): every offer of it
// carries it (Event.Route, Leg.Route, Request.Route). consult's Service
// gives each a fresh ID; a Start or Direct given none names its route
// after its own leg or request.
type RouteID string

// System is the acting party for what the library does on its own
// (time-outs, routing offers). No user may act as System.
const System PartyID = "system"

// IDSource makes fresh identifiers. Tests inject a sequential one so that
// runs replay exactly.
type IDSource interface {
	NewID() string
}

// UUIDs is the default IDSource (random version-4 UUIDs).
type UUIDs struct{}

// NewID returns a new random UUID.
func (UUIDs) NewID() string { return uuid.NewString() }

// SequentialIDs returns prefix-1, prefix-2, … It is safe for concurrent use.
type SequentialIDs struct {
	Prefix string
	n      atomic.Uint64
}

// NewID returns the next identifier.
func (s *SequentialIDs) NewID() string {
	return s.Prefix + strconv.FormatUint(s.n.Add(1), 10)
}

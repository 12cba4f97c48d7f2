package interaction

import "github.com/looplab/fsm"

// All four machines of the domain live here, in one file, because they all
// change one aggregate: a consultation leg and a transfer or conference
// request belong to their interaction (R-H1), and ending the contact session
// must end its legs in the same write (R-C7). Package consult drives the leg
// and request machines; this package drives the other two.

// Interaction states.
const (
	StatusWaiting = "waiting" // opened by the contact, no agent yet
	StatusActive  = "active"  // an agent is engaged with the contact
	StatusEnded   = "ended"   // the contact session is over; agents wrap up
	StatusClosed  = "closed"  // every agent who took part marked it done (R-C8)
)

// InteractionMachine is the life of one contact chat session.
var InteractionMachine = NewMachine("interaction", StatusWaiting, fsm.Events{
	{Name: "agent_joins", Src: []string{StatusWaiting}, Dst: StatusActive},
	{Name: "end", Src: []string{StatusWaiting, StatusActive}, Dst: StatusEnded},
	{Name: "close", Src: []string{StatusEnded}, Dst: StatusClosed},
})

// Membership states of one party.
const (
	MemberNone      = "none" // not (yet) a party
	MemberInvited   = "invited"
	MemberJoined    = "joined"
	MemberDeclined  = "declined"
	MemberWithdrawn = "withdrawn" // invitation cancelled or timed out
	MemberLeft      = "left"
	MemberRemoved   = "removed"
	MemberDone      = "done" // marked the interaction done (R-C8)
)

// MembershipMachine is the life of one party in one interaction. A party
// that has finished can be invited again (a second consultation with the
// same agent); it must then mark done again.
var MembershipMachine = NewMachine("membership", MemberNone, fsm.Events{
	{Name: "invite", Src: []string{MemberNone, MemberDeclined, MemberWithdrawn, MemberLeft, MemberRemoved, MemberDone}, Dst: MemberInvited},
	// enter: in without an invitation. The contact opening its chat; a
	// supervisor starting to monitor, coach or barge in, also again after
	// it left (R-X7).
	{Name: "enter", Src: []string{MemberNone, MemberLeft, MemberDone}, Dst: MemberJoined},
	{Name: "accept", Src: []string{MemberInvited}, Dst: MemberJoined},
	{Name: "decline", Src: []string{MemberInvited}, Dst: MemberDeclined},
	{Name: "withdraw", Src: []string{MemberInvited}, Dst: MemberWithdrawn},
	{Name: "leave", Src: []string{MemberJoined}, Dst: MemberLeft},
	{Name: "remove", Src: []string{MemberJoined}, Dst: MemberRemoved},
	// done from declined or withdrawn: an agent who took part, left, and
	// was then invited again and said no must still be able to mark done
	// (R-C8); MarkDone checks that it took part.
	{Name: "done", Src: []string{MemberJoined, MemberLeft, MemberRemoved, MemberDeclined, MemberWithdrawn}, Dst: MemberDone},
})

// Consultation leg states.
const (
	LegNone        = "none"
	LegInviting    = "inviting"
	LegActive      = "active"
	LegDeclined    = "declined"
	LegCancelled   = "cancelled"
	LegTimedOut    = "timed_out"
	LegEnded       = "ended"
	LegTransferred = "transferred" // became a transfer (R-T1)
	LegConferenced = "conferenced" // became a conference (R-F1)
)

// LegMachine is the life of one consultation leg (R-C1–R-C4, R-X2), and
// who fires each transition: the owner who started it, its target, the
// system (the clock at the deadline, routing rescinding or offering on in
// the owner's name), never the contact (R-X6).
var LegMachine = NewMachine("leg", LegNone, fsm.Events{
	{Name: "invite", Src: []string{LegNone}, Dst: LegInviting},
	{Name: "accept", Src: []string{LegInviting}, Dst: LegActive},
	{Name: "decline", Src: []string{LegInviting}, Dst: LegDeclined},
	{Name: "cancel", Src: []string{LegInviting}, Dst: LegCancelled},
	{Name: "time_out", Src: []string{LegInviting}, Dst: LegTimedOut},
	{Name: "end", Src: []string{LegActive}, Dst: LegEnded},
	{Name: "transfer", Src: []string{LegActive}, Dst: LegTransferred},
	{Name: "conference", Src: []string{LegActive}, Dst: LegConferenced},
}).WithFirers(map[string]Permission{
	"invite":     {ByOwner | BySystem, "R-C1"},
	"accept":     {ByTarget, "R-C3"},
	"decline":    {ByTarget, "R-C3"},
	"cancel":     {ByOwner | BySystem | ByCascade, "R-X2"},
	"time_out":   {BySystem, "R-X1"},
	"end":        {ByOwner | ByTarget | ByCascade, "R-C4"},
	"transfer":   {ByOwner, "R-T1"},
	"conference": {ByTarget, "R-F1"}, // the target accepts the conference request made from the leg
})

// RoleMachine is how a party's role changes while it is in the chat: a
// consultation target becomes the owner (transfer, R-T1) or a member
// (conference, R-F1); the earliest member takes over from an owner who
// leaves (R-F6); a supervisor barges in (R-X7). A party gets its first role
// when it is invited or enters (MembershipMachine). A supervisor switching
// between monitoring and coaching, or to another agent, keeps its role.
var RoleMachine = NewMachine("role", RoleContact.String(), fsm.Events{
	{Name: "transfer", Src: []string{RoleConsultant.String()}, Dst: RoleOwner.String()},
	{Name: "conference", Src: []string{RoleConsultant.String()}, Dst: RoleMember.String()},
	{Name: "hand_over", Src: []string{RoleMember.String()}, Dst: RoleOwner.String()},
	{Name: "barge_in", Src: []string{RoleSupervisor.String()}, Dst: RoleMember.String()},
}).WithEntries(RoleContact.String(), RoleOwner.String(), RoleMember.String(), RoleConsultant.String(), RoleSupervisor.String())

// Transfer and conference request states.
const (
	RequestNone      = "none"
	RequestPending   = "pending"
	RequestAccepted  = "accepted"
	RequestDeclined  = "declined"
	RequestTimedOut  = "timed_out"
	RequestCancelled = "cancelled"
)

// RequestMachine is the life of one transfer or conference request that
// needs the target's answer (R-F4, R-X4), and who fires each transition,
// as for LegMachine.
var RequestMachine = NewMachine("request", RequestNone, fsm.Events{
	{Name: "request", Src: []string{RequestNone}, Dst: RequestPending},
	{Name: "accept", Src: []string{RequestPending}, Dst: RequestAccepted},
	{Name: "decline", Src: []string{RequestPending}, Dst: RequestDeclined},
	{Name: "time_out", Src: []string{RequestPending}, Dst: RequestTimedOut},
	{Name: "cancel", Src: []string{RequestPending}, Dst: RequestCancelled},
}).WithFirers(map[string]Permission{
	"request":  {ByOwner | BySystem, "R-X4"},
	"accept":   {ByTarget, "R-F4"},
	"decline":  {ByTarget, "R-F4"},
	"time_out": {BySystem, "R-X1"},
	"cancel":   {ByOwner | BySystem | ByCascade, "R-X2"},
})

// Machines lists every machine, for docs and checkers.
func Machines() []*Machine {
	return []*Machine{InteractionMachine, MembershipMachine, RoleMachine, LegMachine, RequestMachine}
}

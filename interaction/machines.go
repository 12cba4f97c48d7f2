package interaction

// The machines of the domain live here, in one file, because they all
// change one aggregate: a consultation leg and a transfer or conference
// request belong to their interaction (R-H1), and ending the contact session
// must end its legs in the same write (R-C7). Package consult's commands
// start, answer and turn legs and requests; this package fires them too
// where the system or a cascade does (a deadline, the session ending, a
// party leaving), and drives the interaction, membership, role and chat
// offer machines. The chat offer and routed invitation machines are the
// ones whose state is not recorded: a chat offer's is read from the
// party's role and membership (offerOf), and its transitions are recorded
// as the membership changes they make; a routed invitation's is read from
// its offers (RouteStateOf), and its transitions are checked, not
// recorded, as its offers' legs and requests are written.

// Status is a state of the interaction machine.
type Status string

// Interaction states.
const (
	StatusWaiting Status = "waiting" // opened by the contact, no agent yet
	StatusActive  Status = "active"  // an agent is engaged with the contact
	StatusEnded   Status = "ended"   // the contact session is over; agents wrap up
	StatusClosed  Status = "closed"  // every agent who took part marked it done (R-C8)
)

// InteractionMachine is the life of one contact chat session.
var InteractionMachine = NewMachine("interaction", StatusWaiting, []Transition[Status]{
	{On: TriggerAgentJoins, From: []Status{StatusWaiting}, To: StatusActive, Rule: "R-X1"},
	{On: TriggerEnd, From: []Status{StatusWaiting, StatusActive}, To: StatusEnded, Rule: "R-C7", Guards: []Guard{hasSession}},
	{On: TriggerClose, From: []Status{StatusEnded}, To: StatusClosed, Rule: "R-C8"},
})

// MemberState is a state of the membership machine: where one party
// stands in one interaction.
type MemberState string

// Membership states of one party.
const (
	MemberNone      MemberState = "none" // not (yet) a party
	MemberInvited   MemberState = "invited"
	MemberJoined    MemberState = "joined"
	MemberDeclined  MemberState = "declined"
	MemberWithdrawn MemberState = "withdrawn" // invitation cancelled or timed out
	MemberLeft      MemberState = "left"
	MemberRemoved   MemberState = "removed"
	MemberDone      MemberState = "done" // marked the interaction done (R-C8)
)

// MembershipMachine is the life of one party in one interaction, and who
// fires each transition, relative to that party (BySelf: the party
// itself) and the chat's owner: the owner or routing (the system) invites
// (R-C3, R-X4, R-X1); a party enters, accepts, declines, leaves and marks
// done for itself (R-X6); routing withdraws an invitation (a chat offer
// taken back, a request timed out); the owner removes a member (R-F5). A withdrawal or a
// leaving that is part of another transition (a consultation ending, a
// request cancelled, the session ending, another agent joining a chat
// offered to several) is that transition's firers' to make: the Decision
// fires it as a cascade. A party that has finished can be invited again
// (a second consultation with the same agent); it must then mark done
// again.
var MembershipMachine = NewMachine("membership", MemberNone, []Transition[MemberState]{
	{On: TriggerInvite, From: []MemberState{MemberNone, MemberDeclined, MemberWithdrawn, MemberLeft, MemberRemoved, MemberDone}, To: MemberInvited,
		By: ByOwner | BySystem, Rule: "R-X6"},
	// enter: in without an invitation. The contact opening its chat; a
	// supervisor starting to monitor, coach or barge in, also again after
	// it left (R-X7).
	{On: TriggerEnter, From: []MemberState{MemberNone, MemberLeft, MemberDone}, To: MemberJoined, By: BySelf, Rule: "R-X6", Guards: []Guard{entersItself}},
	{On: TriggerAccept, From: []MemberState{MemberInvited}, To: MemberJoined, By: BySelf, Rule: "R-X6"},
	{On: TriggerDecline, From: []MemberState{MemberInvited}, To: MemberDeclined, By: BySelf, Rule: "R-X6"},
	{On: TriggerWithdraw, From: []MemberState{MemberInvited}, To: MemberWithdrawn, By: BySystem | ByCascade, Rule: "R-X6"},
	{On: TriggerLeave, From: []MemberState{MemberJoined}, To: MemberLeft, By: BySelf | ByCascade, Rule: "R-X6", Guards: []Guard{stillIn}},
	{On: TriggerRemove, From: []MemberState{MemberJoined}, To: MemberRemoved, By: ByOwner, Rule: "R-F5", Guards: removeGuards},
	// done from declined or withdrawn: an agent who took part, left, and
	// was then invited again and said no must still be able to mark done
	// (R-C8); its guard "took part" checks that it did.
	{On: TriggerDone, From: []MemberState{MemberJoined, MemberLeft, MemberRemoved, MemberDeclined, MemberWithdrawn}, To: MemberDone, By: BySelf, Rule: "R-C8", Guards: doneGuards},
})

// OfferState is a state of the chat offer machine: where one agent stands
// with the offer of a waiting chat, made by routing (R-X1). Nothing records
// it: it is read from the party's role and membership (offerOf), so logs
// hold no offer events of their own.
type OfferState string

// Chat offer states of one party.
const (
	OfferNone      OfferState = "none"      // not offered the chat (not a party, or not in the owner's role)
	OfferPending   OfferState = "pending"   // offered, not answered: invited as the owner
	OfferTaken     OfferState = "taken"     // joined as the owner (also one the chat came to by a transfer or a hand-over)
	OfferDeclined  OfferState = "declined"  // the agent turned it down
	OfferWithdrawn OfferState = "withdrawn" // taken back: routing's time-out, another agent joined, or the session ended
)

// OfferMachine is the life of one offer of a waiting chat to one agent
// (R-X1), and who fires each transition: routing (the system) offers the
// chat and takes an offer back; the agent offered (its target) joins or
// declines. Several offers may be out at once; the first agent to join
// wins. Assign, Join, Decline and Withdraw fire it, then record the
// membership change it stands for (invite, accept, decline, withdraw). The
// offers still pending when an agent joins or the session ends are
// withdrawn as part of that change, by the membership machine alone.
//
// Each transition's rule is R-X6 (who may do what), which a refusal of
// its firers names, as the commands' own checks did before the table;
// R-X1's part, that a chat is offered, declined and taken back only while
// it waits, is the guard "the chat is waiting". An owner invited to an
// active chat is the agent asked by a transfer request (RequestMachine):
// its offer reads as pending, but a decline or a withdrawal of it is
// refused by "the chat is waiting", and a join by the interaction machine
// (agent_joins only from waiting), as before.
var OfferMachine = NewMachine("chat offer", OfferNone, []Transition[OfferState]{
	{On: TriggerOffer, From: []OfferState{OfferNone, OfferDeclined, OfferWithdrawn}, To: OfferPending, By: BySystem, Rule: "R-X6",
		Guards: []Guard{chatWaiting(", not waiting"), notTheContact}},
	{On: TriggerAccept, From: []OfferState{OfferPending}, To: OfferTaken, By: ByInvitee, Rule: "R-X6", Guards: []Guard{offerPending}},
	{On: TriggerDecline, From: []OfferState{OfferPending}, To: OfferDeclined, By: ByInvitee, Rule: "R-X6",
		Guards: []Guard{offerPending, chatWaiting(": no chat offer to decline")}},
	{On: TriggerWithdraw, From: []OfferState{OfferPending}, To: OfferWithdrawn, By: BySystem, Rule: "R-X6",
		Guards: []Guard{chatWaiting(": no chat offer to withdraw")}},
}).Derived()

// offerOf is the chat offer state of party p (nil for one not yet a
// party): an agent in the owner's role stands where its membership says;
// anyone else has no offer.
func offerOf(p *Party) OfferState {
	if p == nil || p.Role != RoleOwner {
		return OfferNone
	}
	switch p.Membership {
	case MemberInvited:
		return OfferPending
	case MemberDeclined:
		return OfferDeclined
	case MemberWithdrawn:
		return OfferWithdrawn
	case MemberJoined, MemberLeft, MemberRemoved, MemberDone:
		return OfferTaken
	}
	return OfferNone
}

// LegState is a state of the consultation leg machine.
type LegState string

// Consultation leg states.
const (
	LegNone        LegState = "none"
	LegInviting    LegState = "inviting"
	LegActive      LegState = "active"
	LegDeclined    LegState = "declined"
	LegCancelled   LegState = "cancelled"
	LegTimedOut    LegState = "timed_out"
	LegEnded       LegState = "ended"
	LegTransferred LegState = "transferred" // became a transfer (R-T1)
	LegConferenced LegState = "conferenced" // became a conference (R-F1)
)

// LegMachine is the life of one consultation leg (R-C1–R-C4, R-X2), and
// who fires each transition: the owner who started it, its target, the
// system (the clock at the deadline, routing rescinding or offering on in
// the owner's name), never the contact (R-X6).
var LegMachine = NewMachine("leg", LegNone, []Transition[LegState]{
	{On: TriggerInvite, From: []LegState{LegNone}, To: LegInviting, By: ByOwner | BySystem, Rule: "R-C1", Guards: append(ownsActiveChat("R-C1"),
		anotherAgent("R-C1", "a consultation is with another internal agent"), notInChat("R-X3"), joinsRoute[0], joinsRoute[1], joinsRoute[2])},
	{On: TriggerAccept, From: []LegState{LegInviting}, To: LegActive, By: ByInvitee, Rule: "R-C3"},
	{On: TriggerDecline, From: []LegState{LegInviting}, To: LegDeclined, By: ByInvitee, Rule: "R-C3"},
	{On: TriggerCancel, From: []LegState{LegInviting}, To: LegCancelled, By: ByOwner | BySystem | ByCascade, Rule: "R-X2"},
	{On: TriggerTimeOut, From: []LegState{LegInviting}, To: LegTimedOut, By: BySystem, Rule: "R-X1", Guards: []Guard{due}},
	{On: TriggerEnd, From: []LegState{LegActive}, To: LegEnded, By: ByOwner | ByInvitee | ByCascade, Rule: "R-C4"},
	{On: TriggerTransfer, From: []LegState{LegActive}, To: LegTransferred, By: ByOwner, Rule: "R-T1", Guards: ownsActiveChat("R-T1")},
	// the target accepts the conference request made from the leg
	{On: TriggerConference, From: []LegState{LegActive}, To: LegConferenced, By: ByInvitee, Rule: "R-F1"},
})

// LegMessageMachine is who may write in a consultation, and when: its two
// agents (R-C5), while it is active, and not in a voice consultation, which
// has no transcript (R-C10). Its states are the leg's (LegMachine); a
// message changes none of them, so writing is a transition back to the
// state it leaves, fired to check the table and never recorded: the
// message is the event. It is a table apart from LegMachine so that no
// leg event can name it (a log with one is refused as the leg machine
// allows no "write").
//
// Decides R-C5: only a consultation's two agents write in it, while it is active.
var LegMessageMachine = NewMachine("consultation message", LegActive, []Transition[LegState]{
	{On: TriggerWrite, From: []LegState{LegActive}, To: LegActive, By: ByOwner | ByInvitee, Rule: "R-C5", Guards: []Guard{transcribed}},
}).Derived()

// ChatMessageMachine is who may write in the chat itself, and when: to
// everyone in it (write), a party in the chat that is the contact or
// engaged with it, not a consultation target (it writes in its leg, R-C5)
// nor a supervisor (R-X7), while the chat is active, or while it waits for
// the contact; a note to the agents (note), an agent in the chat that is
// neither a supervisor (a note would show a silent monitor, R-X7) nor a
// consultation target (a note reaches every agent, other legs' targets
// included, R-X3), whatever the chat's status; a read receipt (read), a
// party in the chat, whatever the status. Writing to everyone is
// declared from waiting and active only; its guard "the chat is active,
// or waiting for the contact" refuses an ended chat as "chat is ended",
// before the state would. Its states are the
// interaction's (InteractionMachine); like LegMessageMachine it is derived
// and never recorded: writing changes no state, the message is the event.
// Every guard reads the chat and the actor only (First), so a party that
// may not write is refused for what it is before it learns the chat's
// status (Decision.WriteInChat, Decision.WriteNote).
var ChatMessageMachine = NewMachine("chat message", StatusWaiting, []Transition[Status]{
	{On: TriggerWrite, From: []Status{StatusWaiting}, To: StatusWaiting, Rule: "R-X6", Guards: chatWriteGuards},
	{On: TriggerWrite, From: []Status{StatusActive}, To: StatusActive, Rule: "R-X6", Guards: chatWriteGuards},
	// a note is written whatever the status: the last engaged agent
	// wraps up with notes after the session ended
	{On: TriggerNote, From: []Status{StatusWaiting}, To: StatusWaiting, Rule: "R-X6", Guards: noteGuards},
	{On: TriggerNote, From: []Status{StatusActive}, To: StatusActive, Rule: "R-X6", Guards: noteGuards},
	{On: TriggerNote, From: []Status{StatusEnded}, To: StatusEnded, Rule: "R-X6", Guards: noteGuards},
	{On: TriggerNote, From: []Status{StatusClosed}, To: StatusClosed, Rule: "R-X6", Guards: noteGuards},
	// a receipt (MarkRead) is a party's own, whatever the status: it
	// reads what it may while it is in the chat
	{On: TriggerRead, From: []Status{StatusWaiting}, To: StatusWaiting, Rule: "R-X6", Guards: readGuards},
	{On: TriggerRead, From: []Status{StatusActive}, To: StatusActive, Rule: "R-X6", Guards: readGuards},
	{On: TriggerRead, From: []Status{StatusEnded}, To: StatusEnded, Rule: "R-X6", Guards: readGuards},
	{On: TriggerRead, From: []Status{StatusClosed}, To: StatusClosed, Rule: "R-X6", Guards: readGuards},
}).WithEntries(StatusActive, StatusEnded, StatusClosed).Derived()

// RoleMachine is how a party's role changes while it is in the chat: a
// consultation target becomes the owner (transfer, R-T1) or a member
// (conference, R-F1); the earliest member takes over from an owner who
// leaves (R-F6); a supervisor barges in, or switches between monitoring
// and coaching and between agents, staying a supervisor (R-X7). A party
// gets its first role when it is invited or enters (MembershipMachine).
// Who fires each transition is relative to the party whose role changes
// (BySelf: the party itself): it takes the conference it accepts, and supervises for
// itself; the hand-overs are part of a transfer or of an owner leaving.
// Its states are the roles, by name (RoleState, Role.State).
var RoleMachine = NewMachine("role", RoleContact.State(), []Transition[RoleState]{
	// The chat passing to a consultation's or a transfer request's target
	// is part of the transfer (Decision.HandOver), never a command's own.
	{On: TriggerTransfer, From: []RoleState{RoleConsultant.State()}, To: RoleOwner.State(), By: ByCascade, Rule: "R-T2"},
	{On: TriggerConference, From: []RoleState{RoleConsultant.State()}, To: RoleMember.State(), By: BySelf, Rule: "R-F1"},
	{On: TriggerHandOver, From: []RoleState{RoleMember.State()}, To: RoleOwner.State(), By: ByCascade, Rule: "R-F6"},
	{On: TriggerBargeIn, From: []RoleState{RoleSupervisor.State()}, To: RoleMember.State(), By: BySelf, Rule: "R-X7", Guards: bargeInGuards},
	{On: TriggerMonitor, From: []RoleState{RoleSupervisor.State()}, To: RoleSupervisor.State(), By: BySelf, Rule: "R-X7", Guards: superviseGuards},
	{On: TriggerCoach, From: []RoleState{RoleSupervisor.State()}, To: RoleSupervisor.State(), By: BySelf, Rule: "R-X7", Guards: superviseGuards},
}).WithEntries(RoleContact.State(), RoleOwner.State(), RoleMember.State(), RoleConsultant.State(), RoleSupervisor.State())

// RoleState is a state of the role machine: a role by its name
// (Role.String), so that the role machine's table is typed like the
// others while a party's Role stays the small value it is.
type RoleState string

// State is role r as a state of the role machine.
func (r Role) State() RoleState { return RoleState(r.String()) }

// RequestState is a state of the transfer and conference request machine.
type RequestState string

// Transfer and conference request states.
const (
	RequestNone      RequestState = "none"
	RequestPending   RequestState = "pending"
	RequestAccepted  RequestState = "accepted"
	RequestDeclined  RequestState = "declined"
	RequestTimedOut  RequestState = "timed_out"
	RequestCancelled RequestState = "cancelled"
)

// RequestMachine is the life of one transfer or conference request that
// needs the target's answer (R-F4, R-X4), and who fires each transition,
// as for LegMachine.
var RequestMachine = NewMachine("request", RequestNone, []Transition[RequestState]{
	{On: TriggerRequest, From: []RequestState{RequestNone}, To: RequestPending, By: ByOwner | BySystem, Rule: "R-X4", Guards: requestGuards},
	{On: TriggerAccept, From: []RequestState{RequestPending}, To: RequestAccepted, By: ByInvitee, Rule: "R-F4", Guards: []Guard{chatActive("R-C7")}},
	{On: TriggerDecline, From: []RequestState{RequestPending}, To: RequestDeclined, By: ByInvitee, Rule: "R-F4"},
	{On: TriggerTimeOut, From: []RequestState{RequestPending}, To: RequestTimedOut, By: BySystem, Rule: "R-X1", Guards: []Guard{due}},
	{On: TriggerCancel, From: []RequestState{RequestPending}, To: RequestCancelled, By: ByOwner | BySystem | ByCascade, Rule: "R-X2"},
})

// RouteState is a state of the routed invitation machine: where one
// invitation aimed at a group, a skill or a queue stands (R-X1). Nothing
// records it: it is read from the offers of the route (RouteStateOf), the
// legs or requests whose first event names it.
type RouteState string

// Routed invitation states.
const (
	RouteNone       RouteState = "none"       // not begun: no offer made yet
	RouteOut        RouteState = "out"        // an offer is pending, none was taken
	RouteUnanswered RouteState = "unanswered" // no offer is pending and none was taken: each declined, timed out, or was rescinded or cancelled
	RouteTaken      RouteState = "taken"      // an offer was accepted: the invitation is over
)

// RouteMachine is the life of one routed invitation (R-X1), and who fires
// each transition: the owner who asks, or routing (the system) in its
// name, makes the first offers, several at once for a fan-out, and more
// while some are out; only routing offers an invitation on once every
// offer so far ended unanswered; the agent offered (the target of that
// offer) accepts it, and the first accept takes the invitation: an accept
// after another offer was taken is refused by the guard "no other offer
// was accepted first", which tells the agent so. Like the chat offer
// machine it is never recorded: Decision.FireRoute checks the table and
// the commands record the offers' own leg or request events; its lapse
// is what those machines do to the last offer out (a decline, a time-out,
// a rescind, a cancel, the session ending), which the route reads as
// unanswered. The offer's own conditions (the owner of the active chat,
// another agent not in the chat nor tried, the route of the same
// invitation and not taken) are the guards of the leg's invite and the
// request's request, which every offer fires first.
var RouteMachine = NewMachine("routed invitation", RouteNone, []Transition[RouteState]{
	{On: TriggerOffer, From: []RouteState{RouteNone, RouteOut, RouteUnanswered}, To: RouteOut, By: ByOwner | BySystem, Rule: "R-X1"},
	{On: TriggerLapse, From: []RouteState{RouteOut}, To: RouteUnanswered, By: ByOwner | ByInvitee | BySystem | ByCascade, Rule: "R-X1"},
	{On: TriggerOfferOn, From: []RouteState{RouteUnanswered}, To: RouteOut, By: BySystem, Rule: "R-X1"},
	{On: TriggerAccept, From: []RouteState{RouteOut}, To: RouteTaken, By: ByInvitee, Rule: "R-X1", Guards: []Guard{rivalsOfOffer}},
	{On: TriggerAccept, From: []RouteState{RouteTaken}, To: RouteTaken, By: ByInvitee, Rule: "R-X1", Guards: []Guard{rivalsOfOffer, acceptedFirst}},
}).Derived()

// RouteStateOf is the state of the routed invitation r (nil: not begun).
func RouteStateOf(r *Route) RouteState {
	switch {
	case r == nil || len(r.Offers) == 0:
		return RouteNone
	case r.Taken != "":
		return RouteTaken
	case len(r.Out) > 0:
		return RouteOut
	}
	return RouteUnanswered
}

// Machines lists every machine's chart, for docs and checkers.
func Machines() []*Chart {
	return []*Chart{&InteractionMachine.Chart, &MembershipMachine.Chart, &OfferMachine.Chart, &RoleMachine.Chart, &LegMachine.Chart, &LegMessageMachine.Chart, &ChatMessageMachine.Chart, &RequestMachine.Chart, &RouteMachine.Chart}
}

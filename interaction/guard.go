package interaction

import (
	"slices"
	"time"
)

// Guard is a side condition of a transition, declared beside it in its
// machine's table: a transition the state allows, fired by someone who may
// fire it, still needs each of its guards to hold. Keeping them in the
// tables, not in the commands, means that every command firing the
// transition checks them, the same way and in the same order, and that
// the docs generated from the tables show them (docs/state-machines.md).
//
// A guard decides legality only: the shape of a command's input (IDs,
// text, time-outs) is checked by the command first, as bad input (R-X6).
type Guard struct {
	// Name says what must hold, in a few words, for the docs.
	Name string
	// Rule is the SPEC.md rule that asks for it.
	Rule string
	// Kind is the error kind of the refusal when it does not hold
	// (ErrNotPermitted, ErrInvalidTransition, ErrConflict, …).
	Kind error
	// Detail is what the refusal says; Name when empty.
	Detail string
	// Explain, when set, says it for the input at hand instead (when an
	// invitation is due, say), so a caller learns what it would retry on.
	Explain func(GuardInput) string
	// Holds reports whether the condition holds. It must only read its
	// input.
	Holds func(GuardInput) bool
	// First marks a guard that does not read the state the transition
	// leaves from: a command may check it before that state
	// (Decision.CheckFirst). Most read the chat and the actor only, and a
	// command checks them before it looks its leg, request or party up,
	// so that a party it refuses learns nothing of which ones exist
	// (R-X6); a few read what the command names, looked up but not yet
	// told (whom the owner removes, the rivals an accept names), and hold
	// while it is nil. The chat offer machine checks them before the
	// offer's state (a withdrawal, which only System makes, looks its
	// agent up first); the role machine checks who may supervise before a
	// member that barged in learns that a member has no monitor edge.
	First bool
}

// GuardInput is what a guard reads: the interaction before the transition
// and what the transition is of. It is passed by value (a guard costs no
// allocation); its Party, Leg and Request point into State, which is the
// Decision's working copy: read them, never write.
type GuardInput struct {
	// State is the interaction as it stands before the transition.
	State *State
	// Now is the command's time.
	Now time.Time
	// Actor is who fires the transition, as its event will name it: the
	// command's actor, or the one the command names (the owner of an
	// invitation that routing writes on, System rescinding an offer).
	Actor PartyID
	// Party is the party whose membership or role changes (for the
	// supervisor's transitions, the supervisor); nil for one not yet a
	// party.
	Party *Party
	// Member is the ID of the party whose membership changes, set also
	// when it is not a party yet (Party nil).
	Member PartyID
	// Leg and Request are the leg or request the transition is of; nil
	// for the other machines and for a new one.
	Leg     *Leg
	Request *Request
	// Asked is what a new leg or request is asked for (its first event:
	// Party the agent invited, Target, Medium, Route, Via, Request kind);
	// zero otherwise.
	Asked Asked
	// Supervised is the agent a supervisor's transition is about (the
	// chat's owner for a barge-in without monitoring first).
	Supervised PartyID
	// Rivals are the other offers of its routed invitation that an accept
	// names (AcceptOffer.Rivals); nil otherwise.
	Rivals []InvitationID

	supervision SupervisionPolicy
}

// Asked is what a new leg or request asks for: the fields of its first
// event that the guards read.
type Asked struct {
	Invitee PartyID
	Target  Target
	Medium  Medium
	Route   RouteID
	Via     LegID
	Kind    RequestKind
}

func askedBy(ev *Event) Asked {
	return Asked{Invitee: ev.Party, Target: ev.Target, Medium: ev.Medium, Route: ev.Route, Via: ev.Via, Kind: ev.RequestKind}
}

// MaySupervise asks the embedding service's policy (R-X7) whether the
// actor may supervise agent; none refuses.
func (in GuardInput) MaySupervise(agent PartyID) bool {
	return in.supervision != nil && agent != "" && in.supervision.MaySupervise(in.State.ID, in.Actor, agent)
}

// fire is every transition a command makes, on any machine: on a machine
// that declares its firers, by (what the actor is to the leg, request or
// offer) must be one of them, unless the transition is fired as part of
// another change (cascade) and the table lets it be; the state must allow
// trigger from from (else ErrInvalidTransition with the table's rule);
// then every guard of the edge must hold. It returns the state the
// transition leads to.
func (d *Decision) fire(m *Chart, from string, trigger Trigger, by Firers, cascade bool, in GuardInput) (string, error) {
	// Who may fire comes first: a party that may not fire the transition
	// learns nothing of the state it would leave from.
	t := m.triggerOf(trigger)
	if err := d.checkFirersOf(m, t, trigger, by, cascade); err != nil {
		return "", err
	}
	a, err := m.arrowOf(t, from, trigger)
	if err != nil {
		return "", d.wrap(err)
	}
	if gs := a.guards; len(gs) > 0 {
		d.completeInput(&in)
		for i := range gs {
			if !gs[i].Holds(in) {
				return "", d.guardRefusal(gs[i], in)
			}
		}
	}
	return a.to, nil
}

// checkFirers refuses the transition unless by may fire it by a command
// (Chart.MayFire), or it is fired as part of another change (cascade)
// and the table lets it be.
func (d *Decision) checkFirers(m *Chart, trigger Trigger, by Firers, cascade bool) error {
	return d.checkFirersOf(m, m.triggerOf(trigger), trigger, by, cascade)
}

// checkFirersOf is checkFirers with trigger's part of the table found (t,
// nil for a trigger the table does not have).
func (d *Decision) checkFirersOf(m *Chart, t *triggerEdges, trigger Trigger, by Firers, cascade bool) error {
	if m.firers == nil {
		return nil
	}
	var p Permission
	if t != nil {
		p = t.firers
	}
	if !(cascade && p.By&ByCascade != 0) && p.By&by&^ByCascade == 0 {
		return d.Refuse(ErrNotPermitted, p.Rule, "only "+p.By.words()+" may "+trigger.Words()+" a "+m.Name)
	}
	return nil
}

// completeInput fills in what every guard may read of the command: the
// State, the time, the supervision policy, and the actor unless the
// command names another.
func (d *Decision) completeInput(in *GuardInput) {
	in.State, in.Now, in.supervision = d.State(), d.now, d.supervision
	if in.Actor == "" {
		in.Actor = d.actor
	}
}

// guardRefusal is the refusal of a guard that does not hold.
func (d *Decision) guardRefusal(g Guard, in GuardInput) error {
	detail := g.Detail
	switch {
	case g.Explain != nil:
		detail = g.Explain(in)
	case detail == "":
		detail = g.Name
	}
	return &Error{Kind: g.Kind, Op: d.op, Interaction: d.base.ID, Party: d.actor, Rule: g.Rule, Detail: detail, Guard: g.Name}
}

// CheckFirst runs the guards of a table's edge marked First, as firing it
// would, and refuses as it does. A command calls it before it looks up
// the leg, request or party it names, where whether that one exists is
// not for every party to learn: a transfer, a conference from a
// consultation, removing a member. in carries what a guard reads of the
// command (Asked.Via for a conference); the State, the time and the actor
// are filled in.
func (d *Decision) CheckFirst(t Table, from string, trigger Trigger, in GuardInput) error {
	return d.checkFirst(t.chart().Guards(from, trigger), in)
}

// checkFirstOn is CheckFirst from the first state trigger leaves from
// (Chart.source), found with one scan of the table: the check every
// command makes before it reads the state the transition leaves.
func (d *Decision) checkFirstOn(m *Chart, trigger Trigger, in GuardInput) error {
	t := m.triggerOf(trigger)
	if t == nil || len(t.arrows) == 0 {
		return nil
	}
	return d.checkFirst(t.arrows[0].guards, in) // arrows[0] leaves from t.source
}

func (d *Decision) checkFirst(gs []Guard, in GuardInput) error {
	if len(gs) == 0 {
		return nil
	}
	d.completeInput(&in)
	if g, failed := firstFailing(gs, in); failed {
		return d.guardRefusal(g, in)
	}
	return nil
}

// HoldsFirst reports whether the guards marked First of the edge from
// from on trigger hold for in, as CheckFirst would check them, outside a
// Decision: for a reader of the state asking whether a transition could
// still be made (routing, planning the next offer, asks whether the owner
// could still invite). in.State must be set; in.Now and the supervision
// policy are zero.
func (m *Chart) HoldsFirst(from string, trigger Trigger, in GuardInput) bool {
	_, failed := m.failingFirst(from, trigger, in)
	return !failed
}

// failingFirst is the first guard marked First of the edge from from on
// trigger that does not hold for in, in the order they are checked.
func (m *Chart) failingFirst(from string, trigger Trigger, in GuardInput) (Guard, bool) {
	return firstFailing(m.Guards(from, trigger), in)
}

// firstFailing is the first guard of gs marked First that does not hold
// for in.
func firstFailing(gs []Guard, in GuardInput) (Guard, bool) {
	for i := range gs {
		if gs[i].First && !gs[i].Holds(in) {
			return gs[i], true
		}
	}
	return Guard{}, false
}

// The guards of the tables in machines.go. Each is declared once and named
// for what must hold; a guard shared by several transitions takes the rule
// of the one it guards.

// ownsActiveChat: the actor is the present owner of the chat, and the chat
// is active: only an owner in an active chat asks for a consultation, a
// transfer or a conference (R-C1, R-T1, R-F1, R-X4).
//
// Decides R-C1, R-T1, R-F1, R-X4: only the present owner of an active chat asks for a consultation, a transfer or a conference.
func ownsActiveChat(rule string) []Guard {
	active := chatActive(rule)
	active.First = true
	return []Guard{{
		Name: "the actor owns the chat", Rule: rule, Kind: ErrNotPermitted, First: true,
		Detail: "only the owner of the chat may do this",
		Holds: func(in GuardInput) bool {
			p := in.State.Party(in.Actor)
			return p != nil && p.Role == RoleOwner && p.Present()
		},
	}, active}
}

// chatActive: the chat is active (an agent is engaged with the contact).
func chatActive(rule string) Guard {
	return Guard{Name: "the chat is active", Rule: rule, Kind: ErrInvalidTransition,
		Holds: func(in GuardInput) bool { return in.State.Status == StatusActive }}
}

// anotherAgent: the agent asked is neither the asker nor the contact.
func anotherAgent(rule, detail string) Guard {
	return Guard{Name: "the agent asked is another internal agent", Rule: rule, Kind: ErrNotPermitted, Detail: detail,
		Holds: func(in GuardInput) bool { return in.Asked.Invitee != in.Actor && in.Asked.Invitee != in.State.Contact }}
}

// notInChat: the agent asked is not in the chat, nor invited to it.
func notInChat(rule string) Guard {
	return Guard{Name: "the agent asked is not in the chat", Rule: rule, Kind: ErrConflict, Detail: "target is already in this interaction",
		Holds: func(in GuardInput) bool {
			q := in.State.Party(in.Asked.Invitee)
			return q == nil || (q.Membership != MemberJoined && q.Membership != MemberInvited)
		}}
}

// joinsRoute: a new offer of a routed invitation joins a route of the
// same owner, target and medium (or request kind) that no agent took yet
// and that was not offered to this agent before (R-X1).
var joinsRoute = []Guard{
	{Name: "an offer joins a route of the same invitation", Rule: "R-X1", Kind: ErrConflict, Detail: "route ID in use by another invitation",
		Holds: func(in GuardInput) bool {
			r := in.State.Route(in.Asked.Route)
			a := in.Asked
			return r == nil || (r.Owner == in.Actor && r.Target == a.Target && r.RequestKind == a.Kind && (a.Kind != RequestNoKind || r.Medium == a.Medium))
		}},
	{Name: "the routed invitation is not taken", Rule: "R-X1", Kind: ErrInvalidTransition, Detail: "the invitation was accepted already",
		Holds: func(in GuardInput) bool { r := in.State.Route(in.Asked.Route); return r == nil || r.Taken == "" }},
	{Name: "the agent was not offered the invitation before", Rule: "R-X1", Kind: ErrConflict,
		Holds: func(in GuardInput) bool {
			r := in.State.Route(in.Asked.Route)
			return r == nil || !r.HasTried(in.Asked.Invitee)
		}},
}

// entersItself: a party comes into a chat without an invitation only by
// its own command: a contact opens its own chat, a supervisor enters to
// watch (R-X6, R-X7). A log's "enter" must be its party's own as well
// (validate.go).
var entersItself = Guard{Name: "the party enters itself", Rule: "R-X6", Kind: ErrNotPermitted, First: true,
	Detail: "a party enters a chat only itself: a contact opens its own chat",
	Holds:  func(in GuardInput) bool { return in.Member != "" && in.Member == in.Actor },
}

// stillIn: a party leaves, or ends its session, only while it is in the
// chat (R-X6). Leaving is declared from joined only, so a firing always
// finds it holding; Leave and EndSession check it first (CheckFirst),
// before they choose what to fire, so that a party already out is told
// where it stands ("party is left") rather than what the session's
// machines would refuse after.
var stillIn = Guard{Name: "the party is still in the chat", Rule: "R-X6", Kind: ErrInvalidTransition, First: true,
	Detail: "party is not in the chat",
	Holds:  func(in GuardInput) bool { return in.Party != nil && in.Party.Present() },
	Explain: func(in GuardInput) string {
		if in.Party == nil {
			return "party is not in the chat"
		}
		return "party is " + string(in.Party.Membership)
	}}

// hasSession: the session with the contact is ended by the contact or by
// an agent engaged with it (the last one, R-C7), or as part of routing's
// or the clock's change (System); a consultation target or a supervisor
// has no session with the contact to end (R-X6). It reads the chat and
// the actor only, so it is checked before the status (Decision.status).
var hasSession = Guard{Name: "the actor has a session with the contact", Rule: "R-X6", Kind: ErrNotPermitted, First: true,
	Detail: "the party has no session with the contact",
	Holds: func(in GuardInput) bool {
		q := in.State.Party(in.Actor)
		return q == nil || q.Role == RoleContact || q.Role.Engaged()
	},
	Explain: func(in GuardInput) string {
		if q := in.State.Party(in.Actor); q != nil {
			return "a " + q.Role.String() + " has no session with the contact"
		}
		return "the party has no session with the contact"
	}}

// transcribed: the consultation is written, not a call (R-C10).
var transcribed = Guard{Name: "the consultation has a transcript", Rule: "R-C10", Kind: ErrNotPermitted,
	Detail: "a voice consultation has no transcript",
	Holds:  func(in GuardInput) bool { return in.Leg != nil && in.Leg.Medium != MediumVoice },
}

// The guards of ChatMessageMachine: who writes in the chat itself (R-X6,
// R-X3, R-X7). Each reads the acting party (the guard input's Party) and
// the chat only, so all are checked first (Decision.WriteInChat).
var (
	inChat = Guard{Name: "the party is in the chat", Rule: "R-X6", Kind: ErrNotPermitted, First: true,
		Detail: "party is not in the chat",
		Holds:  func(in GuardInput) bool { return in.Party != nil && in.Party.Present() },
		Explain: func(in GuardInput) string {
			if in.Party == nil {
				return "party is not in the chat"
			}
			return "party is " + string(in.Party.Membership) + ", not in the chat"
		}}
	writesToContact = Guard{Name: "the party is the contact or engaged with it", Rule: "R-X6", Kind: ErrNotPermitted, First: true,
		Detail: "the party does not write to the contact",
		Holds: func(in GuardInput) bool {
			return in.Party != nil && (in.Party.Role == RoleContact || in.Party.Role.Engaged())
		},
		Explain: func(in GuardInput) string {
			if in.Party == nil {
				return "the party does not write to the contact"
			}
			return "a " + in.Party.Role.String() + " does not write to the contact"
		}}
	openToWriter = Guard{Name: "the chat is active, or waiting for the contact", Rule: "R-X6", Kind: ErrInvalidTransition, First: true,
		Holds: func(in GuardInput) bool {
			s := in.State.Status
			return s == StatusActive || (s == StatusWaiting && in.Party != nil && in.Party.Role == RoleContact)
		},
		Explain: func(in GuardInput) string { return "chat is " + string(in.State.Status) }}
	chatWriteGuards = []Guard{inChat, writesToContact, openToWriter}
	readGuards      = []Guard{inChat}

	noteGuards = []Guard{
		{Name: "the party is an agent in the chat", Rule: "R-X6", Kind: ErrNotPermitted, First: true,
			Detail: "only an agent in the chat writes notes",
			Holds:  func(in GuardInput) bool { return in.Party != nil && in.Party.Role != RoleContact && in.Party.Present() }},
		// A note would show a silent monitor to every agent.
		{Name: "not a supervisor", Rule: "R-X7", Kind: ErrNotPermitted, First: true,
			Detail: "a supervisor coaches its agent; it writes no notes",
			Holds:  func(in GuardInput) bool { return in.Party != nil && in.Party.Role != RoleSupervisor }},
		// A consultation target talks in its leg; a note would reach every
		// agent, other legs' targets included.
		{Name: "not a consultation target", Rule: "R-X3", Kind: ErrNotPermitted, First: true,
			Detail: "a consultation target writes in its leg, not notes",
			Holds:  func(in GuardInput) bool { return in.Party != nil && in.Party.Role != RoleConsultant }},
	}
)

// due: an invitation times out at its deadline, not before: time is an
// input, and the aggregate decides on it (R-X1).
var due = Guard{Name: "the deadline has passed", Rule: "R-X1", Kind: ErrInvalidTransition,
	Holds: func(in GuardInput) bool {
		at := in.deadline()
		return at.IsZero() || !in.Now.Before(at)
	},
	Explain: func(in GuardInput) string {
		return "the invitation is not due until " + in.deadline().UTC().Format(time.RFC3339Nano)
	}}

// deadline is the deadline of the leg or request a transition is of.
func (in GuardInput) deadline() time.Time {
	switch {
	case in.Leg != nil:
		return in.Leg.Deadline
	case in.Request != nil:
		return in.Request.Deadline
	}
	return time.Time{}
}

// viaLeg and direct make a guard of the request machine's "request" for
// a conference asked from a consultation (Via set, R-F1), or for a
// transfer or conference asked directly (R-X4), only.
func viaLeg(gs ...Guard) []Guard {
	for i, g := range gs {
		holds := g.Holds
		gs[i].Name = "from a consultation: " + g.Name
		gs[i].Holds = func(in GuardInput) bool { return in.Asked.Via == "" || holds(in) }
	}
	return gs
}

func direct(gs ...Guard) []Guard {
	for i, g := range gs {
		holds := g.Holds
		gs[i].Name = "direct: " + g.Name
		gs[i].Holds = func(in GuardInput) bool { return in.Asked.Via != "" || holds(in) }
	}
	return gs
}

// The guards of a conference asked from a consultation (R-F1, R-F4).
var (
	ownLeg = Guard{Name: "the actor owns the consultation", Rule: "R-X4", Kind: ErrNotPermitted, Detail: "only the owner may request a consultation's target",
		Holds: func(in GuardInput) bool { l := in.State.Leg(in.Asked.Via); return l != nil && l.Owner == in.Actor }}
	legActive = Guard{Name: "the consultation is active", Rule: "R-F1", Kind: ErrInvalidTransition,
		Holds: func(in GuardInput) bool { l := in.State.Leg(in.Asked.Via); return l != nil && l.State == LegActive }}
	nonePendingVia = Guard{Name: "no other request on the consultation is pending", Rule: "R-F4", Kind: ErrConflict,
		Detail: "a request on this consultation is pending",
		Holds: func(in GuardInput) bool {
			for _, r := range in.State.Requests {
				if r.Via == in.Asked.Via && r.State == RequestPending {
					return false
				}
			}
			return true
		}}
)

// The guards of marking done (R-C8): an agent who took part, whose part
// is over.
//
// Decides R-C8: only an agent who took part marks done, once its part is over.
var doneGuards = []Guard{
	{Name: "not the contact", Rule: "R-C8", Kind: ErrNotPermitted, Detail: "the contact does not mark done",
		Holds: func(in GuardInput) bool { return in.Party != nil && in.Party.Role != RoleContact }},
	{Name: "took part", Rule: "R-C8", Kind: ErrNotPermitted, Detail: "party never took part",
		Holds: func(in GuardInput) bool { return in.Party != nil && in.Party.TookPart }},
	{Name: "out of the chat, or the session ended", Rule: "R-C8", Kind: ErrInvalidTransition, Detail: "still in the chat: leave or end first",
		Holds: func(in GuardInput) bool {
			return in.Party != nil && (!in.Party.Present() || in.State.Status == StatusEnded)
		}},
}

// The guards of a supervisor's transitions (R-X7): the policy lets it,
// and the chat is active; one that watches an agent watches one engaged
// with the contact.
var (
	maySupervise = Guard{Name: "the supervision policy allows it", Rule: "R-X7", Kind: ErrNotPermitted, Detail: "not allowed to supervise",
		Holds: func(in GuardInput) bool { return in.MaySupervise(in.Supervised) }}
	supervisedFound = Guard{Name: "the agent supervised is a party", Rule: "R-X7", Kind: ErrNotFound, Detail: "no such party",
		Holds: func(in GuardInput) bool { return in.State.Party(in.Supervised) != nil }}
	supervisedEngaged = Guard{Name: "the agent supervised is engaged with the contact", Rule: "R-X7", Kind: ErrNotPermitted,
		Detail: "only an agent engaged with the contact is supervised",
		Holds: func(in GuardInput) bool {
			w := in.State.Party(in.Supervised)
			return w != nil && w.Present() && w.Role.Engaged()
		}}
	// Who supervises (R-X7): a party that supervises this interaction
	// already, or one new to it, never the system; the contact, its
	// agents and their consultation targets cannot, so that their views
	// and their R-C8 duty do not blur. Each reads the actor only (First),
	// so they are asked before the policy, as entering is.
	notTheSystem = Guard{Name: "the actor is not the system", Rule: "R-X7", Kind: ErrNotPermitted, First: true,
		Detail: "the system does not supervise",
		Holds:  func(in GuardInput) bool { return in.Actor != System }}
	supervisorOrNew = Guard{Name: "the actor supervises here, or is new to the interaction", Rule: "R-X7", Kind: ErrNotPermitted, First: true,
		Holds: func(in GuardInput) bool {
			p := in.State.Party(in.Actor)
			// A supervisor, or one that barged in and is still in the chat
			// (Monitor and Coach refuse the latter with a clearer reason).
			return p == nil || p.Role == RoleSupervisor || (p.Role == RoleMember && p.Supervises != "" && p.Present())
		},
		Explain: func(in GuardInput) string {
			if p := in.State.Party(in.Actor); p != nil {
				return "already a " + p.Role.String() + " of this interaction"
			}
			return "already a party of this interaction"
		}}
	// Why the role machine has no monitor or coach from member.
	notBargedIn = Guard{Name: "the supervisor has not barged in", Rule: "R-X7", Kind: ErrNotPermitted, First: true,
		Detail: "barged in: a member writes to everyone",
		Holds: func(in GuardInput) bool {
			p := in.State.Party(in.Actor)
			return p == nil || p.Role == RoleSupervisor || !p.Present()
		}}
	bargeInGuards   = []Guard{notTheSystem, supervisorOrNew, maySupervise, chatActive("R-X7")}
	superviseGuards = []Guard{notTheSystem, supervisorOrNew, notBargedIn, maySupervise, chatActive("R-X7"), supervisedFound, supervisedEngaged}
)

// requestGuards: a conference asked from a consultation is asked by its
// owner, the owner of the active chat, while the consultation is active
// and no other request on it is pending (R-F1, R-F4); a request asked
// directly is asked by the owner of the active chat, of another agent not
// in the chat, and joins its route (R-X4, R-X1).
var requestGuards = append(
	viaLeg(append(ownsActiveChat("R-F1"), ownLeg, legActive, nonePendingVia)...),
	append(direct(append(ownsActiveChat("R-X4"), anotherAgent("R-X4", "target must be another agent"), notInChat("R-X4"))...),
		joinsRoute...)...)

// removeGuards: the owner of the active chat removes a conference member
// in the chat, not itself (R-F5). Whom the owner may remove is what the
// party is, not where its membership stands, so it is First: Remove
// checks it before the state, and a member who already left is refused
// as not one the owner may remove; a party not looked up yet (nil: none
// is named, or none by that name, which Remove tells the owner after
// this) passes it.
var removeGuards = append(ownsActiveChat("R-F5"), Guard{
	Name: "the party removed is another conference member in the chat", Rule: "R-F5", Kind: ErrNotPermitted, First: true,
	Detail: "only a present conference member can be removed",
	Holds: func(in GuardInput) bool {
		return in.Party == nil || (in.Party.Role == RoleMember && in.Party.Present() && in.Party.ID != in.Actor)
	}})

// The guards of a chat offer (OfferMachine): routing offers a waiting
// chat to an agent who is not the contact, and takes back an offer of a
// chat still waiting (R-X1); an agent answers the offer it has (R-X6).
var (
	notTheContact = Guard{Name: "the agent offered is not the contact", Rule: "R-X6", Kind: ErrNotPermitted,
		Detail: "the contact cannot own its own chat",
		Holds:  func(in GuardInput) bool { return in.Party == nil || in.Party.ID != in.State.Contact }}
	offerPending = Guard{Name: "the actor has a pending offer", Rule: "R-X6", Kind: ErrNotPermitted, First: true,
		Detail: "no chat offer for this party",
		Holds:  func(in GuardInput) bool { return offerOf(in.State.Party(in.Actor)) == OfferPending }}
)

// chatWaiting: the chat waits for an agent; the refusal says what it is
// instead, followed by tail.
func chatWaiting(tail string) Guard {
	return Guard{Name: "the chat is waiting", Rule: "R-X1", Kind: ErrInvalidTransition, First: true,
		Holds:   func(in GuardInput) bool { return in.State.Status == StatusWaiting },
		Explain: func(in GuardInput) string { return "chat is " + string(in.State.Status) + tail }}
}

// acceptedFirst: the offer accepted is the one that took its routed
// invitation, if one did: the first accept wins, and the agent of an
// offer rescinded because another was accepted first is told so (R-X1),
// before its offer's own machine would refuse it as cancelled. The offer
// is the guard input's leg or request (Decision.FireRoute).
var acceptedFirst = Guard{Name: "no other offer was accepted first", Rule: "R-X1", Kind: ErrInvalidTransition,
	Detail: "another agent accepted this invitation first",
	Holds: func(in GuardInput) bool {
		inv := in.offer()
		r := in.State.RouteOf(inv)
		return r == nil || r.Taken == "" || r.Taken == inv
	}}

// rivalsOfOffer: each rival offer an accept names (AcceptOffer.Rivals)
// that the actor is shown is another offer of the same routed invitation
// (R-X1). One the actor is not shown (another agent's offer, or none) is
// not checked: whether it belongs to the invitation is not for the actor
// to learn by naming it (R-X6). It reads the offer's route, not its
// state (First). The offer is the guard input's leg or request.
var rivalsOfOffer = Guard{Name: "the rivals named are offers of the same invitation", Rule: "R-X1", Kind: ErrNotPermitted, First: true,
	Holds: func(in GuardInput) bool { return in.strayRival() == "" },
	Explain: func(in GuardInput) string {
		return string(in.strayRival()) + " is not another offer of the same invitation"
	}}

// strayRival is the first rival named that the actor is shown and that
// is not an offer of the same routed invitation as the offer, "" for none.
func (in GuardInput) strayRival() InvitationID {
	inv := in.offer()
	var offers []InvitationID
	looked := false
	for _, id := range in.Rivals {
		if id == inv || !(in.State.ShowsLeg(in.Actor, LegID(id)) || in.State.ShowsRequest(in.Actor, RequestID(id))) {
			continue
		}
		if !looked {
			if r := in.State.RouteOf(inv); r != nil {
				offers = r.Offers
			}
			looked = true
		}
		if !slices.Contains(offers, id) {
			return id
		}
	}
	return ""
}

// offer is the leg or request a transition is of, as an invitation.
func (in GuardInput) offer() InvitationID {
	switch {
	case in.Leg != nil:
		return InvitationID(in.Leg.ID)
	case in.Request != nil:
		return InvitationID(in.Request.ID)
	}
	return ""
}

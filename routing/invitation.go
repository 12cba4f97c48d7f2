package routing

import (
	"context"
	"sort"
	"time"

	"github.com/chatconsult/chatconsult/interaction"
)

// InvitationState is a state of the invitation machine.
type InvitationState string

// Invitation (reservation) states.
const (
	InvitationNone      InvitationState = "none"
	InvitationPending   InvitationState = "pending"   // offered, capacity reserved, not answered
	InvitationAccepted  InvitationState = "accepted"  // the agent took it
	InvitationDeclined  InvitationState = "declined"  // the agent turned it down
	InvitationTimedOut  InvitationState = "timed_out" // nobody answered in time; withdrawn
	InvitationCancelled InvitationState = "cancelled" // the requester (or the end of the chat) withdrew it
	InvitationRescinded InvitationState = "rescinded" // routing withdrew it: another agent won, or this one logged out
)

// InvitationMachine is the life of one invitation to one agent: a
// reservation of that agent's capacity that ends in exactly one outcome
// (R-X1). Every kind of offer follows it: a chat offered to an owner, a
// consultation, a direct transfer or conference request. The Directory
// fires it from the interaction's events, not from commands, so it
// declares no firers: the interaction's machines checked who fired what.
var InvitationMachine = interaction.NewMachine("invitation", InvitationNone, []interaction.Transition[InvitationState]{
	{On: interaction.TriggerOffer, From: []InvitationState{InvitationNone}, To: InvitationPending, Rule: "R-X1"},
	{On: interaction.TriggerAccept, From: []InvitationState{InvitationPending}, To: InvitationAccepted, Rule: "R-X1"},
	{On: interaction.TriggerDecline, From: []InvitationState{InvitationPending}, To: InvitationDeclined, Rule: "R-X1"},
	{On: interaction.TriggerTimeOut, From: []InvitationState{InvitationPending}, To: InvitationTimedOut, Rule: "R-X1"},
	{On: interaction.TriggerCancel, From: []InvitationState{InvitationPending}, To: InvitationCancelled, Rule: "R-X2"},
	{On: interaction.TriggerRescind, From: []InvitationState{InvitationPending}, To: InvitationRescinded, Rule: "R-X1"},
})

// Machines lists the machines of package routing, for docs and checkers.
func Machines() []*interaction.Chart { return []*interaction.Chart{&InvitationMachine.Chart} }

// InvitationKind says what an agent is invited to.
type InvitationKind uint8

const (
	// InviteChat: a waiting chat offered to the agent to own (interaction.Assign).
	InviteChat InvitationKind = iota + 1
	// InviteConsultation: a consultation leg (R-C3).
	InviteConsultation
	// InviteTransfer: a transfer request (R-X4).
	InviteTransfer
	// InviteConference: a conference request (R-F1, R-X4).
	InviteConference
)

var invitationKindNames = [...]string{"", "chat", "consultation", "transfer", "conference"}

func (k InvitationKind) String() string {
	if int(k) < len(invitationKindNames) && k > 0 {
		return invitationKindNames[k]
	}
	return "unknown"
}

// Invitation is one offer to one agent, as the Directory follows it from
// the events.
type Invitation struct {
	// Seq numbers invitations in the order the Directory heard of them.
	Seq         uint64
	Interaction interaction.ID
	// ID is the consultation leg or the transfer/conference request; empty
	// for a chat offer.
	ID      interaction.InvitationID
	Kind    InvitationKind
	Invitee interaction.PartyID
	Owner   interaction.PartyID // who asked: the owner, or System for a chat offer
	Target  interaction.Target
	Medium  interaction.Medium
	State   InvitationState
	// Offered and Answered are the event times of the offer and of the
	// outcome (zero while pending).
	Offered, Answered time.Time
}

// Rescinder withdraws a pending invitation that routing takes back from an
// agent (it logged out), and offers it on. consult.Service implements it.
type Rescinder interface {
	Rescind(ctx context.Context, id interaction.ID, invitation interaction.InvitationID, agent interaction.PartyID) error
}

// RescindWith sets who withdraws the invitations of an agent who logs out
// (see SetPresence). Without one, they stay until answered or timed out.
func (d *Directory) RescindWith(r Rescinder) {
	d.mu.Lock()
	d.rescinder = r
	d.mu.Unlock()
}

// Invitations returns the agent's pending invitations, oldest first.
func (d *Directory) Invitations(agent interaction.PartyID) []Invitation {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.invitations.of(agent, func(*Invitation) bool { return true })
}

type invitationKey struct {
	interaction interaction.ID
	id          interaction.InvitationID
	agent       interaction.PartyID // chat offers only: they have no ID
}

type invitationBook struct {
	seq     uint64
	pending map[invitationKey]*Invitation
	byAgent map[interaction.PartyID]map[invitationKey]*Invitation
}

func newInvitationBook() invitationBook {
	return invitationBook{
		pending: map[invitationKey]*Invitation{},
		byAgent: map[interaction.PartyID]map[invitationKey]*Invitation{},
	}
}

func (b *invitationBook) of(agent interaction.PartyID, keep func(*Invitation) bool) []Invitation {
	var out []Invitation
	for _, inv := range b.byAgent[agent] {
		if keep(inv) {
			out = append(out, *inv)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return out
}

// rescindable lists the invitations a Rescinder can take back: those with
// an ID (a chat offer belongs to whoever assigns chats).
func (b *invitationBook) rescindable(agent interaction.PartyID) []Invitation {
	return b.of(agent, func(inv *Invitation) bool { return inv.ID != "" })
}

// chatOffers lists the agent's pending chat offers, as invitations with
// the ChatOffer ID.
func (b *invitationBook) chatOffers(agent interaction.PartyID) []Invitation {
	return b.of(agent, func(inv *Invitation) bool { return inv.ID == "" && inv.Kind == InviteChat })
}

func (b *invitationBook) open(k invitationKey, inv *Invitation) {
	b.seq++
	inv.Seq = b.seq
	b.pending[k] = inv
	m := b.byAgent[inv.Invitee]
	if m == nil {
		m = map[invitationKey]*Invitation{}
		b.byAgent[inv.Invitee] = m
	}
	m[k] = inv
}

func (b *invitationBook) close(k invitationKey, inv *Invitation) {
	delete(b.pending, k)
	if m := b.byAgent[inv.Invitee]; m != nil {
		delete(m, k)
		if len(m) == 0 {
			delete(b.byAgent, inv.Invitee)
		}
	}
}

// track follows the invitations the events open and close, and returns
// each change. Called with d.mu held.
func (d *Directory) track(id interaction.ID, events []interaction.Event) []Invitation {
	var changed []Invitation
	for i := range events {
		ev := &events[i]
		k, trigger, fresh := invitationStep(id, ev)
		if trigger == "" {
			continue
		}
		var inv *Invitation
		if fresh != nil {
			if _, dup := d.invitations.pending[k]; dup {
				continue
			}
			inv = fresh
			inv.State = InvitationNone
		} else if inv = d.invitations.pending[k]; inv == nil {
			continue
		}
		if trigger == interaction.TriggerWithdraw {
			trigger = d.withdrawTrigger(ev, events)
		}
		to, err := InvitationMachine.Fire(inv.State, trigger)
		if err != nil {
			continue // not an invitation change this book follows
		}
		inv.State = to
		if fresh != nil {
			inv.Offered = ev.Time
			d.invitations.open(k, inv)
		} else {
			inv.Answered = ev.Time
			d.invitations.close(k, inv)
			if to == InvitationTimedOut && d.notReady {
				if r := d.agents[inv.Invitee]; r != nil && r.status.Presence == Ready {
					if d.shared != nil {
						d.shared.notReady = append(d.shared.notReady, inv.Invitee)
					} else {
						d.setPresence(r, NotReady, ev.Time)
					}
				}
			}
		}
		changed = append(changed, *inv)
	}
	return changed
}

// invitationStep reads one event: the invitation it concerns, the
// InvitationMachine trigger ("withdraw" for a chat offer taken back, to be
// told apart by withdrawTrigger), and for an offer the new invitation.
func invitationStep(id interaction.ID, ev *interaction.Event) (invitationKey, interaction.Trigger, *Invitation) {
	switch ev.Type {
	case interaction.EventLeg:
		k := invitationKey{interaction: id, id: ev.Invitation()}
		if ev.From == string(interaction.LegNone) {
			return k, "offer", &Invitation{Interaction: id, ID: ev.Invitation(), Kind: InviteConsultation,
				Invitee: ev.Party, Owner: ev.Actor, Target: ev.Target, Medium: ev.Medium}
		}
		return k, answerTrigger(ev), nil
	case interaction.EventRequest:
		k := invitationKey{interaction: id, id: ev.Invitation()}
		if ev.From == string(interaction.RequestNone) {
			kind := InviteConference
			if ev.RequestKind == interaction.RequestTransfer {
				kind = InviteTransfer
			}
			return k, "offer", &Invitation{Interaction: id, ID: ev.Invitation(), Kind: kind,
				Invitee: ev.Party, Owner: ev.Actor, Target: ev.Target, Medium: interaction.MediumChat}
		}
		return k, answerTrigger(ev), nil
	case interaction.EventMembership:
		if ev.Invitation() != "" {
			return invitationKey{}, "", nil // a leg's or a request's target: followed above
		}
		k := invitationKey{interaction: id, agent: ev.Party}
		switch ev.Trigger {
		case "invite":
			if ev.Role != interaction.RoleOwner {
				return k, "", nil
			}
			return k, "offer", &Invitation{Interaction: id, Kind: InviteChat, Invitee: ev.Party, Owner: ev.Actor,
				Target: interaction.Target{Kind: interaction.TargetAgent, ID: string(ev.Party)}, Medium: interaction.MediumChat}
		case "accept", "decline", "withdraw":
			return k, ev.Trigger, nil
		}
	}
	return invitationKey{}, "", nil
}

// answerTrigger maps a leg's or request's answer to the invitation's: a
// cancel by System is routing taking the invitation back (rescind); any
// other cancel is the requester's, or the end of the chat.
func answerTrigger(ev *interaction.Event) interaction.Trigger {
	switch ev.Trigger {
	case "accept", "decline", "time_out":
		return ev.Trigger
	case "cancel":
		if ev.Actor == interaction.System {
			return "rescind"
		}
		return "cancel"
	}
	return ""
}

// withdrawTrigger tells apart the ways a chat offer is taken back: by
// System (routing's time-out), because another agent took the chat in the
// same command (first to accept wins: rescinded), or because the chat
// ended (cancelled).
func (d *Directory) withdrawTrigger(ev *interaction.Event, batch []interaction.Event) interaction.Trigger {
	if ev.Actor == interaction.System {
		return "time_out"
	}
	for i := range batch {
		b := &batch[i]
		if b.Type == interaction.EventMembership && b.Invitation() == "" && b.Trigger == "accept" && b.Party == ev.Actor && b.Party != ev.Party {
			return "rescind"
		}
	}
	return "cancel"
}

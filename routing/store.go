package routing

import (
	"context"
	"time"

	"github.com/chatconsult/chatconsult/interaction"
)

// Store is the routing state that every Directory on it shares (issue
// 14): each agent's profile, presence, idle-since time, load, reservations
// and holds, and what each interaction holds of each agent. A Directory
// made WithStore is a cache of it: it ranks and picks in memory, in
// O(log n), and asks the Store for every change, so that another instance,
// or a restarted process, sees the same agents. MemoryStore is the
// in-memory Store (Directories of one process); pgstore.RoutingStore the
// PostgreSQL one. storetest.TestRoutingStore is the suite both pass.
//
// Every method that changes an agent returns the agent's Record after the
// change, and records the change in the Store's change feed (Changes), in
// the same atomic write, so that the other Directories learn of it.
type Store interface {
	// Put registers agent a or replaces its profile; presence, load and
	// holds are kept. A new agent is logged out, idle since now, and gets
	// the next registration number (Record.Seq).
	Put(ctx context.Context, a Agent, now time.Time) (Record, error)
	// Remove takes an agent out of routing (Record.Registered false): it
	// keeps its load and reservations and gives back its holds. An agent
	// not registered is ErrNotFound.
	Remove(ctx context.Context, id interaction.PartyID) (Record, error)
	// SetPresence changes a registered agent's presence at now (an
	// unchanged presence changes nothing); becoming Ready makes it idle
	// since now. ErrNotFound for an agent not registered.
	SetPresence(ctx context.Context, id interaction.PartyID, p Presence, now time.Time) (Record, error)
	// Hold takes one unit of h.Medium of h.Agent in one conditional write:
	// only when the agent is registered, its presence meets h.Need, and
	// load + reserved + held < capacity for that medium. It makes the
	// agent idle since h.At. Otherwise it writes nothing and returns an
	// error wrapping ErrConflict (not available) or ErrNotFound (not
	// registered), with the agent's current Record when there is one. No
	// interleaving of Holds and Counts, from any number of Directories,
	// takes an agent past its capacity. A hold lasts until Count turns it
	// into a reservation, Release gives it back, or Expire drops it once
	// h.Expires has passed.
	Hold(ctx context.Context, h HoldRequest) (Record, error)
	// Release gives back hold id; ok is false when it is gone already
	// (consumed, expired, released).
	Release(ctx context.Context, id string) (rec Record, ok bool, err error)
	// Expire drops every hold whose Expires is not after now and returns
	// the agents it changed, and the earliest expiry still held (zero when
	// none).
	Expire(ctx context.Context, now time.Time) (changed []Record, next time.Time, err error)
	// Count sets what each agent holds in one interaction, as of a stream
	// version (Holdings of its state), and adds the differences to the
	// agents' load and reservations, at c.At (their idle-since time), in
	// one atomic write. Units that grew consume c.Holder's holds on that
	// agent and medium, oldest first: the hold became the reservation. A
	// version not above the one counted last changes nothing (applied is
	// false): the figures follow the latest state of each interaction,
	// whichever Directory counts it, and a count repeated (a retry, a
	// restart) counts once. An agent never registered is counted too, so
	// that registering it later starts from the truth.
	Count(ctx context.Context, c CountRequest) (res CountResult, err error)
	// Offers lists the pending invitations an agent has (CountRequest.Offers
	// as last counted), oldest interaction first in ID order.
	Offers(ctx context.Context, agent interaction.PartyID) ([]Offer, error)
	// Counted lists up to limit interactions the Store counts something
	// for (holdings not all zero), in ascending ID order after after: what
	// a restarted process checks against the interactions' states
	// (Directory.Recount), so that a lost release never leaves an agent
	// busy.
	Counted(ctx context.Context, after interaction.ID, limit int) ([]interaction.ID, error)
	// Changes returns the current Record of every agent changed after
	// position after (each once, at most limit agents), and the position to
	// read from next. A reader that reads again from that position never
	// misses a change: positions become visible in order.
	Changes(ctx context.Context, after Position, limit int) (recs []Record, next Position, err error)
	// Snapshot returns every agent's Record (also the agents not
	// registered that hold something) and the position from which Changes
	// gives every later change.
	Snapshot(ctx context.Context) ([]Record, Position, error)
}

// Pruner is a Store that can forget what no reader needs, so that its
// change feed and its version guards do not grow without end. MemoryStore
// and pgstore.RoutingStore are Pruners; one instance calls Prune now and
// then (every instance may: pruning twice prunes nothing more).
type Pruner interface {
	// Prune compacts the change feed: a change of an agent that has a
	// later change is dropped. Readers lose nothing, at any position:
	// Changes gives every agent changed after a position as it is now,
	// and the later change is after every position the dropped one was.
	// It also forgets the version guard of every interaction that holds
	// nothing and was last counted (CountRequest.At) before countedBefore.
	// The bound that follows: a count of such an interaction delivered
	// more than (now - countedBefore) late, of a version below its last,
	// is applied again; Recount repairs it (the interaction's state holds
	// nothing). Keep countedBefore well behind the longest a count can be
	// delayed (minutes: a retried write), an hour or a day.
	Prune(ctx context.Context, countedBefore time.Time) (PruneResult, error)
}

// PruneResult is what Prune dropped.
type PruneResult struct {
	Changes int // change-feed entries
	Counted int // version guards of interactions that hold nothing
}

// Watcher is a Store that tells when it may have changed, so that a
// Directory's Follow waits instead of polling. The channel is closed after
// the next change (or sooner: a spurious wake-up only costs a read).
type Watcher interface {
	Changed() <-chan struct{}
}

// Position is a place in a Store's change feed, ordered by Txn, then Seq.
// MemoryStore counts in Seq alone; pgstore orders by transaction.
type Position struct {
	Txn, Seq uint64
}

// Less reports whether p comes before q.
func (p Position) Less(q Position) bool {
	if p.Txn != q.Txn {
		return p.Txn < q.Txn
	}
	return p.Seq < q.Seq
}

// Record is one agent as the Store holds it.
type Record struct {
	Agent Agent
	// Registered is false for an agent removed, or never put but counted
	// (an agent assigned a chat by other means).
	Registered    bool
	Presence      Presence
	PresenceSince time.Time
	IdleSince     time.Time
	Load          Units
	Reserved      Units
	// Held: live holds (not yet expired by Expire), per medium.
	Held Units
	// HoldsExpire is when the earliest of the agent's holds expires (zero
	// without holds).
	HoldsExpire time.Time
	// Seq is the registration order (round-robin's).
	Seq uint64
	// Rev grows with every change of the agent: of two Records of one
	// agent, the higher Rev is the newer.
	Rev uint64
}

// Need is the presence a hold requires.
type Need uint8

const (
	// NeedReady: routing to a group, skill or queue.
	NeedReady Need = iota
	// NeedReachable: an agent invited by name (Ready or NotReady).
	NeedReachable
	// NeedAny: capacity only (Directory.Hold, an agent already in the chat).
	NeedAny
)

// Meets reports whether presence p meets need n.
func (n Need) Meets(p Presence) bool {
	switch n {
	case NeedReady:
		return p == Ready
	case NeedReachable:
		return p.reachableByName()
	}
	return true
}

// HoldRequest asks Store.Hold for one unit.
type HoldRequest struct {
	ID      string // unique per hold
	Holder  string // the Directory that holds (CountRequest.Holder)
	Agent   interaction.PartyID
	Medium  interaction.Medium
	Need    Need
	At      time.Time
	Expires time.Time
	// NoWait: when another transaction is writing the agent's row, refuse
	// (ErrConflict, with the Record as last committed) instead of waiting
	// for it. A Store without row locks (MemoryStore) ignores it. Routed
	// picks ask it, to spread concurrent picks over the candidates.
	NoWait bool
}

// CountRequest is what Store.Count records for one interaction.
type CountRequest struct {
	Interaction interaction.ID
	Version     uint64
	Holdings    map[interaction.PartyID]Holding
	// Offers are the pending invitations of each agent in it, for
	// rescinding them when the agent logs out (PendingOffers).
	Offers map[interaction.PartyID][]interaction.InvitationID
	Holder string // whose holds grown units consume ("": none)
	At     time.Time
}

// CountResult is what Count did.
type CountResult struct {
	Applied  bool
	Changed  []Record
	Consumed []string // IDs of the holds turned into reservations
}

// Offer is one pending invitation of an agent.
type Offer struct {
	Interaction interaction.ID
	Invitation  interaction.InvitationID
}

// PendingOffers lists, per agent, the invitations of an interaction that
// a Rescinder can take back (consultation legs inviting, transfer and
// conference requests pending), derived from the state alone.
//
// A chat offered to an agent (interaction.Assign: the agent invited as the
// owner of a waiting chat) is listed too, as ChatOffer.
func PendingOffers(st *interaction.State) map[interaction.PartyID][]interaction.InvitationID {
	var out map[interaction.PartyID][]interaction.InvitationID
	add := func(p interaction.PartyID, id interaction.InvitationID) {
		if out == nil {
			out = map[interaction.PartyID][]interaction.InvitationID{}
		}
		out[p] = append(out[p], id)
	}
	for i := range st.Legs {
		if l := &st.Legs[i]; l.State == interaction.LegInviting {
			add(l.Invitee, interaction.InvitationID(l.ID))
		}
	}
	for i := range st.Requests {
		if r := &st.Requests[i]; r.State == interaction.RequestPending {
			add(r.Invitee, interaction.InvitationID(r.ID))
		}
	}
	if st.Status == interaction.StatusWaiting {
		for i := range st.Parties {
			if p := &st.Parties[i]; p.Membership == interaction.MemberInvited && p.Role == interaction.RoleOwner {
				add(p.ID, ChatOffer)
			}
		}
	}
	return out
}

// ChatOffer is the Invitation of an Offer that is the chat itself offered
// to the agent (interaction.Assign), not a leg or request of it: no leg or
// request has the empty ID.
const ChatOffer interaction.InvitationID = ""

// Busy is everything that counts against capacity for medium m.
func (r *Record) Busy(m interaction.Medium) int {
	return r.Load.Of(m) + r.Reserved.Of(m) + r.Held.Of(m)
}

// CanHold reports whether Store.Hold may take one unit of m for need:
// the rule every Store applies in its conditional write.
func (r *Record) CanHold(m interaction.Medium, need Need) bool {
	lim := r.Agent.limits()
	return r.Registered && need.Meets(r.Presence) && r.Busy(m) < lim.Of(m)
}

// Limit is the agent's capacity per medium.
func (r *Record) Limit() Units { return r.Agent.limits() }

// Clone copies the Record so that it shares nothing with r.
func (r Record) Clone() Record {
	r.Agent = r.Agent.clone()
	return r
}

func storeErr(kind error, op, detail string) error {
	return &interaction.Error{Kind: kind, Op: op, Rule: "R-X1", Detail: detail}
}

// CheckAgent checks an agent profile as Put does (ErrBadInput).
func CheckAgent(a Agent) error {
	if err := interaction.CheckPartyID(a.ID); err != nil {
		return err
	}
	for m, n := range a.Capacity {
		if int(m) >= media || n < 0 {
			return refuse(interaction.ErrBadInput, "put agent", "capacity needs a known medium and a count ≥ 0")
		}
	}
	for s, lvl := range a.Skills {
		if s == "" || lvl < 0 {
			return refuse(interaction.ErrBadInput, "put agent", "skill needs a name and a level ≥ 0")
		}
	}
	return nil
}

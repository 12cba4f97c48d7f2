// Package routing resolves a consultation, transfer or conference aimed at
// an agent group, a skill or an interaction queue to one available agent,
// the way contact-center routers do (R-C2, R-X1): a directory of agents
// with presence, skills, groups, queues and a capacity per medium; the
// load each agent carries, kept in step with the events; strategies that
// rank the candidates; an invitation (reservation) state machine; and the
// Team Communicator search of the agent desk.
//
// # Wiring
//
// One Directory is both the consult.Router that picks agents and an
// interaction.Notifier that keeps their load: it must be in the Notifier
// chain of every interaction.Service whose chats it routes, or its load
// figures go stale. Use the same Clock everywhere.
//
//	clock := interaction.SystemClock{}
//	dir := routing.NewDirectory(routing.WithClock(clock))
//	chats := interaction.NewService(interaction.WithClock(clock),
//		interaction.WithNotifier(interaction.Notifiers{dir, interaction.NewMemoryNotifier()}))
//	desk := consult.New(chats, consult.WithRouter(dir))
//	dir.RescindWith(desk) // optional: logging out takes pending invitations back
//	_ = dir.Put(routing.Agent{ID: "ann", Skills: map[string]int{"billing": 3}})
//	_ = dir.SetPresence(ctx, "ann", routing.Ready)
//	leg, err := desk.Start(ctx, id, "owner", interaction.Target{Kind: interaction.TargetSkill, ID: "billing"}, interaction.MediumChat)
//
// A Directory that starts while chats are under way (after a restart)
// counts them with Sync. Without WithStore its state lives in memory, in
// one process.
//
// # Several instances: a shared Store
//
// WithStore(s) makes the Directory a cache of a routing Store shared by
// every instance (issue 14): MemoryStore in one process, pgstore's
// RoutingStore on PostgreSQL; storetest.TestRoutingStore is the suite
// both pass. The Store holds each agent's profile, presence, idle-since
// time, load, reservations and holds, and what each interaction holds of
// each agent; the Directory keeps its strategies and its O(log n) ranked
// sets as a cache of it:
//
//		dir := routing.NewDirectory(routing.WithClock(clock), routing.WithStore(rs))
//		go dir.Follow(ctx, rs.Listen())          // other instances' changes
//		chats.Recover(ctx, dir.Sync)             // after a restart
//		dir.Recount(ctx, chats.State)            // repair counts lost in a crash
//
//	  - Every change (Put, SetPresence, a pick's hold, Release, the counts
//	    of Notify and Sync) is one atomic write to the Store, which returns
//	    the agent's Record and records the change in its change feed. The
//	    cache applies each Record unless it has a newer one (Record.Rev).
//	  - Other instances' changes reach the cache from the feed: Refresh
//	    reads the Records changed after the last position read (a Snapshot
//	    first); Follow does it each time the Store's Watcher says it
//	    changed. A pick that finds nobody in the cache refreshes once
//	    before it says so, so an agent made ready on another instance is
//	    picked.
//	  - Capacity: a pick chooses from the cache, then asks the Store for a
//	    hold, one conditional write guarded by presence and load + reserved
//	    + held < capacity. Refused (another instance took the unit, the
//	    agent went away), the cache gets the agent's current Record and the
//	    pick goes on to the next candidate. So no interleaving of instances
//	    takes an agent past capacity, and once SetPresence returned on one
//	    instance no other offers that agent, whatever its cache says.
//	  - Holds: a hold turns into the reservation when Notify counts the
//	    invitation (Count consumes this Directory's hold); Release gives it
//	    back; a hold of an instance that died expires at its deadline,
//	    stored with it (WithHoldTTL), dropped by the first pick on any
//	    instance after it passed (Store.Expire).
//	  - Load is derived from the interactions: Count stores each
//	    interaction's Holdings by stream version (a later version wins,
//	    whichever instance counts it), so after a restart Recover (Sync of
//	    the open interactions) and Recount (every interaction the Store
//	    still counts, read again) leave loads equal to those of the open
//	    interactions, and a release lost in a crash does not keep an agent
//	    busy.
//	  - Logging out: the instance that sets it, and every instance that
//	    learns it from the feed (Follow), rescinds the agent's pending
//	    invitations (Store.Offers) through the Rescinder; the interaction
//	    decides, so each is withdrawn and redirected once (R-X1).
//
//	  - New chats: ChatRouter offers a contact's waiting chat to an agent
//	    of a group, skill or queue through the same Pick and hold, redirects
//	    it on no answer (RunDue, on any instance; the route and its
//	    deadline are a ChatRoute in the Store, ChatRoutes) and on decline,
//	    and reports ChatExhausted when nobody is left (see chats.go).
//
// Strategies, offers at once, names (Define) and the invitation book are
// each instance's configuration and memory: configure every instance
// alike. Round-robin's cursor is per instance. Release has no context
// (consult.Reserver's signature); ReleaseContext has one.
//
// # Presence
//
// LoggedOut (the zero value: a new agent), Ready, NotReady, Away. Routing
// to a group, skill or queue offers work only to Ready agents. A named
// agent (a colleague picked by name, who sees its presence in the Team
// Communicator) is reachable when Ready or NotReady, not when Away or
// LoggedOut. An agent who goes NotReady or Away while an invitation is
// pending keeps it and may still accept it: it was offered while the agent
// was ready. Logging out takes the agent's pending consultation, transfer
// and conference invitations back (rescinded) through the Rescinder
// (consult.Service), and a routed one goes on to the next candidate at
// once; chat offers are left to whoever assigns chats. With
// WithNotReadyOnTimeout, an agent who lets an invitation time out is set
// NotReady, as real desks do.
//
// # Capacity and load
//
// Each agent has a capacity per medium (chat, IM, voice; DefaultCapacity
// is 3, 3, 1) and is never offered more: an agent is available for a medium
// when it is Ready and load + reserved + held < capacity. What counts
// (Holdings, derived from an interaction's state alone):
//
//   - an owner or conference member occupies one chat unit while joined,
//     including the wrap-up after the session ended, until it marks done;
//   - the target of an active consultation occupies one unit of the leg's
//     medium; the owner's side of a consultation costs nothing more;
//   - a pending invitation reserves what accepting it would occupy (a chat
//     offer or a direct transfer/conference request: one chat unit; a
//     consultation: one unit of its medium; a conference request made from
//     an IM or voice consultation: one chat unit), so accepting never
//     takes an agent past capacity;
//   - Pick holds the agent it returns for one unit until the invitation
//     reaches Notify (the hold becomes the reservation) or Release gives it
//     back (consult.Service releases when its command is refused), or the
//     hold TTL (one minute) ends; so two picks racing for an agent's last
//     unit cannot both win. consult.Service also holds a chat unit before
//     turning an IM or voice consultation into a transfer or conference.
//
// Notify derives each agent's holdings in the interaction from the state
// after the events and applies the difference to what it counted before,
// once per stream version: the figures are exact whatever the events, and
// an interaction the Directory first hears of mid-stream is counted whole
// at its next change (messages change nobody's work and are skipped at no
// cost). Capacity
// is checked only where routing is asked (Pick, Hold); an agent assigned a
// chat by other means (interaction.Assign without Pick, a supervisor's
// barge-in) is counted but not checked, and a capacity lowered below the
// current load only stops new offers.
//
// # Strategies
//
// A Strategy ranks the available agents of a target; the smallest rank is
// offered first. LongestIdle (the default) offers to the agent whose work
// changed longest ago: IdleSince is set when the agent becomes Ready and
// whenever its work changes (picked, invited, answered, joined, left), so
// an agent just offered something goes to the back. LeastBusy offers to
// the agent holding the fewest units over all media, ties to the longest
// idle. RoundRobin takes turns in registration order, starting after the
// agent picked last for the same target and medium. MostSkilled offers a
// skill to the highest level first. SetStrategy changes one target's
// strategy. A custom Strategy's Rank must depend only on its arguments.
// Under contention a store-backed Directory spreads its picks (see
// WithStore): with k picks of a target under way at once, each is offered
// one of the first k+1 agents in the strategy's order, so "longest idle"
// means "one of the k+1 longest idle" then; with one pick at a time it
// is the first, as in a process-local Directory.
//
// For each target and medium the Directory keeps its available agents in a
// treap ordered by rank, updated whenever an agent's status changes: a
// pick costs O(log n) plus the excluded agents it skips (BENCHMARKS.md).
//
// # Invitations
//
// InvitationMachine (docs/routing-machine.md) is the life of one offer to
// one agent, a reservation of its capacity: pending, then exactly one of
// accepted, declined, timed_out, cancelled or rescinded. The Directory
// follows every offer from the events: consultation legs (leg invite,
// accept, decline, time_out, cancel), direct and consultation-made transfer
// and conference requests (request, accept, decline, time_out, cancel) and
// chat offers (interaction.Assign: membership invite as owner, accept,
// decline, withdraw). A cancel by System is routing taking the invitation
// back (rescinded); any other cancel is the requester's or the end of the
// chat (cancelled). A chat offer withdrawn by System timed out; one
// withdrawn because another agent took the chat was rescinded (first to
// accept wins); any other was cancelled. Invitations lists an agent's
// pending ones; WithInvitationObserver reports each change.
//
// Redirect on no answer is consult.Service's part (see consult.Reroute): a
// routed invitation (group, skill, queue) that is declined, not answered
// within the time-out, or rescinded goes to the next candidate, leaving
// out everyone in the chat and everyone tried; each candidate gets the
// full time-out. An invitation aimed at a named agent is not redirected.
// When nobody is left, the owner gets a system notice in its own view and
// consult's Exhausted handler gets a typed outcome (kind ErrNotFound, rule
// R-X1).
//
// WithOffersAtOnce / SetOffersAtOnce (consult.Fanout) make an invitation to
// a group, skill or queue go to several agents at once, each with its own
// leg or request, all written together. The first to accept wins: consult
// sends consult.AcceptOffer, which rescinds the rival offers still pending
// in the same write, so no invitation is accepted by two agents (accept
// through consult.Service, which knows the rivals). A decline or time-out
// of one offer waits for the others; when all have failed, the next
// candidates get it together, also when they time out at the same instant
// (consult decides "last offer out?" and writes under one lock per
// invitation). The owner's cancel withdraws every offer.
//
// consult.New registers its Service with the Directory (ForwardTo), which
// hands on every batch of events it counts: so consult stops the time-out
// and forgets the route of an invitation that any command ends, also the
// owner ending the session through interaction.Service (R-C7).
//
// # Team Communicator
//
// Directory.Search finds agents, groups, skills and queues by text (a word
// of the ID or name starting with it first, then containing it; case does
// not matter) and kind, each with its availability for a medium: for an
// agent its presence and whether it can be invited by name now, for a
// group, skill or queue how many agents are registered and how many are
// available. TeamCommunicator.Find adds the searching owner's active
// consultations of the interaction, the targets of a transfer or
// conference (R-C11); another agent's consultations are never listed
// (R-X3).
package routing

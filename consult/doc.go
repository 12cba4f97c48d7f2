// Package consult adds consultation, transfer and conference to the chats
// of package interaction: commands on the same aggregate, so a leg belongs
// to its interaction and shares its event stream (R-H1).
//
// An owner of an active chat starts a consultation with a target (R-C1):
// an agent, or a group, skill or queue that a Router resolves to one
// available agent (R-C2; package routing is the full router). The target
// is invited (R-C3); it accepts, declines (the owner gets a notice in its
// own view), lets the invitation time out at its deadline, or the owner
// cancels it (R-X2). An active leg carries private messages between
// its two agents only (R-C5) while the target reads the chat live (R-C6),
// as chat, IM or voice (R-C10; a voice leg has no transcript). Either side
// ends it without ending the chat (R-C4). An owner can hold several legs at
// once, each private (R-X3).
//
// An active leg turns into a transfer (immediate: the target is already
// talking to the owner; it becomes the owner and the former owner leaves,
// R-T1, R-T2) or a conference (a request the target must accept; declined
// or timed out it changes nothing, R-F4). A transfer or conference can
// also be asked of an agent directly, without a consultation (R-X4). The
// owner removes a conference member (R-F5).
//
// Service wraps these commands with routing, time-outs and redirect on no
// answer; the command types (Start, Accept, Transfer, …) can also be run
// directly through interaction.Service.Do. Agents answer through the
// Service: a decline sent straight to interaction.Service.Do does not
// redirect.
//
// # Where the invitation flow lives (issue 13: one truth in the Store)
//
// Whatever another instance of the service, or this one after a restart,
// needs to go on with an invitation is decided by the aggregate and kept in
// the Store; memory holds only what can be rebuilt from the log.
//
//   - The route of an invitation to a group, skill or queue (R-X1) is
//     state of the interaction: each offer is a leg (or a direct request)
//     whose first event names the invitation's Route; interaction.State.Route
//     derives the target, the offers out, the agents tried and the offer
//     taken. The Service keeps no route book and takes no lock of its own.
//   - First accept wins: Accept, AcceptRequest and AcceptOffer are decided
//     on the stored state; the first rescinds the rival offers in the same
//     append, and a second is refused with ErrInvalidTransition (rule
//     R-X1), on whichever instance it arrives: a stale cache shows up as a
//     conflict on append and the command is decided again on the Store's
//     state. The log validator refuses a log in which a routed invitation
//     is accepted twice or offered after it was taken.
//   - Offering on: a time-out or a rescind (Reroute, System) or a decline
//     (the agent's Decline and Reroute, in one append) ends one offer and,
//     only when the state says it was the last one out and none was taken,
//     offers the invitation on to the candidates the Router picks, leaving
//     out the agents the route tried (read from the state), or tells the
//     owner that nobody is left. The Service reads the state to know
//     whether to ask the Router; when another instance moved first, the
//     command is refused with ErrConflict (or ignores the picks) and the
//     Service decides again.
//   - Routing (the Router, package routing's Directory) picks candidates
//     and counts capacity; its load is derived from the interactions'
//     states.
//   - Time-outs are deadlines in the state: Start, Direct, Conference and
//     Reroute take a Timeout and write the deadline into the invitation's
//     first event (interaction.Leg.Deadline, Request.Deadline);
//     State.Deadlines lists the pending ones. The Service's Scheduler
//     (interaction.Scheduler, on the chats' Clock; no goroutine of the
//     state machine) fires a due deadline as a System Reroute with the
//     deadline's command ID, so a deadline fired twice, by two instances or
//     after a restart, applies once, and one whose invitation was answered
//     fires nothing; a time-out before the deadline is refused by the
//     aggregate. The queue of deadlines is in memory by default
//     (interaction.MemoryDeadlines: learned from the Service's commands and
//     from the events it hears through a Forwarder Router or Notify, and
//     from the Store's log on Resume) or shared (WithDeadlines: pgstore's
//     table, written in the append's transaction, claimed with SELECT …
//     FOR UPDATE SKIP LOCKED).
//   - What stays in memory, per instance: the interaction.Service's cache
//     of states, the in-memory queue of deadlines (a cache of
//     State.Deadlines), and the Router's view of presence and capacity.
//     All of it is rebuilt from the log or harmless when stale: a command
//     decided on a stale cache conflicts on append and is decided again.
package consult

// Package consult adds consultation, transfer and conference to the chats
// of package interaction: commands on the same aggregate, so a leg belongs
// to its interaction and shares its event stream (R-H1).
//
// An owner of an active chat starts a consultation with a target (R-C1):
// an agent, or a group, skill or queue that a Router resolves to one
// available agent (R-C2; package routing is the full router). The target
// is invited (R-C3); it accepts, declines (the owner gets a notice in its
// own view), lets the invitation time out on the injected Clock, or the
// owner cancels it (R-X2). An active leg carries private messages between
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
//   - Time-outs are timers of the instance that made the offer, on the
//     injected Clock: they stop when an event ends the invitation, whoever
//     wrote it (the Service hears of it through a Forwarder Router, or
//     through Notify in the interaction.Service's Notifier chain), and a
//     timer that fires late finds the invitation answered and writes
//     nothing.
package consult

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
// directly through interaction.Service.Do. The Service follows each
// invitation until an event ends it (answer, cancel, the session ending,
// R-C7), stopping its time-out then; with the routing Directory as Router
// it sees every committed event automatically, with another Router put
// the Service in the interaction.Service's Notifier chain. Agents answer
// through the Service: a decline sent straight to interaction.Service.Do
// does not redirect.
package consult

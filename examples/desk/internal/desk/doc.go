// Package desk serves the agent desk of examples/desk: one web page with
// three panes side by side (the contact, agent1, agent2), each showing
// exactly that party's view of the current interaction (a page of it,
// interaction.State.Page), updated live over Server-Sent Events from the
// deltas the party is delivered.
//
// It uses only the standard library and the core packages. The page, its
// script and its style sheet are embedded (embed.FS); nothing is loaded
// from elsewhere.
//
// # Who a pane is
//
// The page opens each pane with POST /login {"party": P}, the demo's
// stand-in for signing in, and gets a random pane token (256 bits). Every
// later request of the pane carries it (header X-Pane-Token; the event
// stream, /events?token=T), and the party that reads or acts is the
// token's: a request naming another party is refused (403), one with no
// or an unknown token too (401). Logging in again replaces the party's
// token, which ends the old pane. Every request must be for the desk's
// own host (DNS rebinding), and a request from another page's Origin is
// refused (403). guard.go has the rules; ../../README.md says what this
// demo does not protect.
//
// # The library's HTTP API
//
// Under /v1/ the desk serves package httpapi's handler over its own
// services (api.go), behind the same guards (its own host, its own page's
// Origin, JSON bodies) and with the pane tokens as its Authenticator: the
// party is the token's, from X-Pane-Token, or for an interaction's event
// stream (GET /v1/interactions/{id}/events?token=T) from the URL. Every
// command of the page (open, join, post, say, typing, read, consult,
// accept, conference, end, done, …) is httpapi's: the contact's first
// message opens a chat to the group DeskGroup, which routing offers to
// agent1 (a routing.ChatRouter). The panes themselves are still the
// desk's own /events (and /pane; /act stays for Go callers): issue 16's
// last point is open, the page does not yet build its panes from
// httpapi's pages and event stream.
//
// # How a pane stays live
//
// Each pane opens /events?token=T. The handler subscribes T's party P to
// its deltas (interaction.MemoryNotifier.SubscribeDeltas), reads a page of
// P's view (its last PaneWindow messages and the rest of the view) and
// sends the pane whole (an SSE event "pane"). After that, every
// notification P receives is applied to that page (interaction.Page.Apply)
// and sent as an update ("delta"): the new messages only, which the page
// appends, with the header, parties, consultations and buttons as they
// are now. A burst of deltas is one update. So an event costs the desk
// what it changes, not the length of the chat: no page, and no view, is
// read for it (issue 19). The stream reads a page again only when a delta
// says so (Reset: P joined and reads what was said before, a supervision
// window opened), when another interaction comes onto the desk, or when
// the chat leaves P's desk. What a pane shows is still exactly what the
// party may see: pages and deltas follow the view's rules, so the contact
// pane can not show a consultation message (R-C5). The desk's own
// command endpoint (/act, now the page's only for a chat's first message)
// answers with the acting pane (a page); the page keeps whichever of that
// and the stream's is newer (Pane.Seq).
//
// # Typing, receipts, attachments
//
// The page sends httpapi's typing, read, post and say; /act has the same
// actions for Go callers: "typing" (the draft is a Post, or a consult.Say with
// a leg: Service.Typing) and "read" (MarkRead, in the party's numbering),
// and attachments on "post" and "say" (a name, media type and size; the
// desk gives each a reference of its own and keeps no file). A typing
// signal the party's delta subscription delivers is sent on its stream as
// an SSE event "typing" (PaneTyping: who, where, for how long); it
// changes no page. Receipts and attachments come with the pane, from the
// page's View.Receipts and View.Attachments.
//
// # Decisions
//
//   - The desk holds one interaction at a time. The contact's first
//     message opens it and routing offers it to agent1 (over the API: the
//     group DeskGroup; a Go caller's Act: the desk itself, acting as
//     System); once it is closed, the contact's next message opens a new
//     one.
//   - The buttons a pane shows are decided on the server from the state
//     (which consultation is inviting, which request is pending), so the
//     script stays a renderer. A button the library would refuse is not
//     offered; if a race makes a command fail anyway, the pane shows the
//     library's error.
//   - The buttons come from the state (its parties, legs and requests:
//     actionsFor), read under the interaction's lock for each update; the
//     transcript is not read for them.
//   - Pending-response reminder (R-C9): a signals.Tracker follows the
//     events (it is notified before the panes are rebuilt). A pane whose
//     party owes an answer in the chat or in one of its consultations is
//     marked, and while any pane is marked the page flashes its tab
//     title. The desk does not report focus, so every pending response is
//     an unfocused one: the tracker raises its reminder after the delay
//     (-reminder-delay), and the pane counts it.
//   - Time is the system clock and invitations time out after the
//     -invite-timeout flag (default 60 s).
package desk

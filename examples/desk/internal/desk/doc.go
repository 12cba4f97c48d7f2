// Package desk serves the agent desk of examples/desk: one web page with
// three panes side by side (the contact, agent1, agent2), each showing
// exactly that party's view of the current interaction
// (interaction.Service.View), updated live over Server-Sent Events.
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
// # How a pane stays live
//
// Each pane opens /events?token=T. The handler subscribes T's party P to the
// Notifier (interaction.MemoryNotifier.Subscribe), sends the pane once,
// and again after every notification P receives, coalescing bursts. A
// pane is rebuilt from the View, never from the notification itself, so
// what it shows is exactly what the party may see: the contact pane can
// not show a consultation message (R-C5) because its View holds none.
// The command endpoint (/act) also answers with the acting pane, because
// the Notifier does not tell a party about its own changes once its part
// is over (an agent who left, marking done).
//
// # Decisions
//
//   - The desk holds one interaction at a time. The contact's first
//     message opens it and routing (here: the desk itself, acting as
//     System) offers it to agent1; once it is closed, the contact's next
//     message opens a new one.
//   - The buttons a pane shows are decided on the server from the state
//     (which consultation is inviting, which request is pending), so the
//     script stays a renderer. A button the library would refuse is not
//     offered; if a race makes a command fail anyway, the pane shows the
//     library's error.
//   - Pending transfer and conference requests are not part of
//     interaction.View; the desk reads them from the State, listing only
//     those the pane's party made or was asked (the request's scope).
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

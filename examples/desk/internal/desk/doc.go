// Package desk serves the agent desk of examples/desk: one web page with
// three panes side by side (the contact, agent1, agent2), each showing
// exactly that party's view of its chat. The desk serves the page and its
// assets, POST /login and the library's HTTP API under /v1/ (package
// httpapi): nothing else. The page is a client of that API.
//
// It uses only the standard library and the core packages. The page, its
// script and its style sheet are embedded (embed.FS); nothing is loaded
// from elsewhere.
//
// # Who a pane is
//
// The page opens each pane with POST /login {"party": P}, the demo's
// stand-in for signing in, and gets a random pane token (256 bits). Every
// later request of the pane carries it (header X-Pane-Token; the streams,
// which EventSource opens, ?token=T), and the party that reads or acts is
// the token's: it is the Authenticator of httpapi (api.go). A request
// naming another party, or with no or an unknown token, is refused (401;
// a body with a "party" field, 400). Logging in again replaces the
// party's token, which ends the old pane: its streams end and its
// requests get 401. Every request must be for the desk's own host (DNS
// rebinding), and a request from another page's Origin is refused (403);
// a POST or PUT must be JSON (415). guard.go has the rules;
// ../../README.md says what this demo does not protect.
//
// # How a pane stays live
//
// Each pane builds itself in the page (static/desk.js) from httpapi: it
// reads a page of its party's view (GET /v1/interactions/{id}/page?last=50,
// chatconsult.page/v1), then opens the party's delta stream
// (GET /v1/interactions/{id}/deltas?after=<the page's changes>,
// chatconsult.delta/v2) and applies each delta to the page it keeps, as
// interaction.Page.Apply does: a new message is appended, the header,
// parties, consultations, requests and receipts are updated. It reads a
// page again only when a delta says Reset (the party joined and reads
// what was said before) or one was missed; so an event costs the pane what
// it changes, not the length of the chat (issue 19). What a pane shows is
// exactly what the party may see: pages and deltas follow the view's
// rules, so the contact pane can not show a consultation message (R-C5).
//
// An agent's pane learns of its chat from its invitations
// (GET /v1/me/invitations: routing's offer of the contact's chat, a
// consultation, a transfer or conference request) and follows the newest;
// the contact's pane opens its chat (POST /v1/interactions to the group
// DeskGroup, which routing offers to agent1). Whether the party owes an
// answer (R-C9) is GET /v1/me/pending; reminders come on the stream
// ("reminder", signals.NotifierSink), and typing signals too ("typing",
// only to those who would see the message).
//
// # Decisions
//
//   - The desk keeps no chat of its own: a pane shows its party's, and
//     once the contact's chat is closed, its next message opens a new
//     one, which agent1's pane finds in its invitations.
//   - The buttons a pane shows, whether it may write in the chat and in
//     which consultation, are decided in the page from the party's view
//     (desk.js: paneOf, actionsFor): which consultation is inviting, which
//     request is pending. A button the library would refuse is not
//     offered; if a race makes a command fail anyway, the pane shows the
//     problem's detail.
//   - Pending-response reminder (R-C9): a signals.Tracker follows the
//     events (it is notified before the other notifiers). A pane whose
//     party owes an answer is marked, and while any pane is marked the
//     page flashes its tab title. The desk does not report focus, so every
//     pending response is an unfocused one: the tracker raises its
//     reminder after the delay (-reminder-delay), and the pane counts it.
//   - Time is the system clock and invitations time out after the
//     -invite-timeout flag (default 60 s).
package desk

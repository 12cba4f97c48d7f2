// Package httpapi serves the library over HTTP with the standard library
// only: an http.Handler with JSON endpoints for the commands and reads of
// packages interaction, consult, routing, signals and history, and each
// party's live events of an interaction as Server-Sent Events
// (docs/http.md lists every endpoint).
//
// # Who is acting
//
// The acting party of every command, and the viewer of every read, is the
// one the embedding service's Authenticator returns for the request;
// never a field of the body (a body with a field the command does not
// take, such as "party", is refused with 400), a query parameter or a
// header the handler reads itself. interaction.System is the service's
// own routing component: it alone may assign chats.
//
// # Errors
//
// A refusal is an RFC 9457 problem document (application/problem+json,
// Problem) with the kind and the rule of docs/rules.md behind it:
//
//	bad input (the library refused the content)   422  bad_input
//	a body or query that does not parse            400  bad_request
//	not permitted                                  403  not_permitted
//	not found                                      404  not_found
//	conflict (another writer, a reused key)        409  conflict
//	invalid transition (the state forbids it)      409  invalid_transition
//	no or unknown credentials                      401  unauthenticated
//	body above Config.MaxBody                      413  too_large
//
// A caller that is not a party of the interaction gets one answer, 404
// "no such interaction" (rule R-X6), whether or not the interaction
// exists and whatever it asked, so no status or detail tells a stranger
// that it does. An unexpected error is 500 with no detail.
//
// # Retries
//
// Every command on an interaction takes an Idempotency-Key header, which
// becomes the command's ID: the interaction and supervision commands' own
// (interaction.Service.DoCommand), and the context's for the consultation,
// transfer and conference commands (interaction.WithCommandID), which
// consult applies once also where it routes. Sent again, the command
// applies once and answers what the first run did; the key reused for
// another command is 409. Opening a chat refuses a key (422): its ID is
// the Service's, and a retry would open another.
//
// # Live events
//
// GET /v1/interactions/{id}/events streams the caller's events of one
// interaction (event documents, chatconsult.event/v2). Each SSE id is the
// caller's own event number (its View.Version after the event), never a
// store position: it counts only what the caller may see. On reconnecting
// with Last-Event-ID (or ?after=N on a first connection) the client gets
// every event after it exactly once: what it missed is read through the
// Store (interaction.Service.EventsSince), then the live ones follow.
// Commands never wait for a stream: the subscription behind it is bounded
// (interaction.LagError; the stream catches up from the Store), and a
// write that takes longer than Config.WriteTimeout drops the stream.
package httpapi

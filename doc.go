// Package chatconsult is a library for contact-center chat consultation:
// an agent in a live chat with a customer privately consults another agent,
// skill, group or queue, then turns that consultation into a transfer or a
// conference, with a history that follows the rules real agent desktops
// follow.
//
// The behaviour is specified, rule by rule, in docs/rules.md (R-C… consultation,
// R-H… history, R-T… transfer, R-F… conference, R-X… beyond the seed);
// tests and docs cite those numbers.
//
// # Words
//
// A contact (the customer) chats with an owner (the agent engaged with
// it). One contact chat session, from the contact's first message until
// every agent has marked it done, is an interaction. A consultation (leg)
// is a private side conversation about an interaction between an owner and
// one internal target; it belongs to the interaction and is never an
// interaction of its own. A target is an agent, an agent group, a skill or
// an interaction queue; routing resolves the last three to one agent.
//
// # Using it
//
// New wires the whole library on one Store — chats (package interaction),
// consultations, transfers and conferences (consult), routing, reminders
// (signals) and history — into a System; its fields are the services a
// caller drives, and the types a caller handles are aliased here. Every
// call names its acting party; a refused call returns an *Error whose kind
// errors.Is recognises (ErrInvalidTransition, ErrNotPermitted, ErrNotFound,
// ErrConflict, ErrBadInput) and leaves no trace. Privacy covers metadata
// (docs/visibility.md). Several Systems on one Store (pgstore for
// PostgreSQL) see one truth; Recover rebuilds a restarted process's memory
// from the Store. Package interaction is the extension point for command
// authors, as database/sql/driver sits under database/sql. How the
// packages fit together: docs/architecture.md.
package chatconsult

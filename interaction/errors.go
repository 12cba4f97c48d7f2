package interaction

import (
	"errors"
	"strings"
)

// The kinds of refusal. Every error the library returns for a refused
// command wraps exactly one of them, so callers branch with errors.Is.
var (
	// ErrInvalidTransition: the command is not allowed in the current state
	// of the interaction, the party, the leg or the request (the state
	// machine tables have no such transition).
	ErrInvalidTransition = errors.New("invalid transition")
	// ErrNotPermitted: the acting party may not do this (R-X6).
	ErrNotPermitted = errors.New("not permitted")
	// ErrNotFound: the interaction, party, leg or request does not exist,
	// or the acting party is not shown the leg or request it names
	// (State.ShowsLeg, ShowsRequest): the two are refused alike (R-X6).
	ErrNotFound = errors.New("not found")
	// ErrConflict: another writer changed the interaction first
	// (optimistic concurrency); reload and retry.
	ErrConflict = errors.New("conflict")
	// ErrBadInput: the command itself is malformed: blank (nothing
	// visible), oversized or invalid UTF-8 text; a missing, oversized or
	// malformed identifier (control, whitespace or invisible characters, a
	// look-alike of system; see CheckPartyID, CheckID); an unknown target
	// kind or medium; an acting party the interaction does not know.
	ErrBadInput = errors.New("bad input")
)

// Error is the one error type the library returns. Kind is one of the
// sentinels above; Unwrap exposes it to errors.Is. Rule names the SPEC.md
// rule behind the refusal when there is one, and Guard the guard of a
// machine's table that refused the transition (Guard.Name), when one did.
type Error struct {
	Kind        error
	Op          string
	Interaction ID
	Party       PartyID
	Rule        string
	Detail      string
	Guard       string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	if e.Interaction != "" {
		b.WriteString(" ")
		b.WriteString(string(e.Interaction))
	}
	if e.Party != "" {
		b.WriteString(" by ")
		b.WriteString(string(e.Party))
	}
	b.WriteString(": ")
	b.WriteString(e.Kind.Error())
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	if e.Rule != "" {
		b.WriteString(" (")
		b.WriteString(e.Rule)
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap returns the kind sentinel.
func (e *Error) Unwrap() error { return e.Kind }

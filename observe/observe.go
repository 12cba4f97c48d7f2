// Package observe is how the library tells an operator what it does, with
// the standard library only: a log/slog logger for what it does on its own
// (invitations timed out, offered on or left with nobody, conflicts decided
// again, a relay or listener reconnecting), and an Observer told of the
// numbers (command outcomes and latencies, conflicts, retries, relay lag,
// subscription lag). The otelmetrics module turns an Observer's events
// into OpenTelemetry metrics.
//
// Operator logs and events carry interaction, invitation and agent IDs:
// they are for the people running the service, not for a party of a chat,
// and never hold message text.
package observe

import (
	"context"
	"log/slog"
	"time"
)

// Kind says what an Event reports.
type Kind uint8

const (
	// KindCommand: a command ran on an interaction (Op, Outcome, Took,
	// Attempts: how often it was decided).
	KindCommand Kind = iota + 1
	// KindConflict: an append met another writer's; the command is
	// decided again on fresh state (Outcome "retried") or gave up
	// ("conflict").
	KindConflict
	// KindRetry: a command ID committed before came again; it applied
	// once and was answered again.
	KindRetry
	// KindTimeOut: an invitation's deadline fired (Op: its kind).
	KindTimeOut
	// KindRedirect: a routed invitation was offered on (Op: why; N: how
	// many agents).
	KindRedirect
	// KindExhausted: a routed invitation or new chat found nobody left.
	KindExhausted
	// KindReconnect: a relay or listener lost its connection and tries
	// again (Op: which).
	KindReconnect
	// KindRelayLag: a relay delivered a command, Took after it was
	// committed (by the committing instance's clock).
	KindRelayLag
	// KindSubscriptionLag: a subscriber fell behind by N events and
	// catches up from the Store.
	KindSubscriptionLag
	// KindRequest: an HTTP command (Op), with its Outcome and Took.
	KindRequest
)

var kindNames = [...]string{"", "command", "conflict", "retry", "time_out", "redirect", "exhausted", "reconnect", "relay_lag", "subscription_lag", "request"}

// String is the kind's name ("command", "time_out", …).
func (k Kind) String() string {
	if int(k) < len(kindNames) && k != 0 {
		return kindNames[k]
	}
	return "unknown"
}

// Event is one thing an Observer is told.
type Event struct {
	Kind Kind
	// Op names the command ("interaction.Post", "consult.Start", an HTTP
	// command's route name) or what the event is about.
	Op          string
	Interaction string
	// Outcome is "ok" or the refusal's kind ("bad_input", "not_permitted",
	// "not_found", "conflict", "invalid_transition", "error"); "" when it
	// does not apply.
	Outcome string
	// Took is a latency or a lag.
	Took time.Duration
	// Attempts is how often a command was decided; N a count (agents
	// offered, events behind).
	Attempts, N int
}

// Observer is told of Events. Observe is called on the path of the
// command it reports: it must be quick and must not block (count, add to
// a histogram, hand off).
type Observer interface {
	Observe(ctx context.Context, e Event)
}

// Func adapts a function to Observer.
type Func func(ctx context.Context, e Event)

// Observe implements Observer.
func (f Func) Observe(ctx context.Context, e Event) { f(ctx, e) }

// Observers tells every Observer in turn.
type Observers []Observer

// Observe implements Observer.
func (o Observers) Observe(ctx context.Context, e Event) {
	for _, x := range o {
		if x != nil {
			x.Observe(ctx, e)
		}
	}
}

// Hooks is what a component reports through: a logger and an Observer,
// either of which may be nil. The zero Hooks reports nothing and costs a
// nil check.
type Hooks struct {
	Logger   *slog.Logger
	Observer Observer
}

// On reports whether there is an Observer.
func (h *Hooks) On() bool { return h != nil && h.Observer != nil }

// Observe tells the Observer, if any.
func (h *Hooks) Observe(ctx context.Context, e Event) {
	if h != nil && h.Observer != nil {
		h.Observer.Observe(ctx, e)
	}
}

// Log logs msg at level with attrs, if there is a logger and it logs
// that level.
func (h *Hooks) Log(ctx context.Context, level slog.Level, msg string, attrs ...slog.Attr) {
	if h == nil || h.Logger == nil || !h.Logger.Enabled(ctx, level) {
		return
	}
	h.Logger.LogAttrs(ctx, level, msg, attrs...)
}

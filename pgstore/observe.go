package pgstore

import (
	"context"
	"log/slog"
	"time"

	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/observe"
)

// ListenLogger sets where the Listener logs a lost connection and its
// reconnection (Warn; default: no log).
func ListenLogger(l *slog.Logger) ListenOption { return func(li *Listener) { li.hooks.Logger = l } }

// ListenObserver sets who is told of each reconnection
// (observe.KindReconnect, Op "listener").
func ListenObserver(o observe.Observer) ListenOption {
	return func(li *Listener) { li.hooks.Observer = o }
}

// RelayLogger sets where the Relay logs a failed read of the log before
// it tries again (Warn; default: no log).
func RelayLogger(l *slog.Logger) RelayOption { return func(r *Relay) { r.hooks.Logger = l } }

// RelayObserver sets who is told of each command the Relay delivers, with
// how long after its commit (observe.KindRelayLag: the Relay's clock
// against the event's time, which the committing instance's clock set),
// and of each failed read (KindReconnect, Op "relay").
func RelayObserver(o observe.Observer) RelayOption { return func(r *Relay) { r.hooks.Observer = o } }

func (l *Listener) reconnecting(err error, backoff time.Duration) {
	ctx := context.Background()
	l.hooks.Observe(ctx, observe.Event{Kind: observe.KindReconnect, Op: "listener", Outcome: interaction.OutcomeOf(err)})
	l.hooks.Log(ctx, slog.LevelWarn, "pgstore listener: connection lost, reconnecting", slog.String("error", err.Error()), slog.Duration("backoff", backoff))
}

func (r *Relay) readFailed(ctx context.Context, err error, backoff time.Duration) {
	r.hooks.Observe(ctx, observe.Event{Kind: observe.KindReconnect, Op: "relay", Outcome: interaction.OutcomeOf(err)})
	r.hooks.Log(ctx, slog.LevelWarn, "pgstore relay: reading the log failed, retrying", slog.String("error", err.Error()),
		slog.Uint64("after", r.after), slog.Duration("backoff", backoff))
}

func (r *Relay) delivered(ctx context.Context, events []interaction.Event) {
	if !r.hooks.On() || len(events) == 0 {
		return
	}
	last := &events[len(events)-1]
	r.hooks.Observe(ctx, observe.Event{Kind: observe.KindRelayLag, Interaction: string(last.Interaction),
		Took: max(0, r.clock.Now().Sub(last.Time)), N: len(events)})
}

package interaction

import (
	"context"
	"errors"
	"log/slog"
	"reflect"
	"strings"
	"time"

	"github.com/chatconsult/chatconsult/observe"
)

// WithLogger sets where the Service logs what it does on its own: a
// command decided again after another writer's append (Debug), a command
// that gave up after its conflict retries (Warn). Default: no log.
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.hooks.Logger = l } }

// WithObserver sets who is told of every command's outcome and latency
// (observe.KindCommand, measured on the Service's Clock), of each conflict
// (KindConflict) and of each retried command ID (KindRetry). Default:
// nobody; then a command pays one nil check.
func WithObserver(o observe.Observer) Option { return func(s *Service) { s.hooks.Observer = o } }

// Hooks returns the Service's logger and Observer, for the components
// built on it (consult, routing) to report through the same ones.
func (s *Service) Hooks() observe.Hooks { return s.hooks }

// OutcomeOf names an error's kind for operators: "ok" for nil, then
// "bad_input", "not_permitted", "not_found", "conflict",
// "invalid_transition", "canceled" (the context ended) or "error".
func OutcomeOf(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, ErrBadInput):
		return "bad_input"
	case errors.Is(err, ErrNotPermitted):
		return "not_permitted"
	case errors.Is(err, ErrNotFound):
		return "not_found"
	case errors.Is(err, ErrConflict):
		return "conflict"
	case errors.Is(err, ErrInvalidTransition):
		return "invalid_transition"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "canceled"
	}
	return "error"
}

// Named is a Command that names itself for operators (observe.Event.Op);
// without it the name is its Go type's, as "interaction.Post".
type Named interface {
	CommandName() string
}

// CommandName is cmd's name for operators.
func CommandName(cmd Command) string {
	if n, ok := cmd.(Named); ok {
		return n.CommandName()
	}
	t := reflect.TypeOf(cmd)
	if t == nil {
		return ""
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	pkg := t.PkgPath()
	return pkg[strings.LastIndexByte(pkg, '/')+1:] + "." + t.Name()
}

func (s *Service) observeCommand(ctx context.Context, id ID, cmd Command, err error, took time.Duration, decided int) {
	s.hooks.Observe(ctx, observe.Event{Kind: observe.KindCommand, Op: CommandName(cmd), Interaction: string(id),
		Outcome: OutcomeOf(err), Took: took, Attempts: decided})
}

// conflicted reports an append that met another writer's: decided again
// (retry) or given up.
func (s *Service) conflicted(ctx context.Context, id ID, cmd Command, attempt int, retry bool) {
	outcome, level, msg := "retried", slog.LevelDebug, "conflict: deciding the command again on fresh state"
	if !retry {
		outcome, level, msg = "gave_up", slog.LevelWarn, "conflict: command gave up after its retries"
	}
	s.hooks.Observe(ctx, observe.Event{Kind: observe.KindConflict, Op: CommandName(cmd), Interaction: string(id), Outcome: outcome, Attempts: attempt + 1})
	s.hooks.Log(ctx, level, msg, slog.String("interaction", string(id)), slog.String("command", CommandName(cmd)), slog.Int("attempt", attempt+1))
}

// retriedCommand reports a command ID committed before, answered again.
func (s *Service) retriedCommand(ctx context.Context, id ID, actor PartyID, commandID string, ok bool) {
	outcome := "ok"
	if !ok {
		outcome = "conflict"
	}
	s.hooks.Observe(ctx, observe.Event{Kind: observe.KindRetry, Interaction: string(id), Outcome: outcome})
	s.hooks.Log(ctx, slog.LevelDebug, "command ID seen before: answered again", slog.String("interaction", string(id)),
		slog.String("actor", string(actor)), slog.String("command_id", commandID), slog.String("outcome", outcome))
}

package routing

import (
	"context"
	"log/slog"

	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/observe"
)

// The ChatRouter reports through its chats' logger and Observer
// (interaction.WithLogger, interaction.WithObserver): a chat offer timed
// out (Info, observe.KindTimeOut), a chat offered on after a time-out or
// decline (Info, KindRedirect), a new chat with nobody left (Warn,
// KindExhausted).

func (r *ChatRouter) timedOut(ctx context.Context, rt ChatRoute) {
	r.hooks.Observe(ctx, observe.Event{Kind: observe.KindTimeOut, Op: "chat_offer", Interaction: string(rt.Interaction)})
	r.hooks.Log(ctx, slog.LevelInfo, "chat offer timed out", slog.String("interaction", string(rt.Interaction)),
		slog.String("agent", string(rt.Agent)), slog.String("target", rt.Target.String()))
}

func (r *ChatRouter) offeredOn(ctx context.Context, id interaction.ID, reason string, agent interaction.PartyID) {
	if agent == "" {
		return
	}
	r.hooks.Observe(ctx, observe.Event{Kind: observe.KindRedirect, Op: "chat_" + reason, Interaction: string(id), N: 1})
	r.hooks.Log(ctx, slog.LevelInfo, "chat offered on", slog.String("interaction", string(id)),
		slog.String("reason", reason), slog.String("agent", string(agent)))
}

func (r *ChatRouter) nobodyLeft(ctx context.Context, id interaction.ID, target interaction.Target) {
	r.hooks.Observe(ctx, observe.Event{Kind: observe.KindExhausted, Op: "chat", Interaction: string(id)})
	r.hooks.Log(ctx, slog.LevelWarn, "new chat: nobody left", slog.String("interaction", string(id)), slog.String("target", target.String()))
}

// routeKey is what a caller's Route asks, without the agent picked.
type routeKey struct {
	Target interaction.Target
}

// answered looks up commandID ("" or not committed: ok false): the agent
// its first run offered the chat to. With key, a command ID used for
// another command is refused with ErrConflict.
func (r *ChatRouter) answered(ctx context.Context, id interaction.ID, commandID string, key any) (interaction.PartyID, bool, error) {
	if commandID == "" {
		return "", false, nil
	}
	events, err := r.chats.Applied(ctx, id, commandID)
	if err != nil || len(events) == 0 {
		return "", false, err
	}
	if key != nil && !interaction.SameCommand(events, interaction.System, interaction.Keyed(nil, key)) {
		return "", false, &interaction.Error{Kind: interaction.ErrConflict, Op: "route chat", Interaction: id, Rule: "R-X6",
			Detail: "command ID already used by another command"}
	}
	return offeredTo(events), true, nil
}

// offeredTo is the agent the events offer the chat to ("" when they only
// withdraw an offer).
func offeredTo(events []interaction.Event) interaction.PartyID {
	for i := range events {
		if ev := &events[i]; ev.Type == interaction.EventMembership && ev.To == string(interaction.MemberInvited) {
			return ev.Party
		}
	}
	return ""
}

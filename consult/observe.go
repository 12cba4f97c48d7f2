package consult

import (
	"context"
	"log/slog"

	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/observe"
)

// WithLogger sets where the Service logs what it does on its own (default:
// the chats' logger, interaction.WithLogger): an invitation timed out
// (Info), a routed invitation offered on after a time-out, decline or
// rescind (Info), one that found nobody left (Warn).
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.hooks.Logger = l } }

// WithObserver sets who is told of time-outs (observe.KindTimeOut),
// redirects (KindRedirect) and invitations with nobody left
// (KindExhausted) (default: the chats' Observer, interaction.WithObserver).
func WithObserver(o observe.Observer) Option { return func(s *Service) { s.hooks.Observer = o } }

// inheritHooks fills what WithLogger and WithObserver left unset from the
// chats'.
func (s *Service) inheritHooks() {
	h := s.chats.Hooks()
	if s.hooks.Logger == nil {
		s.hooks.Logger = h.Logger
	}
	if s.hooks.Observer == nil {
		s.hooks.Observer = h.Observer
	}
}

// reported tells the logger and Observer what a route's written step did:
// the invitation timed out (reason RerouteTimedOut), was offered on to
// the next agents, or found nobody left.
func (s *Service) reported(ctx context.Context, id interaction.ID, inv InvitationID, reason RerouteReason, p plan, events []interaction.Event) {
	base := []slog.Attr{slog.String("interaction", string(id)), slog.String("invitation", string(inv))}
	if reason == RerouteTimedOut {
		s.hooks.Observe(ctx, observe.Event{Kind: observe.KindTimeOut, Op: "invitation", Interaction: string(id)})
		s.hooks.Log(ctx, slog.LevelInfo, "invitation timed out", base...)
	}
	var offered []string
	for _, o := range p.next {
		if invites(events, o.ID) {
			offered = append(offered, string(o.Invitee))
		}
	}
	if len(offered) > 0 {
		s.hooks.Observe(ctx, observe.Event{Kind: observe.KindRedirect, Op: reason.String(), Interaction: string(id), N: len(offered)})
		s.hooks.Log(ctx, slog.LevelInfo, "invitation offered on", append(base, slog.String("route", string(p.route)),
			slog.String("reason", reason.String()), slog.Any("agents", offered))...)
	}
	if p.exhausted && notPlaced(events) {
		s.hooks.Observe(ctx, observe.Event{Kind: observe.KindExhausted, Op: reason.String(), Interaction: string(id)})
		s.hooks.Log(ctx, slog.LevelWarn, "routed invitation: nobody left", append(base, slog.String("route", string(p.route)),
			slog.String("reason", reason.String()))...)
	}
}

// Retries with the caller's command ID (interaction.WithCommandID): a
// call that picks agents or makes IDs before it writes asks the Store
// first whether its command ID was committed, and answers what the first
// run did; its write is keyed (interaction.Keyed) by what the caller
// asked, so that a retry racing the first run is still the same command.

// Retry keys: what the caller asked, without what routing picked.
type (
	startKey struct {
		Op     string
		Target interaction.Target
		Medium interaction.Medium
	}
	invitationKey struct {
		Op         string
		Invitation InvitationID
		Agent      PartyID
	}
)

// answered looks up command ID cid (none: ok false): the events
// its first run caused, refused with ErrConflict when the ID was used for
// another command.
func (s *Service) answered(ctx context.Context, id interaction.ID, actor PartyID, cid string, key any) ([]interaction.Event, bool, error) {
	if cid == "" {
		return nil, false, nil
	}
	events, err := s.chats.Applied(ctx, id, cid)
	if err != nil || len(events) == 0 {
		return nil, false, err
	}
	if !interaction.SameCommand(events, actor, interaction.Keyed(nil, key)) {
		return nil, false, &interaction.Error{Kind: interaction.ErrConflict, Op: "command", Interaction: id, Party: actor, Rule: "R-X6",
			Detail: "command ID already used by another command"}
	}
	return events, true, nil
}

// invited is the first invitation (leg or request) the events make.
func invited(events []interaction.Event) InvitationID {
	for i := range events {
		ev := &events[i]
		if (ev.Type == interaction.EventLeg && ev.From == string(interaction.LegNone)) ||
			(ev.Type == interaction.EventRequest && ev.From == string(interaction.RequestNone)) {
			return ev.Invitation()
		}
	}
	return ""
}

// CommandName implements interaction.Named: a batch of offers is named
// after its first.
func (b batch) CommandName() string {
	if len(b) == 0 {
		return "consult.batch"
	}
	return interaction.CommandName(b[0])
}

// CommandName implements interaction.Named.
func (c declined) CommandName() string { return interaction.CommandName(c.answer) }

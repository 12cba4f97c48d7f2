package interaction

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
)

// Command IDs carried by a context (issue 16, "safe retries
// everywhere"). The calls of package consult and routing.ChatRouter that
// write take the caller's command ID from their context: sent again with
// the same ID (a retry after a cut connection), such a call applies once,
// on this or any instance on the same Store, and answers what the first
// run did. httpapi puts a request's Idempotency-Key there.

type commandIDKey struct{}

// WithCommandID returns ctx carrying the caller's command ID for the next
// write call made with it (consult.Service, routing.ChatRouter). An empty
// id carries none.
func WithCommandID(ctx context.Context, id string) context.Context {
	if id == "" && ctx.Value(commandIDKey{}) == nil {
		return ctx
	}
	return context.WithValue(ctx, commandIDKey{}, id)
}

// CommandIDFrom is the command ID ctx carries, or "".
func CommandIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(commandIDKey{}).(string)
	return id
}

// DeriveID makes an ID from a command ID and a part name, for what a
// call with a command ID creates (a leg, a request, a route, the command
// ID of a second write), so that a retry creates the same: a hash, 22
// characters, which tells nothing of the command ID to whoever sees it.
func DeriveID(commandID, part string) string {
	sum := sha256.Sum256([]byte(commandID + "\x00" + part))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// Keyed returns cmd whose retry identity (its Fingerprint) is key rather
// than cmd's content: for a command whose content depends on a choice
// made before it (routing picked an agent, a new ID was made) that a
// retry may make otherwise. Sent again under the same command ID with an
// equal key, it is the same command and applies once.
func Keyed(cmd Command, key any) Command { return keyed{cmd: cmd, key: key} }

type keyed struct {
	cmd Command
	key any
}

func (k keyed) Decide(d *Decision) error { return k.cmd.Decide(d) }

func (k keyed) CommandName() string { return CommandName(k.cmd) }

func (k keyed) fingerprint(w io.Writer, actor PartyID) {
	fmt.Fprintf(w, "%s\x00keyed\x00%T\x00%#v", actor, k.key, k.key)
}

// Applied returns the events the command with commandID caused in
// interaction id (every event, for the caller's bookkeeping, as Execute),
// read from the Store; none when it was not committed there. A call that
// picks before it writes asks first, so that a retry answers the first
// run rather than picking again.
func (s *Service) Applied(ctx context.Context, id ID, commandID string) ([]Event, error) {
	if commandID == "" {
		return nil, nil
	}
	events, err := s.store.Load(ctx, id)
	if err != nil {
		return nil, err
	}
	var out []Event
	for _, ev := range events {
		if ev.Cause == commandID {
			out = append(out, ev)
		}
	}
	return out, nil
}

// SameCommand reports whether events (from Applied) were caused by
// actor's cmd, by Fingerprint: a command ID reused for another command
// is not.
func SameCommand(events []Event, actor PartyID, cmd Command) bool {
	return len(events) > 0 && events[0].Fingerprint != 0 && events[0].Fingerprint == Fingerprint(actor, cmd)
}

package consult_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/interaction"
)

// R-X6, R-C5 (privacy covers metadata): a party that may not start a
// consultation, nor ask for a transfer or conference, learns nothing from
// the ID it names. Naming the ID of a consultation or request in use gets
// it exactly the refusal a new ID gets; only a party that may make the
// invitation is told that the ID is taken.
func TestRX6AnIDInUseIsNotShownToWhoMayNotInvite(t *testing.T) {
	d := newDesk(t)
	leg := d.activeLeg("agent1", "agent2")
	req, err := d.svc.Conference(ctx, d.id, "agent1", leg)
	require.NoError(t, err)
	used := []string{string(leg), string(req)}
	commands := map[string]func(id string) interaction.Command{
		"start": func(id string) interaction.Command {
			return consult.Start{Leg: interaction.LegID(id), Target: agent("agent5"), Agent: "agent5"}
		},
		"direct": func(id string) interaction.Command {
			return consult.Direct{Request: interaction.RequestID(id), Kind: interaction.RequestTransfer, Target: agent("agent5"), Agent: "agent5"}
		},
		"conference": func(id string) interaction.Command {
			return consult.Conference{Leg: leg, Request: interaction.RequestID(id)}
		},
	}
	refusal := func(actor interaction.PartyID, cmd interaction.Command) string {
		before := d.state().Version
		_, err := d.chats.Do(ctx, d.id, actor, cmd)
		require.Error(t, err)
		assert.Equal(t, before, d.state().Version, "nothing written")
		return err.Error()
	}
	for name, cmd := range commands {
		for _, actor := range []interaction.PartyID{"agent2", "contact"} {
			fresh := refusal(actor, cmd("fresh-9"))
			for _, id := range used {
				assert.Equal(t, fresh, refusal(actor, cmd(id)), "%s by %s naming %s", name, actor, id)
			}
		}
		for _, id := range used {
			_, err := d.chats.Do(ctx, d.id, "agent1", cmd(id))
			assert.ErrorIs(t, err, interaction.ErrConflict, "%s by the owner naming %s: the ID is taken", name, id)
		}
	}
}

// R-X6, R-C5: an owner's command naming a consultation or a party (a
// transfer, a conference from a consultation, removing a member) tells a
// party that is not the chat's owner nothing of which consultations and
// parties exist: naming one that exists gets the refusal that naming
// none gets.
func TestRX6OwnerCommandsDoNotShowWhatExistsToOthers(t *testing.T) {
	d := newDesk(t)
	leg := d.activeLeg("agent1", "agent2")
	commands := map[string]func(name string) interaction.Command{
		"transfer": func(name string) interaction.Command { return consult.Transfer{Leg: interaction.LegID(name)} },
		"conference": func(name string) interaction.Command {
			return consult.Conference{Leg: interaction.LegID(name), Request: "r9"}
		},
		"remove": func(name string) interaction.Command { return consult.Remove{Member: interaction.PartyID(name)} },
	}
	existing := map[string]string{"transfer": string(leg), "conference": string(leg), "remove": "agent2"}
	for name, cmd := range commands {
		for _, actor := range []interaction.PartyID{"agent2", "contact"} {
			before := d.state().Version
			_, errNone := d.chats.Do(ctx, d.id, actor, cmd("nothing-9"))
			_, errSome := d.chats.Do(ctx, d.id, actor, cmd(existing[name]))
			require.Error(t, errNone)
			require.Error(t, errSome)
			assert.Equal(t, errNone.Error(), errSome.Error(), "%s by %s", name, actor)
			assert.ErrorIs(t, errSome, interaction.ErrNotPermitted, "%s by %s", name, actor)
			assert.Equal(t, before, d.state().Version, "nothing written")
		}
	}
}

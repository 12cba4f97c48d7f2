package chatconsulttest_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/chatconsulttest"
)

// Minimal reproductions of the core bugs the kit found, kept as regression
// tests now that they are fixed. Each asserts what SPEC.md and the
// README's decisions say.

// runScript runs the steps (script syntax) on a harness that does not stop
// at known bugs: it reports the library's answers and the final state.
func runScript(t *testing.T, lines ...string) *chatconsulttest.Harness {
	t.Helper()
	h := chatconsulttest.NewHarness()
	for _, line := range lines {
		s, err := chatconsulttest.ParseStep(line)
		require.NoError(t, err, line)
		_, _ = h.Chats.Do(context.Background(), h.ID, s.Actor, s.Command)
	}
	return h
}

func do(t *testing.T, h *chatconsulttest.Harness, line string) error {
	t.Helper()
	s, err := chatconsulttest.ParseStep(line)
	require.NoError(t, err, line)
	_, err = h.Chats.Do(context.Background(), h.ID, s.Actor, s.Command)
	return err
}

var consulting = []string{
	`contact open "Hello"`,
	`system assign agent1`,
	`agent1 join`,
	`agent1 consult leg1 agent2`,
	`agent2 accept leg1`,
}

// A consultation target that leaves the chat (interaction.Leave) is
// refused with ErrInvalidTransition "cannot leave when left": Depart ends
// its leg, whose ReleaseTarget already takes the target out, then fires
// "leave" on it a second time. Expected: the leg ends (R-C4) and the
// target leaves, like EndLeg.
func TestCoreBug_ConsultantLeaveRefused(t *testing.T) {
	h := runScript(t, consulting...)
	require.NoError(t, do(t, h, `agent2 leave`))
	st, err := h.Chats.State(context.Background(), h.ID)
	require.NoError(t, err)
	require.Equal(t, "ended", st.Leg("leg1").State)
	require.Equal(t, "left", st.Party("agent2").Membership)
}

// The agent invited by a direct transfer request (R-X4) holds role owner
// while invited, so interaction.Decline (routing's chat offer) accepts it:
// its membership goes to declined, but the request stays pending, and
// DeclineRequest and TimeOutRequest then fail ("cannot decline when
// declined", "cannot withdraw when declined"). The request is never dropped
// (R-F4) until the owner cancels it or the session ends. Same through
// interaction.Withdraw by System. Expected: Decline is refused for a
// request's invitation (not a chat offer), or it drops the request.
func TestCoreBug_DirectTransferInviteeDeclinesAsChatOffer(t *testing.T) {
	h := runScript(t,
		`contact open "Hello"`,
		`system assign agent1`,
		`agent1 join`,
		`agent1 direct req1 transfer agent3`,
	)
	declineErr := do(t, h, `agent3 decline`)
	st, err := h.Chats.State(context.Background(), h.ID)
	require.NoError(t, err)
	if declineErr == nil {
		require.NotEqual(t, "pending", st.Request("req1").State, "R-F4: a declined request is dropped")
		return
	}
	require.NoError(t, do(t, h, `system timeout-request req1`), "R-F4: the request can still time out")
}

// An agent who took part (here a consultation target whose leg ended) and
// is invited again, then declines (or is withdrawn, or times out), can
// never mark done: the membership machine has no "done" from declined or
// withdrawn, yet CloseIfDone waits for it because TookPart is set. The
// interaction stays ended for ever (R-C8). Expected: an agent whose part
// is over may mark done; or CloseIfDone does not wait for an agent whose
// last invitation it declined and who marked done before.
func TestCoreBug_ReinvitedAgentCanNeverMarkDone(t *testing.T) {
	h := runScript(t, append(append([]string{}, consulting...),
		`agent1 end leg1`,
		`agent1 consult leg2 agent2`,
		`agent2 decline leg2`,
		`agent1 end`,
		`agent1 done`,
	)...)
	require.NoError(t, do(t, h, `agent2 done`), "R-C8: every agent who took part can mark done")
	st, err := h.Chats.State(context.Background(), h.ID)
	require.NoError(t, err)
	require.Equal(t, "closed", st.Status, "R-C8")
}

// The known bugs listed in the model are the ones reproduced here.
func TestNoKnownBugsLeft(t *testing.T) {
	// Every bug the kit found is fixed; their reproductions above stay as
	// regression tests. A new one gets an entry in knownbugs.go and a
	// reproduction here.
	require.Empty(t, chatconsulttest.KnownBugs())
}

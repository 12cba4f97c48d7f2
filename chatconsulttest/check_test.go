package chatconsulttest_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/interaction"
)

// The checker must not be vacuous: each test corrupts a valid event log
// the way a buggy command or store could, and expects the rule it breaks.

// logOf runs script lines on a harness and returns the stored events.
func logOf(t *testing.T, lines ...string) ([]interaction.Event, *interaction.State) {
	t.Helper()
	h := chatconsulttest.NewHarness()
	for _, line := range lines {
		s, err := chatconsulttest.ParseStep(line)
		require.NoError(t, err, line)
		rep := h.Do(context.Background(), s)
		require.NoError(t, rep.Err, line)
		require.False(t, rep.Failed(), rep.String())
	}
	events, err := h.Chats.Store().Load(context.Background(), h.ID)
	require.NoError(t, err)
	st, err := h.Chats.State(context.Background(), h.ID)
	require.NoError(t, err)
	return events, st
}

var storyLines = []string{
	`contact open "Hello"`,
	`system assign agent1`,
	`agent1 join`,
	`agent1 consult leg1 agent2`,
	`agent2 accept leg1`,
	`agent2 say leg1 "psst"`,
	`agent1 conference leg1 req1`,
	`agent2 decline-request req1`,
	`agent1 end`,
	`agent1 done`,
}

func rulesOf(vs []chatconsulttest.Violation) map[string]bool {
	out := map[string]bool{}
	for _, v := range vs {
		out[v.Rule+" "+v.Invariant] = true
	}
	return out
}

// renumber makes versions consecutive again after a test removed or
// inserted events, so that only the corruption itself shows.
func renumber(events []interaction.Event) []interaction.Event {
	for i := range events {
		events[i].Version = uint64(i + 1)
	}
	return events
}

func find(events []interaction.Event, match func(*interaction.Event) bool) int {
	for i := range events {
		if match(&events[i]) {
			return i
		}
	}
	return -1
}

func TestCheckerAcceptsAValidLog(t *testing.T) {
	events, live := logOf(t, storyLines...)
	assert.Empty(t, chatconsulttest.Check(events))
	assert.Empty(t, chatconsulttest.CheckState(live, events))
}

func TestCheckerCatchesCorruptLogs(t *testing.T) {
	events, live := logOf(t, storyLines...)
	clone := func() []interaction.Event { return append([]interaction.Event(nil), events...) }
	isLegMsg := func(e *interaction.Event) bool {
		return e.Type == interaction.EventMessage && e.Scope.Kind == interaction.ScopeLeg
	}
	cases := []struct {
		name    string
		corrupt func() []interaction.Event
		want    string
	}{
		{"a version skipped (R-X5)", func() []interaction.Event {
			ev := clone()
			return append(ev[:3], ev[4:]...)
		}, "R-X5 stream"},
		{"an undeclared transition (R-X5)", func() []interaction.Event {
			ev := clone()
			i := find(ev, func(e *interaction.Event) bool {
				return e.Type == interaction.EventLeg && e.To == string(interaction.LegActive)
			})
			ev[i].To = string(interaction.LegEnded)
			return ev
		}, "R-X5 transition"},
		{"a message number skipped (R-X6)", func() []interaction.Event {
			ev := clone()
			ev[find(ev, isLegMsg)].Seq++
			return ev
		}, "R-X6 numbering"},
		{"a consultation message written for everyone (R-C5)", func() []interaction.Event {
			ev := clone()
			ev[find(ev, isLegMsg)].Scope = interaction.Everyone
			return ev
		}, "R-C5 author"},
		{"a leg left live when the session ends (R-C7)", func() []interaction.Event {
			ev := clone()
			end := find(ev, func(e *interaction.Event) bool {
				return e.Type == interaction.EventStatus && e.To == string(interaction.StatusEnded)
			})
			// The session's end comes first, then its legs end (R-C7).
			leg := -1
			for i := end; i < len(ev) && ev[i].Cause == ev[end].Cause; i++ {
				if ev[i].Type == interaction.EventLeg {
					leg = i
					break
				}
			}
			require.GreaterOrEqual(t, leg, 0)
			return renumber(append(ev[:leg], ev[leg+1:]...))
		}, "R-C7 session-end"},
		{"closed while an agent who took part has not marked done (R-C8)", func() []interaction.Event {
			ev := clone()
			last := ev[len(ev)-1]
			return append(ev, interaction.Event{Interaction: last.Interaction, Version: last.Version + 1, Time: last.Time,
				Actor: interaction.System, Cause: "forged", Type: interaction.EventStatus, From: string(interaction.StatusEnded),
				To: string(interaction.StatusClosed), Trigger: "close", Scope: interaction.Everyone})
		}, "R-C8 close"},
		{"a declined request that changed a role (R-F4)", func() []interaction.Event {
			ev := clone()
			i := find(ev, func(e *interaction.Event) bool {
				return e.Type == interaction.EventRequest && e.To == string(interaction.RequestDeclined)
			})
			role := interaction.Event{Interaction: ev[i].Interaction, Time: ev[i].Time, Actor: ev[i].Actor, Cause: ev[i].Cause,
				Type: interaction.EventRole, Party: "agent2", Role: interaction.RoleMember, Trigger: "conference", Scope: interaction.Everyone}
			out := append(append(append([]interaction.Event{}, ev[:i+1]...), role), ev[i+1:]...)
			return renumber(out)
		}, "R-F4 dropped"},
		{"an event without a cause (R-X5)", func() []interaction.Event {
			ev := clone()
			ev[2].Cause = ""
			return ev
		}, "R-X5 stream"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := rulesOf(chatconsulttest.Check(c.corrupt()))
			assert.True(t, got[c.want], "want %s, got %v", c.want, got)
		})
	}
	assert.Empty(t, chatconsulttest.Check(events), "the cases corrupted copies only")

	// R-X5: the live state must be what the events rebuild.
	forged := live.Clone()
	forged.Parties[1].Role = interaction.RoleMember
	assert.True(t, rulesOf(chatconsulttest.CheckState(forged, events))["R-X5 rebuild"])
}

// A view layer that hides the chat from a consultation target breaks R-C6.
func TestCheckerCatchesAViewThatHidesTheChatRC6(t *testing.T) {
	events, _ := logOf(t, storyLines[:6]...)
	c := chatconsulttest.NewChecker()
	c.View = func(s *interaction.State, viewer interaction.PartyID) (interaction.View, error) {
		v, err := s.ViewFor(viewer)
		if viewer == "agent2" && len(v.Messages) > 0 {
			v.Messages = v.Messages[1:]
		}
		return v, err
	}
	assert.True(t, rulesOf(c.Add(events))["R-C6 read-along"])
}

package interaction

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A recycled Decision holds nothing of the command it decided: no string
// of the interaction stays pinned in the pool, and the next command starts
// from a blank workspace (release clears what a command used, not all).
func TestAReleasedDecisionHoldsOnlyItsBuffers(t *testing.T) {
	ctx := context.Background()
	svc := NewService()
	id, err := svc.Open(ctx, "contact", "hello")
	require.NoError(t, err)
	require.NoError(t, svc.Assign(ctx, id, System, "agent"))
	st, err := svc.State(ctx, id)
	require.NoError(t, err)

	for _, cmd := range []Command{Join{}, Post{Text: "one"}, Assign{Agent: "agent"}} {
		d := newPooledDecision(st, "agent", time.Now(), "cause", DefaultLimits, UUIDs{})
		_ = cmd.Decide(d) // Assign is refused: a refused command is released too
		_, _ = d.Events()
		d.State() // reads past the last event: the working copy is made
		d.release()
		blank := *d
		require.Zero(t, len(blank.events)+len(blank.work.Parties)+len(blank.work.Legs)+len(blank.work.Requests), "buffers are kept empty")
		blank.events, blank.work.Parties, blank.work.Legs, blank.work.Requests = nil, nil, nil, nil
		require.True(t, reflect.DeepEqual(blank, Decision{}), "%T left %+v", cmd, blank)
		for _, p := range d.work.Parties[:cap(d.work.Parties)] {
			require.Zero(t, p, "a kept buffer holds no party")
		}
	}
}

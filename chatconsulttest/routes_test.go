package chatconsulttest_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/chatconsulttest"
)

// fanOutLines: agent1 asks the billing skill for a consultation, offered
// to agent2 and agent3 at once; agent2 accepts first.
var fanOutLines = []string{
	`contact open "Hello, my invoice is wrong"`,
	`system assign agent1`,
	`agent1 join`,
	`agent1 offers consult leg1 agent2 target=skill:billing route=r1 + consult leg2 agent3 target=skill:billing route=r1`,
	`agent2 accept leg1`,
}

// R-X1: routed invitations with fan-out, against the model, on every read
// path: the first accept wins and rescinds its rival, the second is
// refused; a failed offer goes on only when it was the last one out; the
// owner is told when nobody is left.
func TestRoutedInvitationsFollowTheModelRX1(t *testing.T) {
	ctx := context.Background()
	for name, lines := range map[string][]string{
		"first accept wins": append(fanOutLines,
			`agent3 accept leg2`,
			`agent3 accept-offer leg2 leg1`,
			`agent2 say leg1 "it is a double charge"`,
			`agent1 transfer leg1`),
		"offer on after the last offer failed": append(fanOutLines[:4],
			`agent2 decline leg1`,
			`system reroute leg1 decline`,
			`system reroute leg2 timeout`,
			`system reroute leg2 timeout "leg3=>agent2"`,
			`system reroute leg2 timeout "leg3=>agent4" "leg4=>agent1"`,
			`system reroute leg2 timeout "leg3=>agent4" "leg4=>agent5"`,
			`agent4 accept-offer leg3 leg4`,
			`agent5 accept leg4`),
		"nobody left": append(fanOutLines[:4],
			`system reroute leg1 rescind`,
			`system reroute leg2 rescind exhausted`,
			`agent1 post "Sorry, nobody from billing is free"`),
		"cancel takes every offer": append(fanOutLines[:4],
			`agent1 cancel leg2`,
			`agent2 accept leg1`),
		"routed direct transfer": {
			`contact open "Hello"`,
			`system assign agent1`,
			`agent1 join`,
			`agent1 offers direct req1 transfer agent2 target=queue:vip route=q1 + direct req2 transfer agent3 target=queue:vip route=q1`,
			`agent3 decline-request req2`,
			`system reroute req2 decline`,
			`system reroute req1 timeout "req3=>agent4"`,
			`agent4 accept-request req3`,
			`agent4 post "I have your case now"`,
		},
		"routed direct conference, cancelled": {
			`contact open "Hello"`,
			`system assign agent1`,
			`agent1 join`,
			`agent1 offers direct req1 conference agent2 target=group:tier2 route=g1 + direct req2 conference agent3 target=group:tier2 route=g1`,
			`agent1 cancel-request req1`,
			`agent3 accept-request req2`,
		},
	} {
		t.Run(name, func(t *testing.T) {
			rep := chatconsulttest.CheckPrivacy(ctx, story(t, lines...))
			require.Nil(t, rep.Failure(), "%s", rep)
			require.Empty(t, rep.Stopped)
			t.Logf("\n%s", rep)
		})
	}
}

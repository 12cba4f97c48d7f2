package consult_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"pgregory.net/rapid"

	"github.com/chatconsult/chatconsult/chatconsulttest"
)

// TestModel extends the core's model-based property test to consultation,
// transfer and conference (issue 3): random stories mixing the chat
// commands with start, accept, decline, cancel, time out, end, say,
// transfer, conference, direct transfer/conference and their answers, and
// remove (valid and invalid: unknown legs and requests, wrong actors, bad
// text), against the reference model. After every step, on top of the
// core's checks (see interaction's TestModel):
//   - the contact's view never holds a consultation message (R-C5);
//   - each leg's messages are visible to exactly its two agents, also
//     after the leg, a transfer or a conference (R-C5, R-X3);
//   - no accepted message lost or duplicated (R-X6);
//   - an interaction closes only when every agent who took part marked
//     done (R-C8);
//   - ending the contact session leaves no live leg, request or
//     invitation (R-C7);
//   - a declined or timed-out request changed nothing else (R-F4);
//   - a transfer makes the target the owner and the former owner leave
//     (R-T2); a conference adds the target as a member (R-F2).
//
// 1,000 stories in every go test run; the README's test command runs
// 10,000: go test ./consult -run '^TestModel$' -rapid.checks=10000. At
// least a fifth of them offer a routed invitation to several agents at
// once (fan-out, R-X1; about a quarter do, and about half route one), so
// CI's run checks well over 1,000 such stories.
func TestModel(t *testing.T) {
	chatconsulttest.EnsureChecks(t, 1000)
	var stories, fanOut int
	rapid.Check(t, chatconsulttest.PropertySeeing(chatconsulttest.Gen{}, func(s chatconsulttest.Story) {
		stories++
		if s.FansOut() {
			fanOut++
		}
	}))
	t.Logf("%d stories, %d with a routed invitation offered to several agents at once", stories, fanOut)
	if !t.Failed() {
		assert.GreaterOrEqual(t, 5*fanOut, stories, "a fifth of the stories fan a routed invitation out")
	}
}

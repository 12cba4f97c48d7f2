package consult_test

import (
	"testing"

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
// 10,000: go test ./consult -run '^TestModel$' -rapid.checks=10000
func TestModel(t *testing.T) {
	chatconsulttest.EnsureChecks(t, 1000)
	rapid.Check(t, chatconsulttest.Property(chatconsulttest.Gen{}))
}

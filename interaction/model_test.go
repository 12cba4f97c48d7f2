package interaction_test

import (
	"testing"

	"pgregory.net/rapid"

	"github.com/chatconsult/chatconsult/chatconsulttest"
)

// TestModel is the model-based property test of the chat core (issue 2):
// random stories of the chat commands (open, assign, join, decline,
// withdraw, post, note, leave, end, mark done; valid and deliberately
// invalid: blank, oversized and invalid UTF-8 text, unknown parties,
// wrong actors, an interaction that does not exist) run against the
// reference model of package chatconsulttest. After every step the
// harness checks:
//   - the step was accepted or refused, with the error kind, as the model
//     says (R-X6);
//   - no accepted message lost or duplicated: the transcript equals the
//     model's, numbered 1, 2, … (R-X6);
//   - every party's view holds exactly what its scope allows, and a
//     stranger's view is refused (R-C5, R-F3, R-X6);
//   - every state change is a transition its machine declares (R-X5);
//   - the state rebuilt from the events equals the live state (R-X5);
//   - closed exactly when every agent who took part marked done (R-C8).
//
// It runs at least 1,000 stories in every go test run (more with
// -rapid.checks=N).
func TestModel(t *testing.T) {
	chatconsulttest.EnsureChecks(t, 1000)
	rapid.Check(t, chatconsulttest.Property(chatconsulttest.Gen{ChatOnly: true}))
}

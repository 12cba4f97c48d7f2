package chatconsulttest_test

import (
	"testing"

	"pgregory.net/rapid"

	"github.com/chatconsult/chatconsult/chatconsulttest"
)

// TestPrivacyProperty is issue 12's property: over random multi-party
// stories (consultations, transfers, conferences, supervision, retries,
// bad input), after every step, every read path of every party and of a
// stranger shows exactly what docs/visibility.md lets it see, metadata
// included (R-C5, R-X6, R-X7, R-X8, R-H2): views, subscriptions, what Do
// hands back, JSON and text exports, error texts, retries.
//
// 10,000 stories in every go test run (300 under -race, 1,000 with
// -short); -rapid.checks=N on the command line sets the number:
//
//	go test ./chatconsulttest -run '^TestPrivacyProperty$' -rapid.checks=100000
func TestPrivacyProperty(t *testing.T) {
	n := privacyStories
	if testing.Short() && n > 1000 {
		n = 1000
	}
	chatconsulttest.EnsureChecks(t, n)
	rapid.Check(t, chatconsulttest.PrivacyProperty(chatconsulttest.Gen{}))
}

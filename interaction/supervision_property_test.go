package interaction_test

import (
	"context"
	"testing"

	"pgregory.net/rapid"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/interaction"
)

// TestRX7SupervisionProperties is the model-based property test of
// supervision (R-X7), on the harness kit: random stories of chat,
// consultation, conference and transfer commands mixed with monitor,
// coach, barge-in and leave by supervisors, and by agents who supervise
// before they take part in another role (then are consulted), valid and
// deliberately invalid. After every step the kit's harness checks the
// library against the reference model (every party's view, the
// transcript, the parties, who supervises whom) and the invariant checker
// (R-C5: the contact never sees, nor is told of, a consultation message;
// R-X7: nor a coaching message; a supervisor that has not barged in is in
// no view but its own and its coached agent's, and its events reach nobody
// else; it is not engaged and need not mark done, R-H3, R-C8; one that
// barged in is a member seen by all and must mark done). On top, what a
// MemoryNotifier delivers to the contact is checked here (R-C5, R-X7).
//
// At least 400 stories in every go test run (more with -rapid.checks=N).
func TestRX7SupervisionProperties(t *testing.T) {
	chatconsulttest.EnsureChecks(t, 400)
	gen := chatconsulttest.Gen{Supervisors: []interaction.PartyID{"super1", "super2"}}
	rapid.Check(t, func(t *rapid.T) {
		story := gen.Story().Draw(t, "story")
		notes := interaction.NewMemoryNotifier()
		contact := notes.Subscribe("contact")
		defer contact.Close()
		h := chatconsulttest.NewHarness(chatconsulttest.WithNotifier(notes))
		for i, step := range story.Steps {
			rep := h.Do(context.Background(), step)
			if rep.Failed() {
				t.Fatalf("step %d breaks a rule: %s", i+1, rep)
			}
			if h.Stopped() != "" {
				t.Fatalf("step %d: the harness stopped following the model: %s", i+1, h.Stopped())
			}
			for _, ev := range contact.Drain() {
				if k := ev.Scope.Kind; k == interaction.ScopeLeg || k == interaction.ScopeCoach {
					t.Fatalf("R-C5/R-X7: after step %d (%s) the contact was told of %s event %d in scope %s", i+1, step, ev.Type, ev.Version, k)
				}
			}
		}
	})
}

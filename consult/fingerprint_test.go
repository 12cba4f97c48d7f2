package consult_test

import (
	"testing"
	"time"

	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/interaction"
)

// TestFingerprintsKept pins the fingerprints of the commands whose fields
// were renamed (a leg or a request, the agent invited): they are stored on the
// events of a command run with a caller-chosen ID, so a retry after the
// fields became InvitationIDs (issue 18) must still match what was
// stored before (R-X6: a command ID applies one command once). The values
// were computed before the renames.
func TestFingerprintsKept(t *testing.T) {
	for _, c := range []struct {
		cmd  interaction.Command
		want uint64
	}{
		{consult.AcceptOffer{Invitation: "leg1"}, 0x7fb43e5aa8ccb8e1},
		{consult.AcceptOffer{Invitation: "req2", Rivals: []consult.InvitationID{"leg1", "req3"}}, 0x64f216048f81db60},
		{consult.AcceptOffer{Invitation: "req2", Rivals: []consult.InvitationID{}}, 0x1760745fb8cda872},
		{consult.Reroute{Invitation: "leg1", Reason: consult.RerouteDeclined, Next: []consult.Offer{{ID: "leg2", Invitee: "a"}}, Timeout: 5}, 0x306e24a3351e6897},
		// Computed while the agent invited was Agent, not Invitee.
		{consult.Start{Leg: "leg1", Target: interaction.Target{Kind: interaction.TargetSkill, ID: "billing"}, Invitee: "agent2", Medium: interaction.MediumIM, Route: "rt", Timeout: 30 * time.Second}, 0x9c1489b8ed25f979},
		{consult.Direct{Request: "req1", Kind: interaction.RequestTransfer, Target: interaction.Target{Kind: interaction.TargetAgent, ID: "agent3"}, Invitee: "agent3", Timeout: 5}, 0xb11f1caf8134a8d5},
	} {
		if got := interaction.Fingerprint("agent1", c.cmd); got != c.want {
			t.Errorf("Fingerprint(%#v) = %#x, stored before: %#x", c.cmd, got, c.want)
		}
	}
}

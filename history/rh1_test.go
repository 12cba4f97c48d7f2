package history_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/history"
	"github.com/chatconsult/chatconsult/interaction"
)

// streams lists the interactions the Store's global log holds events of.
func streams(t *testing.T, d *desk) []interaction.ID {
	t.Helper()
	events, err := d.store.ReadAll(ctx, 0, 1<<20)
	require.NoError(t, err)
	var out []interaction.ID
	seen := map[interaction.ID]bool{}
	for _, ev := range events {
		if !seen[ev.Interaction] {
			seen[ev.Interaction] = true
			out = append(out, ev.Interaction)
		}
	}
	return out
}

func activityIDs(act []history.Activity) []interaction.ID {
	out := make([]interaction.ID, 0, len(act))
	for _, a := range act {
		out = append(out, a.Interaction)
	}
	return out
}

// R-H1: the consultation part is not a separate interaction in the activity
// history; it belongs to the original contact interaction. For a chat, IM
// or voice consultation (R-C10), whether it ended or became a transfer or a
// conference (R-C11): one activity entry for the contact interaction, the
// consultation nested in it, nothing of its own, in the live and in the
// replayed projection, and not even a stream of its own in the Store.
func TestRH1ConsultationIsNeverAnInteractionOfItsOwn(t *testing.T) {
	outcomes := []struct {
		name string
		leg  interaction.LegState // the leg's final state
	}{
		{"ended", interaction.LegEnded},
		{"transfer", interaction.LegTransferred},
		{"conference", interaction.LegConferenced},
	}
	for _, medium := range []interaction.Medium{interaction.MediumChat, interaction.MediumIM, interaction.MediumVoice} {
		for _, out := range outcomes {
			t.Run(fmt.Sprintf("%s/%s", medium, out.name), func(t *testing.T) {
				d := newDesk(t)
				other := d.chat("other-contact", "agent3")
				d.finish(other, "agent3", "agent3")
				id := d.chat("contact", "agent1")

				leg, err := d.svc.Start(ctx, id, "agent1", agent("agent2"), medium)
				require.NoError(t, err)
				require.NoError(t, d.svc.Accept(ctx, id, "agent2", leg))
				if medium != interaction.MediumVoice {
					require.NoError(t, d.svc.Say(ctx, id, "agent1", leg, "consultation: may I refund?"))
					require.NoError(t, d.svc.Say(ctx, id, "agent2", leg, "consultation: yes"))
				}
				// Mid-consultation, it is already part of the interaction.
				act := activity(t, d.live)
				require.Equal(t, []interaction.ID{id, other}, activityIDs(act), "R-H1: no entry for the live consultation")
				require.Len(t, act[0].Consultations, 1)
				assert.Equal(t, interaction.LegActive, act[0].Consultations[0].State)

				switch out.name {
				case "ended":
					require.NoError(t, d.svc.EndConsultation(ctx, id, "agent2", leg))
				case "transfer":
					require.NoError(t, d.svc.Transfer(ctx, id, "agent1", leg))
				case "conference":
					req, err := d.svc.Conference(ctx, id, "agent1", leg)
					require.NoError(t, err)
					require.NoError(t, d.svc.AcceptRequest(ctx, id, "agent2", req))
				}
				d.finish(id, "contact", "agent1", "agent2")
				require.Equal(t, interaction.StatusClosed, d.state(id).Status)

				assert.ElementsMatch(t, []interaction.ID{other, id}, streams(t, d),
					"R-H1: the consultation wrote to the interaction's own stream, not one of its own")
				for name, p := range map[string]*history.Projection{"live": d.live, "replayed": d.rebuilt()} {
					t.Run(name, func(t *testing.T) {
						act := activity(t, p)
						require.Equal(t, []interaction.ID{id, other}, activityIDs(act), "R-H1: one entry per contact interaction")
						e := act[0]
						assert.Equal(t, interaction.PartyID("contact"), e.Contact)
						assert.Equal(t, interaction.StatusClosed, e.Status)
						assert.Empty(t, e.Transcript, "the activity history carries no transcript")
						require.Len(t, e.Consultations, 1, "R-H1: the consultation is nested in its interaction")
						c := e.Consultations[0]
						assert.Equal(t, leg, c.Leg)
						assert.Equal(t, interaction.PartyID("agent1"), c.Owner)
						assert.Equal(t, interaction.PartyID("agent2"), c.Invitee)
						assert.Equal(t, medium, c.Medium)
						assert.Equal(t, out.leg, c.State)
						assert.Empty(t, act[1].Consultations, "the other interaction had none")

						// The consulted agent's activity is this same interaction.
						theirs := allPages(t, func(cur string) (history.Page[history.Activity], error) {
							return p.Activity(ctx, history.Query{Agent: "agent2", Cursor: cur})
						})
						require.Equal(t, []interaction.ID{id}, activityIDs(theirs))
						assert.Equal(t, e.Consultations, theirs[0].Consultations)

						// It counts as one interaction with a consultation, not two.
						tot, err := p.Totals(ctx, history.Query{})
						require.NoError(t, err)
						assert.Equal(t, 2, tot.Interactions)
						assert.Equal(t, 1, tot.WithConsultation)
						assert.Equal(t, 1, tot.Consultations.Started)
						require.Len(t, contactHistory(t, p, "contact"), 1, "the contact had one interaction")

						// Engaged agents: the target only once it took the chat over
						// or joined it (R-H3); its entry is the same interaction.
						wantAgents := []interaction.PartyID{"agent1"}
						if out.name != "ended" {
							wantAgents = append(wantAgents, "agent2")
							mine := myHistory(t, p, "agent2")
							require.Len(t, mine, 1)
							assert.Equal(t, id, mine[0].Interaction)
						} else {
							assert.Empty(t, myHistory(t, p, "agent2"))
						}
						assert.Equal(t, wantAgents, e.Agents)
					})
				}
			})
		}
	}
}

// R-H1 with several consultations on one interaction (R-X3), in every
// medium, answered in every way: still one activity entry, each
// consultation nested in it in the order it started.
func TestRH1SeveralConsultationsStayInOneEntry(t *testing.T) {
	d := newDesk(t)
	id := d.chat("contact", "agent1")

	declined, err := d.svc.Start(ctx, id, "agent1", agent("agent2"), interaction.MediumChat)
	require.NoError(t, err)
	require.NoError(t, d.svc.Decline(ctx, id, "agent2", declined))
	cancelled, err := d.svc.Start(ctx, id, "agent1", agent("agent3"), interaction.MediumVoice)
	require.NoError(t, err)
	require.NoError(t, d.svc.Cancel(ctx, id, "agent1", cancelled))
	im, err := d.svc.Start(ctx, id, "agent1", agent("agent4"), interaction.MediumIM)
	require.NoError(t, err)
	require.NoError(t, d.svc.Accept(ctx, id, "agent4", im))
	voice, err := d.svc.Start(ctx, id, "agent1", agent("agent5"), interaction.MediumVoice)
	require.NoError(t, err)
	require.NoError(t, d.svc.Accept(ctx, id, "agent5", voice))
	require.NoError(t, d.svc.EndConsultation(ctx, id, "agent4", im))
	require.NoError(t, d.svc.Transfer(ctx, id, "agent1", voice))
	// The new owner consults too: still the same interaction.
	again := d.consult(id, "agent5", "agent2")
	require.NoError(t, d.svc.EndConsultation(ctx, id, "agent5", again))
	d.finish(id, "agent5", "agent1", "agent4", "agent5", "agent2")
	require.Equal(t, interaction.StatusClosed, d.state(id).Status)

	assert.Equal(t, []interaction.ID{id}, streams(t, d))
	for name, p := range map[string]*history.Projection{"live": d.live, "replayed": d.rebuilt()} {
		t.Run(name, func(t *testing.T) {
			act := activity(t, p)
			require.Len(t, act, 1, "R-H1: five consultations, one interaction")
			type leg struct {
				ID     interaction.LegID
				Owner  interaction.PartyID
				Agent  interaction.PartyID
				Medium interaction.Medium
				State  interaction.LegState
			}
			var got []leg
			for _, c := range act[0].Consultations {
				got = append(got, leg{c.Leg, c.Owner, c.Invitee, c.Medium, c.State})
			}
			assert.Equal(t, []leg{
				{declined, "agent1", "agent2", interaction.MediumChat, interaction.LegDeclined},
				{cancelled, "agent1", "agent3", interaction.MediumVoice, interaction.LegCancelled},
				{im, "agent1", "agent4", interaction.MediumIM, interaction.LegEnded},
				{voice, "agent1", "agent5", interaction.MediumVoice, interaction.LegTransferred},
				{again, "agent5", "agent2", interaction.MediumChat, interaction.LegEnded},
			}, got)
			for _, a := range []interaction.PartyID{"agent2", "agent3", "agent4", "agent5"} {
				theirs := allPages(t, func(cur string) (history.Page[history.Activity], error) {
					return p.Activity(ctx, history.Query{Agent: a, Cursor: cur})
				})
				assert.Equal(t, []interaction.ID{id}, activityIDs(theirs), "R-H1: %s's activity is the contact interaction", a)
			}
			tot, err := p.Totals(ctx, history.Query{})
			require.NoError(t, err)
			assert.Equal(t, 1, tot.Interactions)
			assert.Equal(t, 5, tot.Consultations.Started)
		})
	}
}

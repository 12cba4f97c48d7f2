package routing_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/routing"
)

func targetsOf(es []routing.Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Target.String())
	}
	return out
}

func TestTeamCommunicatorFindsTargetsWithAvailability(t *testing.T) {
	d := newDesk(t)
	d.agent(routing.Agent{ID: "owner", Name: "Olga Owner"})
	d.agent(routing.Agent{ID: "bea", Name: "Bea Billing", Skills: map[string]int{"billing": 3}, Groups: []string{"back-office"}})
	d.agent(routing.Agent{ID: "bill", Name: "Bill Smith", Skills: map[string]int{"billing": 1}, Capacity: routing.Capacity{interaction.MediumChat: 1}})
	require.NoError(t, d.dir.Put(routing.Agent{ID: "tom", Name: "Tom", Queues: []string{"billing-vip"}})) // logged out
	require.NoError(t, d.dir.Define(queue("escalations"), "Escalations"))
	assert.ErrorIs(t, d.dir.Define(named("x"), "X"), interaction.ErrBadInput)

	res, err := d.dir.Search(ctx, routing.Query{Text: "bil"})
	require.NoError(t, err)
	assert.Equal(t, []string{"agent:bea", "agent:bill", "skill:billing", "queue:billing-vip"}, targetsOf(res),
		"prefix matches of ID or of a word of the name, agents first")
	byTarget := map[string]routing.Entry{}
	for _, e := range res {
		byTarget[e.Target.String()] = e
	}
	assert.Equal(t, 2, byTarget["skill:billing"].Agents)
	assert.Equal(t, 2, byTarget["skill:billing"].Available)
	assert.Equal(t, 0, byTarget["queue:billing-vip"].Available, "tom is logged out")
	assert.Equal(t, routing.Ready, byTarget["agent:bea"].Presence)

	// bill takes a chat: at capacity, no longer available for chat.
	d.chat("bill")
	res, err = d.dir.Search(ctx, routing.Query{Text: "BILL", AvailableOnly: true})
	require.NoError(t, err)
	assert.Equal(t, []string{"agent:bea", "skill:billing"}, targetsOf(res),
		"case-insensitive; a word of a name counts (Bea Billing)")

	res, err = d.dir.Search(ctx, routing.Query{Text: "ffic", Kinds: []interaction.TargetKind{interaction.TargetGroup}})
	require.NoError(t, err)
	assert.Equal(t, []string{"group:back-office"}, targetsOf(res), "substring match, one kind")
	res, err = d.dir.Search(ctx, routing.Query{Text: "o"})
	require.NoError(t, err)
	assert.Equal(t, []string{"agent:owner", "group:back-office", "agent:tom", "queue:escalations"}, targetsOf(res),
		"substring matches come after word prefixes")

	res, err = d.dir.Search(ctx, routing.Query{Kinds: []interaction.TargetKind{interaction.TargetQueue}, Limit: 1})
	require.NoError(t, err)
	assert.Equal(t, []string{"queue:billing-vip"}, targetsOf(res))
	res, err = d.dir.Search(ctx, routing.Query{Text: "escal"})
	require.NoError(t, err)
	require.Len(t, res, 1)
	assert.Equal(t, "Escalations", res[0].Name, "a defined queue is found before any agent serves it")

	res, err = d.dir.Search(ctx, routing.Query{Text: "bea", Medium: interaction.MediumVoice})
	require.NoError(t, err)
	assert.Equal(t, 1, res[0].Available)
	_, err = d.dir.Search(ctx, routing.Query{Medium: 7})
	assert.ErrorIs(t, err, interaction.ErrBadInput)
}

func TestTeamCommunicatorListsTheViewersActiveConsultations(t *testing.T) {
	d := newDesk(t)
	for _, id := range []interaction.PartyID{"owner", "a2", "a3", "a4"} {
		d.agent(routing.Agent{ID: id})
	}
	id := d.chat("owner")
	mine, err := d.svc.Start(ctx, id, "owner", named("a2"), interaction.MediumChat)
	require.NoError(t, err)
	require.NoError(t, d.svc.Accept(ctx, id, "a2", mine))
	_, err = d.svc.Start(ctx, id, "owner", named("a3"), interaction.MediumChat) // pending: not active
	require.NoError(t, err)

	tc := routing.TeamCommunicator{Directory: d.dir, Consultations: d.svc}
	res, err := tc.Find(ctx, id, "owner", routing.Query{Text: "a"})
	require.NoError(t, err)
	require.Len(t, res.Consultations, 1, "R-C11: only active consultations can become a transfer or conference")
	assert.Equal(t, mine, res.Consultations[0].ID)
	assert.Equal(t, []string{"agent:a2", "agent:a3", "agent:a4"}, targetsOf(res.Targets))

	res, err = tc.Find(ctx, id, "a4", routing.Query{})
	require.NoError(t, err)
	assert.Empty(t, res.Consultations, "R-X3: another agent's consultations are not listed")
	res, err = tc.Find(ctx, "", "owner", routing.Query{})
	require.NoError(t, err)
	assert.Empty(t, res.Consultations)
	_, err = tc.Find(ctx, "missing", "owner", routing.Query{})
	assert.ErrorIs(t, err, interaction.ErrNotFound)
}

package consult_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/interaction"
)

// badInputDesk is a desk with one of everything a consultation command can
// aim at: leg1 active (agent1 with agent2), leg3 inviting agent3, r1 a
// pending conference request on leg1, r4 a pending direct transfer to
// agent4. Every command below runs straight through interaction.Service.Do.
func badInputDesk(t *testing.T) (*desk, interaction.LegID, interaction.LegID, interaction.RequestID, interaction.RequestID) {
	t.Helper()
	d := newDesk(t)
	leg1 := d.activeLeg("agent1", "agent2")
	leg3 := d.consult("agent1", "agent3")
	r1, err := d.svc.Conference(ctx, d.id, "agent1", leg1)
	require.NoError(t, err)
	r4, err := d.svc.TransferTo(ctx, d.id, "agent1", agent("agent4"))
	require.NoError(t, err)
	return d, leg1, leg3, r1, r4
}

var badIDs = map[string]interaction.LegID{
	"empty":            "",
	"NUL":              "leg\x00",
	"newline":          "leg\n1",
	"space":            "leg 1",
	"zero-width space": "leg\u200b1",
	"BOM":              "\ufeffleg",
	"bidi override":    "\u202eleg",
	"invisible only":   "\u200b\u2060",
	"oversized":        interaction.LegID(strings.Repeat("l", interaction.MaxIDBytes+1)),
	"invalid UTF-8":    "leg\xff",
}

var badTargets = map[string]interaction.Target{
	"unknown kind":        {Kind: interaction.TargetQueue + 1, ID: "billing"},
	"kind 255":            {Kind: 255, ID: "vip"},
	"empty group":         {Kind: interaction.TargetGroup},
	"invisible in skill":  {Kind: interaction.TargetSkill, ID: "bill\u200bing"},
	"newline in queue":    {Kind: interaction.TargetQueue, ID: "vip\n"},
	"NUL in agent":        {Kind: interaction.TargetAgent, ID: "agent4\x00"},
	"oversized group":     {Kind: interaction.TargetGroup, ID: strings.Repeat("g", interaction.MaxIDBytes+1)},
	"whitespace-only ID":  {Kind: interaction.TargetSkill, ID: " "},
	"invalid UTF-8 queue": {Kind: interaction.TargetQueue, ID: "q\xff"},
}

var badAgents = map[string]interaction.PartyID{
	"SYSTEM":           "SYSTEM",
	"System":           "System",
	"fullwidth":        "ｓｙｓｔｅｍ",
	"zero-width":       "sys\u200btem",
	"NUL":              "agent4\x00",
	"ESC":              "\x1bagent4",
	"C1":               "agent4\u0085",
	"BOM":              "\ufeffagent4",
	"whitespace only":  " \t",
	"space inside":     "agent 4",
	"oversized":        interaction.PartyID(strings.Repeat("a", interaction.MaxPartyIDBytes+1)),
	"invalid UTF-8":    "a\xffb",
	"mathematical":     "𝐬𝐲𝐬𝐭𝐞𝐦",
	"braille blank":    "\u2800",
	"variation select": "agent4\ufe0f",
}

type badCase struct {
	name  string
	actor interaction.PartyID
	cmd   interaction.Command
}

// R-X6: every kind of bad input to a consultation, transfer or conference
// command gets ErrBadInput with rule R-X6 however the rest of the command
// looks, and nothing is written: the version is unchanged and nobody is
// notified.
func TestRX6ConsultBadInput(t *testing.T) {
	d, leg1, leg3, r1, r4 := badInputDesk(t)
	var cases []badCase
	add := func(name string, actor interaction.PartyID, cmd interaction.Command) {
		cases = append(cases, badCase{name, actor, cmd})
	}
	for name, bad := range badIDs {
		add("start, leg "+name, "agent1", consult.Start{Leg: bad, Invitee: "agent5", Target: agent("agent5")})
		add("accept, leg "+name, "agent3", consult.Accept{Leg: bad})
		add("decline, leg "+name, "agent3", consult.Decline{Leg: bad})
		add("cancel, leg "+name, "agent1", consult.Cancel{Leg: bad})
		add("time out, leg "+name, interaction.System, consult.TimeOut{Leg: bad})
		add("end leg, leg "+name, "agent1", consult.EndConsultation{Leg: bad})
		add("say, leg "+name, "agent1", consult.Say{Leg: bad, Text: "hi"})
		add("transfer, leg "+name, "agent1", consult.Transfer{Leg: bad})
		add("conference, leg "+name, "agent1", consult.Conference{Leg: bad, Request: "r9"})
		add("conference, request "+name, "agent1", consult.Conference{Leg: leg1, Request: interaction.RequestID(bad)})
		add("direct, request "+name, "agent1", consult.Direct{Request: interaction.RequestID(bad), Kind: interaction.RequestConference, Invitee: "agent5", Target: agent("agent5")})
		add("accept request, request "+name, "agent4", consult.AcceptRequest{Request: interaction.RequestID(bad)})
		add("decline request, request "+name, "agent4", consult.DeclineRequest{Request: interaction.RequestID(bad)})
		add("cancel request, request "+name, "agent1", consult.CancelRequest{Request: interaction.RequestID(bad)})
		add("time out request, request "+name, interaction.System, consult.TimeOutRequest{Request: interaction.RequestID(bad)})
		add("accept offer, invitation "+name, "agent3", consult.AcceptOffer{Invitation: interaction.InvitationID(bad)})
		add("accept offer, rival "+name, "agent3", consult.AcceptOffer{Invitation: interaction.InvitationID(leg3), Rivals: []interaction.InvitationID{interaction.InvitationID(bad)}})
		add("reroute, invitation "+name, interaction.System, consult.Reroute{Invitation: interaction.InvitationID(bad), Reason: consult.RerouteTimedOut})
		add("reroute, next leg "+name, interaction.System, consult.Reroute{Invitation: interaction.InvitationID(leg3), Reason: consult.RerouteTimedOut,
			Next: []consult.Offer{{ID: interaction.InvitationID(bad), Invitee: "agent5"}}})
	}
	for name, bad := range badTargets {
		add("start, target "+name, "agent1", consult.Start{Leg: "leg9", Invitee: "agent5", Target: bad})
		add("direct, target "+name, "agent1", consult.Direct{Request: "r9", Kind: interaction.RequestTransfer, Invitee: "agent5", Target: bad})
	}
	for name, bad := range badAgents {
		add("start, agent "+name, "agent1", consult.Start{Leg: "leg9", Invitee: bad, Target: agent("agent5")})
		add("direct, agent "+name, "agent1", consult.Direct{Request: "r9", Kind: interaction.RequestConference, Invitee: bad, Target: agent("agent5")})
		add("reroute, next agent "+name, interaction.System, consult.Reroute{Invitation: interaction.InvitationID(leg3), Reason: consult.RerouteTimedOut,
			Next: []consult.Offer{{ID: "leg9", Invitee: bad}}})
	}
	for _, text := range []string{"\u200b", "\x00", "\ufeff\u200d", "\x1b\x7f", " \t\u3000\u2800"} {
		add("say, invisible-only text "+text, "agent1", consult.Say{Leg: leg1, Text: text})
	}
	// A command by a party the interaction does not know (or by nobody, or
	// by System, which is no party) is bad input, before any role check.
	for _, who := range []interaction.PartyID{"stranger", "", interaction.System, "SYSTEM", "agent1\u200b"} {
		for _, c := range []interaction.Command{
			consult.Start{Leg: "leg9", Invitee: "agent5", Target: agent("agent5")},
			consult.Accept{Leg: leg3}, consult.Decline{Leg: leg3}, consult.Cancel{Leg: leg3},
			consult.EndConsultation{Leg: leg1}, consult.Say{Leg: leg1, Text: "hi"}, consult.Transfer{Leg: leg1},
			consult.Conference{Leg: leg1, Request: "r9"},
			consult.Direct{Request: "r9", Kind: interaction.RequestTransfer, Invitee: "agent5", Target: agent("agent5")},
			consult.AcceptRequest{Request: r4}, consult.DeclineRequest{Request: r4}, consult.CancelRequest{Request: r1},
			consult.Remove{Member: "agent2"}, consult.AcceptOffer{Invitation: interaction.InvitationID(leg3)},
			consult.Accept{Leg: "no-such-leg"}, consult.AcceptRequest{Request: "no-such-request"},
		} {
			add("unknown party "+string(who), who, c)
		}
	}

	notes := d.chats.Notifier().(*interaction.MemoryNotifier).SubscribeAll()
	before := d.state().Version
	for _, c := range cases {
		_, err := d.chats.Do(ctx, d.id, c.actor, c.cmd)
		assert.ErrorIs(t, err, interaction.ErrBadInput, "R-X6: %s", c.name)
		var e *interaction.Error
		if assert.True(t, errors.As(err, &e), "R-X6: %s: an *interaction.Error", c.name) {
			assert.Equal(t, "R-X6", e.Rule, "%s: %v", c.name, err)
		}
		assert.Equal(t, before, d.state().Version, "R-X6: %s: nothing written", c.name)
	}
	assert.Empty(t, notes.Drain(), "R-X6: nobody notified")
}

// R-X6: the consultation Service's own calls by a party the interaction
// does not know are bad input too (they answered ErrNotPermitted before),
// and nothing is written.
func TestRX6ConsultServiceUnknownParty(t *testing.T) {
	d, leg1, leg3, r1, r4 := badInputDesk(t)
	before := d.state().Version
	for name, err := range map[string]error{
		"accept":          d.svc.Accept(ctx, d.id, "stranger", leg3),
		"decline":         d.svc.Decline(ctx, d.id, "stranger", leg3),
		"cancel":          d.svc.Cancel(ctx, d.id, "stranger", leg3),
		"say":             d.svc.Say(ctx, d.id, "stranger", leg1, "hi"),
		"transfer":        d.svc.Transfer(ctx, d.id, "stranger", leg1),
		"accept request":  d.svc.AcceptRequest(ctx, d.id, "stranger", r4),
		"decline request": d.svc.DeclineRequest(ctx, d.id, "stranger", r4),
		"cancel request":  d.svc.CancelRequest(ctx, d.id, "stranger", r1),
		"remove":          d.svc.Remove(ctx, d.id, "stranger", "agent2"),
		"say blank":       d.svc.Say(ctx, d.id, "agent1", leg1, "\u200b"),
	} {
		assert.ErrorIs(t, err, interaction.ErrBadInput, "R-X6: %s", name)
	}
	assert.Equal(t, before, d.state().Version, "R-X6: nothing written")
}

// R-X6: the commands only System gives keep their own check: anyone else
// is not permitted, known to the interaction or not; their input is still
// checked first.
func TestRX6SystemOnlyCommandsKeepTheirCheck(t *testing.T) {
	d, _, leg3, _, r4 := badInputDesk(t)
	before := d.state().Version
	for _, who := range []interaction.PartyID{"stranger", "agent1"} {
		for _, c := range []interaction.Command{
			consult.TimeOut{Leg: leg3}, consult.TimeOutRequest{Request: r4},
			consult.Reroute{Invitation: interaction.InvitationID(leg3), Reason: consult.RerouteTimedOut},
		} {
			_, err := d.chats.Do(ctx, d.id, who, c)
			assert.ErrorIs(t, err, interaction.ErrNotPermitted, "%s by %s", c, who)
		}
	}
	_, err := d.chats.Do(ctx, d.id, "stranger", consult.TimeOut{Leg: "leg\x00"})
	assert.ErrorIs(t, err, interaction.ErrBadInput, "R-X6: input first")
	assert.Equal(t, before, d.state().Version, "nothing written")
}

// R-X6: ordinary IDs and every known target kind still work.
func TestRX6ConsultGoodInputStillWorks(t *testing.T) {
	d := newDesk(t)
	for i, k := range []interaction.TargetKind{interaction.TargetAgent, interaction.TargetGroup, interaction.TargetSkill, interaction.TargetQueue} {
		a := interaction.PartyID([]string{"agent2", "agent3", "agent4", "agent5"}[i])
		leg := interaction.LegID("b7f8bf4e-5d1c-4c54-9a51-0e3f1c0b2a1" + string(rune('0'+i)))
		_, err := d.chats.Do(ctx, d.id, "agent1", consult.Start{Leg: leg, Invitee: a, Target: interaction.Target{Kind: k, ID: "tier-2.billing"}})
		require.NoError(t, err, "R-X6: target kind %v", k)
		_, err = d.chats.Do(ctx, d.id, a, consult.Accept{Leg: leg})
		require.NoError(t, err)
		_, err = d.chats.Do(ctx, d.id, a, consult.Say{Leg: leg, Text: "a\x00b \u200b kept"})
		require.NoError(t, err, "R-X6: controls inside visible text are kept")
	}
	st := d.state()
	assert.Equal(t, "a\x00b \u200b kept", st.Messages[len(st.Messages)-1].Text, "R-X6: nothing lost")
}

// R-X6: a time-out out of range (negative, over MaxTimeout) is bad input,
// whatever command carries it, and nothing is written.
func TestRX6TimeoutOutOfRangeIsBadInput(t *testing.T) {
	d, leg1, leg3, _, _ := badInputDesk(t)
	before := d.state().Version
	for _, tm := range []time.Duration{-time.Nanosecond, consult.MaxTimeout + 1, 1<<63 - 1} {
		for _, c := range []struct {
			actor interaction.PartyID
			cmd   interaction.Command
		}{
			{"agent1", consult.Start{Leg: "leg9", Invitee: "agent5", Target: agent("agent5"), Timeout: tm}},
			{"agent1", consult.Direct{Request: "r9", Kind: interaction.RequestTransfer, Invitee: "agent5", Target: agent("agent5"), Timeout: tm}},
			{"agent1", consult.Conference{Leg: leg1, Request: "r9", Timeout: tm}},
			{interaction.System, consult.Reroute{Invitation: interaction.InvitationID(leg3), Reason: consult.RerouteTimedOut, Timeout: tm}},
		} {
			_, err := d.chats.Do(ctx, d.id, c.actor, c.cmd)
			assert.ErrorIs(t, err, interaction.ErrBadInput, "%T with time-out %s", c.cmd, tm)
		}
	}
	assert.Equal(t, before, d.state().Version, "nothing written")
}

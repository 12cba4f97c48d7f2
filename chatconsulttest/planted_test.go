package chatconsulttest_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/internal/decisionhook"
)

// The privacy checks must be able to fail. Each test here puts one leak of
// issue 12 back, through the harness's hooks (WithDo, WithView,
// WithSubstitute, a Notifier of its own), runs CheckPrivacy on a fixed
// story that triggers it, and requires a failure report naming the rule
// and the leak; the same story passes on the library as it is.

// story parses script lines.
func story(t *testing.T, lines ...string) chatconsulttest.Story {
	t.Helper()
	var s chatconsulttest.Story
	for _, line := range lines {
		step, err := chatconsulttest.ParseStep(line)
		require.NoError(t, err, line)
		s.Steps = append(s.Steps, step)
	}
	return s
}

// consultedLines: the contact is with agent1, who consults agent2; each
// writes in the consultation.
var consultedLines = []string{
	`contact open "Hello, my invoice is wrong"`,
	`system assign agent1`,
	`agent1 join`,
	`agent1 consult leg1 agent2`,
	`agent2 accept leg1`,
	`agent1 say leg1 "secret: refund 50 EUR?"`,
	`agent2 say leg1 "secret: yes, approve it"`,
}

// requireLeak runs the story with and without the plant: the library as it
// is passes; the plant fails, at a step whose report names rule and holds
// every one of words.
func requireLeak(t *testing.T, s chatconsulttest.Story, rule string, plant []chatconsulttest.HarnessOption, words ...string) {
	t.Helper()
	ctx := context.Background()
	clean := chatconsulttest.CheckPrivacy(ctx, s)
	require.Nil(t, clean.Failure(), "the library as it is passes:\n%s", clean)
	require.Empty(t, clean.Stopped, "the story runs into no known bug")
	rep := chatconsulttest.CheckPrivacy(ctx, s, plant...)
	f := rep.Failure()
	require.NotNil(t, f, "the planted leak must be caught:\n%s", rep)
	var found []string
	for _, d := range f.Differences {
		if d.Rule == rule {
			found = append(found, d.String())
		}
	}
	for _, v := range f.Violations {
		if v.Rule == rule {
			found = append(found, v.String())
		}
	}
	require.NotEmpty(t, found, "the report names %s:\n%s", rule, rep)
	all := strings.Join(found, "\n")
	for _, w := range words {
		require.Contains(t, all, w, "the report says what leaked:\n%s", rep)
	}
	t.Logf("caught:\n%s", f)
}

// retryCache is a service's command path with an idempotency cache keyed
// by the command ID alone: whoever sends an ID again gets what the first
// sender was handed back.
func retryCache() chatconsulttest.DoFunc {
	seen := map[string][]interaction.Event{}
	return func(ctx context.Context, s *interaction.Service, id interaction.ID, actor interaction.PartyID, commandID string, cmd interaction.Command) ([]interaction.Event, error) {
		if evs, ok := seen[commandID]; ok && commandID != "" {
			return evs, nil
		}
		evs, err := s.DoCommand(ctx, id, actor, commandID, cmd)
		if err == nil && commandID != "" {
			seen[commandID] = evs
		}
		return evs, err
	}
}

// Leak 1 (R-X6): a command ID sent again by another party hands back the
// first party's events (here the contact gets agent1's consultation
// events). Only the same actor's same command is a retry; anyone else's
// reuse of the ID is a conflict that hands back nothing.
func TestPlantedLeak1_RetryHandsBackAnotherPartysEvents_RX6(t *testing.T) {
	requireLeak(t, story(t, consultedLines[:4]...), "R-X6",
		[]chatconsulttest.HarnessOption{chatconsulttest.WithDo(retryCache())},
		"retry of", "hands back")
}

// statusPage is a Notifier of a service's own: it passes everything on to
// a MemoryNotifier, and tells every party that ever was in the
// interaction of each change of its status, as a status page would, with
// the actor that caused it.
type statusPage struct {
	inner *interaction.MemoryNotifier
	feeds map[interaction.PartyID]*statusFeed
}

type statusFeed struct {
	sub    *interaction.Subscription
	status []interaction.Event
	told   map[string]bool // the status changes told already
}

func (f *statusFeed) Drain() []interaction.Event {
	out := f.sub.Drain()
	for _, o := range out {
		if o.Type == interaction.EventStatus {
			f.told[o.To] = true
		}
	}
	for _, ev := range f.status {
		if !f.told[ev.To] {
			f.told[ev.To] = true
			ev.Position = 0
			out = append(out, ev)
		}
	}
	f.status = nil
	return out
}

func (n *statusPage) Notify(ctx context.Context, st *interaction.State, events []interaction.Event) {
	n.inner.Notify(ctx, st, events)
	for _, ev := range events {
		if ev.Type != interaction.EventStatus {
			continue
		}
		for _, p := range st.Parties {
			if f := n.feeds[p.ID]; f != nil {
				f.status = append(f.status, ev)
			}
		}
	}
}

func (n *statusPage) Feed(p interaction.PartyID) chatconsulttest.Feed {
	f := &statusFeed{sub: n.inner.Subscribe(p), told: map[string]bool{}}
	n.feeds[p] = f
	return f
}

// Leak 2 (R-X6, R-C5): a status event names an actor its recipient may not
// see, and reaches a party that is not to be told: the invited target
// (who sees only itself) is told the contact ended the chat, and the
// contact, out of the chat, that agent1 (an internal ID) closed it. A party
// is told the status while it is in the chat, or when its own command
// changes it, and an actor only when it sees that party.
func TestPlantedLeak2_StatusEventWithAHiddenActor_RX6(t *testing.T) {
	page := &statusPage{inner: interaction.NewMemoryNotifier(), feeds: map[interaction.PartyID]*statusFeed{}}
	requireLeak(t, story(t,
		`contact open "Hello"`,
		`system assign agent1`,
		`agent1 join`,
		`agent1 consult leg1 agent2`,
		`contact leave`,
		`agent1 done`,
	), "R-X6", []chatconsulttest.HarnessOption{chatconsulttest.WithNotifier(page)},
		"events delivered to agent2", "status", `actor="contact"`)
}

// Leak 3 (R-C5): a former consultation target, asked to join the chat
// (a direct conference request), is shown to the contact as a member
// invited. The contact sees an agent only from the moment it is engaged
// with it; an invitation is never shown to it. Planted in a view layer
// that shows the contact every agent whose role is engaged.
func TestPlantedLeak3_FormerConsultantShownToTheContactAsInvited_RC5(t *testing.T) {
	byRole := func(s *interaction.State, viewer interaction.PartyID) (interaction.View, error) {
		v, err := s.ViewFor(viewer)
		if err != nil || v.Role != interaction.RoleContact {
			return v, err
		}
		shown := map[interaction.PartyID]bool{}
		for _, q := range v.Parties {
			shown[q.ID] = true
		}
		for _, q := range s.Parties {
			if q.Role == interaction.RoleMember && q.Membership == interaction.MemberInvited {
				v.Parties = append(v.Parties, interaction.PartyView{ID: interaction.ContactAgentID(len(v.Parties)), Name: "Agent", Role: q.Role, Membership: q.Membership})
			}
		}
		return v, err
	}
	requireLeak(t, story(t, append(consultedLines, `agent1 end leg1`, `agent1 direct req1 conference agent2`)...), "R-C5",
		[]chatconsulttest.HarnessOption{chatconsulttest.WithView(byRole)},
		"view of contact", "member invited")
}

// Leak 4 (R-X7): a supervisor reads a consultation its agent held while it
// was not engaged with the contact: super1 monitors agent2, in the chat
// through a conference, and reads the consultation agent2 was the target
// of before it joined (and, if the plant went on, the one held between
// its two engaged stays). A window onto an agent opens only on its engaged
// stays. Planted in a view layer that shows a supervisor every message of
// its agent's legs.
func TestPlantedLeak4_SupervisorReadsAConsultationHeldWhileNotEngaged_RX7(t *testing.T) {
	allLegs := func(s *interaction.State, viewer interaction.PartyID) (interaction.View, error) {
		v, err := s.ViewFor(viewer)
		p := s.Party(viewer)
		if err != nil || p.Supervises == "" {
			return v, err
		}
		have := map[string]bool{}
		for _, m := range v.Messages {
			have[m.Text] = true
		}
		for _, m := range s.Messages {
			if l := s.Leg(interaction.LegID(m.Scope.Invitation)); l != nil && (l.Owner == p.Supervises || l.Invitee == p.Supervises) && !have[m.Text] {
				m.Seq = uint32(len(v.Messages) + 1)
				m.Version = 0
				v.Messages = append(v.Messages, m)
			}
		}
		return v, err
	}
	requireLeak(t, story(t, append(consultedLines,
		`agent1 conference leg1 req1`,
		`agent2 accept-request req1`,
		`super1 monitor agent2`,
		`agent1 remove agent2`,
		`agent1 consult leg2 agent2`,
		`agent2 accept leg2`,
		`agent2 say leg2 "between stays: the contact owes us"`,
	)...), "R-X7", []chatconsulttest.HarnessOption{chatconsulttest.WithView(allLegs)},
		"view of super1", "[leg leg1]", "which it may not")
}

// streamNumbers is the library's view with the stream's own numbers: the
// transcript's message numbers and the stream's version.
func streamNumbers(s *interaction.State, viewer interaction.PartyID) (interaction.View, error) {
	v, err := s.ViewFor(viewer)
	if err != nil {
		return v, err
	}
	v.Version = s.Version
	j := 0
	for i := range v.Messages {
		for ; j < len(s.Messages); j++ {
			if s.Messages[j].Text == v.Messages[i].Text || s.Messages[j].Kind == interaction.KindNotice && v.Messages[i].Kind == interaction.KindNotice {
				v.Messages[i].Seq = s.Messages[j].Seq
				j++
				break
			}
		}
	}
	return v, err
}

// Leak 5 (R-C5): the contact's message numbers have gaps where the
// consultation messages are, and its version counts events it was not
// shown: the numbers tell it how much was said behind its back. A party's
// numbers are its own: 1, 2, … over what it sees. Planted in a view layer
// that shows the stream's numbers.
func TestPlantedLeak5_ContactNumbersCountHiddenItems_RC5(t *testing.T) {
	requireLeak(t, story(t, append(consultedLines, `agent1 post "Refunded."`)...), "R-C5",
		[]chatconsulttest.HarnessOption{chatconsulttest.WithView(streamNumbers)},
		"view of contact", "version")
}

// Leak 6 (R-X6): a party that left sees parties who came after it: here
// agent1, who transferred the chat away, sees agent3, whom the new owner
// consulted later. A party that left sees the others as they were when
// it left. Planted in a view layer that lists everyone as they are now.
func TestPlantedLeak6_DepartedPartySeesWhoCameAfter_RX6(t *testing.T) {
	everyone := func(s *interaction.State, viewer interaction.PartyID) (interaction.View, error) {
		v, err := s.ViewFor(viewer)
		if err != nil || v.Role != interaction.RoleNone {
			return v, err
		}
		v.Parties = v.Parties[:0]
		for _, q := range s.Parties {
			role := q.Role
			if q.ID == viewer {
				role = interaction.RoleNone
			}
			v.Parties = append(v.Parties, interaction.PartyView{ID: q.ID, Name: string(q.ID), Role: role, Membership: q.Membership})
		}
		return v, err
	}
	requireLeak(t, story(t, append(consultedLines,
		`agent1 transfer leg1`,
		`agent2 consult leg2 agent3`,
		`agent3 accept leg2`,
	)...), "R-X6", []chatconsulttest.HarnessOption{chatconsulttest.WithView(everyone)},
		"view of agent1", "agent3")
}

// Leak 7 (R-X6, R-X8): the contact sees an internal agent ID: a service
// whose ContactNames names agents by their IDs shows the contact "agent1"
// in its party list and its notices ("agent1 transferred the chat to
// agent2"). The contact never sees internal agent IDs. Planted in a view
// layer with such names.
func TestPlantedLeak7_ContactSeesAnInternalAgentID_RX6(t *testing.T) {
	byID := func(s *interaction.State, viewer interaction.PartyID) (interaction.View, error) {
		return s.ViewNamed(viewer, func(agent interaction.PartyID) string { return string(agent) })
	}
	requireLeak(t, story(t, append(consultedLines, `agent1 transfer leg1`)...), "R-X6",
		[]chatconsulttest.HarnessOption{chatconsulttest.WithView(byID)},
		"contact", "agent1")
}

// sloppy runs a supervision command with a policy of its own that lets
// anyone supervise: a command decorator that bypasses the service's
// SupervisionPolicy.
type sloppy struct{ inner interaction.Command }

func (c sloppy) Decide(d *interaction.Decision) error {
	decisionhook.SetSupervision(d, interaction.AnyoneMaySupervise)
	return c.inner.Decide(d)
}

// Leak 8 (R-X7): supervision without the policy's leave: the Stranger,
// whom the policy refuses, monitors the chat. Nobody supervises unless the
// embedding service's SupervisionPolicy allows it. Planted in a command
// decorator.
func TestPlantedLeak8_SupervisionWithoutPolicy_RX7(t *testing.T) {
	decorate := func(cmd interaction.Command) interaction.Command {
		switch cmd.(type) {
		case interaction.Monitor, interaction.Coach, interaction.BargeIn:
			return sloppy{cmd}
		}
		return cmd
	}
	requireLeak(t, story(t, consultedLines[:3]...), "R-X7",
		[]chatconsulttest.HarnessOption{chatconsulttest.WithSubstitute(decorate)},
		"probe by the Stranger: stranger monitor", "accepted")
}

// letSecondAcceptThrough is a command decorator with a bug in first accept
// wins (R-X1): the accept of an offer that another agent took first is
// answered as if it had succeeded (nothing is written, so no log check can
// see it). The second agent now believes it won too: two winners.
type letSecondAcceptThrough struct{ inner interaction.Command }

func (c letSecondAcceptThrough) Decide(d *interaction.Decision) error {
	err := c.inner.Decide(d)
	var e *interaction.Error
	if errors.As(err, &e) && e.Kind == interaction.ErrInvalidTransition && e.Rule == "R-X1" {
		return nil
	}
	return err
}

func twoWinners(cmd interaction.Command) interaction.Command {
	switch cmd.(type) {
	case consult.Accept, consult.AcceptRequest, consult.AcceptOffer:
		return letSecondAcceptThrough{cmd}
	}
	return cmd
}

// Planted bug (R-X1): first accept wins lets a second accept through. A
// consultation to the billing skill is offered to agent2 and agent3 at
// once; agent2 accepts first, and agent3's accept, which must be refused
// (ErrInvalidTransition, R-X1), is answered ok. The model catches it (its
// prediction: refused); the invariant checker cannot, since nothing was
// written. The same plant is found by the model-based property over random
// stories, with routed invitations and fan-out drawn by Gen{}.
func TestPlantedBug_FirstAcceptWinsLetsASecondAcceptThrough_RX1(t *testing.T) {
	ctx := context.Background()
	s := story(t, append(fanOutLines, `agent3 accept leg2`)...)
	clean := chatconsulttest.NewHarness().Run(ctx, s)
	require.Nil(t, clean.Failure(), "the library as it is passes:\n%s", clean)
	require.Equal(t, "refused: invalid transition: another agent accepted this invitation first (R-X1)", chatconsulttest.Result(clean.Steps[5].Err))

	rep := chatconsulttest.NewHarness(chatconsulttest.WithSubstitute(twoWinners)).Run(ctx, s)
	f := rep.Failure()
	require.NotNil(t, f, "the planted bug must be caught:\n%s", rep)
	require.Equal(t, len(s.Steps), len(rep.Steps), "caught at the second accept:\n%s", rep)
	require.Empty(t, f.Violations, "nothing was written: only the model can see it")
	require.Len(t, f.Differences, 1, "%s", rep)
	d := f.Differences[0]
	require.Equal(t, "R-X1", d.Rule, "%s", d)
	require.Equal(t, "outcome", d.Subject)
	require.Contains(t, d.Detail, "library: ok; model: refused with one of [invalid transition]")
	t.Logf("caught:\n%s", f)

	// From random stories: rapid finds it and shrinks it to a fan-out
	// and two accepts.
	withoutFailFiles(t)
	setFlag(t, "rapid.seed", "7") // a fixed search, so the test's time does not vary
	tb := &recordingTB{name: t.Name()}
	rapid.Check(tb, chatconsulttest.Property(chatconsulttest.Gen{MaxSteps: 30}, chatconsulttest.WithSubstitute(twoWinners)))
	require.True(t, tb.Failed(), "rapid must find the second winner")
	out := tb.log.String()
	const drawn = "[rapid] draw story:"
	require.Contains(t, out, drawn)
	last := out[strings.LastIndex(out, drawn)+len(drawn):]
	t.Logf("rapid's shrunk story:\n%s", last)
	assert.Contains(t, out, "R-X1")
	assert.Contains(t, last, "offers", "the shrunk story fans out")
}

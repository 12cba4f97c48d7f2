package consult_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/interaction"
)

var ctx = context.Background()

type desk struct {
	t     *testing.T
	clock *chatconsulttest.ManualClock
	store *interaction.MemoryStore
	chats *interaction.Service
	svc   *consult.Service
	id    interaction.ID
}

// newDesk opens a chat: the contact is with agent1 (the seed's starting point).
func newDesk(t *testing.T) *desk {
	t.Helper()
	d := &desk{t: t, clock: chatconsulttest.NewManualClock(), store: interaction.NewMemoryStore()}
	d.chats = interaction.NewService(interaction.WithStore(d.store), interaction.WithClock(d.clock),
		interaction.WithIDs(chatconsulttest.NewSequentialIDs("id-")))
	d.svc = consult.New(d.chats, consult.WithInviteTimeout(30*time.Second))
	id, err := d.chats.Open(ctx, "contact", "Hello, I need help with my invoice")
	require.NoError(t, err)
	require.NoError(t, d.chats.Assign(ctx, id, interaction.System, "agent1"))
	require.NoError(t, d.chats.Join(ctx, id, "agent1"))
	require.NoError(t, d.chats.Post(ctx, id, "agent1", "Hi, I am looking into it"))
	d.id = id
	return d
}

func agent(id string) interaction.Target {
	return interaction.Target{Kind: interaction.TargetAgent, ID: id}
}

func (d *desk) consult(owner, target string) interaction.LegID {
	d.t.Helper()
	leg, err := d.svc.Start(ctx, d.id, interaction.PartyID(owner), agent(target), interaction.MediumChat)
	require.NoError(d.t, err)
	return leg
}

func (d *desk) activeLeg(owner, target string) interaction.LegID {
	d.t.Helper()
	leg := d.consult(owner, target)
	require.NoError(d.t, d.svc.Accept(ctx, d.id, interaction.PartyID(target), leg))
	return leg
}

func (d *desk) view(p string) interaction.View {
	d.t.Helper()
	v, err := d.chats.View(ctx, d.id, interaction.PartyID(p))
	require.NoError(d.t, err)
	return v
}

func (d *desk) lines(p string) []string {
	var out []string
	for _, m := range d.view(p).Messages {
		out = append(out, string(m.Author)+": "+m.Text)
	}
	return out
}

func (d *desk) state() *interaction.State {
	st, err := d.chats.State(ctx, d.id)
	require.NoError(d.t, err)
	return st
}

func hasLine(lines []string, sub string) bool {
	for _, l := range lines {
		if strings.Contains(l, sub) {
			return true
		}
	}
	return false
}

func TestRC1OwnerStartsConsultationWithoutConference(t *testing.T) {
	d := newDesk(t)
	leg := d.consult("agent1", "agent2")
	st := d.state()
	assert.Equal(t, interaction.LegInviting, st.Leg(leg).State)
	assert.Equal(t, interaction.RoleConsultant, st.Party("agent2").Role)
	assert.Equal(t, 1, st.EngagedPresent(), "a consultation is not a conference")

	_, err := d.svc.Start(ctx, d.id, "contact", agent("agent3"), interaction.MediumChat)
	assert.ErrorIs(t, err, interaction.ErrNotPermitted, "R-X6: the contact cannot consult")
	_, err = d.svc.Start(ctx, d.id, "agent2", agent("agent3"), interaction.MediumChat)
	assert.ErrorIs(t, err, interaction.ErrNotPermitted, "a target is not an owner")
}

type fixedRouter map[string]interaction.PartyID

func (r fixedRouter) Pick(_ context.Context, t interaction.Target, _ interaction.Medium, _ []interaction.PartyID) (interaction.PartyID, error) {
	if a, ok := r[t.String()]; ok {
		return a, nil
	}
	return "", &interaction.Error{Kind: interaction.ErrNotFound, Op: "route"}
}

func TestRC2GroupSkillQueueTargetsResolveThroughRouter(t *testing.T) {
	d := newDesk(t)
	d.svc = consult.New(d.chats, consult.WithRouter(fixedRouter{"skill:billing": "agent7", "group:tier2": "agent8", "queue:vip": "agent9"}))
	for _, tc := range []struct {
		target interaction.Target
		agent  interaction.PartyID
	}{
		{interaction.Target{Kind: interaction.TargetSkill, ID: "billing"}, "agent7"},
		{interaction.Target{Kind: interaction.TargetGroup, ID: "tier2"}, "agent8"},
		{interaction.Target{Kind: interaction.TargetQueue, ID: "vip"}, "agent9"},
	} {
		leg, err := d.svc.Start(ctx, d.id, "agent1", tc.target, interaction.MediumChat)
		require.NoError(t, err)
		l := d.state().Leg(leg)
		assert.Equal(t, tc.agent, l.Invitee, "the one chosen agent is the one invited")
		assert.Equal(t, tc.target, l.Target)
	}
	_, err := d.svc.Start(ctx, d.id, "agent1", interaction.Target{Kind: interaction.TargetSkill, ID: "nobody"}, interaction.MediumChat)
	assert.ErrorIs(t, err, interaction.ErrNotFound)
}

func TestRC3AcceptAddsConsultationChatDeclineNotifiesOwner(t *testing.T) {
	d := newDesk(t)
	leg := d.consult("agent1", "agent2")
	assert.Empty(t, d.lines("agent2"), "an invited target does not read the chat before it accepts")
	require.NoError(t, d.svc.Accept(ctx, d.id, "agent2", leg))
	assert.Len(t, d.view("agent1").Legs, 1, "the owner has a consultation chat linked to the interaction")

	leg2 := d.consult("agent1", "agent3")
	require.NoError(t, d.svc.Decline(ctx, d.id, "agent3", leg2))
	assert.True(t, hasLine(d.lines("agent1"), "agent3 declined the consultation"), "R-C3: the owner gets a system message")
	assert.False(t, hasLine(d.lines("contact"), "declined"), "the notice is in the owner's view only")
	assert.False(t, hasLine(d.lines("agent2"), "declined"))
	assert.Equal(t, interaction.LegDeclined, d.state().Leg(leg2).State)
}

func TestRC4EitherSideEndsConsultationChatGoesOn(t *testing.T) {
	for _, ender := range []string{"agent1", "agent2"} {
		d := newDesk(t)
		leg := d.activeLeg("agent1", "agent2")
		require.NoError(t, d.svc.EndConsultation(ctx, d.id, interaction.PartyID(ender), leg))
		st := d.state()
		assert.Equal(t, interaction.LegEnded, st.Leg(leg).State)
		assert.Equal(t, interaction.StatusActive, st.Status, "ending a consultation does not end the chat")
		require.NoError(t, d.chats.Post(ctx, d.id, "agent1", "still here"))
	}
	d := newDesk(t)
	leg := d.activeLeg("agent1", "agent2")
	// The contact is not shown the leg: refused as if there were none (R-X6).
	assert.ErrorIs(t, d.svc.EndConsultation(ctx, d.id, "contact", leg), interaction.ErrNotFound)
}

func TestRC5ConsultationMessagesNeverReachTheContact(t *testing.T) {
	d := newDesk(t)
	leg := d.activeLeg("agent1", "agent2")
	require.NoError(t, d.svc.Say(ctx, d.id, "agent1", leg, "secret: is a refund ok?"))
	require.NoError(t, d.svc.Say(ctx, d.id, "agent2", leg, "secret: yes, up to 50"))
	assert.False(t, hasLine(d.lines("contact"), "secret"))
	assert.True(t, hasLine(d.lines("agent1"), "secret: yes"))
	assert.True(t, hasLine(d.lines("agent2"), "secret: is a refund"))
	// ... also after a conference (R-C5 holds forever).
	req, err := d.svc.Conference(ctx, d.id, "agent1", leg)
	require.NoError(t, err)
	require.NoError(t, d.svc.AcceptRequest(ctx, d.id, "agent2", req))
	assert.False(t, hasLine(d.lines("contact"), "secret"))
	_, err = d.chats.Do(ctx, d.id, "contact", consult.Say{Leg: leg, Text: "let me in"})
	assert.ErrorIs(t, err, interaction.ErrNotFound, "not shown the leg: refused as if there were none (R-X6)")
}

func TestRC6TargetReadsTheChatLive(t *testing.T) {
	d := newDesk(t)
	leg := d.activeLeg("agent1", "agent2")
	assert.True(t, hasLine(d.lines("agent2"), "contact: Hello, I need help"), "what was said before")
	require.NoError(t, d.chats.Post(ctx, d.id, "contact", "are you there?"))
	assert.True(t, hasLine(d.lines("agent2"), "contact: are you there?"), "what is said now")
	_, err := d.chats.Do(ctx, d.id, "agent2", interaction.Post{Text: "hi contact"})
	assert.ErrorIs(t, err, interaction.ErrNotPermitted, "the target reads along but does not talk to the contact")
	_ = leg
}

func TestRC7OwnerEndingTheSessionEndsTheConsultation(t *testing.T) {
	d := newDesk(t)
	active := d.activeLeg("agent1", "agent2")
	pending := d.consult("agent1", "agent3")
	require.NoError(t, d.chats.EndSession(ctx, d.id, "agent1"))
	st := d.state()
	assert.Equal(t, interaction.StatusEnded, st.Status)
	assert.Equal(t, interaction.LegEnded, st.Leg(active).State)
	assert.Equal(t, interaction.LegCancelled, st.Leg(pending).State)
	assert.Empty(t, st.ActiveLegs())
}

func TestRC8OwnerAndTargetMustBothMarkDone(t *testing.T) {
	d := newDesk(t)
	leg := d.activeLeg("agent1", "agent2")
	require.NoError(t, d.svc.EndConsultation(ctx, d.id, "agent2", leg))
	require.NoError(t, d.chats.EndSession(ctx, d.id, "agent1"))
	require.NoError(t, d.chats.MarkDone(ctx, d.id, "agent1"))
	assert.Equal(t, interaction.StatusEnded, d.state().Status, "the target has not marked done yet")
	require.NoError(t, d.chats.MarkDone(ctx, d.id, "agent2"))
	assert.Equal(t, interaction.StatusClosed, d.state().Status)

	// A target that declined never took part and is not waited for.
	d = newDesk(t)
	leg = d.consult("agent1", "agent3")
	require.NoError(t, d.svc.Decline(ctx, d.id, "agent3", leg))
	require.NoError(t, d.chats.EndSession(ctx, d.id, "agent1"))
	require.NoError(t, d.chats.MarkDone(ctx, d.id, "agent1"))
	assert.Equal(t, interaction.StatusClosed, d.state().Status)
}

func TestRC10IMAndVoiceConsultations(t *testing.T) {
	d := newDesk(t)
	im, err := d.svc.Start(ctx, d.id, "agent1", agent("agent2"), interaction.MediumIM)
	require.NoError(t, err)
	voice, err := d.svc.Start(ctx, d.id, "agent1", agent("agent3"), interaction.MediumVoice)
	require.NoError(t, err)
	require.NoError(t, d.svc.Accept(ctx, d.id, "agent2", im))
	require.NoError(t, d.svc.Accept(ctx, d.id, "agent3", voice))
	require.NoError(t, d.svc.Say(ctx, d.id, "agent1", im, "IM works"))
	err = d.svc.Say(ctx, d.id, "agent1", voice, "typed into a call")
	assert.ErrorIs(t, err, interaction.ErrNotPermitted, "a voice leg has no transcript")
	assert.Equal(t, interaction.MediumVoice, d.state().Leg(voice).Medium)
	// R-C11: a voice consultation turns into a transfer like any other.
	require.NoError(t, d.svc.Transfer(ctx, d.id, "agent1", voice))
	assert.Equal(t, interaction.PartyID("agent3"), d.state().Owner().ID)
}

func TestRX2OwnerCancelsPendingInvitation(t *testing.T) {
	d := newDesk(t)
	leg := d.consult("agent1", "agent2")
	assert.ErrorIs(t, d.svc.Cancel(ctx, d.id, "agent2", leg), interaction.ErrNotPermitted)
	require.NoError(t, d.svc.Cancel(ctx, d.id, "agent1", leg))
	assert.Equal(t, interaction.LegCancelled, d.state().Leg(leg).State)
	assert.ErrorIs(t, d.svc.Accept(ctx, d.id, "agent2", leg), interaction.ErrInvalidTransition)
	leg2 := d.activeLeg("agent1", "agent3")
	assert.ErrorIs(t, d.svc.Cancel(ctx, d.id, "agent1", leg2), interaction.ErrInvalidTransition, "an accepted leg is ended, not cancelled")
}

func TestInvitationTimesOutThroughTheClock(t *testing.T) {
	d := newDesk(t)
	leg := d.consult("agent1", "agent2")
	d.clock.Advance(29 * time.Second)
	assert.Equal(t, interaction.LegInviting, d.state().Leg(leg).State)
	d.clock.Advance(time.Second)
	assert.Equal(t, interaction.LegTimedOut, d.state().Leg(leg).State)
	assert.True(t, hasLine(d.lines("agent1"), "did not answer"))
	assert.ErrorIs(t, d.svc.Accept(ctx, d.id, "agent2", leg), interaction.ErrInvalidTransition)

	answered := d.activeLeg("agent1", "agent3")
	d.clock.Advance(time.Minute)
	assert.Equal(t, interaction.LegActive, d.state().Leg(answered).State, "an answered invitation does not time out")
}

func TestRX3SeveralLegsEachPrivateToItsTwoAgents(t *testing.T) {
	d := newDesk(t)
	a := d.activeLeg("agent1", "agent2")
	b := d.activeLeg("agent1", "agent3")
	require.NoError(t, d.svc.Say(ctx, d.id, "agent1", a, "to two"))
	require.NoError(t, d.svc.Say(ctx, d.id, "agent1", b, "to three"))
	assert.True(t, hasLine(d.lines("agent2"), "to two"))
	assert.False(t, hasLine(d.lines("agent2"), "to three"))
	assert.True(t, hasLine(d.lines("agent3"), "to three"))
	assert.False(t, hasLine(d.lines("agent3"), "to two"))
	legs, err := d.svc.ActiveConsultations(ctx, d.id)
	require.NoError(t, err)
	assert.Len(t, legs, 2)
	for _, p := range d.view("agent2").Parties {
		assert.NotEqual(t, interaction.PartyID("agent3"), p.ID, "agent2 does not even see agent3's leg")
	}
}

func TestRT1RT2TransferToActiveConsultationTarget(t *testing.T) {
	d := newDesk(t)
	leg := d.activeLeg("agent1", "agent2")
	other := d.activeLeg("agent1", "agent3")
	require.NoError(t, d.svc.Say(ctx, d.id, "agent2", leg, "private advice"))
	assert.ErrorIs(t, d.svc.Transfer(ctx, d.id, "agent2", leg), interaction.ErrNotPermitted, "the target cannot transfer a chat it does not own")
	require.NoError(t, d.svc.Transfer(ctx, d.id, "agent1", leg))
	st := d.state()
	assert.Equal(t, interaction.PartyID("agent2"), st.Owner().ID, "R-T2: the target becomes the owner")
	assert.Equal(t, interaction.MemberLeft, st.Party("agent1").Membership, "R-T2: the former owner leaves")
	assert.Equal(t, interaction.LegTransferred, st.Leg(leg).State)
	assert.Equal(t, interaction.LegEnded, st.Leg(other).State, "the former owner's other legs end")
	require.NoError(t, d.chats.Post(ctx, d.id, "agent2", "I take over"))
	assert.True(t, hasLine(d.lines("contact"), "agent-2: I take over"), "the contact's second agent, by its contact-facing ID")
	assert.False(t, hasLine(d.lines("contact"), "private advice"), "R-C5 after a transfer")
	assert.ErrorIs(t, d.chats.Post(ctx, d.id, "agent1", "still me?"), interaction.ErrNotPermitted)

	inviting := newDesk(t)
	l := inviting.consult("agent1", "agent2")
	assert.ErrorIs(t, inviting.svc.Transfer(ctx, inviting.id, "agent1", l), interaction.ErrInvalidTransition, "only an active consultation can be transferred to")
}

func TestRF1RF2RF3ConferenceWithConsultationTarget(t *testing.T) {
	d := newDesk(t)
	leg := d.activeLeg("agent1", "agent2")
	require.NoError(t, d.svc.Say(ctx, d.id, "agent1", leg, "psst"))
	req, err := d.svc.Conference(ctx, d.id, "agent1", leg)
	require.NoError(t, err)
	assert.Equal(t, interaction.RoleConsultant, d.state().Party("agent2").Role, "nothing changes before the target accepts")
	require.NoError(t, d.svc.AcceptRequest(ctx, d.id, "agent2", req))
	st := d.state()
	assert.Equal(t, interaction.RoleMember, st.Party("agent2").Role, "R-F2: the target is added to the chat")
	assert.Equal(t, interaction.LegConferenced, st.Leg(leg).State)
	assert.True(t, hasLine(d.lines("agent2"), "contact: Hello, I need help"), "R-F2: sees the complete transcript")
	require.NoError(t, d.chats.Post(ctx, d.id, "agent2", "Hello, I am the billing expert"))
	require.NoError(t, d.chats.Post(ctx, d.id, "contact", "Great"))
	for _, p := range []string{"agent1", "agent2", "contact"} {
		assert.True(t, hasLine(d.lines(p), "billing expert"), "R-F3: %s sees it", p)
		assert.True(t, hasLine(d.lines(p), "contact: Great"), "R-F3: %s sees it", p)
	}
	assert.False(t, hasLine(d.lines("contact"), "psst"), "R-C5")
}

func TestRF4DeclinedOrTimedOutConferenceChangesNothing(t *testing.T) {
	d := newDesk(t)
	leg := d.activeLeg("agent1", "agent2")
	req, err := d.svc.Conference(ctx, d.id, "agent1", leg)
	require.NoError(t, err)
	before := d.state()
	require.NoError(t, d.svc.DeclineRequest(ctx, d.id, "agent2", req))
	after := d.state()
	assert.Equal(t, interaction.RequestDeclined, after.Request(req).State)
	assert.Equal(t, partiesOf(before), partiesOf(after), "the chat goes on as before")
	assert.Equal(t, interaction.LegActive, after.Leg(leg).State)
	assert.True(t, hasLine(d.lines("agent1"), "declined the conference"))

	req2, err := d.svc.Conference(ctx, d.id, "agent1", leg)
	require.NoError(t, err)
	d.clock.Advance(31 * time.Second)
	st := d.state()
	assert.Equal(t, interaction.RequestTimedOut, st.Request(req2).State)
	assert.Equal(t, interaction.RoleConsultant, st.Party("agent2").Role)
	assert.Equal(t, interaction.LegActive, st.Leg(leg).State)
}

func TestRF5MemberCanBeRemoved(t *testing.T) {
	d := newDesk(t)
	leg := d.activeLeg("agent1", "agent2")
	req, _ := d.svc.Conference(ctx, d.id, "agent1", leg)
	require.NoError(t, d.svc.AcceptRequest(ctx, d.id, "agent2", req))
	assert.ErrorIs(t, d.svc.Remove(ctx, d.id, "agent2", "agent1"), interaction.ErrNotPermitted, "a member does not remove the owner")
	require.NoError(t, d.svc.Remove(ctx, d.id, "agent1", "agent2"))
	assert.Equal(t, interaction.MemberRemoved, d.state().Party("agent2").Membership)
	assert.ErrorIs(t, d.chats.Post(ctx, d.id, "agent2", "wait"), interaction.ErrNotPermitted, "R-X6: a removed member cannot post")
	require.NoError(t, d.chats.Post(ctx, d.id, "agent1", "back to us two"))
	assert.False(t, hasLine(d.lines("agent2"), "back to us two"), "a removed member reads nothing new")
	require.NoError(t, d.chats.MarkDone(ctx, d.id, "agent2"), "R-C8: a removed member marks done")
}

func TestRF6OwnerLeavesConferenceGoesOn(t *testing.T) {
	d := newDesk(t)
	leg := d.activeLeg("agent1", "agent2")
	req, _ := d.svc.Conference(ctx, d.id, "agent1", leg)
	require.NoError(t, d.svc.AcceptRequest(ctx, d.id, "agent2", req))
	require.NoError(t, d.chats.EndSession(ctx, d.id, "agent1"))
	st := d.state()
	assert.Equal(t, interaction.StatusActive, st.Status, "the session between the other agent and the contact goes on")
	assert.Equal(t, interaction.PartyID("agent2"), st.Owner().ID, "the earliest remaining member owns the chat")
	require.NoError(t, d.chats.Post(ctx, d.id, "contact", "still there?"))
	require.NoError(t, d.chats.Post(ctx, d.id, "agent2", "yes"))
	require.NoError(t, d.chats.MarkDone(ctx, d.id, "agent1"))
	require.NoError(t, d.chats.EndSession(ctx, d.id, "agent2"))
	require.NoError(t, d.chats.MarkDone(ctx, d.id, "agent2"))
	assert.Equal(t, interaction.StatusClosed, d.state().Status)
}

func TestRX4DirectTransferAndConference(t *testing.T) {
	d := newDesk(t)
	req, err := d.svc.ConferenceWith(ctx, d.id, "agent1", agent("agent5"))
	require.NoError(t, err)
	assert.Empty(t, d.lines("agent5"), "not in the chat before accepting")
	require.NoError(t, d.svc.AcceptRequest(ctx, d.id, "agent5", req))
	assert.Equal(t, interaction.RoleMember, d.state().Party("agent5").Role)
	assert.True(t, hasLine(d.lines("agent5"), "contact: Hello"))

	tr, err := d.svc.TransferTo(ctx, d.id, "agent1", agent("agent6"))
	require.NoError(t, err)
	require.NoError(t, d.svc.AcceptRequest(ctx, d.id, "agent6", tr))
	st := d.state()
	assert.Equal(t, interaction.PartyID("agent6"), st.Owner().ID)
	assert.Equal(t, interaction.MemberLeft, st.Party("agent1").Membership)
	assert.Equal(t, interaction.RoleMember, st.Party("agent5").Role, "the member stays a member")

	declined := newDesk(t)
	r, err := declined.svc.TransferTo(ctx, declined.id, "agent1", agent("agent6"))
	require.NoError(t, err)
	require.NoError(t, declined.svc.DeclineRequest(ctx, declined.id, "agent6", r))
	assert.Equal(t, interaction.PartyID("agent1"), declined.state().Owner().ID)
}

// R-C8: an agent who took part, left, and then declined a second
// invitation can still mark done, so the interaction closes.
func TestRC8AgentWhoTookPartThenDeclinedCanMarkDone(t *testing.T) {
	d := newDesk(t)
	leg := d.activeLeg("agent1", "agent2")
	require.NoError(t, d.svc.EndConsultation(ctx, d.id, "agent2", leg))
	again := d.consult("agent1", "agent2")
	require.NoError(t, d.svc.Decline(ctx, d.id, "agent2", again))
	require.NoError(t, d.chats.EndSession(ctx, d.id, "contact"))
	require.NoError(t, d.chats.MarkDone(ctx, d.id, "agent1"))
	assert.Equal(t, interaction.StatusEnded, d.state().Status)
	require.NoError(t, d.chats.MarkDone(ctx, d.id, "agent2"))
	assert.Equal(t, interaction.StatusClosed, d.state().Status)
}

// R-X3, R-X6: an agent lists only its own active consultations; a
// stranger lists nothing.
func TestRX3ActiveConsultationsForAViewer(t *testing.T) {
	d := newDesk(t)
	a := d.activeLeg("agent1", "agent2")
	d.activeLeg("agent1", "agent3")
	mine, err := d.svc.ActiveConsultationsFor(ctx, d.id, "agent2")
	require.NoError(t, err)
	require.Len(t, mine, 1)
	assert.Equal(t, a, mine[0].ID)
	owner, err := d.svc.ActiveConsultationsFor(ctx, d.id, "agent1")
	require.NoError(t, err)
	assert.Len(t, owner, 2)
	contact, err := d.svc.ActiveConsultationsFor(ctx, d.id, "contact")
	require.NoError(t, err)
	assert.Empty(t, contact, "the contact never learns of a consultation (R-C5)")
	_, err = d.svc.ActiveConsultationsFor(ctx, d.id, "stranger")
	assert.ErrorIs(t, err, interaction.ErrNotPermitted)
}

// partiesOf is who is in the chat and how: what a declined request must
// leave as it was (what each party was shown of it may grow).
func partiesOf(st *interaction.State) []string {
	var out []string
	for _, p := range st.Parties {
		out = append(out, fmt.Sprintf("%s %s %s took part %t engaged %t", p.ID, p.Role, p.Membership, p.TookPart, p.WasEngaged))
	}
	return out
}

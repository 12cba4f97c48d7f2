package signals_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/signals"
)

var ctx = context.Background()

const (
	delay    = 10 * time.Second
	interval = 30 * time.Second
)

// sink records reminders.
type sink struct {
	mu  sync.Mutex
	got []signals.Reminder
}

func (s *sink) Remind(_ context.Context, r signals.Reminder) {
	s.mu.Lock()
	s.got = append(s.got, r)
	s.mu.Unlock()
}

func (s *sink) take() []signals.Reminder {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.got
	s.got = nil
	return out
}

type desk struct {
	t       *testing.T
	clock   *chatconsulttest.ManualClock
	sink    *sink
	tracker *signals.Tracker
	chats   *interaction.Service
	consult *consult.Service
	id      interaction.ID
}

// newDesk: the contact wrote "Hello" and agent1 took the chat.
func newDesk(t *testing.T, opts ...signals.Option) *desk {
	t.Helper()
	d := &desk{t: t, clock: chatconsulttest.NewManualClock(), sink: &sink{}}
	d.tracker = signals.New(d.clock, d.sink, append([]signals.Option{signals.WithDelay(delay), signals.WithInterval(interval)}, opts...)...)
	t.Cleanup(d.tracker.Close)
	d.chats = interaction.NewService(interaction.WithSupervision(interaction.AnyoneMaySupervise), interaction.WithClock(d.clock), interaction.WithIDs(chatconsulttest.NewSequentialIDs("id-")),
		interaction.WithNotifier(interaction.Notifiers{interaction.NewMemoryNotifier(), d.tracker}))
	d.consult = consult.New(d.chats, consult.WithInviteTimeout(time.Hour))
	id, err := d.chats.Open(ctx, "contact", "Hello")
	require.NoError(t, err)
	require.NoError(t, d.chats.Assign(ctx, id, interaction.System, "agent1"))
	require.NoError(t, d.chats.Join(ctx, id, "agent1"))
	d.id = id
	return d
}

func (d *desk) post(who interaction.PartyID, text string) {
	d.t.Helper()
	require.NoError(d.t, d.chats.Post(ctx, d.id, who, text))
}

// leg opens an active consultation agent1 → agent2.
func (d *desk) leg() interaction.LegID {
	d.t.Helper()
	leg, err := d.consult.Start(ctx, d.id, "agent1", interaction.Target{Kind: interaction.TargetAgent, ID: "agent2"}, interaction.MediumChat)
	require.NoError(d.t, err)
	require.NoError(d.t, d.consult.Accept(ctx, d.id, "agent2", leg))
	return leg
}

func convs(p []signals.Pending) []signals.Conversation {
	var out []signals.Conversation
	for _, x := range p {
		out = append(out, x.Conversation)
	}
	return out
}

// R-C9: a chat whose last message came from the contact waits for the
// agent's answer; answering settles it.
func TestRC9PendingResponseFollowsTheLastMessage(t *testing.T) {
	d := newDesk(t)
	chat := signals.Chat(d.id)
	p := d.tracker.Pending("agent1")
	require.Len(t, p, 1, "the contact's first message waits for the agent who took the chat")
	assert.Equal(t, chat, p[0].Conversation)
	assert.True(t, chatconsulttest.Epoch.Equal(p[0].Since))

	d.post("agent1", "Hi, how can I help?")
	assert.Empty(t, d.tracker.Pending("agent1"), "answered")
	d.clock.Advance(time.Minute)
	d.post("contact", "My order is late")
	d.post("contact", "Order 42")
	p = d.tracker.Pending("agent1")
	require.Len(t, p, 1)
	assert.True(t, chatconsulttest.Epoch.Add(time.Minute).Equal(p[0].Since), "pending since the first unanswered message")
	assert.Empty(t, d.tracker.Pending("contact"), "the contact owes no answer")
}

// R-C9: no reminder while nothing waits for the agent's answer.
func TestRC9RemindersFireOnlyWhilePending(t *testing.T) {
	d := newDesk(t, signals.WithAnswerReminders(true))
	d.post("agent1", "Hi")
	d.clock.Advance(time.Hour)
	assert.Empty(t, d.sink.take(), "nothing pending, nothing reminded")
	assert.Zero(t, d.tracker.Armed())

	d.post("contact", "Are you there?")
	d.clock.Advance(delay)
	got := d.sink.take()
	require.Len(t, got, 1)
	assert.Equal(t, interaction.PartyID("agent1"), got[0].Agent)
	assert.Equal(t, signals.Chat(d.id), got[0].Conversation)
}

// R-C9: an unfocused chat with a pending response raises a reminder even
// with the agent's answer-reminder setting off; once per time it loses the
// focus.
func TestRC9UnfocusedChatRemindsWithTheSettingOff(t *testing.T) {
	d := newDesk(t)
	other := signals.Chat("another-chat")
	d.tracker.Focus("agent1", other)
	d.tracker.SetAnswerReminders("agent1", false)
	d.post("agent1", "Hi")
	d.clock.Advance(time.Minute)
	d.post("contact", "Hello?")

	d.clock.Advance(delay - time.Nanosecond)
	assert.Empty(t, d.sink.take())
	d.clock.Advance(time.Nanosecond)
	got := d.sink.take()
	require.Len(t, got, 1, "R-C9: whatever the setting says")
	r := got[0]
	assert.Equal(t, signals.Chat(d.id), r.Conversation)
	assert.False(t, r.Focused)
	assert.Equal(t, 1, r.Count)
	assert.True(t, chatconsulttest.Epoch.Add(time.Minute).Equal(r.Since))
	assert.True(t, chatconsulttest.Epoch.Add(time.Minute+delay).Equal(r.Due))

	d.clock.Advance(time.Hour)
	assert.Empty(t, d.sink.take(), "setting off: no repeat")

	d.tracker.Focus("agent1", signals.Chat(d.id))
	d.clock.Advance(time.Hour)
	assert.Empty(t, d.sink.take(), "setting off: the focused chat is not reminded")
	d.tracker.Focus("agent1", other)
	d.clock.Advance(delay)
	got = d.sink.take()
	require.Len(t, got, 1, "losing the focus again reminds again")
	assert.Equal(t, 2, got[0].Count)
}

// R-C9: with the setting on, reminders repeat every interval, for the
// focused chat too.
func TestRC9SettingOnRepeats(t *testing.T) {
	d := newDesk(t)
	d.tracker.Focus("agent1", signals.Chat(d.id))
	d.tracker.SetAnswerReminders("agent1", true)
	d.clock.Advance(delay + 3*interval)
	got := d.sink.take()
	require.Len(t, got, 4)
	for i, r := range got {
		assert.Equal(t, i+1, r.Count)
		assert.True(t, r.Focused, "the setting governs the focused chat")
		assert.True(t, chatconsulttest.Epoch.Add(delay+time.Duration(i)*interval).Equal(r.Due), "due %v", r.Due)
	}
	d.tracker.SetAnswerReminders("agent1", false)
	d.clock.Advance(time.Hour)
	assert.Empty(t, d.sink.take(), "setting off: the focused chat goes quiet")
}

// R-C9: answering stops the reminders.
func TestRC9AnswerStopsReminders(t *testing.T) {
	d := newDesk(t, signals.WithAnswerReminders(true))
	d.clock.Advance(delay + interval)
	require.Len(t, d.sink.take(), 2)
	d.post("agent1", "Sorry, I am here")
	d.clock.Advance(time.Hour)
	assert.Empty(t, d.sink.take())
	assert.Zero(t, d.tracker.Armed())
}

// R-C9: a consultation leg counts on its own: a question from the target
// waits for the owner's answer there, and the other way round.
func TestRC9ConsultationLegCountsOnItsOwn(t *testing.T) {
	d := newDesk(t)
	d.post("agent1", "One moment please")
	leg := d.leg()
	inLeg := signals.Consultation(d.id, leg)
	d.tracker.Focus("agent1", signals.Chat(d.id))
	d.tracker.Focus("agent2", inLeg)

	require.NoError(t, d.consult.Say(ctx, d.id, "agent1", leg, "May I refund?"))
	assert.Equal(t, []signals.Conversation{inLeg}, convs(d.tracker.Pending("agent2")))
	assert.Empty(t, d.tracker.Pending("agent1"))

	require.NoError(t, d.consult.Say(ctx, d.id, "agent2", leg, "Which order?"))
	assert.Empty(t, d.tracker.Pending("agent2"))
	assert.Equal(t, []signals.Conversation{inLeg}, convs(d.tracker.Pending("agent1")))
	d.clock.Advance(delay)
	got := d.sink.take()
	require.Len(t, got, 1, "the leg is not the owner's focused conversation")
	assert.Equal(t, inLeg, got[0].Conversation)
	assert.Equal(t, interaction.PartyID("agent1"), got[0].Agent)

	// The contact writing makes the chat pending as well, separately.
	d.post("contact", "Still there?")
	assert.ElementsMatch(t, []signals.Conversation{inLeg, signals.Chat(d.id)}, convs(d.tracker.Pending("agent1")))
	assert.Empty(t, d.tracker.Pending("agent2"), "a consultation target owes the contact nothing")

	// Ending the leg settles it; the chat stays pending.
	require.NoError(t, d.consult.EndConsultation(ctx, d.id, "agent2", leg))
	assert.Equal(t, []signals.Conversation{signals.Chat(d.id)}, convs(d.tracker.Pending("agent1")))
}

// R-C9, R-F3: in a conference the engaged agents answer the contact as one;
// a member's answer settles it for all.
func TestRC9ConferenceAnswerSettlesForAll(t *testing.T) {
	d := newDesk(t)
	leg := d.leg()
	req, err := d.consult.Conference(ctx, d.id, "agent1", leg)
	require.NoError(t, err)
	require.NoError(t, d.consult.AcceptRequest(ctx, d.id, "agent2", req))
	for _, a := range []interaction.PartyID{"agent1", "agent2"} {
		assert.Equal(t, []signals.Conversation{signals.Chat(d.id)}, convs(d.tracker.Pending(a)), a)
	}
	d.post("agent2", "Hello, I am the specialist")
	assert.Empty(t, d.tracker.Pending("agent1"))
	assert.Empty(t, d.tracker.Pending("agent2"))
	d.post("agent1", "She will help you")
	assert.Empty(t, d.tracker.Pending("agent2"), "a colleague's message in the chat asks nothing")
}

// R-C9: leaving and the end of the session stop the reminders.
func TestRC9LeavingAndEndingStopReminders(t *testing.T) {
	d := newDesk(t, signals.WithAnswerReminders(true))
	leg := d.leg()
	require.NoError(t, d.consult.Say(ctx, d.id, "agent1", leg, "Can you take over?"))
	require.NotEmpty(t, d.tracker.Pending("agent1"))
	require.NotEmpty(t, d.tracker.Pending("agent2"))

	require.NoError(t, d.consult.Transfer(ctx, d.id, "agent1", leg))
	assert.Empty(t, d.tracker.Pending("agent1"), "R-T2: the former owner left")
	assert.Equal(t, []signals.Conversation{signals.Chat(d.id)}, convs(d.tracker.Pending("agent2")),
		"the new owner owes the contact its answer; the leg is over")

	require.NoError(t, d.chats.EndSession(ctx, d.id, "contact"))
	assert.Empty(t, d.tracker.Pending("agent2"), "the session ended")
	assert.Zero(t, d.tracker.Armed())
	d.clock.Advance(time.Hour)
	assert.Empty(t, d.sink.take())
}

// R-C9, R-X7: a monitoring or coaching supervisor owes no answer, coaching
// asks nothing; one that barged in is a member and does.
func TestRC9Supervisors(t *testing.T) {
	d := newDesk(t)
	require.NoError(t, d.chats.Monitor(ctx, d.id, "sup", "agent1"))
	require.NoError(t, d.chats.Coach(ctx, d.id, "sup2", "agent1", "Answer the customer"))
	d.post("contact", "Hello??")
	assert.Empty(t, d.tracker.Pending("sup"))
	assert.Empty(t, d.tracker.Pending("sup2"))
	d.post("agent1", "Sorry")
	assert.Empty(t, d.tracker.Pending("agent1"))
	require.NoError(t, d.chats.Coach(ctx, d.id, "sup2", "agent1", "Better"))
	assert.Empty(t, d.tracker.Pending("agent1"), "coaching asks nothing")

	require.NoError(t, d.chats.BargeIn(ctx, d.id, "sup"))
	d.post("contact", "Who is that?")
	assert.Equal(t, []signals.Conversation{signals.Chat(d.id)}, convs(d.tracker.Pending("sup")))
}

// R-C9: a tracker started late learns the pending responses from the state.
func TestRC9SyncFromState(t *testing.T) {
	d := newDesk(t)
	st, err := d.chats.State(ctx, d.id)
	require.NoError(t, err)
	s2 := &sink{}
	late := signals.New(d.clock, s2, signals.WithDelay(delay))
	defer late.Close()
	late.Sync(st)
	assert.Equal(t, []signals.Conversation{signals.Chat(d.id)}, convs(late.Pending("agent1")))
	d.clock.Advance(delay)
	assert.Len(t, s2.take(), 1)
}

// R-C9: a desk that logs out is forgotten: nothing in focus, default setting.
func TestRC9Forget(t *testing.T) {
	d := newDesk(t)
	d.tracker.Focus("agent1", signals.Chat(d.id))
	d.clock.Advance(time.Hour)
	assert.Empty(t, d.sink.take(), "focused, setting off")
	d.tracker.Forget("agent1")
	d.clock.Advance(delay)
	assert.Len(t, d.sink.take(), 1, "no longer in focus")
}

// R-C9: reminders stop after Close.
func TestClose(t *testing.T) {
	d := newDesk(t, signals.WithAnswerReminders(true))
	d.tracker.Close()
	d.clock.Advance(time.Hour)
	assert.Empty(t, d.sink.take())
}

// The tracker is used from many interactions at once, from desks changing
// focus and settings, and from the clock firing; what it ends up knowing
// is what the states say.
func TestConcurrentUse(t *testing.T) {
	clock := chatconsulttest.NewManualClock()
	var tracker *signals.Tracker
	// The sink calls back into the tracker, as a desk would.
	tracker = signals.New(clock, signals.SinkFunc(func(_ context.Context, r signals.Reminder) { tracker.Pending(r.Agent) }),
		signals.WithDelay(delay), signals.WithInterval(interval))
	defer tracker.Close()
	chats := interaction.NewService(interaction.WithSupervision(interaction.AnyoneMaySupervise), interaction.WithClock(clock), interaction.WithIDs(chatconsulttest.NewSequentialIDs("id-")),
		interaction.WithNotifier(tracker))
	const desks = 8
	ids := make([]interaction.ID, desks)
	var wg sync.WaitGroup
	for i := range desks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			agent := interaction.PartyID(fmt.Sprint("agent", i))
			contact := interaction.PartyID(fmt.Sprint("contact", i))
			id, err := chats.Open(ctx, contact, "hello")
			assert.NoError(t, err)
			assert.NoError(t, chats.Assign(ctx, id, interaction.System, agent))
			assert.NoError(t, chats.Join(ctx, id, agent))
			ids[i] = id
			for k := range 50 {
				who := contact
				if k%3 == 0 {
					who = agent
				}
				assert.NoError(t, chats.Post(ctx, id, who, fmt.Sprint("m", k)))
				tracker.Focus(agent, signals.Chat(interaction.ID(fmt.Sprint("id-", k%desks))))
				tracker.SetAnswerReminders(agent, k%2 == 0)
			}
		}()
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 200 {
			clock.Advance(time.Second)
		}
	}()
	wg.Wait()
	<-done
	for i, id := range ids {
		st, err := chats.State(ctx, id)
		require.NoError(t, err)
		fresh := signals.New(clock, &sink{})
		fresh.Sync(st)
		agent := interaction.PartyID(fmt.Sprint("agent", i))
		assert.Equal(t, fresh.Pending(agent), tracker.Pending(agent), agent)
		fresh.Close()
	}
}

// R-C9 across instances: a tracker that hears the instance's own commands
// and again every instance's through a relay (several instances on one
// Store) applies each event once: the contact's message heard a second
// time, after the agent answered it, raises nothing again.
func TestRC9EventsHeardTwiceApplyOnce(t *testing.T) {
	d := newDesk(t)
	d.post("agent1", "Hi, how can I help?")
	d.post("contact", "My order is late")
	st, err := d.chats.State(ctx, d.id)
	require.NoError(t, err)
	events, err := d.chats.Store().Load(ctx, d.id)
	require.NoError(t, err)
	late := events[len(events)-1] // the contact's question, as a relay delivers it
	require.Len(t, d.tracker.Pending("agent1"), 1)

	d.post("agent1", "Checking")
	require.Empty(t, d.tracker.Pending("agent1"), "answered")
	d.tracker.Notify(ctx, st, []interaction.Event{late})
	assert.Empty(t, d.tracker.Pending("agent1"), "the question heard again is not pending again")

	// A restarted tracker that recovered the interaction (Sync) ignores
	// the relay's replay of what the state already holds.
	fresh := signals.New(d.clock, d.sink)
	t.Cleanup(fresh.Close)
	now, err := d.chats.State(ctx, d.id)
	require.NoError(t, err)
	fresh.Sync(now)
	require.Empty(t, fresh.Pending("agent1"))
	fresh.Notify(ctx, st, []interaction.Event{late})
	assert.Empty(t, fresh.Pending("agent1"), "replayed from before the recovery: already in the state")
}

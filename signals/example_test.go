package signals_test

import (
	"context"
	"fmt"
	"time"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/signals"
)

// signalsDemo is the set-up the examples share: a Tracker among the
// Service's notifiers, reminders printed by a SinkFunc, a manual clock and
// sequential IDs so that the output is the same every time.
type signalsDemo struct {
	clock   *chatconsulttest.ManualClock
	tracker *signals.Tracker
	chats   *interaction.Service
	desk    *consult.Service
}

func newSignalsDemo(opts ...signals.Option) *signalsDemo {
	s := &signalsDemo{clock: chatconsulttest.NewManualClock()}
	s.tracker = signals.New(s.clock, signals.SinkFunc(printReminder), opts...)
	s.chats = interaction.NewService(
		interaction.WithClock(s.clock),
		interaction.WithIDs(chatconsulttest.NewSequentialIDs("id-")),
		interaction.WithNotifier(interaction.Notifiers{interaction.NewMemoryNotifier(), s.tracker}),
	)
	s.desk = consult.New(s.chats)
	return s
}

// chat opens a chat in which the contact wrote first and agent1 took it.
func (s *signalsDemo) chat() interaction.ID {
	ctx := context.Background()
	id, err := s.chats.Open(ctx, "contact", "Hello, my invoice is wrong")
	if err != nil {
		panic(err)
	}
	if err := s.chats.Assign(ctx, id, interaction.System, "agent1"); err != nil {
		panic(err)
	}
	if err := s.chats.Join(ctx, id, "agent1"); err != nil {
		panic(err)
	}
	return id
}

func printReminder(_ context.Context, r signals.Reminder) {
	where := "chat"
	if r.Leg != "" {
		where = "consultation " + string(r.Leg)
	}
	fmt.Printf("%s remind %s: %s of %s waits since %s (focused %t)\n",
		r.Due.Format("15:04:05"), r.Agent, where, r.Interaction, r.Since.Format("15:04:05"), r.Focused)
}

func printPending(t *signals.Tracker, agent interaction.PartyID) {
	p := t.Pending(agent)
	fmt.Printf("%s owes %d answers\n", agent, len(p))
	for _, x := range p {
		fmt.Printf("  %s leg %q since %s\n", x.Interaction, x.Leg, x.Since.Format("15:04:05"))
	}
}

// A Tracker follows the events as a Notifier and reminds through a Sink.
// The chat waits for agent1's answer and is not in focus: a reminder after
// the Delay, whatever the answer-reminder setting says (R-C9).
func ExampleNew() {
	clock := chatconsulttest.NewManualClock()
	tracker := signals.New(clock, signals.SinkFunc(printReminder), signals.WithDelay(10*time.Second))
	defer tracker.Close()
	chats := interaction.NewService(
		interaction.WithClock(clock),
		interaction.WithIDs(chatconsulttest.NewSequentialIDs("id-")),
		interaction.WithNotifier(interaction.Notifiers{interaction.NewMemoryNotifier(), tracker}),
	)
	ctx := context.Background()
	id, _ := chats.Open(ctx, "contact", "Hello?")
	_ = chats.Assign(ctx, id, interaction.System, "agent1")
	_ = chats.Join(ctx, id, "agent1")

	clock.Advance(time.Minute)
	// Output: 09:00:10 remind agent1: chat of id-1 waits since 09:00:00 (focused false)
}

// Pending lists what waits for the agent's answer; answering settles it.
func ExampleTracker_Pending() {
	ctx := context.Background()
	s := newSignalsDemo()
	defer s.tracker.Close()
	id := s.chat()

	printPending(s.tracker, "agent1")
	_ = s.chats.Post(ctx, id, "agent1", "Let me check")
	printPending(s.tracker, "agent1")
	// Output:
	// agent1 owes 1 answers
	//   id-1 leg "" since 09:00:00
	// agent1 owes 0 answers
}

// With the setting off, the focused chat is not reminded of; when the
// agent moves its focus away, the pending response is reminded of again
// (R-C9).
func ExampleTracker_Focus() {
	s := newSignalsDemo()
	defer s.tracker.Close()
	id := s.chat()

	s.tracker.Focus("agent1", signals.Chat(id))
	s.clock.Advance(time.Minute)
	fmt.Println("focused: nothing in a minute")
	s.tracker.Focus("agent1", signals.Chat("another-chat"))
	s.clock.Advance(time.Minute)
	// Output:
	// focused: nothing in a minute
	// 09:01:10 remind agent1: chat of id-1 waits since 09:00:00 (focused false)
}

// With the answer-reminder setting on, reminders repeat every Interval,
// for the focused chat too.
func ExampleTracker_SetAnswerReminders() {
	s := newSignalsDemo(signals.WithDelay(10*time.Second), signals.WithInterval(30*time.Second))
	defer s.tracker.Close()
	id := s.chat()

	s.tracker.Focus("agent1", signals.Chat(id))
	s.tracker.SetAnswerReminders("agent1", true)
	s.clock.Advance(75 * time.Second)
	// Output:
	// 09:00:10 remind agent1: chat of id-1 waits since 09:00:00 (focused true)
	// 09:00:40 remind agent1: chat of id-1 waits since 09:00:00 (focused true)
	// 09:01:10 remind agent1: chat of id-1 waits since 09:00:00 (focused true)
}

// A consultation leg is a conversation of its own: the target's question
// waits for the owner's answer there.
func ExampleConsultation() {
	ctx := context.Background()
	s := newSignalsDemo()
	defer s.tracker.Close()
	id := s.chat()
	_ = s.chats.Post(ctx, id, "agent1", "One moment please")
	leg, _ := s.desk.Start(ctx, id, "agent1", interaction.Target{Kind: interaction.TargetAgent, ID: "agent2"}, interaction.MediumChat)
	_ = s.desk.Accept(ctx, id, "agent2", leg)
	s.tracker.Focus("agent1", signals.Chat(id))
	s.tracker.Focus("agent2", signals.Consultation(id, leg))

	_ = s.desk.Say(ctx, id, "agent2", leg, "Which order?")
	printPending(s.tracker, "agent1")
	printPending(s.tracker, "agent2")
	s.clock.Advance(time.Minute)
	// Output:
	// agent1 owes 1 answers
	//   id-1 leg "id-6" since 09:00:00
	// agent2 owes 0 answers
	// 09:00:10 remind agent1: consultation id-6 of id-1 waits since 09:00:00 (focused false)
}

// Sync catches a tracker started late (after a restart) up with an
// interaction's state, before its next event arrives.
func ExampleTracker_Sync() {
	ctx := context.Background()
	s := newSignalsDemo()
	defer s.tracker.Close()
	id := s.chat()

	late := signals.New(s.clock, signals.SinkFunc(printReminder))
	defer late.Close()
	printPending(late, "agent1")
	st, _ := s.chats.State(ctx, id)
	late.Sync(st)
	printPending(late, "agent1")
	// Output:
	// agent1 owes 0 answers
	// agent1 owes 1 answers
	//   id-1 leg "" since 09:00:00
}

// A Sink receives every reminder: a push to the desk, a metric, a bus.
// Here agent1's setting is on by default, so the reminders repeat.
func ExampleSinkFunc() {
	ctx := context.Background()
	clock := chatconsulttest.NewManualClock()
	var count int
	sink := signals.SinkFunc(func(_ context.Context, r signals.Reminder) {
		count++
		fmt.Println("reminder", r.Count, "for", r.Agent, "at", r.Due.Format("15:04:05"))
	})
	tracker := signals.New(clock, sink, signals.WithAnswerReminders(true), signals.WithInterval(time.Minute))
	defer tracker.Close()
	chats := interaction.NewService(interaction.WithClock(clock), interaction.WithNotifier(tracker))
	id, _ := chats.Open(ctx, "contact", "Hello?")
	_ = chats.Assign(ctx, id, interaction.System, "agent1")
	_ = chats.Join(ctx, id, "agent1")

	clock.Advance(2 * time.Minute)
	fmt.Println(count, "reminders")
	// Output:
	// reminder 1 for agent1 at 09:00:10
	// reminder 2 for agent1 at 09:01:10
	// 2 reminders
}

package interaction_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/interaction"
)

// newService returns a Service on the in-memory Store and Notifier with a
// manual clock and sequential IDs, so that the examples print the same
// thing every time. Without options NewService uses the system clock and
// random UUIDs.
func newService(opts ...interaction.Option) *interaction.Service {
	opts = append([]interaction.Option{
		interaction.WithClock(chatconsulttest.NewManualClock()),
		interaction.WithIDs(chatconsulttest.NewSequentialIDs("chat-")),
		// Who may supervise whom is the service's call: here the team lead
		// "supervisor" may supervise every agent; a real service asks its
		// directory whether sup leads agent's team.
		interaction.WithSupervision(interaction.SupervisionPolicyFunc(
			func(_ interaction.ID, sup, _ interaction.PartyID) bool { return sup == "supervisor" })),
	}, opts...)
	return interaction.NewService(opts...)
}

// activeChat opens a chat for "contact" that "agent1" has taken.
func activeChat(ctx context.Context, chats *interaction.Service) interaction.ID {
	id, err := chats.Open(ctx, "contact", "Hello, my invoice is wrong")
	if err != nil {
		panic(err)
	}
	if err := chats.Assign(ctx, id, interaction.System, "agent1"); err != nil {
		panic(err)
	}
	if err := chats.Join(ctx, id, "agent1"); err != nil {
		panic(err)
	}
	return id
}

// printView prints what party sees of the interaction.
func printView(ctx context.Context, chats *interaction.Service, id interaction.ID, party interaction.PartyID) {
	v, err := chats.View(ctx, id, party)
	if err != nil {
		fmt.Println(party, "cannot see it:", err)
		return
	}
	fmt.Printf("%s (%s, %s; chat %s):\n", party, v.Role, v.Membership, v.Status)
	for _, m := range v.Messages {
		fmt.Printf("  %s: %s\n", m.Author, m.Text)
	}
}

func ExampleNewService() {
	ctx := context.Background()
	chats := interaction.NewService(
		interaction.WithClock(chatconsulttest.NewManualClock()),
		interaction.WithIDs(chatconsulttest.NewSequentialIDs("chat-")),
	)
	id, err := chats.Open(ctx, "contact", "Hello")
	if err != nil {
		fmt.Println(err)
		return
	}
	st, _ := chats.State(ctx, id)
	fmt.Println(id, st.Status, st.Opened.Format("15:04"))
	// Output: chat-1 waiting 09:00
}

func ExampleService_Open() {
	ctx := context.Background()
	chats := newService()
	id, err := chats.Open(ctx, "contact", "Hello, my invoice is wrong")
	if err != nil {
		fmt.Println(err)
		return
	}
	printView(ctx, chats, id, "contact")
	// Output:
	// contact (contact, joined; chat waiting):
	//   contact: Hello, my invoice is wrong
}

func ExampleService_Assign() {
	ctx := context.Background()
	chats := newService()
	id, _ := chats.Open(ctx, "contact", "Hello")
	// Routing offers the waiting chat to an agent, acting as System.
	if err := chats.Assign(ctx, id, interaction.System, "agent1"); err != nil {
		fmt.Println(err)
		return
	}
	v, _ := chats.View(ctx, id, "agent1")
	fmt.Println("agent1 is", v.Membership, "as", v.Role, "and reads", len(v.Messages), "messages")
	// Only routing assigns (R-X6).
	err := chats.Assign(ctx, id, "contact", "agent2")
	fmt.Println(errors.Is(err, interaction.ErrNotPermitted))
	// Output:
	// agent1 is invited as owner and reads 0 messages
	// true
}

func ExampleService_Join() {
	ctx := context.Background()
	chats := newService()
	id, _ := chats.Open(ctx, "contact", "Hello, my invoice is wrong")
	_ = chats.Assign(ctx, id, interaction.System, "agent1")
	if err := chats.Join(ctx, id, "agent1"); err != nil {
		fmt.Println(err)
		return
	}
	printView(ctx, chats, id, "agent1")
	// Output:
	// agent1 (owner, joined; chat active):
	//   contact: Hello, my invoice is wrong
}

func ExampleService_Post() {
	ctx := context.Background()
	chats := newService()
	id := activeChat(ctx, chats)
	if err := chats.Post(ctx, id, "agent1", "Let me check that for you."); err != nil {
		fmt.Println(err)
		return
	}
	printView(ctx, chats, id, "contact")
	// Empty text is refused and leaves no trace (R-X6).
	err := chats.Post(ctx, id, "agent1", "   ")
	fmt.Println(errors.Is(err, interaction.ErrBadInput))
	// Output:
	// contact (contact, joined; chat active):
	//   contact: Hello, my invoice is wrong
	//   agent-1: Let me check that for you.
	// true
}

func ExampleService_Leave() {
	ctx := context.Background()
	chats := newService()
	id := activeChat(ctx, chats)
	// The contact leaving ends the session.
	if err := chats.Leave(ctx, id, "contact"); err != nil {
		fmt.Println(err)
		return
	}
	st, _ := chats.State(ctx, id)
	fmt.Println(st.Status)
	// Output: ended
}

func ExampleService_EndSession() {
	ctx := context.Background()
	chats := newService()
	id := activeChat(ctx, chats)
	// The last engaged agent ends the session with the contact (R-C7); it
	// stays in the chat to wrap up and mark done.
	if err := chats.EndSession(ctx, id, "agent1"); err != nil {
		fmt.Println(err)
		return
	}
	st, _ := chats.State(ctx, id)
	fmt.Println(st.Status)
	err := chats.Post(ctx, id, "contact", "Hello?")
	fmt.Println(errors.Is(err, interaction.ErrNotPermitted))
	// Output:
	// ended
	// true
}

func ExampleService_MarkDone() {
	ctx := context.Background()
	chats := newService()
	id := activeChat(ctx, chats)
	// Marking done needs the agent's part to be over (R-C8).
	err := chats.MarkDone(ctx, id, "agent1")
	fmt.Println(errors.Is(err, interaction.ErrInvalidTransition))
	_ = chats.EndSession(ctx, id, "contact")
	if err := chats.MarkDone(ctx, id, "agent1"); err != nil {
		fmt.Println(err)
		return
	}
	st, _ := chats.State(ctx, id)
	fmt.Println(st.Status)
	// Output:
	// true
	// closed
}

func ExampleService_View() {
	ctx := context.Background()
	chats := newService()
	id := activeChat(ctx, chats)
	_ = chats.Post(ctx, id, "agent1", "Let me check.")
	// A note is for the agents of the chat, never the contact.
	_, _ = chats.Do(ctx, id, "agent1", interaction.Note{Text: "VIP customer"})
	printView(ctx, chats, id, "contact")
	printView(ctx, chats, id, "agent1")
	// A party that was never in the interaction may not read it (R-X6).
	_, err := chats.View(ctx, id, "stranger")
	fmt.Println(errors.Is(err, interaction.ErrNotPermitted))
	// Output:
	// contact (contact, joined; chat active):
	//   contact: Hello, my invoice is wrong
	//   agent-1: Let me check.
	// agent1 (owner, joined; chat active):
	//   contact: Hello, my invoice is wrong
	//   agent1: Let me check.
	//   agent1: VIP customer
	// true
}

func ExampleService_Do() {
	ctx := context.Background()
	chats := newService()
	id := activeChat(ctx, chats)
	// Do runs any Command value and returns the events it caused as the
	// actor sees them: Version counts the events agent1 was shown.
	events, err := chats.Do(ctx, id, "agent1", interaction.Post{Text: "On it."})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, ev := range events {
		fmt.Println(ev.Version, ev.Type, ev.Actor, ev.Scope.Kind, ev.Text)
	}
	// Output:
	// 4 message agent1 everyone On it.
}

func ExampleService_DoCommand() {
	ctx := context.Background()
	chats := newService()
	id := activeChat(ctx, chats)
	// A retry with the same command ID (say after a cut connection) applies
	// the command once and hands back the events it caused the first time.
	first, _ := chats.DoCommand(ctx, id, "agent1", "cmd-42", interaction.Post{Text: "On it."})
	again, _ := chats.DoCommand(ctx, id, "agent1", "cmd-42", interaction.Post{Text: "On it."})
	v, _ := chats.View(ctx, id, "contact")
	fmt.Println(first[0].Version == again[0].Version, len(v.Messages))
	// Output: true 2
}

func ExampleService_State() {
	ctx := context.Background()
	chats := newService()
	id := activeChat(ctx, chats)
	st, err := chats.State(ctx, id)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(st.Status, st.Version, st.Owner().ID)
	for _, p := range st.Parties {
		fmt.Println(p.ID, p.Role, p.Membership)
	}
	// Output:
	// active 6 agent1
	// contact contact joined
	// agent1 owner joined
}

func ExampleRebuild() {
	ctx := context.Background()
	store := interaction.NewMemoryStore()
	chats := newService(interaction.WithStore(store))
	id := activeChat(ctx, chats)
	_ = chats.Post(ctx, id, "agent1", "Let me check.")
	// The events are the truth (R-X5): the state is derived from them alone.
	events, _ := store.Load(ctx, id)
	st, err := interaction.Rebuild(events)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(events), st.Status, len(st.Messages))
	// Output: 7 active 2
}

func ExampleMemoryNotifier_Subscribe() {
	ctx := context.Background()
	notifier := interaction.NewMemoryNotifier()
	chats := newService(interaction.WithNotifier(notifier))
	id := activeChat(ctx, chats)
	// Each party gets exactly the events it may see, across interactions.
	contact := notifier.Subscribe("contact")
	agent := notifier.Subscribe("agent1")
	defer contact.Close()
	defer agent.Close()
	_ = chats.Post(ctx, id, "agent1", "Let me check.")
	_, _ = chats.Do(ctx, id, "agent1", interaction.Note{Text: "VIP customer"})
	for _, ev := range contact.Drain() {
		fmt.Println("contact is told:", ev.Text)
	}
	// Next waits for the next event (a desk's live update loop); Drain
	// takes whatever is queued.
	if ev, err := agent.Next(ctx); err == nil {
		fmt.Println("agent1 is told:", ev.Text)
	}
	for _, ev := range agent.Drain() {
		fmt.Println("agent1 is told:", ev.Text)
	}
	// Output:
	// contact is told: Let me check.
	// agent1 is told: Let me check.
	// agent1 is told: VIP customer
}

func ExampleMemoryNotifier_SubscribeAll() {
	ctx := context.Background()
	notifier := interaction.NewMemoryNotifier()
	chats := newService(interaction.WithNotifier(notifier))
	// A projection (history, metrics) hears every event.
	all := notifier.SubscribeAll()
	defer all.Close()
	activeChat(ctx, chats)
	for _, ev := range all.Drain() {
		switch ev.Type {
		case interaction.EventMembership:
			fmt.Println(ev.Version, ev.Type, ev.Party, ev.From, "->", ev.To)
		case interaction.EventStatus:
			fmt.Println(ev.Version, ev.Type, ev.From, "->", ev.To)
		case interaction.EventMessage:
			fmt.Println(ev.Version, ev.Type, ev.Actor, ev.Text)
		default:
			fmt.Println(ev.Version, ev.Type, ev.Party)
		}
	}
	// Output:
	// 1 opened contact
	// 2 membership contact none -> joined
	// 3 message contact Hello, my invoice is wrong
	// 4 membership agent1 none -> invited
	// 5 membership agent1 invited -> joined
	// 6 status waiting -> active
}

func ExampleMemoryStore_ReadAll() {
	ctx := context.Background()
	store := interaction.NewMemoryStore()
	chats := newService(interaction.WithStore(store))
	a := activeChat(ctx, chats)
	b, _ := chats.Open(ctx, "someone-else", "Hi")
	// The global log interleaves every interaction in commit order.
	events, _ := store.ReadAll(ctx, 5, 10)
	for _, ev := range events {
		fmt.Println(ev.Position, ev.Interaction == a, ev.Interaction == b, ev.Type)
	}
	// Output:
	// 6 true false status
	// 7 false true opened
	// 8 false true membership
	// 9 false true message
}

func ExampleError() {
	ctx := context.Background()
	chats := newService()
	id := activeChat(ctx, chats)
	err := chats.Post(ctx, id, "stranger", "Hi")
	var e *interaction.Error
	if errors.As(err, &e) {
		fmt.Println(errors.Is(err, interaction.ErrBadInput), e.Rule)
	}
	fmt.Println(err)
	// Output:
	// true R-X6
	// post chat-1 by stranger: bad input: unknown party (R-X6)
}

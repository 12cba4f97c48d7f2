package consult_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/interaction"
)

// example is the set-up the examples share: a chat between "contact" and
// its owner "agent1", on the in-memory Store and Notifier, with a manual
// clock and sequential IDs so that the output is the same every time.
type example struct {
	chats *interaction.Service
	desk  *consult.Service
	clock *chatconsulttest.ManualClock
	id    interaction.ID
}

func newExample(opts ...consult.Option) *example {
	ctx := context.Background()
	e := &example{clock: chatconsulttest.NewManualClock()}
	e.chats = interaction.NewService(
		interaction.WithClock(e.clock),
		interaction.WithIDs(chatconsulttest.NewSequentialIDs("id-")),
	)
	e.desk = consult.New(e.chats, opts...)
	id, err := e.chats.Open(ctx, "contact", "Hello, my invoice is wrong")
	if err != nil {
		panic(err)
	}
	if err := e.chats.Assign(ctx, id, interaction.System, "agent1"); err != nil {
		panic(err)
	}
	if err := e.chats.Join(ctx, id, "agent1"); err != nil {
		panic(err)
	}
	e.id = id
	return e
}

func agentTarget(id string) interaction.Target {
	return interaction.Target{Kind: interaction.TargetAgent, ID: id}
}

// consulting has agent1 consult agent2, who accepts.
func (e *example) consulting() interaction.LegID {
	ctx := context.Background()
	leg, err := e.desk.Start(ctx, e.id, "agent1", agentTarget("agent2"), interaction.MediumChat)
	if err != nil {
		panic(err)
	}
	if err := e.desk.Accept(ctx, e.id, "agent2", leg); err != nil {
		panic(err)
	}
	return leg
}

// print prints what party sees: its role, its consultations and the
// messages, the consultation ones marked.
func (e *example) print(party interaction.PartyID) {
	v, err := e.chats.View(context.Background(), e.id, party)
	if err != nil {
		fmt.Println(party, "cannot see it:", err)
		return
	}
	fmt.Printf("%s (%s, %s):\n", party, v.Role, v.Membership)
	for _, l := range v.Legs {
		fmt.Printf("  [%s consultation %s -> %s: %s]\n", l.Medium, l.Owner, l.Invitee, l.State)
	}
	for _, m := range v.Messages {
		tag := ""
		if m.Scope.Kind == interaction.ScopeLeg {
			tag = " (consultation)"
		}
		fmt.Printf("  %s: %s%s\n", m.Author, m.Text, tag)
	}
}

func ExampleNew() {
	ctx := context.Background()
	chats := interaction.NewService()
	// The consult Service writes to the same event streams as chats (R-H1).
	desk := consult.New(chats, consult.WithInviteTimeout(time.Minute))
	id, _ := chats.Open(ctx, "contact", "Hello")
	_ = chats.Assign(ctx, id, interaction.System, "agent1")
	_ = chats.Join(ctx, id, "agent1")
	_, err := desk.Start(ctx, id, "agent1", interaction.Target{Kind: interaction.TargetAgent, ID: "agent2"}, interaction.MediumChat)
	fmt.Println(err)
	// Output: <nil>
}

func ExampleService_Start() {
	ctx := context.Background()
	e := newExample()
	// R-C1: the owner invites a target without starting a conference.
	leg, err := e.desk.Start(ctx, e.id, "agent1", agentTarget("agent2"), interaction.MediumChat)
	if err != nil {
		fmt.Println(err)
		return
	}
	st, _ := e.chats.State(ctx, e.id)
	fmt.Println("leg", st.Leg(leg).State, "for", st.Leg(leg).Invitee)
	e.print("agent2")
	// The contact cannot consult (R-X6).
	_, err = e.desk.Start(ctx, e.id, "contact", agentTarget("agent3"), interaction.MediumChat)
	fmt.Println(errors.Is(err, interaction.ErrNotPermitted))
	// Output:
	// leg inviting for agent2
	// agent2 (consultant, invited):
	//   [chat consultation agent1 -> agent2: inviting]
	// true
}

func ExampleService_Accept() {
	ctx := context.Background()
	e := newExample()
	leg, _ := e.desk.Start(ctx, e.id, "agent1", agentTarget("agent2"), interaction.MediumChat)
	if err := e.desk.Accept(ctx, e.id, "agent2", leg); err != nil {
		fmt.Println(err)
		return
	}
	// R-C6: the target now reads the chat between owner and contact.
	e.print("agent2")
	// Output:
	// agent2 (consultant, joined):
	//   [chat consultation agent1 -> agent2: active]
	//   contact: Hello, my invoice is wrong
}

func ExampleService_Decline() {
	ctx := context.Background()
	e := newExample()
	leg, _ := e.desk.Start(ctx, e.id, "agent1", agentTarget("agent2"), interaction.MediumChat)
	if err := e.desk.Decline(ctx, e.id, "agent2", leg); err != nil {
		fmt.Println(err)
		return
	}
	// R-C3: the owner gets a system message; the contact sees nothing.
	e.print("agent1")
	e.print("contact")
	// Output:
	// agent1 (owner, joined):
	//   [chat consultation agent1 -> agent2: declined]
	//   contact: Hello, my invoice is wrong
	//   system: agent2 declined the consultation
	// contact (contact, joined):
	//   contact: Hello, my invoice is wrong
}

func ExampleService_Cancel() {
	ctx := context.Background()
	e := newExample()
	leg, _ := e.desk.Start(ctx, e.id, "agent1", agentTarget("agent2"), interaction.MediumChat)
	// R-X2: the owner takes back an invitation not yet answered.
	if err := e.desk.Cancel(ctx, e.id, "agent1", leg); err != nil {
		fmt.Println(err)
		return
	}
	err := e.desk.Accept(ctx, e.id, "agent2", leg)
	fmt.Println(errors.Is(err, interaction.ErrInvalidTransition))
	// Output: true
}

func ExampleService_EndConsultation() {
	ctx := context.Background()
	e := newExample()
	leg := e.consulting()
	// R-C4: the owner or the target ends the consultation; the chat goes on.
	if err := e.desk.EndConsultation(ctx, e.id, "agent2", leg); err != nil {
		fmt.Println(err)
		return
	}
	st, _ := e.chats.State(ctx, e.id)
	fmt.Println(st.Leg(leg).State, st.Status)
	// Output: ended active
}

func ExampleService_Say() {
	ctx := context.Background()
	e := newExample()
	leg := e.consulting()
	_ = e.desk.Say(ctx, e.id, "agent1", leg, "Can I refund the fee?")
	_ = e.desk.Say(ctx, e.id, "agent2", leg, "Yes.")
	// R-C5: only the leg's two agents ever see consultation messages.
	e.print("agent1")
	e.print("contact")
	// Output:
	// agent1 (owner, joined):
	//   [chat consultation agent1 -> agent2: active]
	//   contact: Hello, my invoice is wrong
	//   agent1: Can I refund the fee? (consultation)
	//   agent2: Yes. (consultation)
	// contact (contact, joined):
	//   contact: Hello, my invoice is wrong
}

func ExampleService_Transfer() {
	ctx := context.Background()
	e := newExample()
	leg := e.consulting()
	_ = e.desk.Say(ctx, e.id, "agent1", leg, "Please take this one.")
	// R-T1, R-T2: the target becomes the owner; the former owner leaves.
	if err := e.desk.Transfer(ctx, e.id, "agent1", leg); err != nil {
		fmt.Println(err)
		return
	}
	e.print("contact")
	st, _ := e.chats.State(ctx, e.id)
	fmt.Println("owner:", st.Owner().ID, "- agent1 is", st.Party("agent1").Membership)
	// Output:
	// contact (contact, joined):
	//   contact: Hello, my invoice is wrong
	//   system: Agent 1 transferred the chat to Agent 2
	// owner: agent2 - agent1 is left
}

func ExampleService_Conference() {
	ctx := context.Background()
	e := newExample()
	leg := e.consulting()
	// R-F1: the owner asks the target to join; nothing changes until it accepts.
	req, err := e.desk.Conference(ctx, e.id, "agent1", leg)
	if err != nil {
		fmt.Println(err)
		return
	}
	st, _ := e.chats.State(ctx, e.id)
	fmt.Println(st.Request(req).Kind, st.Request(req).State, st.Party("agent2").Role)
	// Output: conference pending consultant
}

func ExampleService_AcceptRequest() {
	ctx := context.Background()
	e := newExample()
	leg := e.consulting()
	_ = e.desk.Say(ctx, e.id, "agent1", leg, "Join us?")
	req, _ := e.desk.Conference(ctx, e.id, "agent1", leg)
	if err := e.desk.AcceptRequest(ctx, e.id, "agent2", req); err != nil {
		fmt.Println(err)
		return
	}
	// R-F3: what is written from now on is seen by everyone.
	_ = e.chats.Post(ctx, e.id, "agent2", "Hello, I am from billing.")
	e.print("contact")
	// Output:
	// contact (contact, joined):
	//   contact: Hello, my invoice is wrong
	//   system: Agent 2 joined the conference
	//   agent-2: Hello, I am from billing.
}

func ExampleService_DeclineRequest() {
	ctx := context.Background()
	e := newExample()
	leg := e.consulting()
	req, _ := e.desk.Conference(ctx, e.id, "agent1", leg)
	// R-F4: the request is dropped, the chat and the consultation go on.
	if err := e.desk.DeclineRequest(ctx, e.id, "agent2", req); err != nil {
		fmt.Println(err)
		return
	}
	st, _ := e.chats.State(ctx, e.id)
	fmt.Println(st.Request(req).State, st.Leg(leg).State, st.Party("agent2").Role)
	// Output: declined active consultant
}

func ExampleService_CancelRequest() {
	ctx := context.Background()
	e := newExample()
	req, _ := e.desk.TransferTo(ctx, e.id, "agent1", agentTarget("agent2"))
	if err := e.desk.CancelRequest(ctx, e.id, "agent1", req); err != nil {
		fmt.Println(err)
		return
	}
	st, _ := e.chats.State(ctx, e.id)
	fmt.Println(st.Request(req).State, st.Party("agent2").Membership)
	// Output: cancelled withdrawn
}

func ExampleService_Remove() {
	ctx := context.Background()
	e := newExample()
	req, _ := e.desk.ConferenceWith(ctx, e.id, "agent1", agentTarget("agent2"))
	_ = e.desk.AcceptRequest(ctx, e.id, "agent2", req)
	// R-F5: a member can be removed; it can no longer post (R-X6).
	if err := e.desk.Remove(ctx, e.id, "agent1", "agent2"); err != nil {
		fmt.Println(err)
		return
	}
	err := e.chats.Post(ctx, e.id, "agent2", "Wait!")
	fmt.Println(errors.Is(err, interaction.ErrNotPermitted))
	e.print("contact")
	// Output:
	// true
	// contact (contact, joined):
	//   contact: Hello, my invoice is wrong
	//   system: Agent 2 joined the conference
	//   system: Agent 2 was removed from the conference
}

func ExampleService_TransferTo() {
	ctx := context.Background()
	e := newExample()
	// R-X4: a transfer without a consultation first is an invitation.
	req, err := e.desk.TransferTo(ctx, e.id, "agent1", agentTarget("agent2"))
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = e.desk.AcceptRequest(ctx, e.id, "agent2", req)
	st, _ := e.chats.State(ctx, e.id)
	fmt.Println("owner:", st.Owner().ID)
	// Output: owner: agent2
}

func ExampleService_ConferenceWith() {
	ctx := context.Background()
	e := newExample()
	_ = e.chats.Post(ctx, e.id, "agent1", "Let me bring in billing.")
	// R-X4: a conference without a consultation first.
	req, err := e.desk.ConferenceWith(ctx, e.id, "agent1", agentTarget("agent2"))
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = e.desk.AcceptRequest(ctx, e.id, "agent2", req)
	// R-F2: the new member sees the whole transcript.
	e.print("agent2")
	// Output:
	// agent2 (member, joined):
	//   contact: Hello, my invoice is wrong
	//   agent1: Let me bring in billing.
	//   system: agent2 joined the conference
}

func ExampleService_ActiveConsultations() {
	ctx := context.Background()
	e := newExample()
	e.consulting()
	// An invitation not yet accepted is not an active consultation.
	_, _ = e.desk.Start(ctx, e.id, "agent1", agentTarget("agent3"), interaction.MediumVoice)
	legs, err := e.desk.ActiveConsultations(ctx, e.id)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, l := range legs {
		fmt.Println(l.Invitee, l.Medium, l.State)
	}
	// Output: agent2 chat active
}

func ExampleWithInviteTimeout() {
	ctx := context.Background()
	e := newExample(consult.WithInviteTimeout(30 * time.Second))
	_, _ = e.desk.Start(ctx, e.id, "agent1", agentTarget("agent2"), interaction.MediumChat)
	// Time moves only through the injected clock.
	e.clock.Advance(30 * time.Second)
	e.print("agent1")
	// Output:
	// agent1 (owner, joined):
	//   [chat consultation agent1 -> agent2: timed_out]
	//   contact: Hello, my invoice is wrong
	//   system: agent2 did not answer the consultation
}

// skillRouter offers a skill to its agents in order, leaving out the ones
// excluded: a stand-in for package routing.
type skillRouter map[string][]interaction.PartyID

func (r skillRouter) Pick(ctx context.Context, t interaction.Target, m interaction.Medium, exclude []interaction.PartyID) (interaction.PartyID, error) {
	if t.Kind != interaction.TargetSkill {
		return consult.DirectRouter{}.Pick(ctx, t, m, exclude)
	}
	for _, a := range r[t.ID] {
		if !slices.Contains(exclude, a) {
			return a, nil
		}
	}
	return "", &interaction.Error{Kind: interaction.ErrNotFound, Op: "route", Rule: "R-C2", Detail: "nobody left for " + t.String()}
}

func ExampleWithRouter() {
	ctx := context.Background()
	e := newExample(consult.WithRouter(skillRouter{"billing": {"agent7"}}))
	// R-C2: a skill target resolves to one agent, the one invited.
	leg, _ := e.desk.Start(ctx, e.id, "agent1", interaction.Target{Kind: interaction.TargetSkill, ID: "billing"}, interaction.MediumChat)
	st, _ := e.chats.State(ctx, e.id)
	fmt.Println(st.Leg(leg).Target, "->", st.Leg(leg).Invitee)
	// Output: skill:billing -> agent7
}

func ExampleWithExhaustedHandler() {
	ctx := context.Background()
	e := newExample(
		consult.WithRouter(skillRouter{"billing": {"agent7", "agent8"}}),
		consult.WithExhaustedHandler(func(_ context.Context, x consult.Exhausted) {
			fmt.Println("nobody left for", x.Target, "after", x.Tried)
		}),
	)
	billing := interaction.Target{Kind: interaction.TargetSkill, ID: "billing"}
	leg, _ := e.desk.Start(ctx, e.id, "agent1", billing, interaction.MediumChat)
	// R-X1: a routed invitation that is declined goes to the next agent.
	_ = e.desk.Decline(ctx, e.id, "agent7", leg)
	legs := e.legsOf("agent8")
	_ = e.desk.Decline(ctx, e.id, "agent8", legs[0])
	// Output: nobody left for skill:billing after [agent7 agent8]
}

// legsOf lists the consultations aimed at agent.
func (e *example) legsOf(agent interaction.PartyID) []interaction.LegID {
	st, _ := e.chats.State(context.Background(), e.id)
	var out []interaction.LegID
	for _, l := range st.Legs {
		if l.Invitee == agent {
			out = append(out, l.ID)
		}
	}
	return out
}

func ExampleDirectRouter_Pick() {
	ctx := context.Background()
	var r consult.DirectRouter
	a, err := r.Pick(ctx, agentTarget("agent2"), interaction.MediumChat, nil)
	fmt.Println(a, err)
	_, err = r.Pick(ctx, interaction.Target{Kind: interaction.TargetQueue, ID: "support"}, interaction.MediumChat, nil)
	fmt.Println(errors.Is(err, interaction.ErrNotFound))
	// Output:
	// agent2 <nil>
	// true
}

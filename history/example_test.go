package history_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/history"
	"github.com/chatconsult/chatconsult/interaction"
)

// historyDemo is the set-up the examples share: a contact center on the
// in-memory Store, with a manual clock and sequential IDs so that the
// output is the same every time, and a Projection kept live as the
// Service's Notifier.
type historyDemo struct {
	clock *chatconsulttest.ManualClock
	store *interaction.MemoryStore
	chats *interaction.Service
	desk  *consult.Service
	proj  *history.Projection
}

func newHistoryDemo() *historyDemo {
	h := &historyDemo{clock: chatconsulttest.NewManualClock(), store: interaction.NewMemoryStore(), proj: history.New()}
	h.chats = interaction.NewService(
		interaction.WithStore(h.store),
		interaction.WithClock(h.clock),
		interaction.WithIDs(chatconsulttest.NewSequentialIDs("id-")),
		interaction.WithNotifier(h.proj),
	)
	h.desk = consult.New(h.chats)
	return h
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

// seedStory plays the seed's example (R-H4): the contact is with agent1;
// agent1 consults agent2, refunds the invoice, ends the session, and both
// agents mark the interaction done. The clock moves so that the metrics
// have something to measure.
func (h *historyDemo) seedStory(contact interaction.PartyID) interaction.ID {
	ctx := context.Background()
	id, err := h.chats.Open(ctx, contact, "Hello, my invoice is wrong")
	must(err)
	h.clock.Advance(5 * time.Second)
	must(h.chats.Assign(ctx, id, interaction.System, "agent1"))
	must(h.chats.Join(ctx, id, "agent1"))
	h.clock.Advance(5 * time.Second)
	must(h.chats.Post(ctx, id, "agent1", "Let me check"))
	h.clock.Advance(5 * time.Second)
	leg, err := h.desk.Start(ctx, id, "agent1", interaction.Target{Kind: interaction.TargetAgent, ID: "agent2"}, interaction.MediumChat)
	must(err)
	h.clock.Advance(4 * time.Second)
	must(h.desk.Accept(ctx, id, "agent2", leg))
	must(h.desk.Say(ctx, id, "agent1", leg, "May I refund 50 EUR?"))
	h.clock.Advance(10 * time.Second)
	must(h.desk.Say(ctx, id, "agent2", leg, "Yes, go ahead"))
	h.clock.Advance(5 * time.Second)
	must(h.desk.EndConsultation(ctx, id, "agent1", leg))
	must(h.chats.Post(ctx, id, "agent1", "I have refunded 50 EUR"))
	h.clock.Advance(20 * time.Second)
	must(h.chats.EndSession(ctx, id, "agent1"))
	h.clock.Advance(30 * time.Second)
	must(h.chats.MarkDone(ctx, id, "agent1"))
	must(h.chats.MarkDone(ctx, id, "agent2"))
	return id
}

func printTranscript(msgs []interaction.Message) {
	for _, m := range msgs {
		fmt.Printf("  %s %s: %s\n", m.Time.Format("15:04:05"), m.Author, m.Text)
	}
}

// A Projection is kept current as the Service's Notifier: the entry is in
// agent1's My History the moment agent1 takes the chat.
func ExampleNew() {
	ctx := context.Background()
	proj := history.New()
	chats := interaction.NewService(
		interaction.WithClock(chatconsulttest.NewManualClock()),
		interaction.WithIDs(chatconsulttest.NewSequentialIDs("id-")),
		interaction.WithNotifier(proj), // or interaction.Notifiers{proj, …}
	)
	id, _ := chats.Open(ctx, "contact", "Hello")
	_ = chats.Assign(ctx, id, interaction.System, "agent1")
	_ = chats.Join(ctx, id, "agent1")

	page, _ := proj.MyHistory(ctx, "agent1", history.Query{})
	for _, e := range page.Items {
		fmt.Println(e.Interaction, e.Contact, e.Status, e.Agents)
	}
	// Output: id-1 contact active [agent1]
}

// Rebuild builds a Projection from a Store's global log alone, after a
// restart for instance: it answers exactly as the live one did (R-X5).
func ExampleRebuild() {
	ctx := context.Background()
	h := newHistoryDemo()
	h.seedStory("contact")

	proj, err := history.Rebuild(ctx, h.store)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, agent := range []interaction.PartyID{"agent1", "agent2"} {
		page, _ := proj.MyHistory(ctx, agent, history.Query{})
		fmt.Printf("%s: %d entries\n", agent, len(page.Items))
	}
	// Output:
	// agent1: 1 entries
	// agent2: 0 entries
}

// Replay reads the log from where it stopped: a second call reads only what
// was appended since.
func ExampleProjection_Replay() {
	ctx := context.Background()
	h := newHistoryDemo()
	h.seedStory("contact")

	proj := history.New()
	_ = proj.Replay(ctx, h.store)
	fmt.Println("read up to position", proj.Checkpoint())

	h.seedStory("contact2")
	_ = proj.Replay(ctx, h.store)
	fmt.Println("read up to position", proj.Checkpoint())
	page, _ := proj.MyHistory(ctx, "agent1", history.Query{})
	fmt.Println("agent1 has", len(page.Items), "entries")
	// Output:
	// read up to position 21
	// read up to position 42
	// agent1 has 2 entries
}

// Apply takes events from any source, in any order and as often as they
// come: each is applied once, in stream order.
func ExampleProjection_Apply() {
	ctx := context.Background()
	h := newHistoryDemo()
	id := h.seedStory("contact")
	events, _ := h.store.Load(ctx, id)

	proj := history.New()
	slices.Reverse(events) // out of order: held until the ones before come
	_ = proj.Apply(events...)
	_ = proj.Apply(events...) // again: already applied, ignored
	page, _ := proj.Activity(ctx, history.Query{})
	fmt.Println(len(page.Items), "interaction,", page.Items[0].Status)
	// Output: 1 interaction, closed
}

// The seed's example, R-H4: the contact is with agent1; agent1 consults
// agent2. agent1's My History has one entry, without the consultation
// transcript (R-H2); agent2 was never engaged with the contact and has none
// (R-H3).
func ExampleProjection_MyHistory() {
	ctx := context.Background()
	h := newHistoryDemo()
	h.seedStory("contact")

	for _, agent := range []interaction.PartyID{"agent1", "agent2"} {
		page, err := h.proj.MyHistory(ctx, agent, history.Query{})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s: %d entries\n", agent, len(page.Items))
		for _, e := range page.Items {
			fmt.Println(" ", e.Interaction, "with", e.Contact, e.Status)
			printTranscript(e.Transcript)
		}
	}
	// Output:
	// agent1: 1 entries
	//   id-1 with contact ended
	//   09:00:00 contact: Hello, my invoice is wrong
	//   09:00:10 agent1: Let me check
	//   09:00:34 agent1: I have refunded 50 EUR
	// agent2: 0 entries
}

// The contact history shows the contact's own transcript, whoever asks, and
// names only the agents the contact saw.
func ExampleProjection_ContactHistory() {
	ctx := context.Background()
	h := newHistoryDemo()
	h.seedStory("contact")

	page, _ := h.proj.ContactHistory(ctx, "contact", history.Query{})
	for _, e := range page.Items {
		fmt.Println(e.Interaction, "agents:", e.Agents)
		printTranscript(e.Transcript)
	}
	// Output:
	// id-1 agents: [agent-1]
	//   09:00:00 contact: Hello, my invoice is wrong
	//   09:00:10 agent-1: Let me check
	//   09:00:34 agent-1: I have refunded 50 EUR
}

// The activity history has one entry per interaction; its consultations
// are nested in it, never entries of their own (R-H1).
func ExampleProjection_Activity() {
	ctx := context.Background()
	h := newHistoryDemo()
	h.seedStory("contact")

	page, _ := h.proj.Activity(ctx, history.Query{Agent: "agent2"})
	for _, a := range page.Items {
		fmt.Println(a.Interaction, a.Contact, a.Status, "opened", a.Opened.Format("15:04:05"), "closed", a.Closed.Format("15:04:05"))
		for _, c := range a.Consultations {
			fmt.Printf("  consultation %s: %s -> %s (%s, %s), %s\n", c.Leg, c.Owner, c.Invitee, c.Target, c.Medium, c.State)
		}
	}
	// Output:
	// id-1 contact closed opened 09:00:00 closed 09:01:24
	//   consultation id-6: agent1 -> agent2 (agent:agent2, chat), ended
}

// A history transcript belongs to the contact and the engaged agents; a
// consulted agent has none (R-H3), and nobody's holds the consultation (R-H2).
func ExampleProjection_Transcript() {
	ctx := context.Background()
	h := newHistoryDemo()
	id := h.seedStory("contact")

	msgs, _ := h.proj.Transcript(ctx, id, "agent1")
	fmt.Println("agent1:", len(msgs), "messages")
	_, err := h.proj.Transcript(ctx, id, "agent2")
	fmt.Println("agent2:", errors.Is(err, interaction.ErrNotPermitted))
	// Output:
	// agent1: 3 messages
	// agent2: true
}

// The figures of one interaction, derived from its events (R-X5).
func ExampleProjection_InteractionMetrics() {
	ctx := context.Background()
	h := newHistoryDemo()
	id := h.seedStory("contact")

	m, _ := h.proj.InteractionMetrics(ctx, id)
	c := m.Consultations
	fmt.Println("consultations started", c.Started, "accepted", c.Accepted, "completed", c.Completed)
	fmt.Println("time to accept", c.MeanTimeToAccept(), "duration", c.MeanDuration())
	for _, ht := range m.HandleTimes {
		fmt.Println(ht.Agent, "engaged", ht.Engaged, "wrap-up", ht.WrapUp, "done", ht.Done)
	}
	// Output:
	// consultations started 1 accepted 1 completed 1
	// time to accept 4s duration 15s
	// agent1 engaged 49s wrap-up 30s done true
}

// One agent's figures: consultations it started and received, rates per
// interaction it handled.
func ExampleProjection_AgentMetrics() {
	ctx := context.Background()
	h := newHistoryDemo()
	h.seedStory("contact")
	h.seedStory("contact2")

	for _, agent := range []interaction.PartyID{"agent1", "agent2"} {
		m, _ := h.proj.AgentMetrics(ctx, agent, history.Query{})
		fmt.Printf("%s: handled %d, started %d, received %d, consultation rate %.1f, mean handle time %s\n",
			agent, m.Interactions, m.Started.Started, m.Received.Started, m.ConsultationRate(), m.MeanHandleTime())
	}
	// Output:
	// agent1: handled 2, started 2, received 0, consultation rate 1.0, mean handle time 1m19s
	// agent2: handled 0, started 0, received 2, consultation rate 0.0, mean handle time 0s
}

// Totals over a set of interactions: rates are shares of interactions.
func ExampleProjection_Totals() {
	ctx := context.Background()
	h := newHistoryDemo()
	h.seedStory("contact")
	// A second chat that agent1 handles alone.
	id, _ := h.chats.Open(ctx, "contact2", "Where is my parcel?")
	_ = h.chats.Assign(ctx, id, interaction.System, "agent1")
	_ = h.chats.Join(ctx, id, "agent1")

	t, _ := h.proj.Totals(ctx, history.Query{})
	fmt.Printf("%d interactions, consultation rate %.2f, transfer rate %.2f\n", t.Interactions, t.ConsultationRate(), t.TransferRate())
	// Output: 2 interactions, consultation rate 0.50, transfer rate 0.00
}

// Paging: newest first, Limit entries a page, Next continues.
func ExampleQuery() {
	ctx := context.Background()
	h := newHistoryDemo()
	for _, c := range []interaction.PartyID{"ann", "bob", "cid"} {
		h.seedStory(c)
	}
	q := history.Query{Limit: 2}
	for {
		page, err := h.proj.MyHistory(ctx, "agent1", q)
		if err != nil {
			fmt.Println(err)
			return
		}
		for _, e := range page.Items {
			fmt.Print(e.Contact, " ")
		}
		fmt.Println("| next page:", page.Next != "")
		if page.Next == "" {
			break
		}
		q.Cursor = page.Next
	}
	// Output:
	// cid bob | next page: true
	// ann | next page: false
}

// An export has exactly the viewer's visibility (R-X8): the owner's holds
// its consultation, the contact's never does (R-C5).
func ExampleProjection_Export() {
	ctx := context.Background()
	h := newHistoryDemo()
	id := h.seedStory("contact")

	for _, viewer := range []interaction.PartyID{"agent1", "contact", "stranger"} {
		x, err := h.proj.Export(ctx, id, viewer)
		if err != nil {
			fmt.Println(viewer, "gets", errors.Is(err, interaction.ErrNotPermitted))
			continue
		}
		fmt.Println(viewer, "gets", len(x.Messages), "messages,", len(x.Consultations), "consultations")
	}
	// Output:
	// agent1 gets 5 messages, 1 consultations
	// contact gets 3 messages, 0 consultations
	// stranger gets true
}

// NewExport exports a State directly, without a Projection.
func ExampleNewExport() {
	ctx := context.Background()
	h := newHistoryDemo()
	id := h.seedStory("contact")
	st, _ := h.chats.State(ctx, id)

	x, err := history.NewExport(st, "agent2")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(x.Schema, x.Viewer.ID, x.Viewer.Role)
	for _, m := range x.Messages {
		fmt.Println(" ", m.Scope, m.Author+":", m.Text)
	}
	// Output:
	// chatconsult.transcript/v1 agent2 none
	//   everyone contact: Hello, my invoice is wrong
	//   everyone agent1: Let me check
	//   leg agent1: May I refund 50 EUR?
	//   leg agent2: Yes, go ahead
}

// The text form is for people: the consultation is marked as such.
func ExampleExport_WriteText() {
	ctx := context.Background()
	h := newHistoryDemo()
	id := h.seedStory("contact")

	x, _ := h.proj.Export(ctx, id, "agent1")
	var out bytes.Buffer
	_ = x.WriteText(&out)
	fmt.Print(out.String())
	// Output:
	// Transcript of interaction id-1 for agent1 (none)
	// Status: ended. Opened 2026-01-05T09:00:00Z, ended 2026-01-05T09:00:54Z.
	// Consultation id-6: agent1 with agent2 (agent:agent2, chat), ended.
	//
	// 2026-01-05T09:00:00Z  contact: Hello, my invoice is wrong
	// 2026-01-05T09:00:10Z  agent1: Let me check
	// 2026-01-05T09:00:19Z  agent1 [consultation id-6]: May I refund 50 EUR?
	// 2026-01-05T09:00:29Z  agent2 [consultation id-6]: Yes, go ahead
	// 2026-01-05T09:00:34Z  agent1: I have refunded 50 EUR
}

// The JSON form (schema chatconsult.transcript/v1, docs/transcript-schema.md)
// of the contact's export: nothing of the consultation (R-C5).
func ExampleExport_WriteJSON() {
	ctx := context.Background()
	h := newHistoryDemo()
	id, _ := h.chats.Open(ctx, "contact", "Hello")
	_ = h.chats.Assign(ctx, id, interaction.System, "agent1")
	_ = h.chats.Join(ctx, id, "agent1")
	leg, _ := h.desk.Start(ctx, id, "agent1", interaction.Target{Kind: interaction.TargetAgent, ID: "agent2"}, interaction.MediumChat)
	_ = h.desk.Accept(ctx, id, "agent2", leg)
	_ = h.desk.Say(ctx, id, "agent1", leg, "psst")
	h.clock.Advance(time.Minute)
	_ = h.chats.Post(ctx, id, "agent1", "Hi!")

	x, _ := h.proj.Export(ctx, id, "contact")
	// Message 2, "psst", is the consultation's: not in the contact's export.
	_ = x.WriteJSON(os.Stdout)
	// Output:
	// {
	//   "schema": "chatconsult.transcript/v1",
	//   "interaction": "id-1",
	//   "viewer": {
	//     "id": "contact",
	//     "role": "contact",
	//     "membership": "joined"
	//   },
	//   "status": "active",
	//   "version": 5,
	//   "opened": "2026-01-05T09:00:00Z",
	//   "parties": [
	//     {
	//       "id": "contact",
	//       "name": "contact",
	//       "role": "contact",
	//       "membership": "joined"
	//     },
	//     {
	//       "id": "agent-1",
	//       "name": "Agent 1",
	//       "role": "owner",
	//       "membership": "joined"
	//     }
	//   ],
	//   "consultations": [],
	//   "messages": [
	//     {
	//       "seq": 1,
	//       "time": "2026-01-05T09:00:00Z",
	//       "author": "contact",
	//       "kind": "text",
	//       "scope": "everyone",
	//       "text": "Hello"
	//     },
	//     {
	//       "seq": 2,
	//       "time": "2026-01-05T09:01:00Z",
	//       "author": "agent-1",
	//       "kind": "text",
	//       "scope": "everyone",
	//       "text": "Hi!"
	//     }
	//   ]
	// }
}

// ReadExport reads the JSON form back and checks its schema.
func ExampleReadExport() {
	ctx := context.Background()
	h := newHistoryDemo()
	id := h.seedStory("contact")
	x, _ := h.proj.Export(ctx, id, "contact")
	var buf bytes.Buffer
	_ = x.WriteJSON(&buf)

	back, err := history.ReadExport(&buf)
	fmt.Println(err, back.Interaction, len(back.Messages), back.Ended.Format("15:04:05"))
	_, err = history.ReadExport(bytes.NewBufferString(`{"schema": "chatconsult.transcript/v0"}`))
	fmt.Println(errors.Is(err, interaction.ErrBadInput))
	// Output:
	// <nil> id-1 3 09:00:54
	// true
}

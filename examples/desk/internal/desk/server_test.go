package desk

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/interaction"
)

func newDesk(t *testing.T) *Server {
	t.Helper()
	return New(Config{Clock: chatconsulttest.NewManualClock()})
}

// act clicks a button and fails the test when the library refuses it.
func act(t *testing.T, s *Server, a ActRequest) {
	t.Helper()
	require.NoError(t, s.Act(context.Background(), a), "%s %s", a.Party, a.Action)
}

func pane(t *testing.T, s *Server, p interaction.PartyID) Pane {
	t.Helper()
	out, err := s.Pane(context.Background(), p)
	require.NoError(t, err)
	return out
}

func texts(p Pane) []string {
	var out []string
	for _, m := range p.Messages {
		out = append(out, m.Text)
	}
	return out
}

// button finds the pane's button for action, if it is offered.
func button(p Pane, action string) (Action, bool) {
	for _, a := range p.Actions {
		if a.Action == action {
			return a, true
		}
	}
	return Action{}, false
}

// press presses the pane's button for action: it must be offered.
func press(t *testing.T, s *Server, party interaction.PartyID, action string) {
	t.Helper()
	b, ok := button(pane(t, s, party), action)
	require.True(t, ok, "%s has no %q button", party, action)
	act(t, s, ActRequest{Party: party, Action: action, Leg: b.Leg, Target: b.Target})
}

// The desk plays consult → conference → owner leaves through the buttons
// it offers; each pane shows its party's view only (R-C5, R-C6, R-F2,
// R-F6).
func TestDeskButtonsPlayConsultConferenceOwnerLeaves(t *testing.T) {
	s := newDesk(t)
	assert.True(t, pane(t, s, Contact).CanPost, "the contact writes first")
	assert.Empty(t, pane(t, s, Agent1).Actions)

	act(t, s, ActRequest{Party: Contact, Action: "post", Text: "Hello"})
	press(t, s, Agent1, "accept-chat")
	act(t, s, ActRequest{Party: Agent1, Action: "post", Text: "Let me check."})
	assert.Empty(t, pane(t, s, Agent2).Messages, "agent2 is not in the chat yet")

	press(t, s, Agent1, "consult")
	press(t, s, Agent2, "accept")
	p2 := pane(t, s, Agent2)
	assert.Equal(t, []string{"Hello", "Let me check."}, texts(p2), "R-C6: the target reads the chat")
	require.NotEmpty(t, p2.SayLeg)
	act(t, s, ActRequest{Party: Agent2, Action: "say", Leg: p2.SayLeg, Text: "Secret advice"})
	assert.Equal(t, []string{"Hello", "Let me check."}, texts(pane(t, s, Contact)), "R-C5")
	p1 := pane(t, s, Agent1)
	assert.True(t, p1.Messages[len(p1.Messages)-1].Consultation)
	assert.True(t, p1.Pending, "R-C9: agent1 owes agent2 an answer in the consultation")
	_, ok := button(p1, "transfer")
	assert.True(t, ok, "R-T1: an active consultation can become a transfer")

	press(t, s, Agent1, "conference")
	_, ok = button(pane(t, s, Agent1), "conference")
	assert.False(t, ok, "no second request while one is pending")
	press(t, s, Agent2, "accept-request")
	assert.Equal(t, "member", pane(t, s, Agent2).Role)
	_, ok = button(pane(t, s, Agent1), "remove")
	assert.True(t, ok, "R-F5: the owner can remove the member")

	press(t, s, Agent1, "end")
	assert.Equal(t, "owner", pane(t, s, Agent2).Role, "R-F6: agent2 takes over")
	act(t, s, ActRequest{Party: Contact, Action: "post", Text: "Thanks"})
	assert.NotContains(t, texts(pane(t, s, Agent1)), "Thanks", "agent1 left")
	assert.NotContains(t, texts(pane(t, s, Contact)), "Secret advice", "R-C5 after the conference")
	_, ok = button(pane(t, s, Agent1), "done")
	assert.True(t, ok, "agent1's part is over: it can mark done (R-C8)")
}

// R-C3: a declined consultation leaves the chat off the target's desk,
// and the owner reads the system message saying so.
func TestDeclineTakesTheChatOffTheTargetsDesk(t *testing.T) {
	s := newDesk(t)
	act(t, s, ActRequest{Party: Contact, Action: "post", Text: "Hello"})
	press(t, s, Agent1, "accept-chat")
	press(t, s, Agent1, "consult")
	assert.Equal(t, interaction.MemberInvited, pane(t, s, Agent2).Membership, "the invitation is on agent2's desk")
	press(t, s, Agent2, "decline")
	p2 := pane(t, s, Agent2)
	assert.Empty(t, p2.Status)
	assert.Empty(t, p2.Actions)
	assert.Contains(t, texts(pane(t, s, Agent1)), "agent2 declined the consultation")
	assert.NotContains(t, texts(pane(t, s, Contact)), "agent2 declined the consultation", "R-C3: only the owner is told")
}

// R-C9 (package signals): an unanswered contact message is pending for
// the engaged agent, and answering clears it.
func TestPendingReminderFollowsTheLastMessage(t *testing.T) {
	s := newDesk(t)
	act(t, s, ActRequest{Party: Contact, Action: "post", Text: "Hello"})
	assert.False(t, pane(t, s, Agent1).Pending, "an offer is not yet a chat to answer")
	press(t, s, Agent1, "accept-chat")
	assert.True(t, pane(t, s, Agent1).Pending)
	assert.False(t, pane(t, s, Contact).Pending, "the contact owes nothing")
	act(t, s, ActRequest{Party: Agent1, Action: "post", Text: "Hi"})
	assert.False(t, pane(t, s, Agent1).Pending)
}

// R-C9: a response left pending raises a reminder after the delay, through
// the injected clock, and the pane counts it.
func TestReminderIsRaisedForAnUnansweredChat(t *testing.T) {
	clock := chatconsulttest.NewManualClock()
	s := New(Config{Clock: clock, ReminderDelay: 10 * time.Second})
	act(t, s, ActRequest{Party: Contact, Action: "post", Text: "Hello"})
	press(t, s, Agent1, "accept-chat")
	clock.Advance(9 * time.Second)
	assert.Zero(t, pane(t, s, Agent1).Reminders, "not yet due")
	clock.Advance(2 * time.Second)
	assert.Equal(t, 1, pane(t, s, Agent1).Reminders)
	assert.Zero(t, pane(t, s, Agent2).Reminders, "agent2 owes nothing")
}

// A refused command is reported with the library's error and its status,
// and the acting pane comes back unchanged (R-X6).
func TestActReportsRefusals(t *testing.T) {
	w := newWeb(t)
	contact, agent1 := w.login(Contact), w.login(Agent1)
	code, out := w.act(agent1, ActRequest{Action: "post", Text: "Hi"}, nil)
	assert.Equal(t, http.StatusNotFound, code, "no chat yet")
	assert.Contains(t, out.Error, "no chat yet")
	assert.Equal(t, Agent1, out.Pane.Party, "the acting pane comes back")

	code, _ = w.act(contact, ActRequest{Action: "post", Text: "Hello"}, nil)
	assert.Equal(t, http.StatusOK, code)
	code, out = w.act(contact, ActRequest{Action: "accept-chat"}, nil)
	assert.Equal(t, http.StatusForbidden, code, "the contact has no chat offer")
	assert.Contains(t, out.Error, "not permitted")
	code, _ = w.act(contact, ActRequest{Action: "post", Text: "   "}, nil)
	assert.Equal(t, http.StatusBadRequest, code)
	code, _ = w.act(contact, ActRequest{Action: "teleport"}, nil)
	assert.Equal(t, http.StatusBadRequest, code, "unknown action")
}

// The event stream sends the pane at once and again after each
// notification the party gets (the live update of every pane).
func TestEventsStreamSendsThePaneOnEveryChange(t *testing.T) {
	w := newWeb(t)
	s := w.s
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	events := w.stream(ctx, w.login(Agent1))

	first := nextPane(t, events)
	assert.Equal(t, Agent1, first.Party, "the token's pane")
	assert.Empty(t, first.Status, "no chat yet")

	act(t, s, ActRequest{Party: Contact, Action: "post", Text: "Hello"})
	// The new chat on the desk and the offer to agent1 may come as one
	// update or two; wait for the offer.
	var offered Pane
	for offered.Membership != interaction.MemberInvited {
		offered = nextPane(t, events)
	}
	_, ok := button(offered, "accept-chat")
	assert.True(t, ok)
}

func nextPane(t *testing.T, r *bufio.Reader) Pane {
	t.Helper()
	_, p := nextEvent(t, r)
	return p
}

// nextEvent reads the next event of a pane's stream: its kind ("pane" or
// "delta") and what it carries.
func nextEvent(t *testing.T, r *bufio.Reader) (string, Pane) {
	t.Helper()
	var kind, data string
	for {
		line, err := r.ReadString('\n')
		require.NoError(t, err)
		line = strings.TrimRight(line, "\n")
		if line == "" && data != "" {
			break
		}
		if d, ok := strings.CutPrefix(line, "data: "); ok {
			data = d
		}
		if k, ok := strings.CutPrefix(line, "event: "); ok {
			kind = k
		}
	}
	var p Pane
	require.NoError(t, json.Unmarshal([]byte(data), &p))
	return kind, p
}

// Issue 19: a pane's stream reads a page when it connects and when a
// delta says the view must be read again (agent1 joins the chat and reads
// what the contact wrote before), and otherwise updates the pane from the
// deltas alone: every message after that comes as an update carrying that
// message only, numbered as the party's view numbers it, and the desk
// reads no page (nor any view) for it.
func TestEventsStreamUpdatesPanesFromDeltas(t *testing.T) {
	w := newWeb(t)
	s := w.s
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	agent1 := w.stream(ctx, w.login(Agent1))
	contact := w.stream(ctx, w.login(Contact))
	for _, r := range []*bufio.Reader{agent1, contact} {
		kind, p := nextEvent(t, r)
		assert.Equal(t, "pane", kind, "a pane whole when the stream connects")
		assert.Empty(t, p.Status)
	}

	act(t, s, ActRequest{Party: Contact, Action: "post", Text: "Hello"})
	press(t, s, Agent1, "accept-chat")
	// Until agent1 is in the chat, its stream reads pages (a new chat on
	// the desk, the offer, the join and its backlog).
	for {
		kind, p := nextEvent(t, agent1)
		if p.Membership == interaction.MemberJoined {
			require.Equal(t, "pane", kind, "the join shows the backlog: the page is read again")
			require.Equal(t, []string{"Hello"}, texts(p))
			break
		}
	}
	for {
		if _, p := nextEvent(t, contact); p.Status == interaction.StatusActive && len(p.Parties) == 2 {
			break
		}
	}

	reads := s.pageReads.Load()
	const n = 20
	for i := 1; i <= n; i++ {
		author := Contact
		if i%2 == 0 {
			author = Agent1
		}
		act(t, s, ActRequest{Party: author, Action: "post", Text: fmt.Sprintf("message %d", i)})
		for _, r := range []*bufio.Reader{agent1, contact} {
			kind, p := nextEvent(t, r)
			for kind == "delta" && len(p.Messages) == 0 && i == 1 {
				// The rest of the join's batch (its notice, the parties):
				// updates of the header, sent before the first message.
				kind, p = nextEvent(t, r)
			}
			require.Equal(t, "delta", kind, "message %d comes as an update", i)
			require.Len(t, p.Messages, 1, "an update carries the new message only: %+v", p)
			assert.Equal(t, fmt.Sprintf("message %d", i), p.Messages[0].Text)
			assert.Equal(t, uint32(i+1), p.Messages[0].Seq, "numbered as the party's view numbers it")
			assert.Equal(t, uint32(i+1), p.Total)
			assert.Equal(t, interaction.StatusActive, p.Status)
			assert.Len(t, p.Parties, 2)
		}
	}
	assert.Equal(t, reads, s.pageReads.Load(), "no page read for %d messages on two panes", n)

	// The contact ends the chat: an update too, with the buttons of now.
	act(t, s, ActRequest{Party: Contact, Action: "end"})
	kind, p := nextEvent(t, agent1)
	assert.Equal(t, "delta", kind)
	_, ok := button(p, "done")
	assert.True(t, ok, "agent1 may mark done once the chat ended (R-C8)")
	assert.Equal(t, reads, s.pageReads.Load())
}

// The page and its assets are embedded and served from the binary.
func TestPageIsEmbedded(t *testing.T) {
	srv := httptest.NewServer(newDesk(t).Handler())
	defer srv.Close()
	for path, want := range map[string]string{"/": `id="pane-agent2"`, "/desk.js": "EventSource", "/desk.css": ".pane"} {
		resp, err := http.Get(srv.URL + path)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode, path)
		assert.Contains(t, string(body), want, path)
	}
}

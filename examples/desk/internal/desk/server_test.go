package desk

import (
	"bufio"
	"context"
	"encoding/json"
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
	assert.Equal(t, "invited", pane(t, s, Agent2).Membership, "the invitation is on agent2's desk")
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
	var data string
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
	}
	var p Pane
	require.NoError(t, json.Unmarshal([]byte(data), &p))
	return p
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

package desk

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
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

// cast opens the three panes; the contact opens a chat, which routing
// offers to agent1, whose pane finds it in its invitations.
func (w web) cast() (contact, agent1, agent2 *client) {
	w.t.Helper()
	contact, agent1, agent2 = w.pane(Contact), w.pane(Agent1), w.pane(Agent2)
	contact.open("Hello")
	require.Equal(w.t, contact.id, agent1.find(), "agent1 is offered the contact's chat")
	return
}

// The desk plays consult → conference → owner leaves through the buttons
// its panes offer; each pane shows its party's view only (R-C5, R-C6,
// R-F2, R-F6).
func TestDeskButtonsPlayConsultConferenceOwnerLeaves(t *testing.T) {
	w := newWeb(t)
	contact, agent1, agent2 := w.pane(Contact), w.pane(Agent1), w.pane(Agent2)
	assert.True(t, canPost(interaction.Page{View: interaction.View{Viewer: Contact}}), "the contact writes first")
	assert.Empty(t, agent1.find(), "no chat for agent1 yet")

	contact.open("Hello")
	agent1.find()
	agent1.press("accept-chat")
	agent1.must("post", map[string]any{"text": "Let me check."})
	assert.Empty(t, agent2.find(), "agent2 is not in the chat yet")

	agent1.press("consult")
	require.Equal(t, contact.id, agent2.find(), "agent2 finds the consultation in its invitations")
	agent2.press("accept")
	p2 := agent2.page()
	assert.Equal(t, []string{"Hello", "Let me check."}, texts(p2)[:2], "R-C6: the target reads the chat")
	require.NotEmpty(t, sayLeg(p2))
	agent2.must("say", map[string]any{"leg": sayLeg(p2), "text": "Secret advice"})
	assert.Equal(t, []string{"Hello", "Let me check."}, texts(contact.page()), "R-C5")
	p1 := agent1.page()
	assert.Equal(t, interaction.ScopeLeg, p1.Messages[len(p1.Messages)-1].Scope.Kind)
	assert.True(t, agent1.pending(), "R-C9: agent1 owes agent2 an answer in the consultation")
	_, ok := button(p1, "transfer")
	assert.True(t, ok, "R-T1: an active consultation can become a transfer")

	agent1.press("conference")
	_, ok = button(agent1.page(), "conference")
	assert.False(t, ok, "no second request while one is pending")
	agent2.press("accept-request")
	assert.Equal(t, interaction.RoleMember, agent2.page().Role)
	_, ok = button(agent1.page(), "remove")
	assert.True(t, ok, "R-F5: the owner can remove the member")

	agent1.press("end")
	assert.Equal(t, interaction.RoleOwner, agent2.page().Role, "R-F6: agent2 takes over")
	contact.must("post", map[string]any{"text": "Thanks"})
	assert.NotContains(t, texts(agent1.page()), "Thanks", "agent1 left")
	assert.NotContains(t, texts(contact.page()), "Secret advice", "R-C5 after the conference")
	_, ok = button(agent1.page(), "done")
	assert.True(t, ok, "agent1's part is over: it can mark done (R-C8)")
}

// R-C3: a declined consultation leaves the chat off the target's desk,
// and the owner reads the system message saying so.
func TestDeclineTakesTheChatOffTheTargetsDesk(t *testing.T) {
	w := newWeb(t)
	contact, agent1, agent2 := w.cast()
	agent1.press("accept-chat")
	agent1.press("consult")
	agent2.find()
	assert.Equal(t, interaction.MemberInvited, agent2.page().Membership, "the invitation is on agent2's desk")
	agent2.press("decline")
	p2 := agent2.page()
	assert.True(t, onlyOff(p2), "the pane shows no chat: %s", p2.Membership)
	assert.Empty(t, actionsFor(p2))
	assert.Contains(t, texts(agent1.page()), "agent2 declined the consultation")
	assert.NotContains(t, texts(contact.page()), "agent2 declined the consultation", "R-C3: only the owner is told")
}

// R-C9 (package signals): an unanswered contact message is pending for
// the engaged agent, and answering clears it.
func TestPendingReminderFollowsTheLastMessage(t *testing.T) {
	w := newWeb(t)
	contact, agent1, _ := w.cast()
	assert.False(t, agent1.pending(), "an offer is not yet a chat to answer")
	agent1.press("accept-chat")
	assert.True(t, agent1.pending())
	assert.False(t, contact.pending(), "the contact owes nothing")
	agent1.must("post", map[string]any{"text": "Hi"})
	assert.False(t, agent1.pending())
}

// R-C9: a response left pending raises a reminder after the delay, through
// the injected clock, and the pane's stream tells it.
func TestReminderIsRaisedForAnUnansweredChat(t *testing.T) {
	clock := chatconsulttest.NewManualClock()
	w := newWebOn(t, New(Config{Clock: clock, ReminderDelay: 10 * time.Second}))
	_, agent1, agent2 := w.cast()
	agent1.press("accept-chat")
	accepted := clock.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r := agent1.stream(ctx, "deltas", strconv.FormatUint(agent1.page().Changes, 10))
	clock.Advance(9 * time.Second)
	clock.Advance(2 * time.Second)
	kind, id, d := nextDelta(t, r)
	require.Equal(t, "reminder", kind, "the first thing on the stream is the reminder")
	assert.Empty(t, id, "a signal has no id")
	assert.Equal(t, Agent1, d.Event.Party)
	assert.Equal(t, uint32(1), d.Event.Seq, "one reminder")
	assert.False(t, d.Event.Time.Before(accepted.Add(10*time.Second)), "not due before the delay")
	assert.False(t, agent2.pending(), "agent2 owes nothing")
}

// A refused command is reported with the library's problem and its
// status, and writes nothing (R-X6).
func TestRefusalsAreReported(t *testing.T) {
	w := newWeb(t)
	contact, agent1 := w.pane(Contact), w.pane(Agent1)
	agent1.id = "1"
	code, out := agent1.do("post", map[string]any{"text": "Hi"})
	assert.Equal(t, http.StatusNotFound, code, "no chat yet")
	assert.Contains(t, out, "no such interaction")

	contact.open("Hello")
	before := w.events()
	code, out = contact.do("join", nil)
	assert.Equal(t, http.StatusForbidden, code, "the contact has no chat offer")
	assert.Contains(t, out, "not_permitted")
	code, _ = contact.do("post", map[string]any{"text": "   "})
	assert.Equal(t, http.StatusUnprocessableEntity, code)
	code, _ = contact.do("teleport", nil)
	assert.Equal(t, http.StatusNotFound, code, "unknown command")
	assert.Equal(t, before, w.events())
}

// The delta stream tells a pane at once of what happens in its chat:
// agent1's offer is on its page (the accept button with it), and its join
// is on the contact's stream, whose deltas keep the contact's page.
func TestDeltaStreamTellsThePaneOfEveryChange(t *testing.T) {
	w := newWeb(t)
	contact, agent1, _ := w.cast()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, ok := button(agent1.page(), "accept-chat")
	assert.True(t, ok, "agent1 is offered the chat")
	pg := contact.page()
	r := contact.stream(ctx, "deltas", strconv.FormatUint(pg.Changes, 10))
	agent1.press("accept-chat")
	for pg.Status != interaction.StatusActive {
		kind, _, d := nextDelta(t, r)
		require.Equal(t, "delta", kind)
		require.True(t, pg.Apply(d), "the delta applies to the page")
	}
	want := contact.page()
	assert.Equal(t, texts(want), texts(pg))
	assert.Equal(t, want.Parties, pg.Parties)
	_, ok = button(pg, "end")
	assert.True(t, ok, "the contact may end the chat")
}

// Issue 19 over the API: a pane reads a page when it puts its chat on it
// and when a delta says Reset (agent1 joins and reads what the contact
// wrote before), and otherwise keeps it from the deltas alone: every
// message comes as one delta carrying that message only, numbered as the
// party's view numbers it, and no page (nor any view) is read for it.
func TestPanesFollowTheDeltaStream(t *testing.T) {
	w := newWeb(t)
	s := w.s
	contact, agent1, _ := w.cast()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pages := map[*client]*interaction.Page{}
	streams := map[*client]*bufio.Reader{}
	for _, c := range []*client{agent1, contact} {
		pg := c.page()
		pages[c] = &pg
		streams[c] = c.stream(ctx, "deltas", strconv.FormatUint(pg.Changes, 10))
	}
	agent1.press("accept-chat")
	// The join is a Reset for agent1: it reads the backlog.
	for {
		kind, id, d := nextDelta(t, streams[agent1])
		require.Equal(t, "delta", kind)
		require.Equal(t, strconv.FormatUint(d.Changes, 10), id, "a delta's id is its change count")
		if !pages[agent1].Apply(d) {
			require.True(t, d.Reset, "only a Reset makes the pane read its page again")
			pg := agent1.page()
			pages[agent1] = &pg
		}
		if pages[agent1].Membership == interaction.MemberJoined {
			break
		}
	}
	require.Equal(t, []string{"Hello"}, texts(*pages[agent1]), "the backlog")
	for pages[contact].Status != interaction.StatusActive || len(pages[contact].Parties) != 2 {
		_, _, d := nextDelta(t, streams[contact])
		require.True(t, pages[contact].Apply(d))
	}

	reads := s.pageReads.Load()
	const n = 20
	for i := 1; i <= n; i++ {
		author := contact
		if i%2 == 0 {
			author = agent1
		}
		author.must("post", map[string]any{"text": fmt.Sprintf("message %d", i)})
		for _, c := range []*client{agent1, contact} {
			kind, _, d := nextDelta(t, streams[c])
			for kind == "delta" && d.Message == nil && i == 1 {
				// The rest of the join's batch (its notice, the parties):
				// changes of the header, sent before the first message.
				require.True(t, pages[c].Apply(d), "%s keeps its page", c.party)
				kind, _, d = nextDelta(t, streams[c])
			}
			require.Equal(t, "delta", kind, "message %d comes as a delta", i)
			require.False(t, d.Reset)
			require.NotNil(t, d.Message)
			assert.Equal(t, fmt.Sprintf("message %d", i), d.Message.Text, "a delta carries the new message only")
			assert.Equal(t, uint32(i+1), d.Message.Seq, "numbered as the party's view numbers it")
			assert.Equal(t, uint32(i+1), d.Total)
			require.True(t, pages[c].Apply(d), "%s keeps its page", c.party)
			assert.Equal(t, interaction.StatusActive, pages[c].Status)
			assert.Len(t, pages[c].Parties, 2)
		}
	}
	assert.Equal(t, reads, s.pageReads.Load(), "no page read for %d messages on two panes", n)

	// The contact ends the chat: a delta too, and the buttons of now.
	contact.must("end", nil)
	for pages[agent1].Status != interaction.StatusEnded {
		_, _, d := nextDelta(t, streams[agent1])
		require.True(t, pages[agent1].Apply(d))
	}
	_, ok := button(*pages[agent1], "done")
	assert.True(t, ok, "agent1 may mark done once the chat ended (R-C8)")
	assert.Equal(t, reads, s.pageReads.Load())
	// What the deltas kept is the page.
	for _, c := range []*client{agent1, contact} {
		assert.Equal(t, texts(c.page()), texts(*pages[c]), "%s's kept page", c.party)
	}
}

// The page and its assets are embedded and served from the binary; the
// desk serves nothing else of its own but /login (and the API).
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
	for _, path := range []string{"/pane", "/events", "/act"} {
		resp, err := http.Post(srv.URL+path, "application/json", nil)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Contains(t, []int{http.StatusNotFound, http.StatusMethodNotAllowed}, resp.StatusCode, "the desk's old %s is gone", path)
	}
}

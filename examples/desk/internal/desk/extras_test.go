package desk

import (
	"bufio"
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/interaction"
)

// nextTyping reads the pane's delta stream up to its next "typing" event.
func nextTyping(t *testing.T, r *bufio.Reader) interaction.Event {
	t.Helper()
	for {
		kind, id, d := nextDelta(t, r)
		if kind == "typing" {
			assert.Empty(t, id, "a signal has no id")
			return d.Event
		}
	}
}

// nameIn is how the page's viewer names p (desk.js's nameIn).
func nameIn(pg interaction.Page, p interaction.PartyID) string {
	for _, q := range pg.Parties {
		if q.ID == p && q.Name != "" {
			return q.Name
		}
	}
	return string(p)
}

// Issue 17 on the desk: typing goes to the panes of whom a message there
// would reach — typing in the consultation to agent2's and never the
// contact's (R-C5), typing in the chat to the contact's by the agent's
// contact-facing name — and lasts until its deadline.
func TestTypingReachesOnlyThePanesThatWouldSeeTheMessage(t *testing.T) {
	w := newWeb(t)
	contact, agent1, agent2 := w.cast()
	agent1.press("accept-chat")
	agent1.press("consult")
	agent2.find()
	agent2.press("accept")
	leg := sayLeg(agent2.page())
	require.NotEmpty(t, leg)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	streams := map[*client]*bufio.Reader{}
	for _, c := range []*client{contact, agent2} {
		streams[c] = c.stream(ctx, "deltas", strconv.FormatUint(c.page().Changes, 10))
	}

	now := w.s.clock.Now()
	agent1.must("typing", map[string]any{"leg": leg})
	ty := nextTyping(t, streams[agent2])
	assert.Equal(t, Agent1, ty.Actor)
	assert.Equal(t, "agent1", nameIn(agent2.page(), ty.Actor))
	assert.Equal(t, interaction.ScopeLeg, ty.Scope.Kind, "in the consultation")
	assert.Equal(t, leg, ty.Leg)
	assert.Equal(t, now.Add(interaction.TypingExpiry), ty.Deadline, "it lasts until its deadline")
	// Then in the chat: the contact's stream keeps the order, so the first
	// typing it carries must be this one, not the consultation's.
	agent1.must("typing", nil)
	ty = nextTyping(t, streams[contact])
	assert.Equal(t, interaction.ContactAgentID(1), ty.Actor, "R-C5: by the agent's contact-facing ID")
	assert.Equal(t, "Agent 1", nameIn(contact.page(), ty.Actor), "and name")
	assert.NotEqual(t, interaction.ScopeLeg, ty.Scope.Kind, "the contact is told of typing in the chat only")
	assert.Equal(t, now.Add(interaction.TypingExpiry), ty.Deadline)
	// Refused where the message would be: the contact types in no leg.
	code, _ := contact.do("typing", map[string]any{"leg": leg})
	assert.GreaterOrEqual(t, code, 400)
}

type file struct {
	Name      string `json:"name"`
	MediaType string `json:"media_type"`
	Size      int64  `json:"size"`
	Ref       string `json:"ref"`
}

// files are the attachments of the page's messages, without their refs.
func files(pg interaction.Page) []file {
	var out []file
	for _, m := range pg.Messages {
		for _, a := range pg.Attachments[m.Seq] {
			out = append(out, file{Name: a.Name, MediaType: a.MediaType, Size: a.Size})
		}
	}
	return out
}

// Read receipts and attachments on the desk's panes (issue 17): the
// contact sees that agent1 read, never that agent2 read the chat or the
// consultation (R-C5); an attachment shows its name and size where its
// message shows, and a consultation's is never on the contact's pane.
func TestPanesShowReceiptsAndAttachments(t *testing.T) {
	w := newWeb(t)
	contact, agent1, agent2 := w.cast()
	agent1.press("accept-chat")
	agent1.must("post", map[string]any{"text": "See the invoice", "attachments": []file{{Name: "invoice.pdf", MediaType: "application/pdf", Size: 2048, Ref: "f1"}}})
	agent1.must("read", map[string]any{"seq": 1})
	contact.must("read", map[string]any{"seq": 2})
	agent1.press("consult")
	agent2.find()
	agent2.press("accept")
	agent2.must("say", map[string]any{"leg": sayLeg(agent2.page()), "text": "The ledger", "attachments": []file{{Name: "ledger.xlsx", MediaType: "application/vnd.ms-excel", Size: 4096, Ref: "f2"}}})
	agent2.must("read", map[string]any{"seq": agent2.page().Total})
	agent1.must("read", map[string]any{"seq": agent1.page().Total})

	c := contact.page()
	assert.Equal(t, []string{string(interaction.ContactAgentID(1)) + ":1"}, receipts(c),
		"the contact sees agent1 read its message, not that anyone read the consultation or that agent2 read (R-C5)")
	assert.Equal(t, "Agent 1", nameIn(c, interaction.ContactAgentID(1)))
	assert.Equal(t, []file{{Name: "invoice.pdf", MediaType: "application/pdf", Size: 2048}}, files(c), "R-C5: the contact sees the chat's attachment only")
	p1 := agent1.page()
	last := p1.Messages[len(p1.Messages)-1]
	assert.Equal(t, "The ledger", last.Text)
	assert.Equal(t, []file{{Name: "invoice.pdf", MediaType: "application/pdf", Size: 2048}, {Name: "ledger.xlsx", MediaType: "application/vnd.ms-excel", Size: 4096}}, files(p1))
	var readers []interaction.PartyID
	for _, r := range p1.Receipts {
		if r.Party != Agent1 {
			readers = append(readers, r.Party)
		}
	}
	assert.ElementsMatch(t, []interaction.PartyID{Contact, Agent2}, readers, "agent1 sees how far the contact and agent2 read")

	// A bad attachment is the library's to refuse, and writes nothing.
	before := agent1.page().Total
	code, _ := agent1.do("post", map[string]any{"text": "x", "attachments": []file{{Name: "a/b", MediaType: "text/plain", Size: 1, Ref: "f3"}}})
	assert.Equal(t, http.StatusUnprocessableEntity, code)
	code, _ = agent1.do("post", map[string]any{"text": "x", "attachments": []file{{Name: "a.txt", MediaType: "text/plain", Size: 0, Ref: "f4"}}})
	assert.Equal(t, http.StatusUnprocessableEntity, code)
	assert.Equal(t, before, agent1.page().Total)
}

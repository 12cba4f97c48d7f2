package consult_test

// Attachments, typing and read receipts (issue 17): one test per
// visibility rule they extend (R-C5, R-X7, R-X8), and the story of an
// attachment in a consultation, then a conference and the owner leaving.

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/history"
	"github.com/chatconsult/chatconsult/interaction"
)

type extrasDesk struct {
	t     *testing.T
	clock *chatconsulttest.ManualClock
	store *interaction.MemoryStore
	note  *interaction.MemoryNotifier
	hist  *history.Projection
	chats *interaction.Service
	svc   *consult.Service
	id    interaction.ID
	subs  map[interaction.PartyID]*interaction.Subscription
	dsubs map[interaction.PartyID]*interaction.Subscription
}

func newExtrasDesk(t *testing.T, parties ...interaction.PartyID) *extrasDesk {
	t.Helper()
	d := &extrasDesk{t: t, clock: chatconsulttest.NewManualClock(), store: interaction.NewMemoryStore(), note: interaction.NewMemoryNotifier(),
		hist: history.New(), subs: map[interaction.PartyID]*interaction.Subscription{}, dsubs: map[interaction.PartyID]*interaction.Subscription{}}
	for _, p := range parties {
		d.subs[p] = d.note.Subscribe(p)
		d.dsubs[p] = d.note.SubscribeDeltas(p)
	}
	d.chats = interaction.NewService(interaction.WithStore(d.store), interaction.WithClock(d.clock),
		interaction.WithNotifier(interaction.Notifiers{d.note, d.hist}), interaction.WithSupervision(interaction.AnyoneMaySupervise),
		interaction.WithIDs(chatconsulttest.NewSequentialIDs("id-")))
	d.svc = consult.New(d.chats)
	id, err := d.chats.Open(ctx, "contact", "Hello, I need help with my invoice")
	require.NoError(t, err)
	require.NoError(t, d.chats.Assign(ctx, id, interaction.System, "agent1"))
	require.NoError(t, d.chats.Join(ctx, id, "agent1"))
	d.id = id
	return d
}

func (d *extrasDesk) do(actor interaction.PartyID, cmd interaction.Command) []interaction.Event {
	d.t.Helper()
	d.clock.Advance(time.Second)
	evs, err := d.chats.Do(ctx, d.id, actor, cmd)
	require.NoError(d.t, err)
	return evs
}

func (d *extrasDesk) view(p interaction.PartyID) interaction.View {
	d.t.Helper()
	v, err := d.chats.View(ctx, d.id, p)
	require.NoError(d.t, err)
	return v
}

// everything is every read path of party p, as text: its view and a page
// (JSON), every event and delta its subscriptions delivered (JSON), its
// exports (JSON and text, whole and streamed, from the state and from
// history) and, where it has one, its history transcript and attachments.
func (d *extrasDesk) everything(p interaction.PartyID) string {
	d.t.Helper()
	var b bytes.Buffer
	v := d.view(p)
	require.NoError(d.t, json.NewEncoder(&b).Encode(v))
	pg, err := d.chats.Page(ctx, d.id, p, interaction.PageRequest{Last: interaction.AllMessages})
	require.NoError(d.t, err)
	require.NoError(d.t, json.NewEncoder(&b).Encode(pg))
	for _, ev := range d.subs[p].Drain() {
		require.NoError(d.t, json.NewEncoder(&b).Encode(ev))
	}
	for _, dl := range d.dsubs[p].DrainDeltas() {
		require.NoError(d.t, json.NewEncoder(&b).Encode(dl))
	}
	require.NoError(d.t, d.chats.Read(ctx, d.id, func(st *interaction.State) error {
		x, err := history.NewExport(st, p)
		if err != nil {
			return err
		}
		if err := x.WriteJSON(&b); err != nil {
			return err
		}
		if err := x.WriteText(&b); err != nil {
			return err
		}
		if err := history.WriteJSONExport(&b, st, p); err != nil {
			return err
		}
		return history.WriteTextExport(&b, st, p)
	}))
	x, err := d.hist.Export(ctx, d.id, p)
	require.NoError(d.t, err)
	require.NoError(d.t, x.WriteJSON(&b))
	if tr, err := d.hist.Transcript(ctx, d.id, p); err == nil {
		require.NoError(d.t, json.NewEncoder(&b).Encode(tr))
		atts, err := d.hist.TranscriptAttachments(ctx, d.id, p)
		require.NoError(d.t, err)
		require.NoError(d.t, json.NewEncoder(&b).Encode(atts))
	}
	return b.String()
}

var (
	secretFile = interaction.Attachment{Name: "internal-escalation.pdf", MediaType: "application/pdf", Size: 48213, Ref: "objstore-secret-7f3a"}
	publicFile = interaction.Attachment{Name: "invoice-4711.png", MediaType: "image/png", Size: 1024, Ref: "objstore-public-11c2"}
)

// The story of issue 17: an attachment in a consultation, then a
// conference and the owner leaving. The contact's view, notifications,
// exports and history never hold the attachment or its reference; the
// consultation target's do. Extends R-C5 (a consultation stays with its
// two agents) to attachments, through R-F2/R-F6 (conference, owner
// leaves) and R-X8 (exports).
func TestRC5AttachmentInConsultationConferenceOwnerLeaves(t *testing.T) {
	d := newExtrasDesk(t, "contact", "agent1", "agent2")
	d.do("agent1", interaction.Post{Text: "Hi, here is your invoice", Attachments: []interaction.Attachment{publicFile}})
	d.clock.Advance(time.Second)
	leg, err := d.svc.Start(ctx, d.id, "agent1", agent("agent2"), interaction.MediumChat)
	require.NoError(t, err)
	require.NoError(t, d.svc.Accept(ctx, d.id, "agent2", leg))
	d.do("agent1", consult.Say{Leg: leg, Text: "see the escalation file", Attachments: []interaction.Attachment{secretFile}})
	d.do("agent2", consult.Say{Leg: leg, Attachments: []interaction.Attachment{{Name: "reply.txt", MediaType: "text/plain", Size: 3, Ref: "objstore-secret-reply"}}})
	d.clock.Advance(time.Second)
	req, err := d.svc.Conference(ctx, d.id, "agent1", leg)
	require.NoError(t, err)
	require.NoError(t, d.svc.AcceptRequest(ctx, d.id, "agent2", req))
	d.do("agent1", interaction.Leave{})
	d.do("contact", interaction.Post{Text: "thanks, bye"})
	d.do("agent2", interaction.EndSession{})
	d.do("agent1", interaction.MarkDone{})
	d.do("agent2", interaction.MarkDone{})
	require.Equal(t, interaction.StatusClosed, d.view("agent2").Status)

	contact := d.everything("contact")
	for _, hidden := range []string{secretFile.Ref, secretFile.Name, "objstore-secret-reply", "reply.txt", "escalation"} {
		assert.NotContains(t, contact, hidden, "R-C5: the contact is shown a consultation attachment")
	}
	assert.Contains(t, contact, publicFile.Ref, "the contact's own chat attachment is on its read paths")
	target := d.everything("agent2")
	for _, shown := range []string{secretFile.Ref, secretFile.Name, "objstore-secret-reply", publicFile.Ref} {
		assert.Contains(t, target, shown, "the consultation target reads its leg's attachments")
	}
	// The target's view holds the consultation attachment on its message.
	v := d.view("agent2")
	var found bool
	for _, m := range v.Messages {
		if m.Scope.Kind == interaction.ScopeLeg && len(v.Attachments[m.Seq]) == 1 && v.Attachments[m.Seq][0] == secretFile {
			found = true
		}
	}
	assert.True(t, found, "the target's view: the attachment on its consultation message")

	// The download check follows the message.
	for _, c := range []struct {
		party interaction.PartyID
		ref   string
		may   bool
	}{
		{"contact", secretFile.Ref, false}, {"contact", publicFile.Ref, true},
		{"agent2", secretFile.Ref, true}, {"agent1", secretFile.Ref, true}, {"agent2", publicFile.Ref, true},
		{"stranger", publicFile.Ref, false}, {"contact", "objstore-unknown", false},
	} {
		ok, err := d.chats.MayFetch(ctx, d.id, c.party, c.ref)
		require.NoError(t, err)
		assert.Equal(t, c.may, ok, "MayFetch(%s, %s)", c.party, c.ref)
	}
	// Replay: the log rebuilds the same attachments.
	events, err := d.store.Load(ctx, d.id)
	require.NoError(t, err)
	st, err := interaction.Rebuild(events)
	require.NoError(t, err)
	rv, err := st.ViewFor("agent2")
	require.NoError(t, err)
	assert.Equal(t, v.Attachments, rv.Attachments)
}

// Typing goes where the message would (extends R-C5): typing in a
// consultation reaches its other agent and never the contact; typing in
// the chat reaches everyone in it, the contact seeing the agent under its
// contact-facing ID. It is not in the log, and it expires on the clock.
func TestRC5TypingInConsultationNeverReachesTheContact(t *testing.T) {
	d := newExtrasDesk(t, "contact", "agent1", "agent2")
	leg, err := d.svc.Start(ctx, d.id, "agent1", agent("agent2"), interaction.MediumChat)
	require.NoError(t, err)
	require.NoError(t, d.svc.Accept(ctx, d.id, "agent2", leg))
	for _, s := range d.subs {
		s.Drain()
	}
	before, _ := d.store.Load(ctx, d.id)

	_, err = d.chats.Typing(ctx, d.id, "agent1", consult.Say{Leg: leg})
	require.NoError(t, err)
	assert.Empty(t, d.subs["contact"].Drain(), "R-C5: typing in a consultation reached the contact")
	got := d.subs["agent2"].Drain()
	require.Len(t, got, 1)
	assert.Equal(t, interaction.EventTyping, got[0].Type)
	assert.Equal(t, interaction.PartyID("agent1"), got[0].Actor)
	assert.Equal(t, interaction.LegScope(leg), got[0].Scope)
	assert.Empty(t, d.subs["agent1"].Drain(), "the typist is not told of its own typing")
	for _, dl := range d.dsubs["contact"].DrainDeltas() {
		assert.NotEqual(t, interaction.EventTyping, dl.Event.Type, "R-C5: typing delta to the contact")
	}

	_, err = d.chats.Typing(ctx, d.id, "agent1", interaction.Post{})
	require.NoError(t, err)
	toContact := d.subs["contact"].Drain()
	require.Len(t, toContact, 1)
	assert.Equal(t, interaction.PartyID("agent-1"), toContact[0].Actor, "the contact sees its agent by its contact-facing ID")
	require.Len(t, d.subs["agent2"].Drain(), 1, "the target reads along the chat (R-C6): it would see the message")

	// Where the message would be refused, so is typing.
	_, err = d.chats.Typing(ctx, d.id, "agent2", interaction.Post{})
	assert.True(t, errors.Is(err, interaction.ErrNotPermitted), "a consultation target does not write to the contact: %v", err)
	_, err = d.chats.Typing(ctx, d.id, "contact", consult.Say{Leg: leg})
	assert.Error(t, err)
	_, err = d.chats.Typing(ctx, d.id, "agent1", interaction.Leave{})
	assert.True(t, errors.Is(err, interaction.ErrBadInput), "a draft that is no message: %v", err)
	_, err = d.chats.Typing(ctx, d.id, "agent1", interaction.Post{Attachments: []interaction.Attachment{{Name: "x", MediaType: "bad", Size: 1, Ref: "r"}}})
	assert.True(t, errors.Is(err, interaction.ErrBadInput), "bad attachments in a draft: %v", err)

	after, _ := d.store.Load(ctx, d.id)
	assert.Equal(t, len(before), len(after), "typing writes nothing")

	// Expiry on the injected clock, and a message ends it.
	var board interaction.TypingBoard
	ev, err := d.chats.Typing(ctx, d.id, "contact", interaction.Post{})
	require.NoError(t, err)
	assert.Equal(t, interaction.PartyID("contact"), ev.Actor)
	for _, e := range d.subs["agent1"].Drain() {
		board.Observe(e)
	}
	require.Len(t, board.Active(d.clock.Now()), 1)
	d.clock.Advance(interaction.TypingExpiry)
	assert.Empty(t, board.Active(d.clock.Now()), "typing expires on its own")
	_, err = d.chats.Typing(ctx, d.id, "contact", interaction.Post{})
	require.NoError(t, err)
	d.do("contact", interaction.Post{Text: "here"})
	for _, e := range d.subs["agent1"].Drain() {
		board.Observe(e)
	}
	assert.Empty(t, board.Active(d.clock.Now()), "the message ends its author's typing")
}

// Read receipts follow visibility (extends R-C5 and R-C6): the contact
// sees that its agent read its messages and never that anyone read a
// consultation message, nor a consultation target's reading; the agents
// see the contact's receipts of the shared transcript.
func TestRC5ReadReceiptsFollowVisibility(t *testing.T) {
	d := newExtrasDesk(t, "contact", "agent1", "agent2")
	d.do("agent1", interaction.Post{Text: "Hi"})
	leg, err := d.svc.Start(ctx, d.id, "agent1", agent("agent2"), interaction.MediumChat)
	require.NoError(t, err)
	require.NoError(t, d.svc.Accept(ctx, d.id, "agent2", leg))
	d.do("agent2", consult.Say{Leg: leg, Text: "secret"})
	d.do("contact", interaction.MarkRead{Seq: 2})
	assert.Equal(t, []interaction.Receipt{{Party: "contact", Seq: 2, Time: d.clock.Now()}}, d.view("agent1").Receipts, "the agent sees the contact's receipt")
	for _, s := range d.subs {
		s.Drain()
	}

	// agent1's messages: 1 contact, 2 Hi, 3 secret (a leg message).
	contactBefore := d.view("contact")
	evs := d.do("agent1", interaction.MarkRead{Seq: 3})
	require.Len(t, evs, 1)
	assert.Equal(t, contactBefore, d.view("contact"), "R-C5: the contact learns nothing of a consultation message read")
	assert.Empty(t, d.subs["contact"].Drain())
	assert.Len(t, d.subs["agent2"].Drain(), 1, "the leg's other agent is told")

	d.do("agent2", interaction.MarkRead{Seq: 2}) // the consultation target reads the chat
	assert.Equal(t, contactBefore, d.view("contact"), "R-C5: the contact is not told of a consultation target's reading")
	assert.Empty(t, d.subs["contact"].Drain())

	d.do("contact", interaction.Post{Text: "still there?"})
	d.do("agent1", interaction.MarkRead{Seq: 4})
	cv := d.view("contact")
	assert.Equal(t, []interaction.Receipt{{Party: "agent-1", Seq: 3, Time: d.clock.Now()}, {Party: "contact", Seq: 2, Time: cv.Receipts[1].Time}}, cv.Receipts,
		"the contact sees its agent read up to its own message 3, in its numbering")
	got := d.subs["contact"].Drain()
	require.NotEmpty(t, got)
	last := got[len(got)-1]
	assert.Equal(t, interaction.EventRead, last.Type)
	assert.Equal(t, interaction.PartyID("agent-1"), last.Actor)
	assert.Equal(t, uint32(3), last.Seq)

	// A receipt at or before the last one writes nothing; a number the
	// party has not is bad input; a stranger is refused.
	assert.Empty(t, d.do("agent1", interaction.MarkRead{Seq: 2}))
	_, err = d.chats.Do(ctx, d.id, "agent1", interaction.MarkRead{Seq: 99})
	assert.True(t, errors.Is(err, interaction.ErrBadInput))
	_, err = d.chats.Do(ctx, d.id, "stranger", interaction.MarkRead{Seq: 1})
	assert.Error(t, err)

	// A receipt told to the wrong parties is refused on load.
	events, err := d.store.Load(ctx, d.id)
	require.NoError(t, err)
	for i := range events {
		if events[i].Type == interaction.EventRead && events[i].Scope.Kind == interaction.ScopeLeg {
			forged := append([]interaction.Event(nil), events...)
			forged[i].Scope, forged[i].Leg = interaction.Everyone, ""
			_, err := interaction.Rebuild(forged)
			assert.True(t, errors.Is(err, interaction.ErrCorruptLog), "a consultation receipt told to everyone: %v", err)
		}
	}
}

// A supervisor's reading is invisible to the contact and to the agent it
// monitors (extends R-X7); a supervisor does see typing where it would
// see the message.
func TestRX7SupervisorReadingIsInvisible(t *testing.T) {
	d := newExtrasDesk(t, "contact", "agent1", "sup")
	d.do("agent1", interaction.Post{Text: "Hi"})
	d.do("sup", interaction.Monitor{Agent: "agent1"})
	for _, s := range d.subs {
		s.Drain()
	}
	contactBefore, agentBefore := d.view("contact"), d.view("agent1")
	evs := d.do("sup", interaction.MarkRead{Seq: 2})
	require.Len(t, evs, 1)
	assert.Equal(t, interaction.PartyScope("sup"), evs[0].Scope)
	assert.Equal(t, contactBefore, d.view("contact"), "R-X7: the contact learns of the supervisor's reading")
	assert.Equal(t, agentBefore, d.view("agent1"), "R-X7: the monitored agent learns of the supervisor's reading")
	assert.Empty(t, d.subs["contact"].Drain())
	assert.Empty(t, d.subs["agent1"].Drain())
	assert.Equal(t, []interaction.Receipt{{Party: "sup", Seq: 2, Time: d.clock.Now()}}, d.view("sup").Receipts, "the supervisor sees its own")
	assert.Len(t, d.subs["sup"].Drain(), 1)

	_, err := d.chats.Typing(ctx, d.id, "contact", interaction.Post{})
	require.NoError(t, err)
	assert.Len(t, d.subs["sup"].Drain(), 1, "the supervisor would see the contact's message: it sees the typing")
	_, err = d.chats.Typing(ctx, d.id, "sup", interaction.Post{})
	assert.True(t, errors.Is(err, interaction.ErrNotPermitted), "a monitoring supervisor does not write to the contact, so does not type there: %v", err)
}

// Exports hold attachments exactly as the viewer's view does (extends
// R-X8): an agents' note's file is in the agents' exports, JSON and text,
// and not in the contact's.
func TestRX8ExportsHoldAttachmentsWithTheirMessages(t *testing.T) {
	d := newExtrasDesk(t, "contact", "agent1")
	note := interaction.Attachment{Name: "crm screenshot.png", MediaType: "image/png", Size: 777, Ref: "objstore-note-1"}
	d.do("agent1", interaction.Note{Text: "customer history", Attachments: []interaction.Attachment{note}})
	d.do("contact", interaction.Post{Attachments: []interaction.Attachment{publicFile}}) // a picture without text
	require.NoError(t, d.chats.Read(ctx, d.id, func(st *interaction.State) error {
		ax, err := history.NewExport(st, "agent1")
		require.NoError(t, err)
		var j, txt bytes.Buffer
		require.NoError(t, ax.WriteJSON(&j))
		require.NoError(t, ax.WriteText(&txt))
		assert.Contains(t, j.String(), `"ref": "objstore-note-1"`)
		assert.Contains(t, txt.String(), `[attached "crm screenshot.png" (image/png, 777 bytes) objstore-note-1]`)
		var streamed bytes.Buffer
		require.NoError(t, history.WriteTextExport(&streamed, st, "agent1"))
		assert.Equal(t, txt.String(), streamed.String())
		back, err := history.ReadExport(&j)
		require.NoError(t, err)
		assert.Equal(t, ax, back)

		cx, err := history.NewExport(st, "contact")
		require.NoError(t, err)
		var cj, ct bytes.Buffer
		require.NoError(t, cx.WriteJSON(&cj))
		require.NoError(t, cx.WriteText(&ct))
		for _, s := range []string{cj.String(), ct.String()} {
			assert.NotContains(t, s, "objstore-note-1")
			assert.NotContains(t, s, "crm screenshot")
			assert.Contains(t, s, publicFile.Ref)
		}
		return nil
	}))
}

// Bad attachments are bad input (R-X6), and nothing is written.
func TestAttachmentLimits(t *testing.T) {
	d := newExtrasDesk(t)
	ok := interaction.Attachment{Name: "a.pdf", MediaType: "application/pdf", Size: 10, Ref: "r1"}
	many := make([]interaction.Attachment, interaction.DefaultMaxAttachments+1)
	for i := range many {
		many[i] = ok
		many[i].Ref = "r" + strings.Repeat("x", i+1)
	}
	for name, atts := range map[string][]interaction.Attachment{
		"too many":      many,
		"too big":       {{Name: "a", MediaType: "a/b", Size: interaction.DefaultMaxAttachmentBytes + 1, Ref: "r"}},
		"empty":         {{Name: "a", MediaType: "a/b", Size: 0, Ref: "r"}},
		"no name":       {{MediaType: "a/b", Size: 1, Ref: "r"}},
		"path":          {{Name: "../etc/passwd", MediaType: "a/b", Size: 1, Ref: "r"}},
		"control":       {{Name: "a\nb", MediaType: "a/b", Size: 1, Ref: "r"}},
		"media type":    {{Name: "a", MediaType: "pdf", Size: 1, Ref: "r"}},
		"media params":  {{Name: "a", MediaType: "text/plain; charset=utf-8", Size: 1, Ref: "r"}},
		"ref blank":     {{Name: "a", MediaType: "a/b", Size: 1, Ref: ""}},
		"ref space":     {{Name: "a", MediaType: "a/b", Size: 1, Ref: "a b"}},
		"ref twice":     {ok, ok},
		"long name":     {{Name: strings.Repeat("n", interaction.MaxAttachmentNameBytes+1), MediaType: "a/b", Size: 1, Ref: "r"}},
		"invalid UTF-8": {{Name: "\xff", MediaType: "a/b", Size: 1, Ref: "r"}},
	} {
		before, _ := d.store.Load(ctx, d.id)
		_, err := d.chats.Do(ctx, d.id, "agent1", interaction.Post{Text: "x", Attachments: atts})
		assert.True(t, errors.Is(err, interaction.ErrBadInput), "%s: %v", name, err)
		after, _ := d.store.Load(ctx, d.id)
		assert.Equal(t, len(before), len(after), name)
	}
	_, err := d.chats.Do(ctx, d.id, "agent1", interaction.Post{})
	assert.True(t, errors.Is(err, interaction.ErrBadInput), "no text and no attachment")
	d.do("agent1", interaction.Post{Attachments: []interaction.Attachment{ok}})

	// A log with attachments no command could have written is refused.
	events, err := d.store.Load(ctx, d.id)
	require.NoError(t, err)
	last := len(events) - 1
	for name, mut := range map[string]func(*interaction.Event){
		"bad size": func(e *interaction.Event) {
			e.Attachments = interaction.NewFiles([]interaction.Attachment{{Name: "a", MediaType: "a/b", Size: -1, Ref: "r"}})
		},
		"on a notice":     func(e *interaction.Event) { e.Kind, e.Actor = interaction.KindNotice, interaction.System },
		"on a status":     func(e *interaction.Event) { e.Type = interaction.EventStatus },
		"typing in a log": func(e *interaction.Event) { e.Type = interaction.EventTyping },
	} {
		forged := append([]interaction.Event(nil), events...)
		mut(&forged[last])
		_, err := interaction.Rebuild(forged)
		assert.True(t, errors.Is(err, interaction.ErrCorruptLog), "%s: %v", name, err)
	}
}

package httpapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chatconsult/chatconsult/httpapi"
	"github.com/chatconsult/chatconsult/interaction"
)

// stream opens token's event stream of the fixture's interaction and
// hands its events over a channel, closed when the stream ends.
func (f *fixture) stream(token string) <-chan sseEvent {
	f.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	f.t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", f.srv.URL+f.path("events"), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		f.t.Fatalf("stream of %s: status %d", token, resp.StatusCode)
	}
	out := make(chan sseEvent, 256)
	go func() {
		defer close(out)
		defer resp.Body.Close()
		r := bufio.NewReader(resp.Body)
		for {
			e, err := readEvent(r)
			if err != nil {
				return
			}
			out <- e
		}
	}()
	return out
}

// nextTyping returns the next typing signal on the stream (the events of
// the log in between are skipped), or fails after a while.
func nextTyping(t *testing.T, events <-chan sseEvent, who string) interaction.Event {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case e, ok := <-events:
			if !ok {
				t.Fatalf("%s's stream ended", who)
			}
			if e.kind != "typing" {
				continue
			}
			if e.id != "" {
				t.Fatalf("%s: a typing signal with an event id %q: it is no fact of the log", who, e.id)
			}
			var ev interaction.Event
			if err := json.Unmarshal([]byte(e.data), &ev); err != nil {
				t.Fatal(err)
			}
			return ev
		case <-timeout:
			t.Fatalf("%s got no typing signal", who)
		}
	}
}

// consulting brings agent2 into a chat consultation of agent1's.
func (f *fixture) consulting() interaction.LegID {
	f.t.Helper()
	var leg httpapi.LegResult
	f.ok(f.do("POST", f.path("consult"), "t-agent1", `{"target":{"kind":"agent","id":"agent2"},"medium":"chat"}`, nil), 200, &leg)
	f.ok(f.do("POST", f.path("accept"), "t-agent2", `{"leg":"`+string(leg.Leg)+`"}`, nil), 200, nil)
	return leg.Leg
}

// Typing goes over the event streams to exactly whom a message there
// would reach (issue 17): typing in a consultation reaches its other agent
// and never the contact (R-C5); typing in the chat reaches the contact
// under the agent's contact-facing ID; the typist is not told; and the
// signal carries no event id (it is not in the log, so the streams'
// numbering is untouched).
func TestTypingOverTheStreams(t *testing.T) {
	f := newFixture(t, 0)
	leg := f.consulting()
	contact, agent1, agent2 := f.stream("t-contact"), f.stream("t-agent1"), f.stream("t-agent2")
	versionBefore := f.view("t-contact").Version

	var res httpapi.TypingResult
	f.ok(f.do("POST", f.path("typing"), "t-agent1", `{"leg":"`+string(leg)+`"}`, nil), 200, &res)
	if res.Deadline.IsZero() {
		t.Fatalf("typing answered no deadline")
	}
	got := nextTyping(t, agent2, "agent2")
	if got.Actor != "agent1" || got.Scope != interaction.LegScope(leg) || !got.Deadline.Equal(res.Deadline) {
		t.Fatalf("agent2 was told %+v", got)
	}
	// Then typing in the chat: the contact's stream delivers in order, so
	// the first typing signal it carries must be this one, not the leg's.
	f.ok(f.do("POST", f.path("typing"), "t-agent1", `{}`, nil), 200, nil)
	got = nextTyping(t, contact, "contact")
	if got.Scope != interaction.Everyone || got.Leg != "" {
		t.Fatalf("R-C5: the contact's stream carried typing in a consultation: %+v", got)
	}
	if got.Actor != interaction.ContactAgentID(1) {
		t.Fatalf("the contact is shown the typist as %q, not its contact-facing ID", got.Actor)
	}
	if got = nextTyping(t, agent2, "agent2"); got.Scope != interaction.Everyone || got.Actor != "agent1" {
		t.Fatalf("agent2 (reading the chat, R-C6) was told %+v", got)
	}
	// The contact types: both agents are told, the contact itself not.
	f.ok(f.do("POST", f.path("typing"), "t-contact", `{}`, nil), 200, nil)
	if got = nextTyping(t, agent1, "agent1"); got.Actor != "contact" {
		t.Fatalf("agent1's first typing signal is %+v: it was told of its own typing", got)
	}
	// Refused as the message would be: the contact writes in no leg, a
	// consultation target writes no note, and the leg must be the party's.
	if r := f.do("POST", f.path("typing"), "t-contact", `{"leg":"`+string(leg)+`"}`, nil); r.status < 400 {
		t.Fatalf("the contact typed in a consultation: %d %s", r.status, r.body)
	}
	f.problem(f.do("POST", f.path("typing"), "t-agent2", `{"note":true}`, nil), http.StatusForbidden, "not_permitted")
	f.problem(f.do("POST", f.path("typing"), "t-agent1", `{"leg":"`+string(leg)+`","note":true}`, nil), http.StatusUnprocessableEntity, "bad_input")
	f.problem(f.do("POST", f.path("typing"), "t-agent1", `{"party":"agent2"}`, nil), http.StatusBadRequest, "bad_request")
	// Typing writes nothing.
	if v := f.view("t-contact").Version; v != versionBefore {
		t.Fatalf("typing wrote: the contact's version went %d → %d", versionBefore, v)
	}
	// After all of that, the contact's stream holds no typing signal but
	// the chat's (agent1's): nothing of the leg arrived late.
	f.ok(f.do("POST", f.path("post"), "t-agent1", `{"text":"flush"}`, nil), 200, nil)
	for {
		select {
		case e := <-contact:
			if e.kind == "typing" {
				t.Fatalf("the contact's stream carried another typing signal: %s", e.data)
			}
			if e.kind == "message" && strings.Contains(e.data, `"flush"`) {
				return
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the contact never got the message")
		}
	}
}

// POST read marks the caller's transcript read up to its message seq; the
// receipt follows visibility (issue 17): the agents see the contact's, the
// contact sees its agent's, never a consultation target's reading of the
// chat nor anyone's of a consultation message (R-C5).
func TestMarkRead(t *testing.T) {
	f := newFixture(t, 0)
	f.ok(f.do("POST", f.path("post"), "t-agent1", `{"text":"Let me check."}`, nil), 200, nil)
	var res httpapi.EventsResult
	f.ok(f.do("POST", f.path("read"), "t-contact", `{"seq":2}`, nil), 200, &res)
	if len(res.Events) != 1 || res.Events[0].Type != interaction.EventRead {
		t.Fatalf("mark read answered %+v", res.Events)
	}
	if rs := f.view("t-agent1").Receipts; len(rs) != 1 || rs[0].Party != "contact" || rs[0].Seq != 2 {
		t.Fatalf("agent1 is shown receipts %+v", rs)
	}
	f.ok(f.do("POST", f.path("read"), "t-agent1", `{"seq":1}`, nil), 200, nil)
	leg := f.consulting()
	f.ok(f.do("POST", f.path("say"), "t-agent2", `{"leg":"`+string(leg)+`","text":"private"}`, nil), 200, nil)
	v2 := f.view("t-agent2")
	f.ok(f.do("POST", f.path("read"), "t-agent2", `{"seq":`+itoa(v2.Messages[1].Seq)+`}`, nil), 200, nil)
	v1 := f.view("t-agent1")
	f.ok(f.do("POST", f.path("read"), "t-agent1", `{"seq":`+itoa(v1.Messages[len(v1.Messages)-1].Seq)+`}`, nil), 200, nil)
	rs := f.view("t-contact").Receipts
	if len(rs) != 2 {
		t.Fatalf("the contact is shown receipts %+v: want its own and agent-1's only", rs)
	}
	for _, r := range rs {
		switch r.Party {
		case "contact":
		case interaction.ContactAgentID(1):
			if r.Seq != 1 {
				t.Fatalf("agent1 read a consultation message and the contact was told: %+v", r)
			}
		default:
			t.Fatalf("the contact is shown %+v (R-C5: agent2 is not in its chat)", r)
		}
	}
	found := false
	for _, r := range f.view("t-agent1").Receipts {
		found = found || r.Party == "agent2"
	}
	if !found {
		t.Fatal("agent1 is not shown agent2's receipt")
	}
	// No such message, or not a number.
	f.problem(f.do("POST", f.path("read"), "t-contact", `{"seq":99}`, nil), http.StatusUnprocessableEntity, "bad_input")
	f.problem(f.do("POST", f.path("read"), "t-contact", `{"seq":0}`, nil), http.StatusUnprocessableEntity, "bad_input")
	f.problem(f.do("POST", f.path("read"), "t-contact", `{"seq":"2"}`, nil), http.StatusBadRequest, "bad_request")
	f.problem(f.do("POST", f.path("read"), "t-contact", `{"seq":2,"party":"agent1"}`, nil), http.StatusBadRequest, "bad_request")
}

func itoa(n uint32) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// Attachments ride on post, say and note bodies; a bad one is 422 and
// writes nothing; one in a consultation or a note is never in the
// contact's view, its reference included (R-C5), and the consultation's
// other agent sees it.
func TestAttachments(t *testing.T) {
	f := newFixture(t, 0)
	before := f.view("t-contact").Version
	for name, att := range map[string]string{
		"no size":        `{"name":"a.pdf","media_type":"application/pdf","size":0,"ref":"r1"}`,
		"a path":         `{"name":"../a.pdf","media_type":"application/pdf","size":10,"ref":"r1"}`,
		"no media type":  `{"name":"a.pdf","media_type":"pdf","size":10,"ref":"r1"}`,
		"too large":      `{"name":"a.pdf","media_type":"application/pdf","size":1099511627777,"ref":"r1"}`,
		"a blank ref":    `{"name":"a.pdf","media_type":"application/pdf","size":10,"ref":"a b"}`,
		"a control char": `{"name":"a\u0007.pdf","media_type":"application/pdf","size":10,"ref":"r1"}`,
	} {
		p := f.problem(f.do("POST", f.path("post"), "t-agent1", `{"text":"see","attachments":[`+att+`]}`, nil), http.StatusUnprocessableEntity, "bad_input")
		if p.Detail == "" {
			t.Errorf("%s: no detail", name)
		}
	}
	many := strings.Repeat(`{"name":"a.pdf","media_type":"application/pdf","size":10,"ref":"rX"},`, 11)
	f.problem(f.do("POST", f.path("post"), "t-agent1", `{"text":"see","attachments":[`+strings.TrimSuffix(many, ",")+`]}`, nil), http.StatusUnprocessableEntity, "bad_input")
	f.problem(f.do("POST", f.path("post"), "t-agent1", `{"text":"see","attachments":[{"name":"a","size":"big"}]}`, nil), http.StatusBadRequest, "bad_request")
	if v := f.view("t-contact").Version; v != before {
		t.Fatalf("a refused attachment wrote: version %d → %d", before, v)
	}

	f.ok(f.do("POST", f.path("post"), "t-agent1", `{"attachments":[{"name":"invoice.pdf","media_type":"application/pdf","size":2048,"ref":"obj-shared"}]}`, nil), 200, nil)
	leg := f.consulting()
	f.ok(f.do("POST", f.path("say"), "t-agent1", `{"leg":"`+string(leg)+`","text":"the ledger","attachments":[{"name":"ledger.xlsx","media_type":"application/vnd.ms-excel","size":4096,"ref":"obj-secret"}]}`, nil), 200, nil)
	f.ok(f.do("POST", f.path("note"), "t-agent1", `{"text":"note","attachments":[{"name":"memo.txt","media_type":"text/plain","size":12,"ref":"obj-note"}]}`, nil), 200, nil)

	raw := f.do("GET", f.path("view"), "t-contact", "", nil)
	for _, secret := range []string{"obj-secret", "ledger.xlsx", "obj-note", "memo.txt"} {
		if strings.Contains(string(raw.body), secret) {
			t.Fatalf("R-C5: the contact's view holds %q: %s", secret, raw.body)
		}
	}
	cv := f.view("t-contact")
	if a := cv.Attachments[2]; len(a) != 1 || a[0].Name != "invoice.pdf" || a[0].Size != 2048 || a[0].Ref != "obj-shared" {
		t.Fatalf("the contact is shown attachments %+v", cv.Attachments)
	}
	has := func(v interaction.View, ref string) bool {
		for _, as := range v.Attachments {
			for _, a := range as {
				if a.Ref == ref {
					return true
				}
			}
		}
		return false
	}
	if v := f.view("t-agent2"); !has(v, "obj-secret") || !has(v, "obj-shared") {
		t.Fatalf("agent2 is shown attachments %+v", v.Attachments)
	}
	log := f.do("GET", f.path("log"), "t-contact", "", nil)
	if strings.Contains(string(log.body), "obj-secret") {
		t.Fatal("R-C5: the contact's log holds the consultation's attachment")
	}
}

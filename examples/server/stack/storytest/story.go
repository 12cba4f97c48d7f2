// Package storytest plays the seed's story over the HTTP API of a running
// stack (examples/server): the contact opens and is routed to a skill, the
// owner consults a skill privately, the consultation becomes a conference,
// the owner leaves, both mark done, My History. It checks each party's
// JSON view and its SSE stream. The in-memory server's test and the
// PostgreSQL server's test (pgstore/examples/server) both play it.
package storytest

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatconsult/chatconsult/examples/server/stack"
	"github.com/chatconsult/chatconsult/history"
	"github.com/chatconsult/chatconsult/httpapi"
	"github.com/chatconsult/chatconsult/interaction"
)

// client is one party's side of the HTTP API.
type client struct {
	t     *testing.T
	base  string
	token string
}

func (c client) call(method, path, body string, want int, into any) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		c.t.Fatalf("%s %s as %s: %d, want %d: %s", method, path, c.token, resp.StatusCode, want, b)
	}
	if into != nil {
		if err := json.Unmarshal(b, into); err != nil {
			c.t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
}

func (c client) view(id interaction.ID) interaction.View {
	c.t.Helper()
	var v interaction.View
	c.call("GET", "/v1/interactions/"+string(id)+"/view", "", 200, &v)
	return v
}

// stream is one party's SSE stream of an interaction, read as it comes.
type stream struct {
	mu     sync.Mutex
	events []sseEvent
	cancel context.CancelFunc
	done   chan struct{}
}

type sseEvent struct {
	id, kind string
	doc      map[string]any
}

func (c client) stream(id interaction.ID) *stream {
	c.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", c.base+"/v1/interactions/"+string(id)+"/events", nil)
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		cancel()
		c.t.Fatalf("stream as %s: %v %v", c.token, err, resp)
	}
	s := &stream{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		defer resp.Body.Close()
		r := bufio.NewReader(resp.Body)
		var ev sseEvent
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimRight(line, "\n")
			switch {
			case line == "":
				if ev.kind != "" {
					s.mu.Lock()
					s.events = append(s.events, ev)
					s.mu.Unlock()
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				ev.id = line[4:]
			case strings.HasPrefix(line, "event: "):
				ev.kind = line[7:]
			case strings.HasPrefix(line, "data: "):
				_ = json.Unmarshal([]byte(line[6:]), &ev.doc)
			}
		}
	}()
	return s
}

// until waits for the stream to reach event number n, then stops it and
// returns its events.
func (s *stream) until(t *testing.T, n uint64) []sseEvent {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s.mu.Lock()
		last := uint64(0)
		for _, e := range s.events {
			if e.id != "" {
				last, _ = strconv.ParseUint(e.id, 10, 64)
			}
		}
		s.mu.Unlock()
		if last >= n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stream stopped at event %d, want %d", last, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	s.cancel()
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.events
}

// The seed's story over HTTP, on the server's stack in memory: the
// contact opens a chat to the support skill and it is routed to agent1
// (R-C2); agent1 consults the billing skill (agent2), they talk privately
// (R-C5), agent1 turns it into a conference (R-F1) and leaves (R-F6);
// agent2 ends, both mark done (R-C8), and My History lists it for both
// (R-H3, they were both owners) without the consultation (R-H2). Each
// party's JSON view and SSE stream are checked: the contact never sees
// the consultation nor an agent's ID, and each stream is the party's
// events exactly once, numbered 1, 2, … up to its view's version.
// Play runs the story on a stack made of cfg (the tokens t-contact,
// t-agent1, t-agent2 and the agents agent1 (support) and agent2 (billing)
// of the server's defaults).
func Play(t *testing.T, cfg stack.Config) {
	t.Helper()
	st, err := stack.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(st.Handler)
	defer func() {
		srv.Close()
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	}()
	contact := client{t, srv.URL, "t-contact"}
	agent1 := client{t, srv.URL, "t-agent1"}
	agent2 := client{t, srv.URL, "t-agent2"}
	agent1.call("PUT", "/v1/me/presence", `{"presence":"ready"}`, 200, nil)
	agent2.call("PUT", "/v1/me/presence", `{"presence":"ready"}`, 200, nil)

	var open httpapi.OpenResult
	contact.call("POST", "/v1/interactions", `{"text":"I was charged twice","target":{"kind":"skill","id":"support"}}`, 201, &open)
	id := open.Interaction
	path := func(cmd string) string { return "/v1/interactions/" + string(id) + "/" + cmd }
	contactStream := contact.stream(id)

	var inv struct{ Invitations []httpapi.Invitation }
	agent1.call("GET", "/v1/me/invitations", "", 200, &inv)
	if len(inv.Invitations) != 1 || inv.Invitations[0].Interaction != id || inv.Invitations[0].Kind.String() != "chat" {
		t.Fatalf("agent1's invitations: %+v", inv)
	}
	agent1Stream := agent1.stream(id)
	agent1.call("POST", path("join"), "", 200, nil)

	var leg httpapi.LegResult
	agent1.call("POST", path("consult"), `{"target":{"kind":"skill","id":"billing"},"medium":"chat"}`, 200, &leg)
	agent2.call("GET", "/v1/me/invitations", "", 200, &inv)
	if len(inv.Invitations) != 1 || inv.Invitations[0].ID != interaction.InvitationID(leg.Leg) || inv.Invitations[0].Kind.String() != "consultation" {
		t.Fatalf("agent2's invitations: %+v", inv)
	}
	agent2Stream := agent2.stream(id)
	agent2.call("POST", path("accept"), `{"leg":"`+string(leg.Leg)+`"}`, 200, nil)
	agent1.call("POST", path("say"), `{"leg":"`+string(leg.Leg)+`","text":"Double charge on the March invoice?"}`, 200, nil)
	agent2.call("POST", path("say"), `{"leg":"`+string(leg.Leg)+`","text":"Known issue, I can refund it."}`, 200, nil)
	var req httpapi.RequestResult
	agent1.call("POST", path("conference"), `{"leg":"`+string(leg.Leg)+`"}`, 200, &req)
	agent2.call("POST", path("accept-request"), `{"request":"`+string(req.Request)+`"}`, 200, nil)
	agent2.call("POST", path("post"), `{"text":"I have refunded the second charge."}`, 200, nil)
	agent1.call("POST", path("leave"), "", 200, nil)
	agent2.call("POST", path("end"), "", 200, nil)
	agent2.call("POST", path("done"), "", 200, nil)
	agent1.call("POST", path("done"), "", 200, nil)

	private := []string{"Double charge on the March invoice?", "Known issue, I can refund it."}
	// The contact: its own message, the conference notice, agent2's
	// message under a contact-facing name; nothing of the consultation.
	cv := contact.view(id)
	var said []string
	for _, m := range cv.Messages {
		said = append(said, string(m.Author)+": "+m.Text)
	}
	want := "contact: I was charged twice|system: Agent 2 joined the conference|agent-2: I have refunded the second charge."
	if got := strings.Join(said, "|"); !strings.Contains(got, want) {
		t.Errorf("contact's messages:\n%s\nwant them to hold\n%s", got, want)
	}
	a1 := agent1.view(id)
	a2 := agent2.view(id)
	for _, v := range []interaction.View{a1, a2} {
		n := 0
		for _, m := range v.Messages {
			for _, p := range private {
				if m.Text == p {
					n++
				}
			}
		}
		if n != 2 {
			t.Errorf("%s sees %d of the 2 consultation messages", v.Viewer, n)
		}
	}
	if a2.Role.String() != "none" || cv.Status != interaction.StatusClosed && cv.Status != interaction.StatusEnded {
		t.Errorf("views after the story: agent2 role %s, contact status %s", a2.Role, cv.Status)
	}

	for _, c := range []struct {
		name   string
		s      *stream
		v      interaction.View
		secret bool // may see the consultation
	}{{"contact", contactStream, cv, false}, {"agent1", agent1Stream, a1, true}, {"agent2", agent2Stream, a2, true}} {
		events := c.s.until(t, c.v.Version)
		next := uint64(1)
		seenPrivate := false
		for _, e := range events {
			if e.id == "" {
				continue // a reminder
			}
			if e.id != strconv.FormatUint(next, 10) {
				t.Fatalf("%s's stream: event id %s, want %d (every event once, in order)", c.name, e.id, next)
			}
			next++
			if schema, _ := e.doc["schema"].(string); schema != "chatconsult.event/v2" {
				t.Fatalf("%s's stream: event document %v", c.name, e.doc)
			}
			b, _ := json.Marshal(e.doc)
			for _, p := range private {
				if strings.Contains(string(b), p) {
					seenPrivate = true
				}
			}
			if !c.secret && strings.Contains(string(b), "agent1") || !c.secret && strings.Contains(string(b), "agent2") {
				t.Errorf("the contact's stream names an agent: %s", b)
			}
		}
		if next-1 != c.v.Version {
			t.Errorf("%s's stream has %d events, its view version %d", c.name, next-1, c.v.Version)
		}
		if seenPrivate != c.secret {
			t.Errorf("%s's stream holds the consultation: %v, want %v", c.name, seenPrivate, c.secret)
		}
	}

	for _, a := range []client{agent1, agent2} {
		var h history.Page[history.Entry]
		a.call("GET", "/v1/me/history", "", 200, &h)
		if len(h.Items) != 1 || h.Items[0].Interaction != id {
			t.Fatalf("%s's My History: %+v", a.token, h)
		}
		b, _ := json.Marshal(h)
		for _, p := range private {
			if strings.Contains(string(b), p) {
				t.Errorf("%s's My History holds the consultation (R-H2): %s", a.token, b)
			}
		}
	}
}

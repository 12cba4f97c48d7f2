package chatconsult_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatconsult/chatconsult"
	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/observe"
	"github.com/chatconsult/chatconsult/routing"
)

// syncBuffer is a bytes.Buffer safe for the Scheduler's goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A consultation to a skill that its first agent does not answer in time
// is timed out and offered to the next agent (R-X1): the logger shows both
// lines, with the interaction and the agent, and the Observer is told of
// the time-out, the redirect and the commands with their outcomes.
func TestLogsTimeOutAndRedirect(t *testing.T) {
	ctx := context.Background()
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		}}))
	var mu sync.Mutex
	kinds := map[observe.Kind]int{}
	outcomes := map[string]int{}
	obs := observe.Func(func(_ context.Context, e observe.Event) {
		mu.Lock()
		defer mu.Unlock()
		kinds[e.Kind]++
		if e.Kind == observe.KindCommand {
			outcomes[e.Op+" "+e.Outcome]++
		}
	})
	clock := chatconsulttest.NewManualClock()
	sys := chatconsult.New(chatconsult.WithClock(clock), chatconsult.WithIDs(chatconsulttest.NewSequentialIDs("")),
		chatconsult.WithLogger(logger), chatconsult.WithObserver(obs))
	defer sys.Close()
	for _, a := range []chatconsult.Agent{
		{ID: "agent1", Skills: map[string]int{"support": 1}},
		{ID: "b1", Skills: map[string]int{"billing": 1}},
		{ID: "b2", Skills: map[string]int{"billing": 1}},
	} {
		if err := sys.Routing.Put(a); err != nil {
			t.Fatal(err)
		}
		if err := sys.Routing.SetPresence(ctx, a.ID, routing.Ready); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Second) // b1 idles longest after agent1: b1 first
	}
	id, err := sys.Chats.Open(ctx, "contact", "I was charged twice")
	if err != nil {
		t.Fatal(err)
	}
	if err := sys.Chats.Assign(ctx, id, interaction.System, "agent1"); err != nil {
		t.Fatal(err)
	}
	if err := sys.Chats.Join(ctx, id, "agent1"); err != nil {
		t.Fatal(err)
	}
	if err := sys.Chats.Join(ctx, id, "agent1"); err == nil {
		t.Fatal("a second join was not refused")
	}
	leg, err := sys.Consult.Start(ctx, id, "agent1", chatconsult.Target{Kind: interaction.TargetSkill, ID: "billing"}, interaction.MediumChat)
	if err != nil {
		t.Fatal(err)
	}
	first := sys.Routing.Invitations("b1")
	if len(first) != 1 || first[0].ID != interaction.InvitationID(leg) {
		t.Fatalf("b1's invitations = %+v, want leg %s", first, leg)
	}
	clock.Advance(31 * time.Second)
	waitFor(t, func() bool { return len(sys.Routing.Invitations("b2")) == 1 })

	out := logs.String()
	for _, want := range []string{
		`level=INFO msg="invitation timed out" interaction=` + string(id) + ` invitation=` + string(leg),
		`level=INFO msg="invitation offered on" interaction=` + string(id) + ` invitation=` + string(leg),
		`reason=timed_out agents=[b2]`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "I was charged twice") {
		t.Errorf("the log holds message text:\n%s", out)
	}
	mu.Lock()
	defer mu.Unlock()
	if kinds[observe.KindTimeOut] != 1 || kinds[observe.KindRedirect] != 1 {
		t.Errorf("observed %v, want one time-out and one redirect", kinds)
	}
	for _, want := range []string{"interaction.Open ok", "interaction.Join ok", "interaction.Join not_permitted", "consult.Start ok", "consult.Reroute ok"} {
		if outcomes[want] != 1 {
			t.Errorf("command outcomes %v: want one %q", outcomes, want)
		}
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatal("timed out waiting")
}

package interaction_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/interaction"
)

// The paged reads of issue 19, checked over the harness kit's random
// stories (chat, consultation, conference, transfer, removal, leaving and
// supervision, valid and deliberately invalid), run through a Service that
// lets anyone supervise.

// storyService runs stories on the kit's interaction ID, with a manual
// clock and sequential IDs so that a failure replays.
type storyService struct {
	svc   *interaction.Service
	clock *chatconsulttest.ManualClock
	notes *interaction.MemoryNotifier
}

func newStoryService() *storyService {
	clock := chatconsulttest.NewManualClock()
	notes := interaction.NewMemoryNotifier()
	svc := interaction.NewService(interaction.WithClock(clock), interaction.WithIDs(chatconsulttest.NewSequentialIDs("id-")),
		interaction.WithNotifier(notes), interaction.WithSupervision(interaction.AnyoneMaySupervise))
	return &storyService{svc: svc, clock: clock, notes: notes}
}

// do runs one step; a refused command is part of a story, not a failure.
// It reports whether the command was accepted.
func (ss *storyService) do(step chatconsulttest.Step) bool {
	id := step.Interaction
	if id == "" {
		id = chatconsulttest.StoryInteraction
	}
	ss.clock.Advance(time.Second)
	_, err := ss.svc.Do(context.Background(), id, step.Actor, step.Command)
	return err == nil
}

// state is the story's interaction now (nil before it opens).
func (ss *storyService) state(t *rapid.T) *interaction.State {
	st, err := ss.svc.State(context.Background(), chatconsulttest.StoryInteraction)
	if err != nil {
		return nil
	}
	return st
}

var storyGen = chatconsulttest.Gen{Supervisors: []interaction.PartyID{"super1", "super2"}}

// pageInto checks that State.PageInto, into a Page reused across every
// read of a story (other parties, other windows, earlier states), gives
// what Page gives, and returns the latter.
func pageInto(t *rapid.T, st *interaction.State, reused *interaction.Page, viewer interaction.PartyID, req interaction.PageRequest, what string) interaction.Page {
	pg, err := st.Page(viewer, req, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.PageInto(reused, viewer, req, nil); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(pg, *reused) {
		t.Fatalf("%s %+v: PageInto into a used page\n%+v\nPage\n%+v", what, req, *reused, pg)
	}
	return pg
}

// TestReadIndexProperty: every party's index of readable messages, kept
// incrementally by Apply (index.go), is what checking every message's
// visibility gives, after every step; and so is the index of the same
// state rebuilt from its events.
func TestReadIndexProperty(t *testing.T) {
	chatconsulttest.EnsureChecks(t, 300)
	rapid.Check(t, func(t *rapid.T) {
		story := storyGen.Story().Draw(t, "story")
		ss := newStoryService()
		for i, step := range story.Steps {
			ss.do(step)
			st := ss.state(t)
			if st == nil {
				continue
			}
			if d := interaction.CheckReadIndex(st); d != "" {
				t.Fatalf("after step %d (%s): %s", i+1, step, d)
			}
		}
		events, err := ss.svc.Store().Load(context.Background(), chatconsulttest.StoryInteraction)
		if err != nil || len(events) == 0 {
			return
		}
		st, err := interaction.Rebuild(events)
		if err != nil {
			t.Fatal(err)
		}
		if d := interaction.CheckReadIndex(st); d != "" {
			t.Fatalf("rebuilt: %s", d)
		}
	})
}

// windowOf is the part of v's messages with Seq first to last.
func windowOf(v interaction.View, first, last uint32) []interaction.Message {
	var out []interaction.Message
	for _, m := range v.Messages {
		if m.Seq >= first && m.Seq <= last {
			out = append(out, m)
		}
	}
	return out
}

// attachmentsOf is the part of v's attachments on the messages ms (nil: none).
func attachmentsOf(v interaction.View, ms []interaction.Message) map[uint32][]interaction.Attachment {
	var out map[uint32][]interaction.Attachment
	for _, m := range ms {
		if a, ok := v.Attachments[m.Seq]; ok {
			if out == nil {
				out = map[uint32][]interaction.Attachment{}
			}
			out[m.Seq] = a
		}
	}
	return out
}

// checkPage checks that pg is v with the window first..last.
func checkPage(t *rapid.T, what string, v interaction.View, pg interaction.Page, first, last uint32) {
	t.Helper()
	if pg.Total != uint32(len(v.Messages)) {
		t.Fatalf("%s: total %d, the view has %d messages", what, pg.Total, len(v.Messages))
	}
	want := v
	want.Messages = windowOf(v, first, last)
	want.Attachments = attachmentsOf(v, want.Messages)
	got := pg.View
	if len(got.Messages) == 0 {
		got.Messages = nil
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\npage %+v\nview %+v", what, got, want)
	}
}

// TestPageProperty: a page is the whole view with a window, for every
// party after every step and every form of request; paging back from the
// last page with Earlier reads the whole transcript, each message once.
func TestPageProperty(t *testing.T) {
	chatconsulttest.EnsureChecks(t, 300)
	rapid.Check(t, func(t *rapid.T) {
		story := storyGen.Story().Draw(t, "story")
		ss := newStoryService()
		var reused interaction.Page // read into again and again (PageInto)
		for i, step := range story.Steps {
			ss.do(step)
			st := ss.state(t)
			if st == nil {
				continue
			}
			for _, q := range st.Parties {
				v, err := st.ViewFor(q.ID)
				if err != nil {
					t.Fatal(err)
				}
				n := uint32(len(v.Messages))
				what := fmt.Sprintf("step %d (%s), %s", i+1, step, q.ID)
				k := rapid.IntRange(0, 4).Draw(t, "k")
				pg := pageInto(t, st, &reused, q.ID, interaction.PageRequest{Last: k}, what)
				want := k
				if want == 0 {
					want = interaction.DefaultPageSize
				}
				first := uint32(1)
				if uint32(want) < n {
					first = n - uint32(want) + 1
				}
				checkPage(t, what+fmt.Sprintf(" last %d", k), v, pg, first, n)
				// Page back to the start.
				seen := len(pg.Messages)
				for {
					req, ok := pg.Earlier(2)
					if !ok {
						break
					}
					last := pg.First() - 1
					pg = pageInto(t, st, &reused, q.ID, req, what)
					checkPage(t, what+fmt.Sprintf(" %+v", req), v, pg, max(1, last-1), last)
					seen += len(pg.Messages)
				}
				if seen != len(v.Messages) {
					t.Fatalf("%s: paging back read %d of %d messages", what, seen, n)
				}
				after := uint32(rapid.IntRange(0, int(n)+1).Draw(t, "after"))
				limit := rapid.IntRange(1, 3).Draw(t, "limit")
				pg = pageInto(t, st, &reused, q.ID, interaction.PageRequest{After: after, Limit: limit}, what)
				checkPage(t, what+fmt.Sprintf(" after %d limit %d", after, limit), v, pg, after+1, min(n, after+uint32(limit)))
			}
		}
	})
}

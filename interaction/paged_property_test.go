package interaction_test

import (
	"context"
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
func (ss *storyService) do(step chatconsulttest.Step) {
	id := step.Interaction
	if id == "" {
		id = chatconsulttest.StoryInteraction
	}
	ss.clock.Advance(time.Second)
	_, _ = ss.svc.Do(context.Background(), id, step.Actor, step.Command)
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

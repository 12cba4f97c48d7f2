package history_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/history"
	"github.com/chatconsult/chatconsult/interaction"
)

// The streamed exports write exactly the bytes of NewExport followed by
// WriteJSON or WriteText: the golden files, and every party's export of
// random stories (texts with controls, quotes, HTML characters, invalid
// UTF-8 refused at the door, supervisors, consultations).

func TestStreamedExportMatchesGolden(t *testing.T) {
	d, id := exportStory(t)
	st := d.state(id)
	for _, viewer := range []interaction.PartyID{"contact", "agent1", "agent2"} {
		var js, txt bytes.Buffer
		require.NoError(t, history.WriteJSONExport(&js, st, viewer))
		require.NoError(t, history.WriteTextExport(&txt, st, viewer))
		golden(t, string(viewer)+".json", js.Bytes())
		golden(t, string(viewer)+".txt", txt.Bytes())

		var pj, pt bytes.Buffer
		require.NoError(t, d.live.WriteExport(ctx, id, viewer, history.FormatJSON, &pj))
		require.NoError(t, d.live.WriteExport(ctx, id, viewer, history.FormatText, &pt))
		assert.Equal(t, js.String(), pj.String(), "the Projection streams what the Service's state does")
		assert.Equal(t, txt.String(), pt.String())
	}
	var out bytes.Buffer
	assert.ErrorIs(t, history.WriteJSONExport(&out, st, "stranger"), interaction.ErrNotPermitted, "R-X6")
	assert.ErrorIs(t, history.WriteTextExport(&out, st, "stranger"), interaction.ErrNotPermitted, "R-X6")
	assert.Zero(t, out.Len(), "nothing written for a stranger")
	assert.ErrorIs(t, d.live.WriteExport(ctx, "no-such", "contact", history.FormatJSON, &out), interaction.ErrNotFound)
}

func TestStreamedExportProperty(t *testing.T) {
	chatconsulttest.EnsureChecks(t, 200)
	gen := chatconsulttest.Gen{Supervisors: []interaction.PartyID{"super1"}}
	rapid.Check(t, func(t *rapid.T) {
		story := gen.Story().Draw(t, "story")
		clock := chatconsulttest.NewManualClock()
		svc := interaction.NewService(interaction.WithClock(clock), interaction.WithIDs(chatconsulttest.NewSequentialIDs("id-")),
			interaction.WithSupervision(interaction.AnyoneMaySupervise))
		bg := context.Background()
		for _, step := range story.Steps {
			clock.Advance(time.Second)
			id := step.Interaction
			if id == "" {
				id = chatconsulttest.StoryInteraction
			}
			_, _ = svc.Do(bg, id, step.Actor, step.Command)
		}
		err := svc.Read(bg, chatconsulttest.StoryInteraction, func(st *interaction.State) error {
			for _, p := range st.Parties {
				x, err := history.NewExport(st, p.ID)
				if err != nil {
					return err
				}
				var want, got bytes.Buffer
				if err := x.WriteJSON(&want); err != nil {
					return err
				}
				if err := history.WriteJSONExport(&got, st, p.ID); err != nil {
					return err
				}
				if want.String() != got.String() {
					t.Fatalf("JSON export of %s:\nstreamed %s\nwhole    %s", p.ID, got.String(), want.String())
				}
				want.Reset()
				got.Reset()
				if err := x.WriteText(&want); err != nil {
					return err
				}
				if err := history.WriteTextExport(&got, st, p.ID); err != nil {
					return err
				}
				if want.String() != got.String() {
					t.Fatalf("text export of %s:\nstreamed %s\nwhole    %s", p.ID, got.String(), want.String())
				}
			}
			return nil
		})
		if err != nil && !errors.Is(err, interaction.ErrNotFound) {
			t.Fatal(err)
		}
	})
}

// failingWriter fails from its first write on.
type failingWriter struct{ writes int }

func (f *failingWriter) Write(p []byte) (int, error) {
	f.writes++
	return 0, errors.New("client gone")
}

// A streamed export stops at the writer's first error.
func TestStreamedExportStopsOnWriteError(t *testing.T) {
	d := newDesk(t)
	id := d.chat("contact", "agent1")
	for i := 0; i < 400; i++ {
		require.NoError(t, d.chats.Post(ctx, id, "contact", "a message long enough that four hundred of them fill the buffer"))
	}
	st := d.state(id)
	for _, write := range []func(*failingWriter) error{
		func(w *failingWriter) error { return history.WriteJSONExport(w, st, "contact") },
		func(w *failingWriter) error { return history.WriteTextExport(w, st, "contact") },
	} {
		w := &failingWriter{}
		assert.EqualError(t, write(w), "client gone")
		assert.Equal(t, 1, w.writes, "one write tried, then it stops")
	}
}

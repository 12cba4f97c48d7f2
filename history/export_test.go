package history_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/history"
	"github.com/chatconsult/chatconsult/interaction"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// exportStory: the contact is with agent1, who notes something, consults
// agent2 privately and turns the consultation into a conference.
func exportStory(t *testing.T) (*desk, interaction.ID) {
	d := newDesk(t)
	id := d.chat("contact", "agent1")
	_, err := d.chats.Do(ctx, id, "agent1", interaction.Note{Text: "note: second complaint this month"})
	require.NoError(t, err)
	leg := d.consult(id, "agent1", "agent2")
	req, err := d.svc.Conference(ctx, id, "agent1", leg)
	require.NoError(t, err)
	require.NoError(t, d.svc.AcceptRequest(ctx, id, "agent2", req))
	require.NoError(t, d.chats.Post(ctx, id, "agent2", "Hello,\nI can refund you today."))
	d.finish(id, "contact", "agent1", "agent2")
	return d, id
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "export", name)
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./history -run TestRX8 -update to create it")
	assert.Equal(t, string(want), string(got), "golden file %s (rewrite with -update)", path)
}

// R-X8: an export holds exactly what its viewer may see (State.ViewFor):
// the contact's never a consultation message (R-C5), the consultation's
// agents theirs; the JSON form carries its schema name.
func TestRX8ExportPerViewer(t *testing.T) {
	d, id := exportStory(t)
	st := d.state(id)
	for _, viewer := range []interaction.PartyID{"contact", "agent1", "agent2"} {
		x, err := d.live.Export(ctx, id, viewer)
		require.NoError(t, err)
		direct, err := history.NewExport(st, viewer)
		require.NoError(t, err)
		assert.Equal(t, direct, x, "the Projection exports what the Service's state does")

		v, err := st.ViewFor(viewer)
		require.NoError(t, err)
		require.Len(t, x.Messages, len(v.Messages), "exactly the viewer's messages")
		for i, m := range x.Messages {
			assert.Equal(t, v.Messages[i].Seq, m.Seq)
			assert.Equal(t, v.Messages[i].Text, m.Text)
			assert.Equal(t, v.Messages[i].Scope.Kind.String(), m.Scope)
		}
		assert.Equal(t, history.SchemaV1, x.Schema)

		var js, txt bytes.Buffer
		require.NoError(t, x.WriteJSON(&js))
		require.NoError(t, x.WriteText(&txt))
		golden(t, string(viewer)+".json", js.Bytes())
		golden(t, string(viewer)+".txt", txt.Bytes())

		var raw map[string]any
		require.NoError(t, json.Unmarshal(js.Bytes(), &raw))
		assert.Equal(t, "chatconsult.transcript/v1", raw["schema"])
		back, err := history.ReadExport(bytes.NewReader(js.Bytes()))
		require.NoError(t, err)
		assert.Equal(t, x, back, "the JSON form reads back to the same export")

		hasConsult := strings.Contains(js.String(), "consultation:")
		switch viewer {
		case "contact":
			assert.False(t, hasConsult, "R-C5: never a consultation message for the contact")
			assert.NotContains(t, js.String(), "note:", "nor an agent note")
			assert.NotContains(t, js.String(), `"leg"`)
			assert.Empty(t, x.Consultations)
		default:
			assert.True(t, hasConsult, "R-X8: the consultation's own agents keep it in their export")
			assert.Len(t, x.Consultations, 1)
		}
	}
	_, err := d.live.Export(ctx, id, "stranger")
	assert.ErrorIs(t, err, interaction.ErrNotPermitted, "R-X6")
	_, err = d.live.Export(ctx, "no-such", "contact")
	assert.ErrorIs(t, err, interaction.ErrNotFound)
}

func TestReadExportChecksSchema(t *testing.T) {
	_, err := history.ReadExport(strings.NewReader(`{"schema":"chatconsult.transcript/v2"}`))
	assert.ErrorIs(t, err, interaction.ErrBadInput)
	_, err = history.ReadExport(strings.NewReader(`{"schema":`))
	assert.ErrorIs(t, err, interaction.ErrBadInput)
}

// An export written while a consultation's invitee was "agent" still
// reads: ReadExport takes either key (R-X8: an export per viewer).
func TestReadExportTakesTheOldAgentKey(t *testing.T) {
	for _, doc := range []string{
		`{"schema":"chatconsult.transcript/v1","consultations":[{"leg":"l1","owner":"agent1","agent":"agent2","target":"agent:agent2","medium":"chat","state":"ended","started":"2026-01-01T00:00:00Z"}]}`,
		`{"schema":"chatconsult.transcript/v1","consultations":[{"leg":"l1","owner":"agent1","invitee":"agent2","target":"agent:agent2","medium":"chat","state":"ended","started":"2026-01-01T00:00:00Z"}]}`,
	} {
		x, err := history.ReadExport(strings.NewReader(doc))
		require.NoError(t, err)
		require.Len(t, x.Consultations, 1)
		assert.Equal(t, interaction.PartyID("agent2"), x.Consultations[0].Invitee)
		assert.Equal(t, interaction.PartyID("agent1"), x.Consultations[0].Owner)
	}
}

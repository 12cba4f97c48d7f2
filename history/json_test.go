package history_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/history"
	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/internal/benchstory"
)

var updateJSON = flag.Bool("update-json", false, "rewrite testdata/json")

// My History of each agent and the activity history after the seed's
// story are pinned as chatconsult.history/v1 documents.
func TestHistoryJSONGolden(t *testing.T) {
	ctx := context.Background()
	proj := history.New()
	svc := interaction.NewService(interaction.WithNotifier(proj), interaction.WithClock(chatconsulttest.NewManualClock()),
		interaction.WithIDs(chatconsulttest.NewSequentialIDs("")))
	if _, err := benchstory.Consultation(ctx, svc); err != nil {
		t.Fatal(err)
	}
	docs := map[string]any{}
	for _, a := range []interaction.PartyID{"agent1", "agent2"} {
		pg, err := proj.MyHistory(ctx, a, history.Query{})
		if err != nil {
			t.Fatal(err)
		}
		docs["myhistory-"+string(a)+".json"] = pg
	}
	act, err := proj.Activity(ctx, history.Query{})
	if err != nil {
		t.Fatal(err)
	}
	docs["activity.json"] = act
	for name, v := range docs {
		got, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, '\n')
		path := filepath.Join("testdata", "json", name)
		if *updateJSON {
			_ = os.MkdirAll(filepath.Dir(path), 0o755)
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (go test ./history -run TestHistoryJSONGolden -update-json)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs:\n%s", path, got)
		}
	}
}

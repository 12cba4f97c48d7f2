package interaction_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/internal/benchstory"
)

var recordSchema = flag.Bool("record-schema", false, "record the fingerprint of a new JSON schema version in testdata/json/schemas.txt")

// stepClock moves one second each time it is read, from the harness's
// epoch: a story's times are distinct and the same on every run.
type stepClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Second)
	return c.now
}

func (c *stepClock) AfterFunc(d time.Duration, f func()) interaction.Timer {
	return interaction.SystemClock{}.AfterFunc(d, f)
}

// seedStory plays the seed's story (internal/benchstory: open, assign,
// consult, private messages, conference, owner leaves, end, both mark
// done) with every party subscribed, and returns the final state and the
// events each party was delivered.
func seedStory(t *testing.T) (*interaction.State, map[interaction.PartyID][]interaction.Event) {
	t.Helper()
	n := interaction.NewMemoryNotifier()
	parties := []interaction.PartyID{"contact", "agent1", "agent2"}
	subs := map[interaction.PartyID]*interaction.Subscription{}
	for _, p := range parties {
		subs[p] = n.Subscribe(p)
	}
	svc := interaction.NewService(interaction.WithNotifier(n), interaction.WithClock(&stepClock{now: chatconsulttest.Epoch}),
		interaction.WithIDs(chatconsulttest.NewSequentialIDs("")))
	ctx := context.Background()
	id, err := benchstory.Consultation(ctx, svc)
	if err != nil {
		t.Fatal(err)
	}
	st, err := svc.State(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	got := map[interaction.PartyID][]interaction.Event{}
	for _, p := range parties {
		got[p] = subs[p].Drain()
	}
	return st, got
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "json", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./interaction -run TestJSONGolden -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (a format change needs a new schema version; a change of what a party sees, a review and -update):\n%s", path, got)
	}
}

func indent(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

// The views of each party after the seed's story, and the events each was
// delivered during it, are pinned as JSON documents (issue 16); each
// decodes back to the same Go value.
func TestJSONGolden(t *testing.T) {
	st, events := seedStory(t)
	for _, p := range []interaction.PartyID{"contact", "agent1", "agent2"} {
		v, err := st.ViewFor(p)
		if err != nil {
			t.Fatal(err)
		}
		b := indent(t, v)
		golden(t, "view-"+string(p)+".json", b)
		var back interaction.View
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, v) {
			t.Errorf("%s: view decoded as\n%+v\nwant\n%+v", p, back, v)
		}
		evs := events[p]
		for i := range evs {
			evs[i].Fingerprint = 0 // not on the wire
		}
		b = indent(t, evs)
		golden(t, "events-"+string(p)+".json", b)
		var backEvents []interaction.Event
		if err := json.Unmarshal(b, &backEvents); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(backEvents, evs) {
			t.Errorf("%s: events decoded differently", p)
		}
		pg, err := st.Page(p, interaction.PageRequest{Last: 2}, nil)
		if err != nil {
			t.Fatal(err)
		}
		b = indent(t, pg)
		golden(t, "page-"+string(p)+".json", b)
		var backPage interaction.Page
		if err := json.Unmarshal(b, &backPage); err != nil || !reflect.DeepEqual(backPage, pg) {
			t.Errorf("%s: page decoded as %+v, %v", p, backPage, err)
		}
	}
}

// A party's deltas over the story decode back to themselves.
func TestJSONDeltaRoundTrip(t *testing.T) {
	n := interaction.NewMemoryNotifier()
	sub := n.SubscribeDeltas("contact")
	svc := interaction.NewService(interaction.WithNotifier(n), interaction.WithClock(&stepClock{now: chatconsulttest.Epoch}),
		interaction.WithIDs(chatconsulttest.NewSequentialIDs("")))
	if _, err := benchstory.Consultation(context.Background(), svc); err != nil {
		t.Fatal(err)
	}
	ds := sub.DrainDeltas()
	if len(ds) == 0 {
		t.Fatal("no deltas")
	}
	for _, d := range ds {
		d.Event.Fingerprint = 0
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		var back interaction.Delta
		if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, d) {
			t.Fatalf("delta %s decoded as %+v, %v", b, back, err)
		}
	}
}

// Documents of another schema, unknown names and malformed JSON are bad
// input.
func TestJSONDecodeRefuses(t *testing.T) {
	st, _ := seedStory(t)
	v, _ := st.ViewFor("agent1")
	good, _ := json.Marshal(v)
	cases := map[string]string{
		"other schema":  strings.Replace(string(good), interaction.ViewSchema, "chatconsult.view/v0", 1),
		"no schema":     `{"interaction":"x"}`,
		"unknown role":  strings.Replace(string(good), `"role":"none"`, `"role":"boss"`, 1),
		"wrong type":    strings.Replace(string(good), `"version":`, `"version":"x","old":`, 1),
		"not an object": `[1,2]`,
		"truncated":     string(good[:len(good)/2]),
	}
	for name, doc := range cases {
		var back interaction.View
		if err := interaction.DecodeJSON([]byte(doc), &back); !errors.Is(err, interaction.ErrBadInput) {
			t.Errorf("%s: %v, want ErrBadInput", name, err)
		}
	}
	var ev interaction.Event
	if err := json.Unmarshal([]byte(`{"schema":"chatconsult.event/v2","type":"message","kind":"text","notice":{"code":"declined","parties":[],"what":"consultation"}}`), &ev); !errors.Is(err, interaction.ErrBadInput) {
		t.Errorf("notice on a text message: %v", err)
	}
}

// TestJSONSchemaFingerprint fails when a document's wire form (fields,
// their names, types and omitempty) changes while its schema version
// stays: testdata/json/schemas.txt records a fingerprint per version. A
// new version is recorded with -record-schema; a recorded one is never
// overwritten.
func TestJSONSchemaFingerprint(t *testing.T) {
	path := filepath.Join("testdata", "json", "schemas.txt")
	recorded := map[string]string{}
	raw, _ := os.ReadFile(path)
	for _, line := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(line); len(f) == 2 {
			recorded[f[0]] = f[1]
		}
	}
	var add []string
	for _, schema := range []string{interaction.ViewSchema, interaction.PageSchema, interaction.EventSchema, interaction.DeltaSchema} {
		shape := interaction.JSONShape(schema)
		sum := sha256.Sum256([]byte(shape))
		got := hex.EncodeToString(sum[:8])
		want, ok := recorded[schema]
		switch {
		case !ok && *recordSchema:
			add = append(add, schema+" "+got)
		case !ok:
			t.Errorf("schema %s has no recorded fingerprint (a new version: go test ./interaction -run TestJSONSchemaFingerprint -record-schema)", schema)
		case want != got:
			t.Errorf("the wire form of %s changed without a new version (fingerprint %s, recorded %s): name the new form %s's next version\n%s", schema, got, want, schema, shape)
		}
	}
	if len(add) > 0 {
		out := string(raw)
		for _, a := range add {
			out += a + "\n"
		}
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

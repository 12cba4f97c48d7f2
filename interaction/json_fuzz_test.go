package interaction_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/chatconsult/chatconsult/interaction"
)

// roundTrip is the oracle of FuzzJSONDocuments for one document type:
// whatever decodes re-encodes without error, and decoding that again gives
// the same value, whose encoding is the same bytes (decode ∘ encode is
// the identity on what decoding accepts). Whatever fails is ErrBadInput.
func roundTrip[T any](t *testing.T, data []byte) {
	var v1 T
	if err := interaction.DecodeJSON(data, &v1); err != nil {
		if !errors.Is(err, interaction.ErrBadInput) {
			t.Fatalf("%T: %v, want ErrBadInput", v1, err)
		}
		return
	}
	b1, err := json.Marshal(v1)
	if err != nil {
		t.Fatalf("%T decoded from %q does not encode: %v", v1, data, err)
	}
	var v2 T
	if err := interaction.DecodeJSON(b1, &v2); err != nil {
		t.Fatalf("%T: its own encoding %s does not decode: %v", v1, b1, err)
	}
	if !reflect.DeepEqual(v1, v2) {
		t.Fatalf("%T: %s decodes to\n%+v\nnot\n%+v", v1, b1, v2, v1)
	}
	if b2, _ := json.Marshal(v2); string(b2) != string(b1) {
		t.Fatalf("%T: encodes as %s, then %s", v1, b1, b2)
	}
}

// FuzzJSONDocuments decodes anything as each JSON document (view, page,
// event, delta): never a panic, only ErrBadInput, and a round trip for
// what decodes. Seeds: the golden documents of the seed's story.
func FuzzJSONDocuments(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "json", "*.json"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		var many []json.RawMessage
		if json.Unmarshal(b, &many) == nil {
			for _, m := range many {
				f.Add([]byte(m))
			}
		}
	}
	f.Add([]byte(`{"schema":"chatconsult.event/v2","type":"message","kind":"notice","notice":{"code":"transferred","parties":["a","b"],"what":"consultation"}}`))
	f.Add([]byte(`{"schema":"chatconsult.delta/v2","event":{"schema":"chatconsult.event/v2","type":"leg","medium":"voice"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		roundTrip[interaction.View](t, data)
		roundTrip[interaction.Page](t, data)
		roundTrip[interaction.Event](t, data)
		roundTrip[interaction.Delta](t, data)
		roundTrip[[]interaction.Event](t, data)
	})
}

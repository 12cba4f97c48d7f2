package interaction_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/interaction"
)

// longMessages is the length of the long interaction of issue 19's memory
// figure.
const longMessages = 10000

// longPerMessageBudget bounds the heap a message of a long interaction
// takes beyond its text: its Message in the state, its event in the
// MemoryStore, its log slot and its command's hash (measured: about
// 380 B, BENCHMARKS.md).
const longPerMessageBudget = 512

// TestLongInteractionHeap measures the heap held by one interaction of
// 10 000 messages (issue 19): its state in the Service's cache, with every
// party's read index, and its events in the MemoryStore. It builds the
// same chat twice, with texts 1 000 bytes longer the second time: the
// difference per message is what the text costs, and a text held once
// (the state's Message and the store's event share the string's bytes)
// costs its length rounded up to the allocator's size class, not twice
// that. Memory is not timing, so this is a test; it is skipped under
// -short and under the race detector.
func TestLongInteractionHeap(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two chats of 10 000 messages; skipped under -short")
	}
	if raceBuild {
		t.Skip("the race detector changes heap figures")
	}
	perMessage := func(pad int) float64 {
		ctx := context.Background()
		svc := interaction.NewService()
		before := heapAlloc()
		id, err := longChat(ctx, svc, longMessages, pad)
		require.NoError(t, err)
		after := heapAlloc()
		st, err := svc.State(ctx, id)
		require.NoError(t, err)
		require.Len(t, st.Messages, longMessages)
		runtime.KeepAlive(svc)
		return float64(after-before) / longMessages
	}
	plain, padded := perMessage(0), perMessage(1000)
	text := padded - plain
	t.Logf("heap held by an interaction of %d messages: %.0f B per message, %.1f MB in all (texts of about 45 B)", longMessages, plain, plain*longMessages/1e6)
	t.Logf("1 000 more bytes of text per message: %.0f B more per message (held once: about 1 088, the size classes of the two texts; twice: about 2 176)", text)
	require.Less(t, text, 1500.0, "a message's text is held once, not in the state and again in the store")
	require.LessOrEqual(t, plain-64, float64(longPerMessageBudget), "a message beyond its text")
}

// longChat opens a chat between a contact and an agent with n messages
// (alternating, each its own string of about 45 bytes plus pad), every
// twentieth an agent note.
func longChat(ctx context.Context, svc *interaction.Service, n, pad int) (interaction.ID, error) {
	id, err := svc.Open(ctx, "contact", "")
	if err != nil {
		return "", err
	}
	if err := svc.Assign(ctx, id, interaction.System, "agent1"); err != nil {
		return "", err
	}
	if err := svc.Join(ctx, id, "agent1"); err != nil {
		return "", err
	}
	for i := 0; i < n; i++ {
		text := fmt.Sprintf("%s (message %d)", chatTexts[i%len(chatTexts)], i+1) + strings.Repeat("x", pad)
		switch {
		case i%20 == 19:
			_, err = svc.Do(ctx, id, "agent1", interaction.Note{Text: text})
		case i%2 == 0:
			err = svc.Post(ctx, id, "contact", text)
		default:
			err = svc.Post(ctx, id, "agent1", text)
		}
		if err != nil {
			return "", err
		}
	}
	return id, nil
}

package history_test

import (
	"bytes"
	"context"
	"fmt"

	"github.com/chatconsult/chatconsult/history"
	"github.com/chatconsult/chatconsult/interaction"
)

// countLog counts the events a Replay reads.
type countLog struct {
	interaction.Log
	read int
}

func (c *countLog) ReadAll(ctx context.Context, after uint64, limit int) ([]interaction.Event, error) {
	events, err := c.Log.ReadAll(ctx, after, limit)
	c.read += len(events)
	return events, err
}

// A history that survives a restart: the Projection follows the log
// (Replay) and is written to a snapshot with its checkpoint; the
// restarted process reads the snapshot back and reads only what was
// written after it, then answers as a Projection replayed from position 0
// (R-X5). On PostgreSQL, pgstore.HistoryFollower does this with a table.
func ExampleReadSnapshot() {
	ctx := context.Background()
	h := newHistoryDemo()
	h.seedStory("contact1")

	follower := history.New(history.WithSnapshots())
	must(follower.Replay(ctx, h.store))
	var saved bytes.Buffer // a file, an object store, a database row
	must(follower.WriteSnapshot(&saved))

	h.seedStory("contact2") // written while the process is down

	restored, err := history.ReadSnapshot(&saved)
	must(err)
	log := &countLog{Log: h.store}
	must(restored.Replay(ctx, log))
	whole, err := h.store.ReadAll(ctx, 0, 0)
	must(err)
	fmt.Printf("restored at position %d; read %d events of %d\n", follower.Checkpoint(), log.read, len(whole))

	mine, err := restored.MyHistory(ctx, "agent1", history.Query{})
	must(err)
	for _, e := range mine.Items {
		fmt.Println(e.Interaction, e.Contact, e.Status, len(e.Transcript), "messages")
	}
	theirs, err := restored.MyHistory(ctx, "agent2", history.Query{})
	must(err)
	fmt.Println("agent2 (consulted only):", len(theirs.Items), "entries")
	// Output:
	// restored at position 21; read 21 events of 42
	// id-16 contact2 ended 3 messages
	// id-1 contact1 ended 3 messages
	// agent2 (consulted only): 0 entries
}

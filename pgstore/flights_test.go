package pgstore

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/interaction"
)

// joinStore is a Store with two writers' queue and flights and no
// database: join decides on them alone.
func joinStore() *Store {
	return &Store{queue: make(chan *appendRequest, 64), stop: make(chan struct{}), writers: 2, joinBatch: defaultJoinBatch, maxBatch: 256}
}

func request(id string) *appendRequest {
	return &appendRequest{ctx: context.Background(), id: interaction.ID(id),
		events: []interaction.Event{{Interaction: interaction.ID(id), Version: 1}}, done: make(chan appendResult, 1)}
}

// joined runs join on a batch of one in the background.
func joined(s *Store) <-chan []*appendRequest {
	out := make(chan []*appendRequest, 1)
	go func() {
		batch, _, _, _ := s.join([]*appendRequest{request("first")}, 1)
		out <- batch
	}()
	return out
}

func TestAWriterAloneNeverWaits(t *testing.T) {
	s := joinStore()
	s.flights.takeOff(8, 0) // eight under way once …
	s.flights.land(8)       // … but nothing in flight now
	batch, _, carry, stopped := s.join([]*appendRequest{request("a")}, 1)
	assert.Len(t, batch, 1)
	assert.Nil(t, carry)
	assert.False(t, stopped)
}

func TestAWriterWaitsForItsShareWhileAnotherIsInFlight(t *testing.T) {
	s := joinStore()
	s.flights.takeOff(4, 4) // eight under way: each writer's share is four
	out := joined(s)
	for _, id := range []string{"b", "c"} {
		s.queue <- request(id)
	}
	select {
	case <-out:
		t.Fatal("committed with three appends of a share of four while the other transaction is in flight")
	case <-time.After(maxJoinWait / 4):
	}
	s.queue <- request("d")
	batch := <-out
	assert.Len(t, batch, 4)
	s.flights.land(4)
}

func TestAWriterGoesWhenTheTransactionInFlightEnds(t *testing.T) {
	s := joinStore()
	s.flights.takeOff(4, 4)
	out := joined(s)
	time.Sleep(maxJoinWait / 4)
	s.flights.land(4)
	assert.Len(t, <-out, 1)
}

func TestAWriterWaitsForAHangingTransactionOnlySoLong(t *testing.T) {
	s := joinStore()
	s.flights.takeOff(4, 4) // never lands
	start := time.Now()
	assert.Len(t, <-joined(s), 1)
	assert.GreaterOrEqual(t, time.Since(start), maxJoinWait)
}

func TestAWriterMatchesSmallLoads(t *testing.T) {
	s := joinStore()
	s.flights.takeOff(1, 0) // two clients: one append in flight, one here
	batch, _, _, _ := s.join([]*appendRequest{request("a")}, 1)
	assert.Len(t, batch, 1, "a share of one: no wait")
}

func TestAWriterClosingAnswersWhatItGathered(t *testing.T) {
	s := joinStore()
	s.flights.takeOff(4, 4)
	first := request("first")
	done := make(chan bool, 1)
	go func() {
		_, _, _, stopped := s.join([]*appendRequest{first}, 1)
		done <- stopped
	}()
	close(s.stop)
	require.True(t, <-done)
	assert.ErrorIs(t, (<-first.done).err, ErrClosed)
}

package chatconsulttest_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/chatconsult/chatconsult/chatconsulttest"
)

func TestManualClockFiresDueTimersInOrder(t *testing.T) {
	c := chatconsulttest.NewManualClock()
	assert.Equal(t, chatconsulttest.Epoch, c.Now())
	var fired []string
	var at []time.Time
	c.AfterFunc(30*time.Second, func() { fired = append(fired, "b"); at = append(at, c.Now()) })
	c.AfterFunc(10*time.Second, func() {
		fired = append(fired, "a")
		at = append(at, c.Now())
		// A timer may schedule another; it fires in the same Advance when due.
		c.AfterFunc(5*time.Second, func() { fired = append(fired, "a2"); at = append(at, c.Now()) })
	})
	stopped := c.AfterFunc(20*time.Second, func() { fired = append(fired, "never") })
	same := c.AfterFunc(30*time.Second, func() { fired = append(fired, "c"); at = append(at, c.Now()) })
	assert.True(t, stopped.Stop())
	assert.False(t, stopped.Stop(), "a stopped timer stops once")
	assert.Equal(t, 3, c.Pending(), "a stopped timer is no longer pending")

	assert.Equal(t, 0, c.Advance(9*time.Second))
	assert.Equal(t, 4, c.Advance(25*time.Second))
	assert.Equal(t, []string{"a", "a2", "b", "c"}, fired, "by due time, then creation")
	assert.Equal(t, []time.Time{chatconsulttest.Epoch.Add(10 * time.Second), chatconsulttest.Epoch.Add(15 * time.Second),
		chatconsulttest.Epoch.Add(30 * time.Second), chatconsulttest.Epoch.Add(30 * time.Second)}, at, "each fires at its due time")
	assert.Equal(t, chatconsulttest.Epoch.Add(34*time.Second), c.Now())
	assert.False(t, same.Stop(), "a fired timer cannot be stopped")
	assert.Equal(t, 0, c.Pending())
}

func TestSequentialIDs(t *testing.T) {
	ids := chatconsulttest.NewSequentialIDs("x-")
	assert.Equal(t, "x-1", ids.NewID())
	assert.Equal(t, "x-2", ids.NewID())
}

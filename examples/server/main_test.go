package main

import (
	"testing"
	"time"

	"github.com/chatconsult/chatconsult/examples/server/stack/storytest"
)

// The seed's story over HTTP on the in-memory stack (storytest.Play).
func TestStoryOverHTTP(t *testing.T) {
	cfg, err := Flags(defaultTokens, defaultAgents)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Tick = 10 * time.Millisecond
	storytest.Play(t, cfg)
}

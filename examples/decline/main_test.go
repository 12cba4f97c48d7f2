package main

import (
	"testing"

	"github.com/chatconsult/chatconsult/examples/internal/golden"
)

// The story runs to completion and prints what it printed before (R-C3, R-X2, R-C8).
func TestDeclineGolden(t *testing.T) { golden.Check(t, run) }

package main

import (
	"testing"

	"github.com/chatconsult/chatconsult/examples/internal/golden"
)

// The story runs to completion and prints what it printed before (R-C4, R-C7, R-C8).
func TestEndConsultGolden(t *testing.T) { golden.Check(t, run) }

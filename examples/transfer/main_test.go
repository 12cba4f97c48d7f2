package main

import (
	"testing"

	"github.com/chatconsult/chatconsult/examples/internal/golden"
)

// The story runs to completion and prints what it printed before (R-T1, R-T2, R-C5).
func TestTransferGolden(t *testing.T) { golden.Check(t, run) }

package chatconsulttest

// knownBug is a place where the library disagrees with SPEC.md and the
// README's decisions, found by this kit and not fixed yet. The model
// predicts what the rules say; a step that runs into a known bug is not
// predicted (Outcome.KnownBug names it), the generators leave such steps
// out, and a harness stops comparing at one. Each bug has a skipped
// reproduction, TestCoreBug_<name>, in this package's tests: when the core
// is fixed, delete the entry here and the t.Skip there.
type knownBug struct {
	id      string
	applies func(m *Model, s Step) bool
}

var knownBugs = []knownBug{}

// knownBug names the known bug step s runs into, if any.
func (m *Model) knownBug(s Step) string {
	for _, b := range knownBugs {
		if b.applies(m, s) {
			return b.id
		}
	}
	return ""
}

// KnownBugs lists the IDs of the core bugs the model knows of (see
// Outcome.KnownBug).
func KnownBugs() []string {
	out := make([]string, len(knownBugs))
	for i, b := range knownBugs {
		out[i] = b.id
	}
	return out
}

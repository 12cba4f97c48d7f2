package interaction

import "fmt"

// SetValidation turns the log validator (validate.go) on or off, so that
// BenchmarkRebuild measures Apply with it against Apply without it (the
// Apply of before the validator) in the same run. Only that benchmark
// turns it off, and it turns it back on.
func SetValidation(on bool) { skipValidation.Store(!on) }

// CheckReadIndex compares every party's index of readable messages
// (index.go) with a visibility check of every message, and returns the
// first difference ("" when they agree).
func CheckReadIndex(s *State) string {
	for i := range s.Parties {
		p := &s.Parties[i]
		var want []uint32
		for j := range s.Messages {
			m := &s.Messages[j]
			if s.sees(p, m.Author, m.Scope, m.Version, len(s.Parties)) {
				want = append(want, uint32(j))
			}
		}
		var got []uint32
		p.sight.each(1, p.sight.messages, func(j, seq uint32) {
			if seq != uint32(len(got)+1) {
				got = append(got, ^uint32(0))
			}
			got = append(got, j)
		})
		if len(got) != len(want) || p.sight.messages != uint32(len(want)) {
			return fmt.Sprintf("%s: index holds %d messages (count %d), reads %d: %v, want %v", p.ID, len(got), p.sight.messages, len(want), got, want)
		}
		for k := range got {
			if got[k] != want[k] {
				return fmt.Sprintf("%s: index %v, want %v", p.ID, got, want)
			}
		}
	}
	return ""
}

// OfferOf is the chat offer state the offer machine reads for a party
// (offerOf in machines.go).
func OfferOf(p *Party) OfferState { return offerOf(p) }

// RawMessage records a message past the message machines: for tests that
// show the log validator refuses what a broken command writes.
func (d *Decision) RawMessage(text string, kind MessageKind, sc Scope) error {
	return d.message(text, kind, sc)
}

// CheckEvent is the log validator's verdict on ev following s, changing
// nothing: what a Decision asks of a command's last event before the
// Service commits it and applies it to its cache unchecked.
func CheckEvent(s *State, ev *Event) error { return s.check(ev) }

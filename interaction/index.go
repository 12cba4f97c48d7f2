package interaction

import "sort"

// Each party keeps an index of the messages it may read (partySight.reads),
// so that a page of its transcript, its n-th message and its number for a
// message cost a binary search and the page, not a scan of the transcript
// with a visibility check per message (issue 19).
//
// The index is a list of runs: a run is a stretch of messages next to each
// other in State.Messages that the party may read, given by the index of
// its first message and the number of messages the party reads before it.
// A party in a plain chat has one run; every consultation message or note
// it may not read between two it may starts a new one. So the index takes
// 8 bytes per run, at most 4 bytes per message, and usually far less.
//
// What a party may read only grows (docs/visibility.md: a party keeps what
// it read; a window, once closed, adds nothing later), so Apply keeps the
// index by appending each message it shows the party. The set grows other
// than at its end in two ways only, and then Apply rebuilds just those
// parties' indexes (account):
//
//   - the party joins: it reads the shared transcript from where it last
//     stopped (the start, the first time): readBacklog merges those
//     messages in, looking only at the messages since then;
//   - a supervision window opens onto an agent (R-X7), for the supervisor
//     and whoever reads through it in turn: reindex checks each message.
//
// Either way the party's message numbers move, and its next delta says so
// (Delta.Reset).

// readRun is one run of a party's readable messages: at is the index in
// State.Messages of its first message, before the number of messages the
// party reads before it (so that message's Seq for the party is before+1).
// The run's length is the next run's before, or the party's count, minus
// its own.
type readRun struct{ at, before uint32 }

// addRead adds message i, after every message of the index.
func (ps *partySight) addRead(i uint32) {
	if n := len(ps.reads); n > 0 && ps.reads[n-1].at+(ps.messages-ps.reads[n-1].before) == i {
		ps.messages++
		return
	}
	ps.reads = append(ps.reads, readRun{at: i, before: ps.messages})
	ps.messages++
}

// runLen is the length of run j.
func (ps *partySight) runLen(j int) uint32 {
	if j+1 < len(ps.reads) {
		return ps.reads[j+1].before - ps.reads[j].before
	}
	return ps.messages - ps.reads[j].before
}

// run returns the index of the run holding the party's message seq
// (1 ≤ seq ≤ messages).
func (ps *partySight) run(seq uint32) int {
	return sort.Search(len(ps.reads), func(j int) bool { return ps.reads[j].before >= seq }) - 1
}

// each calls f with the index in State.Messages and the party's Seq of its
// messages from seq first to seq last (1 ≤ first, last ≤ messages), in order.
func (ps *partySight) each(first, last uint32, f func(i, seq uint32)) {
	if first < 1 || first > last || last > ps.messages {
		return
	}
	j := ps.run(first)
	seq := first
	for ; j < len(ps.reads) && seq <= last; j++ {
		r := ps.reads[j]
		end := r.before + ps.runLen(j) // the Seq of the run's last message
		for ; seq <= end && seq <= last; seq++ {
			f(r.at+(seq-1-r.before), seq)
		}
	}
}

// reindex builds p's index from scratch: a visibility check per message.
func (s *State) reindex(p *Party) {
	ps := &p.sight
	ps.reads, ps.messages = ps.reads[:0], 0
	hops := len(s.Parties)
	for i := range s.Messages {
		m := &s.Messages[i]
		if s.sees(p, m.Author, m.Scope, m.Version, hops) {
			ps.addRead(uint32(i))
		}
	}
}

// readBacklog adds to p's index, after p joined, the shared messages it
// may read now and could not before: those written after version after,
// the last it could read (0: it never took part). Everything else it may
// read (its consultations, notices to it, what it reads through an agent
// it supervises) it could read before. Only the messages since after are
// looked at, and the runs of the index.
func (s *State) readBacklog(p *Party, after uint64) {
	ps := &p.sight
	n := len(s.Messages)
	lo := uint32(sort.Search(n, func(i int) bool { return s.Messages[i].Version > after }))
	if int(lo) == n {
		return
	}
	// The runs at or after lo, as [from, to) stretches of message indexes.
	var tail [][2]uint32
	keep := len(ps.reads)
	for j := len(ps.reads) - 1; j >= 0; j-- {
		r := ps.reads[j]
		end := r.at + ps.runLen(j)
		if end <= lo {
			break
		}
		keep = j
		tail = append(tail, [2]uint32{max(r.at, lo), end})
	}
	// Cut the index at lo (a run across lo keeps its part before lo).
	if keep < len(ps.reads) {
		r := ps.reads[keep]
		if r.at < lo {
			ps.messages = r.before + (lo - r.at)
			keep++
		} else {
			ps.messages = r.before
		}
		ps.reads = ps.reads[:keep]
	}
	agent := p.Role != RoleContact
	t := len(tail) - 1 // tail runs from the end: the first is last
	for i := lo; int(i) < n; i++ {
		for t >= 0 && tail[t][1] <= i {
			t--
		}
		had := t >= 0 && tail[t][0] <= i
		k := s.Messages[i].Scope.Kind
		if had || k == ScopeEveryone || (agent && k == ScopeAgents) {
			ps.addRead(i)
		}
	}
}

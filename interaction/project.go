package interaction

// EventsFor returns the events of the last command applied to s (all of
// them, or the last of them) as viewer is shown them, or nil when it is
// shown none. It is what a party's subscription delivers (MemoryNotifier)
// and what Service.Do returns to the acting party. In each:
//
//   - Version is the viewer's own event number and Seq its own message
//     number (View.Version, View.Messages): neither counts what it may not
//     see;
//   - Position is 0: the store's global position counts every
//     interaction's events;
//   - Cause is kept only on the viewer's own commands, and Actor only when
//     the viewer may see that party (or it is the viewer or System);
//     otherwise it is empty;
//   - the contact sees agents under their contact-facing IDs, and notices
//     rendered with their contact-facing names (names; nil: the default).
//
// For events of an earlier command (a retry found committed after others)
// who is shown what is decided on the current state and Version and Seq
// are 0: the viewer's numbers of that time are not kept.
func (s *State) EventsFor(viewer PartyID, events []Event, names ContactNames) []Event {
	i := s.partyIndex(viewer)
	b := &s.batch
	if i < 0 || len(events) == 0 {
		return nil
	}
	// events must be the last command's, or the end of it (a reader that
	// got the command in two parts); anything older is an earlier command.
	last := events[len(events)-1].Version
	if i >= MaxParties || events[0].Version < b.from || last != b.from+uint64(len(b.shown))-1 || last-events[0].Version+1 != uint64(len(events)) {
		return s.earlierEventsFor(&s.Parties[i], events, names)
	}
	shown := b.shown[events[0].Version-b.from:]
	p := &s.Parties[i]
	bit := uint64(1) << uint(i)
	var nEv uint64
	var nMsg uint32
	for j := range events {
		if shown[j]&bit != 0 {
			nEv++
			if events[j].Type == EventMessage {
				nMsg++
			}
		}
	}
	if nEv == 0 {
		return nil
	}
	version, seq := p.sight.events-nEv, p.sight.messages-nMsg
	l := s.lensFor(p, names)
	out := make([]Event, 0, nEv)
	for j := range events {
		if shown[j]&bit == 0 {
			continue
		}
		version++
		if events[j].Type == EventMessage {
			seq++
		}
		out = out[:len(out)+1] // made with room for nEv
		l.showInto(&out[len(out)-1], &events[j], version, seq)
	}
	return out
}

// shown is ev as the lens's viewer is shown it, as its event number
// version (and, for a message, its message number seq).
func (l lens) shown(e *Event, version uint64, seq uint32) Event {
	var ev Event
	l.showInto(&ev, e, version, seq)
	return ev
}

// showInto is shown, written into ev: EventsFor fills its result in place
// rather than copy each event of 384 bytes twice more.
func (l lens) showInto(ev *Event, e *Event, version uint64, seq uint32) {
	*ev = *e
	ev.Version, ev.Position = version, 0
	if ev.Actor != l.p.ID {
		ev.Cause, ev.Fingerprint = "", 0
	}
	ev.Actor = l.actor(ev.Actor)
	switch ev.Type {
	case EventMessage:
		ev.Seq = seq
	case EventRead:
		// Read up to the viewer's own number of the message read (receipt.go).
		ev.Seq, _ = l.p.sight.seqUpTo(ev.Seq - 1)
	}
	if l.contact {
		l.contactEvent(ev)
	}
}

// actor is who the viewer is told caused an event: itself, System, or a
// party it may see; nobody ("") otherwise.
func (l lens) actor(a PartyID) PartyID {
	if a == l.p.ID || a == System || a == "" {
		return a
	}
	q := l.s.Party(a)
	if q == nil {
		return ""
	}
	if _, ok := l.s.shownTo(l.p, q); !ok {
		return ""
	}
	return l.id(a)
}

// contactEvent replaces internal agent IDs in an event shown to the
// contact (the Actor is done already).
func (l lens) contactEvent(ev *Event) {
	if ev.Type == EventMessage {
		if n := noticeOf(ev); n != nil {
			ev.Text = n.Render(l.name)
			cn := l.notice(n)
			ev.Party, ev.Target = "", Target{}
			noticeEvent(cn, ev)
		}
		return
	}
	ev.Party = l.id(ev.Party)
	if ev.Scope.Party != "" {
		ev.Scope.Party = l.id(ev.Scope.Party)
	}
}

func (s *State) earlierEventsFor(p *Party, events []Event, names ContactNames) []Event {
	l := s.lensFor(p, names)
	var out []Event
	for j := range events {
		if !s.Visible(p.ID, &events[j]) {
			continue
		}
		ev := events[j]
		ev.Version, ev.Position, ev.Seq = 0, 0, 0
		if ev.Actor != p.ID {
			ev.Cause, ev.Fingerprint = "", 0
		}
		ev.Actor = l.actor(ev.Actor)
		if l.contact {
			l.contactEvent(&ev)
		}
		out = append(out, ev)
	}
	return out
}

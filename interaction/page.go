package interaction

import (
	"context"
	"iter"
	"math"
)

// Paged views (issue 19). A View copies the viewer's whole transcript, so
// re-reading it on every notification costs O(n) per event and O(n²) per
// chat. A Page is the same view with a window over the transcript: the
// last N of the viewer's messages, or N after or before one of them, and
// everything else of the view (parties, legs, requests, status, version)
// whole. It costs O(window + parties + legs + requests), however long the
// transcript: each party's index of readable messages (index.go) finds
// the window with a binary search. Deltas (delta.go) keep a page current.

// DefaultPageSize is the window of a PageRequest that names none.
const DefaultPageSize = 50

// AllMessages as a Limit or Last asks for every message in the range: the
// whole transcript, for an export or a test.
const AllMessages = math.MaxInt32

// PageRequest says which of the viewer's messages a Page holds. Message
// numbers are the viewer's own (Message.Seq: 1, 2, … over what it may
// read). The forms:
//
//   - PageRequest{} or {Last: n}: its last n messages (DefaultPageSize when
//     n is 0);
//   - {After: s, Limit: n}: the first n messages after its message s (from
//     the first when s is 0);
//   - {Before: s, Limit: n}: the last n messages before its message s;
//   - {After: a, Before: b, Limit: n}: the first n between a and b.
//
// A Limit of 0 is DefaultPageSize; AllMessages takes the whole range.
// Last with After, Before or Limit, or a negative number, is bad input.
type PageRequest struct {
	Last   int
	After  uint32
	Before uint32
	Limit  int
}

// Page is a viewer's View with a window over its messages: View.Messages
// holds the window only, in order, numbered (Seq) as the whole view
// numbers them; everything else is the whole view's.
type Page struct {
	View
	// Total is how many messages the viewer may read: the Seq of its last.
	Total uint32
	// Changes counts the changes of the view so far: the events the viewer
	// was shown (Version) and the changes it was told of without an event
	// (a Delta without an Event). A delta with Changes at most the page's
	// is in the page already (Page.Apply skips it).
	Changes uint64
}

// First is the Seq of the window's first message (0: an empty window).
func (pg *Page) First() uint32 {
	if len(pg.Messages) == 0 {
		return 0
	}
	return pg.Messages[0].Seq
}

// Last is the Seq of the window's last message (0: an empty window).
func (pg *Page) Last() uint32 {
	if len(pg.Messages) == 0 {
		return 0
	}
	return pg.Messages[len(pg.Messages)-1].Seq
}

// Earlier is the request for the limit messages before the window: the
// cursor to page back. It is false when the window starts at the first
// message (or the transcript is empty).
func (pg *Page) Earlier(limit int) (PageRequest, bool) {
	if pg.First() <= 1 {
		return PageRequest{}, false
	}
	return PageRequest{Before: pg.First(), Limit: limit}, true
}

// Later is the request for the limit messages after the window; false when
// the window ends at the viewer's last message.
func (pg *Page) Later(limit int) (PageRequest, bool) {
	if pg.Last() >= pg.Total {
		return PageRequest{}, false
	}
	return PageRequest{After: pg.Last(), Limit: limit}, true
}

// window returns the first and last Seq req asks for, of total messages
// (first > last: none).
func (req PageRequest) window(total uint32) (first, last uint32, ok bool) {
	if req.Last < 0 || req.Limit < 0 {
		return 0, 0, false
	}
	if req.After == 0 && req.Before == 0 && req.Limit == 0 {
		n := uint64(req.Last)
		if n == 0 {
			n = DefaultPageSize
		}
		if n >= uint64(total) {
			return 1, total, true
		}
		return total - uint32(n) + 1, total, true
	}
	if req.Last != 0 {
		return 0, 0, false
	}
	n := uint64(req.Limit)
	if n == 0 {
		n = DefaultPageSize
	}
	lo := uint64(req.After) + 1
	hi := uint64(total)
	if req.Before != 0 {
		hi = min(hi, uint64(req.Before)-1)
	}
	if lo > hi {
		return 1, 0, true
	}
	if req.Before != 0 && req.After == 0 {
		// The last n before Before.
		if hi-lo+1 > n {
			lo = hi - n + 1
		}
	} else if hi-lo+1 > n {
		hi = lo + n - 1
	}
	return uint32(lo), uint32(hi), true
}

// Page returns viewer's view with the window req asks for (see
// PageRequest), naming agents to the contact with names (nil: the
// defaults). Like ViewFor, a party that was never in the interaction may
// not read it (R-X6). It costs the window, the parties, the legs and the
// requests, not the transcript.
func (s *State) Page(viewer PartyID, req PageRequest, names ContactNames) (Page, error) {
	var pg Page
	err := s.PageInto(&pg, viewer, req, names)
	return pg, err
}

// PageInto is Page written into *pg, reusing the room of its slices (its
// messages, parties, legs, requests and receipts) instead of allocating
// new ones: a reader that keeps one Page and reads into it again, as a
// desk reading a page per reconnect or a server writing one per request,
// copies only the window. What pg held before, its slices' elements
// included, is overwritten, so keep nothing of it that must outlive the
// call. On an error *pg is left as it was.
func (s *State) PageInto(pg *Page, viewer PartyID, req PageRequest, names ContactNames) error {
	p, err := s.viewer(viewer, "page")
	if err != nil {
		return err
	}
	first, last, ok := req.window(p.sight.messages)
	if !ok {
		return &Error{Kind: ErrBadInput, Op: "page", Interaction: s.ID, Party: viewer, Detail: "a page request has Last alone, or After, Before and Limit, none negative"}
	}
	s.viewInto(&pg.View, p, s.lensFor(p, names), first, last)
	pg.Total = p.sight.messages
	pg.Changes = p.sight.viewChanges()
	return nil
}

// MessagesFor returns viewer's messages after its message after (0: from
// the first), in order, as its view shows them (Seq set), one at a time:
// reading them copies nothing of the transcript but the message at hand,
// so a streamed export holds one message, whatever the transcript's
// length. The state must not change while the sequence is read (read it
// under Service.Read, or on a state no one applies events to). A party that
// was never in the interaction may not read it (R-X6).
func (s *State) MessagesFor(viewer PartyID, after uint32, names ContactNames) (iter.Seq[Message], error) {
	p, err := s.viewer(viewer, "messages")
	if err != nil {
		return nil, err
	}
	l := s.lensFor(p, names)
	return func(yield func(Message) bool) {
		for seq := uint64(after) + 1; seq <= uint64(p.sight.messages); {
			// A run at a time, so a yield that stops is honoured at once.
			stop := false
			j := p.sight.run(uint32(seq))
			r := p.sight.reads[j]
			end := uint64(r.before + p.sight.runLen(j))
			for ; seq <= end && !stop; seq++ {
				m := l.message(&s.Messages[r.at+uint32(seq)-1-r.before])
				m.Seq = uint32(seq)
				stop = !yield(m)
			}
			if stop {
				return
			}
		}
	}, nil
}

// viewChanges counts the changes of the party's view: Page.Changes.
func (ps *partySight) viewChanges() uint64 { return ps.events + uint64(ps.silent) }

// Page returns viewer's page of interaction id (State.Page, with the
// Service's contact-facing names).
func (s *Service) Page(ctx context.Context, id ID, viewer PartyID, req PageRequest) (Page, error) {
	var pg Page
	err := s.Read(ctx, id, func(st *State) error {
		var err error
		pg, err = st.Page(viewer, req, s.names)
		return err
	})
	return pg, err
}

// PageInto is Page written into *pg, reusing its room (State.PageInto).
func (s *Service) PageInto(ctx context.Context, id ID, viewer PartyID, req PageRequest, pg *Page) error {
	return s.Read(ctx, id, func(st *State) error { return st.PageInto(pg, viewer, req, s.names) })
}

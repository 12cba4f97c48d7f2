package interaction

import (
	"context"
	"strings"
	"unicode/utf8"
)

// Attachments (issue 17). A message may carry files: each a name, a media
// type, a size and a reference the embedding service resolves in its own
// object store (the library holds no file bytes). An attachment is part of
// its message: it has exactly the visibility of that message on every read
// path — a party that may not read the message is shown neither the
// attachment nor its reference (views, pages, deltas, the events a
// subscription delivers or Do returns, exports, history). State.MayFetch
// answers the service's download endpoint: may this party fetch this
// reference.
//
// Memory: a message without attachments pays nothing. The attachments of
// the messages that have some sit in a side table of the State (extras),
// allocated with the first; a stored message event keeps them behind the
// pointer of the fields only some events use (storedEvent.detail).

// Attachment is one file a message carries.
type Attachment struct {
	// Name is the file name as the sender gave it: 1 to
	// MaxAttachmentNameBytes bytes of valid UTF-8, visible, no control
	// character and no path separator.
	Name string
	// MediaType is the media type, "type/subtype" (RFC 6838 tokens,
	// lower or upper case, at most MaxMediaTypeBytes bytes), no parameters.
	MediaType string
	// Size is the file's size in bytes: 1 to Limits.MaxAttachmentBytes.
	Size int64
	// Ref is what the embedding service resolves to the file (an object
	// key, say): an identifier as CheckID accepts (1 to MaxAttachmentRefBytes
	// bytes, visible, no whitespace). It is shown only to the parties that
	// may read the message.
	Ref string
}

// Files is the attachments of a message event, immutable once made: it
// keeps Event comparable (==: the same list, or both empty; reflect.DeepEqual
// compares the contents) and lets every copy of an event share one list.
type Files struct{ list *[]Attachment }

// NewFiles makes Files of a copy of a (none: the empty Files).
func NewFiles(a []Attachment) Files {
	if len(a) == 0 {
		return Files{}
	}
	c := append([]Attachment(nil), a...)
	return Files{list: &c}
}

// List returns a copy of the attachments (nil: none).
func (f Files) List() []Attachment { return cloneAttachments(f.all()) }

// Len is how many attachments there are.
func (f Files) Len() int { return len(f.all()) }

// all is the shared list itself: read, never change it.
func (f Files) all() []Attachment {
	if f.list == nil {
		return nil
	}
	return *f.list
}

// Bounds on attachments a log may hold, whatever the Service's Limits.
const (
	MaxAttachmentNameBytes = 255
	MaxMediaTypeBytes      = 127
	MaxAttachmentRefBytes  = 1024
	// MaxAttachmentsPerMessage is the most a valid log holds on one
	// message; Limits.MaxAttachments is capped there.
	MaxAttachmentsPerMessage = 32
	// MaxAttachmentSize is the largest size a valid log holds (1 TiB);
	// Limits.MaxAttachmentBytes is capped there.
	MaxAttachmentSize = int64(1) << 40
)

// Default attachment limits (DefaultLimits).
const (
	DefaultMaxAttachments     = 10
	DefaultMaxAttachmentBytes = int64(25) << 20 // 25 MiB
)

// attachmentProblem says what is wrong with a, or "" (the log's rule:
// sizes up to maxSize).
func attachmentProblem(a *Attachment, maxSize int64) string {
	switch {
	case a.Name == "" || len(a.Name) > MaxAttachmentNameBytes || !utf8.ValidString(a.Name):
		return "attachment name is empty, longer than the limit or not valid UTF-8"
	case blank(a.Name) || strings.ContainsAny(a.Name, "/\\") || strings.ContainsFunc(a.Name, func(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }):
		return "attachment name is blank or holds a control character or a path separator"
	case !validMediaType(a.MediaType):
		return "attachment media type is not type/subtype"
	case a.Size <= 0 || a.Size > maxSize:
		return "attachment size out of range"
	case len(a.Ref) > MaxAttachmentRefBytes || idProblem(a.Ref, MaxAttachmentRefBytes) != "":
		return "attachment reference is not a valid identifier"
	}
	return ""
}

// validMediaType: "type/subtype", each an RFC 6838 restricted name.
func validMediaType(mt string) bool {
	if len(mt) == 0 || len(mt) > MaxMediaTypeBytes {
		return false
	}
	typ, sub, ok := strings.Cut(mt, "/")
	return ok && mediaToken(typ) && mediaToken(sub)
}

func mediaToken(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case i > 0 && strings.IndexByte("!#$&-^_.+", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// checkAttachments refuses, as ErrBadInput (R-X6), more attachments than
// Limits.MaxAttachments, or one that breaks the rules of Attachment (a
// size above Limits.MaxAttachmentBytes included). A reference used twice
// in one message is refused too.
func (d *Decision) checkAttachments(atts []Attachment) error {
	maxN, maxSize := d.limits.attachmentLimits()
	if len(atts) > maxN {
		return d.Refuse(ErrBadInput, "R-X6", "more attachments than the limit")
	}
	for i := range atts {
		if why := attachmentProblem(&atts[i], maxSize); why != "" {
			return d.Refuse(ErrBadInput, "R-X6", why)
		}
		for j := range i {
			if atts[j].Ref == atts[i].Ref {
				return d.Refuse(ErrBadInput, "R-X6", "attachment reference used twice")
			}
		}
	}
	return nil
}

// attachmentLimits are l's attachment limits, a zero field taking its
// default and each capped at what a log may hold.
func (l Limits) attachmentLimits() (int, int64) {
	n, size := l.MaxAttachments, l.MaxAttachmentBytes
	if n <= 0 {
		n = DefaultMaxAttachments
	}
	if size <= 0 {
		size = DefaultMaxAttachmentBytes
	}
	return min(n, MaxAttachmentsPerMessage), min(size, MaxAttachmentSize)
}

// CheckContent checks what a message carries: its text (CheckText) and
// its attachments (checkAttachments). A message with attachments may have
// no text; one with text checks it as always.
func (d *Decision) CheckContent(text string, atts []Attachment) error {
	if len(atts) == 0 || text != "" {
		if err := d.CheckText(text); err != nil {
			return err
		}
	}
	return d.checkAttachments(atts)
}

// WriteInLeg writes a message with attachments in consultation id, as
// LegMessageMachine lets the actor (its two agents, while it is active,
// not in a voice consultation); the message is its only event.
func (d *Decision) WriteInLeg(id LegID, text string, atts []Attachment) error {
	l := d.State().Leg(id)
	if l == nil {
		return d.Refuse(ErrNotFound, "R-C5", "no consultation "+string(id))
	}
	if _, err := d.fire(&LegMessageMachine.Chart, string(l.State), TriggerWrite, FirerOf(d.actor, l.Owner, l.Invitee), false, GuardInput{Leg: l}); err != nil {
		return err
	}
	return d.messageWith(text, LegScope(id), atts, false)
}

// WriteInChat writes a message with attachments to everyone in the chat,
// as ChatMessageMachine lets the actor (present, the contact or engaged
// with it, while the chat is active or waits for the contact); the
// message is its only event.
func (d *Decision) WriteInChat(text string, atts []Attachment) error {
	return d.writeChat(TriggerWrite, text, Everyone, atts, false)
}

// WriteNote writes a note with attachments that every agent of the chat
// sees and the contact never does, as ChatMessageMachine lets the actor
// (an agent in the chat, neither a supervisor nor a consultation target).
func (d *Decision) WriteNote(text string, atts []Attachment) error {
	return d.writeChat(TriggerNote, text, Scope{Kind: ScopeAgents}, atts, false)
}

// writeChat fires ChatMessageMachine's trigger for the acting party, then
// writes its message; checked: the command checked its content already
// (Post and Note do, before anything else).
func (d *Decision) writeChat(trigger Trigger, text string, sc Scope, atts []Attachment, checked bool) error {
	if _, err := d.fireChat(trigger); err != nil {
		return err
	}
	return d.messageWith(text, sc, atts, checked)
}

// fireChat fires ChatMessageMachine's trigger for the acting party, which
// it returns: its guards first, which read the party and the chat only,
// then the status.
func (d *Decision) fireChat(trigger Trigger) (*Party, error) {
	p, err := d.ActingParty()
	if err != nil {
		return nil, err
	}
	m := &ChatMessageMachine.Chart
	in := GuardInput{Party: p, Member: p.ID}
	if err := d.checkFirstOn(m, trigger, in); err != nil {
		return nil, err
	}
	if _, err := d.fire(m, string(d.State().Status), trigger, 0, false, in); err != nil {
		return nil, err
	}
	return p, nil
}

// messageWith records a party's message with attachments (none: Message);
// checked: CheckContent passed them already.
func (d *Decision) messageWith(text string, sc Scope, atts []Attachment, checked bool) error {
	if !checked {
		if err := d.CheckContent(text, atts); err != nil {
			return err
		}
	}
	if d.drafting && text == "" {
		text = draftText // a typing signal's stand-in (typing.go): never stored
	}
	ev := Event{Type: EventMessage, Text: text, Kind: KindText, Scope: sc, Leg: LegID(sc.Invitation), Seq: d.State().MessageCount() + 1}
	if len(atts) > 0 && !d.drafting {
		ev.Attachments = NewFiles(atts) // a copy: the caller's slice stays the caller's
	}
	d.record(ev)
	return nil
}

// validateAttachments is the log's rule for a message's attachments: a
// party's words only, at most MaxAttachmentsPerMessage, each as
// checkAttachments accepts with the log's own bounds, no reference twice.
func validateAttachments(ev *Event) error {
	atts := ev.Attachments.all()
	if len(atts) == 0 {
		return nil
	}
	if ev.Type != EventMessage || ev.Kind != KindText {
		return refuse(ev, "R-X6", checkInput, "attachments on a %s", ev.Type)
	}
	if len(atts) > MaxAttachmentsPerMessage {
		return refuse(ev, "R-X6", checkInput, "%d attachments, more than a message holds", len(atts))
	}
	for i := range atts {
		if why := attachmentProblem(&atts[i], MaxAttachmentSize); why != "" {
			return refuse(ev, "R-X6", checkInput, "%s", why)
		}
		for j := range i {
			if atts[j].Ref == atts[i].Ref {
				return refuse(ev, "R-X6", checkInput, "attachment reference used twice")
			}
		}
	}
	return nil
}

// msgAttachments are the attachments of message at (index in Messages).
type msgAttachments struct {
	at   uint32
	list []Attachment
}

// attachmentsAt returns the attachments of message index i (nil: none).
func (s *State) attachmentsAt(i uint32) []Attachment {
	if s.extra == nil || len(s.extra.attachments) == 0 {
		return nil
	}
	as := s.extra.attachments
	if lo := attachmentsFrom(as, i); lo < len(as) && as[lo].at == i {
		return as[lo].list
	}
	return nil
}

// attachmentsFrom is the index in as (ordered by message) of the first
// attachments of message index i or a later one.
func attachmentsFrom(as []msgAttachments, i uint32) int {
	lo, hi := 0, len(as)
	for lo < hi {
		m := (lo + hi) / 2
		if as[m].at < i {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// AttachmentsFor returns the attachments of viewer's message seq (its own
// number, Message.Seq), or nil when it has none or the viewer may not read
// a message seq. The slice is the caller's.
func (s *State) AttachmentsFor(viewer PartyID, seq uint32) []Attachment {
	p := s.Party(viewer)
	if p == nil {
		return nil
	}
	i, ok := p.sight.indexOf(seq)
	if !ok {
		return nil
	}
	return cloneAttachments(s.attachmentsAt(i))
}

func cloneAttachments(a []Attachment) []Attachment {
	if len(a) == 0 {
		return nil
	}
	return append([]Attachment(nil), a...)
}

// MayFetch reports whether viewer may fetch the file with reference ref:
// whether a message it may read carries an attachment with that reference.
// It is the check for the embedding service's download endpoint: a party
// that may not read the message may not fetch its files, a stranger
// nothing (R-X6).
//
// Decides R-C5: an attachment has exactly its message's visibility, its reference included.
func (s *State) MayFetch(viewer PartyID, ref string) bool {
	p := s.Party(viewer)
	if p == nil || ref == "" || s.extra == nil {
		return false
	}
	for _, ma := range s.extra.attachments {
		for k := range ma.list {
			if ma.list[k].Ref == ref {
				if _, ok := p.sight.seqOf(ma.at); ok {
					return true
				}
			}
		}
	}
	return false
}

// MayFetch is State.MayFetch on the interaction as this Service knows it
// (WithReadLatest: as the Store holds it). A party of another interaction
// or none gets false, and an unknown interaction ErrNotFound.
func (s *Service) MayFetch(ctx context.Context, id ID, viewer PartyID, ref string) (bool, error) {
	ok := false
	err := s.Read(ctx, id, func(st *State) error {
		ok = st.MayFetch(viewer, ref)
		return nil
	})
	return ok, err
}

// indexOf returns the index in State.Messages of the party's message seq.
func (ps *partySight) indexOf(seq uint32) (uint32, bool) {
	if seq < 1 || seq > ps.messages {
		return 0, false
	}
	r := ps.reads[ps.run(seq)]
	return r.at + (seq - 1 - r.before), true
}

// seqOf returns the party's number of message index i, if it may read it.
func (ps *partySight) seqOf(i uint32) (uint32, bool) {
	n, ok := ps.seqUpTo(i)
	return n, ok
}

// seqUpTo returns how many of the messages up to index i the party may
// read (its number of the last of them), and whether it may read i itself.
func (ps *partySight) seqUpTo(i uint32) (uint32, bool) {
	// The last run starting at or before i.
	lo, hi := 0, len(ps.reads)
	for lo < hi {
		m := (lo + hi) / 2
		if ps.reads[m].at <= i {
			lo = m + 1
		} else {
			hi = m
		}
	}
	j := lo - 1
	if j < 0 {
		return 0, false
	}
	r := ps.reads[j]
	n := ps.runLen(j)
	if i < r.at+n {
		return r.before + (i - r.at) + 1, true
	}
	return r.before + n, false
}

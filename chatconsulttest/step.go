package chatconsulttest

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/interaction"
)

// Step is one command a desk sends: who acts, and what. Interaction is
// empty for the story's own interaction; any other value sends the
// command to that interaction instead (the generators use it for "a
// command for an interaction that does not exist").
type Step struct {
	Interaction interaction.ID
	Actor       interaction.PartyID
	Command     interaction.Command
}

// Story is a sequence of steps on one interaction, as a real desk could
// send them (or deliberately could not: generated stories mix in invalid
// commands). Its String form is the scenario-script syntax, so a shrunk
// failing story can be pasted into a script.
type Story struct {
	Steps []Step
}

// FansOut reports whether the story offers a routed invitation to
// several agents at once (a step of two or more Offers, R-X1).
func (s Story) FansOut() bool {
	for _, st := range s.Steps {
		if o, ok := st.Command.(Offers); ok && len(o) > 1 {
			return true
		}
	}
	return false
}

// String renders the story one step per line, in script syntax.
func (s Story) String() string {
	var b strings.Builder
	for _, st := range s.Steps {
		b.WriteString(st.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// GoString makes rapid print a drawn story readably.
func (s Story) GoString() string { return "\n" + s.String() }

// The verbs of the script syntax. One verb per command type, except that
// decline and end take a leg for the consultation commands:
//
//	[@interaction] actor verb args... [key=value...]
//
//	open [TEXT] [contact=ID]               interaction.Open (Contact defaults to the actor)
//	assign AGENT                           interaction.Assign
//	join                                   interaction.Join
//	decline                                interaction.Decline (a chat offer)
//	withdraw AGENT                         interaction.Withdraw
//	post TEXT                              interaction.Post
//	note TEXT                              interaction.Note
//	leave                                  interaction.Leave
//	end                                    interaction.End
//	done                                   interaction.MarkDone
//	consult LEG AGENT [medium=M] [target=K:ID] [route=R] consult.Start (target defaults to agent:AGENT)
//	accept LEG                             consult.Accept
//	decline LEG                            consult.Decline
//	cancel LEG                             consult.Cancel
//	timeout LEG                            consult.TimeOut
//	end LEG                                consult.EndConsultation
//	say LEG TEXT                           consult.Say
//	transfer LEG                           consult.Transfer
//	conference LEG REQUEST                 consult.Conference
//	direct REQUEST transfer|conference AGENT [target=K:ID] [route=R] consult.Direct
//	offers CMD + CMD ...                   Offers: a fan-out, several consult or direct in one write (R-X1)
//	accept-offer OFFER [RIVAL...]          consult.AcceptOffer
//	reroute OFFER timeout|decline|rescind [LEG=>AGENT...] [exhausted] consult.Reroute (System)
//	accept-request REQUEST                 consult.AcceptRequest
//	decline-request REQUEST                consult.DeclineRequest
//	timeout-request REQUEST                consult.TimeOutRequest
//	cancel-request REQUEST                 consult.CancelRequest
//	remove MEMBER                          consult.Remove
//	monitor AGENT                          interaction.Monitor (R-X7)
//	coach AGENT [TEXT]                     interaction.Coach
//	barge-in                               interaction.BargeIn
//	read SEQ                               interaction.MarkRead
//
// post, note and say take files=REF,REF… for attachments (issue 17):
// each REF stands for FileFor(REF), the harness's canonical attachment.
//
// TEXT and any word are either bare (letters, digits and -_.:/#) or a Go
// quoted string ("a\xffb" for invalid UTF-8); "x"*4097 repeats a quoted
// string. The actor "system" is interaction.System.

// String renders the step in script syntax.
func (s Step) String() string {
	var w []string
	if s.Interaction != "" {
		w = append(w, "@"+word(string(s.Interaction)))
	}
	w = append(w, word(string(s.Actor)))
	w = append(w, commandWords(s.Actor, s.Command)...)
	return strings.Join(w, " ")
}

func commandWords(actor interaction.PartyID, c interaction.Command) []string {
	switch c := c.(type) {
	case interaction.Open:
		w := []string{"open"}
		if c.Text != "" {
			w = append(w, text(c.Text))
		}
		// The contact is named only when it is not the actor.
		if c.Contact != actor {
			w = append(w, "contact="+word(string(c.Contact)))
		}
		return w
	case interaction.Assign:
		return []string{"assign", word(string(c.Agent))}
	case interaction.Join:
		return []string{"join"}
	case interaction.Decline:
		return []string{"decline"}
	case interaction.Withdraw:
		return []string{"withdraw", word(string(c.Agent))}
	case interaction.Post:
		return withFiles([]string{"post", text(c.Text)}, c.Attachments)
	case interaction.Note:
		return withFiles([]string{"note", text(c.Text)}, c.Attachments)
	case interaction.MarkRead:
		return []string{"read", strconv.FormatUint(uint64(c.Seq), 10)}
	case interaction.Leave:
		return []string{"leave"}
	case interaction.EndSession:
		return []string{"end"}
	case interaction.MarkDone:
		return []string{"done"}
	case consult.Start:
		w := []string{"consult", word(string(c.Leg)), word(string(c.Invitee))}
		if c.Medium != interaction.MediumChat {
			w = append(w, "medium="+mediumWord(c.Medium))
		}
		if c.Target != agentTarget(c.Invitee) {
			w = append(w, "target="+targetWord(c.Target))
		}
		if c.Route != "" {
			w = append(w, "route="+word(string(c.Route)))
		}
		return w
	case consult.Accept:
		return []string{"accept", word(string(c.Leg))}
	case consult.Decline:
		return []string{"decline", word(string(c.Leg))}
	case consult.Cancel:
		return []string{"cancel", word(string(c.Leg))}
	case consult.TimeOut:
		return []string{"timeout", word(string(c.Leg))}
	case consult.EndConsultation:
		return []string{"end", word(string(c.Leg))}
	case consult.Say:
		return withFiles([]string{"say", word(string(c.Leg)), text(c.Text)}, c.Attachments)
	case consult.Transfer:
		return []string{"transfer", word(string(c.Leg))}
	case consult.Conference:
		return []string{"conference", word(string(c.Leg)), word(string(c.Request))}
	case consult.Direct:
		w := []string{"direct", word(string(c.Request)), requestKindWord(c.Kind), word(string(c.Invitee))}
		if c.Target != agentTarget(c.Invitee) {
			w = append(w, "target="+targetWord(c.Target))
		}
		if c.Route != "" {
			w = append(w, "route="+word(string(c.Route)))
		}
		return w
	case Offers:
		w := []string{"offers"}
		for i, sub := range c {
			if i > 0 {
				w = append(w, "+")
			}
			w = append(w, commandWords(actor, sub)...)
		}
		return w
	case consult.AcceptOffer:
		w := []string{"accept-offer", word(string(c.Invitation))}
		for _, r := range c.Rivals {
			w = append(w, word(string(r)))
		}
		return w
	case consult.Reroute:
		reason := map[consult.RerouteReason]string{consult.RerouteTimedOut: "timeout", consult.RerouteDeclined: "decline", consult.RerouteRescinded: "rescind"}[c.Reason]
		if reason == "" {
			reason = "reason" + strconv.Itoa(int(c.Reason))
		}
		w := []string{"reroute", word(string(c.Invitation)), reason}
		for _, o := range c.Next {
			w = append(w, word(string(o.ID)+"=>"+string(o.Invitee)))
		}
		if c.Exhausted {
			w = append(w, "exhausted")
		}
		return w
	case consult.AcceptRequest:
		return []string{"accept-request", word(string(c.Request))}
	case consult.DeclineRequest:
		return []string{"decline-request", word(string(c.Request))}
	case consult.TimeOutRequest:
		return []string{"timeout-request", word(string(c.Request))}
	case consult.CancelRequest:
		return []string{"cancel-request", word(string(c.Request))}
	case consult.Remove:
		return []string{"remove", word(string(c.Member))}
	case interaction.Monitor:
		return []string{"monitor", word(string(c.Agent))}
	case interaction.Coach:
		w := []string{"coach", word(string(c.Agent))}
		if c.Text != "" {
			w = append(w, text(c.Text))
		}
		return w
	case interaction.BargeIn:
		return []string{"barge-in"}
	}
	return []string{fmt.Sprintf("<%T>", c)}
}

func agentTarget(agent interaction.PartyID) interaction.Target {
	return interaction.Target{Kind: interaction.TargetAgent, ID: string(agent)}
}

func isBare(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune("-_.:/#", r):
		default:
			return false
		}
	}
	return true
}

// word renders an identifier: bare when it can be, quoted otherwise.
func word(s string) string {
	if isBare(s) && !strings.Contains(s, "=") {
		return s
	}
	return strconv.Quote(s)
}

// text renders message text: always quoted, long runs of one byte as "x"*N.
func text(s string) string {
	if len(s) > 80 && strings.Count(s, s[:1]) == len(s) {
		return strconv.Quote(s[:1]) + "*" + strconv.Itoa(len(s))
	}
	return strconv.Quote(s)
}

func mediumWord(m interaction.Medium) string {
	if m <= interaction.MediumVoice {
		return m.String()
	}
	return strconv.Itoa(int(m))
}

func requestKindWord(k interaction.RequestKind) string {
	switch k {
	case interaction.RequestTransfer, interaction.RequestConference:
		return k.String()
	}
	return "kind" + strconv.Itoa(int(k))
}

func targetWord(t interaction.Target) string {
	k := t.Kind.String()
	if t.Kind > interaction.TargetQueue {
		k = "kind" + strconv.Itoa(int(t.Kind))
	}
	return word(k + ":" + t.ID)
}

// ParseStep reads one step in script syntax.
func ParseStep(line string) (Step, error) {
	toks, err := tokenize(line)
	if err != nil {
		return Step{}, err
	}
	var s Step
	if len(toks) > 0 && strings.HasPrefix(toks[0].raw, "@") && !toks[0].quoted {
		rest, err := tokenize(strings.TrimPrefix(toks[0].raw, "@"))
		if err != nil || len(rest) != 1 {
			return Step{}, fmt.Errorf("bad interaction %q", toks[0].raw)
		}
		s.Interaction = interaction.ID(rest[0].val)
		toks = toks[1:]
	}
	if len(toks) < 2 {
		return Step{}, fmt.Errorf("want: actor verb args..., got %q", line)
	}
	s.Actor = interaction.PartyID(toks[0].val)
	cmd, err := parseTokens(s.Actor, toks[1:])
	if err != nil {
		return Step{}, err
	}
	s.Command = cmd
	return s, nil
}

// parseTokens reads one command: its verb, arguments and options; the verb
// offers reads the commands after it, separated by "+".
func parseTokens(actor interaction.PartyID, toks []token) (interaction.Command, error) {
	verb := toks[0].val
	if verb == "offers" && !toks[0].quoted {
		var out Offers
		start := 1
		for i := 1; i <= len(toks); i++ {
			if i < len(toks) && !(toks[i].raw == "+" && !toks[i].quoted) {
				continue
			}
			if i == start {
				return nil, fmt.Errorf("offers: an empty command")
			}
			c, err := parseTokens(actor, toks[start:i])
			if err != nil {
				return nil, fmt.Errorf("offers: %w", err)
			}
			out = append(out, c)
			start = i + 1
		}
		return out, nil
	}
	var args []string
	opts := map[string]string{}
	for _, t := range toks[1:] {
		if !t.quoted {
			if k, v, ok := strings.Cut(t.raw, "="); ok {
				vt, err := tokenize(v)
				if err != nil || len(vt) != 1 {
					return nil, fmt.Errorf("bad option %q", t.raw)
				}
				opts[k] = vt[0].val
				continue
			}
		}
		args = append(args, t.val)
	}
	cmd, err := parseCommand(actor, verb, args, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", verb, err)
	}
	return cmd, nil
}

func parseCommand(actor interaction.PartyID, verb string, a []string, opts map[string]string) (interaction.Command, error) {
	want := func(n ...int) error {
		for _, k := range n {
			if len(a) == k {
				return nil
			}
		}
		return fmt.Errorf("want %v arguments, got %d", n, len(a))
	}
	allowed := map[string][]string{"open": {"contact"}, "consult": {"medium", "target", "route"}, "direct": {"target", "route"},
		"post": {"files"}, "note": {"files"}, "say": {"files"}}
	files := parseFiles(opts["files"])
	for k := range opts {
		ok := false
		for _, x := range allowed[verb] {
			ok = ok || x == k
		}
		if !ok {
			return nil, fmt.Errorf("unknown option %q", k)
		}
	}
	leg := func(i int) interaction.LegID { return interaction.LegID(a[i]) }
	inv := func(i int) interaction.InvitationID { return interaction.InvitationID(a[i]) }
	req := func(i int) interaction.RequestID { return interaction.RequestID(a[i]) }
	party := func(i int) interaction.PartyID { return interaction.PartyID(a[i]) }
	one := func(f func() interaction.Command) (interaction.Command, error) {
		if err := want(1); err != nil {
			return nil, err
		}
		return f(), nil
	}
	none := func(c interaction.Command) (interaction.Command, error) {
		if err := want(0); err != nil {
			return nil, err
		}
		return c, nil
	}
	switch verb {
	case "open":
		if err := want(0, 1); err != nil {
			return nil, err
		}
		c := interaction.Open{Contact: actor}
		if len(a) == 1 {
			c.Text = a[0]
		}
		if v, ok := opts["contact"]; ok {
			c.Contact = interaction.PartyID(v)
		}
		return c, nil
	case "assign":
		return one(func() interaction.Command { return interaction.Assign{Agent: party(0)} })
	case "join":
		return none(interaction.Join{})
	case "decline":
		if len(a) == 0 {
			return interaction.Decline{}, nil
		}
		return one(func() interaction.Command { return consult.Decline{Leg: leg(0)} })
	case "withdraw":
		return one(func() interaction.Command { return interaction.Withdraw{Agent: party(0)} })
	case "post":
		return one(func() interaction.Command { return interaction.Post{Text: a[0], Attachments: files} })
	case "note":
		return one(func() interaction.Command { return interaction.Note{Text: a[0], Attachments: files} })
	case "read":
		if err := want(1); err != nil {
			return nil, err
		}
		n, err := strconv.ParseUint(a[0], 10, 32)
		if err != nil {
			return nil, fmt.Errorf("read: %w", err)
		}
		return interaction.MarkRead{Seq: uint32(n)}, nil
	case "leave":
		return none(interaction.Leave{})
	case "end":
		if len(a) == 0 {
			return interaction.EndSession{}, nil
		}
		return one(func() interaction.Command { return consult.EndConsultation{Leg: leg(0)} })
	case "done":
		return none(interaction.MarkDone{})
	case "consult":
		if err := want(2); err != nil {
			return nil, err
		}
		c := consult.Start{Leg: leg(0), Invitee: party(1), Target: agentTarget(party(1))}
		if v, ok := opts["medium"]; ok {
			m, err := parseMedium(v)
			if err != nil {
				return nil, err
			}
			c.Medium = m
		}
		if v, ok := opts["target"]; ok {
			t, err := parseTarget(v)
			if err != nil {
				return nil, err
			}
			c.Target = t
		}
		c.Route = interaction.RouteID(opts["route"])
		return c, nil
	case "accept":
		return one(func() interaction.Command { return consult.Accept{Leg: leg(0)} })
	case "cancel":
		return one(func() interaction.Command { return consult.Cancel{Leg: leg(0)} })
	case "timeout":
		return one(func() interaction.Command { return consult.TimeOut{Leg: leg(0)} })
	case "say":
		if err := want(2); err != nil {
			return nil, err
		}
		return consult.Say{Leg: leg(0), Text: a[1], Attachments: files}, nil
	case "transfer":
		return one(func() interaction.Command { return consult.Transfer{Leg: leg(0)} })
	case "conference":
		if err := want(2); err != nil {
			return nil, err
		}
		return consult.Conference{Leg: leg(0), Request: req(1)}, nil
	case "direct":
		if err := want(3); err != nil {
			return nil, err
		}
		k, err := parseRequestKind(a[1])
		if err != nil {
			return nil, err
		}
		c := consult.Direct{Request: req(0), Kind: k, Invitee: party(2), Target: agentTarget(party(2))}
		if v, ok := opts["target"]; ok {
			t, err := parseTarget(v)
			if err != nil {
				return nil, err
			}
			c.Target = t
		}
		c.Route = interaction.RouteID(opts["route"])
		return c, nil
	case "accept-offer":
		if len(a) == 0 {
			return nil, fmt.Errorf("want the offer, and its rivals")
		}
		c := consult.AcceptOffer{Invitation: inv(0)}
		for i := 1; i < len(a); i++ {
			c.Rivals = append(c.Rivals, inv(i))
		}
		return c, nil
	case "reroute":
		if len(a) < 2 {
			return nil, fmt.Errorf("want the invitation, a reason, and the next offers (LEG:AGENT) or exhausted")
		}
		c := consult.Reroute{Invitation: inv(0)}
		switch a[1] {
		case "timeout":
			c.Reason = consult.RerouteTimedOut
		case "decline":
			c.Reason = consult.RerouteDeclined
		case "rescind":
			c.Reason = consult.RerouteRescinded
		default:
			n, err := strconv.ParseUint(strings.TrimPrefix(a[1], "reason"), 10, 8)
			if err != nil || !strings.HasPrefix(a[1], "reason") {
				return nil, fmt.Errorf("want timeout, decline or rescind, got %q", a[1])
			}
			c.Reason = consult.RerouteReason(n)
		}
		for _, w := range a[2:] {
			if w == "exhausted" {
				c.Exhausted = true
				continue
			}
			id, agent, ok := strings.Cut(w, "=>")
			if !ok {
				return nil, fmt.Errorf("want LEG=>AGENT, got %q", w)
			}
			c.Next = append(c.Next, consult.Offer{ID: interaction.InvitationID(id), Invitee: interaction.PartyID(agent)})
		}
		return c, nil
	case "accept-request":
		return one(func() interaction.Command { return consult.AcceptRequest{Request: req(0)} })
	case "decline-request":
		return one(func() interaction.Command { return consult.DeclineRequest{Request: req(0)} })
	case "timeout-request":
		return one(func() interaction.Command { return consult.TimeOutRequest{Request: req(0)} })
	case "cancel-request":
		return one(func() interaction.Command { return consult.CancelRequest{Request: req(0)} })
	case "remove":
		return one(func() interaction.Command { return consult.Remove{Member: party(0)} })
	case "monitor":
		return one(func() interaction.Command { return interaction.Monitor{Agent: party(0)} })
	case "coach":
		if err := want(1, 2); err != nil {
			return nil, err
		}
		c := interaction.Coach{Agent: party(0)}
		if len(a) == 2 {
			c.Text = a[1]
		}
		return c, nil
	case "barge-in":
		return none(interaction.BargeIn{})
	}
	return nil, fmt.Errorf("unknown verb")
}

func parseMedium(s string) (interaction.Medium, error) {
	for m := interaction.MediumChat; m <= interaction.MediumVoice; m++ {
		if m.String() == s {
			return m, nil
		}
	}
	n, err := strconv.ParseUint(s, 10, 8)
	if err != nil {
		return 0, fmt.Errorf("unknown medium %q", s)
	}
	return interaction.Medium(n), nil
}

func parseRequestKind(s string) (interaction.RequestKind, error) {
	switch s {
	case "transfer":
		return interaction.RequestTransfer, nil
	case "conference":
		return interaction.RequestConference, nil
	}
	if n, err := strconv.ParseUint(strings.TrimPrefix(s, "kind"), 10, 8); err == nil && strings.HasPrefix(s, "kind") {
		return interaction.RequestKind(n), nil
	}
	return 0, fmt.Errorf("want transfer or conference, got %q", s)
}

func parseTarget(s string) (interaction.Target, error) {
	k, id, ok := strings.Cut(s, ":")
	if !ok {
		return interaction.Target{}, fmt.Errorf("want kind:id, got %q", s)
	}
	for tk := interaction.TargetAgent; tk <= interaction.TargetQueue; tk++ {
		if tk.String() == k {
			return interaction.Target{Kind: tk, ID: id}, nil
		}
	}
	if n, err := strconv.ParseUint(strings.TrimPrefix(k, "kind"), 10, 8); err == nil && strings.HasPrefix(k, "kind") {
		return interaction.Target{Kind: interaction.TargetKind(n), ID: id}, nil
	}
	return interaction.Target{}, fmt.Errorf("unknown target kind %q", k)
}

type token struct {
	raw    string // as written
	val    string // unquoted
	quoted bool
}

// tokenize splits a line into bare words and Go quoted strings ("x"*N
// repeats). A word may carry a quoted value after '=' (key="a b").
func tokenize(line string) ([]token, error) {
	var out []token
	i := 0
	for {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i >= len(line) {
			return out, nil
		}
		start := i
		if line[i] == '"' {
			q, err := strconv.QuotedPrefix(line[i:])
			if err != nil {
				return nil, fmt.Errorf("bad quoted string at %q", line[i:])
			}
			i += len(q)
			val, _ := strconv.Unquote(q)
			if i < len(line) && line[i] == '*' {
				j := i + 1
				for j < len(line) && line[j] >= '0' && line[j] <= '9' {
					j++
				}
				n, err := strconv.Atoi(line[i+1 : j])
				if err != nil || n > 1<<20 {
					return nil, fmt.Errorf("bad repeat at %q", line[i:])
				}
				val = strings.Repeat(val, n)
				i = j
			}
			out = append(out, token{raw: line[start:i], val: val, quoted: true})
			continue
		}
		for i < len(line) && line[i] != ' ' && line[i] != '\t' {
			if line[i] == '"' {
				q, err := strconv.QuotedPrefix(line[i:])
				if err != nil {
					return nil, fmt.Errorf("bad quoted string at %q", line[i:])
				}
				i += len(q)
				continue
			}
			i++
		}
		raw := line[start:i]
		out = append(out, token{raw: raw, val: raw})
	}
}

// FileFor is the harness's canonical attachment for reference ref: the
// attachment a script's files=REF stands for, and the only kind the
// generators draw (a bad ref makes it bad input).
func FileFor(ref string) interaction.Attachment {
	return interaction.Attachment{Name: ref + ".pdf", MediaType: "application/pdf", Size: int64(100 + len(ref)), Ref: ref}
}

func withFiles(w []string, atts []interaction.Attachment) []string {
	if len(atts) == 0 {
		return w
	}
	refs := make([]string, len(atts))
	for i, a := range atts {
		if a != FileFor(a.Ref) {
			refs[i] = "<non-canonical " + a.Name + ">"
			continue
		}
		refs[i] = a.Ref
	}
	return append(w, "files="+word(strings.Join(refs, ",")))
}

func parseFiles(v string) []interaction.Attachment {
	if v == "" {
		return nil
	}
	var out []interaction.Attachment
	for _, r := range strings.Split(v, ",") {
		out = append(out, FileFor(r))
	}
	return out
}

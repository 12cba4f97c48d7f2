package chatconsulttest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"pgregory.net/rapid"

	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/history"
	"github.com/chatconsult/chatconsult/interaction"
)

// The privacy property (issue 12): a party learns nothing it may not see,
// metadata included (docs/visibility.md). After every step it checks
// every read path of every party of the story, and of a Stranger, against
// the reference model:
//
//   - Service.View: the view the model predicts (CompareView);
//   - what each party's subscription received since the last step: the
//     events the model says it is told (Model.Told), in its own numbers,
//     and the invariants of Checker.Delivered;
//   - what Service.Do (or the WithDo command path) handed back to the
//     acting party: the same;
//   - history.NewExport for the party, its JSON (read back with
//     history.ReadExport) and its text (WriteText): what its view holds,
//     no text it may not read, one line per message with every control
//     and format character escaped, and, for the contact, no internal
//     agent ID outside the words a party wrote;
//   - the error texts of refused commands: none carries a text its actor
//     may not read (nor, for the contact, an internal agent ID), and a
//     Stranger's refusals read the same whatever the interaction holds
//     (each is compared with the refusal of the same command on another
//     interaction under the same ID);
//   - retries (Service.DoCommand with a command ID already committed): the
//     same party's same command gets back its own events (Model.Retold),
//     anyone else's reuse of the ID is a conflict that hands back nothing;
//   - the Stranger: no view, no export, no event, no supervision without
//     the policy's leave.

// AnyoneButStrangerMaySupervise is the supervision policy PrivacyProperty
// runs with unless told otherwise: every party but the Stranger may
// supervise every agent, so the Stranger's supervision attempts probe the
// policy (R-X7: without the policy's leave, Monitor, Coach and BargeIn are
// refused, and the refusal tells nothing).
var AnyoneButStrangerMaySupervise interaction.SupervisionPolicy = interaction.SupervisionPolicyFunc(
	func(_ interaction.ID, supervisor, _ interaction.PartyID) bool { return supervisor != Stranger })

// Feed is one party's subscription, as PrivacyProperty reads it: every
// event delivered since the last Drain. *interaction.Subscription is one.
type Feed interface {
	Drain() []interaction.Event
}

// Feeds makes a Feed per party. A harness's Notifier that implements it
// (a wrapping notifier of your own) is read through it; a
// *interaction.MemoryNotifier is read through its Subscribe.
type Feeds interface {
	Feed(party interaction.PartyID) Feed
}

type memoryFeeds struct{ n *interaction.MemoryNotifier }

func (f memoryFeeds) Feed(p interaction.PartyID) Feed { return f.n.Subscribe(p) }

// PrivacyHarness is a Harness that, after every step, checks every read
// path of every party against the model (see PrivacyProperty).
type PrivacyHarness struct {
	*Harness
	ref   *interaction.Service // the same interaction ID, opened and nothing more
	feeds map[interaction.PartyID]Feed
	seen  map[interaction.PartyID]*interaction.View // each party's view at the last check
	// Probes is how many of the Stranger's probe commands to try after a
	// step (all of them when 0 or more than there are), starting at
	// ProbeFrom (PrivacyProperty draws it).
	Probes, ProbeFrom int
}

// NewPrivacyHarness returns a privacy harness on a fresh interaction,
// subscribed for parties (the parties a story may bring in; the Stranger
// is added).
func NewPrivacyHarness(parties []interaction.PartyID, opts ...HarnessOption) *PrivacyHarness {
	opts = append([]HarnessOption{WithSupervision(AnyoneButStrangerMaySupervise)}, opts...)
	h := NewHarness(opts...)
	ph := &PrivacyHarness{Harness: h, feeds: map[interaction.PartyID]Feed{}, seen: map[interaction.PartyID]*interaction.View{}}
	h.viewsChecked = h.defaultView // Service.View is compared in readPaths
	var feeds Feeds
	switch n := h.notifier.(type) {
	case Feeds:
		feeds = n
	case *interaction.MemoryNotifier:
		feeds = memoryFeeds{n}
	}
	if feeds != nil {
		for _, p := range append(slices.Clone(parties), Stranger) {
			if _, ok := ph.feeds[p]; !ok && p != "" && p != interaction.System {
				ph.feeds[p] = feeds.Feed(p)
			}
		}
	}
	refOpts := []interaction.Option{interaction.WithClock(NewManualClock()), interaction.WithIDs(NewSequentialIDs("ref-"))}
	if h.policy != nil {
		refOpts = append(refOpts, interaction.WithSupervision(h.policy))
	}
	ph.ref = interaction.NewService(refOpts...)
	contact := interaction.PartyID("contact")
	for _, p := range parties {
		if p != "" {
			contact = p // the first party named is the contact, for Gen's stories
			break
		}
	}
	_, _ = ph.ref.DoCommand(context.Background(), h.ID, contact, "ref-open", interaction.Open{Contact: contact, Text: "Hello"})
	return ph
}

// Do runs one step on the harness (the model, the checker) and then the
// privacy checks of every read path.
func (ph *PrivacyHarness) Do(ctx context.Context, step Step) StepReport {
	following := ph.stopped == ""
	rep := ph.Harness.Do(ctx, step)
	if !following || ph.stopped != "" || rep.Outcome.Unmodelled {
		return rep
	}
	m := ph.Model
	// What Do handed back to the actor.
	if p := m.party(step.Actor); rep.Err == nil && p != nil {
		rep.Differences = append(rep.Differences, CompareEvents(m, step.Actor, rep.Told, m.Told(step.Actor), "what Do handed back to "+string(step.Actor))...)
	}
	if rep.Err != nil {
		rep.Differences = append(rep.Differences, ph.refusalText(ctx, step, rep.Err, "refusal of "+step.String(), true)...)
	}
	ph.readPaths(ctx, &rep, true)
	ph.probe(ctx, &rep)
	ph.typingProbe(ctx, &rep, step.Actor) // issue 17 (privacy_typing.go)
	return rep
}

// Retry sends the step's command again with its command ID, as actor
// (step.Actor: a retry; anyone else: a reuse of the ID by another party),
// and checks what comes back: the actor's own events (Model.Retold) for
// the same command by the same party, and for anyone else a conflict that
// hands back nothing; nothing is written or delivered again.
func (ph *PrivacyHarness) Retry(ctx context.Context, done StepReport, actor interaction.PartyID) StepReport {
	step := done.Step
	step.Actor = actor
	rep := StepReport{Step: step, Cause: done.Cause, Retry: true, Outcome: Outcome{Accepted: actor == done.Step.Actor}}
	if ph.stopped != "" {
		return rep
	}
	cmd := step.Command
	if ph.substitute != nil {
		cmd = ph.substitute(cmd)
	}
	told, err := ph.do(ctx, ph.Chats, ph.ID, actor, done.Cause, cmd)
	rep.Err, rep.Told, rep.Events = err, told, ph.rec.take(ph.ID)
	subject := fmt.Sprintf("retry of %s (%s) by %s", done.Cause, done.Step, actor)
	add := func(rule, format string, args ...any) {
		rep.Differences = append(rep.Differences, Difference{Rule: rule, Subject: subject, Detail: fmt.Sprintf(format, args...)})
	}
	if len(rep.Events) > 0 {
		add("R-X5", "a retry wrote %d events", len(rep.Events))
	}
	if actor == done.Step.Actor {
		if err != nil {
			add("R-X6", "the same party's same command is refused: %v", err)
		}
		if actor != interaction.System { // the service itself is handed everything
			rep.Differences = append(rep.Differences, CompareEvents(ph.Model, actor, told, ph.Model.Retold(actor, done.Cause), subject)...)
		}
	} else {
		var e *interaction.Error
		if !errors.As(err, &e) || !errors.Is(err, interaction.ErrConflict) {
			add("R-X6", "another party's reuse of a command ID is not a conflict: %v", err)
		}
		if len(told) > 0 {
			add("R-X6", "another party's reuse of a command ID hands back %d events of that command: %s", len(told), eventList(told))
		}
		if err != nil {
			// A conflict is what anyone reusing the ID is told: no
			// comparison with another interaction, where the ID is unused.
			rep.Differences = append(rep.Differences, ph.refusalText(ctx, step, err, subject, false)...)
		}
	}
	ph.readPaths(ctx, &rep, false)
	return rep
}

func eventList(evs []interaction.Event) string {
	var parts []string
	for _, ev := range evs {
		parts = append(parts, fmt.Sprintf("v%d %s by %q %q", ev.Version, ev.Type, ev.Actor, ev.Text))
	}
	return strings.Join(parts, "; ")
}

// readPaths checks every party's views, events and exports, and the
// Stranger's. told: the parties are told the last step's items (false: a
// retry, after which nobody is told anything).
func (ph *PrivacyHarness) readPaths(ctx context.Context, rep *StepReport, told bool) {
	m := ph.Model
	add := func(d ...Difference) { rep.Differences = append(rep.Differences, d...) }
	var exports []*mParty // whose views changed: their exports are checked
	for _, p := range m.parties {
		v, err := ph.Chats.View(ctx, ph.ID, p.id)
		if err != nil {
			add(Difference{Rule: "R-X6", Subject: "Service.View of " + string(p.id), Detail: "refused: " + err.Error()})
		} else {
			add(CompareView(m, v, "Service.View of "+string(p.id))...)
		}
		// The export is derived from the view: a view as it was at the last
		// check (and the model's, too) gives the same export.
		changed := err != nil || ph.seen[p.id] == nil || !sameLibraryView(&v, ph.seen[p.id])
		if err == nil {
			ph.seen[p.id] = &v
		}
		if f := ph.feeds[p.id]; f != nil {
			got := f.Drain()
			var want []interaction.Event
			if told {
				want = m.Told(p.id)
			}
			add(CompareEvents(m, p.id, got, want, "events delivered to "+string(p.id))...)
			if len(got) > 0 {
				var vw *interaction.View
				if err == nil {
					vw = &v
				}
				rep.Violations = append(rep.Violations, ph.Checker.delivered(p.id, got, vw)...)
			}
		}
		if changed {
			exports = append(exports, p)
		}
	}
	err := ph.Chats.Read(ctx, ph.ID, func(st *interaction.State) error {
		for _, p := range exports {
			add(checkExport(m, p, st, p.role == interaction.RoleContact || !told)...)
		}
		if m.party(Stranger) == nil {
			if _, err := history.NewExport(st, Stranger); !errors.Is(err, interaction.ErrNotPermitted) {
				add(Difference{Rule: "R-X8", Subject: "export of " + string(Stranger), Detail: fmt.Sprintf("a non-participant exports the interaction (err %v)", err)})
			}
		}
		return nil
	})
	if err != nil && m.exists {
		add(Difference{Rule: "R-X5", Subject: "interaction", Detail: "cannot read it: " + err.Error()})
	}
	// The Stranger reads nothing.
	if m.party(Stranger) == nil {
		if _, err := ph.Chats.View(ctx, ph.ID, Stranger); m.exists && !errors.Is(err, interaction.ErrNotPermitted) {
			add(Difference{Rule: "R-X6", Subject: "Service.View of " + string(Stranger), Detail: fmt.Sprintf("a non-participant reads the interaction (err %v)", err)})
		}
		if f := ph.feeds[Stranger]; f != nil {
			if got := f.Drain(); len(got) > 0 {
				add(Difference{Rule: "R-X6", Subject: "events delivered to " + string(Stranger), Detail: "a non-participant is told " + eventList(got)})
			}
		}
	}
}

// strangerProbes are commands a Stranger tries after a step: each must be
// refused, with the same error text as on another interaction under the
// same ID (a refusal tells it nothing of what the interaction holds).
func strangerProbes(agent interaction.PartyID, supervise bool) []interaction.Command {
	t := agentTarget(agent)
	probes := []interaction.Command{
		interaction.Post{Text: "let me in"},
		consult.Accept{Leg: "leg1"},
		interaction.Note{Text: "psst"},
		consult.Say{Leg: "leg1", Text: "psst"},
		consult.AcceptRequest{Request: "req1"},
		interaction.Leave{},
		consult.EndConsultation{Leg: "leg1"},
		interaction.MarkDone{},
		consult.Transfer{Leg: "leg1"},
		interaction.Join{},
		consult.Decline{Leg: "leg1"},
		interaction.EndSession{},
		consult.Cancel{Leg: "leg1"},
		consult.DeclineRequest{Request: "req1"},
		consult.CancelRequest{Request: "req1"},
		consult.Conference{Leg: "leg1", Request: "req9"},
		consult.Start{Leg: "leg9", Invitee: agent, Target: t},
		consult.Direct{Request: "req9", Kind: interaction.RequestConference, Invitee: agent, Target: t},
		consult.Remove{Member: agent},
		interaction.Decline{},
		interaction.Open{Contact: Stranger, Text: "hi"},
		interaction.Assign{Agent: Stranger},
		consult.TimeOut{Leg: "leg1"},
	}
	if supervise {
		probes = append(probes, interaction.Monitor{Agent: agent}, interaction.Coach{Agent: agent, Text: "psst"}, interaction.BargeIn{})
	}
	return probes
}

// probe runs the Stranger's probes (Probes of them from ProbeFrom, or all).
func (ph *PrivacyHarness) probe(ctx context.Context, rep *StepReport) {
	m := ph.Model
	if !m.exists || m.party(Stranger) != nil {
		return
	}
	agent := interaction.PartyID("agent1")
	for _, p := range m.parties {
		if p.role != interaction.RoleContact {
			agent = p.id
			break
		}
	}
	supervise := ph.policy == nil || !ph.policy.MaySupervise(ph.ID, Stranger, agent)
	probes := strangerProbes(agent, supervise)
	n := ph.Probes
	if n <= 0 || n > len(probes) {
		n = len(probes)
	}
	for i := 0; i < n; i++ {
		cmd := probes[(ph.ProbeFrom+i)%len(probes)]
		step := Step{Actor: Stranger, Command: cmd}
		subject := "probe by the Stranger: " + step.String()
		if ph.substitute != nil {
			cmd = ph.substitute(cmd)
		}
		told, err := ph.do(ctx, ph.Chats, ph.ID, Stranger, "", cmd)
		if events := ph.rec.take(ph.ID); err == nil || len(events) > 0 || len(told) > 0 {
			rule := "R-X6"
			switch step.Command.(type) {
			case interaction.Monitor, interaction.Coach, interaction.BargeIn:
				rule = "R-X7" // supervision needs the embedding service's policy
			}
			rep.Differences = append(rep.Differences, Difference{Rule: rule, Subject: subject,
				Detail: fmt.Sprintf("accepted (err %v, %d events written, %d handed back): a non-participant acts on the interaction", err, len(events), len(told))})
			ph.stopped = "the Stranger's probe " + step.String() + " was accepted"
			return
		}
		rep.Differences = append(rep.Differences, ph.refusalText(ctx, step, err, subject, true)...)
	}
}

// refusalText checks the text of a refusal: it carries no text its actor
// may not read (nor, for the contact, an internal agent ID); a party that
// is not in the interaction is told exactly what it would be told on
// another interaction under the same ID (the reference, opened and nothing
// more): nothing of what the interaction holds. That holds for a party the
// supervision policy refuses, not for one it lets supervise: that one may
// learn whom it can supervise. compare false skips the comparison.
func (ph *PrivacyHarness) refusalText(ctx context.Context, step Step, err error, subject string, compare bool) []Difference {
	var out []Difference
	add := func(rule, format string, args ...any) {
		out = append(out, Difference{Rule: rule, Subject: subject, Detail: fmt.Sprintf(format, args...)})
	}
	m := ph.Model
	text := err.Error()
	if p := m.party(step.Actor); p != nil {
		for _, h := range distinctive(m.hiddenTexts(p), m.readableTexts(p)) {
			if strings.Contains(text, h) {
				add(leakRuleFor(p), "the error %q carries text it may not read", text)
			}
		}
		if p.role == interaction.RoleContact {
			for _, id := range m.internalIDs() {
				if containsWord(text, string(id)) {
					add("R-X6", "the error %q names internal agent ID %s", text, id)
				}
			}
		}
		return out
	}
	if !compare || step.Actor == interaction.System || (step.Interaction != "" && step.Interaction != ph.ID) || !m.exists {
		return out
	}
	if ph.maySupervise(step) {
		return out // the policy lets it supervise: it may learn whom
	}
	cmd := step.Command
	if ph.substitute != nil {
		cmd = ph.substitute(cmd)
	}
	_, refErr := ph.do(ctx, ph.ref, ph.ID, step.Actor, "", cmd)
	if refErr == nil || refErr.Error() != text {
		add("R-X6", "a non-participant is told %q here, %q on another interaction: its refusal tells it what this one holds", text, errText(refErr))
	}
	return out
}

// maySupervise: step is a supervision command that the policy lets its
// actor give (no agent named: the policy is asked about the owner).
func (ph *PrivacyHarness) maySupervise(step Step) bool {
	var agent interaction.PartyID
	switch c := step.Command.(type) {
	case interaction.Monitor:
		agent = c.Agent
	case interaction.Coach:
		agent = c.Agent
	case interaction.BargeIn:
	default:
		return false
	}
	if o := ph.Model.presentOwner(); agent == "" && o != nil {
		agent = o.id
	}
	return ph.policy != nil && agent != "" && ph.policy.MaySupervise(ph.ID, step.Actor, agent)
}

func errText(err error) string {
	if err == nil {
		return "<accepted>"
	}
	return err.Error()
}

func leakRuleFor(p *mParty) string {
	switch {
	case p.role == interaction.RoleContact:
		return "R-C5"
	case p.role == interaction.RoleSupervisor || p.supervises != "":
		return "R-X7"
	}
	return "R-X6"
}

// distinctive keeps the hidden texts that can be told apart in a larger
// text: long enough, plain (no character an export escapes), and not part
// of a text the viewer may read.
func distinctive(hidden, readable []string) []string {
	var out []string
next:
	for _, h := range hidden {
		if len(h) < 8 || strings.IndexFunc(h, func(r rune) bool { return r == '\\' || r == '"' || !unicode.IsGraphic(r) || r > unicode.MaxASCII }) >= 0 {
			continue
		}
		for _, r := range readable {
			if strings.Contains(r, h) {
				continue next
			}
		}
		out = append(out, h)
	}
	return out
}

// checkExport checks p's transcript export (R-X8): history.NewExport holds
// what p's view holds; its JSON reads back to it and holds no text p may
// not read; its text form has one line per message with every control and
// format character escaped, and no text p may not read; the contact's
// holds no internal agent ID outside the words a party wrote (R-H2: the
// contact history holds no consultation). readBack: read the JSON back
// too (history.ReadExport), and check it writes the same JSON again.
func checkExport(m *Model, p *mParty, st *interaction.State, readBack bool) []Difference {
	var out []Difference
	subject := "export of " + string(p.id)
	add := func(rule, format string, args ...any) {
		out = append(out, Difference{Rule: rule, Subject: subject, Detail: fmt.Sprintf(format, args...)})
	}
	x, err := history.NewExport(st, p.id)
	if err != nil {
		add("R-X8", "refused: %v", err)
		return out
	}
	want, _ := m.sightOf(p.id) // what p may know (model_view.go)
	rule := leakRuleFor(p)
	if p.role == interaction.RoleContact {
		rule = "R-H2"
	}
	if x.Viewer.ID != p.id || x.Viewer.Role != want.role.String() || x.Viewer.Membership != string(want.membership) || x.Status != string(want.status) || x.Version != uint64(want.shown) {
		add("R-X8", "header: %s %s %s %s v%d, model %s %s %s %s v%d", x.Viewer.ID, x.Viewer.Role, x.Viewer.Membership, x.Status, x.Version,
			p.id, want.role, want.membership, want.status, want.shown)
	}
	if (x.Ended != nil) != want.endTold {
		add("R-X8", "end of the session shown: %v, model told of it: %v", x.Ended != nil, want.endTold)
	}
	var gotP, wantP []string
	for _, q := range x.Parties {
		gotP = append(gotP, fmt.Sprintf("%s %q %s %s", q.ID, q.Name, q.Role, q.Membership))
	}
	for _, sp := range want.parties {
		id, name, role, ms := m.partyFacts(&want, sp)
		wantP = append(wantP, fmt.Sprintf("%s %q %s %s", id, name, role, ms))
	}
	if !slices.Equal(gotP, wantP) {
		add(rule, "parties: %v, model %v", gotP, wantP)
	}
	var gotL []string
	for _, l := range x.Consultations {
		gotL = append(gotL, fmt.Sprintf("%s %s→%s %s %s %s", l.Leg, l.Owner, l.Invitee, l.Target, l.Medium, l.State))
	}
	if wantL := legLinesOf(&want); !slices.Equal(gotL, wantL) {
		add(rule, "consultations: %v, model %v", gotL, wantL)
	}
	var gotM, wantM []string
	for _, msg := range x.Messages {
		gotM = append(gotM, fmt.Sprintf("#%d %s %s %s %s %s %q", msg.Seq, msg.Author, msg.Kind, msg.Scope, msg.Leg, msg.To, msg.Text))
	}
	for k, i := range want.messages {
		mm := &m.messages[i]
		var leg interaction.LegID
		var to interaction.PartyID
		switch mm.scope.Kind {
		case interaction.ScopeLeg:
			leg = interaction.LegID(mm.scope.Invitation)
		case interaction.ScopeParty, interaction.ScopeCoach:
			to = mm.scope.Party
		}
		wantM = append(wantM, fmt.Sprintf("#%d %s %s %s %s %s %q", k+1, m.shownID(p, mm.author), mm.kind, mm.scope.Kind, leg, to, m.shownText(p, i)))
	}
	if !slices.Equal(gotM, wantM) {
		leaked, missed := multisetDiff(gotM, wantM)
		add(rule, "messages: it shows %v and lacks %v", leaked, missed)
	}
	if p.role == interaction.RoleContact {
		ids := m.internalIDs()
		fields := []string{string(x.Viewer.ID)}
		for _, q := range x.Parties {
			fields = append(fields, string(q.ID), q.Name)
		}
		for _, l := range x.Consultations {
			fields = append(fields, string(l.Leg), string(l.Owner), string(l.Invitee), l.Target)
		}
		for _, msg := range x.Messages {
			fields = append(fields, string(msg.Author), string(msg.Leg), string(msg.To))
			if msg.Kind == interaction.KindNotice.String() {
				fields = append(fields, msg.Text)
			}
		}
		for _, f := range fields {
			for _, id := range ids {
				if containsWord(f, string(id)) {
					add("R-X8", "the contact's export names internal agent ID %s (%q)", id, f)
				}
			}
		}
	}
	hidden := distinctive(m.hiddenTexts(p), m.readableTexts(p))

	// The JSON form reads back to the same export, and holds nothing more
	// (nothing to look for when nothing is hidden and nobody's ID is).
	if readBack || len(hidden) > 0 || p.role == interaction.RoleContact {
		out = append(out, checkExportJSON(x, hidden, rule, subject, readBack)...)
	}
	return append(out, checkExportText(m, p, x, hidden, rule, subject)...)
}

// checkExportJSON: x's JSON form reads back to the same export (readBack)
// and holds none of the hidden texts.
func checkExportJSON(x history.Export, hidden []string, rule, subject string, readBack bool) []Difference {
	var out []Difference
	add := func(rule, format string, args ...any) {
		out = append(out, Difference{Rule: rule, Subject: subject, Detail: fmt.Sprintf(format, args...)})
	}
	var js bytes.Buffer
	if err := x.WriteJSON(&js); err != nil {
		add("R-X8", "WriteJSON: %v", err)
		return out
	}
	raw := js.String()
	if readBack {
		if y, err := history.ReadExport(strings.NewReader(raw)); err != nil {
			add("R-X8", "its JSON does not read back: %v", err)
		} else {
			var again bytes.Buffer
			_ = y.WriteJSON(&again)
			if again.String() != raw {
				add("R-X8", "its JSON reads back to another export")
			}
		}
	}
	for _, h := range hidden {
		if strings.Contains(raw, h) {
			add(rule, "its JSON holds %q, which it may not read", h)
		}
	}
	return out
}

// checkExportText: x's text form is the header, its consultations, a blank
// line, then exactly one line per message, nothing unescaped; it holds
// none of the hidden texts, and the contact's names no internal agent
// outside the words a party wrote.
func checkExportText(m *Model, p *mParty, x history.Export, hidden []string, rule, subject string) []Difference {
	var out []Difference
	add := func(rule, format string, args ...any) {
		out = append(out, Difference{Rule: rule, Subject: subject, Detail: fmt.Sprintf(format, args...)})
	}
	var tx bytes.Buffer
	if err := x.WriteText(&tx); err != nil {
		add("R-X8", "WriteText: %v", err)
		return out
	}
	text := tx.String()
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	wantLines := 2 + len(x.Consultations) + 1 + len(x.Messages)
	if len(lines) != wantLines {
		add("R-X8", "its text has %d lines, not %d (header, %d consultations, blank, %d messages): a message made a line of its own", len(lines), wantLines, len(x.Consultations), len(x.Messages))
	}
	for i, l := range lines {
		if j := strings.IndexFunc(l, func(r rune) bool { return !unicode.IsGraphic(r) }); j >= 0 {
			add("R-X8", "its text line %d holds an unescaped %U", i+1, []rune(l[j:])[0])
			break
		}
	}
	for _, h := range hidden {
		if strings.Contains(text, h) {
			add(rule, "its text holds %q, which it may not read", h)
		}
	}
	if p.role != interaction.RoleContact || len(lines) != wantLines {
		return out
	}
	// Outside the words a party wrote: the header lines, and each message
	// line up to its text.
	parts := lines[:2+len(x.Consultations)]
	for k, msg := range x.Messages {
		l := lines[3+len(x.Consultations)+k]
		if msg.Kind != interaction.KindNotice.String() {
			if i := strings.Index(l, ": "); i >= 0 {
				l = l[:i]
			}
		}
		parts = append(parts, l)
	}
	for _, l := range parts {
		for _, id := range m.internalIDs() {
			if containsWord(l, string(id)) {
				add("R-X8", "the contact's text export names internal agent ID %s: %q", id, l)
			}
		}
	}
	return out
}

// storyParties lists every party a story names: actors and the agents,
// contacts and members its commands name, the contact first.
func storyParties(story Story) []interaction.PartyID {
	var out []interaction.PartyID
	add := func(p interaction.PartyID) {
		if p != "" && p != interaction.System && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	for _, s := range story.Steps {
		switch c := s.Command.(type) {
		case interaction.Open:
			add(c.Contact)
		case interaction.Assign:
			add(c.Agent)
		case consult.Start:
			add(c.Invitee)
		case consult.Direct:
			add(c.Invitee)
		case interaction.Monitor:
			add(c.Agent)
		case interaction.Coach:
			add(c.Agent)
		case consult.Remove:
			add(c.Member)
		}
		add(s.Actor)
	}
	return out
}

// CheckPrivacy runs story on a PrivacyHarness (with opts), with every
// privacy check after every step, every Stranger probe, and each accepted
// step retried by its own party and reused by another, until the first
// step that breaks a rule (included).
func CheckPrivacy(ctx context.Context, story Story, opts ...HarnessOption) RunReport {
	ph := NewPrivacyHarness(storyParties(story), opts...)
	var rep RunReport
	for _, s := range story.Steps {
		sr := ph.Do(ctx, s)
		rep.Steps = append(rep.Steps, sr)
		if sr.Failed() {
			break
		}
		if other := ph.otherParty(sr.Step.Actor, 0); sr.Err == nil && len(sr.Events) > 0 {
			for _, who := range []interaction.PartyID{sr.Step.Actor, other} {
				rr := ph.Retry(ctx, sr, who)
				rep.Steps = append(rep.Steps, rr)
				if rr.Failed() {
					rep.Stopped = ph.stopped
					return rep
				}
			}
		}
	}
	rep.Stopped = ph.stopped
	return rep
}

// otherParty is the i-th party of the model other than actor, or the
// Stranger.
func (ph *PrivacyHarness) otherParty(actor interaction.PartyID, i int) interaction.PartyID {
	var others []interaction.PartyID
	for _, p := range ph.Model.parties {
		if p.id != actor {
			others = append(others, p.id)
		}
	}
	others = append(others, Stranger)
	return others[i%len(others)]
}

// PrivacyProperty is the rapid property of issue 12: a party learns
// nothing it may not see, metadata included. It draws a multi-party story
// from g (with supervision: two supervisors, super1 and super2, when g has
// none), runs it on a PrivacyHarness, and after every step checks every
// read path of every party and of a Stranger against the model (see
// PrivacyHarness): views, subscriptions, what Do hands back, exports
// (JSON and text), error texts, retries. Now and then it retries a step
// with its command ID, by its own party or another. It fails at the first
// step where a party is shown what it may not see, or is not shown what
// it may. A story stops three steps after its interaction closed: nothing
// changes a closed interaction again.
//
// The harness runs with AnyoneButStrangerMaySupervise unless opts say
// otherwise (WithSupervision), over a MemoryNotifier (or your Notifier,
// read through Feeds).
//
//	func TestMyDeskPrivacy(t *testing.T) {
//		rapid.Check(t, chatconsulttest.PrivacyProperty(chatconsulttest.Gen{}, chatconsulttest.WithView(myView)))
//	}
func PrivacyProperty(g Gen, opts ...HarnessOption) func(*rapid.T) {
	if len(g.Supervisors) == 0 {
		g.Supervisors = []interaction.PartyID{"super1", "super2"}
	}
	g = g.forHarness(append([]HarnessOption{WithSupervision(AnyoneButStrangerMaySupervise)}, opts...))
	return func(t *rapid.T) {
		story := g.Story().Draw(t, "story")
		ctx := context.Background()
		ph := NewPrivacyHarness(append(storyParties(story), g.contact()), opts...)
		ph.Probes = 1
		var rep RunReport
		fail := func() {
			rep.Stopped = ph.stopped
			t.Fatalf("step %d leaks or breaks a rule:\n%s", len(rep.Steps), rep)
		}
		closed := 0
		for _, s := range story.Steps {
			if ph.Model.status == interaction.StatusClosed {
				// Closed is final: a few more steps (refused, every read
				// the same) are enough.
				if closed++; closed > 3 {
					break
				}
			}
			ph.ProbeFrom = rapid.IntRange(0, 31).Draw(t, "probe")
			sr := ph.Do(ctx, s)
			rep.Steps = append(rep.Steps, sr)
			if sr.Failed() {
				fail()
			}
			if sr.Err != nil || len(sr.Events) == 0 || ph.stopped != "" {
				continue
			}
			switch rapid.IntRange(0, 9).Draw(t, "retry") {
			case 0:
				rep.Steps = append(rep.Steps, ph.Retry(ctx, sr, sr.Step.Actor))
			case 1:
				who := ph.otherParty(sr.Step.Actor, rapid.IntRange(0, 7).Draw(t, "other"))
				rep.Steps = append(rep.Steps, ph.Retry(ctx, sr, who))
			default:
				continue
			}
			if rep.Steps[len(rep.Steps)-1].Failed() {
				fail()
			}
		}
	}
}

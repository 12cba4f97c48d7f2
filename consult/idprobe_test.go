package consult_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/routing"
)

// R-X6, R-C5 (privacy covers metadata): a party that may not start a
// consultation, nor ask for a transfer or conference, learns nothing from
// the ID it names. Naming the ID of a consultation or request in use gets
// it exactly the refusal a new ID gets; only a party that may make the
// invitation is told that the ID is taken.
func TestRX6AnIDInUseIsNotShownToWhoMayNotInvite(t *testing.T) {
	d := newDesk(t)
	leg := d.activeLeg("agent1", "agent2")
	req, err := d.svc.Conference(ctx, d.id, "agent1", leg)
	require.NoError(t, err)
	used := []string{string(leg), string(req)}
	commands := map[string]func(id string) interaction.Command{
		"start": func(id string) interaction.Command {
			return consult.Start{Leg: interaction.LegID(id), Target: agent("agent5"), Invitee: "agent5"}
		},
		"direct": func(id string) interaction.Command {
			return consult.Direct{Request: interaction.RequestID(id), Kind: interaction.RequestTransfer, Target: agent("agent5"), Invitee: "agent5"}
		},
		"conference": func(id string) interaction.Command {
			return consult.Conference{Leg: leg, Request: interaction.RequestID(id)}
		},
	}
	refusal := func(actor interaction.PartyID, cmd interaction.Command) string {
		before := d.state().Version
		_, err := d.chats.Do(ctx, d.id, actor, cmd)
		require.Error(t, err)
		assert.Equal(t, before, d.state().Version, "nothing written")
		return err.Error()
	}
	for name, cmd := range commands {
		for _, actor := range []interaction.PartyID{"agent2", "contact"} {
			fresh := refusal(actor, cmd("fresh-9"))
			for _, id := range used {
				assert.Equal(t, fresh, refusal(actor, cmd(id)), "%s by %s naming %s", name, actor, id)
			}
		}
		for _, id := range used {
			_, err := d.chats.Do(ctx, d.id, "agent1", cmd(id))
			assert.ErrorIs(t, err, interaction.ErrConflict, "%s by the owner naming %s: the ID is taken", name, id)
		}
	}
}

// R-X6, R-C5: an owner's command naming a consultation or a party (a
// transfer, a conference from a consultation, removing a member) tells a
// party that is not the chat's owner nothing of which consultations and
// parties exist: naming one that exists gets the refusal that naming
// none gets.
func TestRX6OwnerCommandsDoNotShowWhatExistsToOthers(t *testing.T) {
	d := newDesk(t)
	leg := d.activeLeg("agent1", "agent2")
	commands := map[string]func(name string) interaction.Command{
		"transfer": func(name string) interaction.Command { return consult.Transfer{Leg: interaction.LegID(name)} },
		"conference": func(name string) interaction.Command {
			return consult.Conference{Leg: interaction.LegID(name), Request: "r9"}
		},
		"remove": func(name string) interaction.Command { return consult.Remove{Member: interaction.PartyID(name)} },
	}
	existing := map[string]string{"transfer": string(leg), "conference": string(leg), "remove": "agent2"}
	for name, cmd := range commands {
		for _, actor := range []interaction.PartyID{"agent2", "contact"} {
			before := d.state().Version
			_, errNone := d.chats.Do(ctx, d.id, actor, cmd("nothing-9"))
			_, errSome := d.chats.Do(ctx, d.id, actor, cmd(existing[name]))
			require.Error(t, errNone)
			require.Error(t, errSome)
			assert.Equal(t, errNone.Error(), errSome.Error(), "%s by %s", name, actor)
			assert.ErrorIs(t, errSome, interaction.ErrNotPermitted, "%s by %s", name, actor)
			assert.Equal(t, before, d.state().Version, "nothing written")
		}
	}
}

// R-X6, R-C5 (privacy covers metadata): a command naming a consultation
// or a request that its actor's view does not show (State.ShowsLeg,
// ShowsRequest) is refused exactly as one naming an ID that does not
// exist: the same kind, rule and words (but for the ID it named), the
// same fields, and nothing written. So the contact, an agent with an
// invitation of its own, a consultant of another leg and a supervisor
// that began watching after the leg began learn nothing from probing
// IDs. A party that is shown the leg keeps the refusal of what it may
// not do to it.
func TestRX6CommandsNamingAnInvitationDoNotShowItToWhoIsNotShownIt(t *testing.T) {
	d := newExtrasDesk(t)
	d.do("agent1", consult.Start{Leg: "leg-a", Target: agent("agent2"), Invitee: "agent2"})
	d.do("agent2", consult.Accept{Leg: "leg-a"})
	d.do("agent1", consult.Start{Leg: "leg-i", Target: agent("agent3"), Invitee: "agent3"})
	d.do("agent3", consult.Accept{Leg: "leg-i"})
	d.do("agent1", consult.Conference{Leg: "leg-a", Request: "req-c"})
	d.do("agent2", consult.AcceptRequest{Request: "req-c"})
	d.do("agent1", consult.Direct{Request: "req-d", Kind: interaction.RequestTransfer, Target: agent("agent4"), Invitee: "agent4"})
	// sup watches agent2, a conference member now: it is shown the legs
	// of agent2 that begin in its window, none of these. sup2 watches the
	// owner: it is shown every leg of it. No supervisor is shown a request.
	d.do("sup", interaction.Monitor{Agent: "agent2"})
	d.do("agent1", consult.Start{Leg: "leg-s", Target: agent("agent5"), Invitee: "agent5"})
	d.do("sup2", interaction.Monitor{Agent: "agent1"})

	legCommands := map[string]func(id string) interaction.Command{
		"accept":   func(id string) interaction.Command { return consult.Accept{Leg: interaction.LegID(id)} },
		"decline":  func(id string) interaction.Command { return consult.Decline{Leg: interaction.LegID(id)} },
		"cancel":   func(id string) interaction.Command { return consult.Cancel{Leg: interaction.LegID(id)} },
		"end":      func(id string) interaction.Command { return consult.EndConsultation{Leg: interaction.LegID(id)} },
		"say":      func(id string) interaction.Command { return consult.Say{Leg: interaction.LegID(id), Text: "psst"} },
		"transfer": func(id string) interaction.Command { return consult.Transfer{Leg: interaction.LegID(id)} },
		"conference": func(id string) interaction.Command {
			return consult.Conference{Leg: interaction.LegID(id), Request: "req-new"}
		},
		"accept offer": func(id string) interaction.Command {
			return consult.AcceptOffer{Invitation: interaction.InvitationID(id)}
		},
		"time out": func(id string) interaction.Command { return consult.TimeOut{Leg: interaction.LegID(id)} },
	}
	requestCommands := map[string]func(id string) interaction.Command{
		"accept request":  func(id string) interaction.Command { return consult.AcceptRequest{Request: interaction.RequestID(id)} },
		"decline request": func(id string) interaction.Command { return consult.DeclineRequest{Request: interaction.RequestID(id)} },
		"cancel request":  func(id string) interaction.Command { return consult.CancelRequest{Request: interaction.RequestID(id)} },
		"accept offer": func(id string) interaction.Command {
			return consult.AcceptOffer{Invitation: interaction.InvitationID(id)}
		},
		"time out": func(id string) interaction.Command { return consult.TimeOutRequest{Request: interaction.RequestID(id)} },
	}
	// What each actor is not shown, of the legs and of the requests.
	hidden := map[interaction.PartyID][2][]string{
		"contact":          {{"leg-a", "leg-i", "leg-s"}, {"req-c", "req-d"}},
		"agent2":           {{"leg-i", "leg-s"}, {"req-d"}},          // a conference member, once a consultant
		"agent3":           {{"leg-a", "leg-s"}, {"req-c", "req-d"}}, // the consultant of another leg
		"agent4":           {{"leg-a", "leg-i", "leg-s"}, {"req-c"}}, // asked to take the chat, in no leg
		"agent5":           {{"leg-a", "leg-i"}, {"req-c", "req-d"}}, // invited to a leg of its own
		"sup":              {{"leg-a", "leg-i", "leg-s"}, {"req-c", "req-d"}},
		"sup2":             {{}, {"req-c", "req-d"}},
		interaction.System: {{}, {}}, // shown everything (and no party: refused as unknown before any look-up)
	}
	const none = "nothing-9"
	version := func() uint64 {
		st, err := d.chats.State(ctx, d.id)
		require.NoError(t, err)
		return st.Version
	}
	refusal := func(actor interaction.PartyID, cmd interaction.Command) *interaction.Error {
		t.Helper()
		before := version()
		_, err := d.chats.Do(ctx, d.id, actor, cmd)
		require.Error(t, err)
		var e *interaction.Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, before, version(), "nothing written")
		return e
	}
	probe := func(actor interaction.PartyID, name string, cmd func(string) interaction.Command, ids []string) {
		t.Helper()
		fresh := refusal(actor, cmd(none))
		for _, id := range ids {
			got := refusal(actor, cmd(id))
			want := *fresh
			want.Detail = strings.ReplaceAll(want.Detail, none, id) // the ID it named, echoed as given
			assert.Equal(t, want, *got, "%s by %s naming %s", name, actor, id)
			assert.Equal(t, strings.ReplaceAll(fresh.Error(), none, id), got.Error(), "%s by %s naming %s", name, actor, id)
		}
	}
	for actor, ids := range hidden {
		for name, cmd := range legCommands {
			probe(actor, "leg: "+name, cmd, ids[0])
		}
		for name, cmd := range requestCommands {
			probe(actor, "request: "+name, cmd, ids[1])
		}
	}
	// The refusals that changed: a party not shown the invitation is told
	// it does not exist.
	e := refusal("contact", consult.Accept{Leg: "leg-i"})
	assert.ErrorIs(t, e, interaction.ErrNotFound)
	assert.Equal(t, "accept consultation "+string(d.id)+" by contact: not found: no consultation leg-i", e.Error())
	e = refusal("agent2", consult.CancelRequest{Request: "req-d"})
	assert.Equal(t, "cancel request "+string(d.id)+" by agent2: not found: no request req-d", e.Error())

	// A party shown the leg or request knows it exists: it is told what it
	// may not do to it.
	shown := []struct {
		actor interaction.PartyID
		cmd   interaction.Command
		kind  error
	}{
		{"sup2", consult.Accept{Leg: "leg-s"}, interaction.ErrNotPermitted},
		{"sup2", consult.Cancel{Leg: "leg-a"}, interaction.ErrNotPermitted},
		{"sup2", consult.Say{Leg: "leg-i", Text: "hi"}, interaction.ErrNotPermitted},
		{"sup2", consult.AcceptOffer{Invitation: "leg-s"}, interaction.ErrNotPermitted},
		{"agent2", consult.Cancel{Leg: "leg-a"}, interaction.ErrNotPermitted},
		{"agent3", consult.Cancel{Leg: "leg-i"}, interaction.ErrNotPermitted},
		{"agent5", consult.Say{Leg: "leg-s", Text: "hi"}, interaction.ErrInvalidTransition},
		{"agent1", consult.AcceptRequest{Request: "req-d"}, interaction.ErrNotPermitted},
		{"agent4", consult.CancelRequest{Request: "req-d"}, interaction.ErrNotPermitted},
		{"agent2", consult.Conference{Leg: "leg-a", Request: "req-new"}, interaction.ErrNotPermitted},
	}
	for _, s := range shown {
		assert.ErrorIs(t, refusal(s.actor, s.cmd), s.kind, "%T by %s", s.cmd, s.actor)
	}
	// An offer rescinded because another offer of its invitation was
	// accepted first: only the agent offered it is told so; sup2, shown
	// it, may not accept it, whatever became of the route.
	d.do("agent1", consult.Start{Leg: "o1", Target: skill("billing"), Invitee: "agent6", Route: "rt"})
	d.do("agent1", consult.Start{Leg: "o2", Target: skill("billing"), Invitee: "agent7", Route: "rt"})
	d.do("agent6", consult.Accept{Leg: "o1"})
	assert.ErrorIs(t, refusal("agent7", consult.Accept{Leg: "o2"}), interaction.ErrInvalidTransition)
	e = refusal("sup2", consult.Accept{Leg: "o2"})
	assert.ErrorIs(t, e, interaction.ErrNotPermitted)
	assert.Equal(t, "accept consultation "+string(d.id)+" by sup2: not permitted: only the invitee may accept a leg (R-C3)", e.Error())
}

// R-X6: turning an IM consultation into a transfer holds a chat unit of
// its target first; only for the leg's own owner, so that a party naming
// a leg it is not shown is not told that its target is at capacity.
func TestRX6TransferOfAHiddenLegHoldsNothing(t *testing.T) {
	r := newRoutedDesk(t, "agent2")
	require.NoError(t, r.dir.Put(routing.Agent{ID: "agent2", Capacity: routing.Capacity{interaction.MediumIM: 1}}))
	leg, err := r.svc.Start(ctx, r.id, "agent1", agent("agent2"), interaction.MediumIM)
	require.NoError(t, err)
	require.NoError(t, r.svc.Accept(ctx, r.id, "agent2", leg))
	for _, actor := range []interaction.PartyID{"contact", "agent2"} {
		errNone := r.svc.Transfer(ctx, r.id, actor, "nothing-9")
		errSome := r.svc.Transfer(ctx, r.id, actor, leg)
		require.Error(t, errSome)
		assert.Equal(t, errNone.Error(), errSome.Error(), "transfer by %s", actor)
		_, errNone = r.svc.Conference(ctx, r.id, actor, "nothing-9")
		_, errSome = r.svc.Conference(ctx, r.id, actor, leg)
		require.Error(t, errSome)
		assert.Equal(t, errNone.Error(), errSome.Error(), "conference by %s", actor)
	}
	err = r.svc.Transfer(ctx, r.id, "agent1", leg)
	assert.ErrorIs(t, err, interaction.ErrNotFound, "the owner is told that its target has no chat unit free: %v", err)
	assert.Contains(t, err.Error(), "capacity")
}

// countingRouter picks the first agent of its list not excluded, counting
// its picks.
type countingRouter struct {
	agents []interaction.PartyID
	picks  int
}

func (r *countingRouter) Pick(_ context.Context, _ interaction.Target, _ interaction.Medium, exclude []interaction.PartyID) (interaction.PartyID, error) {
	r.picks++
	for _, a := range r.agents {
		if !slices.Contains(exclude, a) {
			return a, nil
		}
	}
	return "", &interaction.Error{Kind: interaction.ErrNotFound, Op: "route", Detail: "nobody"}
}

// R-X6: declining a routed invitation picks its next candidate before the
// decline is written; only for the agent offered it, so that a party
// naming an offer it is not shown makes routing do nothing.
func TestRX6DeclineOfAHiddenOfferRoutesNothing(t *testing.T) {
	d := newDesk(t)
	router := &countingRouter{agents: []interaction.PartyID{"agent2", "agent3"}}
	d.svc = consult.New(d.chats, consult.WithRouter(router))
	leg, err := d.svc.Start(ctx, d.id, "agent1", interaction.Target{Kind: interaction.TargetSkill, ID: "billing"}, interaction.MediumChat)
	require.NoError(t, err)
	req, err := d.svc.TransferTo(ctx, d.id, "agent1", interaction.Target{Kind: interaction.TargetQueue, ID: "vip"})
	require.NoError(t, err)
	picks, before := router.picks, d.state().Version
	for _, actor := range []interaction.PartyID{"contact", "agent1"} {
		errNone := d.svc.Decline(ctx, d.id, actor, "nothing-9")
		errSome := d.svc.Decline(ctx, d.id, actor, leg)
		require.Error(t, errSome)
		if actor == "contact" {
			assert.Equal(t, strings.ReplaceAll(errNone.Error(), "nothing-9", string(leg)), errSome.Error())
		}
		assert.Error(t, d.svc.DeclineRequest(ctx, d.id, actor, req))
	}
	assert.Equal(t, picks, router.picks, "nobody picked for a decline by a party not offered the invitation")
	assert.Equal(t, before, d.state().Version, "nothing written")
	require.NoError(t, d.svc.Decline(ctx, d.id, "agent2", leg))
	assert.Greater(t, router.picks, picks, "the agent's own decline offers the invitation on")
}

// R-X6: an agent accepting one offer of a routed invitation learns
// nothing of the rival offers by naming IDs as its rivals: naming
// another agent's offer of its invitation and naming one that does not
// exist have the same outcome.
func TestRX6NamingARivalShowsNothingOfTheInvitation(t *testing.T) {
	accept := func(rival func(theirs interaction.LegID) interaction.LegID) (interaction.View, error) {
		r := newRoutedDesk(t, "agent2", "agent3")
		r.dir.SetOffersAtOnce(skill("billing"), 2)
		_, err := r.svc.Start(ctx, r.id, "agent1", skill("billing"), interaction.MediumChat)
		require.NoError(t, err)
		var mine, theirs interaction.LegID
		for _, l := range r.state().Legs {
			if l.Invitee == "agent2" {
				mine = l.ID
			} else {
				theirs = l.ID
			}
		}
		require.NotEmpty(t, theirs)
		_, err = r.chats.Do(ctx, r.id, "agent2", consult.AcceptOffer{Invitation: interaction.InvitationID(mine), Rivals: []interaction.InvitationID{interaction.InvitationID(rival(theirs))}})
		return r.view("agent2"), err
	}
	vSome, errSome := accept(func(theirs interaction.LegID) interaction.LegID { return theirs })
	vNone, errNone := accept(func(interaction.LegID) interaction.LegID { return "nothing-9" })
	assert.Equal(t, errNone, errSome)
	assert.NoError(t, errSome)
	assert.Equal(t, vNone, vSome)
}

// R-X6: the owner's commands naming a leg refuse a party that does not
// own the chat before the look-up; one that does, but is not shown the
// leg (the chat was transferred to it, the leg was its former owner's),
// is refused as if there were none.
func TestRX6TheNewOwnerIsNotShownTheFormerOwnersLegs(t *testing.T) {
	d := newDesk(t)
	leg := d.activeLeg("agent1", "agent2")
	other := d.consult("agent1", "agent3")
	require.NoError(t, d.svc.Transfer(ctx, d.id, "agent1", leg))
	for name, cmd := range map[string]func(id interaction.LegID) interaction.Command{
		"transfer":   func(id interaction.LegID) interaction.Command { return consult.Transfer{Leg: id} },
		"conference": func(id interaction.LegID) interaction.Command { return consult.Conference{Leg: id, Request: "r9"} },
		"cancel":     func(id interaction.LegID) interaction.Command { return consult.Cancel{Leg: id} },
	} {
		before := d.state().Version
		_, errNone := d.chats.Do(ctx, d.id, "agent2", cmd("nothing-9"))
		_, errSome := d.chats.Do(ctx, d.id, "agent2", cmd(other))
		require.Error(t, errSome)
		assert.ErrorIs(t, errSome, interaction.ErrNotFound, name)
		assert.Equal(t, strings.ReplaceAll(errNone.Error(), "nothing-9", string(other)), errSome.Error(), name)
		assert.Equal(t, before, d.state().Version, "nothing written")
	}
}

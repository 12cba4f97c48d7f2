package consult

// Internal tests: routed invitations under concurrency (R-X1), and the
// test-only view of what the Service follows that routing_test.go checks.

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/routing"
)

// Armed reports how many deadlines the Service's in-memory queue holds.
// Test only.
func (s *Service) Armed() int { return s.memory.Len() }

// burstClock is a manual clock whose timers due at the same instant fire
// together, each on its own goroutine, released at once: what a real clock
// does to the offers of one batch, which share their time-out.
type burstClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*burstTimer
}

type burstTimer struct {
	c    *burstClock
	due  time.Time
	f    func()
	done bool
}

// package chatconsulttest imports consult, so its clock is not at hand here.
func newBurstClock() *burstClock {
	return &burstClock{now: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)}
}

func (c *burstClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *burstClock) AfterFunc(d time.Duration, f func()) interaction.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &burstTimer{c: c, due: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	return t
}

func (t *burstTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := !t.done
	t.done = true
	return was
}

// step moves the clock by d without firing anything.
func (c *burstClock) step(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// fire moves the clock by d and runs every timer then due, all at once;
// it returns when they have returned. Timers they arm wait for the next
// fire.
func (c *burstClock) fire(d time.Duration) int {
	c.mu.Lock()
	c.now = c.now.Add(d)
	var due []*burstTimer
	keep := c.timers[:0]
	for _, t := range c.timers {
		switch {
		case t.done:
		case !t.due.After(c.now):
			t.done = true
			due = append(due, t)
		default:
			keep = append(keep, t)
		}
	}
	c.timers = keep
	c.mu.Unlock()
	release := make(chan struct{})
	var wg sync.WaitGroup
	for _, t := range due {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-release
			t.f()
		}()
	}
	close(release)
	wg.Wait()
	return len(due)
}

// fanoutRig is a routed desk on a burstClock: agent1 owns the chat, six
// agents with the skill are ready, and invitations to it go to two at once.
// Two instances share the Store (chats and svc, chats2 and svc2), and
// both hear every event through the Directory: both schedulers hold every
// deadline, and their timers fire together.
type fanoutRig struct {
	t         *testing.T
	clock     *burstClock
	store     *interaction.MemoryStore
	chats     *interaction.Service
	chats2    *interaction.Service
	dir       *routing.Directory
	svc       *Service
	svc2      *Service
	id        interaction.ID
	mu        sync.Mutex
	exhausted []Exhausted
}

const rigTimeout = 30 * time.Second

var billing = interaction.Target{Kind: interaction.TargetSkill, ID: "billing"}

func newFanoutRig(t *testing.T, agents int) *fanoutRig {
	t.Helper()
	ctx := context.Background()
	r := &fanoutRig{t: t, clock: newBurstClock(), store: interaction.NewMemoryStore()}
	r.dir = routing.NewDirectory(routing.WithClock(r.clock), routing.WithOffersAtOnce(2))
	instance := func(prefix string) (*interaction.Service, *Service) {
		chats := interaction.NewService(interaction.WithStore(r.store), interaction.WithClock(r.clock),
			interaction.WithIDs(&interaction.SequentialIDs{Prefix: prefix}),
			interaction.WithNotifier(interaction.Notifiers{r.dir, interaction.NewMemoryNotifier()}))
		return chats, New(chats, WithRouter(r.dir), WithInviteTimeout(rigTimeout),
			WithExhaustedHandler(func(_ context.Context, e Exhausted) {
				r.mu.Lock()
				r.exhausted = append(r.exhausted, e)
				r.mu.Unlock()
			}))
	}
	r.chats, r.svc = instance("id-")
	r.chats2, r.svc2 = instance("i2-")
	r.dir.RescindWith(r.svc)
	require.NoError(t, r.dir.Put(routing.Agent{ID: "agent1"}))
	require.NoError(t, r.dir.SetPresence(ctx, "agent1", routing.Ready))
	for i := 2; i < 2+agents; i++ {
		r.clock.step(time.Second)
		a := interaction.PartyID(fmt.Sprintf("agent%d", i))
		require.NoError(t, r.dir.Put(routing.Agent{ID: a, Skills: map[string]int{"billing": 1}}))
		require.NoError(t, r.dir.SetPresence(ctx, a, routing.Ready))
	}
	id, err := r.chats.Open(ctx, "contact", "Hello")
	require.NoError(t, err)
	require.NoError(t, r.chats.Assign(ctx, id, interaction.System, "agent1"))
	require.NoError(t, r.chats.Join(ctx, id, "agent1"))
	r.id = id
	return r
}

// state is what the Store holds (either instance's cache may lag).
func (r *fanoutRig) state() *interaction.State {
	st, err := interaction.Rebuild(r.events())
	require.NoError(r.t, err)
	return st
}

func (r *fanoutRig) events() []interaction.Event {
	events, err := r.store.Load(context.Background(), r.id)
	require.NoError(r.t, err)
	return events
}

// deadlinesFired counts the commands that fired a deadline.
func (r *fanoutRig) deadlinesFired() int {
	causes := map[string]bool{}
	for _, ev := range r.events() {
		if strings.HasPrefix(ev.Cause, "deadline/") {
			causes[ev.Cause] = true
		}
	}
	return len(causes)
}

func (r *fanoutRig) inviting() []interaction.Leg {
	var out []interaction.Leg
	for _, l := range r.state().Legs {
		if l.State == interaction.LegInviting {
			out = append(out, l)
		}
	}
	return out
}

func (r *fanoutRig) exhaustions() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.exhausted)
}

// R-X1, issue 13: the two offers of one batch time out at the same
// instant, and two instances fire both deadlines at once, on two
// goroutines. Whatever the interleaving, each deadline applies once and
// exactly one time-out offers the invitation on (or, with nobody left,
// tells the owner once); neither may end itself believing the other still
// out.
func TestRX1OffersTimingOutTogetherConcurrentlyGoOn(t *testing.T) {
	const trials = 300
	for trial := range trials {
		r := newFanoutRig(t, 6)
		_, err := r.svc.Start(context.Background(), r.id, "agent1", billing, interaction.MediumChat)
		require.NoError(t, err)
		seen := map[interaction.PartyID]bool{}
		for round := 1; round <= 3; round++ {
			out := r.inviting()
			require.Len(t, out, 2, "trial %d round %d: two offers out", trial, round)
			for _, l := range out {
				assert.False(t, seen[l.Invitee], "trial %d: %s offered twice", trial, l.Invitee)
				seen[l.Invitee] = true
			}
			assert.Equal(t, 2, r.clock.fire(rigTimeout), "trial %d round %d: both instances' schedulers fire", trial, round)
		}
		assert.Empty(t, r.inviting(), "trial %d: nobody is left", trial)
		assert.Equal(t, 1, r.exhaustions(), "trial %d: the owner is told exactly once", trial)
		assert.Zero(t, r.svc.Armed()+r.svc2.Armed(), "trial %d: no deadline is left after the route ended", trial)
		assert.Equal(t, 6, r.deadlinesFired(), "trial %d: six deadlines, each fired by one command", trial)
		for i := 2; i < 8; i++ {
			s, _ := r.dir.Agent(interaction.PartyID(fmt.Sprintf("agent%d", i)))
			assert.Zero(t, s.Reserved.Total()+s.Load.Total(), "trial %d: agent%d holds nothing", trial, i)
		}
		if t.Failed() {
			return
		}
	}
}

// R-X1, R-C3: the candidates of one batch answer while their time-outs
// fire, all at once. No invitation is accepted by two agents; when nobody
// accepted, the invitation is still out (offered on) or the owner was
// told; the Service follows exactly the offers still out.
func TestRX1ConcurrentAnswersAndTimeOuts(t *testing.T) {
	const trials = 300
	for trial := range trials {
		r := newFanoutRig(t, 4)
		ctx := context.Background()
		_, err := r.svc.Start(ctx, r.id, "agent1", billing, interaction.MediumChat)
		require.NoError(t, err)
		out := r.inviting()
		require.Len(t, out, 2)
		var wg sync.WaitGroup
		answer := func(f func() error) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_ = f() // losing the race to an answer or a time-out is refused
			}()
		}
		a, b := out[0], out[1]
		switch trial % 4 {
		case 0: // both accept: one wins
			answer(func() error { return r.svc.Accept(ctx, r.id, a.Invitee, a.ID) })
			answer(func() error { return r.svc.Accept(ctx, r.id, b.Invitee, b.ID) })
		case 1: // one accepts, the other declines
			answer(func() error { return r.svc.Accept(ctx, r.id, a.Invitee, a.ID) })
			answer(func() error { return r.svc.Decline(ctx, r.id, b.Invitee, b.ID) })
		case 2: // both decline
			answer(func() error { return r.svc.Decline(ctx, r.id, a.Invitee, a.ID) })
			answer(func() error { return r.svc.Decline(ctx, r.id, b.Invitee, b.ID) })
		case 3: // one declines, the other's agent logs out (rescind)
			answer(func() error { return r.svc.Decline(ctx, r.id, a.Invitee, a.ID) })
			answer(func() error { return r.dir.SetPresence(ctx, b.Invitee, routing.LoggedOut) })
		}
		answer(func() error { r.clock.fire(rigTimeout); return nil })
		wg.Wait()

		st := r.state()
		accepted, pending := 0, 0
		for _, l := range st.Legs {
			switch l.State {
			case interaction.LegActive:
				accepted++
			case interaction.LegInviting:
				pending++
			}
		}
		require.LessOrEqual(t, accepted, 1, "trial %d: accepted by two agents", trial)
		if accepted == 1 {
			assert.Zero(t, pending, "trial %d: the winner's rivals are withdrawn, nothing is offered on", trial)
			assert.Zero(t, r.exhaustions(), "trial %d", trial)
		} else {
			assert.True(t, pending > 0 || r.exhaustions() == 1, "trial %d: offered on, or the owner is told", trial)
		}
		assert.Equal(t, pending, r.svc.Armed(), "trial %d: the Service holds the deadlines of exactly the offers out", trial)
		assert.Equal(t, pending, r.svc2.Armed(), "trial %d: and so does the other instance", trial)
		if t.Failed() {
			return
		}
	}
}

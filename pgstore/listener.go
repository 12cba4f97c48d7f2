package pgstore

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/observe"
)

// Listener is one instance's ear on the Store's log: it holds a
// connection of its own that LISTENs on the Store's channel, and closes
// the channel Changed returned on every notification, and also each time
// it has (re)connected, since notifications sent while it was not
// listening are lost. Followers (interaction.FollowLog) and the Relay wait
// on it and read the log by position, so a lost notification costs a
// delay, never an event.
//
// It is also the instance's interaction.Notifier for the write side: the
// Store's Append already announces every commit to every instance with
// NOTIFY in the same transaction, so Notify only wakes this instance's
// followers at once, without waiting for the round trip.
type Listener struct {
	store   *Store
	config  *pgx.ConnConfig
	clock   interaction.Clock
	onError func(error)
	hooks   observe.Hooks // observe.go

	mu        sync.Mutex
	changed   chan struct{}
	listening bool

	cancel context.CancelFunc
	done   chan struct{}
}

var (
	_ interaction.LogWatcher = (*Listener)(nil)
	_ interaction.Notifier   = (*Listener)(nil)
)

// ListenOption configures a Listener.
type ListenOption func(*Listener)

// ListenClock sets the clock that paces reconnection attempts (default
// interaction.SystemClock).
func ListenClock(c interaction.Clock) ListenOption { return func(l *Listener) { l.clock = c } }

// ListenErrors sets where connection errors are reported (default: dropped;
// the Listener retries on its own).
func ListenErrors(f func(error)) ListenOption { return func(l *Listener) { l.onError = f } }

// Listen starts a Listener on store's log, connecting with the
// configuration of the store's pool. Close stops it.
func (s *Store) Listen(opts ...ListenOption) *Listener {
	l := &Listener{store: s, config: s.pool.Config().ConnConfig.Copy(), clock: interaction.SystemClock{},
		onError: func(error) {}, done: make(chan struct{})}
	for _, o := range opts {
		o(l)
	}
	ctx, cancel := context.WithCancel(context.Background())
	l.cancel = cancel
	go l.run(ctx)
	return l
}

// Changed implements interaction.LogWatcher.
func (l *Listener) Changed() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.changed == nil {
		l.changed = make(chan struct{})
	}
	return l.changed
}

// ReadAll implements interaction.Log: the Store's log.
func (l *Listener) ReadAll(ctx context.Context, after uint64, limit int) ([]interaction.Event, error) {
	return l.store.ReadAll(ctx, after, limit)
}

// Notify implements interaction.Notifier: it wakes this instance's
// followers. The events themselves reach them, and every other instance,
// through the log.
func (l *Listener) Notify(context.Context, *interaction.State, []interaction.Event) { l.wake() }

// Listening reports whether the Listener's LISTEN is in place now.
func (l *Listener) Listening() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.listening
}

// Close stops the Listener and closes its connection.
func (l *Listener) Close() {
	l.cancel()
	<-l.done
}

func (l *Listener) wake() {
	l.mu.Lock()
	if l.changed != nil {
		close(l.changed)
		l.changed = nil
	}
	l.mu.Unlock()
}

func (l *Listener) setListening(on bool) {
	l.mu.Lock()
	l.listening = on
	l.mu.Unlock()
}

// Reconnection backs off from minBackoff, doubling up to maxBackoff.
const (
	minBackoff = 20 * time.Millisecond
	maxBackoff = 2 * time.Second
)

func (l *Listener) run(ctx context.Context) {
	defer close(l.done)
	backoff := minBackoff
	for {
		err := l.listen(ctx, func() { backoff = minBackoff })
		l.setListening(false)
		if ctx.Err() != nil {
			return
		}
		l.onError(err)
		l.reconnecting(err, backoff)
		if !sleep(ctx, l.clock, backoff) {
			return
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// listen connects, LISTENs and relays notifications until the connection
// fails or ctx ends.
func (l *Listener) listen(ctx context.Context, connected func()) error {
	conn, err := pgx.ConnectConfig(ctx, l.config)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close(context.Background()) }()
	if _, err := conn.Exec(ctx, `LISTEN `+pgx.Identifier{l.store.channel}.Sanitize()); err != nil {
		return err
	}
	l.setListening(true)
	connected()
	// Whatever was committed while nobody listened is in the log: wake the
	// followers so they read it.
	l.wake()
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return err
		}
		l.wake()
	}
}

// sleep waits d on clock, or until ctx ends (false).
func sleep(ctx context.Context, clock interaction.Clock, d time.Duration) bool {
	ch := make(chan struct{})
	t := clock.AfterFunc(d, func() { close(ch) })
	select {
	case <-ch:
		return true
	case <-ctx.Done():
		t.Stop()
		return false
	}
}

package pgstore

import (
	"context"
	"sync"

	"github.com/jackc/pgx/v5"

	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/routing"
)

// RoutingListener is one instance's LISTEN connection on a RoutingStore's
// channel: a routing.Watcher for Directory.Follow. Its Changed channel
// closes on every notification, and each time it has (re)connected, since
// notifications sent while it was not listening are lost; Follow then
// reads the change feed from its last position, so a lost notification
// costs a delay, never a change.
type RoutingListener struct {
	store  *RoutingStore
	config *pgx.ConnConfig

	mu      sync.Mutex
	changed chan struct{}

	cancel context.CancelFunc
	done   chan struct{}
}

var _ routing.Watcher = (*RoutingListener)(nil)

// Listen starts a RoutingListener with a connection of its own, configured
// as the store's pool. Close stops it.
func (s *RoutingStore) Listen() *RoutingListener {
	l := &RoutingListener{store: s, config: s.pool.Config().ConnConfig.Copy(), done: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	l.cancel = cancel
	go l.run(ctx)
	return l
}

// Changed implements routing.Watcher.
func (l *RoutingListener) Changed() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.changed == nil {
		l.changed = make(chan struct{})
	}
	return l.changed
}

// Close stops the listener and closes its connection.
func (l *RoutingListener) Close() {
	l.cancel()
	<-l.done
}

func (l *RoutingListener) wake() {
	l.mu.Lock()
	if l.changed != nil {
		close(l.changed)
		l.changed = nil
	}
	l.mu.Unlock()
}

func (l *RoutingListener) run(ctx context.Context) {
	defer close(l.done)
	backoff := minBackoff
	for {
		conn, err := pgx.ConnectConfig(ctx, l.config)
		if err == nil {
			if _, err = conn.Exec(ctx, `LISTEN `+pgx.Identifier{l.store.channel}.Sanitize()); err == nil {
				backoff = minBackoff
				l.wake() // what changed while nobody listened is in the feed
				for err == nil {
					if _, err = conn.WaitForNotification(ctx); err == nil {
						l.wake()
					}
				}
			}
			_ = conn.Close(context.Background())
		}
		if ctx.Err() != nil {
			return
		}
		if !sleep(ctx, interaction.SystemClock{}, backoff) {
			return
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// Package otelmetrics turns the library's observe.Events into
// OpenTelemetry metrics. It is a module of its own
// (github.com/chatconsult/chatconsult/otelmetrics), so the core module
// pulls in no OpenTelemetry.
//
//	obs, err := otelmetrics.New(otel.GetMeterProvider())
//	sys := chatconsult.New(chatconsult.WithObserver(obs))
//	h, _ := httpapi.New(httpapi.Config{…, Observer: obs})
//
// The instruments (every name under "chatconsult."; attributes are
// bounded: a command's or endpoint's name, an outcome, never an
// interaction or party ID):
//
//	chatconsult.commands              counter    op, outcome   commands run
//	chatconsult.command.duration      histogram  op, outcome   seconds, decided to committed
//	chatconsult.conflicts             counter    op, outcome   appends that met another writer's (retried, gave_up)
//	chatconsult.retries               counter    outcome       command IDs sent again (ok: answered once more)
//	chatconsult.timeouts              counter    op            invitations and chat offers timed out
//	chatconsult.redirects             counter    op            offered on (time-out, decline, rescind)
//	chatconsult.exhausted             counter    op            routed invitations or chats with nobody left
//	chatconsult.reconnects            counter    op            relay or listener reconnects
//	chatconsult.relay.lag             histogram                seconds from commit to relay delivery
//	chatconsult.subscription.lags     counter    op            subscribers that fell behind
//	chatconsult.subscription.dropped  counter    op            events dropped from their queues
//	chatconsult.http.requests         counter    op, outcome   HTTP commands
//	chatconsult.http.duration         histogram  op, outcome   seconds
package otelmetrics

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/chatconsult/chatconsult/observe"
)

// Observer is an observe.Observer recording into OpenTelemetry
// instruments. It is safe for concurrent use and records without locks of
// its own.
type Observer struct {
	commands, conflicts, retries, timeouts, redirects, exhausted, reconnects, lags, dropped, requests metric.Int64Counter
	commandDuration, relayLag, requestDuration                                                        metric.Float64Histogram
}

var _ observe.Observer = (*Observer)(nil)

// New makes the instruments on provider's meter
// "github.com/chatconsult/chatconsult".
func New(provider metric.MeterProvider) (*Observer, error) {
	m := provider.Meter("github.com/chatconsult/chatconsult")
	o := &Observer{}
	var errs []error
	counter := func(name, unit, desc string) metric.Int64Counter {
		c, err := m.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		return c
	}
	hist := func(name, desc string) metric.Float64Histogram {
		h, err := m.Float64Histogram(name, metric.WithUnit("s"), metric.WithDescription(desc))
		errs = append(errs, err)
		return h
	}
	o.commands = counter("chatconsult.commands", "{command}", "commands run on interactions")
	o.commandDuration = hist("chatconsult.command.duration", "how long a command took, decided to committed")
	o.conflicts = counter("chatconsult.conflicts", "{conflict}", "appends that met another writer's")
	o.retries = counter("chatconsult.retries", "{command}", "command IDs sent again")
	o.timeouts = counter("chatconsult.timeouts", "{invitation}", "invitations and chat offers timed out")
	o.redirects = counter("chatconsult.redirects", "{invitation}", "invitations and chats offered on")
	o.exhausted = counter("chatconsult.exhausted", "{invitation}", "routed invitations and chats with nobody left")
	o.reconnects = counter("chatconsult.reconnects", "{reconnect}", "relay and listener reconnects")
	o.relayLag = hist("chatconsult.relay.lag", "time from a command's commit to its delivery by the relay")
	o.lags = counter("chatconsult.subscription.lags", "{lag}", "subscribers that fell behind")
	o.dropped = counter("chatconsult.subscription.dropped", "{event}", "events dropped from lagging subscribers' queues")
	o.requests = counter("chatconsult.http.requests", "{request}", "HTTP commands")
	o.requestDuration = hist("chatconsult.http.duration", "how long an HTTP command took")
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return o, nil
}

// Observe implements observe.Observer.
func (o *Observer) Observe(ctx context.Context, e observe.Event) {
	op := attribute.String("op", e.Op)
	withOutcome := metric.WithAttributes(op, attribute.String("outcome", e.Outcome))
	withOp := metric.WithAttributes(op)
	switch e.Kind {
	case observe.KindCommand:
		o.commands.Add(ctx, 1, withOutcome)
		o.commandDuration.Record(ctx, e.Took.Seconds(), withOutcome)
	case observe.KindConflict:
		o.conflicts.Add(ctx, 1, withOutcome)
	case observe.KindRetry:
		o.retries.Add(ctx, 1, metric.WithAttributes(attribute.String("outcome", e.Outcome)))
	case observe.KindTimeOut:
		o.timeouts.Add(ctx, 1, withOp)
	case observe.KindRedirect:
		o.redirects.Add(ctx, 1, withOp)
	case observe.KindExhausted:
		o.exhausted.Add(ctx, 1, withOp)
	case observe.KindReconnect:
		o.reconnects.Add(ctx, 1, withOp)
	case observe.KindRelayLag:
		o.relayLag.Record(ctx, e.Took.Seconds())
	case observe.KindSubscriptionLag:
		o.lags.Add(ctx, 1, withOp)
		o.dropped.Add(ctx, int64(e.N), withOp)
	case observe.KindRequest:
		o.requests.Add(ctx, 1, withOutcome)
		o.requestDuration.Record(ctx, e.Took.Seconds(), withOutcome)
	}
}

// Command server serves the whole library over HTTP (package httpapi):
// store, routing of new chats and consultations, reminders, history and
// each party's live events, wired by package stack. In memory:
//
//	go run ./examples/server -addr :8080
//
// On PostgreSQL, for several instances behind a load balancer, run the
// same stack from the pgstore module (go.work builds both):
//
//	DATABASE_URL=postgres://… go run ./pgstore/examples/server -addr :8081
//
// Requests carry "Authorization: Bearer <token>"; -tokens maps tokens to
// parties (a demonstration: a real service asks its single sign-on).
// docs/http.md lists the endpoints.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/chatconsult/chatconsult/examples/server/stack"
)

// Demo defaults: a contact, a support agent and a billing agent, and the
// service's routing component.
const (
	defaultTokens = "t-contact=contact,t-agent1=agent1,t-agent2=agent2,t-system=system"
	defaultAgents = "agent1:support,agent2:billing"
)

func main() {
	if err := run(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	addr := fs.String("addr", "localhost:8080", "listen address")
	tokens := fs.String("tokens", defaultTokens, "bearer tokens: token=party,… (party system: the routing component)")
	agents := fs.String("agents", defaultAgents, "agents and their skills: agent:skill+skill,…")
	db := fs.String("db", "", "PostgreSQL URL: not served by this module; run pgstore/examples/server")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *db != "" || os.Getenv("DATABASE_URL") != "" {
		return errors.New("PostgreSQL lives in the pgstore module, so the core pulls in no driver: run go run ./pgstore/examples/server (same flags)")
	}
	cfg, err := Flags(*tokens, *agents)
	if err != nil {
		return err
	}
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	return Serve(ctx, *addr, cfg)
}

// Flags makes a stack.Config from the -tokens and -agents flags.
func Flags(tokens, agents string) (stack.Config, error) {
	auth, err := stack.ParseTokens(tokens)
	if err != nil {
		return stack.Config{}, err
	}
	ag, err := stack.ParseAgents(agents)
	if err != nil {
		return stack.Config{}, err
	}
	return stack.Config{Auth: auth, Agents: ag}, nil
}

// Serve runs the stack of cfg on addr until SIGINT or SIGTERM.
func Serve(ctx context.Context, addr string, cfg stack.Config) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	st, err := stack.New(ctx, cfg)
	if err != nil {
		return err
	}
	// Requests run under ctx: a signal ends the event streams too, which
	// their clients resume from their last event ID on another instance.
	srv := &http.Server{Addr: addr, Handler: st.Handler, ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return ctx }}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	if cfg.Logger != nil {
		cfg.Logger.Info("serving", slog.String("addr", addr))
	}
	select {
	case err = <-errc:
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		err = srv.Shutdown(shutdown)
	}
	if cerr := st.Close(); err == nil || errors.Is(err, http.ErrServerClosed) {
		err = cerr
	}
	return err
}

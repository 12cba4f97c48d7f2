package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/chatconsult/chatconsult/examples/server/stack"
)

// serve runs the stack of cfg on addr until SIGINT or SIGTERM.
func serve(ctx context.Context, addr string, cfg stack.Config) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	st, err := stack.New(ctx, cfg)
	if err != nil {
		return err
	}
	srv := &http.Server{Addr: addr, Handler: st.Handler, ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return ctx }}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	cfg.Logger.Info("serving on PostgreSQL", slog.String("addr", addr))
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

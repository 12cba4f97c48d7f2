// Command desk serves an agent desk in the browser: three panes side by
// side (the contact, agent1, agent2), each showing exactly that party's
// view of the chat, updated live over Server-Sent Events. The contact
// writes first; agent1 takes the chat and can consult agent2, then end,
// transfer or turn the consultation into a conference.
//
//	go run ./examples/desk            # then open the address it prints
//	go run ./examples/desk -addr 127.0.0.1:0
//
// It is a demo, not a service: each pane gets a token when the page opens
// it and the desk answers only its own page, but anyone who can reach
// the page can be any party. See README.md.
package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/chatconsult/chatconsult/examples/desk/internal/desk"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on (port 0: any free port)")
	timeout := flag.Duration("invite-timeout", time.Minute, "how long an invitation waits for its answer")
	reminder := flag.Duration("reminder-delay", 10*time.Second, "how long a response waits before its reminder (R-C9)")
	flag.Parse()
	c := desk.Config{InviteTimeout: *timeout, ReminderDelay: *reminder}
	// A name in -addr (desk.lan:8080) is a host the page may be opened
	// by; an IP address or localhost is accepted anyway (desk.Config.Hosts).
	if h, _, err := net.SplitHostPort(*addr); err == nil && h != "" && net.ParseIP(h) == nil {
		c.Hosts = append(c.Hosts, *addr)
	}
	if err := run(*addr, c); err != nil {
		fmt.Fprintln(os.Stderr, "desk:", err)
		os.Exit(1)
	}
}

func run(addr string, c desk.Config) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: desk.New(c).Handler(), ReadHeaderTimeout: 10 * time.Second}
	fmt.Printf("agent desk: open http://%s/\n", ln.Addr())
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

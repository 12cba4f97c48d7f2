package pgstore_test

import (
	"bytes"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// cutProxy is a TCP proxy between the library and the server that can
// cut every connection at one chosen moment: when the server's answer
// to a COMMIT passes (the transaction is committed, the client never
// learns it). It listens on the loopback only.
type cutProxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	armed bool
	cut   chan struct{} // closed when the armed cut happened
	conns []net.Conn
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &cutProxy{ln: ln, target: target}
	go p.accept()
	t.Cleanup(func() {
		_ = ln.Close()
		p.mu.Lock()
		for _, c := range p.conns {
			_ = c.Close()
		}
		p.mu.Unlock()
	})
	return p
}

func (p *cutProxy) addr() string { return p.ln.Addr().String() }

// armCommitCut makes the next COMMIT answer cut its connection instead of
// reaching the client; the returned channel closes when that happened.
func (p *cutProxy) armCommitCut() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.armed, p.cut = true, make(chan struct{})
	return p.cut
}

func (p *cutProxy) accept() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = client.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, client, server)
		p.mu.Unlock()
		go func() { _, _ = io.Copy(server, client); _ = server.Close() }()
		go p.downstream(server, client)
	}
}

// commitComplete is the CommandComplete message that answers COMMIT.
var commitComplete = []byte("C\x00\x00\x00\x0bCOMMIT\x00")

func (p *cutProxy) downstream(server, client net.Conn) {
	defer func() { _ = client.Close() }()
	buf := make([]byte, 64<<10)
	for {
		n, err := server.Read(buf)
		if n > 0 {
			p.mu.Lock()
			cutNow := p.armed && bytes.Contains(buf[:n], commitComplete)
			if cutNow {
				p.armed = false
				close(p.cut)
			}
			p.mu.Unlock()
			if cutNow {
				_ = server.Close()
				return
			}
			if _, err := client.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

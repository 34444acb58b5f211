// Package wirefake is a test tool: a server that speaks just enough of the
// PostgreSQL, MySQL and Redis wire protocols to be offered a login, records
// who tried to log in (and the password, where the protocol sends it in
// clear), and refuses every login. Tests of "who receives which credential"
// point a secret at it, as a team that controls its own secret would.
package wirefake

import (
	"bufio"
	"net"
	"strconv"
	"sync"
	"testing"
)

// Login is one login attempt the fake saw. Password is empty where the
// protocol does not send it in clear (MySQL sends a scramble of it).
type Login struct {
	User, Password string
}

// Fake is a listening fake server.
type Fake struct {
	ln     net.Listener
	mu     sync.Mutex
	logins []Login
	conns  int
}

// Start listens on 127.0.0.1 with a fresh port and serves proto
// ("postgres", "mysql" or "redis") until the test ends.
func Start(t testing.TB, proto string) *Fake {
	t.Helper()
	serve := map[string]func(*bufio.ReadWriter) []Login{"postgres": postgres, "mysql": mysql, "redis": redis}[proto]
	if serve == nil {
		t.Fatalf("wirefake: unknown protocol %q", proto)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("wirefake: %v", err)
	}
	f := &Fake{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go f.accept(serve)
	return f
}

// Host and Port are where the fake listens.
func (f *Fake) Host() string { return "127.0.0.1" }

// Port is the fake's port.
func (f *Fake) Port() string { return strconv.Itoa(f.ln.Addr().(*net.TCPAddr).Port) }

// Logins returns the login attempts seen so far.
func (f *Fake) Logins() []Login {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Login(nil), f.logins...)
}

// Conns is the number of connections accepted so far.
func (f *Fake) Conns() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.conns
}

func (f *Fake) accept(serve func(*bufio.ReadWriter) []Login) {
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.mu.Lock()
		f.conns++
		f.mu.Unlock()
		go func() {
			defer c.Close()
			rw := bufio.NewReadWriter(bufio.NewReader(c), bufio.NewWriter(c))
			in := serve(rw)
			f.mu.Lock()
			f.logins = append(f.logins, in...)
			f.mu.Unlock()
		}()
	}
}

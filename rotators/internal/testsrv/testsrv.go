// Package testsrv starts real servers (an OpenBao dev server, a PostgreSQL 15
// cluster) on random loopback ports for tests, once per test package, and
// stops them again. Test packages call Main from TestMain:
//
//	var env testsrv.Env
//
//	func TestMain(m *testing.M) {
//		os.Exit(testsrv.Main(m, testsrv.Needs{Bao: true, Binaries: true}, &env))
//	}
//
// Under -short no server starts and tests that need one skip themselves;
// otherwise a server that cannot start fails the package, never skips it.
//
// Children run in their own process group and get SIGKILL if the test binary
// dies (Linux only). Install the servers with scripts/install-deps.sh.
package testsrv

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// process is what every server started as a child has: its process and
// its temp dir, removed once on Stop.
type process struct {
	dir  string
	proc *proc
	once sync.Once
}

// shutdown signals the process (sig, then SIGKILL after grace) and removes
// the temp dir; only the first call does anything.
func (p *process) shutdown(sig syscall.Signal, grace time.Duration) {
	p.once.Do(func() {
		if p.proc != nil {
			p.proc.stop(sig, grace)
		}
		_ = os.RemoveAll(p.dir)
	})
}

// RepoRoot walks up from the working directory to the directory holding go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("repo root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("repo root: no go.mod above the working directory")
		}
		dir = parent
	}
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// randomHex returns n random bytes, hex encoded.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails on Linux (crypto/rand panics rather than return an error)
	return hex.EncodeToString(b)
}

// proc is a server process started in its own process group.
type proc struct {
	cmd  *exec.Cmd
	log  string
	done chan struct{} // closed when the process has exited
	err  error         // Wait's result, valid after done is closed
}

// startProc starts cmd with stdout and stderr appended to logPath. cred, when
// non-nil, runs the process as another user.
func startProc(cmd *exec.Cmd, logPath string, cred *syscall.Credential) (*proc, error) {
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open log: %w", err)
	}
	defer f.Close()
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL, Credential: cred}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	p := &proc{cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// stop sends sig to the process (to the whole group for SIGKILL), waits up to
// grace, then kills the group and waits for the process.
func (p *proc) stop(sig syscall.Signal, grace time.Duration) {
	pid := p.cmd.Process.Pid
	if sig == syscall.SIGKILL {
		_ = syscall.Kill(-pid, sig)
	} else {
		_ = syscall.Kill(pid, sig)
	}
	select {
	case <-p.done:
	case <-time.After(grace):
	}
	_ = syscall.Kill(-pid, syscall.SIGKILL) // leftover children, if any
	<-p.done
}

// logTail returns the last lines of the process log, for error messages.
func (p *proc) logTail() string {
	b, err := os.ReadFile(p.log)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	const limit = 4000
	if len(b) > limit {
		b = b[len(b)-limit:]
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	return string(bytes.TrimSpace(b))
}

// waitFor calls ready every 100ms until it returns nil, the process exits,
// or timeout (or ctx) ends; errors carry the log tail.
func (p *proc) waitFor(ctx context.Context, name string, timeout time.Duration, ready func() error) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		if last = ready(); last == nil {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s exited during startup (%v); log:\n%s", name, p.err, p.logTail())
		case <-ctx.Done():
			return fmt.Errorf("%s not ready: %w (last error: %v); log:\n%s", name, ctx.Err(), last, p.logTail())
		case <-deadline.C:
			return fmt.Errorf("%s not ready after %s: %w; log:\n%s", name, timeout, last, p.logTail())
		case <-tick.C:
		}
	}
}

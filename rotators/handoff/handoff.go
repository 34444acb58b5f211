// Package handoff moves secret values between rotation binaries without
// anyone seeing them (docs/design.md, "The helper hand-off"). A target
// binary that needs the value of vault://… runs vault-get as a helper process
// and reads the value from one end of a Unix socket pair it created, which
// the helper inherits as file descriptor 3. Values never travel in argv,
// environment variables, files or the helper's stdout.
//
// What this does and does not prevent is in docs/security.md ("the helper
// hand-off"): a helper writes only to a socket created by its own parent
// process, so typing vault-get into a flow, or redirecting its descriptors
// in a shell, prints nothing; a program written to start the helper itself
// does receive the value, as it could read the store with the same
// credentials anyway.
//
// Any <scheme>-get on PATH (or beside the running binary) is a store: that is
// the extension point for new stores.
package handoff

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// EnvFD names the descriptor a helper writes its envelope to. The parent
// sets it; a helper started any other way refuses to reveal a value.
const EnvFD = "ROTATE_HELPER_FD"

// socketFD is the descriptor number of the child's end of the socket pair: ExtraFiles[0] is fd 3.
const socketFD = 3

// Envelope is what a helper writes on its socket: one stage of a secret.
type Envelope struct {
	Missing  bool       `json:"missing,omitempty"` // the secret or stage does not exist
	Version  string     `json:"version"`
	Rotation string     `json:"rotation,omitempty"`
	Strategy string     `json:"strategy,omitempty"`
	Base     string     `json:"base,omitempty"`
	Created  time.Time  `json:"created,omitzero"`
	Value    core.Value `json:"value"`
}

// FromVersion and ToVersion convert between the envelope and core.Version.
func FromVersion(v core.Version) Envelope {
	return Envelope{Version: v.ID, Rotation: v.Rotation, Strategy: string(v.Strategy), Base: v.Base, Created: v.Created, Value: v.Value}
}

// ToVersion is the inverse of FromVersion.
func (e Envelope) ToVersion() core.Version {
	return core.Version{ID: e.Version, Rotation: e.Rotation, Strategy: core.Strategy(e.Strategy), Base: e.Base, Created: e.Created, Value: e.Value}
}

// Fetcher reads stages of secrets through store helpers.
type Fetcher struct {
	// Dirs are searched for <scheme>-get before PATH; by default the
	// directory of the running binary, so that a set of binaries unpacked
	// together finds its own helpers first.
	Dirs []string
}

// Fetch runs "<scheme>-get --secret REF --stage STAGE" and reads its
// envelope from a socket pair it made for that one helper. Errors carry the helper's error class
// (its exit code) and its one-line message, which the helper scrubbed.
func (f Fetcher) Fetch(ctx context.Context, ref core.Ref, stage core.Stage) (core.Version, error) {
	name := ref.Scheme + "-get"
	path, err := f.find(name)
	if err != nil {
		return core.Version{}, err
	}
	r, w, err := SocketPair()
	if err != nil {
		return core.Version{}, fmt.Errorf("socket pair for %s: %w", name, err)
	}
	defer r.Close()
	cmd := exec.CommandContext(ctx, path, "--secret", ref.String(), "--stage", string(stage))
	cmd.ExtraFiles = []*os.File{w}
	cmd.Env = append(childEnv(), fmt.Sprintf("%s=%d", EnvFD, socketFD))
	var stderr bytes.Buffer
	cmd.Stdout = io.Discard
	cmd.Stderr = &limitedBuffer{buf: &stderr, max: 4096}
	if err := cmd.Start(); err != nil {
		w.Close()
		return core.Version{}, fmt.Errorf("start %s: %w", name, err)
	}
	w.Close() // the child holds the only write end now
	body, readErr := io.ReadAll(io.LimitReader(r, 4*core.MaxValueBytes))
	if err := cmd.Wait(); err != nil {
		return core.Version{}, helperError(name, err, stderr.String())
	}
	if readErr != nil {
		return core.Version{}, fmt.Errorf("read from %s: %w", name, readErr)
	}
	var env Envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return core.Version{}, fmt.Errorf("%s handed over something that is not an envelope: %w", name, core.ErrUsage)
	}
	if env.Missing {
		return core.Version{}, fmt.Errorf("%s: %s of %s: %w", name, stage, ref, core.ErrNotFound)
	}
	return env.ToVersion(), nil
}

// SocketPair returns the two ends of a connected Unix stream socket pair,
// close-on-exec (ExtraFiles clears that for the child's copy only). The
// kernel records this process as the creator: the helper checks it against
// its parent (SO_PEERCRED).
func SocketPair() (mine, child *os.File, err error) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, err
	}
	return os.NewFile(uintptr(fds[0]), "helper-socket"), os.NewFile(uintptr(fds[1]), "helper-socket-child"), nil
}

// CheckStore reports, without running it, whether the store helper for
// scheme exists, so that a bad reference is refused before anything else.
func (f Fetcher) CheckStore(scheme string) error {
	_, err := f.find(scheme + "-get")
	return err
}

func (f Fetcher) find(name string) (string, error) {
	dirs := f.Dirs
	if dirs == nil {
		if exe, err := os.Executable(); err == nil {
			dirs = []string{filepath.Dir(exe)}
		}
	}
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%w: no store helper %s beside this binary or on PATH (is the store name right?)", core.ErrUsage, name)
	}
	return p, nil
}

// childEnv is the parent's environment without the ROTATE_* flag variables,
// which belong to the parent's own flags and must not steer the helper.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ROTATE_") {
			env = append(env, kv)
		}
	}
	return env
}

func helperError(name string, err error, stderr string) error {
	msg := lastLine(stderr)
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() > 0 {
		if msg == "" {
			msg = fmt.Sprintf("exit %d", ee.ExitCode())
		}
		return fmt.Errorf("%s: %s: %w", name, msg, core.ErrorForExit(ee.ExitCode()))
	}
	return fmt.Errorf("%s: %w", name, err)
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimPrefix(strings.TrimSpace(lines[len(lines)-1]), "error: ")
}

type limitedBuffer struct {
	buf *bytes.Buffer
	max int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - l.buf.Len(); room > 0 {
		if len(p) > room {
			l.buf.Write(p[:room])
		} else {
			l.buf.Write(p)
		}
	}
	return len(p), nil
}

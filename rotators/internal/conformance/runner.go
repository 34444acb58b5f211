// Package conformance is the shared test suite that every store and every
// target of the pack passes, against real servers: each step run twice,
// a rotation killed inside each step and resumed with the same rotation id,
// a second rotation refused while one is pending, validation failure
// followed by rollback, dry runs that write nothing, and a leak check of
// every line every binary printed against every value the test saw.
//
// The suites run the built binaries as processes, the way Kestra does.
package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kestra-rotation/rotation-pack/rotators/internal/testsrv"
)

// BuildBinaries builds the image's binaries into dir (testsrv.BuildBinaries).
func BuildBinaries(moduleRoot, dir string) error { return testsrv.BuildBinaries(moduleRoot, dir) }

// Run is one finished binary run.
type Run struct {
	Args    []string
	Code    int
	Stdout  string
	Stderr  string
	Outputs map[string]any
	Killed  bool
}

// Changed reports the "changed" Kestra output.
func (r Run) Changed() bool { b, _ := r.Outputs["changed"].(bool); return b }

func (r Run) String() string {
	return fmt.Sprintf("%s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(r.Args, " "), r.Code, r.Stdout, r.Stderr)
}

var outputLine = regexp.MustCompile(`^::(\{.*})::$`)

// Runner runs binaries from BinDir with a fixed environment, in a scratch
// working directory, and keeps every run for the leak check.
type Runner struct {
	BinDir string
	Env    []string // KEY=VALUE pairs added to a minimal environment

	mu       sync.Mutex
	runs     []Run
	secrets  map[string]bool
	patterns []*regexp.Regexp
	workDir  string
}

// Pattern registers regular expressions that no output may match: the shape
// of credentials the test never sees, such as a client token a binary got
// by logging in. A bad expression panics: it is the test's own constant.
func (r *Runner) Pattern(exprs ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range exprs {
		r.patterns = append(r.patterns, regexp.MustCompile(e))
	}
}

// Secret registers values that must never appear in any output.
func (r *Runner) Secret(values ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.secrets == nil {
		r.secrets = map[string]bool{}
	}
	for _, v := range values {
		if len(v) >= 6 {
			r.secrets[v] = true
		}
	}
}

func (r *Runner) command(ctx context.Context, name string, args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	cmd := exec.CommandContext(ctx, filepath.Join(r.BinDir, name), args...)
	cmd.Env = append([]string{"PATH=" + r.BinDir + ":/usr/bin:/bin", "HOME=" + os.TempDir()}, r.Env...)
	r.mu.Lock()
	if r.workDir == "" {
		r.workDir, _ = os.MkdirTemp("", "conformance-cwd-")
	}
	cmd.Dir = r.workDir
	r.mu.Unlock()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	return cmd, &stdout, &stderr
}

// Exec runs a binary to completion with an optional stdin.
func (r *Runner) Exec(t testing.TB, stdin string, name string, args ...string) Run {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd, stdout, stderr := r.command(ctx, name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	err := cmd.Run()
	return r.record(t, name, args, cmd, err, stdout, stderr, false)
}

// Kill starts a binary and kills it (SIGKILL, with the helpers it started)
// after delay, or lets it finish if it is quicker.
func (r *Runner) Kill(t testing.TB, delay time.Duration, name string, args ...string) Run {
	t.Helper()
	cmd, stdout, stderr := r.command(context.Background(), name, args...)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return r.record(t, name, args, cmd, err, stdout, stderr, false)
	case <-time.After(delay):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		err := <-done
		return r.record(t, name, args, cmd, err, stdout, stderr, true)
	}
}

func (r *Runner) record(t testing.TB, name string, args []string, cmd *exec.Cmd, err error, stdout, stderr *bytes.Buffer, killed bool) Run {
	t.Helper()
	run := Run{Args: append([]string{name}, args...), Stdout: stdout.String(), Stderr: stderr.String(), Outputs: map[string]any{}, Killed: killed}
	if err != nil && cmd.ProcessState == nil {
		t.Fatalf("run %s: %v", name, err)
	}
	run.Code = cmd.ProcessState.ExitCode()
	for _, line := range strings.Split(run.Stdout, "\n") {
		if m := outputLine.FindStringSubmatch(line); m != nil {
			var payload struct{ Outputs map[string]any }
			if json.Unmarshal([]byte(m[1]), &payload) != nil {
				t.Errorf("%s printed a protocol line that is not JSON: %q", name, line)
			}
			for k, v := range payload.Outputs {
				run.Outputs[k] = v
			}
		}
	}
	if !killed && run.Code != 0 && strings.Count(strings.TrimSpace(run.Stderr), "\n") > 0 {
		t.Errorf("%s: stderr has more than the one error line:\n%s", name, run.Stderr)
	}
	r.mu.Lock()
	r.runs = append(r.runs, run)
	r.mu.Unlock()
	return run
}

// Must runs a binary and fails the test unless it exits with want.
func (r *Runner) Must(t testing.TB, want int, name string, args ...string) Run {
	t.Helper()
	run := r.Exec(t, "", name, args...)
	if run.Code != want {
		t.Fatalf("got exit %d, want %d\n%s", run.Code, want, run)
	}
	return run
}

// CheckLeaks fails the test if any registered secret appears in any line
// any binary printed, or if a binary left a file in its working directory.
func (r *Runner) CheckLeaks(t testing.TB) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.secrets) == 0 || len(r.runs) == 0 {
		t.Errorf("leak check: got %d secrets and %d runs; the check needs both", len(r.secrets), len(r.runs))
	}
	for _, run := range r.runs {
		text := run.Stdout + run.Stderr + strings.Join(run.Args, " ")
		for s := range r.secrets {
			for _, form := range leakForms(s) {
				if strings.Contains(text, form) {
					t.Errorf("leak: a secret value (%d bytes) appears in the output of %s", len(s), strings.Join(run.Args, " "))
				}
			}
		}
		for _, p := range r.patterns {
			if m := p.FindString(text); m != "" {
				t.Errorf("leak: something shaped like a credential (%d bytes, pattern %s) appears in the output of %s", len(m), p, strings.Join(run.Args, " "))
			}
		}
	}
	if r.workDir != "" {
		if entries, _ := os.ReadDir(r.workDir); len(entries) > 0 {
			t.Errorf("leak check: binaries left %d files in their working directory", len(entries))
		}
		os.RemoveAll(r.workDir)
	}
}

// Runs returns how many binary runs were recorded.
func (r *Runner) Runs() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.runs)
}

func leakForms(s string) []string {
	b, _ := json.Marshal(s)
	return []string{s, string(b[1 : len(b)-1])}
}

// Package step drives the rotation steps (docs/design.md) for any store or
// target: flag and environment parsing shared by every binary, the audit
// and Kestra output lines, the exit-code table and the error scrubber. Each
// cmd/<provider>-<step>/main.go is one call to Main.
package step

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/kestra"
)

// Version is set at build time with -ldflags "-X .../rotators/step.Version=v1.2.3".
var Version = "dev"

// Command is one binary: its name, help, accepted flags and the work it does.
type Command struct {
	Name    string   // binary name, for example vault-stage
	Summary string   // one line for --help
	Details string   // paragraphs for --help
	Flags   []string // the flags it takes, in --help order: shared ones and Declared ones
	// Declared are flags of its own (an inventory's, a target's), read
	// through Env.Flags. One with a shared name only changes its help.
	Declared []Flag
	Defaults map[string]string // per-command flag defaults
	Quiet    bool              // print no outputs or metrics (store helpers)
	Run      func(ctx context.Context, e *Env) (Result, error)
}

// Env is what a running step gets: its options, a logger that writes
// scrubbed key=value lines to stdout, the scrubber to register values with,
// and standard input.
type Env struct {
	Opts  Options
	Flags Flags // the values of the command's Declared flags
	Log   *slog.Logger
	Scrub *core.Scrubber
	Stdin io.Reader
	Name  string
}

// Result is the non-secret outcome of a step, written as Kestra outputs.
type Result struct {
	Changed bool
	Outputs map[string]any
	Metrics []kestra.Metric // besides the duration and changed metrics every step sends
}

// Audit logs one audit event: the step, the secret reference, the rotation
// id and the outcome, plus any non-secret attributes.
func (e *Env) Audit(outcome string, attrs ...any) {
	base := []any{"event", "audit", "step", e.Name, "secret", e.Opts.Secret}
	if e.Opts.Rotation != "" {
		base = append(base, "rotation", e.Opts.Rotation)
	}
	if e.Opts.DryRun {
		base = append(base, "dry_run", true)
	}
	e.Log.Info(outcome, append(base, attrs...)...)
}

// Main runs a command with the process's arguments and streams and returns
// the exit code.
func Main(c Command, args []string) int {
	return Run(c, args, os.Stdin, os.Stdout, os.Stderr, os.Getenv)
}

// Run is Main with its streams given, for tests.
func Run(c Command, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) (code int) {
	scrub := &core.Scrubber{}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "error: %s\n", oneLine(scrub.Scrub(err.Error())))
		return core.ExitCode(err)
	}
	defer func() {
		if r := recover(); r != nil {
			code = fail(fmt.Errorf("internal error in %s: %v", c.Name, r))
		}
	}()
	for _, a := range args {
		switch a {
		case "--help", "-help", "-h":
			fmt.Fprint(stdout, c.help())
			return core.ExitOK
		case "--version", "-version":
			fmt.Fprintf(stdout, "%s %s\n", c.Name, Version)
			return core.ExitOK
		}
	}
	opts, flags, err := parse(c, args, getenv)
	if err != nil {
		return fail(fmt.Errorf("%w (see %s --help)", err, c.Name))
	}
	out := &scrubWriter{w: stdout, s: scrub}
	e := &Env{Opts: opts, Flags: flags, Scrub: scrub, Stdin: stdin, Name: c.Name, Log: newLogger(out)}
	// SIGQUIT too: Go's default would dump every goroutine and exit 2, the
	// code for bad usage, telling a flow not to retry what can be re-run.
	sig, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT)
	defer cancel()
	ctx := sig
	ctx, cancelTimeout := context.WithTimeout(ctx, opts.Timeout)
	defer cancelTimeout()
	start := time.Now()
	res, err := c.Run(ctx, e)
	if err != nil {
		switch {
		case sig.Err() != nil:
			err = fmt.Errorf("%w: stopped by a signal, every step is safe to re-run: %w", core.ErrUnavailable, err)
		case errors.Is(ctx.Err(), context.DeadlineExceeded):
			err = fmt.Errorf("%w: gave up after --timeout %s: %w", core.ErrUnavailable, opts.Timeout, err)
		}
		return fail(err)
	}
	if !c.Quiet {
		if err := emit(out, c, opts, res, time.Since(start)); err != nil {
			return fail(err)
		}
	}
	return core.ExitOK
}

func emit(w io.Writer, c Command, o Options, res Result, d time.Duration) error {
	outs := map[string]any{"step": c.Name, "changed": res.Changed}
	if o.Secret != "" {
		outs["secret"] = o.Secret
	}
	if o.Rotation != "" {
		outs["rotation"] = o.Rotation
	}
	if o.DryRun {
		outs["dry_run"] = true
	}
	for k, v := range res.Outputs {
		outs[k] = v
	}
	changed := 0.0
	if res.Changed {
		changed = 1
	}
	em := kestra.NewEmitter(w)
	tags := map[string]string{"step": c.Name}
	if err := em.Outputs(outs); err != nil {
		return err
	}
	return em.Metrics(append([]kestra.Metric{kestra.Timer("rotation.step.duration", d.Seconds(), tags),
		kestra.Counter("rotation.step.changed", changed, tags)}, res.Metrics...)...)
}

// newLogger writes key=value lines without timestamps (Kestra adds its own).
func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && (a.Key == slog.TimeKey || a.Key == slog.LevelKey) {
				return slog.Attr{}
			}
			return a
		},
	}))
}

// scrubWriter removes registered secret values from every line written:
// the last line of defence should a value ever reach a log call.
type scrubWriter struct {
	w io.Writer
	s *core.Scrubber
}

func (sw *scrubWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(sw.w, sw.s.Scrub(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

package step

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// commands are the real command tables; their Run funcs are not called here.
func commands() []Command {
	return []Command{
		StoreStage("vault", nil), StorePromote("vault", nil), StoreRollback("vault", nil), StoreGet("vault", nil),
		TargetDeploy(fakeSpec()), TargetValidate(fakeSpec()), TargetRevoke(fakeSpec()),
	}
}

func run(c Command, env map[string]string, args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = Run(c, args, strings.NewReader(""), &out, &errOut, func(k string) string { return env[k] })
	return code, out.String(), errOut.String()
}

func TestHelpAndVersion(t *testing.T) {
	for _, c := range commands() {
		code, out, errOut := run(c, nil, "--help")
		if code != 0 || errOut != "" {
			t.Errorf("%s --help: got exit %d, stderr %q; want 0 and nothing", c.Name, code, errOut)
		}
		for _, want := range append([]string{c.Name, "Exit codes:", "5  conflict"}, c.Flags...) {
			if !strings.Contains(out, want) {
				t.Errorf("%s --help: missing %q", c.Name, want)
			}
		}
		for _, f := range c.Flags {
			if !strings.Contains(out, EnvName(f)) {
				t.Errorf("%s --help: missing environment variable %s", c.Name, EnvName(f))
			}
		}
		if code, out, _ := run(c, nil, "--version"); code != 0 || out != c.Name+" dev\n" {
			t.Errorf("%s --version: got %d %q, want 0 %q", c.Name, code, out, c.Name+" dev\n")
		}
	}
}

func TestBadUsage(t *testing.T) {
	stage := StoreStage("vault", nil)
	tests := []struct {
		name string
		env  map[string]string
		args []string
	}{
		{"unknown flag", nil, []string{"--secret", "vault://s/p", "--rotation", "r1", "--nope"}},
		{"missing secret", nil, []string{"--rotation", "r1"}},
		{"missing rotation", nil, []string{"--secret", "vault://s/p"}},
		{"bad rotation id", nil, []string{"--secret", "vault://s/p", "--rotation", "r 1"}},
		{"stray argument", nil, []string{"--secret", "vault://s/p", "--rotation", "r1", "now"}},
		{"bad timeout", nil, []string{"--secret", "vault://s/p", "--rotation", "r1", "--timeout", "soon"}},
		{"bad boolean in env", map[string]string{"ROTATE_DRY_RUN": "maybe"}, []string{"--secret", "vault://s/p", "--rotation", "r1"}},
		{"stdin and generate", nil, []string{"--secret", "vault://s/p", "--rotation", "r1", "--stdin", "--generate", "length=20"}},
	}
	for _, tc := range tests {
		code, out, errOut := run(stage, tc.env, tc.args...)
		if code != core.ExitUsage || out != "" || !strings.HasPrefix(errOut, "error: ") || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%s: got exit %d, stdout %q, stderr %q; want exit 2 and one error line", tc.name, code, out, errOut)
		}
	}
}

func probe(run func(ctx context.Context, e *Env) (Result, error)) Command {
	return Command{Name: "probe", Summary: "test", Flags: []string{"secret", "rotation", "dry-run", "stage"}, Run: run}
}

func TestEnvironmentFallback(t *testing.T) {
	var got Options
	c := probe(func(_ context.Context, e *Env) (Result, error) { got = e.Opts; return Result{}, nil })
	env := map[string]string{"ROTATE_SECRET": "vault://s/env", "ROTATE_ROTATION": "r-env", "ROTATE_DRY_RUN": "true", "ROTATE_STAGE": "current"}
	if code, _, errOut := run(c, env, "--secret", "vault://s/flag"); code != 0 {
		t.Fatalf("got exit %d (%s), want 0", code, errOut)
	}
	want := Options{Secret: "vault://s/flag", Rotation: "r-env", DryRun: true, Stage: "current", Timeout: got.Timeout}
	if got != want {
		t.Errorf("got %+v, want %+v (flag wins over environment)", got, want)
	}
}

var protocolLine = regexp.MustCompile(`^::(\{.*})::$`)

func TestOutputsAndScrubbing(t *testing.T) {
	const secret = "hunter2-very-secret"
	tests := []struct {
		name     string
		run      func(ctx context.Context, e *Env) (Result, error)
		wantCode int
	}{
		{"success logs scrubbed", func(_ context.Context, e *Env) (Result, error) {
			e.Scrub.Add(secret)
			e.Log.Info("oops " + secret)
			return Result{Changed: true, Outputs: map[string]any{"version": "3"}}, nil
		}, 0},
		{"multi-line error scrubbed", func(_ context.Context, e *Env) (Result, error) {
			e.Scrub.Add(secret)
			return Result{}, fmt.Errorf("login as x with %q\nfailed: %w", secret, core.ErrRejected)
		}, core.ExitRejected},
		{"panic", func(_ context.Context, e *Env) (Result, error) {
			e.Scrub.Add(secret)
			panic("boom " + secret)
		}, core.ExitInternal},
		{"conflict", func(context.Context, *Env) (Result, error) { return Result{}, core.ErrConflict }, core.ExitConflict},
		{"unavailable", func(context.Context, *Env) (Result, error) { return Result{}, errors.Join(core.ErrUnavailable) }, core.ExitUnavailable},
	}
	for _, tc := range tests {
		code, out, errOut := run(probe(tc.run), nil, "--secret", "vault://s/p", "--rotation", "r1")
		if code != tc.wantCode {
			t.Errorf("%s: got exit %d, want %d (stderr %q)", tc.name, code, tc.wantCode, errOut)
		}
		if strings.Contains(out+errOut, secret) || strings.Contains(errOut, "goroutine") {
			t.Errorf("%s: secret or stack trace printed: stdout %q stderr %q", tc.name, out, errOut)
		}
		if code != 0 {
			if strings.Count(errOut, "\n") != 1 || strings.Contains(out, "::{") {
				t.Errorf("%s: want one stderr line and no outputs, got stdout %q stderr %q", tc.name, out, errOut)
			}
			continue
		}
		var protocol int
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			if protocolLine.MatchString(line) {
				protocol++
			}
		}
		if protocol != 2 || !strings.Contains(out, `"version":"3"`) || !strings.Contains(out, `"changed":true`) {
			t.Errorf("%s: got stdout %q, want an outputs line and a metrics line", tc.name, out)
		}
	}
}

func TestAlternateUser(t *testing.T) {
	tests := []struct{ in, want string }{{"app", "app_clone"}, {"app_clone", "app"}, {"_clone", "_clone_clone"}}
	for _, tc := range tests {
		if got := AlternateUser(tc.in); got != tc.want {
			t.Errorf("AlternateUser(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// Package clitest checks that every binary of the pack answers bad input
// the same way: exit 2 and one error line naming the problem, never a panic
// or a stack trace, and nothing on stdout. No server is needed: every case
// fails before a binary would contact one.
package clitest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kestra-rotation/rotation-pack/rotators/internal/testsrv"
)

var env testsrv.Env

func TestMain(m *testing.M) {
	os.Exit(testsrv.Main(m, testsrv.Needs{Binaries: true}, &env))
}

// usageFlag matches a required flag in a binary's usage line.
var usageFlag = regexp.MustCompile(`(?:^|\s)--([a-z-]+) [A-Z]+`)

// required returns the required flags of a binary with values that pass
// parsing: the case then breaks exactly one thing.
func required(t *testing.T, bin string) map[string]string {
	out, _ := exec.Command(bin, "--help").Output()
	lines := strings.Split(string(out), "\n")
	if len(lines) < 4 {
		t.Fatalf("%s --help: too short", bin)
	}
	usage := regexp.MustCompile(`\[[^]]*]`).ReplaceAllString(lines[3], "")
	req := map[string]string{}
	for _, m := range usageFlag.FindAllStringSubmatch(usage, -1) {
		req[m[1]] = map[string]string{"secret": "vault://secret/apps/db", "rotation": "r1", "stage": "current"}[m[1]]
	}
	return req
}

func argv(req map[string]string, override map[string]string) []string {
	var a []string
	for k, v := range req {
		if o, ok := override[k]; ok {
			v = o
		}
		a = append(a, "--"+k, v)
	}
	return a
}

func TestBadInput(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every binary")
	}
	entries, err := os.ReadDir(env.BinDir)
	if err != nil || len(entries) < 10 {
		t.Fatalf("binaries: %d, %v", len(entries), err)
	}
	for _, e := range entries {
		bin := filepath.Join(env.BinDir, e.Name())
		if e.Name() == "rotation-pack" {
			continue
		}
		req := required(t, bin)
		tests := []struct {
			name string
			args []string
			want string // a word the error line must contain
		}{
			{"unknown flag", append(argv(req, nil), "--frobnicate"), "frobnicate"},
			{"stray argument", append(argv(req, nil), "extra"), "extra"},
			{"unknown store", argv(req, map[string]string{"secret": "nosuch://a/b"}), "nosuch"},
			{"not a reference", argv(req, map[string]string{"secret": "just-a-name"}), "reference"},
			{"bad stage", argv(req, map[string]string{"stage": "later"}), "stage"},
			{"bad rotation id", argv(req, map[string]string{"rotation": "a b;c"}), "rotation"},
		}
		for _, tc := range tests {
			if tc.name == "bad stage" && req["stage"] == "" || tc.name == "bad rotation id" && req["rotation"] == "" {
				continue // the binary has no such required flag
			}
			t.Run(e.Name()+"/"+tc.name, func(t *testing.T) {
				cmd := exec.Command(bin, tc.args...)
				cmd.Env = []string{"PATH=" + env.BinDir, "HOME=" + t.TempDir(), "AWS_EC2_METADATA_DISABLED=true"}
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				_ = cmd.Run()
				code := cmd.ProcessState.ExitCode()
				line := strings.TrimSpace(stderr.String())
				switch {
				case code != 2:
					t.Errorf("got exit %d, want 2 (stderr %q)", code, line)
				case stdout.Len() > 0:
					t.Errorf("got stdout %q, want nothing", stdout.String())
				case strings.Count(line, "\n") > 0 || !strings.HasPrefix(line, "error: "):
					t.Errorf("got stderr %q, want one line starting with error:", line)
				case strings.Contains(line, "panic") || strings.Contains(line, "goroutine"):
					t.Errorf("stack trace: %q", line)
				case !strings.Contains(strings.ToLower(line), tc.want):
					t.Errorf("error %q does not name the problem (%s)", line, tc.want)
				}
			})
		}
	}
}

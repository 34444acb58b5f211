// Package clitest checks that every binary of the pack answers bad input
// the same way: exit 2 and one error line naming the problem, never a panic
// or a stack trace, and nothing on stdout. TestBadInput and
// TestMissingEnvironment fail before any network call; TestAbsentSecret and
// TestNonJSONValue talk to the test servers (OpenBao, moto and the Azure and
// GCP doubles). Every address a binary is given is on loopback: unused
// ports stand in for servers that must not be reached, so no test reaches a
// cloud metadata endpoint.
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
	os.Exit(testsrv.Main(m, testsrv.Needs{Binaries: true, Bao: true, Moto: true, AzKV: true, GCPSM: true}, &env))
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
		req[m[1]] = map[string]string{"secret": "vault://secret/apps/db", "rotation": "r1", "stage": "current",
			"prefix": "vault://secret/apps/"}[m[1]]
	}
	return req
}

func argv(req map[string]string, override map[string]string) []string {
	var a []string
	for k, v := range req {
		if o, ok := override[k]; ok {
			v = o
		} else if o, ok := override["secret"]; ok && k == "prefix" {
			v = o // the inventories' --prefix is a reference too
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
		if strings.HasPrefix(e.Name(), "rotation-pack") { // the dispatcher and the family binaries
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
			_, hasSecret := req["secret"]
			if _, ok := req["prefix"]; ok {
				hasSecret = true // the inventories' --prefix is a reference too
			}
			if tc.name == "bad stage" && req["stage"] == "" || tc.name == "bad rotation id" && req["rotation"] == "" ||
				(tc.name == "unknown store" || tc.name == "not a reference") && !hasSecret {
				continue // the binary has no such required flag
			}
			t.Run(e.Name()+"/"+tc.name, func(t *testing.T) {
				expectUsage(t, bin, tc.args, nil, tc.want)
			})
		}
	}
}

// expectUsage runs bin with args and a minimal environment plus env, and
// fails the test unless it exits 2 with nothing on stdout and one error
// line, without a stack trace, that contains want.
func expectUsage(t *testing.T, bin string, args, env []string, want string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append([]string{"PATH=" + filepath.Dir(bin), "HOME=" + t.TempDir(), "AWS_EC2_METADATA_DISABLED=true"}, env...)
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
	case !strings.Contains(strings.ToLower(line), strings.ToLower(want)):
		t.Errorf("error %q does not name the problem (%s)", line, want)
	}
}

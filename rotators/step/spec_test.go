package step

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// fullTarget can do everything a target can: the commands built on it
// offer every flag.
type fullTarget struct{ core.Applier }

func (fullTarget) Sessions(context.Context, core.UsageRequest) ([]core.Session, error) {
	return nil, nil
}

// plainTarget sets and retires credentials but lists no sessions.
type plainTarget struct{ core.Applier }

func fakeSpec() TargetSpec[fullTarget] {
	return TargetSpec[fullTarget]{Name: "postgres", Alternate: true,
		Flags: []Flag{{Name: "own-flag", Meta: "X", Usage: "a target's own", Steps: []string{"deploy", "revoke"}}}}
}

// TestTargetFlags: each target step offers the flags that do something on
// the target, from what its type can do and what it declares.
func TestTargetFlags(t *testing.T) {
	own := []Flag{{Name: "own-flag", Meta: "X", Usage: "a target's own", Steps: []string{"revoke"}}}
	tests := []struct {
		cmd        Command
		want, miss []string
	}{
		{TargetDeploy(fakeSpec()), []string{"grace", "force", "own-flag", "admin-secret"}, nil},
		{TargetRevoke(fakeSpec()), []string{"grace", "force", "own-flag"}, nil},
		{TargetValidate(fakeSpec()), []string{"expect-reject"}, []string{"own-flag", "grace"}},
		// no alternate strategy: deploy has no user whose sessions to wait for
		{TargetDeploy(TargetSpec[fullTarget]{Name: "t"}), nil, []string{"grace", "force"}},
		{TargetRevoke(TargetSpec[fullTarget]{Name: "t"}), []string{"grace", "force"}, nil},
		// no session list: nothing to wait for anywhere
		{TargetDeploy(TargetSpec[plainTarget]{Name: "t", Alternate: true}), nil, []string{"grace", "force"}},
		{TargetRevoke(TargetSpec[plainTarget]{Name: "t", Flags: own}), []string{"own-flag"}, []string{"grace", "force"}},
		{TargetDeploy(TargetSpec[plainTarget]{Name: "t", Flags: own}), nil, []string{"own-flag"}},
	}
	for _, tc := range tests {
		_, out, _ := run(tc.cmd, nil, "--help")
		for _, f := range tc.want {
			if !slices.Contains(tc.cmd.Flags, f) || !strings.Contains(out, "--"+f) {
				t.Errorf("%s: flags %v, want --%s offered and in --help", tc.cmd.Name, tc.cmd.Flags, f)
			}
		}
		for _, f := range tc.miss {
			if slices.Contains(tc.cmd.Flags, f) || strings.Contains(out, "--"+f) {
				t.Errorf("%s: flags %v, want no --%s", tc.cmd.Name, tc.cmd.Flags, f)
			}
		}
	}
}

// TestDeclaredFlags: a target's own flag reaches its Open, from the command
// line or the environment, and no other flag does.
func TestDeclaredFlags(t *testing.T) {
	c := TargetRevoke(fakeSpec())
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"--own-flag", "h1"}, nil, "h1"},
		{nil, map[string]string{"ROTATE_OWN_FLAG": "h2"}, "h2"},
		{nil, nil, ""},
	} {
		args := append([]string{"--secret", "vault://s/p", "--rotation", "r1"}, tc.args...)
		_, f, err := parse(c, args, func(k string) string { return tc.env[k] })
		if err != nil {
			t.Fatalf("parse %v: %v", args, err)
		}
		if got := f.String("own-flag"); got != tc.want {
			t.Errorf("parse %v env %v: own-flag %q, want %q", args, tc.env, got, tc.want)
		}
		if got := f.String("secret"); got != "" {
			t.Errorf("Flags.String(secret) = %q, want only declared flags", got)
		}
	}
}

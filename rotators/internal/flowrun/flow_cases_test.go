package flowrun_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/flowrun"
)

// TestFlowRotates runs the example flow end to end: the new CURRENT logs
// in, (single) the old password is refused, no PENDING is left.
func TestFlowRotates(t *testing.T) {
	needServers(t)
	for _, strategy := range []string{"single", "alternate"} {
		t.Run(strategy, func(t *testing.T) {
			f := newFixture(t)
			_, before := f.current(t)
			e := f.run(t, strategy, false, nil)
			if e.State != flowrun.Success {
				t.Fatalf("execution %s, want SUCCESS", e.State)
			}
			for _, id := range allTasks {
				wantTask(t, e, id, 0)
			}
			cur, version := f.current(t)
			if version != before+1 {
				t.Errorf("CURRENT is version %d, want %d", version, before+1)
			}
			if err := login(cur); err != nil {
				t.Errorf("new CURRENT does not log in: %v", err)
			}
			user, _ := cur.String("username")
			if strategy == "alternate" && user != f.user+"_clone" {
				t.Errorf("alternate: CURRENT username %q, want %q", user, f.user+"_clone")
			}
			if err := login(f.initial); strategy == "single" && err == nil {
				t.Error("single: the old password still logs in")
			}
			if _, ok := f.pending(t); ok {
				t.Error("PENDING left after a successful rotation")
			}
			f.checkLeaks(t, e)
		})
	}
}

// TestFlowValidationFailureRollsBack breaks the role's new password between
// deploy and validate: validate refuses (exit 4), the errors branch rolls
// back, and CURRENT is untouched and still logs in.
func TestFlowValidationFailureRollsBack(t *testing.T) {
	needServers(t)
	for _, strategy := range []string{"single", "alternate"} {
		t.Run(strategy, func(t *testing.T) {
			f := newFixture(t)
			_, before := f.current(t)
			hook, sabotaged := f.sabotage(t, breakPGPassword)
			e := f.run(t, strategy, false, hook)
			if !sabotaged() || e.State != flowrun.Failed {
				t.Fatalf("execution %s (sabotaged %v), want FAILED", e.State, sabotaged())
			}
			wantTask(t, e, "validate", 4)
			wantTask(t, e, "rollback", 0)
			if rb := e.TaskRun("rollback"); rb == nil || !rb.Errors || e.TaskRun("promote") != nil {
				t.Error("want rollback in the errors branch and promote not run")
			}
			f.wantRolledBack(t, before, login)
			f.checkLeaks(t, e)
		})
	}
}

// TestFlowDryRun runs with dry_run=true: the execution succeeds and nothing
// changes in Vault or PostgreSQL.
func TestFlowDryRun(t *testing.T) {
	needServers(t)
	for _, strategy := range []string{"single", "alternate"} {
		t.Run(strategy, func(t *testing.T) {
			f := newFixture(t)
			_, before := f.current(t)
			e := f.run(t, strategy, true, nil)
			if e.State != flowrun.Success {
				t.Fatalf("execution %s, want SUCCESS", e.State)
			}
			for _, id := range allTasks {
				wantTask(t, e, id, 0)
			}
			if _, ok := e.TaskRun("stage").Outputs["pending_version"]; ok {
				t.Error("dry run: stage reported a pending_version")
			}
			for _, id := range []string{"deploy", "promote", "revoke", "verify_old_refused"} {
				if !logged(e.TaskRun(id), "dry run - skipped") {
					t.Errorf("dry run: task %s did not say it skipped", id)
				}
			}
			if _, version := f.current(t); version != before {
				t.Errorf("dry run: CURRENT moved from version %d to %d", before, version)
			}
			if _, ok := f.pending(t); ok {
				t.Error("dry run: PENDING written")
			}
			if err := login(f.initial); err != nil {
				t.Errorf("dry run: the old password no longer logs in: %v", err)
			}
			f.checkLeaks(t, e)
		})
	}
}

// TestFlowRefusesWhileAnotherRotationIsPending: stage exits 5 and the
// errors branch leaves the other rotation's PENDING alone: the undo
// (postgres-deploy --stage current) and vault-rollback both refuse with 5,
// and the target is not touched.
func TestFlowRefusesWhileAnotherRotationIsPending(t *testing.T) {
	needServers(t)
	f := newFixture(t)
	r := &conformance.Runner{BinDir: env.BinDir, Env: []string{"VAULT_ADDR=" + env.Bao.Addr, "VAULT_TOKEN=" + f.token}}
	r.Must(t, 0, "vault-stage", "--secret", f.secretRef, "--rotation", "other-rotation")
	_, before := f.current(t)
	e := f.run(t, "single", false, nil)
	if e.State != flowrun.Failed {
		t.Fatalf("execution %s, want FAILED", e.State)
	}
	wantTask(t, e, "stage", 5)
	wantTask(t, e, "rollback", 5)
	rb := e.TaskRun("rollback")
	if !logged(rb, "belongs to rotation other-rotation") || logged(rb, "already works") || e.TaskRun("deploy") != nil {
		t.Errorf("want the undo refused by the lock, before touching the target:\n%v", rb)
	}
	if _, ok := f.pending(t); !ok {
		t.Error("the other rotation's PENDING was removed")
	}
	if cur, version := f.current(t); version != before || login(cur) != nil {
		t.Errorf("CURRENT moved (version %d, was %d) or does not log in", version, before)
	}
	f.checkLeaks(t, e)
	r.Secret(f.initial.Text("password"), f.token)
	r.CheckLeaks(t)
}

func logged(tr *flowrun.TaskRun, text string) bool {
	return tr != nil && slices.ContainsFunc(tr.Logs, func(l flowrun.LogLine) bool { return strings.Contains(l.Message, text) })
}

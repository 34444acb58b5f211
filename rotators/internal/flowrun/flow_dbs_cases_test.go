package flowrun_test

import (
	"strings"
	"testing"

	"github.com/kestra-rotation/rotation-pack/rotators/internal/flowrun"
)

// TestDBFlowsRotate runs the MySQL and Redis flows end to end for each
// strategy: the new CURRENT logs in, the old password is refused (except for
// alternate), no PENDING is left, nothing leaks.
func TestDBFlowsRotate(t *testing.T) {
	needServers(t)
	for name, d := range dbFlows() {
		for _, strategy := range d.strategies {
			t.Run(name+"/"+strategy, func(t *testing.T) {
				f := newDBFixture(t, d)
				_, before := f.current(t)
				e := runDB(t, d, f, strategy, false, nil)
				if e.State != flowrun.Success {
					t.Fatalf("execution %s, want SUCCESS\n%s", e.State, execLog(e))
				}
				for _, id := range allTasks {
					wantTask(t, e, id, 0)
				}
				f.wantRotated(t, before, d.login, strategy != "alternate")
				f.checkLeaks(t, e)
			})
		}
	}
}

// TestDBFlowsValidationFailureRollBack breaks the new password between
// deploy and validate: validate refuses (exit 4), the errors branch rolls
// back, and CURRENT is untouched and still logs in.
func TestDBFlowsValidationFailureRollBack(t *testing.T) {
	needServers(t)
	for name, d := range dbFlows() {
		for _, strategy := range d.strategies {
			t.Run(name+"/"+strategy, func(t *testing.T) {
				f := newDBFixture(t, d)
				_, before := f.current(t)
				hook, sabotaged := f.sabotage(t, d.breakIt)
				e := runDB(t, d, f, strategy, false, hook)
				if !sabotaged() || e.State != flowrun.Failed {
					t.Fatalf("execution %s (sabotaged %v), want FAILED", e.State, sabotaged())
				}
				wantTask(t, e, "validate", 4)
				wantTask(t, e, "rollback", 0)
				if rb := e.TaskRun("rollback"); rb == nil || !rb.Errors || e.TaskRun("promote") != nil {
					t.Error("want rollback in the errors branch and promote not run")
				}
				f.wantRolledBack(t, before, d.login)
				f.checkLeaks(t, e)
			})
		}
	}
}

// TestDBFlowsDryRun: nothing changes in Vault or on the server.
func TestDBFlowsDryRun(t *testing.T) {
	needServers(t)
	for name, d := range dbFlows() {
		t.Run(name, func(t *testing.T) {
			f := newDBFixture(t, d)
			_, before := f.current(t)
			e := runDB(t, d, f, d.strategies[0], true, nil)
			if e.State != flowrun.Success {
				t.Fatalf("execution %s, want SUCCESS", e.State)
			}
			if _, version := f.current(t); version != before {
				t.Errorf("dry run: CURRENT moved from version %d to %d", before, version)
			}
			if _, ok := f.pending(t); ok {
				t.Error("dry run: PENDING written")
			}
			if err := d.login(f.initial); err != nil {
				t.Errorf("dry run: the old password no longer logs in: %v", err)
			}
			f.checkLeaks(t, e)
		})
	}
}

// TestMySQLFlowDualOnMariaDB: strategy dual fails at deploy (exit 2, before
// any change) on MariaDB, and the errors branch leaves CURRENT working.
func TestMySQLFlowDualOnMariaDB(t *testing.T) {
	needServers(t)
	d := dbFlows()["mysql"]
	f := newDBFixture(t, d)
	e := runDB(t, d, f, "dual", false, nil)
	if e.State != flowrun.Failed {
		t.Fatalf("execution %s, want FAILED", e.State)
	}
	wantTask(t, e, "deploy", 2)
	wantTask(t, e, "rollback", 0)
	if !logged(e.TaskRun("deploy"), "MariaDB") {
		t.Error("deploy did not say the server is MariaDB")
	}
	if err := d.login(f.initial); err != nil {
		t.Errorf("CURRENT does not log in: %v", err)
	}
	f.checkLeaks(t, e)
}

func execLog(e *flowrun.Execution) string {
	var b strings.Builder
	e.WriteLog(&b)
	return b.String()
}

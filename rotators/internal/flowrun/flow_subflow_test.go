package flowrun_test

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/kestra-rotation/rotation-pack/rotators/awssm/awssmtest"
	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/flowrun"
)

// thinFlow is a per-secret flow calling rotate-secret, with a fixture of
// its target.
type thinFlow struct {
	file       string
	fixture    func(t *testing.T) *fixture
	login      func(core.Value) error
	breakIt    func(t *testing.T, user string)
	oldRefused bool
}

func thinFlows() map[string]thinFlow {
	redis := dbFlows()["redis"]
	return map[string]thinFlow{
		"postgres": {file: "rotate-orders-db-password.yaml", fixture: newFixture, login: login, oldRefused: true,
			breakIt: breakPGPassword},
		"redis": {file: "rotate-cache-redis-password.yaml", fixture: func(t *testing.T) *fixture { return newDBFixture(t, redis) },
			login: redis.login, breakIt: redis.breakIt, oldRefused: true},
	}
}

// runThin runs a thin flow with the fixture's references as inputs.
func runThin(t *testing.T, tf thinFlow, f *fixture, dryRun bool, before func(string)) *flowrun.Execution {
	t.Helper()
	r := &flowrun.Runner{Secrets: map[string]string{"VAULT_TOKEN": f.token}, Envs: map[string]string{"VAULT_ADDR": env.Bao.Addr}, BeforeTask: before}
	return runFlow(t, tf.file, r, map[string]string{"secret": f.secretRef, "admin_secret": f.adminRef, "dry_run": strconv.FormatBool(dryRun)})
}

// child returns the execution of flowID started by the task rotate.
func child(t *testing.T, e *flowrun.Execution, flowID string) *flowrun.Execution {
	t.Helper()
	tr := e.TaskRun("rotate")
	if tr == nil || tr.Subflow == nil {
		t.Fatalf("task rotate ran no subflow\n%s", execLog(e))
	}
	if tr.Subflow.FlowID != flowID || tr.Subflow.ID == e.ID {
		t.Errorf("child execution %s of %s, want %s with its own id", tr.Subflow.ID, tr.Subflow.FlowID, flowID)
	}
	return tr.Subflow
}

// TestThinFlowsRotate runs each thin flow end to end: the subflow runs every
// step, the new CURRENT logs in, the old password is refused, nothing leaks.
// The Runner holds only the Vault secrets, so rotate-secret's secret() calls
// for the other stores must not be made.
func TestThinFlowsRotate(t *testing.T) {
	needServers(t)
	for name, tf := range thinFlows() {
		t.Run(name, func(t *testing.T) {
			f := tf.fixture(t)
			_, before := f.current(t)
			e := runThin(t, tf, f, false, nil)
			if e.State != flowrun.Success {
				t.Fatalf("execution %s, want SUCCESS\n%s", e.State, execLog(e))
			}
			c := child(t, e, "rotate-secret")
			for _, id := range allTasks {
				wantTask(t, c, id, 0)
			}
			f.wantRotated(t, before, tf.login, tf.oldRefused)
			f.checkLeaks(t, e)
		})
	}
}

// TestThinFlowsRollBack breaks the new password between deploy and validate
// inside the subflow: its errors branch rolls back, and the thin flow fails
// with it (transmitFailed).
func TestThinFlowsRollBack(t *testing.T) {
	needServers(t)
	for name, tf := range thinFlows() {
		t.Run(name, func(t *testing.T) {
			f := tf.fixture(t)
			_, before := f.current(t)
			hook, sabotaged := f.sabotage(t, tf.breakIt)
			e := runThin(t, tf, f, false, hook)
			if !sabotaged() || e.State != flowrun.Failed {
				t.Fatalf("execution %s (sabotaged %v), want FAILED", e.State, sabotaged())
			}
			wantTask(t, e, "rotate", 1)
			c := child(t, e, "rotate-secret")
			wantTask(t, c, "validate", 4)
			wantTask(t, c, "rollback", 0)
			if c.State != flowrun.Failed || c.TaskRun("promote") != nil {
				t.Errorf("subflow %s, want FAILED without promote", c.State)
			}
			f.wantRolledBack(t, before, tf.login)
			f.checkLeaks(t, e)
		})
	}
}

// TestThinFlowDryRun: the dry run reaches the subflow; nothing changes.
func TestThinFlowDryRun(t *testing.T) {
	needServers(t)
	tf := thinFlows()["postgres"]
	f := tf.fixture(t)
	_, before := f.current(t)
	e := runThin(t, tf, f, true, nil)
	if e.State != flowrun.Success {
		t.Fatalf("execution %s, want SUCCESS", e.State)
	}
	c := child(t, e, "rotate-secret")
	if c.Inputs["dry_run"] != "true" || !logged(c.TaskRun("deploy"), "dry run - skipped") {
		t.Errorf("the subflow did not run dry (inputs %v)", c.Inputs)
	}
	if _, version := f.current(t); version != before {
		t.Errorf("dry run: CURRENT moved from version %d to %d", before, version)
	}
	if err := tf.login(f.initial); err != nil {
		t.Errorf("dry run: the old password no longer logs in: %v", err)
	}
	f.checkLeaks(t, e)
}

// TestRotateSecretMySQLAlternate calls rotate-secret directly for another
// target and strategy than the thin flows use.
func TestRotateSecretMySQLAlternate(t *testing.T) {
	needServers(t)
	d := dbFlows()["mysql"]
	f := newDBFixture(t, d)
	e := runRotateSecret(t, f, map[string]string{"target": "mysql", "strategy": "alternate", "grace": "20s"})
	if e.State != flowrun.Success {
		t.Fatalf("execution %s, want SUCCESS", e.State)
	}
	wantTask(t, e, "verify_old_refused", 0)
	if !logged(e.TaskRun("verify_old_refused"), "strategy alternate - skipped") {
		t.Error("verify_old_refused did not skip for alternate")
	}
	cur, _ := f.current(t)
	if user, _ := cur.String("username"); user != f.user+"_clone" {
		t.Errorf("CURRENT username %q, want %q", user, f.user+"_clone")
	}
	if err := d.login(cur); err != nil {
		t.Errorf("new CURRENT does not log in: %v", err)
	}
	if err := d.login(f.initial); err != nil {
		t.Errorf("alternate: the previous user no longer logs in: %v", err)
	}
	f.checkLeaks(t, e)
}

func runRotateSecret(t *testing.T, f *fixture, inputs map[string]string) *flowrun.Execution {
	t.Helper()
	in := withInputs(map[string]string{"store": "vault", "secret": f.secretRef, "admin_secret": f.adminRef}, inputs)
	r := &flowrun.Runner{Secrets: map[string]string{"VAULT_TOKEN": f.token}, Envs: map[string]string{"VAULT_ADDR": env.Bao.Addr}}
	return runFlow(t, "rotate-secret.yaml", r, in)
}

// TestRotateSecretRefusesBadStoreOrTarget: a reference of another store is
// refused by stage (exit 2) before anything changes; values outside the
// SELECT lists create no execution; and if the SELECT were loosened, the
// scripts' own case allow-list still refuses a crafted value.
func TestRotateSecretRefusesBadStoreOrTarget(t *testing.T) {
	needServers(t)
	f := newFixture(t)
	_, before := f.current(t)
	e := runRotateSecret(t, f, map[string]string{"target": "postgres", "admin_secret": "awssm://rotation-admin/orders"})
	if e.State != flowrun.Failed {
		t.Fatalf("execution %s, want FAILED", e.State)
	}
	wantTask(t, e, "stage", 2)
	if !logged(e.TaskRun("stage"), "must be vault:// references") {
		t.Error("stage did not name the bad reference")
	}
	if _, v := f.current(t); v != before {
		t.Error("CURRENT moved")
	}

	flow, err := flowrun.Load(filepath.Join(env.Root, "flows", "rotate-secret.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	r := &flowrun.Runner{BinDir: env.BinDir, Secrets: map[string]string{"VAULT_TOKEN": f.token}, Envs: map[string]string{"VAULT_ADDR": env.Bao.Addr}}
	base := map[string]string{"store": "vault", "target": "postgres", "secret": f.secretRef, "admin_secret": f.adminRef}
	for _, bad := range []map[string]string{{"store": "vault-x"}, {"target": "postgres;id"}} {
		in := withInputs(base, bad)
		if _, err := r.Run(context.Background(), flow, in); err == nil {
			t.Errorf("inputs %v: want no execution (SELECT)", bad)
		}
	}
	dir := t.TempDir()
	pwned := filepath.Join(dir, "pwned")
	for i := range flow.Inputs {
		if flow.Inputs[i].ID == "target" {
			flow.Inputs[i].Type, flow.Inputs[i].Values = "STRING", nil
		}
	}
	e, err = r.Run(context.Background(), flow, withInputs(base, map[string]string{"target": "postgres; touch " + pwned + ";"}))
	if err != nil {
		t.Fatal(err)
	}
	wantTask(t, e, "stage", 2)
	if _, err := os.Stat(pwned); err == nil {
		t.Error("a crafted target ran a command")
	}
	if !logged(e.TaskRun("stage"), "target must be postgres, mysql or redis") {
		t.Errorf("stage did not refuse the crafted target\n%s", execLog(e))
	}
	f.checkLeaks(t, e)
}

func withInputs(base, extra map[string]string) map[string]string {
	out := maps.Clone(base)
	maps.Copy(out, extra)
	return out
}

// TestRotateSecretAWSSM runs rotate-secret with store awssm against moto:
// the Runner holds only the AWS secrets, so the Vault and Azure branches of
// the tasks' env must not be read.
func TestRotateSecretAWSSM(t *testing.T) {
	needServers(t)
	f := newAWSFixture(t, "rotate-secret.yaml")
	user, pw, adminUser, adminPW := "app_"+conformance.RandomID(""), conformance.RandomID("initial-"), "rotator_"+conformance.RandomID(""), conformance.RandomID("admin-")
	env.PG.AdminExec(t, fmt.Sprintf("CREATE ROLE %s LOGIN CREATEROLE PASSWORD '%s'", adminUser, adminPW))
	env.PG.AdminExec(t, fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD '%s'", user, pw))
	initial := dbValue(user, pw)
	f.seen.see(pw, adminPW, env.PG.AdminPassword)
	f.secretRef = awssmtest.Create(t, f.sm, f.name, initial).String()
	admin := awssmtest.Create(t, f.sm, "rotation-admin/"+f.name, dbValue(adminUser, adminPW)).String()
	e := f.run(t, nil, map[string]string{"store": "awssm", "target": "postgres", "admin_secret": admin, "grace": "5s"})
	if e.State != flowrun.Success {
		t.Fatalf("execution %s, want SUCCESS", e.State)
	}
	for _, id := range allTasks {
		wantTask(t, e, id, 0)
	}
	cur, _, _ := f.stage(t, "AWSCURRENT")
	if cur.Equal(initial) || login(cur) != nil {
		t.Error("AWSCURRENT did not change or does not log in")
	}
	if login(initial) == nil {
		t.Error("the old password still logs in")
	}
	f.checkLeaks(t, e)
}

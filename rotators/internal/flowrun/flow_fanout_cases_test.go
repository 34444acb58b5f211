package flowrun_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/flowrun"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/wirefake"
	"github.com/kestra-rotation/rotation-pack/rotators/vault/vaulttest"
)

// TestFanOutRotatesEveryTarget: with every target healthy both modes rotate
// all three servers; the old password is refused everywhere.
func TestFanOutRotatesEveryTarget(t *testing.T) {
	needServers(t)
	for _, mode := range []string{"all-or-rollback", "best-effort"} {
		t.Run(mode, func(t *testing.T) {
			fo := newFanout(t)
			_, before := fo.current(t)
			e := fo.run(t, mode, "dual", nil)
			if e.State != flowrun.Success {
				t.Fatalf("execution %s, want SUCCESS\n%s", e.State, execLog(e))
			}
			for _, id := range []string{"stage", "deploy", "validate", "promote", "revoke", "alert"} {
				wantTask(t, e, id, 0)
			}
			if got := e.TaskRun("validate").Outputs["ok_targets"]; got != fo.targets() {
				t.Errorf("validate ok_targets %v, want %s", got, fo.targets())
			}
			// Kestra merges ::{outputs}:: lines with putAll: each task's
			// outputs must name every target, none of one binary's keys.
			var exits []string
			for _, tg := range strings.Split(fo.targets(), ",") {
				exits = append(exits, tg+"=0")
			}
			for _, tc := range []struct{ task, key, want string }{
				{"deploy", "exits", strings.Join(exits, ",")},
				{"validate", "exits", strings.Join(exits, ",")},
				{"revoke", "exits", strings.Join(exits, ",")},
				{"revoke", "revoked_targets", fo.targets()},
				{"deploy", "changed", "<nil>"},
				{"validate", "step", "<nil>"},
				{"revoke", "step", "<nil>"},
			} {
				if got := fmt.Sprint(e.TaskRun(tc.task).Outputs[tc.key]); got != tc.want {
					t.Errorf("%s outputs %s = %s, want %s", tc.task, tc.key, got, tc.want)
				}
			}
			cur, version := fo.current(t)
			if version != before+1 {
				t.Errorf("CURRENT is version %d, want %d", version, before+1)
			}
			fo.wantLogins(t, "new CURRENT", cur, true, true, true)
			fo.wantLogins(t, "old password", fo.initial, false, false, false)
			fo.checkLeaks(t, e)
		})
	}
}

// TestFanOutAllOrRollback: a replica whose password changed out of band
// fails validate; nothing is promoted and every target is set back to
// CURRENT, the broken replica included.
func TestFanOutAllOrRollback(t *testing.T) {
	needServers(t)
	fo := newFanout(t)
	_, before := fo.current(t)
	var pending core.Value
	e := fo.run(t, "all-or-rollback", "dual", func(task string) {
		if task == "validate" {
			p, ok := fo.pending(t)
			if !ok {
				t.Fatal("no PENDING before validate")
			}
			pending = p
			fo.breakReplica(t, 2)
		}
	})
	if e.State != flowrun.Failed {
		t.Fatalf("execution %s, want FAILED", e.State)
	}
	wantTask(t, e, "validate", 4)
	wantTask(t, e, "rollback", 0)
	if e.TaskRun("promote") != nil {
		t.Error("promote ran")
	}
	if _, version := fo.current(t); version != before {
		t.Errorf("CURRENT moved from version %d to %d", before, version)
	}
	if _, ok := fo.pending(t); ok {
		t.Error("PENDING left after rollback")
	}
	fo.wantLogins(t, "CURRENT after rollback", fo.initial, true, true, true)
	fo.wantLogins(t, "discarded PENDING", pending, false, false, false)
	fo.checkLeaks(t, e)
}

// TestFanOutBestEffortUnreachable: a replica that is down fails deploy; the
// others are rotated and promoted, the alert fails the execution naming the
// replica, and the errors branch fails to reach it too.
func TestFanOutBestEffortUnreachable(t *testing.T) {
	needServers(t)
	fo := newFanout(t)
	_, before := fo.current(t)
	down := fo.servers[2].Addr()
	fo.servers[2].Stop()
	e := fo.run(t, "best-effort", "dual", nil)
	if e.State != flowrun.Failed {
		t.Fatalf("execution %s, want FAILED (alert)", e.State)
	}
	for _, id := range []string{"stage", "deploy", "validate", "promote", "revoke"} {
		wantTask(t, e, id, 0)
	}
	wantTask(t, e, "alert", 1)
	wantTask(t, e, "rollback", 1)
	if got := e.TaskRun("validate").Outputs["failed_targets"]; got != down {
		t.Errorf("failed_targets %v, want %s", got, down)
	}
	if !logged(e.TaskRun("alert"), "did not take it: "+down) {
		t.Error("the alert does not name the unreachable replica")
	}
	cur, version := fo.current(t)
	if version != before+1 {
		t.Errorf("CURRENT is version %d, want %d (promoted)", version, before+1)
	}
	fo.wantLogins(t, "new CURRENT", cur, true, true)
	fo.wantLogins(t, "old password", fo.initial, false, false)
	fo.checkLeaks(t, e)
}

// TestFanOutBestEffortCatchUp: a replica whose password changed out of band
// fails validate; the rotation is promoted on the others, the failed
// replica is not revoked, and the errors branch brings it to the new
// CURRENT.
func TestFanOutBestEffortCatchUp(t *testing.T) {
	needServers(t)
	fo := newFanout(t)
	e := fo.run(t, "best-effort", "dual", func(task string) {
		if task == "validate" {
			fo.breakReplica(t, 1)
		}
	})
	if e.State != flowrun.Failed {
		t.Fatalf("execution %s, want FAILED (alert)", e.State)
	}
	wantTask(t, e, "promote", 0)
	wantTask(t, e, "alert", 1)
	wantTask(t, e, "rollback", 0)
	if got := e.TaskRun("validate").Outputs["failed_targets"]; got != fo.servers[1].Addr() {
		t.Errorf("failed_targets %v, want %s", got, fo.servers[1].Addr())
	}
	if logged(e.TaskRun("revoke"), fo.servers[1].Addr()) {
		t.Error("revoke touched the failed replica")
	}
	cur, _ := fo.current(t)
	fo.wantLogins(t, "new CURRENT after catch-up", cur, true, true, true)
	fo.wantLogins(t, "old password", fo.initial, false, false, false)
	fo.checkLeaks(t, e)
}

// TestFanOutBestEffortPrimaryFails: best-effort never promotes without the
// primary; every target is rolled back.
func TestFanOutBestEffortPrimaryFails(t *testing.T) {
	needServers(t)
	fo := newFanout(t)
	_, before := fo.current(t)
	e := fo.run(t, "best-effort", "dual", func(task string) {
		if task == "validate" {
			fo.breakReplica(t, 0)
		}
	})
	if e.State != flowrun.Failed || e.TaskRun("promote") != nil {
		t.Fatalf("execution %s, want FAILED before promote", e.State)
	}
	wantTask(t, e, "validate", 4)
	wantTask(t, e, "rollback", 0)
	if _, version := fo.current(t); version != before {
		t.Errorf("CURRENT moved from version %d to %d", before, version)
	}
	fo.wantLogins(t, "CURRENT after rollback", fo.initial, true, true, true)
	fo.checkLeaks(t, e)
}

// TestFanOutRefusals: best-effort with single is refused before any change;
// a secret naming its own host makes validate stop (every target would be
// that one server) and the errors branch undoes it.
func TestFanOutRefusals(t *testing.T) {
	needServers(t)
	fo := newFanout(t)
	_, before := fo.current(t)
	e := fo.run(t, "best-effort", "single", nil)
	wantTask(t, e, "stage", 2)
	if e.State != flowrun.Failed || !logged(e.TaskRun("stage"), "best-effort needs strategy dual") {
		t.Errorf("execution %s, want FAILED at stage", e.State)
	}
	if _, version := fo.current(t); version != before {
		t.Error("best-effort single changed the secret")
	}

	withHost := fo.initial.With("host", fo.servers[0].Host).With("port", strings.Split(fo.servers[0].Addr(), ":")[1])
	vaulttest.Put(t, fo.vc, fo.path, withHost)
	_, before = fo.current(t)
	e = fo.run(t, "all-or-rollback", "dual", nil)
	wantTask(t, e, "validate", 2)
	wantTask(t, e, "rollback", 0)
	if !logged(e.TaskRun("validate"), "did not connect to "+fo.servers[1].Addr()) {
		t.Errorf("validate did not name the endpoint mismatch\n%s", execLog(e))
	}
	if _, version := fo.current(t); version != before {
		t.Errorf("CURRENT moved from version %d to %d", before, version)
	}
	fo.wantLogins(t, "CURRENT", withHost, true, true, true)
	fo.checkLeaks(t, e)
}

// TestFanOutAdminOnlyToItsHosts: whoever may start the flow can put any
// host:port in targets, but the application's credentials and the fleet's
// admin go only to the servers their secrets list: a target of the
// operator's own is refused (exit 2) before any connection there, and the
// rotation is undone on the others.
func TestFanOutAdminOnlyToItsHosts(t *testing.T) {
	needServers(t)
	fo := newFanout(t)
	_, before := fo.current(t)
	fake := wirefake.Start(t, "redis")
	r := &flowrun.Runner{Secrets: map[string]string{"VAULT_TOKEN": fo.token}, Envs: map[string]string{"VAULT_ADDR": env.Bao.Addr}}
	e := runFlow(t, fanoutFlow, r, map[string]string{"secret": fo.secretRef, "admin_secret": fo.adminRef,
		"targets": fo.targets() + "," + fake.Host() + ":" + fake.Port(), "on_failure": "all-or-rollback", "strategy": "dual"})
	wantTask(t, e, "deploy", 2)
	wantTask(t, e, "rollback", 1) // the undo is refused on the operator's server too
	if !logged(e.TaskRun("rollback"), "could not set these targets to CURRENT: "+fake.Host()+":"+fake.Port()) {
		t.Errorf("rollback did not name the refused target\n%s", execLog(e))
	}
	if !logged(e.TaskRun("deploy"), "add \"host\" to the secret, or "+fake.Host()+":"+fake.Port()+" to its \"hosts\" list") {
		t.Errorf("deploy did not say the secret does not list the target\n%s", execLog(e))
	}
	if n := fake.Conns(); n != 0 {
		t.Errorf("the operator's server got %d connections, want none (logins offered: %d)", n, len(fake.Logins()))
	}
	if _, version := fo.current(t); version != before {
		t.Errorf("CURRENT moved from version %d to %d", before, version)
	}
	fo.wantLogins(t, "CURRENT after rollback", fo.initial, true, true, true)
	fo.checkLeaks(t, e)
}

// TestFanOutDryRun checks CURRENT on every target and changes nothing.
func TestFanOutDryRun(t *testing.T) {
	needServers(t)
	fo := newFanout(t)
	_, before := fo.current(t)
	r := &flowrun.Runner{Secrets: map[string]string{"VAULT_TOKEN": fo.token}, Envs: map[string]string{"VAULT_ADDR": env.Bao.Addr}}
	e := runFlow(t, fanoutFlow, r, map[string]string{"secret": fo.secretRef, "admin_secret": fo.adminRef,
		"targets": fo.targets(), "dry_run": "true"})
	if e.State != flowrun.Success {
		t.Fatalf("execution %s, want SUCCESS", e.State)
	}
	if got := e.TaskRun("validate").Outputs["ok_targets"]; got != fo.targets() {
		t.Errorf("dry run validated %v, want every target", got)
	}
	if _, version := fo.current(t); version != before {
		t.Errorf("dry run: CURRENT moved from version %d to %d", before, version)
	}
	if _, ok := fo.pending(t); ok {
		t.Error("dry run: PENDING written")
	}
	fo.wantLogins(t, "CURRENT after a dry run", fo.initial, true, true, true)
	fo.checkLeaks(t, e)
}

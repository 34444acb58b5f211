package kestraengine

import (
	"strings"
	"testing"
	"time"

	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
)

// fleetFlows are the flows a fleet execution saves first.
var fleetFlows = []string{"flows/rotate-secret.yaml"}

// TestRotateOverdue runs flows/rotate-overdue.yaml over 50 secrets in Vault
// and Secrets Manager (PostgreSQL and Redis) in Kestra's engine: one not
// opted in, one whose deploy fails (a wrong admin password), one with a
// stuck PENDING (older than stuck_after: rolled back, then rotated) and one
// with a rotation in progress (younger: left alone). Each secret is judged
// from its store and its server.
func TestRotateOverdue(t *testing.T) {
	k := kestra(t)
	f := newFleet(t, 50)
	stuck, running := f.secrets[4], f.secrets[6]
	stuck.stuck, running.running = true, true
	staged := time.Now()
	f.stage(t, stuck, conformance.RandomID("deadexec"))
	waitAtLeast(staged, 9*time.Second)
	f.stage(t, running, conformance.RandomID("liveexec"))
	in := f.inputs(8)
	in["stuck_after"] = "8s"
	x := k.run(t, "flows/rotate-overdue.yaml", fleetFlows, in)
	x.check(t, "rotate-overdue (50 secrets, parallelism 8)", "FAILED", map[string]string{"plan": "SUCCESS", "summary": "SUCCESS",
		"fail_on_failed": "FAILED"})
	s := x.summary(t)
	t.Logf("summary: %d rotated, %d failed %v, %d skipped, %d still overdue %v; Kestra's time %d ms",
		s.RotatedCount, s.FailedCount, s.Failed, s.SkippedCount, s.OverdueCount, s.StillOverdue, x.DurationMs)
	if s.RotatedCount != 47 || s.FailedCount != 1 || s.SkippedCount != 2 || s.OverdueCount != 3 || s.NotRun != 0 {
		t.Errorf("got %d rotated, %d failed, %d skipped, %d still overdue; want 47, 1, 2, 3", s.RotatedCount, s.FailedCount, s.SkippedCount, s.OverdueCount)
	}
	planted := f.secrets[3]
	// the wrong admin password: redis-deploy's permission denied, exit 2
	if len(s.Failed) != 1 || s.Failed[0].Secret != planted.ref || s.Failed[0].Step != "deploy" || s.Failed[0].ExitCode != "2" {
		t.Errorf("got failed %+v, want %s at deploy with exit code 2", s.Failed, planted.ref)
		for _, tr := range x.TaskRuns {
			if tr.Child != nil && tr.Child.label("secret") == planted.ref {
				t.Logf("its Subflow task: %v\n%s", tr.Outputs, tr.Child)
			}
		}
	}
	byExec := map[string]*execution{}
	for _, c := range x.children() {
		byExec[c.ID] = c
	}
	rotatedBy := map[string]string{}
	for _, r := range s.Rotated {
		rotatedBy[r.Secret] = r.Execution
	}
	values := append([]string{}, f.seen...)
	for _, m := range f.secrets {
		cur := f.current(t, m)
		values = append(values, cur)
		switch {
		case m.optOut || m.planted || m.running:
			if cur != m.initial || !m.logsIn(m.initial) {
				t.Errorf("%s: want CURRENT unchanged and logging in", m.ref)
			}
			if m.running && !f.hasPending(t, m) {
				t.Errorf("%s: the PENDING of the rotation in progress was touched", m.ref)
			}
		default:
			if cur == m.initial || !m.logsIn(cur) || m.logsIn(m.initial) {
				t.Errorf("%s: want a new CURRENT that logs in and the old password refused", m.ref)
			}
			c := byExec[rotatedBy[m.ref]]
			if c == nil || c.label("secret") != m.ref || c.label("store") != m.store || c.label("target") != m.target || c.label("outcome") != "rotated" {
				t.Errorf("%s: the summary's execution %q is not a rotate-secret execution labelled with it, its store, target and outcome rotated", m.ref, rotatedBy[m.ref])
			}
		}
		if m.stuck && (f.hasPending(t, m) || !strings.Contains(x.String(), "undoing the stuck rotation deadexec")) {
			t.Errorf("%s: want the stuck PENDING undone before the rotation", m.ref)
		}
	}
	if len(s.Failed) != 1 {
		t.Fatalf("got %d failed, want 1", len(s.Failed))
	}
	if c := byExec[s.Failed[0].Execution]; c == nil || c.label("outcome") != "failed" || c.label("secret") != planted.ref {
		t.Errorf("the failed rotation's execution is not labelled outcome failed with its secret")
	}
	if n := len(byExec); n != 48 {
		t.Errorf("got %d rotate-secret executions, want 48", n)
	}
	scan(t, x, values)
}

// TestRotateNow runs flows/rotate-now.yaml: a dry run by default (nothing
// changes), a confirm input that does not name the prefixes (nothing runs),
// and a real run limited by the tag input.
func TestRotateNow(t *testing.T) {
	k := kestra(t)
	f := newFleet(t, 4) // 0 pg not opted in, 1 pg, 2 redis, 3 redis (wrong admin)
	base := f.inputs(4)
	base["confirm"] = base["vault_prefix"] + " " + base["awssm_prefix"]
	tests := []struct {
		name        string
		set         map[string]string
		wantState   string
		wantRotated int
		wantSkipped int
		changed     []int // secrets rotated for real
	}{
		{"dry run by default", nil, "SUCCESS", 3, 1, nil},
		{"confirm names another prefix", map[string]string{"confirm": "vault://secret/other/"}, "FAILED", -1, -1, nil},
		{"tag rotation-target=postgres", map[string]string{"dry_run": "false", "tag": "rotation-target=postgres"}, "SUCCESS", 1, 1, []int{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := map[string]string{}
			for k, v := range base {
				in[k] = v
			}
			for k, v := range tt.set {
				in[k] = v
			}
			before := make([]string, len(f.secrets))
			for i, m := range f.secrets {
				before[i] = f.current(t, m)
			}
			x := k.run(t, "flows/rotate-now.yaml", fleetFlows, in)
			x.check(t, "rotate-now ("+tt.name+")", tt.wantState, nil)
			if tt.wantRotated < 0 {
				if tr := x.task("plan"); tr == nil || tr.State != "FAILED" || len(x.children()) != 0 || !x.logged("plan", "confirm does not name the prefix") {
					t.Errorf("want the plan refused and no rotation started\n%s", x)
				}
			} else if s := x.summary(t); s.RotatedCount != tt.wantRotated || s.FailedCount != 0 || s.SkippedCount != tt.wantSkipped {
				t.Errorf("got %d rotated, %d failed, %d skipped; want %d, 0, %d", s.RotatedCount, s.FailedCount, s.SkippedCount, tt.wantRotated, tt.wantSkipped)
			}
			want := map[bool]string{true: "dry-run", false: "rotated"}[tt.set["dry_run"] != "false"]
			for _, c := range x.children() {
				if c.label("outcome") != want {
					t.Errorf("rotate-secret execution %s: got outcome %q, want %q", c.ID, c.label("outcome"), want)
				}
			}
			values := append([]string{}, f.seen...)
			for i, m := range f.secrets {
				cur := f.current(t, m)
				values = append(values, cur)
				want := false
				for _, c := range tt.changed {
					want = want || c == i
				}
				if changed := cur != before[i]; changed != want || !m.logsIn(cur) {
					t.Errorf("%s: changed %v, want %v; CURRENT logs in %v", m.ref, changed, want, m.logsIn(cur))
				}
			}
			scan(t, x, values)
		})
	}
}

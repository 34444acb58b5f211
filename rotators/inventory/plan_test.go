package inventory

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPlan(t *testing.T) {
	now := time.Now()
	opted := map[string]string{TagAuto: "true", TagTarget: "postgres", TagAdmin: "vault://secret/admin/pg"}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range opted {
			m[a] = b
		}
		m[k] = v
		return m
	}
	old, young := now.Add(-4*time.Hour), now.Add(-time.Minute)
	tests := []struct {
		name      string // the secret is vault://secret/apps/x unless ref is set
		ref       string
		facts     Facts
		overdue   bool
		mode      string
		wantWhy   string // "" planned
		wantStale string
	}{
		{"overdue opted in", "", Facts{Tags: opted}, true, "overdue", "", ""},
		{"reference rotate-secret refuses", "vault://secret/apps/a b", Facts{Tags: opted}, true, "all", "validator", ""},
		{"not due", "", Facts{Tags: opted}, false, "overdue", "not due", ""},
		{"not due, mode all", "", Facts{Tags: opted}, false, "all", "", ""},
		{"not opted in", "", Facts{Tags: map[string]string{TagTarget: "postgres"}}, true, "overdue", "not opted in", ""},
		{"opt-in not true", "", Facts{Tags: with(TagAuto, "yes")}, true, "all", "not opted in", ""},
		{"bad target", "", Facts{Tags: with(TagTarget, "oracle")}, true, "all", "rotation-target", ""},
		{"admin in another store", "", Facts{Tags: with(TagAdmin, "awssm://admin")}, true, "all", "rotation-admin", ""},
		{"bad strategy", "", Facts{Tags: with(TagStrategy, "triple")}, true, "all", "rotation-strategy", ""},
		{"stuck PENDING", "", Facts{Tags: opted, Pending: true, PendingRot: "exec1", PendingSince: old}, false, "overdue", "", "exec1"},
		{"rotation in progress", "", Facts{Tags: opted, Pending: true, PendingRot: "exec2", PendingSince: young}, true, "all", "in progress", ""},
		{"PENDING of unknown age", "", Facts{Tags: opted, Pending: true, PendingRot: "exec3"}, true, "all", "by hand", ""},
	}
	for _, tc := range tests {
		tc.facts.Secret = "vault://secret/apps/x"
		if tc.ref != "" {
			tc.facts.Secret = tc.ref
		}
		r := Record{Overdue: tc.overdue, PendingLeftOver: tc.facts.Pending}
		got := Plan("vault", tc.facts, r, tc.mode, now, 3*time.Hour)
		if (tc.wantWhy == "") != (got.Why == "") || !strings.Contains(got.Why, tc.wantWhy) || got.Stale != tc.wantStale {
			t.Errorf("%s: got why %q stale %q; want why %q stale %q", tc.name, got.Why, got.Stale, tc.wantWhy, tc.wantStale)
		}
		if got.Why == "" && (got.Target != "postgres" || got.Admin != opted[TagAdmin] || got.Strategy != "single") {
			t.Errorf("%s: got target %q admin %q strategy %q, want the tags' (strategy single by default)", tc.name, got.Target, got.Admin, got.Strategy)
		}
	}
}

// TestCommandPlan runs two inventories into one directory, as a flow's
// plan task does, and checks the second prints both stores' items.
func TestCommandPlan(t *testing.T) {
	dir := t.TempDir()
	for i, want := range []int{10, 20} {
		code, out, errOut := run(t, fakeLister{n: 10}, "--prefix", "vault://secret/apps/", "--max-age", "30d", "--output-dir", dir, "--plan", "all")
		if code != 0 {
			t.Fatalf("run %d: exit %d: %s", i, code, errOut)
		}
		line, _, _ := strings.Cut(out[strings.LastIndex(out, `::{"outputs"`):], "\n")
		var o struct {
			Outputs struct {
				Plan, Skipped []PlanItem
				Count         int
			}
		}
		if err := json.Unmarshal([]byte(strings.TrimSuffix(strings.TrimSpace(line), "::")[2:]), &o); err != nil {
			t.Fatalf("run %d: outputs line %q: %v", i, line, err)
		}
		if got := len(o.Outputs.Plan) + len(o.Outputs.Skipped); got != want || o.Outputs.Count != len(o.Outputs.Plan) {
			t.Errorf("run %d: got %d items (count %d), want %d", i, got, o.Outputs.Count, want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, PlanFile)); err != nil {
		t.Error(err)
	}
	if code, _, errOut := run(t, fakeLister{n: 1}, "--prefix", "vault://secret/apps/", "--output-dir", dir, "--plan", "some"); code != 2 || !strings.Contains(errOut, "--plan") {
		t.Errorf("--plan some: got exit %d %q, want 2 naming --plan", code, errOut)
	}
}

// TestRefValidator keeps refRe equal to rotate-secret's input validator.
func TestRefValidator(t *testing.T) {
	b, err := os.ReadFile("../../flows/rotate-secret.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := "validator: '" + refRe.String() + "'"
	if n := strings.Count(string(b), want); n != 2 {
		t.Errorf("flows/rotate-secret.yaml: got %d inputs validated by %s, want secret and admin_secret", n, refRe)
	}
}

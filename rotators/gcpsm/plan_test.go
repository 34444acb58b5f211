package gcpsm_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/gcpsm/gcpsmtest"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
	"github.com/kestra-rotation/rotation-pack/rotators/inventory"
)

// TestPlanTagsFromAnnotations: the fleet flows' opt-in tags can be set as
// annotations, whose values may hold a reference (rotation-admin), which
// label values cannot; an annotation wins over a label of the same key.
func TestPlanTagsFromAnnotations(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the Secret Manager test double and the binaries")
	}
	c := gcpsmtest.Client(t, env.GCPSM.Addr)
	prefix := conformance.RandomID("plan-") + "-"
	admin := "gcpsm://" + gcpsmtest.Project + "/" + prefix + "admin"
	tests := []struct {
		name                string
		labels, annotations map[string]string
		want                inventory.PlanItem
	}{
		{"labels and an annotated admin", map[string]string{"rotation-auto": "true", "rotation-target": "postgres"},
			map[string]string{"rotation-admin": admin}, inventory.PlanItem{Target: "postgres", Admin: admin, Strategy: "single"}},
		{"all in annotations", nil, map[string]string{"rotation-auto": "true", "rotation-target": "redis", "rotation-admin": admin, "rotation-strategy": "dual"},
			inventory.PlanItem{Target: "redis", Admin: admin, Strategy: "dual"}},
		{"annotation wins over label", map[string]string{"rotation-auto": "true", "rotation-target": "postgres"},
			map[string]string{"rotation-target": "mysql", "rotation-admin": admin}, inventory.PlanItem{Target: "mysql", Admin: admin, Strategy: "single"}},
		{"not opted in", map[string]string{"rotation-target": "postgres"}, map[string]string{"rotation_auto": "true"},
			inventory.PlanItem{Why: "not opted in"}},
	}
	r := gcpsmtest.Harness(t, env.GCPSM.Addr, env.BinDir).NewRunner(t)
	for i, tc := range tests {
		pw := conformance.RandomID("pw-")
		r.Secret(pw) // the inventory never reads a value: the leak check proves it
		v := core.Value{}.With("username", "app").With("password", pw)
		ref := gcpsmtest.Put(t, c, prefix+"s-"+string(rune('a'+i)), v)
		_, err := c.UpdateSecret(context.Background(), &secretmanagerpb.UpdateSecretRequest{UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"labels", "annotations"}},
			Secret: &secretmanagerpb.Secret{Name: "projects/" + ref.Host + "/secrets/" + ref.Path, Labels: tc.labels, Annotations: tc.annotations}})
		if err != nil {
			t.Fatalf("%s: set labels and annotations: %v", tc.name, err)
		}
	}
	dir := t.TempDir()
	r.Must(t, 0, "gcpsm-inventory", "--prefix", "gcpsm://"+gcpsmtest.Project+"/"+prefix+"s-", "--plan", "all", "--output-dir", dir)
	got := readPlan(t, filepath.Join(dir, inventory.PlanFile))
	for i, tc := range tests {
		ref := "gcpsm://" + gcpsmtest.Project + "/" + prefix + "s-" + string(rune('a'+i))
		g, ok := got[ref]
		switch {
		case !ok:
			t.Errorf("%s: %s not in the plan", tc.name, ref)
		case tc.want.Why != "":
			if g.Why == "" {
				t.Errorf("%s: got planned %+v, want skipped", tc.name, g)
			}
		case g.Why != "" || g.Target != tc.want.Target || g.Admin != tc.want.Admin || g.Strategy != tc.want.Strategy:
			t.Errorf("%s: got %+v, want target %s admin %s strategy %s", tc.name, g, tc.want.Target, tc.want.Admin, tc.want.Strategy)
		}
	}
}

func readPlan(t *testing.T, path string) map[string]inventory.PlanItem {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]inventory.PlanItem{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var it inventory.PlanItem
		if err := json.Unmarshal(sc.Bytes(), &it); err != nil {
			t.Fatalf("plan line %q: %v", sc.Text(), err)
		}
		out[it.Secret] = it
	}
	return out
}

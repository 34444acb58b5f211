package flowrun_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/kestra-rotation/rotation-pack/rotators/azkv/azkvtest"
	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/gcpsm/gcpsmtest"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/flowrun"
)

// cloudStores are the stores whose flows these tests run, each against its
// in-repo test double.
var cloudStores = []string{"azkv", "gcpsm"}

// cloudFixture is an application role whose credential lives in Azure Key
// Vault or GCP Secret Manager, an admin secret beside it, and every secret
// value the test has seen.
type cloudFixture struct {
	store     string
	h         conformance.StoreHarness
	secrets   map[string]string // the flow's secret() values
	workerEnv []string          // endpoints of the test double
	secretRef string
	adminRef  string
	user      string
	initial   core.Value
	seen      seenValues
}

func newCloudFixture(t *testing.T, store string) *cloudFixture {
	t.Helper()
	f := &cloudFixture{store: store, user: "app_" + conformance.RandomID(""), seen: seenValues{}, secrets: map[string]string{}}
	var put func(name string, v core.Value) core.Ref
	switch store {
	case "azkv":
		f.h = azkvtest.Harness(t, env.AzKV, env.BinDir)
		c := azkvtest.Client(t, env.AzKV)
		put = func(name string, v core.Value) core.Ref { return azkvtest.Put(t, c, name, v) }
		// DefaultAzureCredential's service principal; the worker's
		// AZURE_TOKEN_CREDENTIALS points it at the double's managed identity.
		f.secrets = map[string]string{"AZURE_TENANT_ID": "00000000-0000-0000-0000-000000000000",
			"AZURE_CLIENT_ID": "11111111-1111-1111-1111-111111111111", "AZURE_CLIENT_SECRET": conformance.RandomID("sp-secret-")}
		f.workerEnv = env.AzKV.Env()
	case "gcpsm":
		f.h = gcpsmtest.Harness(t, env.GCPSM.Addr, env.BinDir)
		c := gcpsmtest.Client(t, env.GCPSM.Addr)
		put = func(name string, v core.Value) core.Ref { return gcpsmtest.Put(t, c, name, v) }
		f.workerEnv = f.h.Env
	}
	pw, adminUser, adminPW := conformance.RandomID("initial-"), "rotator_"+conformance.RandomID(""), conformance.RandomID("admin-")
	group := pgx.Identifier{f.user + "_group"}.Sanitize()
	env.PG.AdminExec(t, fmt.Sprintf("CREATE ROLE %s LOGIN CREATEROLE PASSWORD '%s'", adminUser, adminPW))
	env.PG.AdminExec(t, "CREATE ROLE "+group)
	env.PG.AdminExec(t, fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD '%s' IN ROLE %s", pgx.Identifier{f.user}.Sanitize(), pw, group))
	f.initial = dbValue(f.user, pw)
	id := conformance.RandomID("")
	f.secretRef = put("orders-postgres-"+id, f.initial).String()
	f.adminRef = put("rotation-admin-orders-postgres-"+id, dbValue(adminUser, adminPW)).String()
	f.seen.see(pw, adminPW, env.PG.AdminPassword)
	f.seen.see(f.h.Secrets...)
	for _, v := range f.secrets {
		f.seen.see(v)
	}
	return f
}

func (f *cloudFixture) run(t *testing.T, strategy string, dryRun bool, before func(string)) *flowrun.Execution {
	t.Helper()
	r := &flowrun.Runner{Secrets: f.secrets, Envs: f.secrets, BeforeTask: before, WorkerEnv: f.workerEnv}
	return runFlow(t, "postgres-password-"+f.store+".yaml", r, flowInputs(f.secretRef, f.adminRef, strategy, dryRun))
}

// stage reads a stage through the store package; ok false if absent.
func (f *cloudFixture) stage(t *testing.T, s core.Stage) (core.Version, bool) {
	t.Helper()
	ref, err := core.ParseRef(f.secretRef)
	if err != nil {
		t.Fatal(err)
	}
	v, err := f.h.Store.Get(context.Background(), ref, s)
	if errors.Is(err, core.ErrNotFound) {
		return core.Version{}, false
	}
	if err != nil {
		t.Fatalf("read %s: %v", s, err)
	}
	f.seen.see(v.Value.Sensitive()...)
	return v, true
}

func (f *cloudFixture) checkLeaks(t *testing.T, e *flowrun.Execution) {
	t.Helper()
	f.stage(t, core.Current)
	f.stage(t, core.Previous)
	f.seen.scan(t, e)
}

// TestFlowRotatesCloudStores runs the Azure Key Vault and GCP Secret
// Manager flows end to end: the new CURRENT logs in, (single) the old
// password is refused, no PENDING is left.
func TestFlowRotatesCloudStores(t *testing.T) {
	needServers(t)
	for _, store := range cloudStores {
		for _, strategy := range []string{"single", "alternate"} {
			t.Run(store+"/"+strategy, func(t *testing.T) {
				f := newCloudFixture(t, store)
				before, _ := f.stage(t, core.Current)
				e := f.run(t, strategy, false, nil)
				if e.State != flowrun.Success {
					t.Fatalf("execution %s, want SUCCESS", e.State)
				}
				for _, id := range allTasks {
					wantTask(t, e, id, 0)
				}
				cur, _ := f.stage(t, core.Current)
				if cur.ID == before.ID || cur.Rotation != e.ID {
					t.Errorf("CURRENT is version %s made by %q, want a new version made by %s", cur.ID, cur.Rotation, e.ID)
				}
				if err := login(cur.Value); err != nil {
					t.Errorf("new CURRENT does not log in: %v", err)
				}
				if user, _ := cur.Value.String("username"); strategy == "alternate" && user != f.user+"_clone" {
					t.Errorf("alternate: CURRENT username %q, want %q", user, f.user+"_clone")
				}
				if err := login(f.initial); strategy == "single" && err == nil {
					t.Error("single: the old password still logs in")
				}
				if _, ok := f.stage(t, core.Pending); ok {
					t.Error("PENDING left after a successful rotation")
				}
				f.checkLeaks(t, e)
			})
		}
	}
}

// TestFlowValidationFailureRollsBackCloudStores breaks the role's new
// password between deploy and validate: validate refuses (exit 4), the
// errors branch rolls back, CURRENT is untouched and still logs in.
func TestFlowValidationFailureRollsBackCloudStores(t *testing.T) {
	needServers(t)
	for _, store := range cloudStores {
		t.Run(store, func(t *testing.T) {
			f := newCloudFixture(t, store)
			before, _ := f.stage(t, core.Current)
			sabotaged := false
			e := f.run(t, "single", false, func(task string) {
				if task != "validate" {
					return
				}
				p, ok := f.stage(t, core.Pending)
				if !ok {
					t.Fatal("no PENDING before validate")
				}
				user, _ := p.Value.String("username")
				env.PG.AdminExec(t, fmt.Sprintf("ALTER ROLE %s PASSWORD '%s'", pgx.Identifier{user}.Sanitize(), conformance.RandomID("broken-")))
				sabotaged = true
			})
			if !sabotaged || e.State != flowrun.Failed {
				t.Fatalf("execution %s (sabotaged %v), want FAILED", e.State, sabotaged)
			}
			wantTask(t, e, "validate", 4)
			wantTask(t, e, "rollback", 0)
			if rb := e.TaskRun("rollback"); rb == nil || !rb.Errors || e.TaskRun("promote") != nil {
				t.Error("want rollback in the errors branch and promote not run")
			}
			if _, ok := f.stage(t, core.Pending); ok {
				t.Error("PENDING left after rollback")
			}
			if cur, _ := f.stage(t, core.Current); cur.ID != before.ID || login(cur.Value) != nil {
				t.Errorf("CURRENT moved from version %s to %s, or does not log in", before.ID, cur.ID)
			}
			f.checkLeaks(t, e)
		})
	}
}

// TestFlowDryRunCloudStores runs with dry_run=true: the execution succeeds
// and nothing changes in the store or PostgreSQL.
func TestFlowDryRunCloudStores(t *testing.T) {
	needServers(t)
	for _, store := range cloudStores {
		t.Run(store, func(t *testing.T) {
			f := newCloudFixture(t, store)
			before, _ := f.stage(t, core.Current)
			e := f.run(t, "single", true, nil)
			if e.State != flowrun.Success {
				t.Fatalf("execution %s, want SUCCESS", e.State)
			}
			for _, id := range []string{"deploy", "promote", "revoke", "verify_old_refused"} {
				if !logged(e.TaskRun(id), "dry run - skipped") {
					t.Errorf("dry run: task %s did not say it skipped", id)
				}
			}
			if cur, _ := f.stage(t, core.Current); cur.ID != before.ID {
				t.Errorf("dry run: CURRENT moved from version %s to %s", before.ID, cur.ID)
			}
			if _, ok := f.stage(t, core.Pending); ok {
				t.Error("dry run: PENDING written")
			}
			if err := login(f.initial); err != nil {
				t.Errorf("dry run: the old password no longer logs in: %v", err)
			}
			f.checkLeaks(t, e)
		})
	}
}

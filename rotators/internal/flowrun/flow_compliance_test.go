package flowrun_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kestra-rotation/rotation-pack/rotators/awssm/awssmtest"
	"github.com/kestra-rotation/rotation-pack/rotators/azkv/azkvtest"
	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/gcpsm/gcpsmtest"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/flowrun"
	"github.com/kestra-rotation/rotation-pack/rotators/vault/vaulttest"
)

// complianceStores are the stores of rotation-compliance-report, in task order.
var complianceStores = []string{"vault", "awssm", "azkv", "gcpsm"}

// complianceFixture is a few secrets under a fresh prefix in every store, an
// interrupted rotation (a stage without promote) in Azure Key Vault, and the
// credentials the flow gets: least-privilege ones for Vault and AWS.
type complianceFixture struct {
	h         map[string]conformance.InventoryHarness
	secrets   map[string]string // every store's secret() values
	workerEnv []string
	seen      seenValues
	stuck     string // rotation id of the interrupted rotation
}

const complianceSecrets = 4 // per store

func newComplianceFixture(t *testing.T) *complianceFixture {
	t.Helper()
	f := &complianceFixture{seen: seenValues{}, h: map[string]conformance.InventoryHarness{
		"vault": vaulttest.InventoryHarness(t, env.Bao.Addr, env.Bao.Token, env.BinDir, complianceSecrets),
		"awssm": awssmtest.InventoryHarness(t, env.Moto, env.BinDir, complianceSecrets),
		"azkv":  azkvtest.InventoryHarness(t, env.AzKV, env.BinDir, complianceSecrets),
		"gcpsm": gcpsmtest.InventoryHarness(t, env.GCPSM.Addr, env.BinDir, complianceSecrets),
	}}
	vaultEnv, awsEnv := envMap(f.h["vault"].Env), envMap(f.h["awssm"].Env)
	f.secrets = map[string]string{"VAULT_ADDR": env.Bao.Addr, "VAULT_TOKEN": vaultEnv["VAULT_TOKEN"],
		"AWS_REGION": env.Moto.Region, "AWS_ACCESS_KEY_ID": awsEnv["AWS_ACCESS_KEY_ID"], "AWS_SECRET_ACCESS_KEY": awsEnv["AWS_SECRET_ACCESS_KEY"],
		"AZURE_TENANT_ID": "00000000-0000-0000-0000-000000000000", "AZURE_CLIENT_ID": "11111111-1111-1111-1111-111111111111",
		"AZURE_CLIENT_SECRET": conformance.RandomID("sp-secret-")}
	f.workerEnv = append(append([]string{"AWS_ENDPOINT_URL=" + env.Moto.Endpoint, "AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null"}, env.AzKV.Env()...), f.h["gcpsm"].Env...)
	for _, v := range f.secrets {
		f.seen.see(v)
	}
	for _, store := range complianceStores {
		h := f.h[store]
		f.seen.see(h.Secrets...)
		var refs []core.Ref
		for i := range complianceSecrets {
			pw := conformance.RandomID("initial-")
			f.seen.see(pw)
			refs = append(refs, h.Create(t, i, dbValue("app", pw)))
		}
		if store == "azkv" {
			f.stuck = conformance.RandomID("interrupted-")
			r := &conformance.Runner{BinDir: env.BinDir, Env: h.Env}
			r.Must(t, 0, "azkv-stage", "--secret", refs[0].String(), "--rotation", f.stuck)
			pending := h.Inspect(t, r, refs[0]).Pending
			f.seen.see(pending.Value.Sensitive()...)
		}
	}
	return f
}

func envMap(kvs []string) map[string]string {
	m := map[string]string{}
	for _, kv := range kvs {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

// run runs the flow with the stores listed and only their secrets defined.
func (f *complianceFixture) run(t *testing.T, maxAge string, listed ...string) *flowrun.Execution {
	t.Helper()
	inputs := map[string]string{"max_age": maxAge}
	secrets := map[string]string{}
	for _, store := range listed {
		inputs[store], inputs[store+"_prefix"] = "list", f.h[store].Prefix
		for k, v := range f.secrets {
			if strings.HasPrefix(k, map[string]string{"vault": "VAULT_", "awssm": "AWS_", "azkv": "AZURE_", "gcpsm": "-"}[store]) {
				secrets[k] = v
			}
		}
	}
	r := &flowrun.Runner{Secrets: secrets, Envs: secrets, WorkerEnv: f.workerEnv}
	e := runFlow(t, "rotation-compliance-report.yaml", r, inputs)
	f.seen.scan(t, e)
	for _, tr := range e.TaskRuns {
		for name, b := range tr.OutputFiles {
			for v := range f.seen {
				if strings.Contains(string(b), v) {
					t.Errorf("leak: a secret value appears in the report %s of task %s", name, tr.TaskID)
				}
			}
		}
	}
	return e
}

// wantReport checks a store task's kept report: one line per secret, all
// under the prefix, and the counts it output.
func (f *complianceFixture) wantReport(t *testing.T, e *flowrun.Execution, store string, overdue, stuck int) {
	t.Helper()
	tr := e.TaskRun(store)
	if tr == nil || tr.State != flowrun.Success {
		t.Fatalf("task %s did not succeed", store)
	}
	jsonl, csv := string(tr.OutputFiles[store+"-inventory.jsonl"]), string(tr.OutputFiles[store+"-inventory.csv"])
	lines := strings.Split(strings.TrimSpace(jsonl), "\n")
	if len(lines) != complianceSecrets || strings.Count(csv, "\n") != complianceSecrets+1 {
		t.Errorf("%s: kept %d report lines and %d csv lines, want %d and a header", store, len(lines), strings.Count(csv, "\n"), complianceSecrets)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, `{"secret":"`+f.h[store].Prefix) {
			t.Errorf("%s: report line %s is not under %s", store, l, f.h[store].Prefix)
		}
	}
	want := map[string]int{"total": complianceSecrets, "overdue": overdue, "stuck": stuck}
	for k, n := range want {
		if got := fmt.Sprint(tr.Outputs[k]); got != fmt.Sprint(n) {
			t.Errorf("%s: output %s = %s, want %d", store, k, got, n)
		}
	}
}

// TestComplianceReport runs the flow end to end: a user with only Vault and
// GCP (the other stores' secrets undefined) and nothing overdue; then every
// store with everything overdue and one interrupted rotation, which fails
// the execution after all four reports were kept; then no store at all.
func TestComplianceReport(t *testing.T) {
	needServers(t)
	f := newComplianceFixture(t)

	e := f.run(t, "3650d", "vault", "gcpsm")
	if e.State != flowrun.Success {
		t.Errorf("some stores, nothing overdue: execution %s, want SUCCESS", e.State)
	}
	f.wantReport(t, e, "vault", 0, 0)
	f.wantReport(t, e, "gcpsm", 0, 0)
	for _, skipped := range []string{"awssm", "azkv"} {
		if tr := e.TaskRun(skipped); tr == nil || tr.Outputs["skipped"] != true || len(tr.OutputFiles) != 0 {
			t.Errorf("task %s: want skipped, no report", skipped)
		}
	}
	wantTask(t, e, "findings", 0)

	time.Sleep(1100 * time.Millisecond) // every secret older than max_age 1s
	e = f.run(t, "1s", complianceStores...)
	if e.State != flowrun.Failed {
		t.Errorf("everything overdue: execution %s, want FAILED", e.State)
	}
	for _, store := range complianceStores {
		stuck := map[string]int{"azkv": 1}[store]
		f.wantReport(t, e, store, complianceSecrets, stuck)
	}
	if got := string(e.TaskRun("azkv").OutputFiles["azkv-inventory.jsonl"]); !strings.Contains(got, `"pending_rotation":"`+f.stuck+`"`) {
		t.Errorf("azkv report does not name the interrupted rotation %s:\n%s", f.stuck, got)
	}
	wantTask(t, e, "findings", 4)
	if tr := e.TaskRun("findings"); tr != nil && (fmt.Sprint(tr.Outputs["overdue"]) != "16" || fmt.Sprint(tr.Outputs["stuck"]) != "1") {
		t.Errorf("findings outputs %v, want overdue 16 and stuck 1", tr.Outputs)
	}

	e = f.run(t, "90d")
	wantTask(t, e, "findings", 2)
}

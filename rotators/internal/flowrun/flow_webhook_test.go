package flowrun_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/flowrun"
	"github.com/kestra-rotation/rotation-pack/rotators/vault/vaulttest"
)

// TestWebhookFlow runs postgres-password-vault-webhook with a request body
// naming a secret: the rotation flow runs as a subflow with the rotation
// flow's admin_secret default. A crafted body is refused by the rotation
// flow's validator: no rotation execution is created, no command runs.
func TestWebhookFlow(t *testing.T) {
	needServers(t)
	f := newFixture(t)
	// The webhook passes only the secret; the rotation flow reads its
	// admin_secret default, which the documented policy lets the token read.
	admin, err := f.vc.KVv2("secret").Get(t.Context(), "rotation-admin/"+f.path)
	if err != nil {
		t.Fatal(err)
	}
	vaulttest.Put(t, f.vc, "rotation-admin/orders/postgres", mustValue(t, admin.Data))
	_, before := f.current(t)
	r := &flowrun.Runner{Secrets: map[string]string{"VAULT_TOKEN": f.token}, Envs: map[string]string{"VAULT_ADDR": env.Bao.Addr},
		Trigger: map[string]any{"body": map[string]any{"secret": f.secretRef}}}
	e := runFlow(t, "postgres-password-vault-webhook.yaml", r, nil)
	if e.State != flowrun.Success {
		t.Fatalf("execution %s, want SUCCESS", e.State)
	}
	if c := child(t, e, "postgres-password-vault"); c.Inputs["secret"] != f.secretRef {
		t.Errorf("rotation ran for %q, want %q", c.Inputs["secret"], f.secretRef)
	}
	f.wantRotated(t, before, login, true)
	f.checkLeaks(t, e)

	pwned := filepath.Join(t.TempDir(), "pwned")
	r.Trigger = map[string]any{"body": map[string]any{"secret": "vault://secret/x\"; touch " + pwned + "; echo \""}}
	e = runFlow(t, "postgres-password-vault-webhook.yaml", r, nil)
	if tr := e.TaskRun("rotate"); e.State != flowrun.Failed || tr == nil || tr.Subflow != nil || !logged(tr, "does not match the validator") {
		t.Errorf("crafted body: execution %s, want FAILED with no rotation execution", e.State)
	}
	if _, err := os.Stat(pwned); err == nil {
		t.Error("a crafted body ran a command")
	}
}

func mustValue(t *testing.T, m map[string]any) core.Value {
	t.Helper()
	v, err := core.ValueFromMap(m)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

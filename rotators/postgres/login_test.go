package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/vault/api"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
	"github.com/kestra-rotation/rotation-pack/rotators/vault/vaulttest"
)

// TestRotationWithVaultLogin: a whole PostgreSQL rotation, with its undo,
// with the secret and the admin credential in OpenBao and every binary
// (and every vault-get helper the targets start) logging in by AppRole, by
// JWT or by Kubernetes (its TokenReview answered by a real API server), no
// VAULT_TOKEN in the environment, the role's tokens holding only the
// documented policy.
func TestRotationWithVaultLogin(t *testing.T) {
	if testing.Short() {
		t.Skip("needs PostgreSQL and OpenBao")
	}
	vc := vaulttest.Client(t, env.Bao.Addr, env.Bao.Token)
	put := func(t testing.TB, name string, v core.Value) core.Ref { return vaulttest.Put(t, vc, name, v) }
	for _, method := range []func(testing.TB, *api.Client, string) vaulttest.Login{vaulttest.AppRole, vaulttest.JWT, vaulttest.KubernetesOn(env.Kube, env.Root)} {
		l := method(t, vc, "conformance/")
		for _, s := range []core.Strategy{core.Single, core.Alternate} {
			t.Run(l.Method+"/"+string(s), func(t *testing.T) {
				h := harnessWith(t, vaulttest.LoginHarness(t, env.Bao.Addr, env.Bao.Token, env.BinDir, l), put)
				r := h.Store.NewRunner(t)
				for _, kv := range r.Env {
					if strings.HasPrefix(kv, "VAULT_TOKEN=") {
						t.Fatal("the binaries' environment has VAULT_TOKEN")
					}
				}
				ref, initial := h.NewAccount(t, r, s)
				step := func(want int, name, id string, more ...string) {
					t.Helper()
					bin, args := h.Argv(name, ref, id, s, more...)
					r.Must(t, want, bin, args...)
				}
				id := conformance.RandomID("rot-")
				for _, name := range []string{"stage", "deploy", "validate", "promote", "revoke"} {
					step(0, name, id)
				}
				got := h.Store.Inspect(t, r, ref)
				if got.Current.Rotation != id {
					t.Errorf("CURRENT made by %q; want rotation %s", got.Current.Rotation, id)
				}
				if err := login(context.Background(), got.Current.Value); err != nil {
					t.Errorf("CURRENT does not log in: %v", err)
				}
				if s == core.Single {
					step(0, "validate", "", "--stage", "previous", "--expect-reject")
					if err := login(context.Background(), initial); err == nil {
						t.Error("the old password still logs in")
					}
				}
				// The undo of the flows' errors branch: deploy --stage current, then rollback.
				undo := conformance.RandomID("rot-")
				step(0, "stage", undo)
				step(0, "deploy", undo)
				step(0, "deploy", undo, "--stage", "current")
				step(0, "rollback", undo)
				after := h.Store.Inspect(t, r, ref)
				if after.Current.Rotation != id || !after.Pending.Value.IsZero() {
					t.Errorf("after the undo: CURRENT made by %q, PENDING left %v; want rotation %s, none", after.Current.Rotation, !after.Pending.Value.IsZero(), id)
				}
				if err := login(context.Background(), after.Current.Value); err != nil {
					t.Errorf("CURRENT does not log in after the undo: %v", err)
				}
			})
		}
	}
}

package postgres_test

import (
	"context"
	"testing"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
	"github.com/kestra-rotation/rotation-pack/rotators/vault/vaulttest"
)

// TestRotateWithoutAdmin: with the single strategy and no --admin-secret,
// deploy logs in as the role itself with CURRENT and changes its own password.
// A role name full of quotes and SQL cannot inject anything.
func TestRotateWithoutAdmin(t *testing.T) {
	if testing.Short() {
		t.Skip("needs PostgreSQL and OpenBao")
	}
	tests := []struct{ name, user string }{
		{"plain role", "app_" + conformance.RandomID("")},
		{"hostile role name", `evil"; DROP ROLE postgres; --` + conformance.RandomID("")},
	}
	h := harness(t)
	vc := vaulttest.Client(t, env.Bao.Addr, env.Bao.Token)
	put := func(t testing.TB, name string, v core.Value) core.Ref { return vaulttest.Put(t, vc, name, v) }
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := h.Store.NewRunner(t)
			ref, initial := newAccount(t, r, put, tc.user)
			id := conformance.RandomID("rot-")
			sec := []string{"--secret", ref.String()}
			rot := append(sec, "--rotation", id)
			for _, step := range [][]string{
				append([]string{"vault-stage"}, rot...),
				append([]string{"postgres-deploy"}, rot...),
				append([]string{"postgres-validate"}, sec...),
				append([]string{"vault-promote"}, rot...),
				append([]string{"postgres-revoke"}, rot...),
				append([]string{"postgres-validate", "--stage", "previous", "--expect-reject"}, sec...),
			} {
				r.Must(t, 0, step[0], step[1:]...)
			}
			s := h.Store.Inspect(t, r, ref)
			if err := login(context.Background(), s.Current.Value); err != nil {
				t.Errorf("CURRENT does not log in: %v", err)
			}
			if err := login(context.Background(), initial); err == nil {
				t.Errorf("the old password still logs in")
			}
			// adminExec logs in as the superuser: it fails if the name injected a DROP ROLE.
			adminExec(t, "SELECT 1")
		})
	}
}

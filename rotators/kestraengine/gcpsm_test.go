package kestraengine

import (
	"context"
	"testing"

	"github.com/kestra-rotation/rotation-pack/rotators/conformance"
	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/gcpsm/gcpsmtest"
)

// TestPostgresGCPSM runs flows/postgres-password-gcpsm.yaml in Kestra's
// engine against the GCP Secret Manager double and PostgreSQL.
func TestPostgresGCPSM(t *testing.T) {
	k := kestra(t)
	h := gcpsmtest.Harness(t, env.GCPSM.Addr, env.BinDir)
	c := gcpsmtest.Client(t, env.GCPSM.Addr)
	for _, tt := range storeCases {
		t.Run(tt.name, func(t *testing.T) {
			a := newPGAccount(t, tt.wrongAdmin)
			id := conformance.RandomID("")
			ref := gcpsmtest.Put(t, c, "kengine-"+id, pgValue(a.user, a.initial, env.PG.Port))
			adminRef := gcpsmtest.Put(t, c, "kengine-admin-"+id, pgValue(a.adminUser, a.storedAdminPW, env.PG.Port))
			x := k.run(t, "flows/postgres-password-gcpsm.yaml", nil, map[string]string{"secret": ref.String(), "admin_secret": adminRef.String()})
			x.check(t, "postgres-password-gcpsm ("+tt.name+")", tt.wantState, tt.wantTasks)
			v, err := h.Store.Get(context.Background(), ref, core.Current)
			if err != nil {
				t.Fatalf("read CURRENT: %v", err)
			}
			cur, _ := v.Value.String("password")
			a.judge(t, cur, !tt.wrongAdmin)
			scan(t, x, append(append(a.values(), cur), h.Secrets...))
		})
	}
}

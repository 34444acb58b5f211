package kestraengine

import (
	"context"
	"testing"

	"github.com/kestra-rotation/rotation-pack/rotators/azkv/azkvtest"
	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/gcpsm/gcpsmtest"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
)

// TestPostgresCloudStores runs flows/postgres-password-gcpsm.yaml and
// flows/postgres-password-azkv.yaml in Kestra's engine against the GCP
// Secret Manager and Azure Key Vault doubles and PostgreSQL.
func TestPostgresCloudStores(t *testing.T) {
	k := kestra(t)
	gc, ac := gcpsmtest.Client(t, env.GCPSM.Addr), azkvtest.Client(t, env.AzKV)
	for _, st := range []struct {
		store   string
		harness conformance.StoreHarness
		put     func(name string, v core.Value) core.Ref
		values  []string
	}{
		{"gcpsm", gcpsmtest.Harness(t, env.GCPSM.Addr, env.BinDir), func(name string, v core.Value) core.Ref { return gcpsmtest.Put(t, gc, name, v) }, nil},
		{"azkv", azkvtest.Harness(t, env.AzKV, env.BinDir), func(name string, v core.Value) core.Ref { return azkvtest.Put(t, ac, name, v) }, []string{azSecret}},
	} {
		for _, tt := range storeCases {
			t.Run(st.store+" "+tt.name, func(t *testing.T) {
				a := newPGAccount(t, tt.wrongAdmin)
				id := conformance.RandomID("")
				ref := st.put("kengine-"+id, pgValue(a.user, a.initial, env.PG.Port))
				adminRef := st.put("kengine-admin-"+id, pgValue(a.adminUser, a.storedAdminPW, env.PG.Port))
				flow := "postgres-password-" + st.store
				x := k.run(t, "flows/"+flow+".yaml", nil, map[string]string{"secret": ref.String(), "admin_secret": adminRef.String()})
				x.check(t, flow+" ("+tt.name+")", tt.wantState, tt.wantTasks)
				v, err := st.harness.Store.Get(context.Background(), ref, core.Current)
				if err != nil {
					t.Fatalf("read CURRENT: %v", err)
				}
				cur, _ := v.Value.String("password")
				a.judge(t, cur, !tt.wrongAdmin)
				scan(t, x, append(append(append(a.values(), cur), st.values...), st.harness.Secrets...))
			})
		}
	}
}

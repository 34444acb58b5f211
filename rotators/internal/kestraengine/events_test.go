package kestraengine

import (
	"context"
	"testing"

	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"

	"github.com/kestra-rotation/rotation-pack/rotators/azkv/azkvtest"
	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/gcpsm/gcpsmtest"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
)

// TestCloudEventTriggers starts the Pub/Sub and Service Bus entry points
// from one message of their realtime triggers, as TestSQSTrigger does: the
// output is what plugin-gcp's pubsub Message.of (data deserialized,
// attributes, messageId, orderingKey) and plugin-azure's servicebus
// RealTimeTrigger (body deserialized, messageId, subject) give for a
// Secret Manager SECRET_ROTATE notification and an Event Grid
// SecretNearExpiry event; the rotation it names runs through the Subflow
// against the doubles and PostgreSQL. An event of another type rotates
// nothing: the rotation flow's validator refuses the placeholder.
func TestCloudEventTriggers(t *testing.T) {
	k := kestra(t)
	gc, ac := gcpsmtest.Client(t, env.GCPSM.Addr), azkvtest.Client(t, env.AzKV)
	// the entry points pass only the secret: the rotation reads its
	// admin_secret default (gcpsm://orders-prod/..., azkv://orders-kv/...)
	gcpAdmin := func(v core.Value) {
		ctx := context.Background()
		data, _ := v.MarshalJSON()
		name := "projects/orders-prod/secrets/rotation-admin-orders-postgres"
		if _, err := gc.GetSecret(ctx, &secretmanagerpb.GetSecretRequest{Name: name}); err != nil {
			if _, err := gc.CreateSecret(ctx, &secretmanagerpb.CreateSecretRequest{Parent: "projects/orders-prod", SecretId: "rotation-admin-orders-postgres",
				Secret: &secretmanagerpb.Secret{Replication: &secretmanagerpb.Replication{
					Replication: &secretmanagerpb.Replication_Automatic_{Automatic: &secretmanagerpb.Replication_Automatic{}}}}}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := gc.AddSecretVersion(ctx, &secretmanagerpb.AddSecretVersionRequest{Parent: name, Payload: &secretmanagerpb.SecretPayload{Data: data}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		store, flow, trigger string
		harness              conformance.StoreHarness
		put                  func(name string, v core.Value) core.Ref
		putAdmin             func(v core.Value)
		output               func(ref core.Ref, other bool) map[string]any
		values               []string
	}{
		{"gcpsm", "postgres-password-gcpsm", "secret_rotate", gcpsmtest.Harness(t, env.GCPSM.Addr, env.BinDir),
			func(name string, v core.Value) core.Ref { return gcpsmtest.Put(t, gc, name, v) }, gcpAdmin,
			func(ref core.Ref, other bool) map[string]any {
				typ := "SECRET_ROTATE"
				if other {
					typ = "SECRET_VERSION_ADD"
				}
				name := "projects/" + gcpsmtest.Project + "/secrets/" + ref.Path
				return map[string]any{"messageId": "1234567890", "orderingKey": "",
					"attributes": map[string]any{"eventType": typ, "secretId": name, "dataFormat": "JSON_API_V1", "timestamp": "2026-12-05T00:00:00Z"},
					"data":       map[string]any{"name": name, "rotation": map[string]any{"nextRotationTime": "2027-03-05T00:00:00Z", "rotationPeriod": "7776000s"}}}
			}, nil},
		{"azkv", "postgres-password-azkv", "near_expiry", azkvtest.Harness(t, env.AzKV, env.BinDir),
			func(name string, v core.Value) core.Ref { return azkvtest.Put(t, ac, name, v) },
			func(v core.Value) { azkvtest.Put(t, ac, "rotation-admin-orders-postgres", v) },
			func(ref core.Ref, other bool) map[string]any {
				typ := "Microsoft.KeyVault.SecretNearExpiry"
				if other {
					typ = "Microsoft.KeyVault.SecretNewVersionCreated"
				}
				return map[string]any{"messageId": "0f1e2d3c", "subject": ref.Path,
					"body": map[string]any{"id": "0f1e2d3c", "topic": "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/" + azkvtest.Vault,
						"subject": ref.Path, "eventType": typ, "dataVersion": "1", "metadataVersion": "1", "eventTime": "2026-12-05T00:00:00Z",
						"data": map[string]any{"Id": "https://" + azkvtest.Vault + ".vault.azure.net/secrets/" + ref.Path + "/0123", "VaultName": azkvtest.Vault,
							"ObjectType": "Secret", "ObjectName": ref.Path, "Version": "0123", "NBF": nil, "EXP": 1796000000}}}
			}, []string{azSecret}},
	} {
		t.Run(tt.flow+"-"+tt.trigger, func(t *testing.T) {
			a := newPGAccount(t, false)
			ref := tt.put("kengine-ev-"+conformance.RandomID(""), pgValue(a.user, a.initial, env.PG.Port))
			tt.putAdmin(pgValue(a.adminUser, a.adminPW, env.PG.Port))
			entry := "flows/" + map[string]string{"gcpsm": tt.flow + "-pubsub", "azkv": tt.flow + "-servicebus"}[tt.store] + ".yaml"
			with := []string{"flows/" + tt.flow + ".yaml"}

			x := k.fire(t, entry, with, tt.trigger, tt.output(ref, true))
			if c := x.task("rotate"); x.State != "FAILED" || c == nil || c.Child != nil || !x.logged("rotate", "must match the pattern") {
				t.Errorf("another event type: got %s, want FAILED with no rotation execution\n%s", x.State, x)
			}

			x = k.fire(t, entry, with, tt.trigger, tt.output(ref, false))
			c := x.task("rotate")
			if c == nil || c.Child == nil {
				t.Fatalf("no rotation execution\n%s", x)
			}
			c.Child.Runner, c.Child.Took, c.Child.Version = x.Runner, x.Took, x.Version
			c.Child.check(t, entry[len("flows/"):]+" -> "+tt.flow, "SUCCESS", storeCases[0].wantTasks)
			if got := c.Child.Inputs["secret"]; got != ref.String() && got != ref.String()+"?expires=90d" {
				t.Errorf("rotation of %v, want %s", got, ref)
			}
			v, err := tt.harness.Store.Get(context.Background(), ref, core.Current)
			if err != nil {
				t.Fatalf("read CURRENT: %v", err)
			}
			cur, _ := v.Value.String("password")
			a.judge(t, cur, true)
			scan(t, x, append(append(append(a.values(), cur), tt.values...), tt.harness.Secrets...))
		})
	}
}

package flowrun_test

import (
	"path/filepath"
	"testing"
	"time"

	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/kestra-rotation/rotation-pack/rotators/azkv/azkvtest"
	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/gcpsm/gcpsmtest"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/flowrun"
)

// TestEventsServiceBus runs postgres-password-azkv-servicebus with an Event
// Grid Microsoft.KeyVault.SecretNearExpiry event (Event Grid schema) as
// the Service Bus message body: the secret is rotated and its new version
// expires in 90 days. A SecretNewVersionCreated event rotates nothing.
func TestEventsServiceBus(t *testing.T) {
	needServers(t)
	f := newCloudFixture(t, "azkv")
	f.copyAdminToDefault(t, "postgres-password-azkv.yaml")
	ref := mustRef(t, f.secretRef)
	before, _ := f.stage(t, core.Current)

	e := f.runEvent(t, "postgres-password-azkv-servicebus.yaml", keyVaultEvent("Microsoft.KeyVault.SecretNewVersionCreated", ref.Host, ref.Path))
	f.wantRefused(t, e, before)

	e = f.runEvent(t, "postgres-password-azkv-servicebus.yaml", keyVaultEvent("Microsoft.KeyVault.SecretNearExpiry", ref.Host, ref.Path))
	f.wantEventRotated(t, e, "postgres-password-azkv", f.secretRef+"?expires=90d", before)
	got, err := azkvtest.Client(t, env.AzKV).GetSecret(t.Context(), ref.Path, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if exp := got.Attributes.Expires; exp == nil || exp.Sub(time.Now().Add(90*24*time.Hour)).Abs() > time.Hour {
		t.Errorf("new version expires %v, want in 90 days", exp)
	}
}

// TestEventsSQS runs aws-iam-access-key-awssm-sqs with the SQS message an
// EventBridge rule with the documented input transformer delivers,
// {"secret": "awssm://..."}: the access key is rotated. A message naming a
// secret of another store, or an event delivered without the transformer,
// rotates nothing.
func TestEventsSQS(t *testing.T) {
	needServers(t)
	f := newAWSFixture(t, "aws-iam-access-key-awssm-sqs.yaml")
	old := f.newIAMUser(t)
	for name, tt := range map[string]struct {
		data any
		log  string
	}{
		"other store": {map[string]any{"secret": "vault://secret/apps/ci-bot"}, "does not match the validator"},
		"no transformer": {map[string]any{"version": "0", "id": conformance.RandomID(""), "detail-type": "AWS API Call via CloudTrail",
			"source": "aws.secretsmanager", "account": "123456789012", "region": env.Moto.Region,
			"detail": map[string]any{"eventName": "RotationStarted", "additionalEventData": map[string]any{"SecretId": f.secretRef}}},
			"rendering input secret failed"},
	} {
		r := f.runner(nil)
		r.Trigger = map[string]any{"data": tt.data}
		e := runFlow(t, f.flow, r, nil)
		if tr := e.TaskRun("rotate"); e.State != flowrun.Failed || tr == nil || tr.Subflow != nil || !logged(tr, tt.log) {
			t.Errorf("%s: execution %s, want FAILED with %q and no rotation execution", name, e.State, tt.log)
		}
		if cur, _, _ := f.stage(t, "AWSCURRENT"); !cur.Equal(old) {
			t.Errorf("%s: AWSCURRENT changed", name)
		}
	}

	r := f.runner(nil)
	r.Trigger = map[string]any{"data": map[string]any{"secret": f.secretRef}}
	e := runFlow(t, f.flow, r, nil)
	if e.State != flowrun.Success {
		t.Fatalf("execution %s, want SUCCESS", e.State)
	}
	c := child(t, e, "aws-iam-access-key-awssm")
	if c.Inputs["secret"] != f.secretRef || c.Inputs["grace"] != "0s" || c.Inputs["expect_unused"] != "false" {
		t.Errorf("rotation ran with %v, want secret %s and the rotation flow's defaults", c.Inputs, f.secretRef)
	}
	for _, id := range iamTasks {
		wantTask(t, c, id, 0)
	}
	cur, _, _ := f.stage(t, "AWSCURRENT")
	if err := stsLogin(cur); err != nil || cur.Equal(old) {
		t.Errorf("AWSCURRENT is not a new working key: %v", err)
	}
	if err := stsLogin(old); err == nil {
		t.Error("old key still authenticates after revoke")
	}
	if f.pendingLeft(t) {
		t.Error("AWSPENDING left after a successful rotation")
	}
	f.checkLeaks(t, e)
}

// keyVaultEvent is a Service Bus message whose body is one Key Vault event
// in the Event Grid schema.
func keyVaultEvent(eventType, vault, secret string) map[string]any {
	version := conformance.RandomID("")
	return map[string]any{"messageId": conformance.RandomID(""), "body": map[string]any{
		"id":        conformance.RandomID(""),
		"topic":     "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/orders/providers/Microsoft.KeyVault/vaults/" + vault,
		"subject":   secret,
		"eventType": eventType,
		"eventTime": time.Now().UTC().Format(time.RFC3339Nano),
		"data": map[string]any{"Id": "https://" + vault + ".vault.azure.net/secrets/" + secret + "/" + version,
			"VaultName": vault, "ObjectType": "Secret", "ObjectName": secret, "Version": version,
			"NBF": nil, "EXP": time.Now().Add(30 * 24 * time.Hour).Unix()},
		"dataVersion": "1", "metadataVersion": "1"}}
}

func (f *cloudFixture) runEvent(t *testing.T, file string, trigger map[string]any) *flowrun.Execution {
	t.Helper()
	r := &flowrun.Runner{Secrets: f.secrets, Envs: f.secrets, WorkerEnv: f.workerEnv, Trigger: trigger}
	return runFlow(t, file, r, nil)
}

// copyAdminToDefault stores the fixture's admin credential at the rotation
// flow's admin_secret default, which the event flows leave to it.
func (f *cloudFixture) copyAdminToDefault(t *testing.T, rotationFlow string) {
	t.Helper()
	flow, err := flowrun.Load(filepath.Join(env.Root, "flows", rotationFlow))
	if err != nil {
		t.Fatal(err)
	}
	var def core.Ref
	for _, in := range flow.Inputs {
		if in.ID == "admin_secret" {
			def = mustRef(t, in.Defaults.(string))
		}
	}
	admin := f.h.ReadLatest(t, mustRef(t, f.adminRef))
	switch f.store {
	case "azkv":
		azkvtest.Put(t, azkvtest.Client(t, env.AzKV), def.Path, admin) // the double serves every vault name
	case "gcpsm":
		c, ctx := gcpsmtest.Client(t, env.GCPSM.Addr), t.Context()
		_, err := c.CreateSecret(ctx, &secretmanagerpb.CreateSecretRequest{Parent: "projects/" + def.Host, SecretId: def.Path,
			Secret: &secretmanagerpb.Secret{Replication: &secretmanagerpb.Replication{
				Replication: &secretmanagerpb.Replication_Automatic_{Automatic: &secretmanagerpb.Replication_Automatic{}}}}})
		if err != nil && status.Code(err) != codes.AlreadyExists {
			t.Fatal(err)
		}
		data, _ := admin.MarshalJSON()
		if _, err := c.AddSecretVersion(ctx, &secretmanagerpb.AddSecretVersionRequest{Parent: "projects/" + def.Host + "/secrets/" + def.Path,
			Payload: &secretmanagerpb.SecretPayload{Data: data}}); err != nil {
			t.Fatal(err)
		}
	}
}

// wantRefused checks an event the flow must not act on: the rotation
// flow's validator refused the reference, so no rotation execution was
// created and CURRENT did not move.
func (f *cloudFixture) wantRefused(t *testing.T, e *flowrun.Execution, before core.Version) {
	t.Helper()
	if tr := e.TaskRun("rotate"); e.State != flowrun.Failed || tr == nil || tr.Subflow != nil || !logged(tr, "does not match the validator") {
		t.Errorf("execution %s, want FAILED at the rotation flow's validator with no rotation execution", e.State)
	}
	if cur, _ := f.stage(t, core.Current); cur.ID != before.ID {
		t.Errorf("CURRENT moved from version %s to %s", before.ID, cur.ID)
	}
	if _, ok := f.stage(t, core.Pending); ok {
		t.Error("PENDING written")
	}
}

// wantEventRotated checks the event ran the rotation flow for ref with
// its defaults, and that it rotated: a new CURRENT made by the rotation
// execution logs in, the old password is refused, nothing leaks.
func (f *cloudFixture) wantEventRotated(t *testing.T, e *flowrun.Execution, rotationFlow, ref string, before core.Version) {
	t.Helper()
	if e.State != flowrun.Success {
		t.Fatalf("execution %s, want SUCCESS", e.State)
	}
	c := child(t, e, rotationFlow)
	if c.Inputs["secret"] != ref || c.Inputs["strategy"] != "single" || c.Inputs["dry_run"] != "false" {
		t.Errorf("rotation ran with %v, want secret %s and the rotation flow's defaults", c.Inputs, ref)
	}
	for _, id := range allTasks {
		wantTask(t, c, id, 0)
	}
	cur, _ := f.stage(t, core.Current)
	if cur.ID == before.ID || cur.Rotation != c.ID {
		t.Errorf("CURRENT is version %s made by %q, want a new version made by %s", cur.ID, cur.Rotation, c.ID)
	}
	if err := login(cur.Value); err != nil {
		t.Errorf("new CURRENT does not log in: %v", err)
	}
	if err := login(f.initial); err == nil {
		t.Error("the old password still logs in")
	}
	if _, ok := f.stage(t, core.Pending); ok {
		t.Error("PENDING left after a successful rotation")
	}
	f.checkLeaks(t, e)
}

func mustRef(t *testing.T, s string) core.Ref {
	t.Helper()
	ref, err := core.ParseRef(s)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

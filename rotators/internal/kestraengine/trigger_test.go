package kestraengine

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/vault/vaulttest"
)

// TestWebhook calls flows/postgres-password-vault-webhook.yaml's webhook
// with its key (the engine's ROTATION_WEBHOOK_KEY secret) the way Kestra's
// webhook controller hands a call to the trigger: the trigger's own code
// makes the execution, so trigger.body is Kestra's. A body naming a secret
// rotates it through the Subflow; a crafted body is refused by the
// rotation flow's validator, no rotation execution, no command run.
func TestWebhook(t *testing.T) {
	k := kestra(t)
	f := newPGFixture(t, false)
	// the webhook passes only the secret: the rotation reads its
	// admin_secret default, which the documented policy lets the token read
	admin, err := f.vc.KVv2("secret").Get(t.Context(), "rotation-admin/"+f.path)
	if err != nil {
		t.Fatal(err)
	}
	v, err := core.ValueFromMap(admin.Data)
	if err != nil {
		t.Fatal(err)
	}
	vaulttest.Put(t, f.vc, "rotation-admin/orders/postgres", v)
	_, before := f.current(t)
	flows := []string{"flows/postgres-password-vault.yaml"}

	x := k.call(t, "flows/postgres-password-vault-webhook.yaml", flows, webhookKey, body(t, f.secretRef))
	x.row(t, "postgres-password-vault-webhook -> postgres-password-vault")
	if tr := x.task("rotate"); x.State != "SUCCESS" || tr == nil || tr.Child == nil || tr.Child.State != "SUCCESS" {
		t.Fatalf("got %s, want SUCCESS with a successful rotation execution\n%s", x.State, x)
	}
	cur, after := f.current(t)
	if after != before+1 || !f.logsIn(cur) || f.logsIn(f.initial) {
		t.Errorf("got version %d (was %d); want the body's secret rotated: a new CURRENT that logs in, the old refused", after, before)
	}
	scan(t, x, append(f.seen, cur, webhookKey))

	pwned := filepath.Join(t.TempDir(), "pwned")
	x = k.call(t, "flows/postgres-password-vault-webhook.yaml", flows, webhookKey,
		body(t, `vault://secret/x"; touch `+pwned+`; echo "`))
	if tr := x.task("rotate"); x.State != "FAILED" || tr == nil || tr.Child != nil || !x.logged("rotate", "must match the pattern") {
		t.Errorf("crafted body: got %s, want FAILED with no rotation execution and the input refused by its pattern\n%s", x.State, x)
	}
	if _, err := os.Stat(pwned); err == nil {
		t.Error("a crafted body ran a command")
	}
}

// body is the JSON request body {"secret": ref}.
func body(t *testing.T, ref string) string {
	t.Helper()
	b, err := json.Marshal(map[string]string{"secret": ref})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestSQSTrigger starts flows/aws-iam-access-key-awssm-sqs.yaml from one
// message of its SQS realtime trigger: Kestra's own
// TriggerService.generateRealtimeExecution makes the execution from the
// output plugin-aws's RealtimeTrigger gives for a message (its Consume
// stream: data is the message body, a string, which the flow reads with
// jq), as the worker does. The message is what an EventBridge input
// transformer delivers; the IAM rotation it names runs through the
// Subflow, judged against moto.
func TestSQSTrigger(t *testing.T) {
	k := kestra(t)
	iamRotation(t, "aws-iam-access-key-awssm-sqs", func(ref string) *execution {
		x := k.fire(t, "flows/aws-iam-access-key-awssm-sqs.yaml", []string{"flows/aws-iam-access-key-awssm.yaml"},
			"eventbridge_queue", map[string]any{"data": body(t, ref)})
		if c := x.task("rotate"); c == nil || c.Child == nil || c.Child.Inputs["secret"] != ref {
			t.Errorf("the rotation did not get the message's secret %s\n%s", ref, x)
		}
		return x
	})
}

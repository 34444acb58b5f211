package awsiam_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
)

// keyLimitCase sets up a user whose second key slot holds a stranger key.
type keyLimitCase struct {
	name     string
	status   types.StatusType
	wantCode int
	wantKeys int // keys of the user after deploy
}

// TestDeployAtTheKeyLimit: an Inactive key that is neither CURRENT nor
// PREVIOUS is deleted to make room; an Active one blocks with exit 5 and is
// named; nothing changes then.
func TestDeployAtTheKeyLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("needs a moto server")
	}
	h := harness(t)
	ic := iam.NewFromConfig(env.Moto.AWSConfig(env.Moto.AdminKeyID, env.Moto.AdminSecret))
	tests := []keyLimitCase{
		{"inactive stranger is deleted", types.StatusTypeInactive, 0, 2},
		{"active stranger blocks", types.StatusTypeActive, core.ExitConflict, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := h.Store.NewRunner(t, h.Env...)
			ref, v := h.NewAccount(t, r, core.Single)
			user, _ := v.String("username")
			out, err := ic.CreateAccessKey(context.Background(), &iam.CreateAccessKeyInput{UserName: aws.String(user)})
			if err != nil {
				t.Fatal(err)
			}
			r.Secret(aws.ToString(out.AccessKey.SecretAccessKey))
			stranger := aws.ToString(out.AccessKey.AccessKeyId)
			if _, err := ic.UpdateAccessKey(context.Background(), &iam.UpdateAccessKeyInput{UserName: aws.String(user),
				AccessKeyId: aws.String(stranger), Status: tc.status}); err != nil {
				t.Fatal(err)
			}
			run := r.Must(t, tc.wantCode, "awsiam-deploy", "--secret", ref.String(), "--rotation", conformance.RandomID("rot-"))
			if tc.wantCode != 0 && !strings.Contains(run.Stderr, stranger) {
				t.Errorf("the refusal does not name the blocking key %s: %q", stranger, run.Stderr)
			}
			keys := listKeys(t, ic, user)
			if len(keys) != tc.wantKeys || (tc.wantCode == 0) == keys[stranger] {
				t.Errorf("keys after deploy: got %v, want %d keys, stranger kept %v", keys, tc.wantKeys, tc.wantCode != 0)
			}
		})
	}
}

// TestRevokeGracePeriod: a PREVIOUS key used within --grace is kept Inactive
// (or, with --expect-unused, left alone with exit 5); once outside the grace
// period it is deleted and refused.
func TestRevokeGracePeriod(t *testing.T) {
	if testing.Short() {
		t.Skip("needs a moto server")
	}
	h := harness(t)
	ic := iam.NewFromConfig(env.Moto.AWSConfig(env.Moto.AdminKeyID, env.Moto.AdminSecret))
	r := h.Store.NewRunner(t, h.Env...)
	ref, old := h.NewAccount(t, r, core.Single)
	user, _ := old.String("username")
	oldKey, _ := old.String("access_key_id")
	id := conformance.RandomID("rot-")
	sec, rot := []string{"--secret", ref.String()}, []string{"--secret", ref.String(), "--rotation", id}
	r.Must(t, 0, "awsiam-deploy", rot...)
	r.Must(t, 0, "awsiam-validate", sec...)
	r.Must(t, 0, "awssm-promote", rot...)
	if err := h.Login(context.Background(), old); err != nil { // a last use of the old key
		t.Fatalf("old key before revoke: %v", err)
	}
	r.Must(t, core.ExitConflict, "awsiam-revoke", append(rot, "--grace", "1h", "--expect-unused")...)
	if got := listKeys(t, ic, user); !got[oldKey] {
		t.Fatalf("revoke --expect-unused changed the keys: %v", got)
	}
	if run := r.Must(t, 0, "awsiam-revoke", append(rot, "--grace", "1h")...); run.Outputs["deleted"] != false {
		t.Errorf("revoke within the grace period: got outputs %v, want deleted false", run.Outputs)
	}
	if got := listKeys(t, ic, user); !got[oldKey] || statusOf(t, ic, user, oldKey) != types.StatusTypeInactive {
		t.Errorf("within the grace period the old key must stay, Inactive: %v", got)
	}
	if run := r.Must(t, 0, "awsiam-revoke", append(rot, "--grace", "0s")...); run.Outputs["deleted"] != true || !run.Changed() {
		t.Errorf("revoke outside the grace period: got outputs %v, want deleted and changed", run.Outputs)
	}
	if err := h.Login(context.Background(), old); err == nil {
		t.Errorf("the deleted old key still authenticates")
	}
	r.Must(t, 0, "awsiam-validate", append(sec, "--stage", "previous", "--expect-reject")...)
	r.Must(t, 0, "awsiam-validate", append(sec, "--stage", "current")...)
}

func listKeys(t *testing.T, ic *iam.Client, user string) map[string]bool {
	out, err := ic.ListAccessKeys(context.Background(), &iam.ListAccessKeysInput{UserName: aws.String(user)})
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for _, k := range out.AccessKeyMetadata {
		keys[aws.ToString(k.AccessKeyId)] = true
	}
	return keys
}

func statusOf(t *testing.T, ic *iam.Client, user, id string) types.StatusType {
	out, err := ic.ListAccessKeys(context.Background(), &iam.ListAccessKeysInput{UserName: aws.String(user)})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range out.AccessKeyMetadata {
		if aws.ToString(k.AccessKeyId) == id {
			return k.Status
		}
	}
	return ""
}

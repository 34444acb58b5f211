package flowrun_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/kestra-rotation/rotation-pack/rotators/awssm/awssmtest"
	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/flowrun"
)

// awsFixture is a secret in Secrets Manager (moto, authentication on), the
// flow's rotating principal holding only docs/aws-rotation-policy.json, and
// every secret value the test has seen.
type awsFixture struct {
	sm        *secretsmanager.Client
	ic        *iam.Client
	name      string
	secrets   map[string]string // the flow's secret() values
	seen      seenValues
	flow      string
	secretRef string
}

func newAWSFixture(t *testing.T, flow string) *awsFixture {
	admin := env.Moto.AWSConfig(env.Moto.AdminKeyID, env.Moto.AdminSecret)
	keyID, secret := awssmtest.PolicyUser(t, env.Moto, "flow-rotator-"+conformance.RandomID(""))
	f := &awsFixture{sm: secretsmanager.NewFromConfig(admin), ic: iam.NewFromConfig(admin), flow: flow, seen: seenValues{},
		name:    awssmtest.Prefix + "flow-" + conformance.RandomID(""),
		secrets: map[string]string{"AWS_REGION": env.Moto.Region, "AWS_ACCESS_KEY_ID": keyID, "AWS_SECRET_ACCESS_KEY": secret}}
	f.seen.see(secret, env.Moto.AdminSecret)
	return f
}

func (f *awsFixture) run(t *testing.T, before func(string), extra map[string]string) *flowrun.Execution {
	t.Helper()
	inputs := map[string]string{"secret": f.secretRef}
	for k, v := range extra {
		inputs[k] = v
	}
	return runFlow(t, f.flow, f.runner(before), inputs)
}

// runner holds the flow's secrets and points the binaries at moto.
func (f *awsFixture) runner(before func(string)) *flowrun.Runner {
	return &flowrun.Runner{Secrets: f.secrets, Envs: f.secrets, BeforeTask: before,
		WorkerEnv: []string{"AWS_ENDPOINT_URL=" + env.Moto.Endpoint, "AWS_EC2_METADATA_DISABLED=true",
			"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWSIAM_CONSISTENCY_WAIT=2s"}}
}

// stage reads one staging label with the admin client; ok false if absent.
func (f *awsFixture) stage(t *testing.T, label string) (core.Value, string, bool) {
	t.Helper()
	out, err := f.sm.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(f.name), VersionStage: aws.String(label)})
	if err != nil {
		if strings.Contains(err.Error(), "ResourceNotFoundException") {
			return core.Value{}, "", false
		}
		t.Fatalf("read %s: %v", label, err)
	}
	v, err := core.ParseValue([]byte(aws.ToString(out.SecretString)))
	if err != nil {
		t.Fatal(err)
	}
	f.seen.see(v.Sensitive()...)
	return v, aws.ToString(out.VersionId), true
}

// pendingLeft reports an AWSPENDING on a version other than AWSCURRENT.
func (f *awsFixture) pendingLeft(t *testing.T) bool {
	_, pid, ok := f.stage(t, "AWSPENDING")
	_, cid, _ := f.stage(t, "AWSCURRENT")
	return ok && pid != cid
}

func (f *awsFixture) checkLeaks(t *testing.T, e *flowrun.Execution) {
	t.Helper()
	f.stage(t, "AWSCURRENT")
	f.stage(t, "AWSPREVIOUS")
	f.seen.scan(t, e)
}

// newIAMUser creates an IAM user with one key and stores it as the secret.
func (f *awsFixture) newIAMUser(t *testing.T) core.Value {
	user := "flow-" + conformance.RandomID("")
	ctx := context.Background()
	if _, err := f.ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(user)}); err != nil {
		t.Fatal(err)
	}
	out, err := f.ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(user)})
	if err != nil {
		t.Fatal(err)
	}
	v, err := core.ParseValue(fmt.Appendf(nil, `{"username":%q,"access_key_id":%q,"secret_access_key":%q}`,
		user, aws.ToString(out.AccessKey.AccessKeyId), aws.ToString(out.AccessKey.SecretAccessKey)))
	if err != nil {
		t.Fatal(err)
	}
	f.seen.see(v.Sensitive()...)
	f.secretRef = awssmtest.Create(t, f.sm, f.name, v).String()
	return v
}

// stsLogin signs sts:GetCallerIdentity with the key in v.
func stsLogin(v core.Value) error {
	id, _ := v.String("access_key_id")
	secret, _ := v.String("secret_access_key")
	user, _ := v.String("username")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := sts.NewFromConfig(env.Moto.AWSConfig(id, secret)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err == nil && !strings.HasSuffix(aws.ToString(out.Arn), ":user/"+user) {
		err = errors.New("key of another principal: " + aws.ToString(out.Arn))
	}
	return err
}

var iamTasks = []string{"deploy", "validate", "promote", "revoke", "verify_old_refused"}

func dryRun(b bool) map[string]string { return map[string]string{"dry_run": strconv.FormatBool(b)} }

package awsiam_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/kestra-rotation/rotation-pack/rotators/awssm/awssmtest"
	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/testsrv"
)

// env is the moto server (authentication on) and the built binaries.
var env testsrv.Env

func TestMain(m *testing.M) {
	os.Exit(testsrv.Main(m, testsrv.Needs{Moto: true, Binaries: true}, &env))
}

// harness: IAM users in moto, their keys in AWS Secrets Manager (moto).
func harness(t *testing.T) conformance.TargetHarness {
	admin := env.Moto.AWSConfig(env.Moto.AdminKeyID, env.Moto.AdminSecret)
	ic, sm := iam.NewFromConfig(admin), secretsmanager.NewFromConfig(admin)
	return conformance.TargetHarness{
		Name:       "awsiam",
		Store:      awssmtest.Harness(t, env.Moto, env.BinDir),
		Env:        []string{"AWSIAM_CONSISTENCY_WAIT=2s"},
		Strategies: []core.Strategy{core.Single},
		Mints:      true,
		StepArgs:   map[string][]string{"revoke": {"--grace", "0s"}},
		NewAccount: func(t testing.TB, r *conformance.Runner, _ core.Strategy) (core.Ref, core.Value) {
			v := awssmtest.IAMUser(t, ic, r, "conformance-"+conformance.RandomID(""))
			return awssmtest.Create(t, sm, awssmtest.Prefix+"iam-"+conformance.RandomID(""), v), v
		},
		Login: login,
		Break: func(t testing.TB, creds core.Value) {
			user, _ := creds.String("username")
			id, _ := creds.String("access_key_id")
			if _, err := ic.DeleteAccessKey(context.Background(), &iam.DeleteAccessKeyInput{UserName: aws.String(user), AccessKeyId: aws.String(id)}); err != nil {
				t.Fatalf("delete key: %v", err)
			}
		},
	}
}

// login signs sts:GetCallerIdentity with the key, without the awsiam package.
func login(ctx context.Context, creds core.Value) error {
	user, _ := creds.String("username")
	id, _ := creds.String("access_key_id")
	secret, _ := creds.String("secret_access_key")
	out, err := sts.NewFromConfig(env.Moto.AWSConfig(id, secret)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return err
	}
	if arn := aws.ToString(out.Arn); !strings.HasSuffix(arn, ":user/"+user) {
		return errors.New("key belongs to " + arn)
	}
	return nil
}

func TestTargetConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("needs a moto server")
	}
	conformance.TargetSuite(t, harness(t))
}

package kestraengine

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/kestra-rotation/rotation-pack/rotators/awssm/awssmtest"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
)

// TestPostgresAWSSM runs flows/postgres-password-awssm.yaml in Kestra's
// engine against moto and PostgreSQL.
func TestPostgresAWSSM(t *testing.T) {
	k := kestra(t)
	sm := secretsmanager.NewFromConfig(env.Moto.AWSConfig(env.Moto.AdminKeyID, env.Moto.AdminSecret))
	for _, tt := range storeCases {
		t.Run(tt.name, func(t *testing.T) {
			a := newPGAccount(t, tt.wrongAdmin)
			name := awssmtest.Prefix + "kengine-" + conformance.RandomID("")
			secretRef := awssmtest.Create(t, sm, name, pgValue(a.user, a.initial, env.PG.Port)).String()
			adminRef := awssmtest.Create(t, sm, name+"-admin", pgValue(a.adminUser, a.storedAdminPW, env.PG.Port)).String()
			x := k.run(t, "flows/postgres-password-awssm.yaml", nil, map[string]string{"secret": secretRef, "admin_secret": adminRef})
			x.check(t, "postgres-password-awssm ("+tt.name+")", tt.wantState, tt.wantTasks)
			// moto answers an old version unless the stage is named
			out, err := sm.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(name), VersionStage: aws.String("AWSCURRENT")})
			if err != nil {
				t.Fatal(err)
			}
			var cur struct{ Password string }
			if err := json.Unmarshal([]byte(aws.ToString(out.SecretString)), &cur); err != nil {
				t.Fatal(err)
			}
			a.judge(t, cur.Password, !tt.wrongAdmin)
			scan(t, x, append(a.values(), cur.Password, awsSecret, env.Moto.AdminSecret))
		})
	}
}

// TestIAMKey runs flows/aws-iam-access-key-awssm.yaml (the guide's IAM
// flow) in Kestra's engine against moto: the new key is AWSCURRENT and
// authenticates, the old one no longer does.
func TestIAMKey(t *testing.T) {
	k := kestra(t)
	iamRotation(t, "aws-iam-access-key-awssm", func(ref string) *execution {
		return k.run(t, "flows/aws-iam-access-key-awssm.yaml", nil, map[string]string{"secret": ref})
	})
}

// iamRotation makes an IAM user and its key stored in moto's Secrets
// Manager, has start run a rotation of the secret's reference, and judges
// it: the new key is AWSCURRENT and authenticates, the old one no longer.
func iamRotation(t *testing.T, row string, start func(ref string) *execution) *execution {
	t.Helper()
	admin := env.Moto.AWSConfig(env.Moto.AdminKeyID, env.Moto.AdminSecret)
	sm, ic := secretsmanager.NewFromConfig(admin), iam.NewFromConfig(admin)
	user := "kengine-" + conformance.RandomID("")
	if _, err := ic.CreateUser(context.Background(), &iam.CreateUserInput{UserName: aws.String(user)}); err != nil {
		t.Fatal(err)
	}
	key, err := ic.CreateAccessKey(context.Background(), &iam.CreateAccessKeyInput{UserName: aws.String(user)})
	if err != nil {
		t.Fatal(err)
	}
	type awsKey struct {
		Username        string `json:"username"`
		AccessKeyID     string `json:"access_key_id"`
		SecretAccessKey string `json:"secret_access_key"`
	}
	old := awsKey{user, aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey)}
	b, _ := json.Marshal(old)
	name := awssmtest.Prefix + "kengine-iam-" + conformance.RandomID("")
	ref := awssmtest.CreateRaw(t, sm, name, string(b))
	x := start(ref.String())
	rotation := x
	if tr := x.task("rotate"); tr != nil && tr.Child != nil {
		rotation = tr.Child // an entry point's Subflow
		x.row(t, row)
		row += " -> rotation"
	}
	rotation.Runner, rotation.Took, rotation.Version = x.Runner, x.Took, x.Version
	rotation.check(t, row, "SUCCESS", map[string]string{"deploy": "SUCCESS", "validate": "SUCCESS",
		"promote": "SUCCESS", "revoke": "SUCCESS", "verify_old_refused": "SUCCESS"})
	out, err := sm.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(name), VersionStage: aws.String("AWSCURRENT")})
	if err != nil {
		t.Fatal(err)
	}
	var cur awsKey
	if err := json.Unmarshal([]byte(aws.ToString(out.SecretString)), &cur); err != nil {
		t.Fatal(err)
	}
	stsOK := func(k awsKey) bool {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		o, err := sts.NewFromConfig(env.Moto.AWSConfig(k.AccessKeyID, k.SecretAccessKey)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		return err == nil && strings.HasSuffix(aws.ToString(o.Arn), ":user/"+user)
	}
	if cur.AccessKeyID == "" || cur.AccessKeyID == old.AccessKeyID || !stsOK(cur) || stsOK(old) {
		t.Errorf("want a new AWSCURRENT key that authenticates and the old one refused")
	}
	scan(t, x, []string{old.SecretAccessKey, cur.SecretAccessKey, awsSecret, env.Moto.AdminSecret, env.Bao.Token, flowToken})
	return x
}

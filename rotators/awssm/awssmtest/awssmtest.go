// Package awssmtest wires the AWS Secrets Manager store into the
// conformance suites, against a moto server with authentication on.
package awssmtest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/kestra-rotation/rotation-pack/rotators/awssm"
	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/testsrv"
)

// Prefix is where test secrets and IAM users live; the documented policy's
// "apps/" is replaced by it.
const Prefix = "conformance/"

// Harness returns the store harness. The binaries run as an IAM user that
// holds only docs/aws-rotation-policy.json; set-up and inspection use the admin.
func Harness(t testing.TB, m *testsrv.Moto, binDir string) conformance.StoreHarness {
	keyID, secret := PolicyUser(t, m, "rotator-"+conformance.RandomID(""))
	for _, kv := range m.Env(m.AdminKeyID, m.AdminSecret) {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	st, err := awssm.Open(context.Background())
	if err != nil {
		t.Fatalf("open awssm store: %v", err)
	}
	sm := secretsmanager.NewFromConfig(m.AWSConfig(m.AdminKeyID, m.AdminSecret))
	return conformance.StoreHarness{
		Scheme:  "awssm",
		BinDir:  binDir,
		Env:     m.Env(keyID, secret),
		Store:   st,
		Secrets: []string{m.AdminSecret, secret},
		RaceAtMostOne: "moto lets UpdateSecretVersionStage attach AWSPENDING to a second version, " +
			"which AWS refuses; stage then backs off and racers may all refuse",
		NewSecret: func(t testing.TB, v core.Value) core.Ref {
			return Create(t, sm, Prefix+conformance.RandomID("s-"), v)
		},
		ReadLatest: func(t testing.TB, ref core.Ref) core.Value {
			out, err := sm.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{
				SecretId: aws.String(ref.Host + "/" + ref.Path), VersionStage: aws.String("AWSCURRENT")})
			if err != nil {
				t.Fatalf("read %s: %v", ref, err)
			}
			v, err := core.ParseValue([]byte(aws.ToString(out.SecretString)))
			if err != nil {
				t.Fatal(err)
			}
			return v
		},
	}
}

// Create makes a secret holding v and returns its reference.
func Create(t testing.TB, sm *secretsmanager.Client, name string, v core.Value) core.Ref {
	b, _ := v.MarshalJSON()
	return CreateRaw(t, sm, name, string(b))
}

// CreateRaw is Create with the secret string as given (for bad-input tests).
func CreateRaw(t testing.TB, sm *secretsmanager.Client, name, s string) core.Ref {
	if _, err := sm.CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{
		Name: aws.String(name), SecretString: aws.String(s)}); err != nil {
		t.Fatalf("create secret %s: %v", name, err)
	}
	ref, err := core.ParseRef("awssm://" + name)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// motoPolicy keeps the documented actions and effects but sets every
// Resource to "*": moto evaluates IAM policies against the resource "*" for
// every service but S3, so an ARN pattern would never match there. The
// tests therefore prove the action list; the ARN scoping is AWS's to check.
func motoPolicy(doc []byte) (string, error) {
	var p struct {
		Version   string
		Statement []map[string]any
	}
	if err := json.Unmarshal(doc, &p); err != nil {
		return "", fmt.Errorf("documented policy is not JSON: %w", err)
	}
	for _, st := range p.Statement {
		st["Resource"] = "*"
	}
	b, err := json.Marshal(p)
	return string(b), err
}

// PolicyUser creates an IAM user holding only the documented policy's
// statements (see motoPolicy) and returns its access key.
func PolicyUser(t testing.TB, m *testsrv.Moto, name string) (keyID, secret string) {
	root, err := testsrv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(filepath.Join(root, "docs", "aws-rotation-policy.json"))
	if err != nil {
		t.Fatalf("read the documented policy: %v", err)
	}
	ctx := context.Background()
	c := iam.NewFromConfig(m.AWSConfig(m.AdminKeyID, m.AdminSecret))
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		t.Fatalf("create user: %v", err)
	}
	policy, err := motoPolicy(doc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("rotation"),
		PolicyDocument: aws.String(policy)}); err != nil {
		t.Fatalf("user policy: %v", err)
	}
	key, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatalf("create key: %v", err)
	}
	return aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey)
}

// InventoryHarness returns the inventory harness: secrets named
// inv-<random>/s-NNN, listed by an IAM user holding only the documented policy.
func InventoryHarness(t testing.TB, m *testsrv.Moto, binDir string, count int) conformance.InventoryHarness {
	prefix := conformance.RandomID("inv-") + "/"
	h := Harness(t, m, binDir)
	sm := secretsmanager.NewFromConfig(m.AWSConfig(m.AdminKeyID, m.AdminSecret))
	return conformance.InventoryHarness{
		StoreHarness: h,
		Prefix:       "awssm://" + prefix,
		Count:        count,
		Create: func(t testing.TB, i int, v core.Value) core.Ref {
			return Create(t, sm, fmt.Sprintf("%ss-%03d", prefix, i), v)
		},
		Outside: func(t testing.TB, v core.Value) core.Ref {
			return Create(t, sm, strings.TrimSuffix(prefix, "/")+"-other/s", v)
		},
		Tag: func(t testing.TB, ref core.Ref, key, value string) {
			if _, err := sm.TagResource(context.Background(), &secretsmanager.TagResourceInput{SecretId: aws.String(ref.Host + "/" + ref.Path),
				Tags: []types.Tag{{Key: aws.String(key), Value: aws.String(value)}}}); err != nil {
				t.Fatalf("tag %s: %v", ref, err)
			}
		},
	}
}

// IAMUser creates an IAM user with one access key (ic signs as the admin)
// and returns the key as the awsiam target's secret value, registered with
// r's leak check.
func IAMUser(t testing.TB, ic *iam.Client, r *conformance.Runner, user string) core.Value {
	t.Helper()
	if _, err := ic.CreateUser(context.Background(), &iam.CreateUserInput{UserName: aws.String(user)}); err != nil {
		t.Fatalf("create user: %v", err)
	}
	out, err := ic.CreateAccessKey(context.Background(), &iam.CreateAccessKeyInput{UserName: aws.String(user)})
	if err != nil {
		t.Fatalf("create key: %v", err)
	}
	secret := aws.ToString(out.AccessKey.SecretAccessKey)
	r.Secret(secret)
	v, err := core.ParseValue(fmt.Appendf(nil, `{"username":%q,"access_key_id":%q,"secret_access_key":%q}`,
		user, aws.ToString(out.AccessKey.AccessKeyId), secret))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Package gcpsmtest wires the GCP Secret Manager store into the
// conformance suites, against the in-repo TEST DOUBLE of Secret Manager
// (package gcpsmdouble), for tests of this store and of targets that keep
// their secrets in it.
package gcpsmtest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	secretmanager "cloud.google.com/go/secretmanager/apiv1"
	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/gcpsm"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
)

// Project is the project the tests' secrets live in.
const Project = "conformance-project"

// Harness returns the store harness for the test double at addr.
func Harness(t testing.TB, addr, binDir string) conformance.StoreHarness {
	t.Setenv(gcpsm.EndpointEnv, addr)
	st, err := gcpsm.Open(context.Background())
	if err != nil {
		t.Fatalf("open gcpsm store: %v", err)
	}
	c := Client(t, addr)
	return conformance.StoreHarness{
		Scheme: "gcpsm",
		BinDir: binDir,
		Env:    []string{gcpsm.EndpointEnv + "=" + addr},
		Store:  st,
		NewSecret: func(t testing.TB, v core.Value) core.Ref {
			return Put(t, c, conformance.RandomID("s-"), v)
		},
		ReadLatest: func(t testing.TB, ref core.Ref) core.Value {
			return ReadLatest(t, c, ref)
		},
	}
}

// Client returns the raw Secret Manager client talking to the double.
func Client(t testing.TB, addr string) *secretmanager.Client {
	c, err := secretmanager.NewClient(context.Background(), option.WithEndpoint(addr), option.WithoutAuthentication(),
		option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())))
	if err != nil {
		t.Fatalf("secret manager client: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Put creates secret id in Project holding v as version 1 and returns its reference.
func Put(t testing.TB, c *secretmanager.Client, id string, v core.Value) core.Ref {
	t.Helper()
	data, _ := v.MarshalJSON()
	return PutRaw(t, c, id, data)
}

// PutRaw is Put with the version's bytes as given (for bad-input tests).
func PutRaw(t testing.TB, c *secretmanager.Client, id string, data []byte) core.Ref {
	t.Helper()
	ctx := context.Background()
	s, err := c.CreateSecret(ctx, &secretmanagerpb.CreateSecretRequest{Parent: "projects/" + Project, SecretId: id,
		Secret: &secretmanagerpb.Secret{Replication: &secretmanagerpb.Replication{
			Replication: &secretmanagerpb.Replication_Automatic_{Automatic: &secretmanagerpb.Replication_Automatic{}}}}})
	if err != nil {
		t.Fatalf("create secret %s: %v", id, err)
	}
	if _, err := c.AddSecretVersion(ctx, &secretmanagerpb.AddSecretVersionRequest{Parent: s.Name, Payload: &secretmanagerpb.SecretPayload{Data: data}}); err != nil {
		t.Fatalf("add version to %s: %v", id, err)
	}
	ref, err := core.ParseRef("gcpsm://" + Project + "/" + id)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// ReadLatest reads versions/latest as an application does.
func ReadLatest(t testing.TB, c *secretmanager.Client, ref core.Ref) core.Value {
	t.Helper()
	r, err := c.AccessSecretVersion(context.Background(), &secretmanagerpb.AccessSecretVersionRequest{
		Name: "projects/" + ref.Host + "/secrets/" + ref.Path + "/versions/latest"})
	if err != nil {
		t.Fatalf("read %s: %v", ref, err)
	}
	v, err := core.ParseValue(r.Payload.Data)
	if err != nil {
		t.Fatalf("read %s: %v", ref, err)
	}
	return v
}

// InventoryHarness returns the inventory harness: secrets inv-<random>-s-NNN
// in Project of the test double (which evaluates no IAM).
func InventoryHarness(t testing.TB, addr, binDir string, count int) conformance.InventoryHarness {
	prefix := conformance.RandomID("inv-") + "-"
	c := Client(t, addr)
	return conformance.InventoryHarness{
		StoreHarness: Harness(t, addr, binDir),
		Prefix:       "gcpsm://" + Project + "/" + prefix,
		Count:        count,
		Create: func(t testing.TB, i int, v core.Value) core.Ref {
			return Put(t, c, fmt.Sprintf("%ss-%03d", prefix, i), v)
		},
		Outside: func(t testing.TB, v core.Value) core.Ref {
			return Put(t, c, strings.TrimSuffix(prefix, "-")+"_other", v)
		},
		Tag: func(t testing.TB, ref core.Ref, key, value string) {
			_, err := c.UpdateSecret(context.Background(), &secretmanagerpb.UpdateSecretRequest{UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"labels"}},
				Secret: &secretmanagerpb.Secret{Name: "projects/" + ref.Host + "/secrets/" + ref.Path, Labels: map[string]string{key: value}}})
			if err != nil {
				t.Fatalf("label %s: %v", ref, err)
			}
		},
	}
}

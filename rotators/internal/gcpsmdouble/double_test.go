package gcpsmdouble_test

import (
	"context"
	"fmt"
	"hash/crc32"
	"strings"
	"testing"

	secretmanager "cloud.google.com/go/secretmanager/apiv1"
	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/kestra-rotation/rotation-pack/rotators/internal/gcpsmdouble"
)

// newTestDoubleClient starts a test double and returns the real client
// talking gRPC to it, and a fresh secret holding n versions "v1".."vn".
func newTestDoubleClient(t *testing.T, n int) (*secretmanager.Client, string) {
	t.Helper()
	ctx := context.Background()
	srv, err := gcpsmdouble.StartTestDouble(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	c, err := secretmanager.NewClient(ctx, option.WithEndpoint(srv.Addr), option.WithoutAuthentication(),
		option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	s, err := c.CreateSecret(ctx, &secretmanagerpb.CreateSecretRequest{Parent: "projects/test-project", SecretId: "db",
		Secret: &secretmanagerpb.Secret{Replication: &secretmanagerpb.Replication{Replication: &secretmanagerpb.Replication_Automatic_{Automatic: &secretmanagerpb.Replication_Automatic{}}}}})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= n; i++ {
		add(t, c, s.Name, fmt.Sprintf("v%d", i))
	}
	return c, s.Name
}

func add(t *testing.T, c *secretmanager.Client, secret, data string) *secretmanagerpb.SecretVersion {
	t.Helper()
	v, err := c.AddSecretVersion(context.Background(), &secretmanagerpb.AddSecretVersionRequest{Parent: secret, Payload: &secretmanagerpb.SecretPayload{Data: []byte(data)}})
	if err != nil {
		t.Fatalf("add version: %v", err)
	}
	return v
}

func access(c *secretmanager.Client, name string) (string, string, error) {
	r, err := c.AccessSecretVersion(context.Background(), &secretmanagerpb.AccessSecretVersionRequest{Name: name})
	if err != nil {
		return "", "", err
	}
	return string(r.Payload.Data), r.Name, nil
}

func wantCode(t *testing.T, what string, err error, want codes.Code) {
	t.Helper()
	if got := status.Code(err); got != want {
		t.Errorf("%s: got code %s (%v), want %s", what, got, err, want)
	}
}

func TestTestDoubleVersionNumbersNeverReused(t *testing.T) {
	c, s := newTestDoubleClient(t, 3)
	if _, err := c.DestroySecretVersion(context.Background(), &secretmanagerpb.DestroySecretVersionRequest{Name: s + "/versions/3"}); err != nil {
		t.Fatal(err)
	}
	if got := add(t, c, s, "v4").Name; got != s+"/versions/4" {
		t.Errorf("version after destroying 3: got %s, want %s/versions/4", got, s)
	}
}

func TestTestDoubleLatestIsHighestWhateverItsState(t *testing.T) {
	ctx := context.Background()
	for _, state := range []string{"disable", "destroy"} {
		t.Run(state, func(t *testing.T) {
			c, s := newTestDoubleClient(t, 2)
			var err error
			if state == "disable" {
				_, err = c.DisableSecretVersion(ctx, &secretmanagerpb.DisableSecretVersionRequest{Name: s + "/versions/2"})
			} else {
				_, err = c.DestroySecretVersion(ctx, &secretmanagerpb.DestroySecretVersionRequest{Name: s + "/versions/2"})
			}
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = access(c, s+"/versions/latest")
			wantCode(t, "access latest after "+state+" of the newest", err, codes.FailedPrecondition)
			v, err := c.GetSecretVersion(ctx, &secretmanagerpb.GetSecretVersionRequest{Name: s + "/versions/latest"})
			if err != nil || v.Name != s+"/versions/2" {
				t.Errorf("get latest: got %v, %v; want version 2", v.GetName(), err)
			}
			if got, _, err := access(c, s+"/versions/1"); err != nil || got != "v1" {
				t.Errorf("access 1: got %q, %v; want v1", got, err)
			}
		})
	}
}

func TestTestDoubleStates(t *testing.T) {
	ctx := context.Background()
	c, s := newTestDoubleClient(t, 1)
	v1 := s + "/versions/1"
	if _, err := c.DisableSecretVersion(ctx, &secretmanagerpb.DisableSecretVersionRequest{Name: v1}); err != nil {
		t.Fatal(err)
	}
	_, _, err := access(c, v1)
	wantCode(t, "access a disabled version", err, codes.FailedPrecondition)
	if _, err := c.EnableSecretVersion(ctx, &secretmanagerpb.EnableSecretVersionRequest{Name: v1}); err != nil {
		t.Fatal(err)
	}
	if got, _, err := access(c, v1); err != nil || got != "v1" {
		t.Errorf("access after enable: got %q, %v", got, err)
	}
	if _, err := c.DestroySecretVersion(ctx, &secretmanagerpb.DestroySecretVersionRequest{Name: v1}); err != nil {
		t.Fatal(err)
	}
	_, err = c.EnableSecretVersion(ctx, &secretmanagerpb.EnableSecretVersionRequest{Name: v1})
	wantCode(t, "enable a destroyed version", err, codes.FailedPrecondition)
}

func TestTestDoubleEtags(t *testing.T) {
	ctx := context.Background()
	c, s := newTestDoubleClient(t, 1)
	sec, _ := c.GetSecret(ctx, &secretmanagerpb.GetSecretRequest{Name: s})
	ann := &fieldmaskpb.FieldMask{Paths: []string{"annotations"}}
	up, err := c.UpdateSecret(ctx, &secretmanagerpb.UpdateSecretRequest{Secret: &secretmanagerpb.Secret{Name: s, Etag: sec.Etag, Annotations: map[string]string{"a": "1"}}, UpdateMask: ann})
	if err != nil || up.Etag == sec.Etag {
		t.Fatalf("update with the current etag: %v (etag changed: %v)", err, up.GetEtag() != sec.Etag)
	}
	add(t, c, s, "v2") // no etag; does not need one
	ver, _ := c.GetSecretVersion(ctx, &secretmanagerpb.GetSecretVersionRequest{Name: s + "/versions/1"})
	stale := sec.Etag
	tests := []struct {
		name string
		call func() error
	}{
		{"update secret", func() error {
			_, err := c.UpdateSecret(ctx, &secretmanagerpb.UpdateSecretRequest{Secret: &secretmanagerpb.Secret{Name: s, Etag: stale}, UpdateMask: ann})
			return err
		}},
		{"delete secret", func() error {
			return c.DeleteSecret(ctx, &secretmanagerpb.DeleteSecretRequest{Name: s, Etag: stale})
		}},
		{"disable version", func() error {
			_, err := c.DisableSecretVersion(ctx, &secretmanagerpb.DisableSecretVersionRequest{Name: ver.Name, Etag: `"stale"`})
			return err
		}},
		{"destroy version", func() error {
			_, err := c.DestroySecretVersion(ctx, &secretmanagerpb.DestroySecretVersionRequest{Name: ver.Name, Etag: `"stale"`})
			return err
		}},
		{"enable version", func() error {
			_, err := c.EnableSecretVersion(ctx, &secretmanagerpb.EnableSecretVersionRequest{Name: ver.Name, Etag: `"stale"`})
			return err
		}},
	}
	for _, tc := range tests {
		wantCode(t, tc.name+" with a stale etag", tc.call(), codes.FailedPrecondition)
	}
	if _, err := c.DisableSecretVersion(ctx, &secretmanagerpb.DisableSecretVersionRequest{Name: ver.Name, Etag: ver.Etag}); err != nil {
		t.Errorf("disable with the current etag: %v", err)
	}
}

func TestTestDoubleAliases(t *testing.T) {
	ctx := context.Background()
	c, s := newTestDoubleClient(t, 3)
	if _, err := c.DestroySecretVersion(ctx, &secretmanagerpb.DestroySecretVersionRequest{Name: s + "/versions/3"}); err != nil {
		t.Fatal(err)
	}
	many := map[string]int64{}
	for i := range gcpsmdouble.MaxAliases + 1 {
		many[fmt.Sprintf("a%d", i)] = 1
	}
	tests := []struct {
		name    string
		aliases map[string]int64
		want    codes.Code
	}{
		{"valid", map[string]int64{"previous": 1, "pending_2": 2}, codes.OK},
		{"latest", map[string]int64{"latest": 1}, codes.InvalidArgument},
		{"NEW", map[string]int64{"NEW": 1}, codes.InvalidArgument},
		{"starts with a digit", map[string]int64{"1st": 1}, codes.InvalidArgument},
		{"no such version", map[string]int64{"ghost": 9}, codes.InvalidArgument},
		{"destroyed version", map[string]int64{"gone": 3}, codes.InvalidArgument},
		{"more than 50", many, codes.InvalidArgument},
	}
	mask := &fieldmaskpb.FieldMask{Paths: []string{"version_aliases"}}
	for _, tc := range tests {
		_, err := c.UpdateSecret(ctx, &secretmanagerpb.UpdateSecretRequest{Secret: &secretmanagerpb.Secret{Name: s, VersionAliases: tc.aliases}, UpdateMask: mask})
		wantCode(t, "aliases "+tc.name, err, tc.want)
	}
	if got, name, err := access(c, s+"/versions/previous"); err != nil || got != "v1" || name != s+"/versions/1" {
		t.Errorf("access by alias: got %q from %s, %v; want v1 from version 1", got, name, err)
	}
	if v, err := c.GetSecretVersion(ctx, &secretmanagerpb.GetSecretVersionRequest{Name: s + "/versions/pending_2"}); err != nil || !strings.HasSuffix(v.Name, "/versions/2") {
		t.Errorf("get by alias: got %v, %v; want version 2", v.GetName(), err)
	}
	_, _, err := access(c, s+"/versions/unknown")
	wantCode(t, "access by an unknown alias", err, codes.NotFound)
}

func TestTestDoubleCRC32C(t *testing.T) {
	ctx := context.Background()
	c, s := newTestDoubleClient(t, 0)
	data := []byte(`{"password":"x"}`)
	good := int64(crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli)))
	bad := good + 1
	tests := []struct {
		name string
		crc  *int64
		want codes.Code
	}{
		{"matching", &good, codes.OK},
		{"absent", nil, codes.OK},
		{"mismatching", &bad, codes.InvalidArgument},
	}
	for _, tc := range tests {
		_, err := c.AddSecretVersion(ctx, &secretmanagerpb.AddSecretVersionRequest{Parent: s, Payload: &secretmanagerpb.SecretPayload{Data: data, DataCrc32C: tc.crc}})
		wantCode(t, "add with a "+tc.name+" checksum", err, tc.want)
	}
	r, err := c.AccessSecretVersion(ctx, &secretmanagerpb.AccessSecretVersionRequest{Name: s + "/versions/2"})
	if err != nil || r.Payload.DataCrc32C == nil || *r.Payload.DataCrc32C != good {
		t.Errorf("access: got checksum %v, %v; want %d", r.GetPayload().DataCrc32C, err, good)
	}
}

func TestTestDoubleNotFoundAndAlreadyExists(t *testing.T) {
	ctx := context.Background()
	c, s := newTestDoubleClient(t, 1)
	_, err := c.GetSecret(ctx, &secretmanagerpb.GetSecretRequest{Name: "projects/test-project/secrets/nope"})
	wantCode(t, "get a missing secret", err, codes.NotFound)
	_, _, err = access(c, s+"/versions/7")
	wantCode(t, "access a missing version", err, codes.NotFound)
	_, err = c.AddSecretVersion(ctx, &secretmanagerpb.AddSecretVersionRequest{Parent: "projects/test-project/secrets/nope", Payload: &secretmanagerpb.SecretPayload{Data: []byte("x")}})
	wantCode(t, "add to a missing secret", err, codes.NotFound)
	_, err = c.CreateSecret(ctx, &secretmanagerpb.CreateSecretRequest{Parent: "projects/test-project", SecretId: "db",
		Secret: &secretmanagerpb.Secret{Replication: &secretmanagerpb.Replication{Replication: &secretmanagerpb.Replication_Automatic_{Automatic: &secretmanagerpb.Replication_Automatic{}}}}})
	wantCode(t, "create an existing secret", err, codes.AlreadyExists)
}

package faults

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/kestra-rotation/rotation-pack/rotators/awssm/awssmtest"
	"github.com/kestra-rotation/rotation-pack/rotators/azkv/azkvtest"
	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/gcpsm"
	"github.com/kestra-rotation/rotation-pack/rotators/gcpsm/gcpsmtest"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
	"github.com/kestra-rotation/rotation-pack/rotators/vault/vaulttest"
)

// storeKit is one store of the fault tests: the conformance harness (whose
// library store and set-up talk to the server directly), how to write a
// secret, the server's host:port, and the environment that sends the
// binaries through a proxy at addr instead.
type storeKit struct {
	h        conformance.StoreHarness
	put      func(t testing.TB, name string, v core.Value) core.Ref
	upstream string
	via      func(addr string) []string
}

// The kits call t.Setenv (through the harnesses): build them in a test
// that is not parallel.

func vaultKit(t *testing.T) storeKit {
	vc := vaulttest.Client(t, env.Bao.Addr, env.Bao.Token)
	return storeKit{
		h: vaulttest.Harness(t, env.Bao.Addr, env.Bao.Token, env.BinDir),
		put: func(t testing.TB, name string, v core.Value) core.Ref {
			return vaulttest.Put(t, vc, "conformance/"+name, v)
		},
		upstream: strings.TrimPrefix(env.Bao.Addr, "http://"),
		via:      func(addr string) []string { return []string{"VAULT_ADDR=http://" + addr} },
	}
}

func awssmKit(t *testing.T) storeKit {
	sm := secretsmanager.NewFromConfig(env.Moto.AWSConfig(env.Moto.AdminKeyID, env.Moto.AdminSecret))
	return storeKit{
		h: awssmtest.Harness(t, env.Moto, env.BinDir),
		put: func(t testing.TB, name string, v core.Value) core.Ref {
			return awssmtest.Create(t, sm, awssmtest.Prefix+name, v)
		},
		upstream: strings.TrimPrefix(env.Moto.Endpoint, "http://"),
		// The service's own endpoint variable: IAM and STS stay direct.
		via: func(addr string) []string { return []string{"AWS_ENDPOINT_URL_SECRETS_MANAGER=http://" + addr} },
	}
}

func azkvKit(t *testing.T) storeKit {
	c := azkvtest.Client(t, env.AzKV)
	return storeKit{
		h: azkvtest.Harness(t, env.AzKV, env.BinDir),
		put: func(t testing.TB, name string, v core.Value) core.Ref {
			return azkvtest.Put(t, c, name, v)
		},
		upstream: strings.TrimPrefix(env.AzKV.URL, "https://"),
		// The double's certificate names 127.0.0.1, which the proxy is on too.
		via: func(addr string) []string { return []string{"AZKV_VAULT_URL=https://" + addr} },
	}
}

func gcpsmKit(t *testing.T) storeKit {
	c := gcpsmtest.Client(t, env.GCPSM.Addr)
	return storeKit{
		h: gcpsmtest.Harness(t, env.GCPSM.Addr, env.BinDir),
		put: func(t testing.TB, name string, v core.Value) core.Ref {
			return gcpsmtest.Put(t, c, name, v)
		},
		upstream: env.GCPSM.Addr,
		via:      func(addr string) []string { return []string{gcpsm.EndpointEnv + "=" + addr} },
	}
}

// Package vaulttest wires the Vault store into the conformance suites, for
// tests of this store and of targets that keep their secrets in Vault.
package vaulttest

import (
	"context"
	"testing"

	"github.com/hashicorp/vault/api"

	"github.com/kestra-rotation/rotation-pack/rotators/conformance"
	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/vault"
)

// Harness returns the store harness for a Vault (or OpenBao) server whose
// KV v2 engine is mounted at secret/. Secrets are made under secret/conformance/.
func Harness(t testing.TB, addr, token, binDir string) conformance.StoreHarness {
	t.Setenv("VAULT_ADDR", addr)
	t.Setenv("VAULT_TOKEN", token)
	st, err := vault.Open(context.Background())
	if err != nil {
		t.Fatalf("open vault store: %v", err)
	}
	c := Client(t, addr, token)
	return conformance.StoreHarness{
		Scheme: "vault",
		BinDir: binDir,
		Env:    []string{"VAULT_ADDR=" + addr, "VAULT_TOKEN=" + token},
		Store:  st,
		NewSecret: func(t testing.TB, v core.Value) core.Ref {
			return Put(t, c, "conformance/"+conformance.RandomID("s-"), v)
		},
		ReadLatest: func(t testing.TB, ref core.Ref) core.Value {
			sec, err := c.KVv2(ref.Host).Get(context.Background(), ref.Path)
			if err != nil {
				t.Fatalf("read %s: %v", ref, err)
			}
			v, err := core.ValueFromMap(sec.Data)
			if err != nil {
				t.Fatalf("read %s: %v", ref, err)
			}
			return v
		},
	}
}

// Client returns a Vault API client.
func Client(t testing.TB, addr, token string) *api.Client {
	cfg := api.DefaultConfig()
	cfg.Address = addr
	c, err := api.NewClient(cfg)
	if err != nil {
		t.Fatalf("vault client: %v", err)
	}
	c.SetToken(token)
	return c
}

// Put writes v as a new version of secret/<path> and returns its reference.
func Put(t testing.TB, c *api.Client, path string, v core.Value) core.Ref {
	if _, err := c.KVv2("secret").Put(context.Background(), path, v.Map()); err != nil {
		t.Fatalf("write secret/%s: %v", path, err)
	}
	ref, err := core.ParseRef("vault://secret/" + path)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// Package vaulttest wires the Vault store into the conformance suites, for
// tests of this store and of targets that keep their secrets in Vault.
package vaulttest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/vault/api"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/testsrv"
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
	limited := PolicyToken(t, c, "conformance/")
	return conformance.StoreHarness{
		Scheme:  "vault",
		BinDir:  binDir,
		Env:     []string{"VAULT_ADDR=" + addr, "VAULT_TOKEN=" + limited},
		Secrets: []string{token, limited},
		Store:   st,
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

// PolicyToken creates a token that holds only docs/vault-rotation-policy.hcl
// with its "apps/" prefix replaced by prefix, so the tests prove the
// documented policy is enough.
func PolicyToken(t testing.TB, c *api.Client, prefix string) string {
	sec, err := c.Auth().Token().Create(&api.TokenCreateRequest{Policies: []string{Policy(t, c, prefix)}, NoDefaultPolicy: true, TTL: "2h"})
	if err != nil {
		t.Fatalf("create token: %v", err)
	}
	return sec.Auth.ClientToken
}

// policyText is docs/vault-rotation-policy.hcl with "apps/" replaced by prefix.
func policyText(t testing.TB, prefix string) string {
	root, err := testsrv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "docs", "vault-rotation-policy.hcl"))
	if err != nil {
		t.Fatalf("read the documented policy: %v", err)
	}
	return strings.ReplaceAll(string(b), "apps/", prefix)
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

// InventoryHarness returns the inventory harness: secrets under a fresh
// folder secret/inv-<random>/, listed with a token holding only the
// documented policy for that folder.
func InventoryHarness(t testing.TB, addr, token, binDir string, count int) conformance.InventoryHarness {
	return InventoryLoginHarness(t, addr, token, binDir, count, nil)
}

// InventoryLoginHarness is InventoryHarness with the binaries logging in by
// the method login sets up for the folder's prefix (AppRole, JWT), without
// VAULT_TOKEN; login nil: a token with the documented policy.
func InventoryLoginHarness(t testing.TB, addr, token, binDir string, count int, login func(testing.TB, *api.Client, string) Login) conformance.InventoryHarness {
	folder := conformance.RandomID("inv-")
	h := Harness(t, addr, token, binDir)
	c := Client(t, addr, token)
	if login == nil {
		h.Env = []string{"VAULT_ADDR=" + addr, "VAULT_TOKEN=" + PolicyToken(t, c, folder+"/")}
		h.Secrets = append(h.Secrets, strings.TrimPrefix(h.Env[1], "VAULT_TOKEN="))
	} else {
		l := login(t, c, folder+"/")
		h.Env = append([]string{"VAULT_ADDR=" + addr}, l.Env...)
		h.Secrets = append(h.Secrets, l.Secrets...)
		h.Patterns = append(h.Patterns, TokenPattern)
	}
	return conformance.InventoryHarness{
		StoreHarness: h,
		Prefix:       "vault://secret/" + folder + "/",
		Count:        count,
		Create: func(t testing.TB, i int, v core.Value) core.Ref {
			return Put(t, c, fmt.Sprintf("%s/team-%d/s-%03d", folder, i%3, i), v)
		},
		Outside: func(t testing.TB, v core.Value) core.Ref { return Put(t, c, folder+"-other/s", v) },
		Tag: func(t testing.TB, ref core.Ref, key, value string) {
			md := api.KVMetadataPatchInput{CustomMetadata: map[string]interface{}{key: value}}
			if err := c.KVv2(ref.Host).PatchMetadata(context.Background(), ref.Path, md); err != nil {
				t.Fatalf("tag %s: %v", ref, err)
			}
		},
	}
}

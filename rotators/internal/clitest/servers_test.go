package clitest

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/kestra-rotation/rotation-pack/rotators/awssm/awssmtest"
	"github.com/kestra-rotation/rotation-pack/rotators/azkv/azkvtest"
	"github.com/kestra-rotation/rotation-pack/rotators/gcpsm"
	"github.com/kestra-rotation/rotation-pack/rotators/gcpsm/gcpsmtest"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
)

// storeEnv is the environment that reaches each store's test server.
func storeEnv() map[string][]string {
	return map[string][]string{
		"vault": {"VAULT_ADDR=" + env.Bao.Addr, "VAULT_TOKEN=" + env.Bao.Token},
		"awssm": env.Moto.Env(env.Moto.AdminKeyID, env.Moto.AdminSecret),
		"azkv":  env.AzKV.Env(),
		"gcpsm": {gcpsm.EndpointEnv + "=" + env.GCPSM.Addr},
	}
}

// serverEnv is what b needs to reach the store of scheme (and, for
// awsiam, moto for itself).
func (b binary) serverEnv(scheme string) []string {
	e := storeEnv()[scheme]
	if b.provider == "awsiam" && scheme != "awssm" {
		e = append(e, storeEnv()["awssm"]...)
	}
	return e
}

func needServers(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: needs OpenBao, moto and the Azure and GCP doubles")
	}
}

// TestAbsentSecret gives every step binary a reference, in each store it
// reads, to a secret that does not exist: exit 2 and one line saying so.
func TestAbsentSecret(t *testing.T) {
	needServers(t)
	absent := map[string]string{
		"vault": "vault://secret/clitest/absent-" + conformance.RandomID(""),
		"awssm": "awssm://clitest/absent-" + conformance.RandomID(""),
		"azkv":  "azkv://" + azkvtest.Vault + "/absent-" + conformance.RandomID(""),
		"gcpsm": "gcpsm://" + gcpsmtest.Project + "/absent-" + conformance.RandomID(""),
	}
	for _, b := range stepBinaries(t) {
		for _, scheme := range b.schemes() {
			t.Run(b.provider+"-"+b.step+"/"+scheme, func(t *testing.T) {
				expectUsage(t, b.path, b.args(t, absent[scheme], "current"), b.serverEnv(scheme), "not found")
			})
		}
	}
}

// TestNonJSONValue gives every binary that reads CURRENT a secret whose
// value is not a JSON object, in each store that can hold one (a Vault KV
// secret is always a JSON object): exit 2 and one line naming JSON.
func TestNonJSONValue(t *testing.T) {
	needServers(t)
	const notJSON = "hunter2, not json"
	sm := secretsmanager.NewFromConfig(env.Moto.AWSConfig(env.Moto.AdminKeyID, env.Moto.AdminSecret))
	refs := map[string]string{
		"awssm": awssmtest.CreateRaw(t, sm, "clitest/nonjson-"+conformance.RandomID(""), notJSON).String(),
		"azkv":  azkvtest.PutRaw(t, azkvtest.Client(t, env.AzKV), "nonjson-"+conformance.RandomID(""), notJSON).String(),
		"gcpsm": gcpsmtest.PutRaw(t, gcpsmtest.Client(t, env.GCPSM.Addr), "nonjson-"+conformance.RandomID(""), []byte(notJSON)).String(),
	}
	for _, b := range stepBinaries(t) {
		if b.step != "stage" && b.step != "deploy" && b.step != "validate" {
			continue // promote, rollback and revoke need a rotation in progress first
		}
		for _, scheme := range b.schemes() {
			if refs[scheme] == "" {
				continue
			}
			t.Run(b.provider+"-"+b.step+"/"+scheme, func(t *testing.T) {
				expectUsage(t, b.path, b.args(t, refs[scheme], "current"), b.serverEnv(scheme), "json")
			})
		}
	}
}

// TestAzureCredentialMissing: with the Key Vault double reachable but no
// Azure credential configured (the environment credential selected, its
// variables unset), the binaries exit 2 naming the credential, and contact
// no managed-identity endpoint.
func TestAzureCredentialMissing(t *testing.T) {
	needServers(t)
	e := []string{"AZKV_VAULT_URL=" + env.AzKV.URL, "AZKV_CA_CERT=" + env.AzKV.CAFile, "AZURE_TOKEN_CREDENTIALS=EnvironmentCredential"}
	ref := "azkv://" + azkvtest.Vault + "/db"
	for _, b := range stepBinaries(t) {
		if b.provider != "azkv" && !b.target {
			continue
		}
		t.Run(b.provider+"-"+b.step, func(t *testing.T) {
			expectUsage(t, b.path, b.args(t, ref, "current"), append(b.ownEnvAt(), e...), "credential")
		})
	}
}

// ownEnvAt is the target's own environment against the test servers.
func (b binary) ownEnvAt() []string {
	if b.provider == "awsiam" {
		return storeEnv()["awssm"]
	}
	return nil
}

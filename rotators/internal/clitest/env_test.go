package clitest

import (
	"strconv"
	"testing"

	"github.com/kestra-rotation/rotation-pack/rotators/internal/testsrv"
)

// envCase is a store's configuration with one thing missing or wrong.
type envCase struct {
	name string
	env  []string
	want string // what the error line must name
}

// missingEnv lists, per store, configurations that must fail with exit 2
// before any network call. unused is a loopback address nothing listens on,
// so a binary that did reach out anyway would stay on this machine.
func missingEnv(unused string) map[string][]envCase {
	return map[string][]envCase{
		"vault": {
			{"VAULT_ADDR unset", nil, "VAULT_ADDR"},
			{"VAULT_TOKEN unset", []string{"VAULT_ADDR=http://" + unused}, "VAULT_TOKEN"},
			{"VAULT_CACERT unreadable", []string{"VAULT_ADDR=https://" + unused, "VAULT_TOKEN=t", "VAULT_CACERT=/nonexistent/ca.pem"}, "ca file"},
		},
		"awssm": {
			{"AWS_REGION unset", []string{"AWS_ENDPOINT_URL=http://" + unused}, "AWS_REGION"},
			// IMDS is disabled (AWS_EC2_METADATA_DISABLED): the chain ends
			// before any request is sent.
			{"no AWS credentials", []string{"AWS_REGION=us-east-1", "AWS_ENDPOINT_URL=http://" + unused,
				"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null"}, "credentials"},
		},
		"azkv": {
			{"AZKV_VAULT_URL not https", []string{"AZKV_VAULT_URL=http://" + unused}, "AZKV_VAULT_URL"},
			{"AZKV_CA_CERT unreadable", []string{"AZKV_VAULT_URL=https://" + unused, "AZKV_CA_CERT=/nonexistent/ca.pem"}, "AZKV_CA_CERT"},
		},
		"gcpsm": {
			// Application Default Credentials read this file first; without
			// it they would probe the GCE metadata server.
			{"ADC file missing", []string{"GOOGLE_APPLICATION_CREDENTIALS=/nonexistent/adc.json"}, "credentials"},
		},
	}
}

// refs are well-formed references per store, to secrets that do not exist.
var refs = map[string]string{
	"vault": "vault://secret/apps/clitest", "awssm": "awssm://apps/clitest",
	"azkv": "azkv://clitest-vault/db", "gcpsm": "gcpsm://clitest-project/db",
}

// TestMissingEnvironment runs every step binary of every store, and every
// target binary with a secret in each store, with the store's
// configuration incomplete: exit 2 and one line naming what is missing.
func TestMissingEnvironment(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every binary")
	}
	port, err := testsrv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	unused := "127.0.0.1:" + strconv.Itoa(port)
	cases := missingEnv(unused)
	for _, b := range stepBinaries(t) {
		for _, scheme := range b.schemes() {
			for _, c := range cases[scheme] {
				t.Run(b.provider+"-"+b.step+"/"+scheme+"/"+c.name, func(t *testing.T) {
					expectUsage(t, b.path, b.args(t, refs[scheme], ""), append(b.ownEnv(scheme, unused), c.env...), c.want)
				})
			}
		}
	}
}

// ownEnv is what a target needs for itself, so that the store's error is
// the one reported: awsiam reads AWS_REGION at start (unless the case is
// about the AWS configuration itself).
func (b binary) ownEnv(scheme, unused string) []string {
	if b.provider != "awsiam" || scheme == "awssm" {
		return nil
	}
	return []string{"AWS_REGION=us-east-1", "AWS_ENDPOINT_URL=http://" + unused}
}

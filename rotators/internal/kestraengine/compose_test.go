package kestraengine

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/testsrv"
	"github.com/kestra-rotation/rotation-pack/rotators/vault/vaulttest"
)

// quickstart is the part of docker/compose.yaml this test runs: the demo
// roles PostgreSQL creates and the seed service's script.
type quickstart struct {
	Services struct {
		Seed struct {
			Entrypoint []string `yaml:"entrypoint"`
		} `yaml:"seed"`
	} `yaml:"services"`
	Configs struct {
		DemoRoles struct {
			Content string `yaml:"content"`
		} `yaml:"demo_roles"`
	} `yaml:"configs"`
}

// composeHost is how the seed names the compose network's PostgreSQL; the
// test's one substitution points it at its own server.
const composeHost = "host=postgres port=5432"

// TestComposeSeed runs the compose quickstart as written, minus Docker: the
// demo roles' SQL in PostgreSQL, the seed script with OpenBao's own CLI
// (the compose network's "postgres:5432" is the only change), then
// postgres-password-vault with its input defaults, as the README tells a
// newcomer: a dry run, then a rotation, judged from Vault and PostgreSQL.
func TestComposeSeed(t *testing.T) {
	k := kestra(t)
	b, err := os.ReadFile(filepath.Join(env.Root, "docker", "compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var q quickstart
	if err := yaml.Unmarshal(b, &q); err != nil {
		t.Fatalf("docker/compose.yaml: %v", err)
	}
	for _, stmt := range strings.Split(q.Configs.DemoRoles.Content, ";") {
		if s := strings.TrimSpace(stmt); s != "" {
			env.PG.AdminExec(t, s)
		}
	}
	seed(t, q.Services.Seed.Entrypoint)
	grantDocumentedPolicy(t)

	const initial = "orders-initial-password" // the seed's, as a newcomer finds it
	f := &pgFixture{vc: vaulttest.Client(t, env.Bao.Addr, env.Bao.Token), user: "orders", path: "apps/orders/postgres",
		initial: initial, seen: []string{initial, "rotator-demo-password", "demo-superuser-password", env.PG.AdminPassword, env.Bao.Token, flowToken}}
	_, before := f.current(t)
	dry := k.run(t, "flows/postgres-password-vault.yaml", nil, map[string]string{"dry_run": "true"})
	dry.row(t, "postgres-password-vault (compose seed, dry run)")
	if _, v := f.current(t); dry.State != "SUCCESS" || v != before {
		t.Fatalf("dry run: got state %s and version %d (was %d), want SUCCESS and Vault unchanged\n%s", dry.State, v, before, dry)
	}
	x := k.run(t, "flows/postgres-password-vault.yaml", nil, map[string]string{})
	x.row(t, "postgres-password-vault (compose seed)")
	cur, after := f.current(t)
	if x.State != "SUCCESS" || after != before+1 || !f.logsIn(cur) || f.logsIn(initial) {
		t.Errorf("rotation: got state %s, version %d (was %d), new logs in %v, seed's logs in %v; want SUCCESS, a new CURRENT, the seed's password refused\n%s",
			x.State, after, before, f.logsIn(cur), f.logsIn(initial), x)
	}
	scan(t, dry, f.seen)
	scan(t, x, append(f.seen, cur))
}

// grantDocumentedPolicy adds docs/vault-rotation-policy.hcl as written (its
// apps/ folder, where the seed writes) to the policy of the engine's
// VAULT_TOKEN, which holds it for the fixtures' folder only: the compose
// gives Kestra a root token, a user the documented policy.
func grantDocumentedPolicy(t *testing.T) {
	t.Helper()
	c := vaulttest.Client(t, env.Bao.Addr, env.Bao.Token)
	tok, err := c.Auth().Token().Lookup(flowToken)
	if err != nil {
		t.Fatalf("look up the engine's token: %v", err)
	}
	policies, _ := tok.TokenPolicies()
	doc, err := os.ReadFile(filepath.Join(env.Root, "docs", "vault-rotation-policy.hcl"))
	if err != nil || len(policies) != 1 {
		t.Fatalf("got policies %v (want one) and the documented policy: %v", policies, err)
	}
	// and to the policy of the AppRole the package's engine logs in with
	for _, p := range []string{policies[0], flowLogin.Policy} {
		have, err := c.Sys().GetPolicy(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Sys().PutPolicy(p, have+"\n"+string(doc)); err != nil {
			t.Fatalf("write policy: %v", err)
		}
	}
}

// loopbackName is a name for the test's servers that the pack does not
// take for loopback, as "postgres" on the compose network is not: the
// machine's host name when it resolves to loopback addresses only (so the
// seed's TLS setting is what lets the rotation connect), else 127.0.0.1.
func loopbackName(t *testing.T) string {
	name, err := os.Hostname()
	if err != nil || core.IsLoopback(name) {
		return "127.0.0.1"
	}
	addrs, err := net.LookupHost(name)
	if err != nil || len(addrs) == 0 || slices.ContainsFunc(addrs, func(a string) bool { return !core.IsLoopback(a) }) {
		t.Logf("host name %q does not resolve to loopback only (%v, %v): the seed's TLS setting goes unchecked", name, addrs, err)
		return "127.0.0.1"
	}
	return name
}

// seed runs the compose seed's script (entrypoint /bin/sh -c SCRIPT) with
// OpenBao's CLI against the test's OpenBao, PostgreSQL's address replaced.
func seed(t *testing.T, entrypoint []string) {
	t.Helper()
	if len(entrypoint) != 3 || entrypoint[0] != "/bin/sh" || entrypoint[1] != "-c" {
		t.Fatalf("seed entrypoint: got %q, want [/bin/sh -c SCRIPT]", entrypoint)
	}
	script := entrypoint[2]
	if n := strings.Count(script, composeHost); n != 2 {
		t.Fatalf("seed script: %q appears %d times, want 2 (the app's and the admin's secret)", composeHost, n)
	}
	script = strings.ReplaceAll(script, composeHost, "host="+loopbackName(t)+" port="+strconv.Itoa(env.PG.Port))
	bao, err := testsrv.BaoBinary()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", script)
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(bao)+":"+os.Getenv("PATH"), "HOME="+t.TempDir(),
		"BAO_ADDR="+env.Bao.Addr, "BAO_TOKEN="+env.Bao.Token)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("seed script: %v\n%s", err, out)
	}
}

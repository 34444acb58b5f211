package kestraengine

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Kestra 2.0.0's engine in process: its worker no longer reads a queue but
// fetches jobs from a worker controller over gRPC. kestra-check's Engine
// starts both in one JVM (Kestra's TestRunner does) once the configuration
// names the controller's port and gives the worker that one endpoint.

var (
	k20Once sync.Once
	k20     *engine
	k20Err  error
	k20Dir  string // its configuration file
)

// kestra20 returns the package's Kestra 2.0.0 engine (Process runner),
// started on first use with the 1.3.19 engine's secrets and settings.
func kestra20(t *testing.T) *engine {
	t.Helper()
	kestra(t) // the fixtures' token and prefix
	k20Once.Do(func() { k20, k20Err = startKestra20() })
	if k20Err != nil {
		t.Fatal(k20Err)
	}
	return k20
}

func startKestra20() (*engine, error) {
	dir, err := os.MkdirTemp("", "kestraengine-20-")
	if err != nil {
		return nil, err
	}
	k20Dir = dir
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	config := filepath.Join(dir, "kestra-2.0.yml")
	// the controller's gRPC port, and the worker's one static endpoint to it
	if err := os.WriteFile(config, []byte(fmt.Sprintf(`kestra:
  controller:
    port: %d
  worker:
    controllers:
      type: STATIC
      static:
        endpoints:
          - host: 127.0.0.1
            port: %[1]d
`, port)), 0o644); err != nil {
		return nil, err
	}
	return startEngine(env.Root, env.BinDir, engineOpts{version: "2.0.0", config: config},
		map[string]string{"VAULT_TOKEN": flowToken, "AWS_ACCESS_KEY_ID": awsKeyID, "AWS_SECRET_ACCESS_KEY": awsSecret},
		map[string]string{"VAULT_ADDR": env.Bao.Addr, "AWS_REGION": env.Moto.Region},
		[]string{"ROTATE_RETRY_INTERVAL=1", "AWS_ENDPOINT_URL=" + env.Moto.Endpoint, "AWS_EC2_METADATA_DISABLED=true",
			"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null"})
}

// TestKestra20 runs flows/postgres-password-vault.yaml (a rotation, and a
// wrong admin secret through errors:) in Kestra 2.0.0's engine, judged and
// leak-scanned as in 1.3.19's. Not the compliance report: 2.0 keeps task
// outputs out of the execution (its execution output store), and the
// Engine reads them from the task runs as 1.3 holds them, so the report's
// outputs cannot be judged yet (the execution succeeds).
func TestKestra20(t *testing.T) {
	k := kestra20(t)
	for _, tt := range pgVaultCases[:3] {
		if tt.dryRun {
			continue
		}
		t.Run("postgres-password-vault "+tt.name, func(t *testing.T) {
			// VAULT_TOKEN, the default method: no binary logs in
			if x := tt.run(t, k); x.logged("stage", "logged in by") {
				t.Errorf("stage logged in, with VAULT_TOKEN set\n%s", x)
			}
		})
	}
}

// TestKestra20RotateOverdue runs flows/rotate-overdue.yaml over 12 secrets
// (OpenBao and moto, PostgreSQL and Redis; one not opted in, one planted
// failure) in Kestra 2.0.0's engine. 2.0 keeps task outputs out of the task
// runs the Engine reads, so the execution is judged by its state, its
// summary log lines and each secret's store and server, the failed step's
// exit code included (through rotate-secret's failed or exits output - which
// one, the Engine cannot see here, as it cannot see 2.0's task outputs).
func TestKestra20RotateOverdue(t *testing.T) {
	k := kestra20(t)
	f := newFleet(t, 12)
	time.Sleep(2 * time.Second) // every secret older than max_age 1s
	x := k.run(t, "flows/rotate-overdue.yaml", fleetFlows, f.inputs(4))
	x.row(t, "rotate-overdue (12 secrets, parallelism 4)")
	planted := f.secrets[3]
	for _, want := range []string{"summary: 10 rotated, 1 failed, 1 skipped", "failed: " + planted.ref + " at deploy (exit 2)"} {
		if !x.logged("summary", want) {
			t.Errorf("no summary line %q", want)
		}
	}
	for _, l := range x.Logs {
		if l.TaskID == "summary" {
			t.Logf("summary: %s", l.Message)
		}
	}
	if x.State != "FAILED" {
		t.Errorf("got state %s, want FAILED (a rotation failed)", x.State)
	}
	if t.Failed() {
		t.Logf("%s", x)
	}
	values := append([]string{}, f.seen...)
	for _, m := range f.secrets {
		cur := f.current(t, m)
		values = append(values, cur)
		if unchanged := m.optOut || m.planted; unchanged != (cur == m.initial) || !m.logsIn(cur) || (!unchanged && m.logsIn(m.initial)) {
			t.Errorf("%s: want CURRENT %s, logging in, the old password refused if rotated", m.ref, map[bool]string{true: "unchanged", false: "new"}[unchanged])
		}
	}
	scan(t, x, values)
}

package flowrun_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"
	"github.com/jackc/pgx/v5"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/flowrun"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/testsrv"
	"github.com/kestra-rotation/rotation-pack/rotators/vault/vaulttest"
)

// env holds the servers and binaries shared by the package's tests.
var env testsrv.Env

func TestMain(m *testing.M) {
	os.Exit(testsrv.Main(m, testsrv.Needs{Bao: true, Postgres: true, Moto: true, GCPSM: true, AzKV: true, MariaDB: true, Redis: true, Kube: true, Binaries: true}, &env))
}

func needServers(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: needs OpenBao and PostgreSQL")
	}
}

// fixture is one application role, its secret in Vault, an admin secret, a
// Vault token holding only the documented rotation policy, and every secret
// value the test has seen (for the leak check).
type fixture struct {
	vc        *api.Client
	token     string // the token the flow gets as secret('VAULT_TOKEN')
	path      string // the secret is secret/<path>
	user      string
	secretRef string
	adminRef  string
	initial   core.Value
	seen      seenValues
}

// newFixture creates a login role in a group role that holds its
// privileges, stores its credential in Vault, and stores the credential of
// a CREATEROLE-only admin role (as docs/targets/postgres.md documents) at
// its own path.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{vc: vaulttest.Client(t, env.Bao.Addr, env.Bao.Token), user: "app_" + conformance.RandomID(""), seen: seenValues{}}
	prefix := "flowrun-" + conformance.RandomID("") + "/"
	f.token = vaulttest.PolicyToken(t, f.vc, prefix)
	pw, adminUser, adminPW := conformance.RandomID("initial-"), "rotator_"+conformance.RandomID(""), conformance.RandomID("admin-")
	group := pgx.Identifier{f.user + "_group"}.Sanitize()
	env.PG.AdminExec(t, fmt.Sprintf("CREATE ROLE %s LOGIN CREATEROLE PASSWORD '%s'", adminUser, adminPW))
	env.PG.AdminExec(t, "CREATE ROLE "+group)
	env.PG.AdminExec(t, fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD '%s' IN ROLE %s", pgx.Identifier{f.user}.Sanitize(), pw, group))
	f.initial = dbValue(f.user, pw)
	f.path = prefix + "orders/postgres"
	f.secretRef = vaulttest.Put(t, f.vc, f.path, f.initial).String()
	f.adminRef = vaulttest.Put(t, f.vc, "rotation-admin/"+prefix+"orders/postgres", dbValue(adminUser, adminPW)).String()
	f.seen.see(pw, adminPW, env.PG.AdminPassword, env.Bao.Token, f.token)
	return f
}

func dbValue(user, password string) core.Value {
	v, err := core.ParseValue([]byte(`{"engine":"postgres","host":"127.0.0.1","dbname":"postgres"}`))
	if err != nil {
		panic(err)
	}
	return v.With("port", strconv.Itoa(env.PG.Port)).With("username", user).With("password", password)
}

// seenValues are the secret values a flow test saw, for its leak check.
type seenValues map[string]bool

func (s seenValues) see(values ...string) {
	for _, v := range values {
		if len(v) >= 6 {
			s[v] = true
		}
	}
}

// scan fails the test if any seen value appears in any task's logs,
// outputs or rendered script.
func (s seenValues) scan(t *testing.T, e *flowrun.Execution) {
	t.Helper()
	for _, tr := range e.TaskRuns {
		var b strings.Builder
		b.WriteString(tr.Script)
		for _, l := range tr.Logs {
			b.WriteString("\n" + l.Message)
		}
		for k, v := range tr.Outputs {
			fmt.Fprintf(&b, "\n%s=%v", k, v)
		}
		for v := range s {
			if strings.Contains(b.String(), v) {
				t.Errorf("leak: a secret value appears in task %s (logs, outputs or script)", tr.TaskID)
			}
		}
		if tr.Subflow != nil {
			s.scan(t, tr.Subflow)
		}
	}
	if len(s) < 4 {
		t.Errorf("leak check saw only %d secret values", len(s))
	}
}

// runFlow loads flows/<file>, runs it with r and inputs (retries do not
// wait), and logs the execution.
func runFlow(t *testing.T, file string, r *flowrun.Runner, inputs map[string]string) *flowrun.Execution {
	t.Helper()
	flow, err := flowrun.Load(filepath.Join(env.Root, "flows", file))
	if err != nil {
		t.Fatal(err)
	}
	r.BinDir, r.Sleep, r.Flows = env.BinDir, func(time.Duration) {}, flowrun.FlowsIn(filepath.Join(env.Root, "flows"))
	e, err := r.Run(context.Background(), flow, inputs)
	if err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	e.WriteLog(&log)
	t.Log("\n" + log.String())
	return e
}

// flowInputs are the inputs every PostgreSQL-style rotation flow takes.
func flowInputs(secret, admin, strategy string, dryRun bool) map[string]string {
	return map[string]string{"secret": secret, "admin_secret": admin, "strategy": strategy, "dry_run": strconv.FormatBool(dryRun)}
}

// run runs the flow with the fixture's secrets as inputs; before, if set,
// is called before each task.
func (f *fixture) run(t *testing.T, strategy string, dryRun bool, before func(string)) *flowrun.Execution {
	t.Helper()
	r := &flowrun.Runner{Secrets: map[string]string{"VAULT_TOKEN": f.token}, Envs: map[string]string{"VAULT_ADDR": env.Bao.Addr}, BeforeTask: before}
	return runFlow(t, "postgres-password-vault.yaml", r, flowInputs(f.secretRef, f.adminRef, strategy, dryRun))
}

// current reads CURRENT (the latest version) with the API client.
func (f *fixture) current(t *testing.T) (core.Value, int) {
	t.Helper()
	sec, err := f.vc.KVv2("secret").Get(context.Background(), f.path)
	if err != nil {
		t.Fatalf("read secret/%s: %v", f.path, err)
	}
	v, err := core.ValueFromMap(sec.Data)
	if err != nil {
		t.Fatal(err)
	}
	return v, sec.VersionMetadata.Version
}

// pending reads the PENDING envelope's value, if any.
func (f *fixture) pending(t *testing.T) (core.Value, bool) {
	t.Helper()
	sec, err := f.vc.KVv2("secret").Get(context.Background(), "_pending/"+f.path)
	if errors.Is(err, api.ErrSecretNotFound) || (err == nil && sec.Data == nil) {
		return core.Value{}, false
	}
	if err != nil {
		t.Fatalf("read PENDING: %v", err)
	}
	m, _ := sec.Data["value"].(map[string]any)
	v, err := core.ValueFromMap(m)
	if err != nil {
		t.Fatalf("PENDING value: %v", err)
	}
	f.seeValue(v)
	return v, true
}

func (f *fixture) seeValue(v core.Value) {
	pw, _ := v.String("password")
	f.seen.see(pw)
}

// seeAllVersions registers the password of every version of the secret.
func (f *fixture) seeAllVersions(t *testing.T) {
	t.Helper()
	_, n := f.current(t)
	for i := 1; i <= n; i++ {
		sec, err := f.vc.KVv2("secret").GetVersion(context.Background(), f.path, i)
		if err != nil || sec.Data == nil {
			continue
		}
		if v, err := core.ValueFromMap(sec.Data); err == nil {
			f.seeValue(v)
		}
	}
}

// checkLeaks fails if any secret value the test saw appears in any task's
// logs, outputs or rendered script.
func (f *fixture) checkLeaks(t *testing.T, e *flowrun.Execution) {
	t.Helper()
	f.seeAllVersions(t)
	f.seen.scan(t, e)
}

// login connects with creds directly with pgx, without the target package.
func login(creds core.Value) error {
	user, _ := creds.String("username")
	pw, _ := creds.String("password")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	u := url.URL{Scheme: "postgres", User: url.UserPassword(user, pw), Host: "127.0.0.1:" + creds.Text("port"), Path: "/postgres", RawQuery: "sslmode=disable"}
	conn, err := pgx.Connect(ctx, u.String())
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	return conn.QueryRow(ctx, "SELECT 1").Scan(new(int))
}

func wantTask(t *testing.T, e *flowrun.Execution, id string, exit int) {
	t.Helper()
	tr := e.TaskRun(id)
	if tr == nil {
		t.Errorf("task %s did not run", id)
	} else if tr.ExitCode != exit {
		t.Errorf("task %s: exit %d, want %d", id, tr.ExitCode, exit)
	}
}

// wantRotated checks a successful rotation: CURRENT moved one version and
// logs in, the old password is refused when oldRefused, no PENDING is left.
func (f *fixture) wantRotated(t *testing.T, before int, login func(core.Value) error, oldRefused bool) core.Value {
	t.Helper()
	cur, version := f.current(t)
	if version != before+1 {
		t.Errorf("CURRENT is version %d, want %d", version, before+1)
	}
	if err := login(cur); err != nil {
		t.Errorf("new CURRENT does not log in: %v", err)
	}
	if err := login(f.initial); oldRefused && err == nil {
		t.Error("the old password still logs in")
	}
	if _, ok := f.pending(t); ok {
		t.Error("PENDING left after a successful rotation")
	}
	return cur
}

// breakPGPassword changes a role's password behind the flow's back.
func breakPGPassword(t *testing.T, user string) {
	env.PG.AdminExec(t, fmt.Sprintf("ALTER ROLE %s PASSWORD '%s'", pgx.Identifier{user}.Sanitize(), conformance.RandomID("broken-")))
}

// sabotage returns a BeforeTask hook that, before validate, changes the
// password of PENDING's user behind the flow's back with breakIt, and a
// report of whether it did.
func (f *fixture) sabotage(t *testing.T, breakIt func(t *testing.T, user string)) (func(string), func() bool) {
	done := false
	return func(task string) {
		if task != "validate" {
			return
		}
		p, ok := f.pending(t)
		if !ok {
			t.Fatal("no PENDING before validate")
		}
		user, _ := p.String("username")
		breakIt(t, user)
		done = true
	}, func() bool { return done }
}

// wantRolledBack checks a rollback: no PENDING left, CURRENT unmoved and
// logging in.
func (f *fixture) wantRolledBack(t *testing.T, before int, login func(core.Value) error) {
	t.Helper()
	if _, ok := f.pending(t); ok {
		t.Error("PENDING left after rollback")
	}
	cur, version := f.current(t)
	if version != before {
		t.Errorf("CURRENT moved from version %d to %d", before, version)
	}
	if err := login(cur); err != nil {
		t.Errorf("CURRENT does not log in after rollback: %v", err)
	}
}

var allTasks = []string{"stage", "deploy", "validate", "promote", "revoke", "verify_old_refused"}

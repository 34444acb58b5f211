package kestraengine

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"
	"github.com/jackc/pgx/v5"

	"github.com/kestra-rotation/rotation-pack/rotators/awssm/awssmtest"
	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/gcpsm"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/testsrv"
	"github.com/kestra-rotation/rotation-pack/rotators/vault/vaulttest"
)

var (
	env testsrv.Env

	engineOnce sync.Once
	eng        *engine
	engErr     error
	prefix     string // every fixture's secrets are under secret/<prefix>
	flowToken  string // the secret('VAULT_TOKEN') of the other engines (2.0.0, Docker): the documented policy for prefix
	// flowLogin is how this engine's flows log in to Vault: AppRole, its
	// tokens holding the documented policy for prefix; the engine has no
	// VAULT_TOKEN at all (docs/stores/vault.md, "In Kestra").
	flowLogin vaulttest.Login
	// sidFile is the engine's VAULT_SECRET_ID_FILE, in sidDir: written by
	// flows/vault-approle-secret-id-rotate.yaml, read by every Vault task
	// once it exists (VAULT_SECRET_ID bootstraps)
	sidDir, sidFile string
	awsKeyID        string // the engine's AWS_ACCESS_KEY_ID: an IAM user with the documented policy
	awsSecret       string
	azSecret        string // the engine's AZURE_CLIENT_SECRET
	webhookKey      string // the engine's ROTATION_WEBHOOK_KEY
	// kubeconfig is the engine's KUBECONFIG setting: the file each
	// Kubernetes test writes its own service account's kubeconfig to.
	kubeconfig string
)

func TestMain(m *testing.M) {
	started := time.Now()
	code := testsrv.Main(m, testsrv.Needs{Bao: true, Postgres: true, Redis: true, Moto: true, GCPSM: true, AzKV: true, MariaDB: true, Kube: true, Binaries: true}, &env)
	if eng != nil {
		eng.stop()
	}
	if dockerEng != nil {
		dockerEng.stop()
	}
	if podmanSvc != nil {
		podmanSvc.stop()
	}
	if k20 != nil {
		k20.stop()
	}
	if k20Dir != "" {
		os.RemoveAll(k20Dir)
	}
	if sidDir != "" {
		os.RemoveAll(sidDir)
	}
	if kubeconfig != "" {
		os.Remove(kubeconfig)
	}
	if code == 0 && os.Getenv("KESTRAENGINE_TIMINGS") == "docs" && len(timings) > 0 {
		if err := writeTimings(env.Root, started); err != nil {
			fmt.Fprintf(os.Stderr, "write timings: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// kestra returns the package's engine, started on first use: Kestra reads
// its secrets once, at start, so one policy token serves every test.
func kestra(t *testing.T) *engine {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: needs Kestra's engine (JVM), OpenBao and PostgreSQL")
	}
	engineOnce.Do(func() {
		vc := vaulttest.Client(t, env.Bao.Addr, env.Bao.Token)
		prefix = "kengine-" + conformance.RandomID("") + "/"
		flowToken = vaulttest.PolicyToken(t, vc, prefix)
		flowLogin = vaulttest.AppRole(t, vc, prefix)
		roleID, secretID := flowLogin.Secrets[0], flowLogin.Secrets[1]
		// the role may rotate its own secret id into sidFile (secretid_test.go)
		if _, err := vc.Logical().Write("auth/"+flowLogin.Mount+"/role/rotation", map[string]any{
			"token_policies": []string{flowLogin.Policy, vaulttest.SecretIDPolicy(t, vc, env.Root, flowLogin.Mount)}}); err != nil {
			t.Fatal(err)
		}
		if sidDir, engErr = os.MkdirTemp("", "kengine-sid-"); engErr != nil {
			return
		}
		sidFile = filepath.Join(sidDir, "secret-id")
		azSecret = conformance.RandomID("sp-secret-")
		webhookKey = conformance.RandomID("hook-")
		awsKeyID, awsSecret = awssmtest.PolicyUser(t, env.Moto, "kengine-"+conformance.RandomID(""))
		kubeconfig = filepath.Join(os.TempDir(), "kengine-"+conformance.RandomID("")+".kubeconfig")
		eng, engErr = startEngine(env.Root, env.BinDir, engineOpts{version: "1.3.19"},
			map[string]string{"VAULT_SECRET_ID": secretID, "AWS_ACCESS_KEY_ID": awsKeyID, "AWS_SECRET_ACCESS_KEY": awsSecret,
				// the service principal's names, as a user defines them; the
				// double's managed identity (its Env) answers for it
				"AZURE_TENANT_ID": "00000000-0000-0000-0000-000000000000", "AZURE_CLIENT_ID": "11111111-1111-1111-1111-111111111111",
				"AZURE_CLIENT_SECRET": azSecret, "ROTATION_WEBHOOK_KEY": webhookKey},
			map[string]string{"VAULT_ADDR": env.Bao.Addr, "AWS_REGION": env.Moto.Region, "KUBECONFIG": kubeconfig,
				"VAULT_AUTH_METHOD": "approle", "VAULT_AUTH": "role_id=" + roleID + " mount=" + flowLogin.Mount + " secret_id_file=" + sidFile},
			// the flows' in-task retry of exit 3, shortened by configuration;
			// the worker's AWS endpoint is moto
			append([]string{"ROTATE_RETRY_INTERVAL=1", "AWS_ENDPOINT_URL=" + env.Moto.Endpoint, "AWS_EC2_METADATA_DISABLED=true",
				"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWSIAM_CONSISTENCY_WAIT=2s",
				gcpsm.EndpointEnv + "=" + env.GCPSM.Addr}, env.AzKV.Env()...))
	})
	if engErr != nil {
		t.Fatal(engErr)
	}
	return eng
}

// pgFixture is one PostgreSQL login role with its credential in Vault and a
// CREATEROLE admin credential at its own path, as docs/targets/postgres.md
// documents.
type pgFixture struct {
	vc        *api.Client
	path      string
	user      string
	initial   string
	secretRef string
	adminRef  string
	seen      []string
}

func newPGFixture(t *testing.T, adminPasswordWrong bool) *pgFixture {
	return newPGFixtureAt(t, adminPasswordWrong, env.PG.Port)
}

// newPGFixtureAt is newPGFixture with both credentials naming port (a
// closed one makes PostgreSQL unreachable: exit 3).
func newPGFixtureAt(t *testing.T, adminPasswordWrong bool, port int) *pgFixture {
	t.Helper()
	f := &pgFixture{vc: vaulttest.Client(t, env.Bao.Addr, env.Bao.Token), user: "app_" + conformance.RandomID("")}
	id := conformance.RandomID("")
	f.initial = conformance.RandomID("initial-")
	adminUser, adminPW := "rotator_"+conformance.RandomID(""), conformance.RandomID("admin-")
	group := pgx.Identifier{f.user + "_group"}.Sanitize()
	env.PG.AdminExec(t, fmt.Sprintf("CREATE ROLE %s LOGIN CREATEROLE PASSWORD '%s'", adminUser, adminPW))
	env.PG.AdminExec(t, "CREATE ROLE "+group)
	env.PG.AdminExec(t, fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD '%s' IN ROLE %s", pgx.Identifier{f.user}.Sanitize(), f.initial, group))
	storedAdminPW := adminPW
	if adminPasswordWrong {
		storedAdminPW = conformance.RandomID("wrong-")
	}
	f.path = prefix + id + "/postgres"
	f.secretRef = vaulttest.Put(t, f.vc, f.path, pgValue(f.user, f.initial, port)).String()
	f.adminRef = vaulttest.Put(t, f.vc, "rotation-admin/"+prefix+id+"/postgres", pgValue(adminUser, storedAdminPW, port)).String()
	f.seen = []string{f.initial, adminPW, storedAdminPW, env.PG.AdminPassword, env.Bao.Token, flowToken}
	return f
}

func pgValue(user, password string, port int) core.Value {
	v, err := core.ParseValue([]byte(`{"engine":"postgres","host":"127.0.0.1","dbname":"postgres"}`))
	if err != nil {
		panic(err)
	}
	return v.With("port", strconv.Itoa(port)).With("username", user).With("password", password)
}

// current returns the password and version Vault serves as CURRENT.
func (f *pgFixture) current(t *testing.T) (string, int) {
	t.Helper()
	s, err := f.vc.KVv2("secret").Get(context.Background(), f.path)
	if err != nil {
		t.Fatalf("read secret/%s: %v", f.path, err)
	}
	pw, _ := s.Data["password"].(string)
	return pw, s.VersionMetadata.Version
}

func (f *pgFixture) logsIn(password string) bool {
	ctx := context.Background()
	c, err := pgx.Connect(ctx, env.PG.DSN(f.user, password, "postgres"))
	if err != nil {
		return false
	}
	c.Close(ctx)
	return true
}

// scan fails the test if a secret value appears in anything Kestra stored
// for the execution: task outputs and every log line, child executions'
// included. It returns how many values it looked for and found.
func scan(t *testing.T, x *execution, values []string) (checked, leaked int) {
	t.Helper()
	b, err := json.Marshal(struct {
		T []taskRun
		L []logLine
	}{x.TaskRuns, x.Logs})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, v := range append(values, flowLogin.Secrets...) {
		if len(v) < 6 {
			continue
		}
		n++
		if strings.Contains(string(b), v) {
			leaked++
			t.Errorf("leak: a secret value appears in what Kestra stored for execution %s", x.ID)
		}
	}
	if n < 5 || len(x.Logs) == 0 {
		t.Errorf("leak scan saw %d values and %d log lines", n, len(x.Logs))
	}
	return n, leaked
}

// TestPostgresVault runs flows/postgres-password-vault.yaml in Kestra's
// engine and judges each execution from Vault and PostgreSQL.
func TestPostgresVault(t *testing.T) {
	k := kestra(t)
	for _, tt := range pgVaultCases {
		t.Run(tt.name, func(t *testing.T) {
			// no VAULT_TOKEN in the engine: stage logged in by AppRole
			if x := tt.run(t, k); !x.logged("stage", "logged in by approle at auth/"+flowLogin.Mount) {
				t.Errorf("stage's audit lines do not say it logged in by approle\n%s", x)
			}
		})
	}
}

// pgVaultCase is one execution of flows/postgres-password-vault.yaml.
type pgVaultCase struct {
	name       string
	dryRun     bool
	wrongAdmin bool
	wantState  string
	wantTasks  map[string]string // task id -> state
	wantNew    bool              // a new CURRENT, the old password refused
	closedPort bool              // both credentials name a closed port: exit 3
	wantTries  int               // deploy attempts inside the task (retry_exit3)
}

var pgVaultCases = []pgVaultCase{
	{"single", false, false, "SUCCESS", map[string]string{"stage": "SUCCESS", "deploy": "SUCCESS", "validate": "SUCCESS",
		"promote": "SUCCESS", "revoke": "SUCCESS", "verify_old_refused": "SUCCESS"}, true, false, 1},
	{"dry run", true, false, "SUCCESS", map[string]string{"stage": "SUCCESS", "deploy": "SUCCESS", "validate": "SUCCESS", "promote": "SUCCESS"}, false, false, 1},
	// exit 2 (admin refused) fails deploy at once: no second try
	{"wrong admin secret, errors branch", false, true, "FAILED", map[string]string{"stage": "SUCCESS", "deploy": "FAILED", "rollback": "SUCCESS"}, false, false, 1},
	// exit 3 (unreachable) is tried 3 times, then errors: runs (its
	// postgres-deploy --stage current cannot reach the server either)
	{"unreachable, 3 tries, errors branch", false, false, "FAILED", map[string]string{"stage": "SUCCESS", "deploy": "FAILED", "rollback": "FAILED"}, false, true, 3},
}

// run runs the case in engine k, judges it from Vault and PostgreSQL and
// returns the execution.
func (tt pgVaultCase) run(t *testing.T, k *engine) *execution {
	port := env.PG.Port
	if tt.closedPort {
		port = closedPort(t)
	}
	f := newPGFixtureAt(t, tt.wrongAdmin, port)
	_, before := f.current(t)
	x := k.run(t, "flows/postgres-password-vault.yaml", nil, map[string]string{
		"secret": f.secretRef, "admin_secret": f.adminRef, "strategy": "single", "grace": "5s",
		"dry_run": strconv.FormatBool(tt.dryRun)})
	x.check(t, "postgres-password-vault ("+tt.name+")", tt.wantState, tt.wantTasks)
	outcome := map[bool]string{true: "dry-run", false: "rotated"}[tt.dryRun]
	if tt.wantState == "FAILED" {
		outcome = "failed"
	}
	if x.label("secret") != f.secretRef || x.label("store") != "vault" || x.label("target") != "postgres" || x.label("outcome") != outcome {
		t.Errorf("got labels %v, want secret, store vault, target postgres and outcome %s", x.Labels, outcome)
	}
	if tr := x.task("rollback"); tt.wantState == "SUCCESS" && tr != nil {
		t.Errorf("rollback ran in a successful execution")
	}
	if tr := x.task("deploy"); tr != nil && tr.State == "FAILED" && tr.Attempts != 1 {
		t.Errorf("deploy failed after %d attempts, want 1: only exit 3 is retried", tr.Attempts)
	}
	retries := 0
	for _, l := range x.Logs {
		if l.TaskID == "deploy" && strings.Contains(l.Message, "postgres-deploy exited 3") {
			retries++
		}
	}
	if retries != tt.wantTries-1 {
		t.Errorf("deploy was tried again %d times, want %d\n%s", retries, tt.wantTries-1, x)
	}
	cur, after := f.current(t)
	switch {
	case tt.wantNew:
		if after != before+1 || cur == f.initial || !f.logsIn(cur) || f.logsIn(f.initial) {
			t.Errorf("got version %d (was %d), new logs in %v, old logs in %v; want a new CURRENT that logs in and the old refused",
				after, before, f.logsIn(cur), f.logsIn(f.initial))
		}
	case tt.closedPort:
		if after != before || cur != f.initial {
			t.Errorf("got version %d (was %d); want Vault unchanged", after, before)
		}
	default:
		if after != before || cur != f.initial || !f.logsIn(f.initial) {
			t.Errorf("got version %d (was %d), initial logs in %v; want Vault and PostgreSQL unchanged", after, before, f.logsIn(f.initial))
		}
	}
	scan(t, x, append(f.seen, cur))
	return x
}

// TestSubflow runs flows/rotate-orders-db-password.yaml, which calls
// flows/rotate-secret.yaml with a Subflow task, and follows the child
// execution.
func TestSubflow(t *testing.T) {
	k := kestra(t)
	f := newPGFixture(t, false)
	_, before := f.current(t)
	x := k.run(t, "flows/rotate-orders-db-password.yaml", []string{"flows/rotate-secret.yaml"},
		map[string]string{"secret": f.secretRef, "admin_secret": f.adminRef})
	x.row(t, "rotate-orders-db-password -> rotate-secret")
	tr := rotatedThroughSubflow(t, x)
	cur, after := f.current(t)
	if after != before+1 || !f.logsIn(cur) || f.logsIn(f.initial) {
		t.Errorf("got version %d (was %d); want a new CURRENT that logs in and the old password refused", after, before)
	}
	if len(tr.Child.Logs) == 0 {
		t.Error("the child execution has no logs")
	}
	scan(t, x, append(f.seen, cur))
}

// rotatedThroughSubflow checks that x succeeded and that its task rotate
// started a rotate-secret execution whose every step succeeded, and returns
// that task run.
func rotatedThroughSubflow(t *testing.T, x *execution) *taskRun {
	t.Helper()
	if x.State != "SUCCESS" {
		t.Fatalf("got state %s, want SUCCESS\n%s", x.State, x)
	}
	tr := x.task("rotate")
	if tr == nil || tr.Child == nil || tr.Child.State != "SUCCESS" {
		t.Fatalf("task rotate: no successful child execution\n%s", x)
	}
	for _, id := range []string{"stage", "deploy", "validate", "promote", "revoke", "verify_old_refused"} {
		if c := tr.Child.task(id); c == nil || c.State != "SUCCESS" {
			t.Errorf("child task %s: got %v, want SUCCESS", id, c)
		}
	}
	return tr
}

// TestComplianceReport runs flows/rotation-compliance-report.yaml over one
// Vault folder holding one secret: the report is kept as output files.
func TestComplianceReport(t *testing.T) {
	complianceReport(t, kestra(t))
}

// complianceReport runs the compliance report in engine k, checks its
// outputs and returns the execution.
func complianceReport(t *testing.T, k *engine) *execution {
	t.Helper()
	f := newPGFixture(t, false)
	folder := "vault://secret/" + strings.TrimSuffix(f.path, "postgres")
	x := k.run(t, "flows/rotation-compliance-report.yaml", nil,
		map[string]string{"vault": "list", "vault_prefix": folder, "max_age": "3650d"})
	x.row(t, "rotation-compliance-report (vault)")
	if x.State != "SUCCESS" {
		t.Fatalf("got state %s, want SUCCESS\n%s", x.State, x)
	}
	tr := x.task("vault")
	if tr == nil {
		t.Fatalf("no vault task\n%s", x)
	}
	files, _ := tr.Outputs["outputFiles"].(map[string]any)
	vars, _ := tr.Outputs["vars"].(map[string]any)
	for _, tc := range []struct{ what, got, want string }{
		{"vault total", fmt.Sprint(vars["total"]), "1"},
		{"vault overdue", fmt.Sprint(vars["overdue"]), "0"},
		{"jsonl kept", fmt.Sprint(files["vault-inventory.jsonl"] != nil), "true"},
		{"csv kept", fmt.Sprint(files["vault-inventory.csv"] != nil), "true"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: got %s, want %s\n%s", tc.what, tc.got, tc.want, x)
		}
	}
	scan(t, x, f.seen)
	return x
}

// closedPort returns a local TCP port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

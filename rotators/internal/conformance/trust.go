package conformance

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/wirefake"
)

// TrustHarness is a target harness with an admin secret (AdminRef naming
// the server's host and port), and the target's wire protocol for the fake
// server: postgres, mysql or redis.
type TrustHarness struct {
	TargetHarness
	Admin core.Value // read from AdminRef by the suite
	Wire  string
}

type trustCase struct {
	t    *testing.T
	h    TrustHarness
	r    *Runner
	ref  core.Ref
	fake *wirefake.Fake
}

// AdminTrustSuite checks the rule of docs/security.md on admin credentials:
// the shared admin credential is only sent to a server the admin secret
// names (host and port, or its hosts list), never to one a secret-owning
// team or the flow operator chose.
func AdminTrustSuite(t *testing.T, target TargetHarness, wire string) {
	adminRef, err := core.ParseRef(target.AdminRef)
	if err != nil {
		t.Fatalf("harness AdminRef: %v", err)
	}
	tests := []struct {
		name string
		fn   func(c *trustCase)
	}{
		{"admin_without_host_refused", trustNoHost},
		{"admin_not_sent_to_the_secrets_host", trustSecretHost},
		{"admin_hosts_list_allows_a_fleet", trustHostsList},
		{"refused_admin_named_in_the_error", trustAdminRefused},
		{"app_credential_only_to_a_listed_server", trustAppEndpoint},
		{"awkward_passwords_never_leak", trustAwkward},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := target.Store.NewRunner(t, target.Env...)
			h := TrustHarness{TargetHarness: target, Wire: wire, Admin: target.Store.Inspect(t, r, adminRef).Current.Value}
			ref, _ := h.NewAccount(t, r, core.Single)
			tc.fn(&trustCase{t: t, h: h, r: r, ref: ref, fake: wirefake.Start(t, h.Wire)})
		})
	}
}

// onFake stores a copy of the account's secret that names the fake server,
// as a team that owns its secret can.
func (c *trustCase) onFake() core.Ref {
	cur := c.h.Store.Inspect(c.t, c.r, c.ref).Current.Value
	return c.h.Store.NewSecret(c.t, cur.With("host", c.fake.Host()).With("port", c.fake.Port()).
		With("sslmode", "disable").With("tls", "false"))
}

// withAdmin is the harness with another admin secret holding v.
func (c *trustCase) withAdmin(v core.Value) TargetHarness {
	h := c.h.TargetHarness
	h.AdminRef = c.h.Store.NewSecret(c.t, v).String()
	return h
}

// deploy stages a rotation of ref and deploys it with h's admin secret.
func (c *trustCase) deploy(h TargetHarness, ref core.Ref, want int) Run {
	c.t.Helper()
	id := RandomID("rot-")
	name, a := h.Argv("stage", ref, id, core.Single)
	c.r.Must(c.t, 0, name, a...)
	name, a = h.Argv("deploy", ref, id, core.Single)
	run := c.r.Must(c.t, want, name, a...)
	name, a = h.Argv("rollback", ref, id, core.Single)
	c.r.Must(c.t, 0, name, a...)
	return run
}

// adminNeverOffered fails the test if the fake saw the admin's user or password.
func (c *trustCase) adminNeverOffered() {
	c.t.Helper()
	user, _ := c.h.Admin.String("username")
	pw, _ := c.h.Admin.String("password")
	for _, in := range c.fake.Logins() {
		if in.User == user || (pw != "" && in.Password == pw) {
			c.t.Errorf("the fake server %s:%s was offered the admin credential (user %q)", c.fake.Host(), c.fake.Port(), in.User)
		}
	}
}

func wantInError(t *testing.T, run Run, want string) {
	t.Helper()
	if !strings.Contains(run.Stderr, want) {
		t.Errorf("stderr %q: want it to contain %q", run.Stderr, want)
	}
}

// trustNoHost: an admin secret without host fails closed, whether the
// account's secret names a server of the team's or the real one.
func trustNoHost(c *trustCase) {
	h := c.withAdmin(c.h.Admin.Without("host", "port"))
	wantInError(c.t, c.deploy(h, c.onFake(), core.ExitUsage), `names no host`)
	c.adminNeverOffered()
	wantInError(c.t, c.deploy(h, c.ref, core.ExitUsage), `names no host`)
}

// trustSecretHost: the admin secret names the real server; a secret that
// names another is refused before the admin credential goes anywhere.
func trustSecretHost(c *trustCase) {
	wantInError(c.t, c.deploy(c.h.TargetHarness, c.onFake(), core.ExitUsage), "does not name")
	c.adminNeverOffered()
}

// trustHostsList: an admin secret whose hosts list names the server rotates
// accounts there, though its own host is elsewhere.
func trustHostsList(c *trustCase) {
	server := c.h.Admin.Text("host") + ":" + c.h.Admin.Text("port")
	admin, err := core.ParseValue([]byte(`{"hosts":["` + c.fake.Host() + `:1", "` + server + `"]}`))
	if err != nil {
		c.t.Fatal(err)
	}
	h := c.withAdmin(c.h.Admin.Merge(admin).With("host", c.fake.Host()).With("port", c.fake.Port()))
	id := RandomID("rot-")
	for _, step := range rotationSteps {
		name, a := h.Argv(step, c.ref, id, core.Single)
		c.r.Must(c.t, 0, name, a...)
	}
	if n := c.fake.Conns(); n != 0 {
		c.t.Errorf("the admin secret's own host got %d connections, want none: the account is on a server of its hosts list", n)
	}
}

// trustAdminRefused: a refused admin credential is named as such, with
// the server that refused it.
func trustAdminRefused(c *trustCase) {
	h := c.withAdmin(c.h.Admin.With("password", RandomID("wrong-")))
	wantInError(c.t, c.deploy(h, c.ref, core.ExitUsage), "admin credential was refused by")
}

// awkwardPasswords are values that broke rotation tools before: quoting,
// shell and JSON specials, separators Kestra's output lines must escape,
// a 30k value, and values equal to the user name or host, which are
// printed freely otherwise.
func awkwardPasswords(user, host string) []string {
	return []string{
		`it's "quoted" \\ back`, "$(id)`id`${IFS}", "nul\x00inside", "line\u2028sep\u2029x\u0085",
		"new\nline\r\n", "semi;colon|pipe&amp", "::{\"outputs\":{}}::", "%s%d%n%%", "\t tab and space ",
		strings.Repeat("long", 7500), user, host,
	}
}

// trustAwkward: each awkward password goes through the error paths of
// validate (PENDING not deployed: refused) and deploy (admin refused); the
// runner's leak check then scans every output for every value. Values equal
// to the user name or host get a runner of their own: earlier runs print
// them freely, as what they were then.
func trustAwkward(c *trustCase) {
	user, _ := c.h.Store.Inspect(c.t, c.r, c.ref).Current.Value.String("username")
	host := c.h.Admin.Text("host")
	bad := c.withAdmin(c.h.Admin.With("password", RandomID("wrong-")))
	for i, pw := range awkwardPasswords(user, host) {
		r := c.r
		if pw == user || pw == host {
			r = c.h.Store.NewRunner(c.t, c.h.Env...)
		}
		r.Secret(pw)
		id := RandomID(fmt.Sprintf("awk%d-", i))
		name, a := c.h.Argv("stage", c.ref, id, core.Single, "--stdin")
		v, _ := json.Marshal(map[string]string{"password": pw})
		if run := r.Exec(c.t, string(v), name, a...); run.Code != 0 {
			c.t.Fatalf("password %d: stage --stdin: %s", i, run)
		}
		for _, step := range [][]string{{"validate", "--stage", "pending"}, {"deploy"}} {
			name, a := bad.Argv(step[0], c.ref, id, core.Single, step[1:]...)
			if run := r.Exec(c.t, "", name, a...); run.Code == 0 {
				c.t.Errorf("password %d: %s: exit 0, want it to fail", i, step[0])
			}
		}
		name, a = c.h.Argv("rollback", c.ref, id, core.Single)
		r.Must(c.t, 0, name, a...)
	}
}

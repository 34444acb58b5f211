package flowrun_test

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/flowrun"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/testsrv"
	"github.com/kestra-rotation/rotation-pack/rotators/vault/vaulttest"
)

const fanoutFlow = "redis-acl-password-vault-fanout.yaml"

// fanout is one ACL user on three separate Redis servers (the package's
// server as primary and two started for the test as replicas), its secret
// in Vault without host or port (its hosts list names the three), and an
// admin valid on all three.
type fanout struct {
	*fixture
	servers            []*testsrv.Redis
	adminUser, adminPW string
}

func newFanout(t *testing.T) *fanout {
	t.Helper()
	fo := &fanout{fixture: &fixture{vc: vaulttest.Client(t, env.Bao.Addr, env.Bao.Token), user: "app_" + conformance.RandomID(""), seen: seenValues{}}}
	fo.servers = append([]*testsrv.Redis{env.Redis}, testsrv.StartRedisServers(t, 2)...)
	for _, r := range fo.servers[1:] {
		fo.seen.see(r.AdminPassword)
	}
	prefix := "flowrun-" + conformance.RandomID("") + "/"
	fo.token = vaulttest.PolicyToken(t, fo.vc, prefix)
	pw, adminUser, adminPW := conformance.RandomID("initial-"), "rotator_"+conformance.RandomID(""), conformance.RandomID("admin-")
	for _, s := range fo.servers {
		s.RotationUsers(t, fo.user, pw, adminUser, adminPW)
	}
	// The secret and the admin secret name the servers their credentials
	// may be sent to (docs/security.md).
	hosts, err := json.Marshal(strings.Split(fo.targets(), ","))
	if err != nil {
		t.Fatal(err)
	}
	list, err := core.ParseValue([]byte(`{"hosts":` + string(hosts) + `}`))
	if err != nil {
		t.Fatal(err)
	}
	fo.initial = list.With("engine", "redis").With("username", fo.user).With("password", pw)
	fo.path = prefix + "sessions/redis"
	fo.secretRef = vaulttest.Put(t, fo.vc, fo.path, fo.initial).String()
	admin := list.With("username", adminUser).With("password", adminPW).
		With("host", fo.servers[0].Host).With("port", strconv.Itoa(fo.servers[0].Port))
	fo.adminUser, fo.adminPW = adminUser, adminPW
	fo.adminRef = vaulttest.Put(t, fo.vc, "rotation-admin/"+prefix+"sessions/redis", admin).String()
	fo.seen.see(pw, adminPW, env.Redis.AdminPassword, env.Bao.Token, fo.token)
	return fo
}

func (fo *fanout) targets() string {
	var addrs []string
	for _, s := range fo.servers {
		addrs = append(addrs, s.Addr())
	}
	return strings.Join(addrs, ",")
}

func (fo *fanout) run(t *testing.T, mode, strategy string, before func(string)) *flowrun.Execution {
	t.Helper()
	r := &flowrun.Runner{Secrets: map[string]string{"VAULT_TOKEN": fo.token}, Envs: map[string]string{"VAULT_ADDR": env.Bao.Addr}, BeforeTask: before}
	return runFlow(t, fanoutFlow, r, map[string]string{"secret": fo.secretRef, "admin_secret": fo.adminRef,
		"targets": fo.targets(), "on_failure": mode, "strategy": strategy, "grace": "20s"})
}

// logsIn reports whether creds' password logs in on server i.
func (fo *fanout) logsIn(i int, creds core.Value) bool {
	pw, _ := creds.String("password")
	c := fo.servers[i].Client(fo.user, pw)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := c.Ping(ctx).Err()
	return err == nil || errors.Is(err, redis.Nil)
}

// breakReplica changes the user's password on server i behind the flow's back.
func (fo *fanout) breakReplica(t *testing.T, i int) {
	fo.servers[i].AdminDo(t, "ACL", "SETUSER", fo.user, "resetpass", ">"+conformance.RandomID("broken-"))
}

// wantLogins checks, server by server, whether creds log in.
func (fo *fanout) wantLogins(t *testing.T, what string, creds core.Value, want ...bool) {
	t.Helper()
	for i, w := range want {
		if got := fo.logsIn(i, creds); got != w {
			t.Errorf("%s on server %d: logs in %v, want %v", what, i, got, w)
		}
	}
}

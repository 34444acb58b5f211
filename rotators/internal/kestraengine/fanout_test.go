package kestraengine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/testsrv"
	"github.com/kestra-rotation/rotation-pack/rotators/vault/vaulttest"
)

// TestFanOut runs flows/redis-acl-password-vault-fanout.yaml over three
// Redis servers in Kestra's engine: every target takes the new password,
// and each task's outputs name every target although Kestra merges the
// ::{outputs}:: lines of a task key by key.
func TestFanOut(t *testing.T) {
	k := kestra(t)
	servers := append([]*testsrv.Redis{env.Redis}, testsrv.StartRedisServers(t, 2)...)
	var targets []string
	for _, s := range servers {
		targets = append(targets, s.Addr())
	}
	vc := vaulttest.Client(t, env.Bao.Addr, env.Bao.Token)
	user, pw := "app_"+conformance.RandomID(""), conformance.RandomID("initial-")
	adminUser, adminPW := "rotator_"+conformance.RandomID(""), conformance.RandomID("admin-")
	seen := []string{pw, adminPW, env.Bao.Token, flowToken}
	for _, s := range servers {
		s.RotationUsers(t, user, pw, adminUser, adminPW)
		seen = append(seen, s.AdminPassword)
	}
	id := conformance.RandomID("")
	path := prefix + id + "/sessions"
	// Both secrets name the servers their credentials may go to (docs/security.md).
	hosts, err := json.Marshal(targets)
	if err != nil {
		t.Fatal(err)
	}
	list, err := core.ParseValue([]byte(`{"hosts":` + string(hosts) + `}`))
	if err != nil {
		t.Fatal(err)
	}
	secretRef := vaulttest.Put(t, vc, path, list.With("engine", "redis").With("username", user).With("password", pw)).String()
	admin := list.With("username", adminUser).With("password", adminPW).With("host", servers[0].Host).With("port", strconv.Itoa(servers[0].Port))
	adminRef := vaulttest.Put(t, vc, "rotation-admin/"+prefix+id+"/sessions", admin).String()

	x := k.run(t, "flows/redis-acl-password-vault-fanout.yaml", nil, map[string]string{"secret": secretRef, "admin_secret": adminRef,
		"targets": strings.Join(targets, ","), "on_failure": "all-or-rollback", "strategy": "dual", "grace": "5s"})
	x.row(t, "redis-acl-password-vault-fanout (3 servers)")
	if x.State != "SUCCESS" {
		t.Fatalf("got state %s, want SUCCESS\n%s", x.State, x)
	}
	var exits []string
	for _, tg := range targets {
		exits = append(exits, tg+"=0")
	}
	all := strings.Join(targets, ",")
	for _, tc := range []struct{ task, key, want string }{
		{"deploy", "exits", strings.Join(exits, ",")},
		{"deploy", "ok_targets", all},
		{"validate", "exits", strings.Join(exits, ",")},
		{"validate", "ok_targets", all},
		{"revoke", "exits", strings.Join(exits, ",")},
		{"revoke", "revoked_targets", all},
		{"deploy", "changed", "<nil>"}, // no binary's own outputs survive
		{"revoke", "step", "<nil>"},
	} {
		tr := x.task(tc.task)
		if tr == nil {
			t.Fatalf("no task %s\n%s", tc.task, x)
		}
		vars, _ := tr.Outputs["vars"].(map[string]any)
		if got := fmt.Sprint(vars[tc.key]); got != tc.want {
			t.Errorf("%s outputs %s = %s, want %s", tc.task, tc.key, got, tc.want)
		}
	}
	s, err := vc.KVv2("secret").Get(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	cur, _ := s.Data["password"].(string)
	for i, srv := range servers {
		if !logsIn(srv, user, cur) || logsIn(srv, user, pw) {
			t.Errorf("server %d: want the new password accepted and the old one refused", i)
		}
	}
	scan(t, x, append(seen, cur))
}

func logsIn(s *testsrv.Redis, user, password string) bool {
	c := s.Client(user, password)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := c.Ping(ctx).Err()
	return err == nil || errors.Is(err, redis.Nil)
}

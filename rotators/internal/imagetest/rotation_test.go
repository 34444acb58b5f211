package imagetest

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/hashicorp/vault/api"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
	"github.com/kestra-rotation/rotation-pack/rotators/vault/vaulttest"
)

// TestRotationInContainer runs a single-user rotation of a PostgreSQL
// password kept in Vault, one container per step like one Kestra task per
// step, and checks the result from outside: Vault, PostgreSQL, the outputs.
func TestRotationInContainer(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs the image against OpenBao and PostgreSQL")
	}
	im := testImage(t)
	c := newContainers(t, im)
	ctx := context.Background()
	vc := vaulttest.Client(t, env.Bao.Addr, env.Bao.Token)

	// The runner runs podman itself, so that its leak check covers podman's
	// argv as well as every line the containers printed. Values reach podman
	// in its environment only; `-e NAME` hands them to the container. The
	// token holds only the documented policy (docs/vault-rotation-policy.hcl).
	token := vaulttest.PolicyToken(t, vc, "imagetest/")
	r := &conformance.Runner{
		BinDir: filepath.Dir(im.podman),
		Env:    append([]string{"VAULT_ADDR=" + env.Bao.Addr, "VAULT_TOKEN=" + token}, im.env...),
	}
	// The admin credential the steps use is not a superuser: CREATEROLE only.
	adminUser, adminPw := "rotator_"+conformance.RandomID(""), conformance.RandomID("admin-")
	r.Secret(token, env.Bao.Token, env.PG.AdminPassword, adminPw)
	adminExec(t, fmt.Sprintf("CREATE ROLE %s LOGIN CREATEROLE PASSWORD '%s'", adminUser, adminPw))

	user := "app_" + conformance.RandomID("")
	oldPw := conformance.RandomID("initial-")
	r.Secret(oldPw)
	group := pgx.Identifier{user + "_group"}.Sanitize()
	adminExec(t, "CREATE ROLE "+group)
	adminExec(t, fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD '%s' IN ROLE %s", pgx.Identifier{user}.Sanitize(), oldPw, group))
	path := "imagetest/pg-" + conformance.RandomID("")
	secret := vaulttest.Put(t, vc, path, dbValue(user, oldPw)).String()
	admin := vaulttest.Put(t, vc, "rotation-admin/imagetest-pg-"+conformance.RandomID(""), dbValue(adminUser, adminPw)).String()
	rotation := conformance.RandomID("imagetest-")

	common := fmt.Sprintf("--secret %s", secret)
	steps := []struct {
		name, args string
		opts       []string
		want       map[string]any
	}{
		{"vault-stage", "--rotation " + rotation, nil, map[string]any{"changed": true, "strategy": "single", "username": user}},
		{"postgres-deploy", "--rotation " + rotation + " --admin-secret " + admin, nil, map[string]any{"changed": true}},
		{"postgres-validate", "", nil, map[string]any{"stage": "pending", "accepted": true}},
		{"vault-promote", "--rotation " + rotation, nil, map[string]any{"changed": true}},
		{"postgres-revoke", "--rotation " + rotation + " --admin-secret " + admin, nil, nil},
		{"postgres-validate", "--stage previous --expect-reject", []string{"-w", "/tmp"}, map[string]any{"stage": "previous", "accepted": false}},
	}
	outs := map[string]map[string]any{}
	for i, s := range steps {
		command := fmt.Sprintf("%s %s %s", s.name, common, s.args)
		run := r.Exec(t, "", "podman", c.runArgs(s.opts, []string{"VAULT_ADDR", "VAULT_TOKEN"}, command)...)
		if run.Code != 0 {
			t.Fatalf("step %d %s: got exit %d, want 0\nstdout:\n%s\nstderr:\n%s", i+1, s.name, run.Code, run.Stdout, run.Stderr)
		}
		want := map[string]any{"step": s.name, "secret": secret}
		for k, v := range s.want {
			want[k] = v
		}
		for k, w := range want {
			if g := run.Outputs[k]; g != w {
				t.Errorf("step %d %s: output %s: got %v, want %v\nstdout:\n%s", i+1, s.name, k, g, w, run.Stdout)
			}
		}
		outs[fmt.Sprintf("%d %s", i+1, s.name)] = run.Outputs
	}
	if g := outs["1 vault-stage"]["pending_version"]; g == nil || g == "" {
		t.Errorf("vault-stage: got pending_version %v, want one", g)
	}
	if g, w := outs["6 postgres-validate"]["version"], outs["4 vault-promote"]["previous_version"]; g == nil || g != w {
		t.Errorf("validate --stage previous: got version %v, want the promoted-over version %v", g, w)
	}

	// Vault: CURRENT holds the new password, made by this rotation; no PENDING left.
	cur, err := vc.KVv2("secret").Get(ctx, path)
	if err != nil {
		t.Fatalf("read %s: %v", secret, err)
	}
	newPw, _ := cur.Data["password"].(string)
	r.Secret(newPw)
	if newPw == "" || newPw == oldPw {
		t.Errorf("CURRENT password: got empty or unchanged, want a new one")
	}
	if g := cur.Data["username"]; g != user {
		t.Errorf("CURRENT username: got %v, want %s", g, user)
	}
	if g, w := strconv.Itoa(cur.VersionMetadata.Version), fmt.Sprint(outs["4 vault-promote"]["current_version"]); g != w {
		t.Errorf("CURRENT version: got %s, want %s (vault-promote's current_version)", g, w)
	}
	if g := cur.CustomMetadata["rotation_id"]; g != rotation {
		t.Errorf("CURRENT rotation_id: got %v, want %s", g, rotation)
	}
	if _, err := vc.KVv2("secret").Get(ctx, "_pending/"+path); !errors.Is(err, api.ErrSecretNotFound) {
		t.Errorf("secret/_pending/%s: got %v, want not found", path, err)
	}

	// PostgreSQL, from the test process: the new password logs in, the old one is refused.
	if err := login(ctx, user, newPw); err != nil {
		t.Errorf("login with the new password: got %v, want success", err)
	}
	var pgErr *pgconn.PgError
	if err := login(ctx, user, oldPw); !errors.As(err, &pgErr) || pgErr.Code != "28P01" {
		t.Errorf("login with the old password: got %v, want SQLSTATE 28P01 (invalid_password)", err)
	}

	if runs := r.Runs(); runs != len(steps) {
		t.Errorf("got %d container runs, want %d", runs, len(steps))
	}
	r.CheckLeaks(t) // initial, new and admin passwords and the token, in every stdout, stderr and argv
}

func dbValue(user, password string) core.Value {
	v, err := core.ParseValue([]byte(`{"engine":"postgres","dbname":"postgres"}`))
	if err != nil {
		panic(err)
	}
	return v.With("host", env.PG.Host).With("port", strconv.Itoa(env.PG.Port)).
		With("username", user).With("password", password)
}

func adminExec(t testing.TB, sql string) { t.Helper(); env.PG.AdminExec(t, sql) }

// login connects as user with password and runs a probe query.
func login(ctx context.Context, user, password string) error {
	conn, err := pgx.Connect(ctx, env.PG.DSN(user, password, "postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	return conn.QueryRow(ctx, "SELECT 1").Scan(new(int))
}

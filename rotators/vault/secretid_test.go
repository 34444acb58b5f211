package vault_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/vault/api"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
	"github.com/kestra-rotation/rotation-pack/rotators/vault/vaulttest"
)

// TestSecretIDRotate: vault-secret-id-rotate, run three times by an AppRole
// whose tokens hold the rotation policy and the secret id policy of
// docs/stores/vault.md. After each run the file holds a new secret id that
// logs in; the one the run logged in with still logs in (the overlap), the
// one before it is refused; a token issued before its secret id was
// destroyed keeps working; a rotation step logs in from the file. No output
// holds a secret id or a token.
func TestSecretIDRotate(t *testing.T) {
	if testing.Short() {
		t.Skip("needs an OpenBao server")
	}
	vc := vaulttest.Client(t, env.Bao.Addr, env.Bao.Token)
	mount := "approle-" + conformance.RandomID("")
	if err := vc.Sys().EnableAuthWithOptions(mount, &api.EnableAuthOptions{Type: "approle"}); err != nil {
		t.Fatal(err)
	}
	sidPolicy := vaulttest.SecretIDPolicy(t, vc, env.Root, mount)
	role := "auth/" + mount + "/role/rotation"
	mustWrite(t, vc, role, map[string]any{"token_policies": []string{vaulttest.Policy(t, vc, "conformance/"), sidPolicy},
		"token_no_default_policy": true, "token_ttl": "10m", "token_max_ttl": "30m", "secret_id_ttl": "1h"})
	roleSec, err := vc.Logical().Read(role + "/role-id")
	if err != nil {
		t.Fatal(err)
	}
	roleID := roleSec.Data["role_id"].(string)
	boot := mustWrite(t, vc, role+"/secret-id", nil).Data["secret_id"].(string)
	// an unrelated secret id of the role, made by hand: the first run destroys it
	stray := mustWrite(t, vc, role+"/secret-id", nil).Data["secret_id"].(string)

	file := filepath.Join(t.TempDir(), "secret-id")
	r := &conformance.Runner{BinDir: env.BinDir, Env: []string{"VAULT_ADDR=" + env.Bao.Addr, "VAULT_AUTH_METHOD=approle",
		"VAULT_AUTH=role_id=" + roleID + " mount=" + mount + " secret_id_file=" + file, "VAULT_SECRET_ID=" + boot}}
	r.Secret(roleID, boot, stray)
	r.Pattern(vaulttest.TokenPattern)
	t.Cleanup(func() { r.CheckLeaks(t) })
	login := func(sid string) (string, error) {
		c := vaulttest.Client(t, env.Bao.Addr, "")
		c.ClearToken()
		sec, err := c.Logical().Write("auth/"+mount+"/login", map[string]any{"role_id": roleID, "secret_id": sid})
		if err != nil {
			return "", err
		}
		return sec.Auth.ClientToken, nil
	}
	before, err := login(boot)
	if err != nil {
		t.Fatalf("the bootstrap secret id does not log in: %v", err)
	}
	r.Secret(before)

	ids := []string{boot}
	for run := 1; run <= 3; run++ {
		res := r.Must(t, 0, "vault-secret-id-rotate")
		if !strings.Contains(res.Stdout, `"destroyed":`) {
			t.Errorf("run %d: no destroyed output:\n%s", run, res.Stdout)
		}
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if st, _ := os.Stat(file); st.Mode().Perm() != 0o600 {
			t.Errorf("run %d: the secret id file has mode %v; want 0600", run, st.Mode().Perm())
		}
		fresh := strings.TrimSpace(string(b))
		r.Secret(fresh)
		ids = append(ids, fresh)
		for i, sid := range ids {
			_, err := login(sid)
			// valid: the newest and the one the run logged in with
			if want := i >= len(ids)-2; (err == nil) != want {
				t.Errorf("run %d: secret id #%d of %d logs in: %v; want %v", run, i, len(ids)-1, err == nil, want)
			}
		}
		if _, err := login(stray); err == nil {
			t.Errorf("run %d: the stray secret id still logs in", run)
		}
		// the login made with the bootstrap secret id, destroyed at run 2
		if _, err := vaulttest.Client(t, env.Bao.Addr, before).KVv2("secret").Get(t.Context(), "conformance/none"); err != nil && !strings.Contains(err.Error(), "secret not found") {
			t.Errorf("run %d: the token issued before the rotation no longer works: %v", run, err)
		}
	}
	// a rotation step of a flow logs in from the file
	h := vaulttest.LoginHarness(t, env.Bao.Addr, env.Bao.Token, env.BinDir, vaulttest.Login{Env: r.Env, Secrets: ids})
	sr := h.NewRunner(t)
	ref := h.NewSecret(t, conformance.DBValue(sr, "app"))
	sr.Must(t, 0, "vault-stage", "--secret", ref.String(), "--rotation", conformance.RandomID("rot-"))

	for _, tt := range []struct {
		name string
		env  []string
	}{
		{"no secret id file", []string{"VAULT_ADDR=" + env.Bao.Addr, "VAULT_AUTH_METHOD=approle", "VAULT_ROLE_ID=" + roleID, "VAULT_AUTH_MOUNT=" + mount, "VAULT_SECRET_ID=" + ids[len(ids)-1]}},
		{"a destroyed secret id", []string{"VAULT_ADDR=" + env.Bao.Addr, "VAULT_AUTH_METHOD=approle", "VAULT_ROLE_ID=" + roleID, "VAULT_AUTH_MOUNT=" + mount,
			"VAULT_SECRET_ID=" + boot, "VAULT_SECRET_ID_FILE=" + filepath.Join(t.TempDir(), "none")}},
		{"a token instead", []string{"VAULT_ADDR=" + env.Bao.Addr, "VAULT_TOKEN=" + before, "VAULT_AUTH_METHOD=approle"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			bad := &conformance.Runner{BinDir: env.BinDir, Env: tt.env}
			bad.Secret(ids...)
			bad.Secret(roleID, before)
			bad.Pattern(vaulttest.TokenPattern)
			bad.Must(t, core.ExitUsage, "vault-secret-id-rotate")
			bad.CheckLeaks(t)
		})
	}
}

func mustWrite(t *testing.T, c *api.Client, path string, data map[string]any) *api.Secret {
	t.Helper()
	sec, err := c.Logical().Write(path, data)
	if err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
	return sec
}

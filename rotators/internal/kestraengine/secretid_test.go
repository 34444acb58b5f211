package kestraengine

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/kestra-rotation/rotation-pack/rotators/vault/vaulttest"
)

// TestSecretIDRotateFlow runs flows/vault-approle-secret-id-rotate.yaml
// twice in the engine whose Vault tasks log in by AppRole: after each run
// the engine's VAULT_SECRET_ID_FILE holds a new secret id, the newest two
// log in and the older ones are refused (the bootstrap VAULT_SECRET_ID
// after the second run), a token issued before the rotation keeps working,
// and postgres-password-vault still rotates, reading the file. Every
// secret id joins the leak scan of this and every later execution.
func TestSecretIDRotateFlow(t *testing.T) {
	k := kestra(t)
	roleID, boot := flowLogin.Secrets[0], flowLogin.Secrets[1]
	if _, err := os.Stat(sidFile); err == nil {
		t.Fatalf("%s exists before the first rotation", sidFile)
	}
	login := func(sid string) (string, error) {
		c := vaulttest.Client(t, env.Bao.Addr, "")
		c.ClearToken()
		sec, err := c.Logical().Write("auth/"+flowLogin.Mount+"/login", map[string]any{"role_id": roleID, "secret_id": sid})
		if err != nil {
			return "", err
		}
		return sec.Auth.ClientToken, nil
	}
	before, err := login(boot)
	if err != nil {
		t.Fatalf("the bootstrap secret id does not log in: %v", err)
	}
	ids := []string{boot}
	for run := 1; run <= 2; run++ {
		x := k.run(t, "flows/vault-approle-secret-id-rotate.yaml", nil, nil)
		x.check(t, "vault-approle-secret-id-rotate (run "+strconv.Itoa(run)+")", "SUCCESS", map[string]string{"rotate": "SUCCESS"})
		b, err := os.ReadFile(sidFile)
		if err != nil {
			t.Fatal(err)
		}
		fresh := strings.TrimSpace(string(b))
		ids = append(ids, fresh)
		flowLogin.Secrets = append(flowLogin.Secrets, fresh)
		scan(t, x, []string{before, env.Bao.Token, flowToken})
		for i, sid := range ids {
			if _, err := login(sid); (err == nil) != (i >= len(ids)-2) {
				t.Errorf("run %d: secret id #%d of %d logs in: %v; want %v", run, i, len(ids)-1, err == nil, i >= len(ids)-2)
			}
		}
		if _, err := vaulttest.Client(t, env.Bao.Addr, before).KVv2("secret").Get(t.Context(), prefix+"none"); err == nil || !strings.Contains(err.Error(), "secret not found") {
			t.Errorf("run %d: the token issued from the bootstrap secret id: got %v; want it to work (secret not found)", run, err)
		}
		// the Vault tasks now log in with the file
		pgVaultCases[0].run(t, k)
	}
}

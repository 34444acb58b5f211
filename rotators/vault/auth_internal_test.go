package vault

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/hashicorp/vault/api/auth/approle"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// TestLoginMethod: which login the environment chooses, and which
// combinations are refused as bad configuration (exit 2) before any call.
func TestLoginMethod(t *testing.T) {
	dir := t.TempDir()
	roleFile := filepath.Join(dir, "role-id")
	if err := os.WriteFile(roleFile, []byte("role-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  map[string]string
		want any // nil: VAULT_TOKEN; a zero value of the method's type; an error
	}{
		{"token wins over a method", map[string]string{"VAULT_TOKEN": "t", EnvAuthMethod: "approle"}, nil},
		{"nothing set", map[string]string{}, core.ErrUsage},
		{"unknown method", map[string]string{EnvAuthMethod: "userpass"}, core.ErrUsage},
		{"approle", map[string]string{EnvAuthMethod: "approle", EnvRoleID: "r", EnvSecretID: "s"}, &approle.AppRoleAuth{}},
		{"approle upper case, files", map[string]string{EnvAuthMethod: "AppRole", EnvRoleIDFile: roleFile, EnvSecretIDFile: roleFile}, &approle.AppRoleAuth{}},
		{"approle wrapped", map[string]string{EnvAuthMethod: "approle", EnvRoleID: "r", EnvSecretID: "s", EnvSecretIDWrapped: "true"}, &approle.AppRoleAuth{}},
		{"approle wrapped not a bool", map[string]string{EnvAuthMethod: "approle", EnvRoleID: "r", EnvSecretID: "s", EnvSecretIDWrapped: "yes please"}, core.ErrUsage},
		{"approle without role id", map[string]string{EnvAuthMethod: "approle", EnvSecretID: "s"}, core.ErrUsage},
		{"approle without secret id", map[string]string{EnvAuthMethod: "approle", EnvRoleID: "r"}, core.ErrUsage},
		{"approle secret id file and env", map[string]string{EnvAuthMethod: "approle", EnvRoleID: "r", EnvSecretID: "s", EnvSecretIDFile: roleFile}, &approle.AppRoleAuth{}},
		{"approle secret id file not written yet", map[string]string{EnvAuthMethod: "approle", EnvRoleID: "r", EnvSecretID: "s", EnvSecretIDFile: filepath.Join(dir, "none")}, &approle.AppRoleAuth{}},
		{"token method without a token", map[string]string{EnvAuthMethod: "token"}, core.ErrUsage},
		{"token method with a token", map[string]string{EnvAuthMethod: "token", "VAULT_TOKEN": "t"}, nil},
		{"settings in VAULT_AUTH", map[string]string{EnvAuthMethod: "approle", EnvAuth: "role_id=r  mount=approle-x", EnvSecretID: "s"}, &approle.AppRoleAuth{}},
		{"kubernetes role in VAULT_AUTH", map[string]string{EnvAuthMethod: "kubernetes", EnvAuth: "role=rotation"}, kubernetesLogin{}},
		{"VAULT_AUTH unknown key", map[string]string{EnvAuthMethod: "approle", EnvAuth: "role_id=r secret_id=s"}, core.ErrUsage},
		{"VAULT_AUTH word without value", map[string]string{EnvAuthMethod: "approle", EnvAuth: "role_id", EnvSecretID: "s"}, core.ErrUsage},
		{"VAULT_AUTH key twice", map[string]string{EnvAuthMethod: "approle", EnvAuth: "role_id=r role_id=q", EnvSecretID: "s"}, core.ErrUsage},
		{"VAULT_AUTH disagrees with a variable", map[string]string{EnvAuthMethod: "approle", EnvAuth: "role_id=r", EnvRoleID: "q", EnvSecretID: "s"}, core.ErrUsage},
		{"VAULT_AUTH agrees with a variable", map[string]string{EnvAuthMethod: "approle", EnvAuth: "role_id=r", EnvRoleID: "r", EnvSecretID: "s"}, &approle.AppRoleAuth{}},
		{"approle role id twice", map[string]string{EnvAuthMethod: "approle", EnvRoleID: "r", EnvRoleIDFile: roleFile, EnvSecretID: "s"}, core.ErrUsage},
		{"approle role id file missing", map[string]string{EnvAuthMethod: "approle", EnvRoleIDFile: filepath.Join(dir, "none"), EnvSecretID: "s"}, core.ErrUsage},
		{"kubernetes", map[string]string{EnvAuthMethod: "kubernetes", EnvAuthRole: "rotation"}, kubernetesLogin{}},
		{"kubernetes without role", map[string]string{EnvAuthMethod: "kubernetes"}, core.ErrUsage},
		{"jwt", map[string]string{EnvAuthMethod: "jwt", EnvAuthJWTFile: roleFile}, jwtLogin{}},
		{"jwt without file", map[string]string{EnvAuthMethod: "jwt", EnvAuthRole: "rotation"}, core.ErrUsage},
		{"mount with ..", map[string]string{EnvAuthMethod: "jwt", EnvAuthJWTFile: roleFile, EnvAuthMount: "../sys"}, core.ErrUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := loginMethod(func(k string) string { return tt.env[k] })
			if wantErr, ok := tt.want.(error); ok {
				if !errors.Is(err, wantErr) {
					t.Errorf("got %T, %v; want %v", got, err, wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v; want %T", err, tt.want)
			}
			if reflect.TypeOf(got) != reflect.TypeOf(tt.want) {
				t.Errorf("got %T; want %T", got, tt.want)
			}
		})
	}
}

// TestLoginDefaults: the mount defaults to the method's name and the
// Kubernetes token to the pod's service-account file.
func TestLoginDefaults(t *testing.T) {
	env := map[string]string{EnvAuthMethod: "kubernetes", EnvAuthRole: "rotation"}
	got, _, err := loginMethod(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if want := (kubernetesLogin{role: "rotation", mount: "kubernetes", file: KubernetesTokenFile}); got != want {
		t.Errorf("got %+v; want %+v", got, want)
	}
	env = map[string]string{EnvAuthMethod: "jwt", EnvAuth: "jwt_file=/run/ci/token mount=/gitlab/"}
	got, _, err = loginMethod(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if want := (jwtLogin{mount: "gitlab", file: "/run/ci/token"}); got != want {
		t.Errorf("got %+v; want %+v", got, want)
	}
}

// TestMissingTokenFile: a Kubernetes or JWT login whose token file is
// missing is bad configuration (exit 2), and the error names the variable.
func TestMissingTokenFile(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "token")
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"jwt", func() error { _, err := jwtLogin{mount: "jwt", file: missing}.Login(t.Context(), nil); return err }()},
		{"kubernetes", func() error {
			_, err := kubernetesLogin{role: "r", mount: "kubernetes", file: missing}.Login(t.Context(), nil)
			return err
		}()},
	} {
		if !errors.Is(tc.err, core.ErrUsage) || core.ExitCode(tc.err) != core.ExitUsage {
			t.Errorf("%s: got %v (exit %d); want a usage error, exit 2", tc.name, tc.err, core.ExitCode(tc.err))
		}
	}
}

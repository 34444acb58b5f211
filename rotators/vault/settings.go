package vault

import (
	"fmt"
	"os"
	"strings"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// EnvAuth holds a login method's settings in one variable, as
// space-separated key=value pairs (`role_id=… mount=approle`), so that a
// flow passes one Kestra setting whatever the method
// (docs/stores/vault.md, "In Kestra"). Each key stands for one of the
// variables above; none of them is a credential.
const EnvAuth = "VAULT_AUTH"

// authKey returns the variable a key of VAULT_AUTH sets.
func authKey(k string) (string, bool) {
	switch k {
	case "mount":
		return EnvAuthMount, true
	case "role":
		return EnvAuthRole, true
	case "role_id":
		return EnvRoleID, true
	case "role_id_file":
		return EnvRoleIDFile, true
	case "secret_id_file":
		return EnvSecretIDFile, true
	case "jwt_file":
		return EnvAuthJWTFile, true
	case "wrapped":
		return EnvSecretIDWrapped, true
	}
	return "", false
}

// authKeyNames lists the keys of authKey, for errors.
const authKeyNames = "mount, role, role_id, role_id_file, secret_id_file, jwt_file, wrapped"

// withAuthSettings returns getenv with the pairs of VAULT_AUTH added. A key
// that is not known, given twice, or whose variable is also set to another
// value is refused: the intent is unclear. Errors name keys, never values.
func withAuthSettings(getenv func(string) string) (func(string) string, error) {
	set := map[string]string{}
	for _, pair := range strings.Fields(getenv(EnvAuth)) {
		k, v, ok := strings.Cut(pair, "=")
		name, known := authKey(k)
		switch {
		case !ok || v == "":
			return nil, fmt.Errorf("%w: %s: want key=value pairs, got a word without =value", core.ErrUsage, EnvAuth)
		case !known:
			return nil, fmt.Errorf("%w: %s: unknown key %q (want one of %s)", core.ErrUsage, EnvAuth, k, authKeyNames)
		case set[name] != "":
			return nil, fmt.Errorf("%w: %s: key %s given twice", core.ErrUsage, EnvAuth, k)
		case getenv(name) != "" && getenv(name) != v:
			return nil, fmt.Errorf("%w: %s: key %s and %s disagree", core.ErrUsage, EnvAuth, k, name)
		}
		set[name] = v
	}
	return func(name string) string {
		if v, ok := set[name]; ok {
			return v
		}
		return getenv(name)
	}, nil
}

// fileExists reports whether path names an existing file: a secret id
// file, once written, takes over from VAULT_SECRET_ID (appRole).
func fileExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}

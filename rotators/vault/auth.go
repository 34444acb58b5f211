package vault

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/hashicorp/vault/api"
	"github.com/hashicorp/vault/api/auth/approle"
	"github.com/hashicorp/vault/api/auth/kubernetes"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// The environment variables that choose how a binary logs in when
// VAULT_TOKEN is not set (docs/stores/vault.md, "Logging in"). Their names
// follow Vault's VAULT_* style; none of them is a flag, so no credential
// ever travels in argv.
const (
	EnvAuthMethod      = "VAULT_AUTH_METHOD"       // approle, kubernetes or jwt
	EnvAuthMount       = "VAULT_AUTH_MOUNT"        // the auth mount path; default the method's name
	EnvAuthRole        = "VAULT_AUTH_ROLE"         // kubernetes and jwt: the role to log in as
	EnvAuthJWTFile     = "VAULT_AUTH_JWT_FILE"     // kubernetes and jwt: the file holding the JWT
	EnvRoleID          = "VAULT_ROLE_ID"           // approle: the role id ...
	EnvRoleIDFile      = "VAULT_ROLE_ID_FILE"      // ... or a file holding it
	EnvSecretID        = "VAULT_SECRET_ID"         // approle: the secret id ...
	EnvSecretIDFile    = "VAULT_SECRET_ID_FILE"    // ... or a file holding it
	EnvSecretIDWrapped = "VAULT_SECRET_ID_WRAPPED" // true: the secret id is a response-wrapping token
)

// KubernetesTokenFile is where a pod finds its service-account token.
const KubernetesTokenFile = "/var/run/secrets/kubernetes.io/serviceaccount/token"

// maxCredentialFile bounds what is read from a role id or JWT file.
const maxCredentialFile = 64 << 10

// loginMethod returns how to log in, read from the environment; nil when
// VAULT_TOKEN is set (it wins over every method, so that existing set-ups
// keep working unchanged), and what to call it in log lines ("approle at
// auth/approle"). Files named here are read at login, not now.
func loginMethod(getenv func(string) string) (api.AuthMethod, string, error) {
	if getenv("VAULT_TOKEN") != "" {
		return nil, "", nil
	}
	getenv, err := withAuthSettings(getenv)
	if err != nil {
		return nil, "", err
	}
	method, mount := methodMount(getenv)
	m, err := authMethod(getenv, method, mount)
	return m, method + " at auth/" + mount, err
}

// authMethod is the login of method at auth/<mount>, its settings read
// through getenv.
func authMethod(getenv func(string) string, method, mount string) (api.AuthMethod, error) {
	if strings.Contains(mount, "..") {
		return nil, fmt.Errorf("%w: %s=%q: a mount path has no .. segment", core.ErrUsage, EnvAuthMount, mount)
	}
	switch method {
	case "":
		return nil, fmt.Errorf("%w: neither VAULT_TOKEN nor %s is set (approle, kubernetes or jwt)", core.ErrUsage, EnvAuthMethod)
	case "token":
		return nil, fmt.Errorf("%w: %s=token needs VAULT_TOKEN, which is empty", core.ErrUsage, EnvAuthMethod)
	case "approle":
		return appRole(getenv, mount)
	case "kubernetes":
		role := getenv(EnvAuthRole)
		if role == "" {
			return nil, fmt.Errorf("%w: %s=kubernetes needs %s, the Vault role to log in as", core.ErrUsage, EnvAuthMethod, EnvAuthRole)
		}
		return kubernetesLogin{role: role, mount: mount, file: orDefault(getenv(EnvAuthJWTFile), KubernetesTokenFile)}, nil
	case "jwt":
		file := getenv(EnvAuthJWTFile)
		if file == "" {
			return nil, fmt.Errorf("%w: %s=jwt needs %s, the file holding the JWT", core.ErrUsage, EnvAuthMethod, EnvAuthJWTFile)
		}
		return jwtLogin{role: getenv(EnvAuthRole), mount: mount, file: file}, nil
	}
	return nil, fmt.Errorf("%w: %s=%q: want approle, kubernetes or jwt (or set VAULT_TOKEN)", core.ErrUsage, EnvAuthMethod, method)
}

// methodMount is the method named by VAULT_AUTH_METHOD and its mount path,
// VAULT_AUTH_MOUNT or by default the method's name.
func methodMount(getenv func(string) string) (string, string) {
	method := strings.ToLower(strings.TrimSpace(getenv(EnvAuthMethod)))
	return method, orDefault(strings.Trim(getenv(EnvAuthMount), "/"), method)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// appRole reads the role id now (it is an identifier, not a credential) and
// leaves the secret id to approle's own reader, at login.
func appRole(getenv func(string) string, mount string) (api.AuthMethod, error) {
	roleID, err := oneOf(getenv, EnvRoleID, EnvRoleIDFile)
	if err != nil {
		return nil, err
	}
	if roleID == "" {
		return nil, fmt.Errorf("%w: %s=approle needs %s or %s", core.ErrUsage, EnvAuthMethod, EnvRoleID, EnvRoleIDFile)
	}
	var sid approle.SecretID
	// Both set: the file, once the self-rotation wrote it, takes over from
	// VAULT_SECRET_ID, which only bootstraps (docs/stores/vault.md).
	switch env, file := getenv(EnvSecretID), getenv(EnvSecretIDFile); {
	case env != "" && file != "" && fileExists(file):
		sid.FromFile = file
	case env != "":
		sid.FromString = env
	case file != "":
		sid.FromFile = file
	default:
		return nil, fmt.Errorf("%w: %s=approle needs %s or %s", core.ErrUsage, EnvAuthMethod, EnvSecretID, EnvSecretIDFile)
	}
	opts := []approle.LoginOption{approle.WithMountPath(mount)}
	if w := getenv(EnvSecretIDWrapped); w != "" {
		wrapped, err := strconv.ParseBool(w)
		if err != nil {
			return nil, fmt.Errorf("%w: %s=%q: want true or false", core.ErrUsage, EnvSecretIDWrapped, w)
		}
		if wrapped {
			opts = append(opts, approle.WithWrappingToken())
		}
	}
	a, err := approle.NewAppRoleAuth(roleID, &sid, opts...)
	if err != nil {
		return nil, fmt.Errorf("%w: approle login: %v", core.ErrUsage, err)
	}
	return a, nil
}

// oneOf returns the value of envName, or the content of the file named by
// fileName; both set is refused, as the intent is unclear.
func oneOf(getenv func(string) string, envName, fileName string) (string, error) {
	v, file := getenv(envName), getenv(fileName)
	if v != "" && file != "" {
		return "", fmt.Errorf("%w: set %s or %s, not both", core.ErrUsage, envName, fileName)
	}
	if file == "" {
		return strings.TrimSpace(v), nil
	}
	return readCredentialFile(fileName, file)
}

// readCredentialFile reads a small file; errors name the variable and the
// path, never the content.
func readCredentialFile(varName, path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("%w: %s: %w", core.ErrUsage, varName, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxCredentialFile))
	if err != nil {
		return "", fmt.Errorf("%w: %s: read %s: %w", core.ErrUsage, varName, path, err)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", fmt.Errorf("%w: %s: %s is empty", core.ErrUsage, varName, path)
	}
	return s, nil
}

// jwtLogin is Vault's jwt auth (also OIDC mounts, which accept a JWT at
// login): the vault api module has no helper for it, so it writes
// auth/<mount>/login itself. The file is read at login, so a projected token
// that the platform refreshes is read fresh by every binary.
type jwtLogin struct{ role, mount, file string }

func (j jwtLogin) Login(ctx context.Context, c *api.Client) (*api.Secret, error) {
	jwt, err := readCredentialFile(EnvAuthJWTFile, j.file)
	if err != nil {
		return nil, err
	}
	data := map[string]interface{}{"jwt": jwt}
	if j.role != "" {
		data["role"] = j.role
	}
	return c.Logical().WriteWithContext(ctx, "auth/"+j.mount+"/login", data)
}

// kubernetesLogin builds the api module's kubernetes helper at login time:
// the helper reads the service-account token when it is built, and the
// kubelet rotates that file, so it is read as late as possible.
type kubernetesLogin struct{ role, mount, file string }

func (k kubernetesLogin) Login(ctx context.Context, c *api.Client) (*api.Secret, error) {
	a, err := kubernetes.NewKubernetesAuth(k.role, kubernetes.WithMountPath(k.mount), kubernetes.WithServiceAccountTokenPath(k.file))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", core.ErrUsage, EnvAuthJWTFile, err)
	}
	return a.Login(ctx, c)
}

// session logs in once per process, on the first call that needs Vault, and
// revokes the token it got at Close. With VAULT_TOKEN it does neither: that
// token belongs to whoever set it.
type session struct {
	c      *api.Client
	method api.AuthMethod // nil: VAULT_TOKEN
	name   string         // the method and its mount, for errors and audit lines

	mu    sync.Mutex
	owned bool // the client token came from our login
}

// ready logs in if that has not been done yet. A failed login is not
// remembered: the step fails on it anyway, and a re-run starts afresh.
func (s *session) ready(ctx context.Context) error {
	if s == nil || s.method == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.owned {
		return nil
	}
	sec, err := s.c.Auth().Login(ctx, s.method)
	if err != nil {
		return fmt.Errorf("vault login with %s: %w", s.name, classifyLogin(err))
	}
	if sec == nil || sec.Auth == nil || sec.Auth.ClientToken == "" {
		return fmt.Errorf("%w: vault login: the answer carries no token", core.ErrDenied)
	}
	s.owned = true
	return nil
}

// classifyLogin maps a failed login: what the store refused is our own
// credential (exit 2, retrying cannot help), what did not answer is
// unavailable (exit 3).
func classifyLogin(err error) error {
	if errors.Is(err, core.ErrUsage) {
		return err
	}
	c := classify(err)
	if errors.Is(c, core.ErrUnavailable) {
		return c
	}
	var re *api.ResponseError
	if errors.As(err, &re) {
		return fmt.Errorf("%w: %w", core.ErrDenied, err)
	}
	return c
}

// describe says how the binary logs in, for audit lines; "" with VAULT_TOKEN.
func (s *session) describe() string {
	if s == nil || s.method == nil {
		return ""
	}
	return ", logged in by " + s.name
}

// Close revokes the token this process logged in for (auth/token/revoke-self)
// and forgets it. Re-running it does nothing. A binary killed before Close
// leaves its token to expire at its TTL.
func (s *session) Close(ctx context.Context) error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.owned {
		return nil
	}
	s.owned = false
	err := s.c.Auth().Token().RevokeSelfWithContext(ctx, "")
	s.c.ClearToken()
	if err != nil {
		return fmt.Errorf("revoke the vault token of this run (it expires at its TTL): %w", classify(err))
	}
	return nil
}

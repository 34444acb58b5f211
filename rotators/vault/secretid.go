package vault

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/vault/api"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/step"
)

// SecretIDRotateCommand is vault-secret-id-rotate: the pack's AppRole
// rotates its own secret id (docs/stores/vault.md, "Rotating the pack's own
// secret id").
func SecretIDRotateCommand() step.Command {
	return step.Command{
		Name:    "vault-secret-id-rotate",
		Summary: "give the pack's AppRole a new secret id in VAULT_SECRET_ID_FILE; destroy the older ones (never prints one)",
		Details: `Logs in by AppRole with the current secret id (VAULT_SECRET_ID_FILE, or
VAULT_SECRET_ID until that file exists), asks Vault for a new secret id of the
role (--role), logs in with it to prove it works, writes it to
VAULT_SECRET_ID_FILE (a new file renamed over the old one, mode 0600), and then
destroys every other secret id of the role but the one it logged in with. So two
are valid between runs, the newest and the one before: a step that read the file
just before it changed still logs in, and tokens already issued live on to their
TTL. Re-running rotates again; a run that fails before the rename leaves the
file as it was (its new secret id is destroyed by the next run). Needs
VAULT_AUTH_METHOD=approle, VAULT_ROLE_ID and VAULT_SECRET_ID_FILE, and the
policy docs/vault-secret-id-policy.hcl on the role's tokens. Outputs: destroyed, the
number of secret ids destroyed; neither a secret id nor an accessor is printed.`,
		Flags: []string{"role", "timeout"},
		Declared: []step.Flag{
			{Name: "role", Meta: "NAME", Usage: "the AppRole role whose secret id is rotated", Default: "rotation"},
		},
		Run: runSecretIDRotate,
	}
}

func runSecretIDRotate(ctx context.Context, e *step.Env) (step.Result, error) {
	getenv, err := withAuthSettings(os.Getenv)
	if err != nil {
		return step.Result{}, err
	}
	method, mount := methodMount(getenv)
	file := getenv(EnvSecretIDFile)
	role := e.Flags.String("role")
	switch {
	case method != "approle" || getenv("VAULT_TOKEN") != "":
		return step.Result{}, fmt.Errorf("%w: %s rotates an AppRole's own secret id: set %s=approle and no VAULT_TOKEN", core.ErrUsage, e.Name, EnvAuthMethod)
	case file == "":
		return step.Result{}, fmt.Errorf("%w: %s needs %s, where the new secret id is written", core.ErrUsage, e.Name, EnvSecretIDFile)
	case role == "" || strings.ContainsAny(role, "/.") || strings.Contains(mount, ".."):
		return step.Result{}, fmt.Errorf("%w: --role %q or mount %q is not a plain name", core.ErrUsage, role, mount)
	case getenv(EnvSecretIDWrapped) == "true":
		return step.Result{}, fmt.Errorf("%w: %s needs a plain secret id, not a wrapped one", core.ErrUsage, e.Name)
	}
	current, err := currentSecretID(getenv, file)
	if err != nil {
		return step.Result{}, err
	}
	e.Scrub.Add(current)
	sess, _, err := newSession()
	if err != nil {
		return step.Result{}, err
	}
	defer func() {
		if err := sess.Close(context.WithoutCancel(ctx)); err != nil {
			e.Log.Info("store session not ended", "error", err.Error())
		}
	}()
	if err := sess.ready(ctx); err != nil {
		return step.Result{}, err
	}
	r := rotator{c: sess.c, path: "auth/" + mount + "/role/" + role}
	keep, err := r.accessor(ctx, current)
	if err != nil {
		return step.Result{}, err
	}
	fresh, freshAccessor, err := r.issue(ctx)
	if err != nil {
		return step.Result{}, err
	}
	e.Scrub.Add(fresh)
	if err := r.proveLogin(ctx, getenv, mount, fresh); err != nil {
		return step.Result{}, err
	}
	if err := writeSecretFile(file, fresh); err != nil {
		return step.Result{}, fmt.Errorf("%w: write %s: %w", core.ErrUsage, EnvSecretIDFile, err)
	}
	e.Log.Info("new secret id written", "event", "audit", "step", e.Name, "role", r.path, "file", file)
	n, err := r.destroyOthers(ctx, keep, freshAccessor)
	if err != nil {
		return step.Result{Changed: true, Outputs: map[string]any{"destroyed": n}}, err
	}
	e.Log.Info("older secret ids destroyed", "event", "audit", "step", e.Name, "role", r.path, "destroyed", n, "kept", "the new one and the one this run logged in with")
	return step.Result{Changed: true, Outputs: map[string]any{"destroyed": n}}, nil
}

// currentSecretID is what the login uses (appRole): the file once it exists,
// VAULT_SECRET_ID until then.
func currentSecretID(getenv func(string) string, file string) (string, error) {
	if fileExists(file) {
		return readCredentialFile(EnvSecretIDFile, file)
	}
	if v := strings.TrimSpace(getenv(EnvSecretID)); v != "" {
		return v, nil
	}
	return "", fmt.Errorf("%w: %s does not exist yet and %s is empty: nothing to log in with", core.ErrUsage, EnvSecretIDFile, EnvSecretID)
}

// rotator makes the calls on one role's secret ids, with the session's token.
type rotator struct {
	c    *api.Client
	path string // auth/<mount>/role/<role>
}

func (r rotator) accessor(ctx context.Context, secretID string) (string, error) {
	sec, err := r.c.Logical().WriteWithContext(ctx, r.path+"/secret-id/lookup", map[string]any{"secret_id": secretID})
	if err != nil {
		return "", fmt.Errorf("look up the current secret id of %s: %w", r.path, classify(err))
	}
	a, _ := secData(sec)["secret_id_accessor"].(string)
	if a == "" {
		return "", fmt.Errorf("%w: the current secret id is not one of %s", core.ErrDenied, r.path)
	}
	return a, nil
}

func (r rotator) issue(ctx context.Context) (string, string, error) {
	sec, err := r.c.Logical().WriteWithContext(ctx, r.path+"/secret-id", nil)
	if err != nil {
		return "", "", fmt.Errorf("new secret id of %s: %w", r.path, classify(err))
	}
	id, _ := secData(sec)["secret_id"].(string)
	acc, _ := secData(sec)["secret_id_accessor"].(string)
	if id == "" || acc == "" {
		return "", "", fmt.Errorf("%w: new secret id of %s: the answer carries none", core.ErrUnavailable, r.path)
	}
	return id, acc, nil
}

// proveLogin logs in with the new secret id on a client of its own, then
// revokes that token: the file is only replaced by a secret id that works.
func (r rotator) proveLogin(ctx context.Context, getenv func(string) string, mount, secretID string) error {
	a, err := appRole(func(k string) string {
		switch k {
		case EnvSecretID:
			return secretID
		case EnvSecretIDFile, EnvSecretIDWrapped:
			return ""
		}
		return getenv(k)
	}, mount)
	if err != nil {
		return err
	}
	c, err := r.c.Clone()
	if err != nil {
		return fmt.Errorf("%w: vault client: %v", core.ErrUsage, err)
	}
	c.ClearToken()
	s := session{c: c, method: a, name: "approle at auth/" + mount + " (new secret id)"}
	if err := s.ready(ctx); err != nil {
		return err
	}
	return s.Close(ctx)
}

// destroyOthers destroys every secret id of the role but keep and fresh, by
// accessor, and returns how many it destroyed.
func (r rotator) destroyOthers(ctx context.Context, keep, fresh string) (int, error) {
	list, err := r.c.Logical().ListWithContext(ctx, r.path+"/secret-id")
	if err != nil {
		return 0, fmt.Errorf("list the secret ids of %s: %w", r.path, classify(err))
	}
	keys, _ := secData(list)["keys"].([]any)
	n := 0
	for _, k := range keys {
		acc, _ := k.(string)
		if acc == "" || acc == keep || acc == fresh {
			continue
		}
		_, err := r.c.Logical().WriteWithContext(ctx, r.path+"/secret-id-accessor/destroy", map[string]any{"secret_id_accessor": acc})
		if err != nil {
			return n, fmt.Errorf("destroy an older secret id of %s (%d destroyed so far; the next run retries): %w", r.path, n, classify(err))
		}
		n++
	}
	return n, nil
}

func secData(s *api.Secret) map[string]any {
	if s == nil {
		return nil
	}
	return s.Data
}

// writeSecretFile replaces path by a new file holding value, mode 0600: a
// reader sees the old content or the new one, never a partial write.
func writeSecretFile(path, value string) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".new-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		return err
	}
	if _, err := f.WriteString(value + "\n"); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		defer d.Close()
		if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
			return err
		}
	}
	return nil
}

// Package vault is the store for HashiCorp Vault KV v2 (and OpenBao, which
// keeps Vault's API), through github.com/hashicorp/vault/api.
//
// Layout of a secret vault://<mount>/<path>:
//   - CURRENT is the latest version of <mount>/<path>: what applications read.
//   - PREVIOUS is the version before it, kept readable by KV's versioning.
//   - PENDING lives beside the secret, at <mount>/_pending/<path> (the prefix
//     can be changed with ?pending=PREFIX), so that application policies that
//     grant <mount>/data/apps/* never see an unvalidated value, and the
//     rotation policy can be granted _pending/* on its own. Its data is an
//     envelope {rotation_id, strategy, base_version, staged_at, value}
//     written in one check-and-set call, so a crash never leaves a PENDING
//     without its rotation id.
//   - Rotation facts of CURRENT go in the secret's custom_metadata:
//     rotation_id, rotation_version, rotation_strategy, rotated_at,
//     previous_rotation_id. They describe CURRENT only while
//     rotation_version is the latest version, so a manual write is never
//     mistaken for a rotation.
//
// Writes use check-and-set: cas=0 to create PENDING (one of two racing
// stages wins), cas=<base version> to promote (CURRENT must not have moved).
package vault

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"

	"github.com/hashicorp/vault/api"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// DefaultPendingPrefix is where PENDING values live inside the mount.
const DefaultPendingPrefix = "_pending"

// kv is the part of the KV v2 SDK the store uses.
type kv interface {
	Get(ctx context.Context, path string) (*api.KVSecret, error)
	GetVersion(ctx context.Context, path string, version int) (*api.KVSecret, error)
	Put(ctx context.Context, path string, data map[string]interface{}, opts ...api.KVOption) (*api.KVSecret, error)
	GetMetadata(ctx context.Context, path string) (*api.KVMetadata, error)
	PatchMetadata(ctx context.Context, path string, metadata api.KVMetadataPatchInput) error
	DeleteMetadata(ctx context.Context, path string) error
}

// Store is the Vault KV v2 store.
type Store struct {
	addr  string
	mount func(mount string) kv
	sess  *session
}

// Open builds a store from Vault's own environment variables: VAULT_ADDR,
// VAULT_TOKEN, VAULT_NAMESPACE, VAULT_CACERT/VAULT_CAPATH (a private CA),
// VAULT_CLIENT_TIMEOUT, VAULT_MAX_RETRIES; without VAULT_TOKEN, the login
// method of VAULT_AUTH_METHOD (auth.go). It does not contact Vault: the
// login happens on the first read or write.
func Open(context.Context) (core.Store, error) {
	sess, addr, err := newSession()
	if err != nil {
		return nil, err
	}
	return &Store{addr: addr, sess: sess, mount: func(m string) kv { return loggedIn{sess, sess.c.KVv2(m)} }}, nil
}

// Close revokes the token the store logged in for, if it did; the step
// driver calls it when the binary is done.
func (s *Store) Close(ctx context.Context) error { return s.sess.Close(ctx) }

// newSession reads Vault's environment variables; it does not contact Vault.
func newSession() (*session, string, error) {
	if os.Getenv("VAULT_ADDR") == "" {
		return nil, "", fmt.Errorf("%w: VAULT_ADDR is not set", core.ErrUsage)
	}
	cfg := api.DefaultConfig()
	if cfg.Error != nil {
		return nil, "", fmt.Errorf("%w: vault configuration: %v", core.ErrUsage, cfg.Error)
	}
	c, err := api.NewClient(cfg)
	if err != nil {
		return nil, "", fmt.Errorf("%w: vault client: %v", core.ErrUsage, err)
	}
	method, name, err := loginMethod(os.Getenv)
	if err != nil {
		return nil, "", err
	}
	if method == nil && c.Token() == "" {
		return nil, "", fmt.Errorf("%w: VAULT_TOKEN is not set", core.ErrUsage)
	}
	return &session{c: c, method: method, name: name}, cfg.Address, nil
}

type paths struct {
	mount, main, pending string
}

func (s *Store) paths(ref core.Ref) (paths, error) {
	if ref.Path == "" {
		return paths{}, fmt.Errorf("%w: %s: want vault://<mount>/<path>", core.ErrUsage, ref)
	}
	prefix, err := PendingPrefix(ref)
	if err != nil {
		return paths{}, err
	}
	if first, _, _ := strings.Cut(ref.Path, "/"); first == prefix {
		return paths{}, fmt.Errorf("%w: %s: the path is inside the PENDING tree %s/; name the secret itself", core.ErrUsage, ref, prefix)
	}
	return paths{mount: ref.Host, main: ref.Path, pending: prefix + "/" + ref.Path}, nil
}

// PendingPrefix is the reference's ?pending= folder, else _pending. It is
// one path segment starting with _, so that PENDING can never land inside
// the tree applications read (apps/... with ?pending=apps would put an
// unvalidated password where readers of apps/* see it) nor on another secret.
func PendingPrefix(ref core.Ref) (string, error) {
	prefix := ref.Option("pending", DefaultPendingPrefix)
	if !strings.HasPrefix(prefix, "_") || strings.Contains(prefix, "/") {
		return "", fmt.Errorf("%w: %s: ?pending= must be one path segment starting with _ (default %s), apart from the paths applications read", core.ErrUsage, ref, DefaultPendingPrefix)
	}
	return prefix, nil
}

// Describe says where PENDING is kept.
func (s *Store) Describe(ref core.Ref) string {
	p, err := s.paths(ref)
	if err != nil {
		return ref.String()
	}
	return fmt.Sprintf("vault %s kv-v2 %s/data/%s (PENDING at %s/data/%s%s)", s.addr, p.mount, p.main, p.mount, p.pending, s.sess.describe())
}

// classify maps Vault errors onto the core error classes.
func classify(err error) error {
	if err == nil {
		return nil
	}
	// Already classified (a failed login inside a KV call): keep its class.
	for _, class := range []error{core.ErrUsage, core.ErrDenied, core.ErrUnavailable, core.ErrNotFound, core.ErrConflict} {
		if errors.Is(err, class) {
			return err
		}
	}
	var re *api.ResponseError
	var ne net.Error
	var ue *url.Error
	switch {
	case errors.Is(err, api.ErrSecretNotFound):
		return fmt.Errorf("%w: %w", core.ErrNotFound, err)
	case errors.As(err, &re):
		switch {
		case re.StatusCode == 400 && strings.Contains(strings.Join(re.Errors, " "), "check-and-set"):
			return fmt.Errorf("%w: check-and-set lost: %w", core.ErrConflict, err)
		case re.StatusCode == 401 || re.StatusCode == 403:
			return fmt.Errorf("%w: %w", core.ErrDenied, err)
		case re.StatusCode == 404:
			return fmt.Errorf("%w: %w", core.ErrNotFound, err)
		case re.StatusCode == 429 || re.StatusCode >= 500:
			return fmt.Errorf("%w: %w", core.ErrUnavailable, err)
		}
		return fmt.Errorf("%w: %w", core.ErrUsage, err)
	case errors.As(err, &ne), errors.As(err, &ue):
		return fmt.Errorf("%w: %w", core.ErrUnavailable, err)
	}
	return err
}

func isNotFound(err error) bool { return errors.Is(err, core.ErrNotFound) }

// Package azkv is the store for Azure Key Vault secrets, through azsecrets
// with azidentity's DefaultAzureCredential.
//
// Layout of a secret azkv://<vault>/<name>:
//   - CURRENT is the latest version of <name>: what applications read.
//   - PREVIOUS is the version CURRENT was staged on (tag previous_version of
//     CURRENT, written by promote), otherwise the newest other version.
//   - PENDING lives in a sibling secret, <name>-pending (always that name:
//     core.PendingSibling), never as a version of <name>, which readers of the latest
//     version would see. Each stage sets a new version of the sibling with
//     the value and tags rotation_id, strategy, base_version, staged_at, in
//     one call, so a crash never leaves a value without its rotation. The
//     live versions of the sibling are its enabled versions with a
//     rotation_id tag; PENDING is the oldest of them (created, then id).
//     Promote and rollback disable every live version; the sibling is never
//     deleted, so soft-delete never blocks the next stage. Assign readers a
//     role on <name> only; the rotation identity on both secrets.
//   - Rotation facts of CURRENT are tags of its own version: rotation_id,
//     rotation_strategy, rotated_at, previous_version. Tags belong to one
//     version, so a manual new version never carries them.
//   - ?expires=90d (a Go duration or N days) sets the expiry of the version
//     promote writes, so Event Grid's SecretNearExpiry can start the next
//     rotation.
//
// Azure has no check-and-set. Two racing stages both write a version; each
// waits Settle (the sibling's created times are whole seconds) and then
// only the oldest live version's stage wins, the others disable theirs and
// exit 5. Promote checks that the latest version is still the one PENDING
// was staged on right before it writes; a version written by someone else
// in between (milliseconds) is not detected. A sibling found soft-deleted
// (deleted by hand) is recovered, never purged; a recovered sibling may
// hold an older rotation's PENDING, which then wins as usual.
package azkv

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// Environment variables of the store (credentials come from
// DefaultAzureCredential's own variables).
const (
	// VaultURLEnv overrides the vault URL, https://{vault}.vault.azure.net
	// by default; "{vault}" is replaced by the vault name of the reference.
	VaultURLEnv = "AZKV_VAULT_URL"
	// CACertEnv names a PEM file of extra CA certificates to trust for the
	// vault (a private CA or a test server), besides the system's.
	CACertEnv = "AZKV_CA_CERT"
	// DefaultVaultURL is the public cloud's vault URL template.
	DefaultVaultURL = "https://{vault}.vault.azure.net"
	// PendingSuffix is appended to the secret name to name the PENDING sibling.
	PendingSuffix = core.SiblingSuffix
)

// Settle is how long a stage waits after writing before it decides
// whether it won: longer than the one-second resolution of created times.
const Settle = 1200 * time.Millisecond

// kv is the part of the azsecrets client the store uses.
type kv interface {
	GetSecret(ctx context.Context, name, version string, o *azsecrets.GetSecretOptions) (azsecrets.GetSecretResponse, error)
	SetSecret(ctx context.Context, name string, p azsecrets.SetSecretParameters, o *azsecrets.SetSecretOptions) (azsecrets.SetSecretResponse, error)
	UpdateSecretProperties(ctx context.Context, name, version string, p azsecrets.UpdateSecretPropertiesParameters, o *azsecrets.UpdateSecretPropertiesOptions) (azsecrets.UpdateSecretPropertiesResponse, error)
	NewListSecretPropertiesVersionsPager(name string, o *azsecrets.ListSecretPropertiesVersionsOptions) *runtime.Pager[azsecrets.ListSecretPropertiesVersionsResponse]
	NewListSecretPropertiesPager(o *azsecrets.ListSecretPropertiesOptions) *runtime.Pager[azsecrets.ListSecretPropertiesResponse] // inventory
	RecoverDeletedSecret(ctx context.Context, name string, o *azsecrets.RecoverDeletedSecretOptions) (azsecrets.RecoverDeletedSecretResponse, error)
}

// Store is the Azure Key Vault store.
type Store struct {
	urlTemplate string
	newClient   func(vaultURL string) (kv, error)

	mu      sync.Mutex
	clients map[string]kv // by vault URL: each keeps its auth challenge
}

// Open builds a store from the environment: DefaultAzureCredential's
// variables, AZKV_VAULT_URL and AZKV_CA_CERT. It does not contact Azure.
func Open(context.Context) (core.Store, error) {
	tmpl := os.Getenv(VaultURLEnv)
	if tmpl == "" {
		tmpl = DefaultVaultURL
	}
	if u, err := url.Parse(strings.ReplaceAll(tmpl, "{vault}", "v")); err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("%w: %s=%q: want an https URL such as %s", core.ErrUsage, VaultURLEnv, tmpl, DefaultVaultURL)
	}
	httpClient, err := httpClient(os.Getenv(CACertEnv) != "")
	if err != nil {
		return nil, err
	}
	opts := azcore.ClientOptions{Transport: httpClient}
	cred, err := azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{ClientOptions: opts})
	if err != nil {
		return nil, fmt.Errorf("%w: azure credential: %v", core.ErrUsage, err)
	}
	newClient := func(vaultURL string) (kv, error) {
		u, _ := url.Parse(vaultURL) // checked in vaultURL
		// Key Vault's challenge names https://vault.azure.net, which a loopback
		// test server cannot match, so the check is skipped only there.
		return azsecrets.NewClient(vaultURL, credential{cred}, &azsecrets.ClientOptions{ClientOptions: opts,
			DisableChallengeResourceVerification: core.IsLoopback(u.Hostname())})
	}
	return &Store{urlTemplate: tmpl, newClient: newClient, clients: map[string]kv{}}, nil
}

// httpClient trusts the system's CAs, plus those of $AZKV_CA_CERT if privateCA.
func httpClient(privateCA bool) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if privateCA {
		pool, err := core.CAPool(CACertEnv)
		if err != nil {
			return nil, err
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: tr}, nil
}

// Name rules: vault names of 3 to 24 characters, secret names of up to 127.
// The lengths are checked apart: counted repetitions ({1,127}) compile into
// many instructions, paid at every start of every command of the
// multi-call binary (GODEBUG=inittrace=1).
var (
	vaultPattern  = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]*[A-Za-z0-9]$`)
	secretPattern = regexp.MustCompile(`^[A-Za-z0-9-]+$`)
)

func validVault(s string) bool { return len(s) >= 3 && len(s) <= 24 && vaultPattern.MatchString(s) }

func validSecret(s string) bool { return len(s) <= 127 && secretPattern.MatchString(s) }

// target is one parsed reference.
type target struct {
	vaultURL, name, pending string
	expires                 time.Duration // 0: no expiry
}

func (s *Store) parse(ref core.Ref) (target, error) {
	sib, err := core.PendingSibling(ref)
	if err != nil {
		return target{}, err
	}
	t := target{name: ref.Path, pending: sib}
	if !validVault(ref.Host) || !validSecret(t.name) || !validSecret(t.pending) {
		return target{}, fmt.Errorf("%w: %s: want azkv://<vault>/<secret-name> (letters, digits and -; up to 127 with %s)", core.ErrUsage, ref, PendingSuffix)
	}
	if e := ref.Option("expires", ""); e != "" {
		d, err := parseDuration(e)
		if err != nil || d <= 0 {
			return target{}, fmt.Errorf("%w: %s: ?expires=%q: want a duration such as 90d or 720h", core.ErrUsage, ref, e)
		}
		t.expires = d
	}
	t.vaultURL = strings.TrimRight(strings.ReplaceAll(s.urlTemplate, "{vault}", ref.Host), "/")
	return t, nil
}

// parseDuration accepts Go durations and whole days ("90d").
func parseDuration(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		if _, err := fmt.Sscanf(days, "%d", &n); err != nil || fmt.Sprint(n) != days {
			return 0, errors.New("bad number of days")
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

// client returns the (cached) client of a vault.
func (s *Store) client(vaultURL string) (kv, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.clients[vaultURL]; ok {
		return c, nil
	}
	c, err := s.newClient(vaultURL)
	if err != nil {
		return nil, fmt.Errorf("%w: key vault client for %s: %v", core.ErrUsage, vaultURL, err)
	}
	s.clients[vaultURL] = c
	return c, nil
}

// Describe says where PENDING is kept.
func (s *Store) Describe(ref core.Ref) string {
	t, err := s.parse(ref)
	if err != nil {
		return ref.String()
	}
	return fmt.Sprintf("azure key vault %s secret %s (PENDING in secret %s)", t.vaultURL, t.name, t.pending)
}

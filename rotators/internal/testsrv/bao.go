package testsrv

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// Bao is a running OpenBao dev server: in memory, unsealed, KV v2 mounted at
// secret/. It speaks Vault's HTTP API.
type Bao struct {
	Addr  string // base URL, e.g. "http://127.0.0.1:41234"
	Token string // root token

	process
}

// baoStartTimeout bounds how long StartBao waits for the server to be healthy.
const baoStartTimeout = 30 * time.Second

// BaoBinary returns the bao binary to run: $ROTATE_TEST_BAO, else
// <repo>/.cache/svc/bin/bao (installed by scripts/install-deps.sh), else bao
// from PATH.
func BaoBinary() (string, error) {
	if p := os.Getenv("ROTATE_TEST_BAO"); p != "" {
		return p, nil
	}
	if root, err := RepoRoot(); err == nil {
		p := filepath.Join(root, ".cache", "svc", "bin", "bao")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	p, err := exec.LookPath("bao")
	if err != nil {
		return "", fmt.Errorf("bao binary not found (set ROTATE_TEST_BAO or run scripts/install-deps.sh): %w", err)
	}
	return p, nil
}

// StartBao starts `bao server -dev` on a free loopback port with a random root
// token and waits until /v1/sys/health answers 200. ctx bounds the startup
// only; the server runs until Stop.
func StartBao(ctx context.Context) (*Bao, error) {
	bin, err := BaoBinary()
	if err != nil {
		return nil, err
	}
	port, err := FreePort()
	if err != nil {
		return nil, fmt.Errorf("start bao: %w", err)
	}
	dir, err := os.MkdirTemp("", "testsrv-bao-")
	if err != nil {
		return nil, fmt.Errorf("start bao: %w", err)
	}
	b := &Bao{
		Addr:    "http://127.0.0.1:" + strconv.Itoa(port),
		Token:   randomHex(16),
		process: process{dir: dir},
	}
	cmd := exec.Command(bin, "server", "-dev",
		"-dev-root-token-id="+b.Token,
		"-dev-listen-address=127.0.0.1:"+strconv.Itoa(port),
		"-dev-no-store-token")
	cmd.Dir = dir
	// HOME in the temp dir: nothing is written to the real home directory.
	cmd.Env = append(os.Environ(), "HOME="+dir, "BAO_ADDR="+b.Addr)
	b.proc, err = startProc(cmd, filepath.Join(dir, "bao.log"), nil)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("start bao: %w", err)
	}
	client := &http.Client{Timeout: 2 * time.Second}
	err = b.proc.waitFor(ctx, "bao", baoStartTimeout, func() error {
		return b.health(ctx, client)
	})
	if err != nil {
		b.Stop()
		return nil, fmt.Errorf("start bao: %w", err)
	}
	return b, nil
}

// health returns nil when GET /v1/sys/health answers 200 (initialised,
// unsealed, active).
func (b *Bao) health(ctx context.Context, client *http.Client) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.Addr+"/v1/sys/health", nil)
	if err != nil {
		return fmt.Errorf("health request: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health: status %s", resp.Status)
	}
	return nil
}

// Stop kills the server's process group and removes its temp dir. It is safe
// to call more than once and on a nil *Bao.
func (b *Bao) Stop() {
	if b != nil {
		b.shutdown(syscall.SIGKILL, 5*time.Second)
	}
}

package testsrv

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// Kube is a running throw-away Kubernetes control plane on loopback ports,
// built by scripts/k8s-testbed.sh: etcd, kube-apiserver (RBAC on, bearer
// tokens), kube-controller-manager (Deployments, ReplicaSets, StatefulSets,
// DaemonSets, ServiceAccounts, garbage collection), kube-scheduler and
// kwok, which plays one Node and makes pods Ready at once, so rollouts complete.
type Kube struct {
	Server     string // https://127.0.0.1:PORT
	CAFile     string // the CA of the API server's certificate
	AdminToken string // member of system:masters
	Kubeconfig string // the admin's kubeconfig file

	dir   string
	procs []*proc // in start order; stopped in reverse (the API server before etcd)
}

const kubeStartTimeout = 90 * time.Second

// KubeBinDir returns $ROTATE_TEST_K8S_BIN, else <repo>/.cache/k8s/bin.
func KubeBinDir() string {
	if d := os.Getenv("ROTATE_TEST_K8S_BIN"); d != "" {
		return d
	}
	root, err := RepoRoot()
	if err != nil {
		return ".cache/k8s/bin"
	}
	return filepath.Join(root, ".cache", "k8s", "bin")
}

// StartKube starts the control plane and waits until the API server is
// ready and kwok's Node is Ready. ctx bounds the startup only.
func StartKube(ctx context.Context) (k *Kube, err error) {
	bin := KubeBinDir()
	for _, b := range []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"} {
		if _, err := os.Stat(filepath.Join(bin, b)); err != nil {
			return nil, fmt.Errorf("start kubernetes: %s not found (run scripts/k8s-testbed.sh, or set ROTATE_TEST_K8S_BIN): %w", b, err)
		}
	}
	dir, err := os.MkdirTemp("", "testsrv-kube-")
	if err != nil {
		return nil, fmt.Errorf("start kubernetes: %w", err)
	}
	k = &Kube{dir: dir, AdminToken: randomHex(16)}
	defer func() {
		if err != nil {
			k.Stop()
			k, err = nil, fmt.Errorf("start kubernetes: %w", err)
		}
	}()
	etcdURL, err := k.startEtcd(ctx, bin)
	if err != nil {
		return k, err
	}
	if err := k.startAPIServer(ctx, bin, etcdURL); err != nil {
		return k, err
	}
	if err := k.startControllers(bin); err != nil {
		return k, err
	}
	return k, k.addNode(ctx)
}

func (k *Kube) start(name string, cmd *exec.Cmd) (*proc, error) {
	cmd.Dir = k.dir
	p, err := startProc(cmd, filepath.Join(k.dir, name+".log"), nil)
	if err != nil {
		return nil, err
	}
	k.procs = append(k.procs, p)
	return p, nil
}

func (k *Kube) startEtcd(ctx context.Context, bin string) (string, error) {
	client, err := FreePort()
	if err != nil {
		return "", err
	}
	peer, err := FreePort()
	if err != nil {
		return "", err
	}
	c, pu := "http://127.0.0.1:"+strconv.Itoa(client), "http://127.0.0.1:"+strconv.Itoa(peer)
	p, err := k.start("etcd", exec.Command(filepath.Join(bin, "etcd"), "--name", "default", "--data-dir", filepath.Join(k.dir, "etcd"),
		"--listen-client-urls", c, "--advertise-client-urls", c, "--listen-peer-urls", pu, "--initial-advertise-peer-urls", pu,
		"--initial-cluster", "default="+pu, "--unsafe-no-fsync", "--log-level", "warn"))
	if err != nil {
		return "", err
	}
	return c, p.waitFor(ctx, "etcd", kubeStartTimeout, func() error { return httpOK(http.DefaultClient, c+"/health", "") })
}

func (k *Kube) startAPIServer(ctx context.Context, bin, etcdURL string) error {
	port, err := FreePort()
	if err != nil {
		return err
	}
	tlsFiles, err := writeServerTLS(k.dir, nil)
	if err != nil {
		return err
	}
	saKey, saPub, err := writeSigningKey(k.dir)
	if err != nil {
		return err
	}
	tokens := filepath.Join(k.dir, "tokens.csv")
	if err := os.WriteFile(tokens, []byte(k.AdminToken+`,admin,admin,"system:masters"`+"\n"), 0o600); err != nil {
		return err
	}
	k.Server, k.CAFile = "https://127.0.0.1:"+strconv.Itoa(port), tlsFiles.caFile
	k.Kubeconfig = filepath.Join(k.dir, "admin.kubeconfig")
	if err := WriteKubeconfig(k.Kubeconfig, k.Server, k.CAFile, k.AdminToken, "default"); err != nil {
		return err
	}
	p, err := k.start("kube-apiserver", exec.Command(filepath.Join(bin, "kube-apiserver"),
		"--etcd-servers", etcdURL, "--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1",
		"--secure-port", strconv.Itoa(port), "--cert-dir", k.dir,
		"--tls-cert-file", tlsFiles.certFile, "--tls-private-key-file", tlsFiles.keyFile,
		"--token-auth-file", tokens, "--authorization-mode", "RBAC",
		"--service-account-issuer", "https://kubernetes.default.svc", "--service-account-key-file", saPub,
		"--service-account-signing-key-file", saKey, "--api-audiences", "https://kubernetes.default.svc",
		"--service-cluster-ip-range", "10.96.0.0/16", "--enable-priority-and-fairness=false", "--profiling=false"))
	if err != nil {
		return err
	}
	hc, err := k.httpClient()
	if err != nil {
		return err
	}
	return p.waitFor(ctx, "kube-apiserver", kubeStartTimeout, func() error { return httpOK(hc, k.Server+"/readyz", k.AdminToken) })
}

// startControllers starts the controller manager, the scheduler and kwok,
// all as the admin; the tests wait for what they need of them.
func (k *Kube) startControllers(bin string) error {
	if _, err := k.start("kube-controller-manager", exec.Command(filepath.Join(bin, "kube-controller-manager"),
		"--kubeconfig", k.Kubeconfig, "--leader-elect=false", "--secure-port=0",
		"--controllers", "deployment,replicaset,statefulset,daemonset,serviceaccount,garbagecollector")); err != nil {
		return err
	}
	if _, err := k.start("kube-scheduler", exec.Command(filepath.Join(bin, "kube-scheduler"),
		"--kubeconfig", k.Kubeconfig, "--leader-elect=false", "--secure-port=0")); err != nil {
		return err
	}
	stages, err := filepath.Glob(filepath.Join(filepath.Dir(bin), "stages", "*.yaml"))
	if err != nil || len(stages) == 0 {
		return fmt.Errorf("no kwok stages in %s (run scripts/k8s-testbed.sh)", filepath.Join(filepath.Dir(bin), "stages"))
	}
	port, err := FreePort()
	if err != nil {
		return err
	}
	args := []string{"--kubeconfig", k.Kubeconfig, "--manage-all-nodes=true", "--server-address", "127.0.0.1:" + strconv.Itoa(port)}
	for _, s := range stages {
		args = append(args, "--config", s)
	}
	_, err = k.start("kwok", exec.Command(filepath.Join(bin, "kwok"), args...))
	return err
}

// Stop stops kwok, the scheduler, the controller manager, the API server,
// then etcd (the API server first: it would retry etcd otherwise), and
// removes the directory.
func (k *Kube) Stop() {
	for i := len(k.procs) - 1; i >= 0; i-- {
		k.procs[i].stop(syscall.SIGTERM, 5*time.Second)
	}
	_ = os.RemoveAll(k.dir)
}

func (k *Kube) httpClient() (*http.Client, error) {
	pem, err := os.ReadFile(k.CAFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}, nil
}

func httpOK(c *http.Client, url, token string) error {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	return nil
}

// writeSigningKey writes the service-account token signing key and its public half.
func writeSigningKey(dir string) (keyFile, pubFile string, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", "", err
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return "", "", err
	}
	keyFile, pubFile = filepath.Join(dir, "sa.key"), filepath.Join(dir, "sa.pub")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return "", "", err
	}
	return keyFile, pubFile, os.WriteFile(pubFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), 0o600)
}

// WriteKubeconfig writes a kubeconfig for server with a bearer token and a
// default namespace.
func WriteKubeconfig(path, server, caFile, token, namespace string) error {
	cfg := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: %s
    certificate-authority: %s
users:
- name: user
  user:
    token: %s
contexts:
- name: test
  context:
    cluster: test
    user: user
    namespace: %s
current-context: test
`, server, caFile, token, namespace)
	return os.WriteFile(path, []byte(cfg), 0o600)
}

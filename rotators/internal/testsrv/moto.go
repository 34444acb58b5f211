package testsrv

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// Moto is a running moto server (AWS Secrets Manager, IAM, STS) with
// authentication switched on: every request must be signed by a key moto
// issued, and IAM policies are evaluated, so a deleted key really fails.
type Moto struct {
	Endpoint    string // "http://127.0.0.1:PORT"
	Region      string
	AdminKeyID  string // an IAM user with Allow * (for test set-up)
	AdminSecret string

	process
}

// motoStartTimeout bounds how long StartMoto waits for the server.
const motoStartTimeout = 60 * time.Second

// MotoBinary returns moto_server: $ROTATE_TEST_MOTO, else
// <repo>/.cache/svc/bin/moto_server (scripts/install-deps.sh).
func MotoBinary() (string, error) {
	if p := os.Getenv("ROTATE_TEST_MOTO"); p != "" {
		return p, nil
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	p := filepath.Join(root, ".cache", "svc", "bin", "moto_server")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("moto_server not found (set ROTATE_TEST_MOTO or run scripts/install-deps.sh): %w", err)
	}
	return p, nil
}

// StartMoto starts moto_server on a free loopback port, creates an admin
// IAM user while authentication is still off, then switches it on.
func StartMoto(ctx context.Context) (*Moto, error) {
	bin, err := MotoBinary()
	if err != nil {
		return nil, err
	}
	port, err := FreePort()
	if err != nil {
		return nil, fmt.Errorf("start moto: %w", err)
	}
	dir, err := os.MkdirTemp("", "testsrv-moto-")
	if err != nil {
		return nil, fmt.Errorf("start moto: %w", err)
	}
	m := &Moto{Endpoint: "http://127.0.0.1:" + strconv.Itoa(port), Region: "us-east-1", process: process{dir: dir}}
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+dir)
	if m.proc, err = startProc(cmd, filepath.Join(dir, "moto.log"), nil); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("start moto: %w", err)
	}
	if err := m.proc.waitFor(ctx, "moto", motoStartTimeout, func() error { return m.post(ctx, "/moto-api/reset", "") }); err != nil {
		m.Stop()
		return nil, fmt.Errorf("start moto: %w", err)
	}
	if err := m.bootstrap(ctx); err != nil {
		m.Stop()
		return nil, fmt.Errorf("start moto: %w", err)
	}
	return m, nil
}

// bootstrap creates the admin user, then turns authentication on.
func (m *Moto) bootstrap(ctx context.Context) error {
	c := iam.NewFromConfig(aws.Config{Region: m.Region, BaseEndpoint: aws.String(m.Endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("bootstrap", "bootstrap", "")})
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("test-admin")}); err != nil {
		return fmt.Errorf("create admin user: %w", err)
	}
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	if _, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("test-admin"),
		PolicyName: aws.String("all"), PolicyDocument: aws.String(doc)}); err != nil {
		return fmt.Errorf("admin policy: %w", err)
	}
	key, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("test-admin")})
	if err != nil {
		return fmt.Errorf("admin key: %w", err)
	}
	m.AdminKeyID, m.AdminSecret = aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey)
	return m.post(ctx, "/moto-api/reset-auth", "0")
}

// AWSConfig returns an SDK configuration signed with the given key.
func (m *Moto) AWSConfig(keyID, secret string) aws.Config {
	return aws.Config{Region: m.Region, BaseEndpoint: aws.String(m.Endpoint),
		Credentials: credentials.NewStaticCredentialsProvider(keyID, secret, "")}
}

// Env returns the environment a binary needs to reach moto with a key.
func (m *Moto) Env(keyID, secret string) []string {
	return []string{"AWS_REGION=" + m.Region, "AWS_ENDPOINT_URL=" + m.Endpoint, "AWS_ACCESS_KEY_ID=" + keyID,
		"AWS_SECRET_ACCESS_KEY=" + secret, "AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null"}
}

func (m *Moto) post(ctx context.Context, path, body string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.Endpoint+path, strings.NewReader(body))
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST %s: %s", path, resp.Status)
	}
	return nil
}

// Stop kills moto and removes its temp dir; safe to call twice or on nil.
func (m *Moto) Stop() {
	if m != nil {
		m.shutdown(syscall.SIGKILL, 5*time.Second)
	}
}

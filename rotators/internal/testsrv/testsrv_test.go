package testsrv

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func skipServers(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: no real servers")
	}
}

// portClosed fails the test unless nothing accepts connections on addr.
func portClosed(t *testing.T, addr string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err == nil {
		conn.Close()
		t.Errorf("%s still accepts connections after Stop", addr)
	}
}

func TestRepoRoot(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("RepoRoot() = %q has no go.mod: %v", root, err)
	}
}

func TestFreePort(t *testing.T) {
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatalf("port %d from FreePort is not free: %v", port, err)
	}
	l.Close()
}

func TestDSNEscapes(t *testing.T) {
	p := &Postgres{Host: "127.0.0.1", Port: 5432}
	dsn := p.DSN("app user", "p@ss:w/rd?#%", "my db")
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("DSN %q does not parse: %v", dsn, err)
	}
	pw, _ := u.User.Password()
	if u.User.Username() != "app user" || pw != "p@ss:w/rd?#%" || u.Path != "/my db" || u.Port() != "5432" {
		t.Errorf("DSN %q round-trips to user %q password %q path %q port %q",
			dsn, u.User.Username(), pw, u.Path, u.Port())
	}
}

func TestBao(t *testing.T) {
	skipServers(t)
	ctx := context.Background()
	b, err := StartBao(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Stop()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.Addr+"/v1/sys/health", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Vault-Token", b.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/sys/health: %s", resp.Status)
	}
	u, err := url.Parse(b.Addr)
	if err != nil {
		t.Fatal(err)
	}
	b.Stop()
	if _, err := os.Stat(b.dir); !os.IsNotExist(err) {
		t.Errorf("temp dir %s not removed: %v", b.dir, err)
	}
	portClosed(t, u.Host)
}

func TestPostgres(t *testing.T) {
	skipServers(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, err := StartPostgres(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	conn, err := pgx.Connect(ctx, p.AdminDSN())
	if err != nil {
		t.Fatal(err)
	}
	var one int
	if err := conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Errorf("SELECT 1 = %d, %v", one, err)
	}
	conn.Close(ctx)

	bad, err := pgx.Connect(ctx, p.DSN(p.AdminUser, "wrong-"+p.AdminPassword, "postgres"))
	if err == nil {
		bad.Close(ctx)
		t.Fatal("a wrong password was accepted")
	}
	if !strings.Contains(err.Error(), "password authentication failed") {
		t.Errorf("wrong password: unexpected error %v", err)
	}
	p.Stop()
	if _, err := os.Stat(p.dir); !os.IsNotExist(err) {
		t.Errorf("temp dir %s not removed: %v", p.dir, err)
	}
	portClosed(t, net.JoinHostPort(p.Host, strconv.Itoa(p.Port)))
}

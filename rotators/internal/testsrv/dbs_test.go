package testsrv

import (
	"context"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestMariaDB(t *testing.T) {
	skipServers(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	m, err := StartMariaDB(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Stop()
	db := m.AdminDB(t)
	var version string
	if err := db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version); err != nil || !strings.Contains(version, "MariaDB") {
		t.Errorf("SELECT VERSION() = %q, %v; want a MariaDB version", version, err)
	}
	db.Close()
	if err := m.ping(ctx, ""); err == nil || !strings.Contains(err.Error(), "Access denied") {
		t.Errorf("root without a password: got %v, want access denied", err)
	}
	m.Stop()
	if _, err := os.Stat(m.dir); !os.IsNotExist(err) {
		t.Errorf("temp dir %s not removed: %v", m.dir, err)
	}
	portClosed(t, net.JoinHostPort(m.Host, strconv.Itoa(m.Port)))
}

func TestRedis(t *testing.T) {
	skipServers(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := StartRedis(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Stop()
	if got := r.AdminDo(t, "ACL", "WHOAMI"); got != "default" {
		t.Errorf("ACL WHOAMI = %v, want default", got)
	}
	c := r.Client("default", "wrong-"+r.AdminPassword)
	if err := c.Ping(ctx).Err(); err == nil || !strings.Contains(err.Error(), "WRONGPASS") {
		t.Errorf("wrong password: got %v, want WRONGPASS", err)
	}
	c.Close()
	r.Stop()
	if _, err := os.Stat(r.dir); !os.IsNotExist(err) {
		t.Errorf("temp dir %s not removed: %v", r.dir, err)
	}
	portClosed(t, r.Addr())
}

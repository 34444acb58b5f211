package testsrv

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// Redis is a running throw-away redis-server (Debian's redis-server 7) on
// Host:Port, with ACLs kept in an ACL file (so ACL SAVE works) and the
// default user protected by a random password.
type Redis struct {
	Host          string // always 127.0.0.1
	Port          int
	AdminUser     string // "default", with +@all
	AdminPassword string // random

	process
}

const redisStartTimeout = 30 * time.Second

// RedisBinary returns $ROTATE_TEST_REDIS_SERVER, else redis-server from PATH,
// else /usr/bin/redis-server.
func RedisBinary() string {
	if p := os.Getenv("ROTATE_TEST_REDIS_SERVER"); p != "" {
		return p
	}
	if p, err := exec.LookPath("redis-server"); err == nil {
		return p
	}
	return "/usr/bin/redis-server"
}

// StartRedis starts redis-server on a free loopback port without
// persistence, waits until the admin can PING, and returns it. ctx bounds
// the startup only; the server runs until Stop.
func StartRedis(ctx context.Context) (r *Redis, err error) {
	bin := RedisBinary()
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("start redis: redis-server not found (set ROTATE_TEST_REDIS_SERVER or run scripts/install-deps.sh): %w", err)
	}
	port, err := FreePort()
	if err != nil {
		return nil, fmt.Errorf("start redis: %w", err)
	}
	dir, err := os.MkdirTemp("", "testsrv-redis-")
	if err != nil {
		return nil, fmt.Errorf("start redis: %w", err)
	}
	r = &Redis{Host: "127.0.0.1", Port: port, AdminUser: "default", AdminPassword: randomHex(16), process: process{dir: dir}}
	defer func() {
		if err != nil {
			r.Stop()
			r, err = nil, fmt.Errorf("start redis: %w", err)
		}
	}()
	sum := sha256.Sum256([]byte(r.AdminPassword))
	acl := filepath.Join(dir, "users.acl")
	if err := os.WriteFile(acl, []byte("user default on #"+hex.EncodeToString(sum[:])+" ~* &* +@all\n"), 0o600); err != nil {
		return r, fmt.Errorf("acl file: %w", err)
	}
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", dir, "--aclfile", acl, "--daemonize", "no", "--logfile", "")
	cmd.Dir = dir
	if r.proc, err = startProc(cmd, filepath.Join(dir, "redis.log"), nil); err != nil {
		return r, err
	}
	return r, r.proc.waitFor(ctx, "redis", redisStartTimeout, func() error {
		c := r.Client(r.AdminUser, r.AdminPassword)
		defer c.Close()
		return c.Ping(ctx).Err()
	})
}

// Addr is host:port.
func (r *Redis) Addr() string { return fmt.Sprintf("%s:%d", r.Host, r.Port) }

// Client returns a one-connection client that logs in as user.
func (r *Redis) Client(user, password string) *redis.Client {
	return redis.NewClient(&redis.Options{Addr: r.Addr(), Username: user, Password: password, Protocol: 2,
		DisableIdentity: true, PoolSize: 1, MaxRetries: -1, DialTimeout: 5 * time.Second,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}})
}

// AdminDo runs one command as the admin and fails the test if it fails.
func (r *Redis) AdminDo(t testing.TB, args ...any) any {
	t.Helper()
	c := r.Client(r.AdminUser, r.AdminPassword)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v, err := c.Do(ctx, args...).Result()
	if err != nil {
		t.Fatalf("redis admin %v: %v", args[0], err)
	}
	return v
}

// Stop kills the server and removes its temp dir. It is safe to call more
// than once and on a nil *Redis.
func (r *Redis) Stop() {
	if r != nil {
		r.shutdown(syscall.SIGKILL, 5*time.Second)
	}
}

// RotationUsers creates user, the rotated account (PING and GET on app:*),
// and adminUser with the ACL rights the rotation's admin credential needs
// (docs/targets/redis.md).
func (r *Redis) RotationUsers(t testing.TB, user, password, adminUser, adminPassword string) {
	t.Helper()
	r.AdminDo(t, "ACL", "SETUSER", user, "on", ">"+password, "~app:*", "-@all", "+ping", "+get")
	r.AdminDo(t, "ACL", "SETUSER", adminUser, "on", ">"+adminPassword, "-@all", "+acl|setuser", "+acl|getuser",
		"+acl|save", "+client|list", "+client|id", "+ping", "+time")
}

// StartRedisServers starts n more Redis servers for t, stopped when t ends.
func StartRedisServers(t testing.TB, n int) []*Redis {
	t.Helper()
	var out []*Redis
	for range n {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		r, err := StartRedis(ctx)
		cancel()
		if err != nil {
			t.Fatalf("start redis: %v", err)
		}
		t.Cleanup(r.Stop)
		out = append(out, r)
	}
	return out
}

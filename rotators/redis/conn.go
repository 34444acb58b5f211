// Package redis is the Redis target: ACL users (Redis 6 and later) through
// github.com/redis/go-redis/v9.
//
// Strategies: dual (the one to use with Redis: deploy adds the PENDING
// password next to the current one, revoke removes the PREVIOUS one, so both
// work during the rollout) and single (deploy replaces every password at
// once). alternate is refused. Passwords are sent as their SHA-256 (ACL
// SETUSER #<hash> / !<hash>), the form Redis stores, never in clear.
//
// The server is the secret's host and port, else REDIS_URL's (redis:// or
// rediss:// for TLS). The secret may set tls (true) and db. Changes are made
// with --admin-secret (a secret with the username and password of an ACL
// admin), else with the credentials in REDIS_URL, else as the user itself
// with CURRENT, then PREVIOUS. After each change deploy and revoke run ACL
// SAVE when the server keeps its users in an ACL file.
package redis

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/step"
)

const (
	defaultPort    = "6379"
	connectTimeout = 10 * time.Second
	ioTimeout      = 30 * time.Second
)

// Target is the Redis target. It holds no connection between calls.
type Target struct {
	url *redis.Options // from REDIS_URL, nil when unset
}

// Open reads REDIS_URL, if set. go-redis's own logger (which would write to
// stderr, where only the final error line belongs) is silenced.
func Open(context.Context, step.Flags) (Target, error) {
	redis.SetLogger(quiet{})
	u := os.Getenv("REDIS_URL")
	if u == "" {
		return Target{}, nil
	}
	opts, err := redis.ParseURL(u)
	if err != nil {
		return Target{}, fmt.Errorf("%w: REDIS_URL is not a redis:// or rediss:// URL", core.ErrUsage)
	}
	return Target{url: opts}, nil
}

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

// Describe names the ACL user and endpoint, never the password.
func (t Target) Describe(creds core.Value) string {
	user, _ := creds.String("username")
	return fmt.Sprintf("redis user %q at %s", user, t.addr(creds))
}

func (t Target) addr(creds core.Value) string {
	host, port := creds.Text("host"), creds.Text("port")
	if t.url != nil {
		uh, up, _ := net.SplitHostPort(t.url.Addr)
		host, port = cmp.Or(host, uh), cmp.Or(port, up)
	}
	return net.JoinHostPort(cmp.Or(host, "127.0.0.1"), cmp.Or(port, defaultPort))
}

// appEndpoint applies core.AppEndpoint to a secret without host, whose
// server then comes from REDIS_URL.
func (t Target) appEndpoint(creds core.Value) error {
	if t.url == nil {
		return nil
	}
	uh, _, _ := net.SplitHostPort(t.url.Addr)
	_, port, _ := net.SplitHostPort(t.addr(creds))
	return core.AppEndpoint(creds, uh, port, defaultPort, "REDIS_URL")
}

// client is the narrow part of go-redis the target uses: raw commands on
// one connection.
type client interface {
	Do(ctx context.Context, args ...any) *redis.Cmd
	Close() error
}

// connect logs in with creds (AUTH username password) on one connection.
func (t Target) connect(ctx context.Context, creds core.Value) (client, error) {
	user, ok := creds.String("username")
	if !ok || user == "" {
		return nil, fmt.Errorf("%w: secret has no username field", core.ErrUsage)
	}
	pw, ok := creds.String("password")
	if !ok {
		return nil, fmt.Errorf("%w: secret has no password field", core.ErrUsage)
	}
	if err := t.appEndpoint(creds); err != nil {
		return nil, err
	}
	opts := &redis.Options{Addr: t.addr(creds), Username: user, Password: pw, Protocol: 2, DisableIdentity: true,
		PoolSize: 1, MaxRetries: -1, DialTimeout: connectTimeout, ReadTimeout: ioTimeout, WriteTimeout: ioTimeout,
		// Without this go-redis ignores the context's deadline on reads and
		// writes: a slow server held a step well past its --timeout.
		ContextTimeoutEnabled:    true,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}}
	if t.url != nil {
		opts.TLSConfig, opts.DB = t.url.TLSConfig, t.url.DB
	}
	if b, _ := strconv.ParseBool(creds.Text("tls")); b && opts.TLSConfig == nil {
		opts.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, ServerName: strings.Split(opts.Addr, ":")[0]}
	}
	if db := creds.Text("db"); db != "" {
		n, err := strconv.Atoi(db)
		if err != nil {
			return nil, fmt.Errorf("%w: db %q is not a number", core.ErrUsage, db)
		}
		opts.DB = n
	}
	c := redis.NewClient(opts)
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		return nil, classify(err)
	}
	return c, nil
}

// classify maps go-redis and server errors onto the core classes.
func classify(err error) error {
	var ne net.Error
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	switch {
	case err == nil:
		return nil
	case strings.HasPrefix(msg, "WRONGPASS"):
		return fmt.Errorf("%w: %s", core.ErrRejected, msg)
	case strings.HasPrefix(msg, "NOPERM"), strings.HasPrefix(msg, "NOAUTH"):
		return fmt.Errorf("%w: %s", core.ErrDenied, msg)
	case strings.HasPrefix(msg, "LOADING"), strings.HasPrefix(msg, "BUSY"), strings.HasPrefix(msg, "TRYAGAIN"),
		strings.HasPrefix(msg, "MASTERDOWN"), strings.HasPrefix(msg, "READONLY"):
		return fmt.Errorf("%w: %s", core.ErrUnavailable, msg)
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne), errors.Is(err, redis.ErrClosed):
		return fmt.Errorf("%w: %v", core.ErrUnavailable, err)
	}
	return fmt.Errorf("redis: %w", err)
}

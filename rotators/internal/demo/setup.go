package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/vault/api"
	"github.com/jackc/pgx/v5"
)

// Names of the demo's roles.
const (
	appRole     = "orders_app"
	groupRole   = "orders_app_group"
	rotatorRole = "orders_rotator"
)

// demo is what setup made: the secret to rotate, the admin secret, the
// token the flow gets, and every secret value the demo has seen.
type demo struct {
	s         *servers
	vc        *api.Client // with the token the demo was given or started with
	flowToken string
	path      string // the secret is secret/<path>
	adminPath string
	oldPW     string
	secrets   []string // for the final leak check
}

// setup creates the roles in PostgreSQL and the secrets in Vault.
func setup(ctx context.Context, root string, s *servers) (*demo, error) {
	vc, err := vaultClient(s.vaultAddr, s.vaultToken)
	if err != nil {
		return nil, err
	}
	id := randomHex(3)
	d := &demo{s: s, vc: vc, oldPW: randomHex(16), path: "apps/demo-" + id + "/orders/postgres"}
	d.adminPath = "rotation-admin/demo-" + id + "/orders/postgres"
	rotatorPW := randomHex(16)
	d.secrets = append(d.secrets, d.oldPW, rotatorPW, s.vaultToken)
	if cfg, err := pgx.ParseConfig(s.pg.adminDSN); err == nil && cfg.Password != "" {
		d.secrets = append(d.secrets, cfg.Password)
	}
	if err := d.createRoles(ctx, rotatorPW); err != nil {
		return nil, fmt.Errorf("create roles: %w", err)
	}
	if err := d.putSecrets(ctx, rotatorPW); err != nil {
		return nil, fmt.Errorf("write secrets to Vault (is KV v2 mounted at secret/?): %w", err)
	}
	d.flowToken = d.policyToken(ctx, root, id)
	d.secrets = append(d.secrets, d.flowToken)
	return d, nil
}

// createRoles makes orders_app a member of orders_app_group (which would
// hold the privileges) and orders_rotator a LOGIN CREATEROLE role, the admin
// docs/targets/postgres.md documents. Re-running resets their passwords.
func (d *demo) createRoles(ctx context.Context, rotatorPW string) error {
	conn, err := pgx.Connect(ctx, d.s.pg.adminDSN)
	if err != nil {
		return errors.New("cannot connect as admin")
	}
	defer conn.Close(ctx)
	var version int
	if err := conn.QueryRow(ctx, "SELECT current_setting('server_version_num')::int").Scan(&version); err != nil {
		return err
	}
	stmts := []string{
		ensureRole(groupRole, "NOLOGIN", ""),
		ensureRole(appRole, "LOGIN", d.oldPW),
		"GRANT " + ident(groupRole) + " TO " + ident(appRole),
		ensureRole(rotatorRole, "LOGIN CREATEROLE", rotatorPW),
	}
	if version >= 160000 { // CREATEROLE alone no longer manages other roles
		stmts = append(stmts, fmt.Sprintf("GRANT %s TO %s WITH ADMIN OPTION", ident(appRole), ident(rotatorRole)))
	}
	for _, s := range stmts {
		if _, err := conn.Exec(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", strings.SplitN(s, " PASSWORD", 2)[0], err)
		}
	}
	say("  PostgreSQL: login role %s, member of the group role %s (which holds its privileges)", appRole, groupRole)
	say("  PostgreSQL: admin role %s (LOGIN CREATEROLE, nothing else), the one the binaries use", rotatorRole)
	return nil
}

// ensureRole creates a role or, if it exists, resets its attributes.
func ensureRole(name, attrs, password string) string {
	pw := ""
	if password != "" {
		pw = " PASSWORD '" + password + "'" // hex: nothing to escape
	}
	return fmt.Sprintf(`DO $$ BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '%[1]s') THEN ALTER ROLE %[2]s %[3]s%[4]s;
  ELSE CREATE ROLE %[2]s %[3]s%[4]s; END IF;
END $$`, name, ident(name), attrs, pw)
}

func ident(s string) string { return pgx.Identifier{s}.Sanitize() }

// putSecrets writes the application's and the admin's credentials, RDS-shaped.
func (d *demo) putSecrets(ctx context.Context, rotatorPW string) error {
	pg := d.s.pg
	cred := func(user, pw string) map[string]any {
		return map[string]any{"engine": "postgres", "host": pg.host, "port": pg.port, "dbname": pg.dbname, "username": user, "password": pw}
	}
	kv := d.vc.KVv2("secret")
	if _, err := kv.Put(ctx, d.path, cred(appRole, d.oldPW)); err != nil {
		return err
	}
	if _, err := kv.Put(ctx, d.adminPath, cred(rotatorRole, rotatorPW)); err != nil {
		return err
	}
	say("  Vault: secret/%s (version 1) holds %s's credential", d.path, appRole)
	say("  Vault: secret/%s holds %s's credential", d.adminPath, rotatorRole)
	return nil
}

// policyToken returns a token holding only docs/vault-rotation-policy.hcl,
// or the demo's own token when it may not create one.
func (d *demo) policyToken(ctx context.Context, root, id string) string {
	b, err := os.ReadFile(filepath.Join(root, "docs", "vault-rotation-policy.hcl"))
	if err == nil {
		name := "rotation-demo-" + id
		if err = d.vc.Sys().PutPolicyWithContext(ctx, name, string(b)); err == nil {
			var sec *api.Secret
			sec, err = d.vc.Auth().Token().CreateWithContext(ctx, &api.TokenCreateRequest{Policies: []string{name}, NoDefaultPolicy: true, TTL: "1h"})
			if err == nil {
				say("  Vault: the flow's VAULT_TOKEN holds only docs/vault-rotation-policy.hcl (policy %s)", name)
				return sec.Auth.ClientToken
			}
		}
	}
	say("  Vault: could not make a least-privilege token (%v); the flow uses the demo's own token", err)
	return d.s.vaultToken
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

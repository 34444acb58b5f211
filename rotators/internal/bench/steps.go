package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// stepRow is one call measured with each build of ours and each baseline
// that can make the same call (a zero stat: not applicable).
type stepRow struct {
	call string
	ours map[string]stat // by variant key
	bao  stat
	aws  stat
}

// stepCosts measures the per-step process cost: start-up alone
// (--version), one read of a secret, and a validate step.
func (b *bench) stepCosts(ctx context.Context) ([]stepRow, error) {
	s := b.srv
	if err := s.putKV(ctx, "apps/bench/read", s.pgSecret("reader", randomHex(16))); err != nil {
		return nil, err
	}
	valRef, err := s.newPGRole(ctx, "bench_validate")
	if err != nil {
		return nil, err
	}
	if err := b.createAWSSecret(ctx, "apps/bench/read", map[string]any{"username": "reader", "password": randomHex(16)}); err != nil {
		return nil, err
	}
	vEnv, aEnv := s.vaultEnv(b.home), s.awsEnv(b.home)
	type call struct {
		name        string
		cmd         string
		args        []string
		env         []string
		pipe        bool
		bao, awsCLI *proc
	}
	calls := []call{
		{name: "start-up only: `--version`", cmd: "vault-get", args: []string{"--version"}, env: vEnv,
			bao:    &proc{path: b.bao, args: []string{"version"}, env: vEnv},
			awsCLI: &proc{path: b.aws, args: []string{"--version"}, env: aEnv}},
		{name: "read a Vault KV v2 secret (`vault-get` / `bao kv get`)", cmd: "vault-get", pipe: true, env: vEnv,
			args: []string{"--secret", "vault://secret/apps/bench/read", "--stage", "current"},
			bao:  &proc{path: b.bao, args: []string{"kv", "get", "-format=json", "secret/apps/bench/read"}, env: vEnv}},
		{name: "read a Secrets Manager secret (`awssm-get` / `aws secretsmanager get-secret-value`)", cmd: "awssm-get",
			pipe: true, env: aEnv, args: []string{"--secret", "awssm://apps/bench/read", "--stage", "current"},
			awsCLI: &proc{path: b.aws, env: aEnv, args: []string{"secretsmanager", "get-secret-value",
				"--secret-id", "apps/bench/read", "--endpoint-url", s.moto.Endpoint, "--region", s.moto.Region}}},
		{name: "validate step: `postgres-validate` (runs `vault-get`, logs in to PostgreSQL)", cmd: "postgres-validate",
			env: vEnv, args: []string{"--secret", valRef, "--stage", "current"}},
	}
	var rows []stepRow
	for _, c := range calls {
		r := stepRow{call: c.name, ours: map[string]stat{}}
		for _, v := range b.variants {
			p := proc{path: v.bin(c.cmd), args: c.args, env: c.env, helperPipe: c.pipe}
			if r.ours[v.key], err = p.repeat(ctx, b.cfg.runs, b.tmp); err != nil {
				return nil, fmt.Errorf("%s (%s): %w", c.name, v.key, err)
			}
		}
		if c.bao != nil {
			if r.bao, err = c.bao.repeat(ctx, b.cfg.runs, b.tmp); err != nil {
				return nil, fmt.Errorf("%s (bao): %w", c.name, err)
			}
		}
		if c.awsCLI != nil {
			if r.aws, err = c.awsCLI.repeat(ctx, b.cfg.runs, b.tmp); err != nil {
				return nil, fmt.Errorf("%s (aws): %w", c.name, err)
			}
		}
		b.logf("  %s: done", c.name)
		rows = append(rows, r)
	}
	return rows, nil
}

// createAWSSecret creates a Secrets Manager secret in moto as the admin.
func (b *bench) createAWSSecret(ctx context.Context, name string, value map[string]any) error {
	body, err := json.Marshal(value)
	if err != nil {
		return err
	}
	sm := secretsmanager.NewFromConfig(b.srv.moto.AWSConfig(b.srv.moto.AdminKeyID, b.srv.moto.AdminSecret))
	_, err = sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(string(body))})
	if err != nil {
		return fmt.Errorf("create secret %s: %w", name, err)
	}
	return nil
}

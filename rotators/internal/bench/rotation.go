package main

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// rotRow is one whole rotation, medians over repeated rotations.
type rotRow struct {
	what    string
	how     string
	st      stat
	group   string // "pg" or "iam": which baseline it is compared with
	base    bool   // a baseline, not ours
	variant string // the build, for ours
}

// sequence runs procs one after the other and returns the total wall time;
// with tmp set, each runs under GNU time and the largest peak RSS among
// them is returned instead.
func sequence(ctx context.Context, procs []proc, tmp string) (sample, error) {
	var total sample
	for _, p := range procs {
		run := p.run
		if tmp != "" {
			run = func(ctx context.Context) (sample, error) { return p.runRSS(ctx, tmp) }
		}
		s, err := run(ctx)
		if err != nil {
			return total, err
		}
		total.wall += s.wall
		total.rssKiB = max(total.rssKiB, s.rssKiB)
	}
	return total, nil
}

// repeatSeq runs the sequence made by mk(i) n times for wall time and n
// times under GNU time for RSS (2n different i), and returns medians.
func repeatSeq(ctx context.Context, n int, tmp string, mk func(i int) []proc) (stat, error) {
	var walls, rss []sample
	for i := range n {
		s, err := sequence(ctx, mk(2*i), "")
		if err != nil {
			return stat{}, err
		}
		walls = append(walls, s)
		if s, err = sequence(ctx, mk(2*i+1), tmp); err != nil {
			return stat{}, err
		}
		rss = append(rss, s)
	}
	return combine(walls, rss), nil
}

// pgRotation is every step of the PostgreSQL flow (single strategy), as
// the flow runs them: stage, deploy, validate, promote, revoke.
func pgRotation(v *variant, env []string, ref, admin, rid string) []proc {
	p := func(name string, args ...string) proc {
		return proc{path: v.bin(name), args: append([]string{"--secret", ref}, args...), env: env}
	}
	return []proc{
		p("vault-stage", "--rotation", rid, "--generate", "length=32"),
		p("postgres-deploy", "--rotation", rid, "--stage", "pending", "--admin-secret", admin),
		p("postgres-validate", "--stage", "pending"),
		p("vault-promote", "--rotation", rid),
		p("postgres-revoke", "--rotation", rid, "--admin-secret", admin),
	}
}

// iamRotation is every step of flows/aws-iam-access-key-awssm.yaml.
func iamRotation(v *variant, env []string, ref, rid string) []proc {
	p := func(name string, args ...string) proc {
		return proc{path: v.bin(name), args: append([]string{"--secret", ref}, args...), env: env}
	}
	return []proc{
		p("awsiam-deploy", "--rotation", rid),
		p("awsiam-validate", "--stage", "pending"),
		p("awssm-promote", "--rotation", rid),
		p("awsiam-revoke", "--rotation", rid),
	}
}

// rotations measures whole rotations: ours against OpenBao's rotate-role
// on the same PostgreSQL, and our IAM flow against the guide's shell flow.
func (b *bench) rotations(ctx context.Context) ([]rotRow, error) {
	s, n := b.srv, b.cfg.rotations
	admin, err := s.pgAdminRef(ctx)
	if err != nil {
		return nil, err
	}
	var rows []rotRow
	for _, v := range b.rotationVariants() {
		ref, err := s.newPGRole(ctx, "bench_rot_"+v.key)
		if err != nil {
			return nil, err
		}
		st, err := repeatSeq(ctx, n, b.tmp, func(i int) []proc {
			return pgRotation(v, s.vaultEnv(b.home), ref, admin, fmt.Sprintf("bench-%s-%d-%d", v.key, i, time.Now().UnixNano()))
		})
		if err != nil {
			return nil, fmt.Errorf("postgres rotation (%s): %w", v.key, err)
		}
		rows = append(rows, rotRow{what: "PostgreSQL password in OpenBao KV", how: "ours, 5 steps, " + v.title, st: st, group: "pg", variant: v.key})
	}
	if err := b.setupRotateRole(ctx); err != nil {
		return nil, err
	}
	rr := proc{path: b.bao, args: []string{"write", "-f", "database/rotate-role/bench"}, env: s.vaultEnv(b.home)}
	st, err := rr.repeat(ctx, n, b.tmp)
	if err != nil {
		return nil, fmt.Errorf("bao rotate-role: %w", err)
	}
	rows = append(rows, rotRow{what: "PostgreSQL password in OpenBao's database engine", how: "`bao write -f database/rotate-role/bench` (static role)", st: st, group: "pg", base: true})
	b.logf("  postgres rotations: done")
	iamRows, err := b.iamRotations(ctx)
	return append(rows, iamRows...), err
}

// setupRotateRole mounts OpenBao's database secrets engine with its
// built-in PostgreSQL plugin and a static role on the same server.
func (b *bench) setupRotateRole(ctx context.Context) error {
	s := b.srv
	if err := s.pgExec(ctx, "DROP ROLE IF EXISTS bench_bao_static", "CREATE ROLE bench_bao_static LOGIN PASSWORD '"+randomHex(16)+"'"); err != nil {
		return err
	}
	writes := []struct {
		path string
		data map[string]any
	}{
		{"sys/mounts/database", map[string]any{"type": "database"}},
		{"database/config/pg", map[string]any{"plugin_name": "postgresql-database-plugin", "allowed_roles": "*",
			"connection_url": fmt.Sprintf("postgresql://{{username}}:{{password}}@%s:%d/postgres?sslmode=disable", s.pg.Host, s.pg.Port),
			"username":       s.pg.AdminUser, "password": s.pg.AdminPassword}},
		{"database/static-roles/bench", map[string]any{"db_name": "pg", "username": "bench_bao_static", "rotation_period": "24h"}},
	}
	for _, w := range writes {
		if _, err := s.vc.Logical().WriteWithContext(ctx, w.path, w.data); err != nil {
			return fmt.Errorf("openbao database engine: write %s: %w", w.path, err)
		}
	}
	return nil
}

// iamRotations: our four IAM steps, and the guide's shell flow as written
// and with its Log task replaced by a put-secret-value.
func (b *bench) iamRotations(ctx context.Context) ([]rotRow, error) {
	s, n := b.srv, b.cfg.rotations
	var rows []rotRow
	for _, v := range b.rotationVariants() {
		ref, err := b.newIAMSecret(ctx, "bench-ours-"+v.key)
		if err != nil {
			return nil, err
		}
		st, err := repeatSeq(ctx, n, b.tmp, func(i int) []proc {
			return iamRotation(v, s.awsEnv(b.home), ref, fmt.Sprintf("bench-iam-%s-%d-%d", v.key, i, time.Now().UnixNano()))
		})
		if err != nil {
			return nil, fmt.Errorf("iam rotation (%s): %w", v.key, err)
		}
		rows = append(rows, rotRow{what: "IAM access key in Secrets Manager", how: "ours, 4 steps, " + v.title, st: st, group: "iam", variant: v.key})
	}
	for _, store := range []bool{false, true} {
		user := "bench-guide"
		how := "guide's shell flow (3 `aws` calls + `jq`; stores nothing)"
		env := append(s.awsEnv(b.home), "AWS_CLI="+b.aws)
		if store {
			user += "-store"
			how = "guide's shell flow + `put-secret-value` in place of its Log task"
			env = append(env, "GUIDE_STORE_SECRET=apps/"+user)
		}
		if _, err := b.newIAMSecret(ctx, user); err != nil {
			return nil, err
		}
		g := proc{path: "bash", args: []string{b.guide, user}, env: env}
		st, err := g.repeat(ctx, n, b.tmp)
		if err != nil {
			return nil, fmt.Errorf("guide flow: %w", err)
		}
		rows = append(rows, rotRow{what: "IAM access key", how: how, st: st, group: "iam", base: true})
	}
	b.logf("  IAM rotations: done")
	return rows, nil
}

// newIAMSecret creates IAM user apps/<user> with one key, kept in the
// Secrets Manager secret apps/<user>, and returns its reference.
func (b *bench) newIAMSecret(ctx context.Context, user string) (string, error) {
	ic := iam.NewFromConfig(b.srv.moto.AWSConfig(b.srv.moto.AdminKeyID, b.srv.moto.AdminSecret))
	if _, err := ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(user), Path: aws.String("/apps/")}); err != nil {
		return "", fmt.Errorf("create iam user: %w", err)
	}
	out, err := ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(user)})
	if err != nil {
		return "", fmt.Errorf("create access key: %w", err)
	}
	name := "apps/" + user
	err = b.createAWSSecret(ctx, name, map[string]any{"username": user,
		"access_key_id": aws.ToString(out.AccessKey.AccessKeyId), "secret_access_key": aws.ToString(out.AccessKey.SecretAccessKey)})
	return "awssm://" + name, err
}

// rotationVariants are the builds whole rotations are measured with: all
// but the unstripped one, which differs from percmd only in size.
func (b *bench) rotationVariants() []*variant {
	var vs []*variant
	for _, v := range b.variants {
		if v.key != "before" {
			vs = append(vs, v)
		}
	}
	return vs
}

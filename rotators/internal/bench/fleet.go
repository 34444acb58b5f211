package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// fleetRow is one fleet rotated with a given number of rotations at once.
type fleetRow struct {
	target   string
	count    int
	parallel int
	wall     time.Duration
	errors   int
	firstErr string
}

func (r fleetRow) perSecond() float64 { return float64(r.count-r.errors) / r.wall.Seconds() }

// fleet rotates every Redis ACL user and every PostgreSQL role once per
// parallelism level, each rotation being the flow's step binaries run as
// processes (the image's multi-call build), secrets in OpenBao.
func (b *bench) fleet(ctx context.Context) ([]fleetRow, error) {
	v := b.variants[0]
	env := b.srv.vaultEnv(b.home)
	redisRefs, redisAdmin, err := b.redisFleet(ctx, b.cfg.redisUsers)
	if err != nil {
		return nil, err
	}
	pgAdmin, err := b.srv.pgAdminRef(ctx)
	if err != nil {
		return nil, err
	}
	var pgRefs []string
	for i := range b.cfg.pgRoles {
		ref, err := b.srv.newPGRole(ctx, fmt.Sprintf("bench_fleet_%d", i))
		if err != nil {
			return nil, err
		}
		pgRefs = append(pgRefs, ref)
	}
	var rows []fleetRow
	for _, p := range b.cfg.parallel {
		r := runFleet(ctx, "Redis ACL users", redisRefs, p, func(ref, rid string) []proc {
			return redisRotation(v, env, ref, redisAdmin, rid)
		})
		rows = append(rows, r)
		b.logf("  fleet redis x%d: %d in %s, %d errors", p, r.count, r.wall.Round(time.Millisecond), r.errors)
		r = runFleet(ctx, "PostgreSQL roles", pgRefs, p, func(ref, rid string) []proc {
			return pgRotation(v, env, ref, pgAdmin, rid)
		})
		rows = append(rows, r)
		b.logf("  fleet postgres x%d: %d in %s, %d errors", p, r.count, r.wall.Round(time.Millisecond), r.errors)
	}
	return rows, nil
}

// runFleet rotates every ref once with parallel workers.
func runFleet(ctx context.Context, target string, refs []string, parallel int, mk func(ref, rid string) []proc) fleetRow {
	jobs := make(chan string)
	var errs atomic.Int64
	var first sync.Once
	row := fleetRow{target: target, count: len(refs), parallel: parallel}
	var wg sync.WaitGroup
	start := time.Now()
	for w := range parallel {
		wg.Go(func() {
			for ref := range jobs {
				rid := fmt.Sprintf("fleet-%d-%d-%d", parallel, w, time.Now().UnixNano())
				if _, err := sequence(ctx, mk(ref, rid), ""); err != nil {
					errs.Add(1)
					first.Do(func() { row.firstErr = err.Error() })
				}
			}
		})
	}
	for _, r := range refs {
		jobs <- r
	}
	close(jobs)
	wg.Wait()
	row.wall, row.errors = time.Since(start), int(errs.Load())
	return row
}

// redisRotation is every step of flows/redis-acl-password-vault.yaml with
// its default strategy, dual.
func redisRotation(v *variant, env []string, ref, admin, rid string) []proc {
	p := func(name string, args ...string) proc {
		return proc{path: v.bin(name), args: append([]string{"--secret", ref}, args...), env: env}
	}
	return []proc{
		p("vault-stage", "--rotation", rid, "--generate", "length=32", "--strategy", "dual"),
		p("redis-deploy", "--rotation", rid, "--stage", "pending", "--admin-secret", admin),
		p("redis-validate", "--stage", "pending"),
		p("vault-promote", "--rotation", rid),
		p("redis-revoke", "--rotation", rid, "--admin-secret", admin),
	}
}

// redisFleet creates n ACL users with their secrets, and the admin secret.
func (b *bench) redisFleet(ctx context.Context, n int) ([]string, string, error) {
	r := b.srv.redis
	c := r.Client(r.AdminUser, r.AdminPassword)
	defer c.Close()
	secret := func(user, pw string) map[string]any {
		return map[string]any{"host": r.Host, "port": r.Port, "username": user, "password": pw}
	}
	const adminPath = "rotation-admin/bench/redis"
	if err := b.srv.putKV(ctx, adminPath, secret(r.AdminUser, r.AdminPassword)); err != nil {
		return nil, "", err
	}
	var refs []string
	for i := range n {
		user, pw := fmt.Sprintf("bench_app_%d", i), randomHex(16)
		if err := c.Do(ctx, "ACL", "SETUSER", user, "reset", "on", ">"+pw, "~app:*", "-@all", "+ping", "+get", "+set").Err(); err != nil {
			return nil, "", fmt.Errorf("redis acl setuser: %w", err)
		}
		path := "apps/bench/redis/" + user
		if err := b.srv.putKV(ctx, path, secret(user, pw)); err != nil {
			return nil, "", err
		}
		refs = append(refs, "vault://secret/"+path)
	}
	return refs, "vault://secret/" + adminPath, nil
}

package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	tests := []struct {
		in   []int64
		want int64
	}{
		{nil, 0},
		{[]int64{7}, 7},
		{[]int64{9, 1, 5}, 5},
		{[]int64{4, 1, 3, 2}, 2}, // (2+3)/2 in integers
	}
	for _, tt := range tests {
		if got := median(tt.in); got != tt.want {
			t.Errorf("median(%v) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		args            []string
		runs, redis, pg int
		parallel        string
		wantErr         bool
	}{
		{args: nil, runs: 10, redis: 500, pg: 200, parallel: "[1 2 4 8]"},
		{args: []string{"-quick"}, runs: 3, redis: 40, pg: 16, parallel: "[1 2 4 8]"},
		{args: []string{"-quick", "-runs", "7", "-parallel", "2,4"}, runs: 7, redis: 40, pg: 16, parallel: "[2 4]"},
		{args: []string{"-parallel", "0"}, wantErr: true},
		{args: []string{"stray"}, wantErr: true},
	}
	for _, tt := range tests {
		c, err := parseFlags(tt.args)
		if (err != nil) != tt.wantErr {
			t.Errorf("parseFlags(%q) error = %v, want error %v", tt.args, err, tt.wantErr)
			continue
		}
		if tt.wantErr {
			continue
		}
		got := []any{c.runs, c.redisUsers, c.pgRoles, fmt.Sprint(c.parallel)}
		want := []any{tt.runs, tt.redis, tt.pg, tt.parallel}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("parseFlags(%q) = %v, want %v", tt.args, got, want)
				break
			}
		}
	}
}

// TestQuickRun runs the whole benchmark with counts of one against real
// servers, so that it cannot rot: every section must produce its table and
// the one-user fleet must rotate without errors.
func TestQuickRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts OpenBao, PostgreSQL, moto and Redis")
	}
	cfg, err := parseFlags([]string{"-runs", "1", "-rotations", "1", "-redis-users", "1", "-pg-roles", "1",
		"-parallel", "1", "-image", "", "-out", "", "-variants", "multi,onebin"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var out, progress bytes.Buffer
	if err := run(ctx, cfg, &out, &progress); err != nil {
		t.Fatalf("run: %v\nprogress:\n%s", err, progress.String())
	}
	report := out.String()
	if strings.Contains(report, "`vault-get` | 0 |") {
		t.Errorf("init table counted no package initialisation:\n%s", report)
	}
	for _, want := range []string{
		"## Per-step process cost", "| start-up only: `--version` |", "Start-up work before `main`", "## One whole rotation",
		"| `vault-stage` |", "| `postgres-revoke` |",
		"`bao write -f database/rotate-role/bench`", "guide's shell flow", "## Fleet throughput",
		"| Redis ACL users | 1 | 1 |", "| PostgreSQL roles | 1 | 1 |", "## Sizes", "| fleet without errors | 0 errors | yes |",
		"split into one per SDK family", "Files of multi (each command is a link to one): `rotation-pack` ", "`rotation-pack-vault` ",
		"| onebin `awsiam-deploy` |",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
}

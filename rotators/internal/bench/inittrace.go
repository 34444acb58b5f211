package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"
)

// initCost is the package initialisation a binary does before main, from
// GODEBUG=inittrace=1: work every step pays before its first network call.
type initCost struct {
	binary   string
	packages int
	clock    time.Duration // median over runs of the sum of every init's clock time
	top      []string      // the costliest packages of one run
}

// initCosts traces `vault-get --version` and `awsiam-deploy --version` of
// each build: the Vault and the AWS families.
func (b *bench) initCosts(ctx context.Context) ([]initCost, error) {
	var out []initCost
	for _, name := range []string{"vault-get", "awsiam-deploy"} {
		for _, v := range b.variants {
			c := initCost{binary: v.key + " `" + name + "`"}
			var sums []time.Duration
			for range b.cfg.runs {
				n, sum, top, err := traceInit(ctx, v.bin(name))
				if err != nil {
					return nil, err
				}
				c.packages, c.top = n, top
				sums = append(sums, sum)
			}
			c.clock = median(sums)
			out = append(out, c)
		}
	}
	return out, nil
}

// traceInit runs bin --version with inittrace and sums the init lines:
// "init <package> @0.5 ms, 0.30 ms clock, 1408 bytes, 4 allocs".
func traceInit(ctx context.Context, bin string) (int, time.Duration, []string, error) {
	cmd := exec.CommandContext(ctx, bin, "--version")
	cmd.Env = append(baseEnv("/nonexistent"), "GODEBUG=inittrace=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return 0, 0, nil, fmt.Errorf("%s --version: %w", bin, err)
	}
	type pkg struct {
		name  string
		clock time.Duration
	}
	var pkgs []pkg
	var sum time.Duration
	for _, line := range strings.Split(stderr.String(), "\n") {
		f := strings.Fields(line)
		if len(f) < 7 || f[0] != "init" || f[6] != "clock," {
			continue
		}
		ms, err := strconv.ParseFloat(f[4], 64)
		if err != nil {
			continue
		}
		d := time.Duration(ms * float64(time.Millisecond))
		sum += d
		pkgs = append(pkgs, pkg{f[1], d})
	}
	slices.SortFunc(pkgs, func(a, b pkg) int { return int(b.clock - a.clock) })
	var top []string
	for _, p := range pkgs[:min(5, len(pkgs))] {
		top = append(top, fmt.Sprintf("%s %.2f ms", strings.TrimPrefix(p.name, "github.com/"), float64(p.clock)/float64(time.Millisecond)))
	}
	return len(pkgs), sum, top, nil
}

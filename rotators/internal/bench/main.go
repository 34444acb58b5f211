// Command bench measures the rotation pack against the tools users would
// otherwise use, in one run on this machine, and writes the results to
// docs/benchmarks.md (issue 9):
//
//	go run ./rotators/internal/bench            (or: make bench)
//	go run ./rotators/internal/bench -quick     (smaller counts, about a minute)
//
// It builds the binaries four ways (the image's multi-call binary per SDK
// family, the one multi-call binary the image shipped before, one binary
// per command, and the old unstripped per-command build), starts
// OpenBao, PostgreSQL, moto and Redis on loopback ports (testsrv), and
// measures medians over repeated runs: the cost of one step process
// against the bao and aws CLIs, whole rotations against OpenBao's
// rotate-role and the shell flow of Kestra's rotation guide, fleet
// throughput at several parallelism levels, and binary and image sizes.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// config is what the flags set.
type config struct {
	runs       int   // repetitions of each single step
	rotations  int   // repetitions of each whole rotation
	redisUsers int   // fleet sizes
	pgRoles    int   //
	parallel   []int // rotations at once in the fleet
	image      string
	out        string   // markdown file to write, "" for none
	sections   []string // which sections to run
	variants   []string // which builds to measure (keys)
	oldSrc     string   // another source tree to build as variant "old"
	args       string   // the command line, for the report
}

var allSections = []string{"steps", "rotation", "fleet", "sizes"}

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	if err := run(context.Background(), cfg, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench failed:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (config, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	c := config{}
	quick := fs.Bool("quick", false, "small counts (runs 3, rotations 3, 40 Redis users, 16 PostgreSQL roles)")
	fs.IntVar(&c.runs, "runs", 10, "repetitions of each single-step measurement (medians)")
	fs.IntVar(&c.rotations, "rotations", 5, "repetitions of each whole rotation (medians)")
	fs.IntVar(&c.redisUsers, "redis-users", 500, "Redis ACL users in the fleet")
	fs.IntVar(&c.pgRoles, "pg-roles", 200, "PostgreSQL roles in the fleet")
	par := fs.String("parallel", "1,2,4,8", "fleet parallelism levels, comma separated")
	fs.StringVar(&c.image, "image", "localhost/rotation-pack:dev", `image to measure with podman ("" to skip; build it with make image)`)
	fs.StringVar(&c.out, "out", "docs/benchmarks.md", `markdown report to write, relative to the module root ("" for stdout only)`)
	sec := fs.String("sections", strings.Join(allSections, ","), "sections to run")
	vars := fs.String("variants", "multi,onebin,percmd,before", "builds to measure: multi (image: family binaries), onebin (one multi-call binary), percmd (dist/bin), before (unstripped)")
	fs.StringVar(&c.oldSrc, "old-src", "", "also build the image's binary from this source tree (e.g. git archive HEAD) as variant old")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if c.oldSrc != "" {
		abs, err := filepath.Abs(c.oldSrc)
		if err != nil {
			return c, fmt.Errorf("-old-src: %w", err)
		}
		c.oldSrc = abs
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *quick {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		for name, v := range map[string]*int{"runs": &c.runs, "rotations": &c.rotations, "redis-users": &c.redisUsers, "pg-roles": &c.pgRoles} {
			if !set[name] {
				*v = map[string]int{"runs": 3, "rotations": 3, "redis-users": 40, "pg-roles": 16}[name]
			}
		}
	}
	for _, p := range strings.Split(*par, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n < 1 {
			return c, fmt.Errorf("-parallel: %q is not a positive number", p)
		}
		c.parallel = append(c.parallel, n)
	}
	c.sections, c.variants = strings.Split(*sec, ","), strings.Split(*vars, ",")
	if c.runs < 1 || c.rotations < 1 || c.redisUsers < 0 || c.pgRoles < 0 {
		return c, fmt.Errorf("counts must be positive")
	}
	c.args = strings.Join(args, " ")
	return c, nil
}

// logf-style progress goes to stderr so that stdout is the report only.
func progress(w io.Writer) func(string, ...any) {
	return func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
}

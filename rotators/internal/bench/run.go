package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/kestra-rotation/rotation-pack/rotators/internal/testsrv"
)

// bench is one benchmark run: its configuration, the builds, the servers
// and the baseline tools.
type bench struct {
	cfg      config
	root     string // module root
	tmp      string // removed at the end
	home     string // HOME of every child
	srv      *servers
	variants []*variant
	bao, aws string // baseline CLIs
	guide    string // the guide's shell flow
	logf     func(string, ...any)
}

// results are what the sections measured; nil when a section was not run.
type results struct {
	steps    []stepRow
	inits    []initCost
	rots     []rotRow
	trips    []roundTrips
	fleet    []fleetRow
	sizes    *sizes
	variants []*variant
	started  time.Time
	took     time.Duration
}

func run(ctx context.Context, cfg config, stdout, stderr io.Writer) error {
	b := &bench{cfg: cfg, logf: progress(stderr)}
	var err error
	if b.root, err = testsrv.RepoRoot(); err != nil {
		return err
	}
	if b.tmp, err = os.MkdirTemp("", "rotation-bench-"); err != nil {
		return err
	}
	defer os.RemoveAll(b.tmp)
	b.home = filepath.Join(b.tmp, "home")
	if err := os.Mkdir(b.home, 0o700); err != nil {
		return err
	}
	if err := b.tools(); err != nil {
		return err
	}
	res := &results{started: time.Now()}
	all := variants()
	if cfg.oldSrc != "" {
		all = append(all, oldVariant(cfg.oldSrc))
		cfg.variants = append(cfg.variants, "old")
	}
	for _, v := range all {
		if slices.Contains(cfg.variants, v.key) {
			b.logf("building %s", v.title)
			if err := v.build(b.root, b.tmp); err != nil {
				return err
			}
			b.variants = append(b.variants, v)
		}
	}
	if len(b.variants) == 0 || b.variants[0].key != "multi" {
		return fmt.Errorf("-variants must include multi (the image's build)")
	}
	res.variants = b.variants
	b.logf("starting OpenBao, PostgreSQL, moto and Redis")
	b.srv, err = startServers(ctx)
	defer b.srv.stop()
	if err != nil {
		return fmt.Errorf("servers (install them with scripts/install-deps.sh): %w", err)
	}
	if err := b.sections(ctx, res); err != nil {
		return err
	}
	res.took = time.Since(res.started)
	report := renderReport(res, b.cfg, b.machine())
	fmt.Fprint(stdout, report)
	if cfg.out == "" {
		return nil
	}
	out := cfg.out
	if !filepath.IsAbs(out) {
		out = filepath.Join(b.root, out)
	}
	// the real-engine suite's block (rotators/internal/kestraengine, KESTRAENGINE_TIMINGS=docs) is
	// measured by that suite, not here: keep it
	if old, err := os.ReadFile(out); err == nil {
		if i, j := strings.Index(string(old), "<!-- kestraengine timings"), strings.Index(string(old), "<!-- /kestraengine timings -->"); i >= 0 && j > i {
			report = strings.TrimRight(report, "\n") + "\n\n" + string(old[i:]) // the block ends the page
		}
	}
	if err := os.WriteFile(out, []byte(report), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	b.logf("wrote %s", out)
	return nil
}

func (b *bench) sections(ctx context.Context, res *results) error {
	var err error
	has := func(s string) bool { return slices.Contains(b.cfg.sections, s) }
	if has("steps") {
		b.logf("per-step cost (%d runs each)", b.cfg.runs)
		if res.steps, err = b.stepCosts(ctx); err != nil {
			return err
		}
		if res.inits, err = b.initCosts(ctx); err != nil {
			return err
		}
	}
	if has("rotation") {
		b.logf("whole rotations (%d each)", b.cfg.rotations)
		if res.rots, err = b.rotations(ctx); err != nil {
			return err
		}
		if res.trips, err = b.countRoundTrips(ctx); err != nil {
			return err
		}
	}
	if has("fleet") {
		b.logf("fleet: %d Redis users, %d PostgreSQL roles, parallel %v", b.cfg.redisUsers, b.cfg.pgRoles, b.cfg.parallel)
		if res.fleet, err = b.fleet(ctx); err != nil {
			return err
		}
	}
	if has("sizes") {
		b.logf("sizes")
		if res.sizes, err = b.sizes(ctx); err != nil {
			return err
		}
	}
	return nil
}

// tools finds the baseline CLIs: OpenBao's own Go binary, Debian's AWS CLI
// (/usr/bin/aws) and jq, and GNU time; scripts/install-deps.sh (make test)
// installs them.
func (b *bench) tools() error {
	var err error
	if b.bao, err = baoBinary(); err != nil {
		return err
	}
	b.aws = "/usr/bin/aws"
	if _, err := os.Stat(b.aws); err != nil {
		return fmt.Errorf("the Debian AWS CLI (/usr/bin/aws) is missing: run scripts/install-deps.sh")
	}
	if _, err := os.Stat(gnuTime); err != nil {
		return fmt.Errorf("GNU time (%s) is missing: run scripts/install-deps.sh", gnuTime)
	}
	if _, err := exec.LookPath("jq"); err != nil {
		return fmt.Errorf("jq is missing: run scripts/install-deps.sh")
	}
	b.guide = filepath.Join(b.root, "rotators", "internal", "bench", "guide-flow.sh")
	return nil
}

// machine describes this machine for the report.
func (b *bench) machine() string {
	cmd := func(name string, args ...string) string {
		out, err := exec.Command(name, args...).Output()
		if err != nil {
			return "?"
		}
		return strings.TrimSpace(string(out))
	}
	model := "?"
	for _, l := range strings.Split(cmd("lscpu"), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "Model name" {
			model = strings.TrimSpace(v)
		}
	}
	mem := "?"
	for _, l := range strings.Split(cmd("free", "-g"), "\n") {
		if f := strings.Fields(l); len(f) > 1 && f[0] == "Mem:" {
			mem = f[1] + " GiB"
		}
	}
	return fmt.Sprintf("%s, %s CPUs (`nproc`), %s RAM, %s, %s; baselines: %s, %s", model, cmd("nproc"), mem,
		cmd("uname", "-srm"), cmd("go", "env", "GOVERSION"), cmd(b.bao, "version"), cmd(b.aws, "--version"))
}

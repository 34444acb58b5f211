package kubernetes_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/testimage"
)

// What client-go costs the pack, measured in one run: the family binaries'
// sizes (built as docker/build.sh builds them), the image's size, and the
// time of a step process (its --help, then a real validate against the test
// bed) for the k8s family against the db family's, as medians. Opt-in, and
// never a timed assertion: ROTATE_K8S_COST=1 logs the table,
// ROTATE_K8S_COST=docs also writes it into docs/benchmarks.md between the
// markers below (make bench keeps everything from the kestraengine block to
// the end of the page, so this block too).
const (
	costBegin = "<!-- kubernetes cost: written by rotators/kubernetes (ROTATE_K8S_COST=docs) -->"
	costEnd   = "<!-- /kubernetes cost -->"
)

func TestCost(t *testing.T) {
	mode := os.Getenv("ROTATE_K8S_COST")
	if mode == "" || testing.Short() {
		t.Skip("opt-in: ROTATE_K8S_COST=1 logs the table, =docs writes it into docs/benchmarks.md; needs the test bed")
	}
	runs := 20
	if n, err := strconv.Atoi(os.Getenv("ROTATE_K8S_COST_RUNS")); err == nil && n > 0 {
		runs = n
	}
	started := time.Now()
	load, _ := os.ReadFile("/proc/loadavg") // the machine may be shared: say how busy it was
	dir := buildImageBinaries(t)
	var b strings.Builder
	b.WriteString("| family binary | size | vs `rotation-pack-db` |\n|---|---|---|\n")
	db := fileSize(t, filepath.Join(dir, "rotation-pack-db"))
	fams, _ := filepath.Glob(filepath.Join(dir, "rotation-pack-*"))
	for _, f := range fams {
		n := fileSize(t, f)
		fmt.Fprintf(&b, "| `%s` | %.1f MB | %.2f× |\n", filepath.Base(f), float64(n)/1e6, float64(n)/float64(db))
	}
	b.WriteString("\n" + imageSizes(t, fileSize(t, filepath.Join(dir, "rotation-pack-k8s"))) + "\n\n")
	fmt.Fprintf(&b, "One process, start to exit, median of %d runs each (interleaved); init is the sum of the\n"+
		"package initialisers' clock times (`GODEBUG=inittrace=1`, median). The real runs read the\n"+
		"secret through the `vault-get` helper (OpenBao dev server), then the Secret, the Deployment\n"+
		"and its pods through the test bed's API server, or log in to PostgreSQL.\n\n", runs)
	b.WriteString("| step process | wall | init | wall vs `postgres-validate` (same kind of run) |\n|---|---|---|---|\n")
	for _, r := range stepTimes(t, dir, runs) {
		b.WriteString(r + "\n")
	}
	b.WriteString(costEnd + "\n")
	head := fmt.Sprintf("%s\n## Kubernetes target: what client-go costs\n\n"+
		"Written by `ROTATE_K8S_COST=docs go test -count=1 -run TestCost ./rotators/kubernetes/` on %s, in %s\n"+
		"(%d CPUs, load average %s at the start; the machine may be shared, so compare the ratios, measured\n"+
		"in the same run and interleaved, rather than the times). Binaries built as `docker/build.sh` builds them\n"+
		"(`CGO_ENABLED=0 go build -trimpath -ldflags=-s -w`, each command a link to its family's binary).\n\n",
		costBegin, started.UTC().Format("2006-01-02 15:04 UTC"), time.Since(started).Round(time.Second),
		runtime.NumCPU(), strings.Join(strings.Fields(string(load) + " ? ? ?")[:3], " / "))
	block := head + b.String()
	t.Log("\n" + block)
	if mode == "docs" {
		writeCostBlock(t, block)
	}
}

// buildImageBinaries builds the family binaries and the command links the
// way docker/build.sh does, for this machine.
func buildImageBinaries(t *testing.T) string {
	dir := t.TempDir()
	fams, err := filepath.Glob(filepath.Join(env.Root, "cmd", "rotation-pack*"))
	if err != nil || len(fams) == 0 {
		t.Fatalf("no cmd/rotation-pack* under %s: %v", env.Root, err)
	}
	args := []string{"build", "-trimpath", "-ldflags=-s -w", "-o", dir + string(filepath.Separator)}
	for _, f := range fams {
		args = append(args, "./cmd/"+filepath.Base(f))
	}
	goRun(t, args...)
	links := goRun(t, "run", "./rotators/internal/packlist")
	for _, line := range strings.Split(strings.TrimSpace(links), "\n") {
		cmd, fam, ok := strings.Cut(line, " ")
		if !ok {
			t.Fatalf("packlist: unexpected line %q", line)
		}
		if err := os.Symlink(fam, filepath.Join(dir, cmd)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func goRun(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = env.Root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.String()
}

func fileSize(t *testing.T, path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

// imageSizes measures the image docker/build.sh builds (testimage, for this
// machine's arch). Without the k8s family the image would lack exactly that
// one file (the links are a few bytes): that figure is derived, not built.
func imageSizes(t *testing.T, k8s int64) string {
	img, err := testimage.Build(env.Root)
	if err != nil {
		return "Image: not measured (" + err.Error() + ")."
	}
	cmd := exec.Command(img.Podman, append(append([]string{}, testimage.PodmanGlobal...), "image", "inspect", "--format", "{{.Size}}", img.Ref)...)
	cmd.Env = append(os.Environ(), img.Env...)
	out, err := cmd.Output()
	size, perr := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
	if err != nil || perr != nil {
		return fmt.Sprintf("Image: not measured (podman image inspect: %v %v).", err, perr)
	}
	return fmt.Sprintf("| image `%s` (%s, built by `docker/build.sh` through testimage; uncompressed, `podman image inspect`) | size |\n|---|---|\n"+
		"| with the k8s family, as built | %.1f MB |\n| without it (derived: less the one `rotation-pack-k8s` file) | %.1f MB |\n"+
		"| the k8s family's share | %.0f%% |", img.Ref, runtime.GOARCH, float64(size)/1e6, float64(size-k8s)/1e6, 100*float64(k8s)/float64(size))
}

// stepTimes times --help and a real validate, k8s family against db
// family, interleaved so that load changes hit both alike.
func stepTimes(t *testing.T, dir string, runs int) []string {
	c := newCluster(t)
	h := pgHarness(t, c)
	r := h.Store.NewRunner(t, h.Env...)
	r.BinDir = dir
	ref, _ := h.NewAccount(t, r, core.Single)
	// The Secret holds CURRENT and the Deployment rolled out: validate passes.
	r.Must(t, 0, "kubernetes-deploy", "--secret", ref.String(), "--stage", "current", "--rotation", conformance.RandomID("cost-"))
	calls := []struct {
		label, kind string
		name        string
		args        []string
	}{
		{"`postgres-validate --help`", "help", "postgres-validate", []string{"--help"}},
		{"`kubernetes-validate --help`", "help", "kubernetes-validate", []string{"--help"}},
		{"`vault-get --help`", "help", "vault-get", []string{"--help"}},
		{"`postgres-validate --stage current` (logs in to PostgreSQL)", "real", "postgres-validate", []string{"--secret", ref.String(), "--stage", "current"}},
		{"`kubernetes-validate --stage current` (Secret, Deployment, pods)", "real", "kubernetes-validate", []string{"--secret", ref.String(), "--stage", "current"}},
	}
	plain, traced := r.Env, append(slices.Clone(r.Env), "GODEBUG=inittrace=1")
	walls, inits := make([][]int64, len(calls)), make([][]int64, len(calls))
	for range runs {
		for i, call := range calls {
			start := time.Now()
			r.Must(t, 0, call.name, call.args...)
			walls[i] = append(walls[i], int64(time.Since(start)))
			r.Env = traced // one runner: its leak check covers these runs too
			inits[i] = append(inits[i], initClock(r.Must(t, 0, call.name, call.args...).Stderr))
			r.Env = plain
		}
	}
	base := map[string]int64{}
	var rows []string
	for i, call := range calls {
		w, in := median(walls[i]), median(inits[i])
		if _, ok := base[call.kind]; !ok { // the first of each kind, postgres-validate, is the baseline
			base[call.kind] = w
		}
		rows = append(rows, fmt.Sprintf("| %s | %.1f ms | %.1f ms | %.2f× |", call.label, float64(w)/1e6, float64(in)/1e6, float64(w)/float64(base[call.kind])))
	}
	return rows
}

// inittrace lines: "init k8s.io/api/core/v1 @12 ms, 0.31 ms clock, ...".
var initLine = regexp.MustCompile(`(?m)^init \S+ @[0-9.]+ ms, ([0-9.]+) ms clock`)

// initClock sums the initialisers' clock times of one run, in nanoseconds.
func initClock(stderr string) int64 {
	var sum float64
	for _, m := range initLine.FindAllStringSubmatch(stderr, -1) {
		v, _ := strconv.ParseFloat(m[1], 64)
		sum += v
	}
	return int64(sum * 1e6)
}

func median(xs []int64) int64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}

// writeCostBlock replaces the block between the markers in
// docs/benchmarks.md, or appends it at the end of the page. Re-running it
// replaces the block again.
func writeCostBlock(t *testing.T, block string) {
	page := filepath.Join(env.Root, "docs", "benchmarks.md")
	old, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	if i, j := bytes.Index(old, []byte(costBegin)), bytes.Index(old, []byte(costEnd)); i >= 0 && j > i {
		out = append(append(append([]byte{}, old[:i]...), block...), old[j+len(costEnd)+1:]...)
	} else {
		out = append(append(bytes.TrimRight(old, "\n"), "\n\n"...), block...)
	}
	if err := os.WriteFile(page, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

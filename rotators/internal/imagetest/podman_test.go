package imagetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/testsrv"
)

const (
	// testRepo and testVersion name the image the test builds. A repository of
	// its own, because docker/build.sh also moves the :dev tag of IMAGE.
	testRepo    = "localhost/rotation-pack-imagetest"
	testVersion = "imagetest"

	buildTimeout = 5 * time.Minute
	runTimeout   = 90 * time.Second // per container: podman run --timeout, and the client's context
)

// podmanGlobal are the flags every podman call needs with Debian's podman 4.3 (docker/README.md, "Build with podman").
var podmanGlobal = []string{"--runtime", "runc", "--cgroup-manager=cgroupfs"}

// image is the image under test and how to run podman on it.
type image struct {
	podman  string   // path of the podman binary
	ref     string   // image reference
	version string   // version the binaries report; "" when ROTATE_TEST_IMAGE was given
	env     []string // extra environment for podman (CONTAINERS_CONF), NAME=value
}

var (
	imgOnce sync.Once
	img     image
	imgErr  error
)

// testImage returns the image: $ROTATE_TEST_IMAGE, else one built once per
// package run by docker/build.sh for the host's linux arch. A missing podman
// fails the test: the test command installs it.
func testImage(t *testing.T) image {
	t.Helper()
	imgOnce.Do(func() { img, imgErr = prepareImage(t) })
	if imgErr != nil {
		t.Fatal(imgErr)
	}
	return img
}

func prepareImage(t *testing.T) (image, error) {
	p, err := exec.LookPath("podman")
	if err != nil {
		return image{}, fmt.Errorf("podman is needed to test the image (apt-get install podman runc): %w", err)
	}
	conf, err := containersConf()
	if err != nil {
		return image{}, err
	}
	im := image{podman: p, env: conf}
	if ref := os.Getenv("ROTATE_TEST_IMAGE"); ref != "" {
		im.ref = ref
		return im, nil
	}
	root, err := testsrv.RepoRoot()
	if err != nil {
		return image{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(root, "docker", "build.sh"))
	cmd.Dir = root
	cmd.Env = append(append(os.Environ(), im.env...),
		"PLATFORMS=linux/"+runtime.GOARCH, "VERSION="+testVersion, "IMAGE="+testRepo)
	if created := commitTime(root); created != "" && os.Getenv("CREATED") == "" {
		cmd.Env = append(cmd.Env, "CREATED="+created)
	}
	cmd.WaitDelay = 10 * time.Second
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return image{}, fmt.Errorf("docker/build.sh: %v\n%s", err, tail(string(out), 3000))
	}
	t.Logf("docker/build.sh took %s: %s", time.Since(start).Round(100*time.Millisecond), lastLines(string(out), 2))
	im.ref, im.version = testRepo+":"+testVersion, testVersion
	return im, nil
}

// commitTime returns HEAD's commit time, for the created label: a fixed
// label lets an unchanged tree hit the layer cache for every step, instead
// of leaving one more untagged image behind per run.
func commitTime(root string) string {
	out, err := exec.Command("git", "-C", root, "log", "-1", "--format=%ct").Output()
	if err != nil {
		return ""
	}
	sec, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
	if err != nil {
		return ""
	}
	return time.Unix(sec, 0).UTC().Format(time.RFC3339)
}

// containersConf returns CONTAINERS_CONF=<file with default_ulimits = []>
// when neither the environment nor /etc/containers/containers.conf sets it.
func containersConf() ([]string, error) {
	if c := os.Getenv("CONTAINERS_CONF"); c != "" {
		return []string{"CONTAINERS_CONF=" + c}, nil
	}
	b, _ := os.ReadFile("/etc/containers/containers.conf")
	if regexp.MustCompile(`(?m)^\s*default_ulimits`).Match(b) {
		return nil, nil
	}
	dir, err := os.MkdirTemp("", "imagetest-conf-") // a few bytes left in TMPDIR
	if err != nil {
		return nil, err
	}
	f := filepath.Join(dir, "containers.conf")
	err = os.WriteFile(f, []byte("[containers]\ndefault_ulimits = []\n"), 0o644)
	return []string{"CONTAINERS_CONF=" + f}, err
}

// containers tracks the names given to containers, to prove --rm removed them.
type containers struct {
	im    image
	id    string
	names []string
}

// newContainers registers a cleanup that fails the test if a container
// outlived its podman run, and force-removes it (for example after a timeout).
func newContainers(t *testing.T, im image) *containers {
	c := &containers{im: im, id: conformance.RandomID("imagetest-")}
	t.Cleanup(func() {
		out, _ := c.podman(context.Background(), "ps", "-a", "--format", "{{.Names}}", "--filter", "name="+c.id)
		if left := strings.Fields(out); len(left) > 0 {
			t.Errorf("containers left behind: got %v, want none (--rm)", left)
			_, _ = c.podman(context.Background(), append([]string{"rm", "-f", "-i"}, left...)...)
		}
	})
	return c
}

// podman runs a podman command with the global flags and returns its stdout.
func (c *containers) podman(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, c.im.podman, append(append([]string{}, podmanGlobal...), args...)...)
	cmd.Env = append(os.Environ(), c.im.env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		err = fmt.Errorf("podman %s: %w: %s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out), err
}

// runArgs returns the podman arguments of one container run the way Kestra's
// Docker task runner starts a Commands task: entrypoint cleared and
// `/bin/sh -c 'set -e\n<commands>'`. env holds variable NAMES only: podman
// copies their values from its own environment, so no value is in argv.
func (c *containers) runArgs(opts, env []string, commands ...string) []string {
	name := fmt.Sprintf("%s-%d", c.id, len(c.names))
	c.names = append(c.names, name)
	args := append(append([]string{}, podmanGlobal...), "run", "--rm", "--pull", "never", "--name", name,
		"--timeout", strconv.Itoa(int(runTimeout.Seconds())), "--network", "host", "--entrypoint", "")
	for _, e := range env {
		if strings.Contains(e, "=") {
			panic("runArgs: pass environment variables by name: " + e)
		}
		args = append(args, "-e", e)
	}
	args = append(args, opts...)
	return append(args, c.im.ref, "/bin/sh", "-c", "set -e\n"+strings.Join(commands, "\n"))
}

// run runs commands in a container and returns stdout, stderr and the exit code.
func (c *containers) run(t *testing.T, opts []string, commands ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout+15*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.im.podman, c.runArgs(opts, nil, commands...)...)
	cmd.Env = append(os.Environ(), c.im.env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("podman run: %v", err)
	}
	return out.String(), errOut.String(), cmd.ProcessState.ExitCode()
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

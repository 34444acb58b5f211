package imagetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/testimage"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/testsrv"
)

const runTimeout = 90 * time.Second // per container: podman run --timeout, and the client's context

// podmanGlobal are the flags every podman call needs with Debian's podman 4.3 (docker/README.md, "Build with podman").
var podmanGlobal = testimage.PodmanGlobal

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

// testImage returns the image: $ROTATE_TEST_IMAGE, else the one
// testimage.Build builds (once per tree, shared with rotators/internal/kestraengine)
// for the host's linux arch. A missing podman fails the test: the test
// command installs it.
func testImage(t *testing.T) image {
	t.Helper()
	imgOnce.Do(func() { img, imgErr = prepareImage(t) })
	if imgErr != nil {
		t.Fatal(imgErr)
	}
	return img
}

func prepareImage(t *testing.T) (image, error) {
	root, err := testsrv.RepoRoot()
	if err != nil {
		return image{}, err
	}
	start := time.Now()
	im, err := testimage.Build(root)
	if err != nil {
		return image{}, err
	}
	if im.Built {
		t.Logf("docker/build.sh took %s: %s", time.Since(start).Round(100*time.Millisecond), im.Log)
	}
	return image{podman: im.Podman, ref: im.Ref, version: im.Version, env: im.Env}, nil
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

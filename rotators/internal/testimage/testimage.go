// Package testimage builds the pack's container image once for the tests
// that need it (rotators/internal/imagetest, the Docker-runner part of
// rotators/internal/kestraengine), the way `make image` does: docker/build.sh with
// podman, for the host's arch.
//
// go test runs packages in parallel and docker/build.sh rewrites dist/, so
// Build holds an exclusive lock on dist/testimage.lock while it builds; a
// stamp beside it names the source state (HEAD, the diff against it, the
// untracked files) and the image id it gave, so a second package of the
// same run finds the image built and does not build it again.
//
// Test infrastructure only: nothing here is shipped.
package testimage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const (
	// Repo and Version name the image the tests build. A repository of its
	// own, because docker/build.sh also moves the :dev tag of IMAGE.
	Repo    = "localhost/rotation-pack-imagetest"
	Version = "imagetest"

	buildTimeout = 5 * time.Minute
)

// PodmanGlobal are the flags every podman call needs with Debian's podman
// 4.3 (docker/README.md, "Build with podman").
var PodmanGlobal = []string{"--runtime", "runc", "--cgroup-manager=cgroupfs"}

// Image is the built image and how to run podman on it.
type Image struct {
	Podman  string   // path of the podman binary
	Ref     string   // image reference
	ID      string   // image id ("" when ROTATE_TEST_IMAGE was given)
	Version string   // version the binaries report; "" when ROTATE_TEST_IMAGE was given
	Env     []string // extra environment for podman (CONTAINERS_CONF), NAME=value
	Built   bool     // this call ran docker/build.sh (false: the stamp matched)
	Log     string   // the build's last lines
}

// Build returns $ROTATE_TEST_IMAGE, else the image docker/build.sh builds
// from root. Re-running it with an unchanged tree and the image still
// present builds nothing. A missing podman is an error: the test command
// installs it.
func Build(root string) (Image, error) {
	p, err := exec.LookPath("podman")
	if err != nil {
		return Image{}, fmt.Errorf("podman is needed to test the image (apt-get install podman runc): %w", err)
	}
	conf, err := containersConf()
	if err != nil {
		return Image{}, err
	}
	im := Image{Podman: p, Env: conf}
	if ref := os.Getenv("ROTATE_TEST_IMAGE"); ref != "" {
		im.Ref = ref
		return im, nil
	}
	im.Ref, im.Version = Repo+":"+Version, Version
	dist := filepath.Join(root, "dist")
	if err := os.MkdirAll(dist, 0o755); err != nil {
		return Image{}, err
	}
	lock, err := os.OpenFile(filepath.Join(dist, "testimage.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return Image{}, err
	}
	defer lock.Close()
	// released when lock is closed; the build timeout bounds the wait
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return Image{}, fmt.Errorf("lock %s: %w", lock.Name(), err)
	}
	stampFile := filepath.Join(dist, "testimage.stamp")
	state, err := sourceState(root)
	if err != nil {
		return Image{}, err
	}
	if b, err := os.ReadFile(stampFile); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 && f[0] == state && im.id(f[1]) == f[1] {
			im.ID = f[1]
			return im, nil
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(root, "docker", "build.sh"))
	cmd.Dir = root
	cmd.Env = append(append(os.Environ(), im.Env...),
		"PLATFORMS=linux/"+runtime.GOARCH, "VERSION="+Version, "IMAGE="+Repo)
	if created := commitTime(root); created != "" && os.Getenv("CREATED") == "" {
		cmd.Env = append(cmd.Env, "CREATED="+created)
	}
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		return Image{}, fmt.Errorf("docker/build.sh: %v\n%s", err, tail(string(out), 3000))
	}
	im.Built, im.Log = true, lastLines(string(out), 2)
	if im.ID = im.id(im.Ref); im.ID == "" {
		return Image{}, fmt.Errorf("docker/build.sh built no %s", im.Ref)
	}
	return im, os.WriteFile(stampFile, []byte(state+" "+im.ID+"\n"), 0o644)
}

// Cmd returns podman with the global flags and the image's environment.
func (im Image) Cmd(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, im.Podman, append(append([]string{}, PodmanGlobal...), args...)...)
	cmd.Env = append(os.Environ(), im.Env...)
	return cmd
}

// id returns the full id of image ref, or "" if podman has none.
func (im Image) id(ref string) string {
	out, err := im.Cmd(context.Background(), "image", "inspect", "--format", "{{.Id}}", ref).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// sourceState names what docker/build.sh reads: HEAD, the tracked
// changes against it and the untracked files with their sizes and times.
func sourceState(root string) (string, error) {
	h := sha256.New()
	for _, args := range [][]string{{"rev-parse", "HEAD"}, {"diff", "HEAD", "--binary"},
		{"ls-files", "-o", "--exclude-standard", "-z"}} {
		out, err := exec.Command("git", append([]string{"-C", root}, args...)...).Output()
		if err != nil {
			return "", fmt.Errorf("git %s: %w", strings.Join(args, " "), err)
		}
		h.Write(out)
		if args[0] == "ls-files" {
			for _, f := range strings.Split(string(out), "\x00") {
				if st, err := os.Stat(filepath.Join(root, f)); err == nil && f != "" {
					fmt.Fprintf(h, "%s %d %d\n", f, st.Size(), st.ModTime().UnixNano())
				}
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
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

// Package imagetest tests the container image of docker/: built with
// docker/build.sh (or $ROTATE_TEST_IMAGE), inspected, and run with podman the
// way Kestra's Docker task runner runs a Commands task, for a whole rotation
// against OpenBao and PostgreSQL on loopback. Skipped under -short.
package imagetest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kestra-rotation/rotation-pack/rotators/internal/testsrv"
	"github.com/kestra-rotation/rotation-pack/rotators/pack/all"
)

// env holds the servers shared by the package's tests.
var env testsrv.Env

func TestMain(m *testing.M) {
	os.Exit(testsrv.Main(m, testsrv.Needs{Bao: true, Postgres: true}, &env))
}

// cmdNames lists the commands of cmd/, each of which must be in the image.
func cmdNames(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(env.Root, "cmd"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		t.Fatal("no commands in cmd/")
	}
	return names
}

func TestImageContract(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds and runs the container image")
	}
	im := testImage(t)
	c := newContainers(t, im)

	t.Run("inspect", func(t *testing.T) {
		out, err := c.podman(context.Background(), "image", "inspect", im.ref)
		if err != nil {
			t.Fatal(err)
		}
		var info []struct {
			Architecture, Os string
			Config           struct {
				User, WorkingDir     string
				Entrypoint, Cmd, Env []string
				Labels               map[string]string
			}
		}
		if err := json.Unmarshal([]byte(out), &info); err != nil || len(info) != 1 {
			t.Fatalf("podman image inspect: got %d images (%v), want 1", len(info), err)
		}
		got := info[0]
		for _, f := range []struct{ name, got, want string }{
			{"os", got.Os, "linux"}, {"architecture", got.Architecture, runtime.GOARCH},
			{"user", got.Config.User, "10001"}, {"workdir", got.Config.WorkingDir, "/home/rotator"},
			{"entrypoint", strings.Join(got.Config.Entrypoint, " "), ""}, {"cmd", strings.Join(got.Config.Cmd, " "), ""},
			{"SSL_CERT_FILE", envOf(got.Config.Env, "SSL_CERT_FILE"), "/etc/ssl/certs/ca-certificates.crt"},
		} {
			if f.got != f.want {
				t.Errorf("%s: got %q, want %q", f.name, f.got, f.want)
			}
		}
		want := map[string]string{"title": "rotation-pack", "licenses": "Apache-2.0", "version": im.version,
			"source": "https://github.com/kestra-rotation/rotation-pack", "description": "", "revision": "", "created": ""}
		for k, w := range want {
			v := got.Config.Labels["org.opencontainers.image."+k]
			if v == "" || w != "" && v != w {
				t.Errorf("label org.opencontainers.image.%s: got %q, want %q", k, v, or(w, "non-empty"))
			}
		}
		if _, err := time.Parse(time.RFC3339, got.Config.Labels["org.opencontainers.image.created"]); err != nil {
			t.Errorf("label created: %v", err)
		}
	})

	t.Run("shell", func(t *testing.T) {
		names := cmdNames(t)
		script := []string{"test -x /bin/sh", `echo "uid=$(id -u)"`, `echo "gid=$(id -g)"`, `echo "pwd=$(pwd)"`,
			`echo "certs=$(grep -c 'BEGIN CERTIFICATE' "$SSL_CERT_FILE")"`, `echo "bin=$(ls /usr/local/bin | tr '\n' ' ')"`}
		for _, n := range names {
			script = append(script, fmt.Sprintf(`echo "path %[1]s=$(command -v %[1]s)"; echo "version %[1]s=$(%[1]s --version)"; %[1]s --help >/dev/null`, n))
		}
		// Each command is a link to its family's binary; rotation-pack lists and runs them all.
		links := map[string]string{}
		for _, f := range all.Families() {
			for _, cmd := range f.Commands {
				links[cmd.Name] = f.Name
				script = append(script, fmt.Sprintf(`echo "link %[1]s=$(readlink /usr/local/bin/%[1]s)"`, cmd.Name))
			}
		}
		script = append(script, `echo "listed=$(rotation-pack --help | sed '1,/^Commands:$/d' | grep -c .)"`,
			`echo "version rotation-pack vault-stage=$(rotation-pack vault-stage --version)"`)
		stdout, stderr, code := c.run(t, nil, script...)
		if code != 0 {
			t.Fatalf("got exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
		got := map[string]string{}
		for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
			k, v, _ := strings.Cut(line, "=")
			got[k] = v
		}
		want := map[string]string{"uid": "10001", "gid": "10001", "pwd": "/home/rotator",
			"bin": strings.Join(names, " ") + " "} // ls sorts like os.ReadDir; nothing but cmd/*
		for _, n := range names {
			want["path "+n] = "/usr/local/bin/" + n
			want["version "+n] = strings.TrimSpace(n + " " + im.version)
		}
		for n, f := range links {
			want["link "+n] = f
		}
		want["listed"] = fmt.Sprint(len(links))
		want["version rotation-pack vault-stage"] = want["version vault-stage"]
		for k, w := range want {
			if g := got[k]; g != w && !(im.version == "" && strings.HasPrefix(k, "version ") && strings.HasPrefix(g, w+" ")) {
				t.Errorf("%s: got %q, want %q", k, g, w)
			}
		}
		if got["certs"] == "" || got["certs"] == "0" {
			t.Errorf("CA bundle: got %q certificates, want some", got["certs"])
		}
	})

	// Commands tasks write scratch and outputFiles to the working directory.
	t.Run("workdir", func(t *testing.T) {
		probe := []string{"pwd", "echo probe >probe.txt", "cat probe.txt", "rm probe.txt"}
		for _, tc := range []struct {
			name string
			opts []string
			want string
		}{
			{"image WORKDIR", nil, "/home/rotator"},
			{"-w /tmp", []string{"-w", "/tmp"}, "/tmp"},
		} {
			stdout, stderr, code := c.run(t, tc.opts, probe...)
			if want := tc.want + "\nprobe\n"; code != 0 || stdout != want {
				t.Errorf("%s: got exit %d, stdout %q, stderr %q; want exit 0, stdout %q", tc.name, code, stdout, stderr, want)
			}
		}
		// Kestra's working dir is a root-owned 0755 volume: as uid 10001 writes
		// fail (the caveat of docker/README.md), with taskRunner.user root they work.
		dir := t.TempDir()
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		vol := []string{"-v", dir + ":/kestra/wd", "-w", "/kestra/wd"}
		if _, stderr, code := c.run(t, vol, probe...); code == 0 || !strings.Contains(stderr, "Permission denied") {
			t.Errorf("root-owned working dir as uid 10001: got exit %d, stderr %q; want a non-zero exit with Permission denied (docker/README.md)", code, stderr)
		}
		root := append([]string{"--user", "root"}, vol...)
		if stdout, stderr, code := c.run(t, root, append(probe, "vault-get --version")...); code != 0 || !strings.Contains(stdout, "probe\nvault-get ") {
			t.Errorf("root-owned working dir with --user root: got exit %d, stdout %q, stderr %q; want exit 0 and the probe", code, stdout, stderr)
		}
	})
}

func envOf(env []string, name string) string {
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, name+"="); ok {
			return v
		}
	}
	return ""
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

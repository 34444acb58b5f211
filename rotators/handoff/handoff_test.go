package handoff

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// The test binary doubles as a store helper: started with HANDOFF_TEST_MODE
// it behaves like a <scheme>-get and exits. This tests the handoff itself,
// not a store.
func TestMain(m *testing.M) {
	switch os.Getenv("HANDOFF_TEST_MODE") {
	case "":
		os.Exit(m.Run())
	case "serve":
		v, _ := core.ParseValue([]byte(`{"username":"app","password":"pipe-only-secret"}`))
		if err := Serve("test-get", core.Version{Value: v, ID: "7", Rotation: "r1"}); err != nil {
			fmt.Fprintln(os.Stderr, "error:", err)
			os.Exit(core.ExitCode(err))
		}
	case "missing":
		_ = ServeMissing("test-get")
	case "fail":
		fmt.Fprintln(os.Stderr, "error: store unreachable")
		os.Exit(core.ExitUnavailable)
	}
	os.Exit(0)
}

// helperDir links the test binary as test-get into a temp dir.
func helperDir(t *testing.T, mode string) Fetcher {
	t.Helper()
	dir := t.TempDir()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(exe, filepath.Join(dir, "test-get")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HANDOFF_TEST_MODE", mode)
	return Fetcher{Dirs: []string{dir}}
}

func TestFetch(t *testing.T) {
	ref, err := core.ParseRef("test://mount/path")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		mode    string
		wantErr error
	}{
		{"serve", nil},
		{"missing", core.ErrNotFound},
		{"fail", core.ErrUnavailable},
	}
	for _, tc := range tests {
		v, err := helperDir(t, tc.mode).Fetch(context.Background(), ref, core.Pending)
		if tc.wantErr != nil {
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("%s: got %v, want %v", tc.mode, err, tc.wantErr)
			}
			continue
		}
		if pw, _ := v.Value.String("password"); err != nil || pw != "pipe-only-secret" || v.ID != "7" || v.Rotation != "r1" {
			t.Errorf("%s: got %+v, %v; want the served version", tc.mode, v, err)
		}
	}
}

func TestFetchUnknownStore(t *testing.T) {
	ref, _ := core.ParseRef("nosuchstore://a/b")
	_, err := Fetcher{Dirs: []string{t.TempDir()}}.Fetch(context.Background(), ref, core.Current)
	if !errors.Is(err, core.ErrUsage) || !strings.Contains(err.Error(), "nosuchstore-get") {
		t.Errorf("got %v, want ErrUsage naming nosuchstore-get", err)
	}
}

func TestServeRefusesWithoutParent(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	mine, other, err := SocketPair()
	if err != nil {
		t.Fatal(err)
	}
	defer mine.Close()
	defer other.Close()
	tests := []struct{ name, fd string }{
		{"not set", ""},
		{"not a number", "x"},
		{"stdout", "1"},
		{"stderr", "2"},
		{"a regular file", fmt.Sprint(openFile(t).Fd())},
		{"a pipe", fmt.Sprint(w.Fd())},
		// This process made the pair: its peer is this process, not its parent.
		{"a socket not made by the parent", fmt.Sprint(other.Fd())},
	}
	for _, tc := range tests {
		t.Setenv(EnvFD, tc.fd)
		if err := CheckHelper("test-get"); !errors.Is(err, core.ErrUsage) {
			t.Errorf("%s: got %v, want ErrUsage", tc.name, err)
		}
	}
}

// TestShellCannotMakeHelperPrint: the ways a shell (a flow's script) can
// hand a helper a descriptor it then reads itself, each refused, so the
// value reaches no output; and a socket pair made by a grandparent, not
// the parent, is refused too (docs/security.md, "the helper hand-off").
func TestShellCannotMakeHelperPrint(t *testing.T) {
	dir := helperDir(t, "serve").Dirs[0]
	tests := []struct{ name, script string }{
		{"fd 3 onto stdout, piped", `(ROTATE_HELPER_FD=3 test-get 3>&1 >/dev/null) | cat`},
		{"process substitution", `ROTATE_HELPER_FD=3 test-get 3> >(cat) ; sleep 0.2`},
		{"another descriptor", `ROTATE_HELPER_FD=5 test-get 5>&1 >/dev/null`},
		{"a fifo read by a third process", `mkfifo "$TMP/f" && { cat "$TMP/f" & } && ROTATE_HELPER_FD=3 test-get 3>"$TMP/f"; wait`},
		{"a file", `ROTATE_HELPER_FD=3 test-get 3>"$TMP/out"; cat "$TMP/out"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command("bash", "-c", tc.script)
			cmd.Env = append(os.Environ(), "PATH="+dir+":"+os.Getenv("PATH"), "TMP="+t.TempDir())
			out, err := cmd.CombinedOutput()
			if strings.Contains(string(out), "pipe-only-secret") {
				t.Fatalf("the value was printed: %q", out)
			}
			if !strings.Contains(string(out), "never prints secret values") {
				t.Errorf("got %q (%v), want the helper's refusal", out, err)
			}
		})
	}
	t.Run("a socket pair made by a grandparent", func(t *testing.T) {
		mine, child, err := SocketPair()
		if err != nil {
			t.Fatal(err)
		}
		defer mine.Close()
		// "; exit" keeps bash from exec'ing test-get in its own place.
		cmd := exec.Command("bash", "-c", `ROTATE_HELPER_FD=3 test-get; exit $?`)
		cmd.Env = append(os.Environ(), "PATH="+dir+":"+os.Getenv("PATH"))
		cmd.ExtraFiles = []*os.File{child}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		err = cmd.Run()
		child.Close()
		got, _ := io.ReadAll(mine)
		if len(got) != 0 || err == nil || !strings.Contains(stderr.String(), "never prints secret values") {
			t.Errorf("got %d bytes on the socket, exit %v, stderr %q; want nothing and the refusal", len(got), err, stderr.String())
		}
	})
}

func openFile(t *testing.T) *os.File {
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

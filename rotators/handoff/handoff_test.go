package handoff

import (
	"context"
	"errors"
	"fmt"
	"os"
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
	tests := []struct{ name, fd string }{
		{"not set", ""},
		{"not a number", "x"},
		{"stdout", "1"},
		{"stderr", "2"},
		{"a regular file", fmt.Sprint(openFile(t).Fd())},
	}
	for _, tc := range tests {
		t.Setenv(EnvFD, tc.fd)
		if err := CheckHelper("test-get"); !errors.Is(err, core.ErrUsage) {
			t.Errorf("%s: got %v, want ErrUsage", tc.name, err)
		}
	}
	t.Setenv(EnvFD, fmt.Sprint(w.Fd()))
	if err := CheckHelper("test-get"); err != nil {
		t.Errorf("a pipe: got %v, want accepted", err)
	}
}

func openFile(t *testing.T) *os.File {
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

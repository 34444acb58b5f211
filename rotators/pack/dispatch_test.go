package pack_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDispatch builds rotation-pack with two family binaries next to it, the
// image's way (each command a link to its family binary), and runs them.
func TestDispatch(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries")
	}
	dir := t.TempDir()
	build := exec.Command("go", "build", "-o", dir+string(filepath.Separator),
		"./cmd/rotation-pack", "./cmd/rotation-pack-vault", "./cmd/rotation-pack-db")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for link, fam := range map[string]string{"vault-get": "rotation-pack-vault", "postgres-deploy": "rotation-pack-db"} {
		if err := os.Symlink(fam, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		args     []string
		wantCode int
		want     []string // lines of stdout
	}{
		{[]string{"--help"}, 0, []string{"  vault-get ", "  vault-stage ", "  postgres-deploy ", "  redis-revoke "}},
		{nil, 0, []string{"  mysql-validate "}},
		{[]string{"--version"}, 0, []string{"rotation-pack dev"}},
		{[]string{"vault-get", "--version"}, 0, []string{"vault-get dev"}},
		{[]string{"postgres-deploy", "--version"}, 0, []string{"postgres-deploy dev"}},
		{[]string{"vault-stage", "--version"}, 2, nil}, // no link next to it
		{[]string{"rotation-pack-vault", "--version"}, 2, nil},
		{[]string{"../" + filepath.Base(dir) + "/vault-get"}, 2, nil},
		{[]string{"nosuch"}, 2, nil},
	}
	for _, tc := range tests {
		cmd := exec.Command(filepath.Join(dir, "rotation-pack"), tc.args...)
		out, _ := cmd.Output()
		if code := cmd.ProcessState.ExitCode(); code != tc.wantCode {
			t.Errorf("rotation-pack %v: got exit %d, want %d (stdout %q)", tc.args, code, tc.wantCode, out)
		}
		for _, w := range tc.want {
			if !strings.Contains(string(out), w) {
				t.Errorf("rotation-pack %v: got stdout %q, want it to contain %q", tc.args, out, w)
			}
		}
	}
}

package pack

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestEveryCommandIsPacked: the multi-call binary offers exactly the
// commands of cmd/, so the image's links match what `go build ./cmd/...` makes.
func TestEveryCommandIsPacked(t *testing.T) {
	dirs, err := os.ReadDir(filepath.Join("..", "..", "cmd"))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, d := range dirs {
		if d.IsDir() && d.Name() != Name {
			want = append(want, d.Name())
		}
	}
	var got []string
	for _, c := range Commands() {
		got = append(got, c.Name)
	}
	sort.Strings(want)
	sort.Strings(got)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("packed commands:\n got %v\nwant %v (the directories of cmd/)", got, want)
	}
}

func TestDispatch(t *testing.T) {
	tests := []struct {
		args     []string
		wantCode int
		wantOut  string
	}{
		{[]string{"/usr/local/bin/rotation-pack"}, 0, "vault-stage"},
		{[]string{"rotation-pack", "--version"}, 0, "rotation-pack dev"},
		{[]string{"/usr/local/bin/vault-stage", "--version"}, 0, "vault-stage dev"},
		{[]string{"rotation-pack", "postgres-deploy", "--version"}, 0, "postgres-deploy dev"},
		{[]string{"rotation-pack", "nosuch"}, 2, ""},
	}
	for _, tc := range tests {
		var out bytes.Buffer
		// step.Main writes to the process's stdout; only the listing and the
		// version of rotation-pack itself go to the writer given here.
		code := Main(tc.args, &out)
		if code != tc.wantCode {
			t.Errorf("Main(%v) = %d, want %d", tc.args, code, tc.wantCode)
		}
		if filepath.Base(tc.args[0]) == Name && tc.wantOut != "" && len(tc.args) < 3 && !strings.Contains(out.String(), tc.wantOut) {
			t.Errorf("Main(%v) printed %q, want it to contain %q", tc.args, out.String(), tc.wantOut)
		}
	}
}

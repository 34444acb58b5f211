package flowrun_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kestra-rotation/rotation-pack/rotators/internal/flowrun"
)

// retryFunc returns the retry_exit3 shell function of every script task
// that defines one, by flow and task, from the flows as shipped.
func retryFuncs(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob("../../../flows/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("flows: %v (%d files)", err, len(files))
	}
	out := map[string]string{}
	for _, p := range files {
		if b := filepath.Base(p); b == "rotate-overdue.yaml" || b == "rotate-now.yaml" {
			continue // fleet flows: Kestra's flowable tasks, run by rotators/internal/kestraengine
		}
		f, err := flowrun.Load(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range append(append([]flowrun.Task{}, f.Tasks...), f.Errors...) {
			for _, c := range tk.Commands {
				i := strings.Index(c, "retry_exit3() {")
				if i < 0 {
					continue
				}
				j := strings.Index(c[i:], "\n}\n")
				if j < 0 {
					t.Fatalf("%s %s: retry_exit3 has no closing brace", f.ID, tk.ID)
				}
				out[f.ID+" "+tk.ID] = c[i : i+j+2]
			}
		}
	}
	return out
}

// TestRetryExit3 runs the retry loop of the flows' script tasks against a
// stand-in binary exiting with a given sequence of codes: only exit 3 is
// tried again (3 attempts in all), any other exit ends the task at once so
// a rejection or conflict reaches the errors branch without delay.
func TestRetryExit3(t *testing.T) {
	funcs := retryFuncs(t)
	if len(funcs) < 20 {
		t.Fatalf("retry_exit3 found in %d tasks, want the deploy and validate tasks of every rotation flow and the inventories", len(funcs))
	}
	var first string
	for where, fn := range funcs {
		if first == "" {
			first = fn
		}
		if fn != first {
			t.Errorf("%s: retry_exit3 differs from the other tasks':\n%s", where, fn)
		}
	}
	tests := []struct {
		exits        string
		wantExit     int
		wantAttempts int
	}{
		{"0", 0, 1},
		{"3 0", 0, 2},
		{"3 3 0", 0, 3},
		{"3 3 3 0", 3, 3},
		{"2", 2, 1},
		{"4", 4, 1},
		{"5", 5, 1},
		{"3 4", 4, 2},
		{"1", 1, 1},
	}
	for _, tt := range tests {
		t.Run(strings.ReplaceAll(tt.exits, " ", "-"), func(t *testing.T) {
			dir := t.TempDir()
			// fake exits with the next code of $EXITS, one per call.
			fake := "#!/bin/sh\nn=$(cat \"$STATE\" 2>/dev/null || echo 0)\nn=$((n + 1))\necho $n >\"$STATE\"\nset -- $EXITS\nshift $((n - 1))\nexit \"$1\"\n"
			if err := os.WriteFile(filepath.Join(dir, "fake"), []byte(fake), 0o755); err != nil {
				t.Fatal(err)
			}
			script := "set -e\n" + first + "\nretry_exit3 fake\n"
			r := &flowrun.Runner{BinDir: dir, WorkerEnv: []string{"STATE=" + filepath.Join(dir, "n"), "EXITS=" + tt.exits, "ROTATE_RETRY_INTERVAL=0"}}
			f := &flowrun.Flow{ID: "retry", Namespace: "secops.test", Tasks: []flowrun.Task{{ID: "t", Type: flowrun.CommandsType, Commands: []string{script}}}}
			e, err := r.Run(context.Background(), f, nil)
			if err != nil {
				t.Fatal(err)
			}
			tr := e.TaskRun("t")
			n, _ := os.ReadFile(filepath.Join(dir, "n"))
			if got := strings.TrimSpace(string(n)); tr.ExitCode != tt.wantExit || got != fmt.Sprint(tt.wantAttempts) {
				t.Errorf("exits %s: got exit %d after %s attempts, want exit %d after %d", tt.exits, tr.ExitCode, got, tt.wantExit, tt.wantAttempts)
			}
		})
	}
}

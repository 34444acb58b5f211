package fleetlanes

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the generated lanes of the fleet flows")

var fleetFlows = []string{"rotate-overdue.yaml", "rotate-now.yaml"}

// TestFlows fails when a fleet flow's lanes differ from what Generate
// writes; with -update it rewrites them.
func TestFlows(t *testing.T) {
	for _, name := range fleetFlows {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("..", "..", "..", "flows", name)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			want, err := Generate(string(b))
			if err != nil {
				t.Fatal(err)
			}
			if *update && want != string(b) {
				if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if line, got, w := firstDiff(string(b), want); line > 0 {
				t.Errorf("%s:%d differs from what fleetlanes generates (go test ./rotators/internal/fleetlanes -update rewrites it):\ngot  %.200s\nwant %.200s", path, line, got, w)
			}
		})
	}
}

// TestGenerate edits a real flow and checks Generate undoes the edit, or
// refuses a flow whose markers are gone.
func TestGenerate(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "flows", fleetFlows[0]))
	if err != nil {
		t.Fatal(err)
	}
	flow := string(b)
	tests := []struct {
		name, old, new string
		wantErr        string
	}{
		{"a lane's condition changed", "pick.vars.run3 }}", "pick.vars.run4 }}", ""},
		{"a lane removed", "          - id: lane7\n", "          - id: lane7-removed\n", ""},
		{"a result's Subflow changed", "outputs.rotate5.outputs.failed", "outputs.rotate6.outputs.failed", ""},
		{"no begin of lanes", "# lanes: generated", "# lanes generated", "generate lanes: no line"},
		{"no end of results", "# results: end", "# results end", "generate results: no line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			edited := strings.Replace(flow, tt.old, tt.new, 1)
			if edited == flow {
				t.Fatalf("the flow has no %q to edit", tt.old)
			}
			got, err := Generate(edited)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if line, g, w := firstDiff(got, flow); line > 0 {
				t.Errorf("line %d: got %.200s, want %.200s", line, g, w)
			}
		})
	}
}

// firstDiff returns the first line (from 1) where a and b differ and both
// lines, or 0.
func firstDiff(a, b string) (int, string, string) {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range max(len(la), len(lb)) {
		var x, y string
		if i < len(la) {
			x = la[i]
		}
		if i < len(lb) {
			y = lb[i]
		}
		if x != y || i >= len(la) || i >= len(lb) {
			return i + 1, x, y
		}
	}
	return 0, "", ""
}

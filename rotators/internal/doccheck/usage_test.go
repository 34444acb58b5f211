package doccheck

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kestra-rotation/rotation-pack/rotators/pack/all"
	"github.com/kestra-rotation/rotation-pack/rotators/step"
)

// TestTargetUsageLines: the usage lines of docs/targets/<t>.md are the
// ones the binaries' --help prints, so a page offers only the flags that do
// something on its target, and every target's binaries have a page.
func TestTargetUsageLines(t *testing.T) {
	usage := map[string]string{} // command -> usage line of its --help
	for _, c := range all.Commands() {
		var out bytes.Buffer
		step.Run(c, []string{"--help"}, strings.NewReader(""), &out, &out, func(string) string { return "" })
		_, rest, _ := strings.Cut(out.String(), "Usage:\n")
		first, _, _ := strings.Cut(rest, "\n")
		usage[c.Name] = strings.TrimSpace(first)
	}
	line := regexp.MustCompile(`(?m)^([a-z0-9]+-(?:deploy|validate|revoke)) --.*$`)
	for _, target := range all.Targets() {
		b, err := os.ReadFile(filepath.Join(root, "docs", "targets", target+".md"))
		if err != nil {
			t.Errorf("target %s: %v (each target has a page)", target, err)
			continue
		}
		seen := map[string]bool{}
		for _, m := range line.FindAllSubmatch(b, -1) {
			name := string(m[1])
			seen[name] = true
			if want, ok := usage[name]; !ok {
				t.Errorf("docs/targets/%s.md: %s is no command of the pack", target, name)
			} else if got := string(m[0]); got != want {
				t.Errorf("docs/targets/%s.md:\n got %s\nwant %s (its --help)", target, got, want)
			}
		}
		for _, s := range []string{"-deploy", "-validate", "-revoke"} {
			if !seen[target+s] {
				t.Errorf("docs/targets/%s.md: no usage line of %s%s", target, target, s)
			}
		}
	}
}

package doccheck

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kestra-rotation/rotation-pack/rotators/pack/all"
)

// piece is one item of the checklist of docs/development.md ("Adding a
// store or a target") that a file of the tree shows.
type piece struct {
	what string
	ok   func(p string) bool // p is the store or target
}

// TestProviderChecklist: every store and target has each piece the
// checklist of docs/development.md names, and every provider package under
// rotators/ is in the pack (rotators/pack/all), so a new one missing a piece
// fails here, naming it.
func TestProviderChecklist(t *testing.T) {
	stores, targets := all.Stores(), all.Targets()
	if len(stores) == 0 || len(targets) == 0 {
		t.Fatalf("stores %v, targets %v: want the pack's", stores, targets)
	}
	for _, d := range providerPackages(t) {
		if !slices.Contains(stores, d) && !slices.Contains(targets, d) {
			t.Errorf("rotators/%s is a store or target (it has an Open of a core.Store or a Spec) but no family of rotators/pack/all runs it", d)
		}
	}
	storePieces := []piece{
		commands("-stage", "-promote", "-rollback", "-get", "-inventory"),
		exists("the conformance harness rotators/%[1]s/%[1]stest", "rotators/%[1]s/%[1]stest"),
		contains("conformance.StoreSuite in rotators/%s/*_test.go", "rotators/%s/*_test.go", "conformance.StoreSuite("),
		contains("conformance.InventorySuite in rotators/%s/*_test.go", "rotators/%s/*_test.go", "conformance.InventorySuite("),
		contains("the PostgreSQL target suite with the secret in %[1]s (rotators/postgres/*_test.go importing %[1]stest)", "rotators/postgres/*_test.go", "/%[1]s/%[1]stest\""),
		contains("the network faults of %s (a %[1]sKit in rotators/internal/faults/stores_test.go)", "rotators/internal/faults/stores_test.go", "func %[1]sKit("),
		exists("docs/stores/%s.md", "docs/stores/%s.md"),
		contains("a row of the README's support table linking docs/stores/%s.md", "README.md", "(docs/stores/%s.md)"),
		contains("a flow flows/*-%s.yaml", "flows/*-%s.yaml", "id:"),
	}
	targetPieces := []piece{
		commands("-deploy", "-validate", "-revoke"),
		contains("a Spec in rotators/%s (step.TargetSpec)", "rotators/%s/*.go", "func Spec() step.TargetSpec["),
		contains("conformance.TargetSuite in rotators/%s/*_test.go", "rotators/%s/*_test.go", "conformance.TargetSuite("),
		contains("the network faults of %s (rotators/internal/faults/targets_test.go)", "rotators/internal/faults/targets_test.go", "name: \"%s\""),
		exists("docs/targets/%s.md", "docs/targets/%s.md"),
		contains("a row of the README's support table linking docs/targets/%s.md", "README.md", "(docs/targets/%s.md)"),
		contains("a flow running %s-deploy", "flows/*.yaml", "%s-deploy"),
	}
	for _, c := range []struct {
		kind   string
		names  []string
		pieces []piece
	}{{"store", stores, storePieces}, {"target", targets, targetPieces}} {
		for _, p := range c.names {
			for _, pc := range c.pieces {
				if !pc.ok(p) {
					t.Errorf("%s %s: missing %s (docs/development.md, \"Adding a store or a target\")", c.kind, p, sprintf(pc.what, p))
				}
			}
		}
	}
}

// providerPackages are the directories rotators/<d> holding a store (an
// Open returning core.Store) or a target (a Spec returning step.TargetSpec).
func providerPackages(t *testing.T) []string {
	t.Helper()
	decl := regexp.MustCompile(`(?m)^func Open\([^)]*\) \(core\.Store, error\)|^func Spec\(\) step\.TargetSpec\[`)
	files, err := filepath.Glob(filepath.Join(root, "rotators", "*", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var ds []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if d := filepath.Base(filepath.Dir(f)); decl.Match(b) && !slices.Contains(ds, d) {
			ds = append(ds, d)
		}
	}
	if len(ds) == 0 {
		t.Fatal("found no provider package under rotators/ (is the pattern broken?)")
	}
	return ds
}

// sprintf fills every %s (or %[1]s) of f with p.
func sprintf(f, p string) string {
	return strings.NewReplacer("%[1]s", p, "%s", p).Replace(f)
}

// commands: the pack runs <p><step> for each step, and cmd/<p><step> is its main.
func commands(steps ...string) piece {
	return piece{"a command of the pack and a cmd/ main for each of " + strings.Join(steps, " "), func(p string) bool {
		var names []string
		for _, c := range all.Commands() {
			names = append(names, c.Name)
		}
		for _, s := range steps {
			if _, err := os.Stat(filepath.Join(root, "cmd", p+s, "main.go")); err != nil || !slices.Contains(names, p+s) {
				return false
			}
		}
		return true
	}}
}

// exists: the path pattern, filled with p, names a file or directory.
func exists(what, path string) piece {
	return piece{what, func(p string) bool {
		_, err := os.Stat(filepath.Join(root, sprintf(path, p)))
		return err == nil
	}}
}

// contains: a file matching the glob holds the text, both filled with p.
func contains(what, glob, text string) piece {
	return piece{what, func(p string) bool {
		files, _ := filepath.Glob(filepath.Join(root, sprintf(glob, p)))
		for _, f := range files {
			if b, err := os.ReadFile(f); err == nil && strings.Contains(string(b), sprintf(text, p)) {
				return true
			}
		}
		return false
	}}
}

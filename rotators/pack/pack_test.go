package pack_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/kestra-rotation/rotation-pack/rotators/pack"
	"github.com/kestra-rotation/rotation-pack/rotators/pack/all"
)

const module = "github.com/kestra-rotation/rotation-pack/"

// cmdDirs splits cmd/ into the commands and the family binaries' names.
func cmdDirs(t *testing.T) (cmds, fams []string) {
	t.Helper()
	dirs, err := os.ReadDir(filepath.Join("..", "..", "cmd"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		switch n := d.Name(); {
		case !d.IsDir() || n == pack.Name:
		case strings.HasPrefix(n, pack.Name+"-"):
			fams = append(fams, n)
		default:
			cmds = append(cmds, n)
		}
	}
	return cmds, fams
}

// TestEveryCommandInOneFamily: the family binaries together offer exactly the
// commands of cmd/, each in one family, every command of a store or target
// in the same family, and each family is a cmd/ directory of its own.
func TestEveryCommandInOneFamily(t *testing.T) {
	wantCmds, wantFams := cmdDirs(t)
	familyOf, prefixFamily := map[string]string{}, map[string]string{}
	var gotFams []string
	for _, f := range all.Families() {
		gotFams = append(gotFams, f.Name)
		for _, c := range f.Commands {
			if prev, dup := familyOf[c.Name]; dup {
				t.Errorf("%s is in %s and in %s, want one family", c.Name, prev, f.Name)
			}
			familyOf[c.Name] = f.Name
			prefix, _, _ := strings.Cut(c.Name, "-")
			if prev, ok := prefixFamily[prefix]; ok && prev != f.Name {
				t.Errorf("%s-* commands are in %s and %s, want one family", prefix, prev, f.Name)
			}
			prefixFamily[prefix] = f.Name
		}
	}
	got := make([]string, 0, len(familyOf))
	for n := range familyOf {
		got = append(got, n)
	}
	for _, c := range []struct {
		what      string
		got, want []string
	}{{"commands", got, wantCmds}, {"families", gotFams, wantFams}} {
		sort.Strings(c.got)
		sort.Strings(c.want)
		if strings.Join(c.got, " ") != strings.Join(c.want, " ") {
			t.Errorf("%s:\n got %v\nwant %v (the directories of cmd/)", c.what, c.got, c.want)
		}
	}
}

// TestFamilyImports: the dispatch links no store or target, and each family
// binary only its own, which is the point of the split.
func TestFamilyImports(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	providers := append(all.Stores(), all.Targets()...)
	if len(providers) < 2 {
		t.Fatalf("providers %v: want every store and target of rotators/pack/all", providers)
	}
	want := map[string]string{"./rotators/pack": "", "./cmd/rotation-pack": ""}
	for _, f := range all.Families() {
		seen := map[string]bool{}
		for _, c := range f.Commands {
			prefix, _, _ := strings.Cut(c.Name, "-")
			seen[prefix] = true
		}
		var ps []string
		for _, p := range providers {
			if seen[p] {
				ps = append(ps, p)
			}
		}
		want["./cmd/"+f.Name] = strings.Join(ps, " ")
	}
	for pkg, w := range want {
		cmd := exec.Command("go", "list", "-deps", pkg)
		cmd.Dir = filepath.Join("..", "..")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		deps := map[string]bool{}
		for _, l := range strings.Fields(string(out)) {
			deps[strings.TrimPrefix(l, module+"rotators/")] = true
		}
		var got []string
		for _, p := range providers {
			if deps[p] {
				got = append(got, p)
			}
		}
		if strings.Join(got, " ") != w {
			t.Errorf("%s links providers %v, want %q", pkg, got, w)
		}
	}
}

func TestFamilyMain(t *testing.T) {
	vault := all.Families()[0]
	tests := []struct {
		args     []string
		wantCode int
		wantOut  string // on the writer: the listing and the family's version only
	}{
		{[]string{"/usr/local/bin/rotation-pack-vault"}, 0, "vault-stage"},
		{[]string{"rotation-pack-vault", "--help"}, 0, "vault-inventory"},
		{[]string{"rotation-pack-vault", "--version"}, 0, "rotation-pack-vault dev"},
		{[]string{"/usr/local/bin/vault-stage", "--version"}, 0, ""},
		{[]string{"rotation-pack-vault", "vault-get", "--version"}, 0, ""},
		{[]string{"rotation-pack-vault", "postgres-deploy", "--version"}, 2, ""},
		{[]string{"/usr/local/bin/awssm-stage", "--version"}, 2, ""},
		{[]string{"rotation-pack-vault", "nosuch"}, 2, ""},
	}
	for _, tc := range tests {
		var out bytes.Buffer
		code := pack.Main(vault, tc.args, &out)
		if code != tc.wantCode {
			t.Errorf("Main(%v) = %d, want %d", tc.args, code, tc.wantCode)
		}
		if !strings.Contains(out.String(), tc.wantOut) {
			t.Errorf("Main(%v) printed %q, want it to contain %q", tc.args, out.String(), tc.wantOut)
		}
	}
}

// TestOnlyFlagsThatWork: a binary offers no flag that does nothing there
// (the target's own flags are declared by it; --grace and --force need a
// target that lists sessions, and at deploy one with the alternate strategy).
func TestOnlyFlagsThatWork(t *testing.T) {
	absent := map[string][]string{
		"redis-deploy":    {"account-host", "reconcile-grants", "grace", "force"},
		"redis-revoke":    {"account-host", "reconcile-grants"},
		"postgres-deploy": {"account-host"},
		"postgres-revoke": {"account-host", "reconcile-grants"},
		"mysql-revoke":    {"reconcile-grants"},
		"awsiam-validate": {"admin-secret", "account-host"},
		"vault-stage":     {"account-host", "grace", "prefix"},
	}
	present := map[string][]string{
		"mysql-deploy":    {"account-host", "reconcile-grants", "grace", "force"},
		"mysql-revoke":    {"account-host", "grace", "force"},
		"postgres-deploy": {"reconcile-grants", "grace", "force"},
		"awsiam-revoke":   {"grace", "expect-unused"},
		"vault-inventory": {"prefix", "max-age"},
	}
	flags := map[string][]string{}
	for _, c := range all.Commands() {
		flags[c.Name] = c.Flags
	}
	for name, fs := range absent {
		for _, f := range fs {
			if slices.Contains(flags[name], f) {
				t.Errorf("%s offers --%s (flags %v), which does nothing there", name, f, flags[name])
			}
		}
	}
	for name, fs := range present {
		for _, f := range fs {
			if !slices.Contains(flags[name], f) {
				t.Errorf("%s flags %v, want --%s", name, flags[name], f)
			}
		}
	}
}

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// variant is one way of building the commands, measured side by side.
type variant struct {
	key   string // short name used in the tables
	title string
	dir   string // every command name resolves to a binary here
	multi bool   // one rotation-pack binary, every command a link to it
	flags []string
	src   string // module to build from; "" is this one
}

// The variants: what the image ships (multi-call, stripped), what `make
// build` puts in dist/bin (one binary per command, stripped), and the
// unstripped per-command build `make build` made before this benchmark
// existed, kept as the "before" of the -s -w optimisation.
func variants() []*variant {
	return []*variant{
		{key: "multi", title: "multi-call `rotation-pack` (image)", multi: true,
			flags: []string{"-trimpath", "-ldflags=-s -w"}},
		{key: "percmd", title: "one binary per command (dist/bin)",
			flags: []string{"-trimpath", "-ldflags=-s -w"}},
		{key: "before", title: "one binary per command, unstripped (old `make build`)",
			flags: []string{"-trimpath"}},
	}
}

// oldVariant is the image's build made from another source tree, such as
// `git worktree add /tmp/old <commit>` or `git archive <commit>`: the
// "before" of code changes, measured in the same run (-old-src).
func oldVariant(src string) *variant {
	return &variant{key: "old", title: "multi-call `rotation-pack` built from " + src, multi: true,
		flags: []string{"-trimpath", "-ldflags=-s -w"}, src: src}
}

// build compiles the variant into a fresh directory under tmp.
func (v *variant) build(root, tmp string) error {
	if v.src != "" {
		root = v.src
	}
	v.dir = filepath.Join(tmp, "bin-"+v.key)
	if err := os.MkdirAll(v.dir, 0o755); err != nil {
		return err
	}
	pkg := "./cmd/..."
	if v.multi {
		pkg = "./cmd/rotation-pack"
	}
	args := append([]string{"build"}, v.flags...)
	args = append(args, "-o", v.dir+string(filepath.Separator), pkg)
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	if !v.multi {
		return nil
	}
	names, err := commandNames(root)
	if err != nil {
		return err
	}
	for _, n := range names {
		if n != "rotation-pack" {
			if err := os.Symlink("rotation-pack", filepath.Join(v.dir, n)); err != nil {
				return fmt.Errorf("link %s: %w", n, err)
			}
		}
	}
	return nil
}

// bin is the path of command name in this variant.
func (v *variant) bin(name string) string { return filepath.Join(v.dir, name) }

// commandNames lists cmd/*.
func commandNames(root string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(root, "cmd"))
	if err != nil {
		return nil, fmt.Errorf("list cmd: %w", err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

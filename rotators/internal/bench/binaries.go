package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/kestra-rotation/rotation-pack/rotators/pack"
	"github.com/kestra-rotation/rotation-pack/rotators/pack/all"
)

// variant is one way of building the commands, measured side by side.
type variant struct {
	key   string // short name used in the tables
	title string
	dir   string // every command name resolves to a binary here
	multi bool   // multi-call binaries, every command a link to one
	one   string // with multi: the package of one binary for every command; "" for the family binaries
	flags []string
	src   string // module to build from; "" is this one
}

// The variants: what the image ships (one multi-call binary per SDK
// family, as docker/build.sh builds them), the one multi-call binary for
// every command the image shipped before, what `make build` puts in
// dist/bin (one binary per command, stripped), and the unstripped
// per-command build `make build` made before this benchmark existed, kept
// as the "before" of the -s -w optimisation.
func variants() []*variant {
	strip := []string{"-trimpath", "-ldflags=-s -w"}
	return []*variant{
		{key: "multi", title: "one multi-call binary per SDK family, `rotation-pack-<family>` (image)", multi: true, flags: strip},
		{key: "onebin", title: "one multi-call `rotation-pack` for every command (the image before the family split)",
			multi: true, one: "./rotators/internal/bench/onebin", flags: strip},
		{key: "percmd", title: "one binary per command (dist/bin)", flags: strip},
		{key: "before", title: "one binary per command, unstripped (old `make build`)", flags: []string{"-trimpath"}},
	}
}

// oldVariant is the image's build made from another source tree, such as
// `git worktree add /tmp/old <commit>` or `git archive <commit>`: the
// "before" of code changes, measured in the same run (-old-src). Such a
// tree is taken to have one multi-call cmd/rotation-pack.
func oldVariant(src string) *variant {
	return &variant{key: "old", title: "multi-call `rotation-pack` built from " + src, multi: true, one: "./cmd/rotation-pack",
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
	out := v.dir + string(filepath.Separator)
	pkgs := []string{"./cmd/..."}
	links := map[string]string{} // command -> multi-call binary
	switch {
	case v.one != "":
		pkgs, out = []string{v.one}, filepath.Join(v.dir, pack.Name)
		names, err := commandNames(root)
		if err != nil {
			return err
		}
		for _, n := range names {
			links[n] = pack.Name
		}
	case v.multi:
		pkgs = []string{"./cmd/" + pack.Name}
		for _, f := range all.Families() {
			pkgs = append(pkgs, "./cmd/"+f.Name)
			for _, c := range f.Commands {
				links[c.Name] = f.Name
			}
		}
	}
	args := append([]string{"build"}, v.flags...)
	args = append(append(args, "-o", out), pkgs...)
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	for n, target := range links {
		if err := os.Symlink(target, filepath.Join(v.dir, n)); err != nil {
			return fmt.Errorf("link %s: %w", n, err)
		}
	}
	return nil
}

// bin is the path of command name in this variant.
func (v *variant) bin(name string) string { return filepath.Join(v.dir, name) }

// commandNames lists the commands of cmd/: every directory but the
// rotation-pack dispatcher and its family binaries.
func commandNames(root string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(root, "cmd"))
	if err != nil {
		return nil, fmt.Errorf("list cmd: %w", err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), pack.Name) {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

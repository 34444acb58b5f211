package treecheck

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kestra-rotation/rotation-pack/rotators/internal/testsrv"
)

// script returns the path of scripts/check-tree.sh.
func script(t *testing.T) string {
	t.Helper()
	root, err := testsrv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, "scripts", "check-tree.sh")
}

// checkTree runs the check on dir and returns its exit code and output.
func checkTree(t *testing.T, dir string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command("bash", append(append([]string{script(t)}, args...), dir)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String()
	}
	if err != nil {
		t.Fatalf("check-tree.sh: %v", err)
	}
	return 0, out.String()
}

func git(t *testing.T, dir string, args ...string) {
	t.Helper()
	if out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput(); err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// repo makes a git work tree holding a README, a #! script with the
// executable bit and the given files, all staged.
func repo(t *testing.T, files map[string]file) string {
	t.Helper()
	dir := t.TempDir()
	git(t, dir, "init", "-q")
	all := map[string]file{
		"README.md":     {data: []byte("# sources only\n"), mode: 0o644},
		"scripts/do.sh": {data: []byte("#!/usr/bin/env bash\necho hi\n"), mode: 0o755},
	}
	for name, f := range files {
		all[name] = f
	}
	for name, f := range all {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.data, f.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, f.mode); err != nil { // whatever the umask
			t.Fatal(err)
		}
	}
	git(t, dir, "add", "-A")
	return dir
}

type file struct {
	data []byte
	mode os.FileMode
}

// TestRepoTree: this repository's tracked files pass.
func TestRepoTree(t *testing.T) {
	root, err := testsrv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	code, out := checkTree(t, root)
	if code != 0 || !strings.Contains(out, "no executables") {
		t.Fatalf("check-tree.sh on the repo: exit %d\n%s", code, out)
	}
}

// TestRefuses adds one kind of file that does not belong in git to a tree
// that passes, and expects the check to name it and fail.
func TestRefuses(t *testing.T) {
	elf := append([]byte{0x7f, 'E', 'L', 'F', 2, 1, 1}, make([]byte, 64)...)
	big := bytes.Repeat([]byte("0123456789abcdef\n"), 3<<20/17) // 3 MiB of text
	tests := []struct {
		name    string
		files   map[string]file
		args    []string
		deleted string // removed from the work tree after staging
		want    string // in the output, with the file's name
	}{
		{name: "ELF, not executable", files: map[string]file{"bench": {elf, 0o644}}, want: "bench: an ELF executable"},
		{name: "ELF, executable", files: map[string]file{"dist/tool": {elf, 0o755}}, want: "dist/tool: an ELF executable"},
		{name: "ELF, staged then deleted", files: map[string]file{"old": {elf, 0o755}}, deleted: "old", want: "old: an ELF executable"},
		{name: "Mach-O", files: map[string]file{"mac": {[]byte{0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1}, 0o644}}, want: "mac: a Mach-O executable"},
		{name: "PE", files: map[string]file{"tool.exe": {[]byte("MZ\x90\x00\x03"), 0o644}}, want: "tool.exe: a PE"},
		{name: "WebAssembly", files: map[string]file{"m.wasm": {[]byte("\x00asm\x01\x00\x00\x00"), 0o644}}, want: "m.wasm: a WebAssembly"},
		{name: "executable bit without #!", files: map[string]file{"notes.txt": {[]byte("just text\n"), 0o755}}, want: "notes.txt: executable bit set but no #! line"},
		{name: "over 2 MiB", files: map[string]file{"data.csv": {big, 0o644}}, want: "data.csv: 3071 KiB, over the limit of 2048 KiB"},
		{name: "over --max-bytes", files: map[string]file{"a.txt": {make([]byte, 5000), 0o644}}, args: []string{"--max-bytes", "4096"}, want: "a.txt: 4 KiB, over the limit of 4 KiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := repo(t, tt.files)
			if tt.deleted != "" {
				if err := os.Remove(filepath.Join(dir, tt.deleted)); err != nil {
					t.Fatal(err)
				}
			}
			code, out := checkTree(t, dir, tt.args...)
			if code != 1 || !strings.Contains(out, "check-tree: "+tt.want) || !strings.Contains(out, "1 problem(s)") {
				t.Errorf("exit %d, want 1 and %q:\n%s", code, tt.want, out)
			}
		})
	}
}

// TestAccepts: sources, #! scripts with the executable bit, files at the
// limit and symlinks pass, and ignored build outputs are not looked at.
func TestAccepts(t *testing.T) {
	elf := []byte{0x7f, 'E', 'L', 'F', 2, 1, 1, 0}
	dir := repo(t, map[string]file{
		"main.go":         {[]byte("package main\n"), 0o644},
		"run":             {[]byte("#!/bin/sh\nexit 0\n"), 0o755},
		"limit.txt":       {make([]byte, 4096), 0o644},
		".gitignore":      {[]byte("dist/\n"), 0o644},
		"dist/bin/server": {elf, 0o755},
	})
	if err := os.Symlink("main.go", filepath.Join(dir, "link.go")); err != nil {
		t.Fatal(err)
	}
	git(t, dir, "add", "-A")
	code, out := checkTree(t, dir, "--max-bytes", "4096")
	if code != 0 || !strings.Contains(out, "check-tree: 6 tracked files: no executables, none over 4 KiB") {
		t.Fatalf("exit %d, want 0:\n%s", code, out)
	}
}

// TestUsage: a wrong command line is a usage error (exit 2), not a pass.
func TestUsage(t *testing.T) {
	for _, args := range [][]string{{"--max-bytes", "lots"}, {"--bogus"}} {
		code, out := checkTree(t, t.TempDir(), args...)
		if code != 2 || !strings.Contains(out, "usage:") {
			t.Errorf("check-tree.sh %q: exit %d, want 2 and usage:\n%s", args, code, out)
		}
	}
	code, out := checkTree(t, t.TempDir())
	if code != 2 || !strings.Contains(out, "not a git work tree") {
		t.Errorf("check-tree.sh on a plain directory: exit %d, want 2:\n%s", code, out)
	}
}

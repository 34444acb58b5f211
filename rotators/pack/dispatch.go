package pack

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/step"
)

// commandsHeading starts a family's command list in its --help, which
// Dispatch reads back.
const commandsHeading = "Commands:"

// Dispatch is rotation-pack itself, which links no SDK: `rotation-pack CMD
// ARGS` executes the file CMD next to it (in the image, the link to CMD's
// family binary; with `make build`, CMD's own binary), keeping every open
// file, such as the fd 3 pipe of a <store>-get helper; --help gathers the
// lists of the family binaries next to it.
func Dispatch(args []string, stdout io.Writer) int {
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(os.Stderr, "error: %s: find own directory: %v\n", Name, err)
		return core.ExitInternal
	}
	dir, rest := filepath.Dir(self), args[1:]
	switch {
	case len(rest) == 0 || rest[0] == "--help" || rest[0] == "-h":
		return listAll(stdout, dir)
	case rest[0] == "--version":
		fmt.Fprintf(stdout, "%s %s\n", Name, step.Version)
		return core.ExitOK
	}
	name := rest[0]
	path := filepath.Join(dir, name)
	st, err := os.Stat(path)
	if strings.ContainsRune(name, filepath.Separator) || strings.HasPrefix(name, Name) || err != nil || st.IsDir() {
		fmt.Fprintf(os.Stderr, "error: %s: no such command (run %s --help for the list)\n", name, Name)
		return core.ExitUsage
	}
	err = syscall.Exec(path, append([]string{path}, rest[1:]...), os.Environ())
	fmt.Fprintf(os.Stderr, "error: %s: run %s: %v\n", Name, name, err)
	return core.ExitInternal
}

// listAll prints the commands of every family binary in dir.
func listAll(w io.Writer, dir string) int {
	fams, err := filepath.Glob(filepath.Join(dir, Name+"-*"))
	if err != nil || len(fams) == 0 {
		fmt.Fprintf(os.Stderr, "error: %s: no %s-<family> binaries next to it in %s\n", Name, Name, dir)
		return core.ExitInternal
	}
	var lines []string
	for _, f := range fams {
		out, err := exec.Command(f, "--help").Output()
		if err != nil {
			fmt.Fprintf(os.Stderr, "error: %s: %s --help: %v\n", Name, filepath.Base(f), err)
			return core.ExitInternal
		}
		lines = append(lines, commandLines(out)...)
	}
	sort.Strings(lines)
	fmt.Fprintf(w, "%s - every rotation step; each runs the binary of its SDK family (%s-<family>),\nto which each name below is also a link.\n\nUsage:\n  %s COMMAND [flags]   or   COMMAND [flags]\n\n%s\n", Name, Name, Name, commandsHeading)
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
	return core.ExitOK
}

// commandLines are the indented lines after the heading of a family's --help.
func commandLines(help []byte) []string {
	var lines []string
	in := false
	sc := bufio.NewScanner(bytes.NewReader(help))
	for sc.Scan() {
		l := sc.Text()
		switch {
		case l == commandsHeading:
			in = true
		case in && strings.HasPrefix(l, "  "):
			lines = append(lines, l)
		}
	}
	return lines
}

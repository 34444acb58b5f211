package step

import (
	"fmt"
	"strings"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

func (c Command) help() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s - %s\n\nUsage:\n  %s", c.Name, c.Summary, c.Name)
	for _, name := range c.Flags {
		spec := c.spec(name)
		switch {
		case spec.Bool:
			fmt.Fprintf(&b, " [--%s]", name)
		case spec.Required || spec.RequiredUnlessDefault && c.defaultOf(spec) == "":
			fmt.Fprintf(&b, " --%s %s", name, spec.Meta)
		default:
			fmt.Fprintf(&b, " [--%s %s]", name, spec.Meta)
		}
	}
	b.WriteString("\n\n")
	if c.Details != "" {
		b.WriteString(strings.TrimSpace(c.Details) + "\n\n")
	}
	b.WriteString("Flags (each also read from the environment variable shown):\n")
	w := len("version")
	for _, name := range c.Flags {
		w = max(w, len(name))
	}
	for _, name := range c.Flags {
		spec := c.spec(name)
		def := c.defaultOf(spec)
		if def != "" && !spec.Bool {
			def = " (default " + def + ")"
		}
		fmt.Fprintf(&b, "  --%-*s  %s%s\n  %-*s  [%s]\n", w, name, spec.Usage, def, w+2, "", EnvName(name))
	}
	fmt.Fprintf(&b, "  --%-*s  show this help\n  --%-*s  print the version\n\n", w, "help", w, "version")
	b.WriteString("Output: key=value log lines and audit events on stdout, Kestra ::{\"outputs\":…}:: and\n" +
		"::{\"metrics\":…}:: lines, and on failure one error line on stderr. Secret values never appear.\n\n")
	b.WriteString(core.ExitCodeTable())
	return b.String()
}

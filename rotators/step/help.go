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
		spec := lookupSpec(name)
		switch {
		case spec.bool:
			fmt.Fprintf(&b, " [--%s]", name)
		case name == "secret" || name == "rotation" || name == "prefix" || name == "stage" && c.defaultOf(spec) == "":
			fmt.Fprintf(&b, " --%s %s", name, spec.meta)
		default:
			fmt.Fprintf(&b, " [--%s %s]", name, spec.meta)
		}
	}
	b.WriteString("\n\n")
	if c.Details != "" {
		b.WriteString(strings.TrimSpace(c.Details) + "\n\n")
	}
	b.WriteString("Flags (each also read from the environment variable shown):\n")
	for _, name := range c.Flags {
		spec := lookupSpec(name)
		def := c.defaultOf(spec)
		if def != "" && !spec.bool {
			def = " (default " + def + ")"
		}
		fmt.Fprintf(&b, "  --%-14s %s%s\n  %-16s [%s]\n", name, spec.usage, def, "", EnvName(name))
	}
	b.WriteString("  --help          show this help\n  --version       print the version\n\n")
	b.WriteString("Output: key=value log lines and audit events on stdout, Kestra ::{\"outputs\":…}:: and\n" +
		"::{\"metrics\":…}:: lines, and on failure one error line on stderr. Secret values never appear.\n\n")
	b.WriteString(core.ExitCodeTable())
	return b.String()
}

package flowlint

import (
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

var digestRe = regexp.MustCompile(`@sha256:[0-9a-f]{64}$`)

// checkCommands holds the pack's rules for script tasks: a pinned image,
// secrets only through env, inputs only through env (a crafted input must
// never become shell code), and a known task runner.
func (l *linter) checkCommands(t *yaml.Node, what string) {
	runner := l.checkRunner(get(t, "taskRunner"), what)
	img := get(t, "containerImage")
	switch {
	case img != nil:
		l.checkImage(img, what)
	case runner != processRunner:
		l.add(t, "image", "%s: no containerImage: the Docker runner would pull ubuntu, unpinned", what)
	}
	if get(t, "outputFiles") != nil && runner == dockerRunner {
		if u, _ := scalar(get(get(t, "taskRunner"), "user")); u != "root" && u != "0" {
			l.add(t, "runner", "%s: outputFiles under the Docker runner need taskRunner user: root (the working directory it creates is root-owned; the image runs as uid 10001)", what)
		}
	}
	for _, key := range []string{"beforeCommands", "commands"} {
		l.checkScript(get(t, key), what+": "+key)
	}
	if env := get(t, "env"); env != nil && l.mapping(env, what+": env") {
		for i := 1; i < len(env.Content); i += 2 {
			if _, ok := scalar(env.Content[i]); !ok {
				l.add(env.Content[i], "structure", "%s: env %s must be a string", what, env.Content[i-1].Value)
			}
		}
	}
	for i := 1; i < len(t.Content); i += 2 {
		if k := t.Content[i-1].Value; !slices.Contains([]string{"env", "commands", "beforeCommands", "description", "taskRunner"}, k) {
			l.noSecret(t.Content[i], what+": "+k)
		}
	}
}

// checkScript checks a list of shell lines for secret(), inputs and
// trigger data.
func (l *linter) checkScript(n *yaml.Node, what string) {
	if n == nil || !l.list(n, what) {
		return
	}
	for _, c := range n.Content {
		s, ok := scalar(c)
		if !ok {
			l.add(c, "structure", "%s: each line must be a string", what)
			continue
		}
		if i := strings.Index(s, "secret("); i >= 0 {
			l.addLine(lineAt(c, i), "commands-secret", "%s: secret() in a script ends up in the rendered command, logged at DEBUG: pass it through env", what)
		}
		for _, b := range blocks(s) {
			if untrustedRe.MatchString(b.text) {
				l.addLine(lineAt(c, b.at), "commands-input", "%s: inputs and trigger data in a script can inject shell code: pass them through env (ROTATE_*)", what)
			}
		}
	}
}

// noSecret reports secret() anywhere under n: in a script task, secrets go
// in env only (and in taskRunner, for registry credentials).
func (l *linter) noSecret(n *yaml.Node, what string) {
	if s, ok := scalar(n); ok {
		if i := strings.Index(s, "secret("); i >= 0 {
			l.addLine(lineAt(n, i), "secret-env", "%s: secret() belongs in env", what)
		}
	}
	for _, c := range n.Content {
		l.noSecret(c, what)
	}
}

// checkRunner checks a taskRunner block and returns its type (Docker, the
// default, when absent).
func (l *linter) checkRunner(n *yaml.Node, what string) string {
	if n == nil {
		return dockerRunner
	}
	if !l.mapping(n, what+": taskRunner") {
		return ""
	}
	typ, _ := scalar(get(n, "type"))
	sp, ok := runnerSpecs[typ]
	if !ok {
		l.add(n, "type", "%s: taskRunner type %q must be %s or %s", what, typ, dockerRunner, processRunner)
		return typ
	}
	l.checkProps(n, what+": taskRunner", append([]string{"type"}, sp.props...), []string{"type"})
	return typ
}

// checkImage requires a literal image with a tag other than latest, or a
// digest: Docker's default pull policy keeps whatever a tag first pulled.
func (l *linter) checkImage(n *yaml.Node, what string) {
	img, ok := scalar(n)
	switch {
	case !ok || img == "":
		l.add(n, "image", "%s: containerImage must be an image name", what)
	case strings.Contains(img, "{{"):
		l.add(n, "image", "%s: containerImage %q is an expression: use a literal pinned image", what, img)
	case digestRe.MatchString(img):
	default:
		last := img[strings.LastIndex(img, "/")+1:]
		tag := ""
		if i := strings.LastIndex(last, ":"); i >= 0 {
			tag = last[i+1:]
		}
		if tag == "" || slices.Contains([]string{"latest", "main", "master", "edge"}, tag) {
			l.add(n, "image", "%s: containerImage %q is not pinned: use a release tag or a digest", what, img)
		}
	}
}

// lineAt returns the line of byte offset i of scalar n's value: exact for
// block scalars (| and >), the scalar's first line otherwise.
func lineAt(n *yaml.Node, i int) int {
	if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) == 0 {
		return n.Line
	}
	return n.Line + 1 + strings.Count(n.Value[:i], "\n")
}

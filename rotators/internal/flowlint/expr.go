package flowlint

import (
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

var (
	blockRe = regexp.MustCompile(`(?s)\{\{.*?\}\}|\{%.*?%\}`)
	// A root variable: not preceded by a name character, a dot or a ].
	outputsRe = regexp.MustCompile(`(?:^|[^\w.\]])outputs\s*(?:\.\s*(\w+)|\[\s*(?:'([^']*)'|"([^"]*)")\s*\])`)
	inputsRe  = regexp.MustCompile(`(?:^|[^\w.\]])inputs\s*(?:\.\s*(\w+(?:\.\w+)*)|\[\s*(?:'([^']*)'|"([^"]*)")\s*\])`)
	varsRe    = regexp.MustCompile(`(?:^|[^\w.\]])vars\s*(?:\.\s*(\w+)|\[\s*(?:'([^']*)'|"([^"]*)")\s*\])`)
	// Data from outside: inputs, and what a trigger received.
	untrustedRe = regexp.MustCompile(`(?:^|[^\w.\]])(?:inputs|trigger)\s*[.\[]`)
	// Pebble constructs removed in Kestra 2.0 or tied to removed tasks.
	removedExprs = []struct {
		re     *regexp.Regexp
		reason string
	}{
		{regexp.MustCompile(`\|\s*json\b`), "the | json filter is removed in Kestra 2.0: use toJson"},
		{regexp.MustCompile(`(?:^|[^\w.])json\s*\(`), "the json() function is removed in Kestra 2.0: use fromJson"},
		{regexp.MustCompile(`\btaskrun\s*\.\s*value\b`), "taskrun.value belongs to ForEach, removed in Kestra 2.0"},
	}
)

// exprCtx says what an expression may refer to where it appears.
type exprCtx struct {
	where string
	avail set    // tasks whose outputs exist at this point
	self  string // the task holding the expression
}

// block is one {{ }} or {% %} block of a string and its byte offset.
type block struct {
	text string
	at   int
}

func blocks(s string) []block {
	var out []block
	for _, loc := range blockRe.FindAllStringIndex(s, -1) {
		out = append(out, block{s[loc[0]:loc[1]], loc[0]})
	}
	return out
}

// exprs checks every expression in the values under n (mapping keys are
// not expressions; descriptions are not rendered).
func (l *linter) exprs(n *yaml.Node, ctx exprCtx) {
	if n == nil {
		return
	}
	switch n.Kind {
	case yaml.ScalarNode:
		for _, b := range blocks(n.Value) {
			l.expr(n, b, ctx)
		}
	case yaml.MappingNode:
		for i := 1; i < len(n.Content); i += 2 {
			if n.Content[i-1].Value != "description" {
				l.exprs(n.Content[i], ctx)
			}
		}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			l.exprs(c, ctx)
		}
	}
}

func (l *linter) expr(n *yaml.Node, b block, ctx exprCtx) {
	line := lineAt(n, b.at)
	for _, r := range removedExprs {
		if r.re.MatchString(b.text) {
			l.addLine(line, "portable", "%s: %s", ctx.where, r.reason)
		}
	}
	for _, id := range refs(outputsRe, b.text) {
		switch {
		case ctx.avail == nil:
			l.addLine(line, "outputs-ref", "%s: outputs.%s: no task outputs exist here", ctx.where, id)
		case ctx.avail[id]:
		case id == ctx.self:
			l.addLine(line, "outputs-ref", "%s: outputs.%s refers to the task itself", ctx.where, id)
		case l.allTasks[id]:
			l.addLine(line, "outputs-ref", "%s: outputs.%s refers to a task that has not run yet here", ctx.where, id)
		default:
			l.addLine(line, "outputs-ref", "%s: outputs.%s: the flow has no task %q", ctx.where, id, id)
		}
	}
	for _, id := range refs(inputsRe, b.text) {
		if !l.declaredInput(id) {
			l.addLine(line, "inputs-ref", "%s: inputs.%s is not a declared input", ctx.where, id)
		}
	}
	for _, id := range refs(varsRe, b.text) {
		if !l.vars[id] {
			l.addLine(line, "vars-ref", "%s: vars.%s is not declared under variables", ctx.where, id)
		}
	}
}

// declaredInput reports whether a dotted path names a declared input or a
// field of one (input ids may contain dots).
func (l *linter) declaredInput(path string) bool {
	for id := range l.inputs {
		if path == id || strings.HasPrefix(path, id+".") {
			return true
		}
	}
	return false
}

// refs returns the names re captures (dotted, or in brackets) in s.
func refs(re *regexp.Regexp, s string) []string {
	var out []string
	for _, m := range re.FindAllStringSubmatch(s, -1) {
		for _, g := range m[1:] {
			if g != "" {
				out = append(out, g)
				break
			}
		}
	}
	return out
}

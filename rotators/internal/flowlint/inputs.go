package flowlint

import (
	"regexp"
	"slices"

	"gopkg.in/yaml.v3"
)

// checkInputs checks the flow's inputs and records their ids.
func (l *linter) checkInputs(n *yaml.Node) {
	if n == nil || !l.list(n, "inputs") {
		return
	}
	seen := map[string]int{}
	for _, in := range n.Content {
		if !l.mapping(in, "an input") {
			continue
		}
		id, _ := l.idValue(in, "id")
		if first, dup := seen[id]; dup {
			l.add(in, "input", "input id %q is not unique (first at line %d)", id, first)
		}
		seen[id] = in.Line
		l.checkInput(in, id)
	}
}

func (l *linter) checkInput(in *yaml.Node, id string) {
	what := "input " + id
	if id != "" && !inputIDRe.MatchString(id) {
		l.add(get(in, "id"), "id", "input id %q must match %s", id, inputIDRe)
	}
	typ, _ := scalar(get(in, "type"))
	own, known := inputTypes[typ]
	switch reason, bad := notPortableInputTypes[typ]; {
	case bad:
		l.add(get(in, "type"), "portable", "%s: type %s: %s", what, typ, reason)
	case !known && get(in, "type") != nil:
		l.add(get(in, "type"), "input", "%s: unknown type %q", what, typ)
	}
	allowed := append(slices.Clone(commonInputProps), own...)
	if !known {
		allowed = append(allowed, "validator", "values", "min", "max", "after", "before", "itemType")
	}
	l.checkProps(in, what, allowed, []string{"id", "type"})
	if id == "" {
		return
	}
	l.inputs[id] = true
	def := get(in, "defaults")
	req := get(in, "required")
	l.summary.inputs[id] = def == nil && (req == nil || isTrue(req))
	l.checkDefault(in, what, typ, def)
}

// checkDefault checks an input's default against its type, values and
// validator, as Kestra does before it creates an execution.
func (l *linter) checkDefault(in *yaml.Node, what, typ string, def *yaml.Node) {
	if def == nil {
		return
	}
	v, isScalar := scalar(def)
	switch typ {
	case "BOOL", "BOOLEAN":
		if def.Tag != "!!bool" {
			l.add(def, "input", "%s: the default %q is not a boolean", what, v)
		}
	case "SELECT":
		var values []string
		if vs := get(in, "values"); vs != nil {
			for _, e := range vs.Content {
				values = append(values, e.Value)
			}
		}
		if isScalar && !slices.Contains(values, v) {
			l.add(def, "input", "%s: the default %q is not one of the values %v", what, v, values)
		}
	case "STRING":
		pat, ok := scalar(get(in, "validator"))
		if !ok || !isScalar {
			return
		}
		// Kestra matches the whole value (Java Pattern.matches); RE2 cannot
		// compile every Java pattern, in which case this check is skipped.
		if re, err := regexp.Compile(`^(?:` + pat + `)$`); err == nil && !re.MatchString(v) {
			l.add(def, "input", "%s: the default %q does not match its validator", what, v)
		}
	}
}

// checkFlowOutputs checks the flow-level outputs, which may use the outputs
// of any task.
func (l *linter) checkFlowOutputs(n *yaml.Node) {
	if n == nil || !l.list(n, "outputs") {
		return
	}
	for _, o := range n.Content {
		if !l.mapping(o, "an output") {
			continue
		}
		id, _ := l.idValue(o, "id")
		if !inputIDRe.MatchString(id) {
			l.add(o, "id", "output id %q must match %s", id, inputIDRe)
		}
		l.checkProps(o, "output "+id, []string{"id", "type", "value", "description", "displayName", "required"}, []string{"id", "type", "value"})
		l.exprs(get(o, "value"), exprCtx{where: "output " + id, avail: l.allTasks})
	}
}

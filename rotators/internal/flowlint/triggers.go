package flowlint

import (
	"slices"

	"gopkg.in/yaml.v3"
)

// checkTriggers checks each trigger's type and properties. Schedule
// triggers ship disabled: a user enables one once the inputs' defaults name
// their secret, never by importing the flow.
func (l *linter) checkTriggers(n *yaml.Node) {
	if n == nil || !l.list(n, "triggers") {
		return
	}
	for _, t := range n.Content {
		if l.mapping(t, "a trigger") {
			l.checkTrigger(t)
		}
	}
}

func (l *linter) checkTrigger(t *yaml.Node) {
	id := l.checkID(t, "trigger")
	what := "trigger " + id
	typ, _ := l.idValue(t, "type")
	sp, known := triggerSpecs[typ]
	switch {
	case typ == "":
		l.add(t, "required", "%s: type is required", what)
	case known:
		l.checkProps(t, what, append(slices.Clone(commonTriggerProps), sp.props...), sp.required)
	default:
		l.unknownType(get(t, "type"), what, typ, triggerSpecs)
	}
	if len(sp.oneOf) > 0 && !slices.ContainsFunc(sp.oneOf, func(k string) bool { return get(t, k) != nil }) {
		l.add(t, "required", "%s: one of %v is required", what, sp.oneOf)
	}
	l.exprs(t, exprCtx{where: what})
	if typ != scheduleType {
		return
	}
	if !isTrue(get(t, "disabled")) {
		l.add(t, "schedule-disabled", "%s: a Schedule trigger ships with disabled: true", what)
	}
	if in := get(t, "inputs"); in != nil && l.mapping(in, what+": inputs") {
		for i := 0; i+1 < len(in.Content); i += 2 {
			if k := in.Content[i]; !l.inputs[k.Value] {
				l.add(k, "inputs-ref", "%s: input %q is not declared by the flow", what, k.Value)
			}
		}
	}
}

package flowlint

import (
	"maps"
	"slices"

	"gopkg.in/yaml.v3"
)

// set is a set of task ids.
type set map[string]bool

func (s set) with(ids ...string) set {
	out := maps.Clone(s)
	if out == nil {
		out = set{}
	}
	for _, id := range ids {
		out[id] = true
	}
	return out
}

// collectTaskIDs records every task id of the flow, at any depth, so that
// references to a later task can be told from references to no task.
func (l *linter) collectTaskIDs(n *yaml.Node) {
	switch n.Kind {
	case yaml.MappingNode:
		if get(n, "type") != nil {
			if id, ok := scalar(get(n, "id")); ok {
				l.allTasks[id] = true
			}
		}
		for i := 1; i < len(n.Content); i += 2 {
			if k := n.Content[i-1].Value; k != "triggers" && k != "inputs" && k != "taskRunner" && k != "outputs" {
				l.collectTaskIDs(n.Content[i])
			}
		}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			l.collectTaskIDs(c)
		}
	}
}

// descendants returns the ids of the tasks under n, at any depth.
func descendants(n *yaml.Node) []string {
	if n == nil {
		return nil
	}
	var ids []string
	switch n.Kind {
	case yaml.MappingNode:
		if id, ok := scalar(get(n, "id")); ok && get(n, "type") != nil {
			ids = append(ids, id)
		}
		for i := 1; i < len(n.Content); i += 2 {
			if k := n.Content[i-1].Value; k != "taskRunner" && k != "inputs" {
				ids = append(ids, descendants(n.Content[i])...)
			}
		}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			ids = append(ids, descendants(c)...)
		}
	}
	return ids
}

// checkAllTasks walks tasks, then errors (which may use any task's
// outputs), then finally.
func (l *linter) checkAllTasks(root *yaml.Node) {
	done := l.walk(get(root, "tasks"), set{}, false, "tasks")
	failed := l.walk(get(root, "errors"), set{}.with(done...), false, "errors")
	l.walk(get(root, "finally"), set{}.with(done...).with(failed...), false, "finally")
}

// walk checks a list of tasks; avail holds the tasks whose outputs exist
// when the list starts. Tasks of a parallel list do not see each other. It
// returns the ids of every task of the list, children included.
func (l *linter) walk(list *yaml.Node, avail set, parallel bool, what string) []string {
	if list == nil || !l.list(list, what) {
		return nil
	}
	var ids []string
	for _, t := range list.Content {
		got := l.task(t, avail)
		ids = append(ids, got...)
		if !parallel {
			avail = avail.with(got...)
		}
	}
	return ids
}

// task checks one task and its children and returns their ids.
func (l *linter) task(t *yaml.Node, avail set) []string {
	if !l.mapping(t, "a task") {
		return nil
	}
	id := l.checkID(t, "task")
	what := "task " + id
	typ, _ := l.idValue(t, "type")
	sp, known := taskSpecs[typ]
	switch {
	case typ == "":
		l.add(t, "required", "%s: type is required", what)
	case known:
		l.checkProps(t, what, append(slices.Clone(commonTaskProps), sp.props...), sp.required)
	default:
		l.unknownType(get(t, "type"), what, typ, taskSpecs)
	}
	l.checkRetry(get(t, "retry"))
	own := avail
	if sp.loop {
		// a loop's children read its iterationCount; its condition, checked
		// after each iteration, also reads its children's outputs
		avail = avail.with(id)
		own = avail.with(descendants(get(t, "tasks"))...)
	}
	l.taskExprs(t, sp, exprCtx{where: what, avail: own, self: id})
	switch typ {
	case commandsType:
		l.commands = true
		l.checkCommands(t, what)
		if get(t, "timeout") == nil {
			l.add(t, "timeout", "%s: no timeout: a hung image pull or server would hold the concurrency slot forever", what)
		}
	case subflowType:
		l.recordCall(t, id)
	}
	return append([]string{id}, l.children(t, sp, avail)...)
}

// children walks the task lists of a flowable task.
func (l *linter) children(t *yaml.Node, sp spec, avail set) []string {
	var ids []string
	for _, key := range sp.children {
		ids = append(ids, l.walk(get(t, key), avail, sp.parallel && key == "tasks", key)...)
	}
	if c := get(t, "cases"); sp.cases && c != nil && l.mapping(c, "cases") {
		for i := 1; i < len(c.Content); i += 2 {
			ids = append(ids, l.walk(c.Content[i], avail, false, "case "+c.Content[i-1].Value)...)
		}
	}
	if len(sp.children) > 0 || sp.cases {
		after := avail.with(ids...)
		failed := l.walk(get(t, "errors"), after, false, "errors")
		ids = append(ids, failed...)
		ids = append(ids, l.walk(get(t, "finally"), after.with(failed...), false, "finally")...)
	}
	return ids
}

// taskExprs checks the expressions of a task's own properties.
func (l *linter) taskExprs(t *yaml.Node, sp spec, ctx exprCtx) {
	skip := append(append([]string{"id", "type", "description", "cases"}, sp.children...), flowableLists...)
	for i := 1; i < len(t.Content); i += 2 {
		if !slices.Contains(skip, t.Content[i-1].Value) {
			l.exprs(t.Content[i], ctx)
		}
	}
}

// unknownType reports a type outside the allow-list, naming the reason for
// known non-portable types and the closest allowed type otherwise.
func (l *linter) unknownType(n *yaml.Node, what, typ string, allowed map[string]spec) {
	if reason, bad := notPortableTypes[typ]; bad {
		l.add(n, "portable", "%s: type %s: %s", what, typ, reason)
		return
	}
	l.add(n, "type", "%s: type %q is not in the pack's allow-list%s", what, typ, suggest(typ, slices.Sorted(maps.Keys(allowed))))
}

// recordCall records a Subflow task for LintDir.
func (l *linter) recordCall(t *yaml.Node, id string) {
	ns, _ := scalar(get(t, "namespace"))
	flow, _ := scalar(get(t, "flowId"))
	c := call{line: t.Line, task: id, namespace: ns, id: flow}
	if in := get(t, "inputs"); in != nil && l.mapping(in, "Subflow inputs") {
		for i := 0; i+1 < len(in.Content); i += 2 {
			c.inputs = append(c.inputs, in.Content[i].Value)
		}
	}
	l.summary.calls = append(l.summary.calls, c)
}

package flowlint

import (
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

var (
	flowIDRe    = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._-]*$`)
	namespaceRe = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)
	taskIDRe    = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_-]*$`)
	inputIDRe   = regexp.MustCompile(`^[a-zA-Z0-9][.a-zA-Z0-9_-]*$`)
)

// checkFlow checks the whole flow, top-level keys first.
func (l *linter) checkFlow(root *yaml.Node) {
	if root.Kind != yaml.MappingNode {
		l.add(root, "structure", "a flow is a mapping, not %s", kind(root))
		return
	}
	l.checkProps(root, "flow", topLevelKeys, []string{"id", "namespace", "tasks"})
	l.checkFlowID(root)
	if ns, ok := l.idValue(root, "namespace"); ok {
		l.summary.namespace = ns
		if !namespaceRe.MatchString(ns) || len(ns) > 150 {
			l.add(get(root, "namespace"), "id", "namespace %q must match %s (lower case) and have at most 150 characters", ns, namespaceRe)
		}
	}
	l.checkLabels(get(root, "labels"))
	l.checkInputs(get(root, "inputs"))
	l.collectTaskIDs(root)
	l.checkVariables(get(root, "variables"))
	l.checkRetry(get(root, "retry"))
	l.checkAllTasks(root)
	l.checkFlowOutputs(get(root, "outputs"))
	l.checkTriggers(get(root, "triggers"))
	l.checkConcurrency(root)
}

// idValue returns the scalar value of key, reporting a non-scalar.
func (l *linter) idValue(m *yaml.Node, key string) (string, bool) {
	n := get(m, key)
	if n == nil {
		return "", false
	}
	v, ok := scalar(n)
	if !ok {
		l.add(n, "structure", "%s must be a string, not %s", key, kind(n))
	}
	return v, ok
}

func (l *linter) checkFlowID(root *yaml.Node) {
	id, ok := l.idValue(root, "id")
	if !ok {
		return
	}
	l.summary.id = id
	n := get(root, "id")
	if !flowIDRe.MatchString(id) || len(id) > 100 {
		l.add(n, "id", "flow id %q must match %s and have at most 100 characters", id, flowIDRe)
	}
	if slices.Contains(reservedFlowIDs, id) {
		l.add(n, "reserved-id", "flow id %q is reserved by Kestra's API", id)
	}
	base := filepath.Base(l.file)
	if want := strings.TrimSuffix(base, filepath.Ext(base)); id != want {
		l.add(n, "file-name", "flow id %q differs from the file name %q", id, want)
	}
}

// checkProps reports keys of mapping m outside allowed (naming the
// non-portable ones) and missing required keys; what names m in messages.
func (l *linter) checkProps(m *yaml.Node, what string, allowed, required []string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		switch reason, bad := notPortable[k.Value]; {
		case slices.Contains(allowed, k.Value):
		case bad:
			l.add(k, "portable", "%s: %s: %s", what, k.Value, reason)
		default:
			l.add(k, "property", "%s: unknown property %q%s", what, k.Value, suggest(k.Value, allowed))
		}
	}
	for _, r := range required {
		if get(m, r) == nil {
			l.add(m, "required", "%s: %s is required", what, r)
		}
	}
}

// mapping reports n unless it is a mapping.
func (l *linter) mapping(n *yaml.Node, what string) bool {
	if n.Kind != yaml.MappingNode {
		l.add(n, "structure", "%s must be a mapping, not %s", what, kind(n))
		return false
	}
	return true
}

// list reports n unless it is a list.
func (l *linter) list(n *yaml.Node, what string) bool {
	if n.Kind != yaml.SequenceNode {
		l.add(n, "structure", "%s must be a list, not %s", what, kind(n))
		return false
	}
	return true
}

func (l *linter) checkLabels(n *yaml.Node) {
	if n == nil {
		return
	}
	check := func(k *yaml.Node) {
		if strings.HasPrefix(k.Value, "system.") {
			l.add(k, "label", "label %q: system. labels are Kestra's own", k.Value)
		}
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			check(n.Content[i])
			if _, ok := scalar(n.Content[i+1]); !ok {
				l.add(n.Content[i+1], "label", "label %q: the value must be a string", n.Content[i].Value)
			}
		}
	case yaml.SequenceNode:
		for _, e := range n.Content {
			if l.mapping(e, "a label") {
				l.checkProps(e, "label", []string{"key", "value"}, []string{"key", "value"})
				if k := get(e, "key"); k != nil {
					check(k)
				}
			}
		}
	default:
		l.add(n, "structure", "labels must be a mapping or a list of {key, value}")
	}
}

func (l *linter) checkVariables(n *yaml.Node) {
	if n == nil || !l.mapping(n, "variables") {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		l.vars[n.Content[i].Value] = true
	}
	for i := 1; i < len(n.Content); i += 2 {
		l.exprs(n.Content[i], exprCtx{where: "variables", avail: l.allTasks})
	}
}

func (l *linter) checkRetry(n *yaml.Node) {
	if n == nil || !l.mapping(n, "retry") {
		return
	}
	typ, _ := scalar(get(n, "type"))
	own, ok := retryProps[typ]
	if !ok {
		l.add(n, "retry", "retry type %q must be one of constant, exponential, random", typ)
	}
	l.checkProps(n, "retry", append(slices.Clone(commonRetryProps), own...), []string{"type"})
	if b, ok := scalar(get(n, "behavior")); ok && b != "RETRY_FAILED_TASK" && b != "CREATE_NEW_EXECUTION" {
		l.add(get(n, "behavior"), "retry", "retry behavior %q must be RETRY_FAILED_TASK or CREATE_NEW_EXECUTION", b)
	}
}

// checkConcurrency checks the concurrency block, required when the flow
// runs scripts: two rotations of one secret must never overlap.
func (l *linter) checkConcurrency(root *yaml.Node) {
	n := get(root, "concurrency")
	if n == nil {
		if l.commands {
			l.add(keyNode(root, "tasks"), "concurrency", "a flow running Commands tasks needs concurrency: {limit: 1, behavior: QUEUE}")
		}
		return
	}
	if !l.mapping(n, "concurrency") {
		return
	}
	l.checkProps(n, "concurrency", []string{"limit", "behavior"}, []string{"limit"})
	if lim := get(n, "limit"); lim != nil && (lim.Tag != "!!int" || strings.HasPrefix(lim.Value, "-") || lim.Value == "0") {
		l.add(lim, "concurrency", "concurrency limit must be an integer >= 1")
	}
	// Concurrency is per flow, not per secret: FAIL and CANCEL would drop an
	// event for another secret arriving meanwhile (a realtime trigger has
	// already consumed it). QUEUE, Kestra's default, keeps it; the store's
	// lock keeps two rotations of one secret apart.
	if b, ok := scalar(get(n, "behavior")); ok && b != "QUEUE" {
		l.add(get(n, "behavior"), "concurrency", "concurrency behavior %q drops executions for other secrets: use QUEUE", b)
	}
}

// checkID checks the id of a task or trigger and that it is unique in the
// flow.
func (l *linter) checkID(m *yaml.Node, what string) string {
	id, ok := l.idValue(m, "id")
	if !ok {
		return ""
	}
	n := get(m, "id")
	if !taskIDRe.MatchString(id) {
		l.add(n, "id", "%s id %q must match %s (no dots)", what, id, taskIDRe)
	}
	if first, dup := l.ids[id]; dup {
		l.add(n, "id", "%s id %q is not unique (first at line %d)", what, id, first)
	} else {
		l.ids[id] = n.Line
	}
	return id
}

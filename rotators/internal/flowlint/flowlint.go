// Package flowlint checks the pack's Kestra flows before anyone imports them:
// strict YAML, Kestra's id and namespace rules, and only the subset that
// parses on both Kestra 1.3 LTS and 2.0, with an allow-list of task and
// trigger types and of their properties (tables.go). It also holds the pack's own rules: pinned images,
// secrets and inputs reach scripts through env only, every outputs.X names an
// earlier task, every inputs.X is declared, Schedule triggers ship disabled,
// flows running scripts set a concurrency limit.
//
// It reads YAML with gopkg.in/yaml.v3 nodes, so every finding has a line.
// Kestra's own parser is the second opinion: kestra-check/ runs it.
package flowlint

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Finding is one rule broken at one place.
type Finding struct {
	File string
	Line int
	Rule string
	Msg  string
}

func (f Finding) String() string {
	return fmt.Sprintf("%s:%d: %s [%s]", f.File, f.Line, f.Msg, f.Rule)
}

// linter holds what is known of one flow while it is checked.
type linter struct {
	file     string
	findings []Finding
	summary  summary
	inputs   map[string]bool // declared input ids
	vars     map[string]bool // declared variables
	allTasks map[string]bool // every task id of the flow
	ids      map[string]int  // task and trigger ids seen, with their line
	commands bool            // the flow runs a Commands task
}

// summary is what LintDir needs of a flow to check the Subflow tasks
// calling it.
type summary struct {
	file, id, namespace string
	inputs              map[string]bool // input id -> required without a default
	calls               []call
}

// call is a Subflow task.
type call struct {
	line                int
	task, namespace, id string
	inputs              []string
}

// Lint checks the source of one flow file; name is its path, used for the
// file-name rule and in findings.
func Lint(name string, src []byte) []Finding {
	l := lint(name, src)
	return l.findings
}

// LintFile reads and checks one flow file.
func LintFile(path string) ([]Finding, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Lint(path, b), nil
}

// LintDir checks every .yaml and .yml file of dir, then every Subflow task
// that calls a flow of dir: the inputs it passes must be declared by that
// flow, and it must pass every required input without a default.
func LintDir(dir string) ([]Finding, error) {
	paths, err := flowFiles(dir)
	if err != nil {
		return nil, err
	}
	var out []Finding
	var sums []summary
	flows := map[string]summary{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		l := lint(p, b)
		out = append(out, l.findings...)
		sums = append(sums, l.summary)
		flows[l.summary.namespace+"/"+l.summary.id] = l.summary
	}
	for _, s := range sums {
		out = append(out, checkCalls(s, flows)...)
	}
	return out, nil
}

func flowFiles(dir string) ([]string, error) {
	var paths []string
	for _, pat := range []string{"*.yaml", "*.yml"} {
		m, err := filepath.Glob(filepath.Join(dir, pat))
		if err != nil {
			return nil, err
		}
		paths = append(paths, m...)
	}
	sort.Strings(paths)
	return paths, nil
}

func checkCalls(f summary, flows map[string]summary) []Finding {
	var out []Finding
	add := func(c call, format string, args ...any) {
		out = append(out, Finding{f.file, c.line, "subflow", fmt.Sprintf("task %s: ", c.task) + fmt.Sprintf(format, args...)})
	}
	for _, c := range f.calls {
		child, ok := flows[c.namespace+"/"+c.id]
		if !ok {
			continue // not a flow of this directory
		}
		for _, in := range c.inputs {
			if _, ok := child.inputs[in]; !ok {
				add(c, "flow %s has no input %q", c.id, in)
			}
		}
		for _, in := range slices.Sorted(maps.Keys(child.inputs)) {
			if child.inputs[in] && !slices.Contains(c.inputs, in) {
				add(c, "flow %s requires input %q, which has no default", c.id, in)
			}
		}
	}
	return out
}

func lint(name string, src []byte) *linter {
	l := &linter{
		file: name, inputs: map[string]bool{}, vars: map[string]bool{},
		allTasks: map[string]bool{}, ids: map[string]int{},
	}
	l.summary = summary{file: name, inputs: map[string]bool{}}
	if root := l.parse(src); root != nil {
		l.checkFlow(root)
	}
	sort.SliceStable(l.findings, func(i, j int) bool { return l.findings[i].Line < l.findings[j].Line })
	return l
}

// add records a finding at node n.
func (l *linter) add(n *yaml.Node, rule, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	l.addLine(line, rule, format, args...)
}

func (l *linter) addLine(line int, rule, format string, args ...any) {
	l.findings = append(l.findings, Finding{File: l.file, Line: line, Rule: rule, Msg: fmt.Sprintf(format, args...)})
}

// suggest returns " (did you mean X?)" for the allowed name closest to got.
func suggest(got string, allowed []string) string {
	if want, ok := knownTypos[got]; ok && slices.Contains(allowed, want) {
		return fmt.Sprintf(" (did you mean %s?)", want)
	}
	best, bestDist := "", 3
	for _, a := range allowed {
		d := distance(strings.ToLower(got), strings.ToLower(a))
		if strings.EqualFold(got, a) {
			d = 0
		}
		if d < bestDist {
			best, bestDist = a, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %s?)", best)
}

// distance is the Levenshtein distance of a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

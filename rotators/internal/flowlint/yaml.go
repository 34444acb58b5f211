package flowlint

import (
	"bytes"
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

var errLineRe = regexp.MustCompile(`line (\d+)`)

// yaml11Bools are plain scalars that yaml.v3 (YAML 1.2) reads as strings
// but Kestra's Jackson/SnakeYAML parser (YAML 1.1) reads as booleans.
var yaml11Bools = []string{"yes", "no", "on", "off"}

// parse decodes exactly one YAML document and checks it is plain, strict
// YAML: no duplicate keys, no merge keys, anchors or aliases, no YAML 1.1
// booleans. It returns the document's root node, or nil if it cannot be
// read.
func (l *linter) parse(src []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			l.addLine(1, "yaml", "empty file: want one flow")
			return nil
		}
		l.addLine(errLine(err), "yaml", "%v", err)
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		l.addLine(extra.Line, "yaml", "a second YAML document: a flow file holds exactly one flow")
	case !errors.Is(err, io.EOF):
		l.addLine(errLine(err), "yaml", "after the flow: %v", err)
	}
	if len(doc.Content) == 0 {
		l.addLine(1, "yaml", "empty document: want one flow")
		return nil
	}
	root := doc.Content[0]
	l.plain(root)
	return root
}

func errLine(err error) int {
	if m := errLineRe.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

// plain walks every node for duplicate keys and constructs Kestra's parser
// reads differently from yaml.v3.
func (l *linter) plain(n *yaml.Node) {
	if n.Anchor != "" {
		l.add(n, "yaml", "anchor &%s: keep flows free of anchors and aliases", n.Anchor)
	}
	switch n.Kind {
	case yaml.AliasNode:
		l.add(n, "yaml", "alias *%s: keep flows free of anchors and aliases", n.Value)
		return
	case yaml.ScalarNode:
		l.yaml11(n)
	case yaml.MappingNode:
		l.duplicates(n)
	}
	for _, c := range n.Content {
		l.plain(c)
	}
}

func (l *linter) duplicates(m *yaml.Node) {
	seen := map[string]int{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		if k.Kind != yaml.ScalarNode {
			l.add(k, "yaml", "a mapping key must be a plain string")
			continue
		}
		if k.Value == "<<" && k.Style == 0 {
			l.add(k, "yaml", "merge key <<: Kestra's parser does not merge; repeat the keys")
		}
		if first, dup := seen[k.Value]; dup {
			l.add(k, "yaml", "duplicate key %q (first at line %d)", k.Value, first)
			continue
		}
		seen[k.Value] = k.Line
	}
}

func (l *linter) yaml11(n *yaml.Node) {
	if n.Style != 0 || n.Tag != "!!str" {
		return
	}
	for _, b := range yaml11Bools {
		if strings.EqualFold(n.Value, b) {
			l.add(n, "yaml", "unquoted %s is a boolean for Kestra's YAML 1.1 parser: quote it", n.Value)
		}
	}
}

// get returns the value of key in mapping m, or nil.
func get(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// keyNode returns the key node of key in mapping m, or nil.
func keyNode(m *yaml.Node, key string) *yaml.Node {
	for i := 0; m != nil && i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i]
		}
	}
	return nil
}

// scalar returns n's value if n is a scalar.
func scalar(n *yaml.Node) (string, bool) {
	if n == nil || n.Kind != yaml.ScalarNode {
		return "", false
	}
	return n.Value, true
}

// isTrue reports whether n is the boolean true.
func isTrue(n *yaml.Node) bool {
	return n != nil && n.Kind == yaml.ScalarNode && n.Tag == "!!bool" && n.Value == "true"
}

// kind names a node's kind for messages.
func kind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return "a scalar"
	}
	return "an alias"
}

package flowlint

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var (
	secretCallRe = regexp.MustCompile(`secret\(\s*['"]([^'"]+)['"]`)
	envsRe       = regexp.MustCompile(`\benvs\.(\w+)`)
)

// docSections splits docs/flows.md into its "### <flow id>" sections.
func docSections(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "flows.md"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	id := ""
	for _, line := range strings.Split(string(b), "\n") {
		if h, ok := strings.CutPrefix(line, "### "); ok {
			id = strings.TrimSpace(h)
			out[id] = ""
			continue
		}
		if strings.HasPrefix(line, "## ") {
			id = ""
		}
		if id != "" {
			out[id] += line + "\n"
		}
	}
	return out
}

// TestFlowsDoc keeps docs/flows.md in step with flows/: a section per flow,
// every secret('X') a flow uses named in its section as `X`, every
// envs.x named as setting `X`, and no section
// for a flow that does not exist.
func TestFlowsDoc(t *testing.T) {
	sections := docSections(t)
	paths, err := flowFiles(filepath.Join("..", "..", "..", "flows"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no flows: %v", err)
	}
	var ids []string
	for _, p := range paths {
		id := strings.TrimSuffix(filepath.Base(p), filepath.Ext(p))
		ids = append(ids, id)
		text, ok := sections[id]
		if !ok {
			t.Errorf("docs/flows.md has no section \"### %s\"", id)
			continue
		}
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range secretCallRe.FindAllStringSubmatch(string(src), -1) {
			if !strings.Contains(text, "`"+m[1]+"`") {
				t.Errorf("docs/flows.md, section %s: secret %s (used by the flow) is not listed", id, m[1])
			}
		}
		for _, m := range envsRe.FindAllStringSubmatch(string(src), -1) {
			if name := strings.ToUpper(m[1]); !strings.Contains(text, "`"+name+"`") || !strings.Contains(text, "etting") {
				t.Errorf("docs/flows.md, section %s: setting %s (envs.%s, used by the flow) is not listed as a setting", id, name, m[1])
			}
		}
	}
	for id := range sections {
		if !slices.Contains(ids, id) {
			t.Errorf("docs/flows.md has a section for %q, which is not a flow in flows/", id)
		}
	}
}

// TestDocSectionsParse checks the section splitter and the secret pattern
// on a sample, so the doc test cannot pass by finding nothing.
func TestDocSectionsParse(t *testing.T) {
	if got := secretCallRe.FindAllStringSubmatch(`a: "{{ secret('A_B') }}" b: "{{ x ? secret("C") : '' }}"`, -1); len(got) != 2 || got[0][1] != "A_B" || got[1][1] != "C" {
		t.Errorf("secret pattern found %v", got)
	}
	if s := docSections(t); len(s) < 10 || !strings.Contains(s["rotate-secret"], "`VAULT_TOKEN`") {
		t.Errorf("found %d sections; rotate-secret section: %q", len(s), s["rotate-secret"])
	}
}

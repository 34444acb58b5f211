package doccheck

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// root is the module root, two levels up from this package.
var root = filepath.Join("..", "..", "..")

// pages are README.md and every Markdown file under docs/.
func pages(t *testing.T) []string {
	t.Helper()
	out := []string{filepath.Join(root, "README.md")}
	err := filepath.WalkDir(filepath.Join(root, "docs"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".md") {
			out = append(out, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// line is one line of a page and its number.
type line struct {
	n    int
	text string
}

// prose returns the lines of a Markdown page outside fenced code blocks.
func prose(t *testing.T, page string) []line {
	t.Helper()
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	var lines []line
	fenced := false
	for i, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			fenced = !fenced
			continue
		}
		if !fenced {
			lines = append(lines, line{i + 1, l})
		}
	}
	return lines
}

var (
	linkRe    = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	headingRe = regexp.MustCompile(`^#{1,6}\s+(.*)$`)
	slugDrop  = regexp.MustCompile(`[^\p{L}\p{N}\- ]`)
)

// anchors are the GitHub anchors of a Markdown page's headings.
func anchors(t *testing.T, page string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, l := range prose(t, page) {
		if m := headingRe.FindStringSubmatch(l.text); m != nil {
			out[slug(m[1])] = true
		}
	}
	return out
}

// slug is GitHub's heading anchor: lower case, punctuation dropped, spaces
// as dashes.
func slug(heading string) string {
	s := strings.ToLower(strings.TrimSpace(heading))
	return strings.ReplaceAll(slugDrop.ReplaceAllString(s, ""), " ", "-")
}

// TestRelativeLinks: every relative link of README.md and docs/**/*.md names
// a file or directory of the repository, and a #fragment on a Markdown page
// names one of its headings.
func TestRelativeLinks(t *testing.T) {
	n := 0
	for _, page := range pages(t) {
		rel, _ := filepath.Rel(root, page)
		for _, l := range prose(t, page) {
			for _, m := range linkRe.FindAllStringSubmatch(l.text, -1) {
				target := m[1]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				n++
				file, frag, _ := strings.Cut(target, "#")
				dest := page
				if file != "" {
					dest = filepath.Join(filepath.Dir(page), filepath.FromSlash(file))
					if _, err := os.Stat(dest); err != nil {
						t.Errorf("%s:%d: link %s: no such file", rel, l.n, target)
						continue
					}
				}
				if frag != "" && strings.HasSuffix(dest, ".md") && !anchors(t, dest)[frag] {
					t.Errorf("%s:%d: link %s: no heading with anchor #%s", rel, l.n, target, frag)
				}
			}
		}
	}
	if n < 20 {
		t.Errorf("found %d relative links, want the README's and docs/'s (is the link pattern broken?)", n)
	}
}

// TestDesignExitCodes: the exit-code table of docs/design.md is
// core.ExitCodes, which --help prints, row for row.
func TestDesignExitCodes(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, "docs", "design.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Exit codes\n")
	if !ok {
		t.Fatal(`docs/design.md: no "## Exit codes" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	row := regexp.MustCompile(`^\| \d+ \| .+ \|$`)
	var got, want strings.Builder
	sc := bufio.NewScanner(strings.NewReader(section))
	for sc.Scan() {
		if row.MatchString(sc.Text()) {
			fmt.Fprintln(&got, sc.Text())
		}
	}
	for _, e := range core.ExitCodes {
		fmt.Fprintf(&want, "| %d | %s |\n", e.Code, e.Meaning)
	}
	if got.String() != want.String() {
		t.Errorf("docs/design.md's exit-code table differs from core.ExitCodes (rotators/core/exitcodes.go):\n got rows:\n%s\nwant rows:\n%s", got.String(), want.String())
	}
}

// outside are names of documents that live outside the repository (the
// team's working notes); no file of the repository may cite them. They are
// spelled in pieces so that this file does not match itself.
var outside = []string{"DESIGN" + ".md", "servers" + ".md", "kestra" + ".md", "/work/" + "shared"}

// TestNoOutsideDocuments: no text file of the repository cites a document
// the repository does not hold. Hidden directories, dist/ and binary files
// (a NUL byte) are skipped.
func TestNoOutsideDocuments(t *testing.T) {
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != root && (strings.HasPrefix(name, ".") || name == "dist" || name == "node_modules" || name == "target") {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil || info.Size() > 4<<20 {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil || bytes.IndexByte(b, 0) >= 0 {
			return err
		}
		for _, o := range outside {
			if i := bytes.Index(b, []byte(o)); i >= 0 {
				rel, _ := filepath.Rel(root, p)
				t.Errorf("%s:%d cites %s, which is not in the repository: point at a file of the repository instead",
					rel, 1+bytes.Count(b[:i], []byte("\n")), o)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestVaultPolicyOnItsPage: the policy shown on docs/stores/vault.md is the
// one the tests load, docs/vault-rotation-policy.hcl, path for path.
func TestVaultPolicyOnItsPage(t *testing.T) {
	rule := regexp.MustCompile(`path\s+"([^"]+)"\s*\{\s*capabilities\s*=\s*\[([^\]]*)\]\s*\}`)
	rules := func(file string) string {
		b, err := os.ReadFile(filepath.Join(root, "docs", file))
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range rule.FindAllStringSubmatch(string(b), -1) {
			out = append(out, m[1]+" "+strings.Join(strings.Fields(m[2]), " "))
		}
		return strings.Join(out, "\n")
	}
	file, page := rules("vault-rotation-policy.hcl"), rules(filepath.Join("stores", "vault.md"))
	if file == "" || file != page {
		t.Errorf("docs/stores/vault.md shows another policy than docs/vault-rotation-policy.hcl:\npage:\n%s\nfile:\n%s", page, file)
	}
}

package flowlint

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// refusedRefs are references the trust rules refuse (docs/security.md,
// "references"): options that move PENDING onto another secret or into the
// readers' tree, and ., .. or empty path segments.
var refusedRefs = []string{
	"vault://secret/apps/db?pending=apps",
	"vault://secret/apps/db?pending=../x",
	"vault://secret/apps/db?pending=_p/../../apps",
	"vault://secret/../sys/x",
	"vault://../apps/db",
	"vault://./apps/db",
	"vault://secret/apps//db",
	"vault://secret/apps/db/",
	"vault://secret/_pending/apps/db",
	"gcpsm://p1/orders-db?pending=billing-db",
	"azkv://orders-kv/orders-db?pending=billing-db",
	"awssm://apps/../billing",
	"awssm://apps/./billing",
}

// TestRefValidators: every flow input that takes a secret reference has a
// validator refusing what the binaries refuse, and its default passes both.
func TestRefValidators(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "..", "flows", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no flows: %v", err)
	}
	checked := 0
	for _, f := range files {
		for id, in := range refInputs(t, f) {
			checked++
			re, err := regexp.Compile(`^(?:` + in.Validator + `)$`)
			if err != nil {
				t.Errorf("%s input %s: validator does not compile: %v", filepath.Base(f), id, err)
				continue
			}
			for _, bad := range refusedRefs {
				if re.MatchString(bad) {
					t.Errorf("%s input %s: validator accepts %q", filepath.Base(f), id, bad)
				}
			}
			if _, err := core.ParseRef(in.Defaults); in.Defaults != "" && err != nil {
				t.Errorf("%s input %s: default %q: %v", filepath.Base(f), id, in.Defaults, err)
			}
		}
	}
	if checked < 10 {
		t.Errorf("checked %d reference inputs, want every secret and admin_secret input (at least 10)", checked)
	}
}

type input struct {
	ID        string `yaml:"id"`
	Validator string `yaml:"validator"`
	Defaults  string `yaml:"defaults"`
}

// refInputs are a flow's secret and admin_secret inputs.
func refInputs(t *testing.T, path string) map[string]input {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var flow struct {
		Inputs []yaml.Node `yaml:"inputs"`
	}
	if err := yaml.Unmarshal(b, &flow); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	out := map[string]input{}
	for _, n := range flow.Inputs {
		var in input
		if n.Decode(&in) == nil && (in.ID == "secret" || strings.HasSuffix(in.ID, "_secret")) {
			if in.Validator == "" {
				t.Errorf("%s input %s: no validator", filepath.Base(path), in.ID)
			}
			out[in.ID] = in
		}
	}
	return out
}

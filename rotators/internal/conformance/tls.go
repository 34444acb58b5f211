package conformance

import (
	"strings"
	"testing"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// TLSCase is one run of a target's -validate on a secret value, for the
// tests of TLS verification against a server with a test CA.
type TLSCase struct {
	Name   string
	Value  core.Value // the secret's value; its password is leak-checked
	Env    []string   // added to the runner's environment
	Want   int        // exit code
	Stderr []string   // what stderr must name when Want is not 0
}

// ValidateTLS stores each case's value with put under a fresh name and
// runs <target>-validate on its CURRENT stage.
func ValidateTLS(t *testing.T, store StoreHarness, put func(t testing.TB, name string, v core.Value) core.Ref, target string, cases []TLSCase) {
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			r := store.NewRunner(t, tc.Env...)
			pw, _ := tc.Value.String("password")
			r.Secret(pw)
			ref := put(t, "conformance/"+target+"-tls-"+RandomID(""), tc.Value)
			run := r.Must(t, tc.Want, target+"-validate", "--secret", ref.String(), "--stage", "current")
			for _, w := range tc.Stderr {
				if !strings.Contains(run.Stderr, w) {
					t.Errorf("stderr %q, want a line naming %q", run.Stderr, w)
				}
			}
		})
	}
}

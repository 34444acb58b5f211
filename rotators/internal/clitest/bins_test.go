package clitest

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kestra-rotation/rotation-pack/rotators/pack/all"
)

// The steps of stores and targets that read a secret (the -get helpers
// refuse to run by hand; other commands, such as inventories, have tests of
// their own). The stores and targets are the pack's (rotators/pack/all).
var (
	storeSteps  = map[string]bool{"stage": true, "promote": true, "rollback": true}
	targetSteps = map[string]bool{"deploy": true, "validate": true, "revoke": true}
)

// binary is one rotation step binary.
type binary struct {
	path, provider, step string
	target               bool
}

// stepBinaries lists the built step binaries of every store and target.
func stepBinaries(t *testing.T) []binary {
	entries, err := os.ReadDir(env.BinDir)
	if err != nil {
		t.Fatal(err)
	}
	var out []binary
	for _, e := range entries {
		provider, step, _ := strings.Cut(e.Name(), "-")
		isTarget := slices.Contains(all.Targets(), provider) && targetSteps[step]
		if isTarget || storeSteps[step] && slices.Contains(all.Stores(), provider) {
			out = append(out, binary{filepath.Join(env.BinDir, e.Name()), provider, step, isTarget})
		}
	}
	if len(out) < 20 {
		t.Fatalf("found %d step binaries, want every store's and target's", len(out))
	}
	return out
}

// schemes are the stores a binary reads secrets from: its own, or for a
// target every store.
func (b binary) schemes() []string {
	if b.target {
		return all.Stores()
	}
	return []string{b.provider}
}

// args are b's required flags with the secret ref, for the step to read
// stage (targets that accept --stage; "" keeps their default).
func (b binary) args(t *testing.T, ref, stage string) []string {
	req := required(t, b.path)
	over := map[string]string{"secret": ref}
	a := argv(req, over)
	if stage != "" && b.target && b.step != "revoke" {
		a = append(a, "--stage", stage)
	}
	return a
}

// TestEveryStoreHasFixtures: each store of the pack has the per-store
// cases of this package (a reference, its missing configurations, the
// environment that reaches its test server); without them its binaries
// would be tested with bad input only.
func TestEveryStoreHasFixtures(t *testing.T) {
	needServers(t)
	missing, servers := missingEnv("x"), storeEnv()
	for _, s := range all.Stores() {
		if refs[s] == "" || len(missing[s]) == 0 || len(servers[s]) == 0 {
			t.Errorf("store %s: refs %q, %d missingEnv cases, storeEnv %d entries; want all three (env_test.go, servers_test.go)",
				s, refs[s], len(missing[s]), len(servers[s]))
		}
	}
}

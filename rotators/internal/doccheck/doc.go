// Package doccheck holds no code, only tests that keep the documentation in
// step with the repository: every relative link in README.md and docs/ points
// at a file (and heading) that exists, docs/design.md's exit-code table is
// core.ExitCodes, docs/stores/vault.md shows the Vault policy the tests load,
// and no file cites a document the repository does not hold.
package doccheck

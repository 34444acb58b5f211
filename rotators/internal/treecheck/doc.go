// Package treecheck tests scripts/check-tree.sh, the check of `make lint`
// that keeps build outputs out of git: no compiled executables, no files
// with the executable bit that are not #! scripts, nothing over 2 MiB.
package treecheck

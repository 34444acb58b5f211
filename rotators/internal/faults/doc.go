// Package faults holds the reliability tests of the pack (no library code):
// network faults injected with toxiproxy between the binaries and every
// store and target server during each rotation step, and a crash soak that
// kills steps with SIGKILL at random points and checks after every step
// that CURRENT still logs in. docs/reliability.md has the figures.
package faults

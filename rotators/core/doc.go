// Package core is the protocol core of the rotation pack: stages, rotation ids,
// secret references, secret values, the password generator, the error
// classes and their exit codes, and the scrubber that keeps secret values out
// of every line a binary prints.
//
// It imports no provider SDK. Stores and targets implement the small
// interfaces in store.go and target.go; the step package drives them.
package core

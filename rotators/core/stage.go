package core

import "fmt"

// Stage names one of the three values a store keeps for a secret (the AWS
// model): CURRENT is what applications read, PENDING is being rolled out,
// PREVIOUS is the last good value.
type Stage string

// The three stages.
const (
	Current  Stage = "current"
	Pending  Stage = "pending"
	Previous Stage = "previous"
)

// ParseStage accepts the lower-case names used on the command line.
func ParseStage(s string) (Stage, error) {
	switch Stage(s) {
	case Current, Pending, Previous:
		return Stage(s), nil
	}
	return "", fmt.Errorf("%w: stage %q: want current, pending or previous", ErrUsage, s)
}

// Strategy says how a target rolls a new credential out.
type Strategy string

// The strategies (docs/design.md, "Strategies").
const (
	// Single changes one user's password in place.
	Single Strategy = "single"
	// Alternate flips between two users, app and app_clone.
	Alternate Strategy = "alternate"
	// Dual keeps two valid passwords on one user during the rollout.
	Dual Strategy = "dual"
)

// ParseStrategy accepts single, alternate or dual; the empty string means single.
func ParseStrategy(s string) (Strategy, error) {
	switch Strategy(s) {
	case "":
		return Single, nil
	case Single, Alternate, Dual:
		return Strategy(s), nil
	}
	return "", fmt.Errorf("%w: strategy %q: want single, alternate or dual", ErrUsage, s)
}

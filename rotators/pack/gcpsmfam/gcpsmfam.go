// Package gcpsmfam is the GCP Secret Manager family binary's command list (cmd/rotation-pack-gcpsm).
package gcpsmfam

import (
	"github.com/kestra-rotation/rotation-pack/rotators/gcpsm"
	"github.com/kestra-rotation/rotation-pack/rotators/pack"
)

// Family is rotation-pack-gcpsm: the gcpsm-* commands.
func Family() pack.Family {
	return pack.Family{Name: pack.Name + "-gcpsm", Commands: pack.StoreCommands("gcpsm", gcpsm.Open, gcpsm.OpenInventory)}
}

// Command onebin is the image's build before the family split: one
// multi-call binary for every command, which links and initialises every
// SDK at each start. The benchmark builds it as variant onebin, to measure
// the split against it in the same run; it is not shipped.
package main

import (
	"os"

	"github.com/kestra-rotation/rotation-pack/rotators/pack"
	"github.com/kestra-rotation/rotation-pack/rotators/pack/all"
)

func main() {
	os.Exit(pack.Main(pack.Family{Name: pack.Name, Commands: all.Commands()}, os.Args, os.Stdout))
}

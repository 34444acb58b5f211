// Command packlist prints, one "<command> <family binary>" a line, which
// family binary runs each command of the pack: docker/build.sh makes the
// image's symbolic links from it, so the Go lists (rotators/pack/all) are
// the one statement of which commands exist and where each lives.
package main

import (
	"fmt"
	"os"

	"github.com/kestra-rotation/rotation-pack/rotators/pack/all"
)

func main() {
	for _, l := range all.Links() {
		if _, err := fmt.Println(l); err != nil {
			fmt.Fprintf(os.Stderr, "error: packlist: %v\n", err)
			os.Exit(1)
		}
	}
}

package kestraengine

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// The flow x engine x runner x result x time table: every judged execution
// logs its row, and with KESTRAENGINE_TIMINGS=docs a passing run writes the
// rows into docs/benchmarks.md, between the markers below (make bench
// keeps that block when it rewrites the page).

const (
	timingsBegin = "<!-- kestraengine timings: written by rotators/internal/kestraengine (KESTRAENGINE_TIMINGS=docs) -->"
	timingsEnd   = "<!-- /kestraengine timings -->"
)

var (
	timingsMu sync.Mutex
	timings   []string
)

// row logs the execution as a row of the table and keeps it for the page.
func (e *execution) row(t *testing.T, name string) {
	t.Helper()
	r := fmt.Sprintf("| %s | Kestra %s | %s | %s | %s |", name, e.Version, e.Runner, e.State, e.Took.Round(10*time.Millisecond))
	t.Log(r)
	timingsMu.Lock()
	timings = append(timings, r)
	timingsMu.Unlock()
}

// writeTimings replaces the block between the markers of
// docs/benchmarks.md (or appends one) with the run's rows; started is when
// the package's tests began. Re-running it replaces the block again.
func writeTimings(root string, started time.Time) error {
	page := filepath.Join(root, "docs", "benchmarks.md")
	old, err := os.ReadFile(page)
	if err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n## Flows in Kestra's engine\n\n", timingsBegin)
	fmt.Fprintf(&b, "Written by `KESTRAENGINE_TIMINGS=docs go test -count=1 ./rotators/internal/kestraengine` on %s, in %s\n",
		started.UTC().Format("2006-01-02 15:04 UTC"), time.Since(started).Round(time.Second))
	load, _ := os.ReadFile("/proc/loadavg") // the machine may be shared: say how busy it was
	fmt.Fprintf(&b, "(%d CPUs, load average %s at the end), one execution per row, its time from the request to the\n",
		runtime.NumCPU(), strings.Join(strings.Fields(string(load) + " ? ? ?")[:3], " / "))
	b.WriteString("engine until the execution and its logs are complete. Kestra's executor and worker run in one JVM per version and task runner\n")
	b.WriteString("(2.0.0's worker talks to its controller over gRPC on loopback, in the same JVM);\n")
	b.WriteString("the Process runner runs the pack's binaries on the machine, the Docker runner runs each task\n")
	b.WriteString("in a container of the pack's image through podman's Docker API ([development.md](development.md#tests)).\n")
	b.WriteString("FAILED rows are the `errors:` cases, failing as they should. The guide's IAM flow was not run in\n")
	b.WriteString("the engine: its times are in [One whole rotation](#one-whole-rotation), as a shell script. The first\n")
	b.WriteString("execution of each JVM includes its warm-up; an entry point's row includes its rotation.\n\n")
	b.WriteString("| flow | engine | runner | result | time |\n|---|---|---|---|---|\n")
	sort.Strings(timings) // by flow, then engine and runner
	for _, r := range timings {
		b.WriteString(r + "\n")
	}
	b.WriteString(timingsEnd + "\n")
	var out []byte
	if i, j := bytes.Index(old, []byte(timingsBegin)), bytes.Index(old, []byte(timingsEnd)); i >= 0 && j > i {
		out = append(append(append([]byte{}, old[:i]...), b.String()...), old[j+len(timingsEnd)+1:]...)
	} else {
		out = append(append(bytes.TrimRight(old, "\n"), "\n\n"...), b.String()...)
	}
	return os.WriteFile(page, out, 0o644)
}

package flowrun

import (
	"context"
	"strings"
	"testing"
)

const outputFilesFlow = `
id: output-files
namespace: secops.test
tasks:
  - id: report
    type: io.kestra.plugin.scripts.shell.Commands
    containerImage: example.com/img:1.0
    commands:
      - mkdir sub && echo a > a.csv && echo b > sub/b.csv && echo c > c.txt && ln -s a.csv link.csv
      - exit "$CODE"
    env:
      CODE: "1"
    outputFiles:
      - "*.csv"
      - sub/b.csv
`

// TestOutputFiles: the files matching the globs are kept, even when the
// task fails (as Kestra collects them before raising the failure);
// symbolic links and unmatched files are not.
func TestOutputFiles(t *testing.T) {
	f, err := Parse([]byte(outputFilesFlow))
	if err != nil {
		t.Fatal(err)
	}
	e, err := (&Runner{BinDir: t.TempDir()}).Run(context.Background(), f, nil)
	if err != nil {
		t.Fatal(err)
	}
	tr := e.TaskRun("report")
	if tr.State != Failed || len(tr.OutputFiles) != 2 || string(tr.OutputFiles["a.csv"]) != "a\n" || string(tr.OutputFiles["sub/b.csv"]) != "b\n" {
		t.Errorf("got state %s and files %v, want FAILED with a.csv and sub/b.csv", tr.State, tr.OutputFiles)
	}
	for _, bad := range []string{"/etc/passwd", "{{ inputs.x }}.csv", "[.csv"} {
		src := strings.Replace(outputFilesFlow, `- sub/b.csv`, `- "`+bad+`"`, 1)
		if _, err := Parse([]byte(src)); err == nil || !strings.Contains(err.Error(), "outputFiles") {
			t.Errorf("outputFiles %q: got %v, want it refused", bad, err)
		}
	}
}

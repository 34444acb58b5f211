package flowrun

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const childFlow = `
id: child
namespace: secops.test
inputs:
  - {id: mode, type: SELECT, values: [ok, fail]}
  - {id: dry_run, type: BOOL, defaults: false}
tasks:
  - id: work
    type: io.kestra.plugin.scripts.shell.Commands
    containerImage: example.com/img:1.0
    env: {MODE: "{{ inputs.mode }}", DRY: "{{ inputs.dry_run }}", TOKEN: "{{ inputs.mode == 'ok' ? secret('TOKEN') : '' }}"}
    commands:
      - if [ -n "$TOKEN" ]; then t=set; else t=empty; fi
      - echo "child $MODE dry=$DRY token $t in {{ execution.id }}"
      - '[ "$MODE" = ok ]'
errors:
  - id: undo
    type: io.kestra.plugin.scripts.shell.Commands
    containerImage: example.com/img:1.0
    commands: [echo undone]
`

const parentFlow = `
id: parent
namespace: secops.test
inputs:
  - {id: mode, type: STRING, defaults: ok}
tasks:
  - id: call
    type: io.kestra.plugin.core.flow.Subflow
    namespace: secops.test
    flowId: child
    inputs: {mode: "{{ inputs.mode }}", dry_run: "true"}
    wait: true
    transmitFailed: true
  - id: after
    type: io.kestra.plugin.scripts.shell.Commands
    containerImage: example.com/img:1.0
    commands: [echo after]
errors:
  - id: cleanup
    type: io.kestra.plugin.scripts.shell.Commands
    containerImage: example.com/img:1.0
    commands: [echo cleanup]
`

// TestRunSubflow runs a parent calling a child through a Subflow task: the
// child gets its own id and the rendered inputs, the hooks see its tasks,
// and its state becomes the task's (transmitFailed).
func TestRunSubflow(t *testing.T) {
	dir := t.TempDir()
	for name, src := range map[string]string{"child.yaml": childFlow, "parent.yaml": parentFlow} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	parent, err := Load(filepath.Join(dir, "parent.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		mode, state, token string
		tasks, child       []string
	}{
		{"ok", "SUCCESS", "set", []string{"call", "work", "after"}, []string{"work"}},
		{"fail", "FAILED", "empty", []string{"call", "work", "undo", "cleanup"}, []string{"work", "undo"}},
		{"maybe", "FAILED", "", []string{"call", "cleanup"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			var before []string
			r := &Runner{BinDir: t.TempDir(), Secrets: map[string]string{"TOKEN": "tok"}, ExecutionID: "parent1",
				Flows: FlowsIn(dir), BeforeTask: func(id string) { before = append(before, id) }}
			e, err := r.Run(context.Background(), parent, map[string]string{"mode": tt.mode})
			if err != nil {
				t.Fatal(err)
			}
			var log strings.Builder
			e.WriteLog(&log)
			if string(e.State) != tt.state || !slices.Equal(before, tt.tasks) {
				t.Fatalf("state %s, tasks %v; want %s, %v\n%s", e.State, before, tt.state, tt.tasks, log.String())
			}
			c := e.TaskRun("call").Subflow
			if tt.child == nil {
				if c != nil || !strings.Contains(log.String(), "no execution created") {
					t.Errorf("want no child execution\n%s", log.String())
				}
				return
			}
			var got []string
			for _, tr := range c.TaskRuns {
				got = append(got, tr.TaskID)
			}
			if c.ID == e.ID || c.FlowID != "child" || !slices.Equal(got, tt.child) || c.Inputs["dry_run"] != "true" {
				t.Errorf("child %s of %s ran %v with %v", c.ID, c.FlowID, got, c.Inputs)
			}
			if want := "child " + tt.mode + " dry=true token " + tt.token + " in " + c.ID; !strings.Contains(log.String(), want) {
				t.Errorf("child log lacks %q\n%s", want, log.String())
			}
		})
	}
}

func TestRunSubflowRefuses(t *testing.T) {
	for name, src := range map[string]string{
		"wait false":      strings.Replace(parentFlow, "wait: true", "wait: false", 1),
		"no transmit":     strings.Replace(parentFlow, "transmitFailed: true", "transmitFailed: false", 1),
		"no flowId":       strings.Replace(parentFlow, "    flowId: child\n", "", 1),
		"retry":           strings.Replace(parentFlow, "    wait: true\n", "    wait: true\n    retry: {type: constant, interval: PT1S, maxAttempts: 2}\n", 1),
		"commands in sub": strings.Replace(parentFlow, "    wait: true\n", "    wait: true\n    commands: [x]\n", 1),
		"input expr":      strings.Replace(parentFlow, "{{ inputs.mode }}", "{{ inputs.mode | upper }}", 1),
	} {
		if _, err := Parse([]byte(src)); err == nil {
			t.Errorf("%s: want a parse error", name)
		}
	}
	f, err := Parse([]byte(parentFlow))
	if err != nil {
		t.Fatal(err)
	}
	e, err := (&Runner{BinDir: t.TempDir()}).Run(context.Background(), f, nil)
	if err != nil || e.State != Failed || e.TaskRun("call").Subflow != nil {
		t.Errorf("without Runner.Flows: want the Subflow task failed, got %v %v", e, err)
	}
}

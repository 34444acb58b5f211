package flowrun

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const testFlow = `
id: test-flow
namespace: secops.test
inputs:
  - {id: who, type: STRING, defaults: world, validator: '[a-z]+'}
  - {id: mode, type: SELECT, values: [ok, fail], defaults: ok}
  - {id: dry_run, type: BOOL, defaults: false}
tasks:
  - id: first
    type: io.kestra.plugin.scripts.shell.Commands
    containerImage: example.com/img:1.0
    taskRunner: {type: io.kestra.plugin.scripts.runner.docker.Docker}
    env:
      WHO: "{{ inputs.who }}"
      TOKEN: "{{ secret('TOKEN') }}"
    commands:
      - echo "hello $WHO"
      - echo 'to stderr' >&2
      - echo '::{"outputs":{"version":"7","changed":true}}::'
      - echo '::{"outputs":{"version":"8"},"metrics":[{"name":"m","type":"counter","value":1,"tags":{}}]}::'
      - echo '::{"logs":[{"level":"WARN","message":"careful"}]}::'
      - echo '::{not json}::'
      - echo ' ::{"outputs":{"ignored":true}}::'
      - printf '::{"outputs":{"crlf":"yes"}}::\r\n'
      - printf '::{"outputs":{"ls":"\342\200\250"}}::\n'
      - test "$TOKEN" = tok
  - id: second
    type: io.kestra.plugin.scripts.shell.Commands
    containerImage: example.com/img:1.0
    taskRunner: {type: io.kestra.plugin.scripts.runner.docker.Docker}
    env: {MODE: "{{ inputs.mode }}", DRY: "{{ inputs.dry_run }}"}
    commands:
      - echo "version {{ outputs.first.vars.version }} of {{ execution.id }} in $PWD"
      - '[ "$MODE" = ok ] || exit 4'
      - echo past the mode check
    retry: {type: constant, interval: PT1S, maxAttempts: 2}
errors:
  - id: cleanup
    type: io.kestra.plugin.scripts.shell.Commands
    containerImage: example.com/img:1.0
    taskRunner: {type: io.kestra.plugin.scripts.runner.docker.Docker}
    commands:
      - echo cleaning up
`

func runTestFlow(t *testing.T, inputs map[string]string) (*Execution, []string) {
	t.Helper()
	f, err := Parse([]byte(testFlow))
	if err != nil {
		t.Fatal(err)
	}
	var before []string
	var slept []time.Duration
	r := &Runner{
		BinDir:      t.TempDir(),
		Secrets:     map[string]string{"token": "tok"},
		ExecutionID: "exec123",
		BeforeTask:  func(id string) { before = append(before, id) },
		Sleep:       func(d time.Duration) { slept = append(slept, d) },
	}
	e, err := r.Run(context.Background(), f, inputs)
	if err != nil {
		t.Fatal(err)
	}
	if n := e.TaskRun("second").Attempts; len(slept) != n-1 || (n > 1 && slept[0] != time.Second) {
		t.Errorf("slept %v for %d attempts", slept, n)
	}
	return e, before
}

func TestRunSuccess(t *testing.T) {
	e, before := runTestFlow(t, nil)
	var log strings.Builder
	e.WriteLog(&log)
	if e.State != Success || !slices.Equal(before, []string{"first", "second"}) {
		t.Fatalf("state %s, tasks %v\n%s", e.State, before, log.String())
	}
	first := e.TaskRun("first")
	wantOut := map[string]string{"version": "8", "changed": "true", "crlf": "yes"}
	for k, want := range wantOut {
		if got, _ := scalar(first.Outputs[k]); got != want {
			t.Errorf("output %s = %q, want %q", k, got, want)
		}
	}
	for _, k := range []string{"ignored", "ls"} {
		if _, ok := first.Outputs[k]; ok {
			t.Errorf("output %s: the line should not have matched Kestra's regex", k)
		}
	}
	if len(first.Metrics) != 1 || first.Metrics[0].Name != "m" {
		t.Errorf("metrics %v", first.Metrics)
	}
	for _, want := range []LogLine{{"INFO", "hello world"}, {"ERROR", "to stderr"}, {"WARN", "careful"}, {"INFO", ` ::{"outputs":{"ignored":true}}::`}} {
		if !slices.Contains(first.Logs, want) {
			t.Errorf("log line %v missing:\n%s", want, log.String())
		}
	}
	if !strings.Contains(log.String(), "unable to parse") || !strings.HasPrefix(first.Script, "set -e\n") {
		t.Errorf("want a parse warning and a set -e script:\n%s", log.String())
	}
	msg := e.TaskRun("second").Logs[0].Message
	dir, ok := strings.CutPrefix(msg, "version 8 of exec123 in ")
	if !ok {
		t.Errorf("second task log: %q", msg)
	} else if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("working dir %s should be a fresh temp dir, removed afterwards (stat: %v)", dir, err)
	}
	if !slices.Equal(first.EnvNames, []string{"TOKEN", "WHO"}) {
		t.Errorf("env names %v", first.EnvNames)
	}
}

func TestRunFailureRunsErrors(t *testing.T) {
	e, before := runTestFlow(t, map[string]string{"mode": "fail"})
	var log strings.Builder
	e.WriteLog(&log)
	second, cleanup := e.TaskRun("second"), e.TaskRun("cleanup")
	if e.State != Failed || second == nil || second.ExitCode != 4 || second.Attempts != 2 || cleanup == nil || !cleanup.Errors || cleanup.State != Success {
		t.Fatalf("want FAILED, second exit 4 after 2 attempts, cleanup run:\n%s", log.String())
	}
	if !slices.Equal(before, []string{"first", "second", "cleanup"}) {
		t.Errorf("BeforeTask saw %v", before)
	}
	if strings.Contains(log.String(), "past the mode check") {
		t.Errorf("set -e did not stop the script:\n%s", log.String())
	}
}

func TestRunInvalidInputs(t *testing.T) {
	f, err := Parse([]byte(testFlow))
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []map[string]string{{"who": "World!"}, {"mode": "maybe"}, {"dry_run": "yes"}, {"nope": "x"}} {
		if _, err := (&Runner{}).Run(context.Background(), f, in); err == nil {
			t.Errorf("inputs %v: want an error", in)
		}
	}
}

func TestRunRenderErrorFailsTask(t *testing.T) {
	f, err := Parse([]byte(testFlow))
	if err != nil {
		t.Fatal(err)
	}
	e, err := (&Runner{BinDir: t.TempDir()}).Run(context.Background(), f, nil) // no TOKEN secret
	if err != nil {
		t.Fatal(err)
	}
	first := e.TaskRun("first")
	if e.State != Failed || first.ExitCode != -1 || first.Attempts != 0 || e.TaskRun("cleanup") == nil {
		t.Fatalf("want the first task failed before running, and cleanup run: %+v", first)
	}
}

func TestParseRejects(t *testing.T) {
	base := "id: x\nnamespace: a.b\ntasks:\n  - id: t\n    type: io.kestra.plugin.scripts.shell.Commands\n    commands: [echo]\n"
	tests := map[string]string{
		"duplicate key":       base + "namespace: c.d\n",
		"duplicate task key":  base + "    commands: [echo]\n",
		"unknown property":    base + "pluginDefaults: []\n",
		"unknown task prop":   base + "    runIf: true\n",
		"two documents":       base + "---\nid: y\n",
		"bad namespace":       strings.Replace(base, "a.b", "A.b", 1),
		"bad task id":         strings.Replace(base, "id: t", "id: t.x", 1),
		"unsupported expr":    base + "    env: {X: \"{{ vars.x }}\"}\n",
		"unsupported type":    strings.Replace(base, "shell.Commands", "shell.Script", 1),
		"unsupported retry":   base + "    retry: {type: exponential, interval: PT1S, maxAttempts: 2}\n",
		"duplicate task id":   base + "errors:\n  - id: t\n    type: io.kestra.plugin.scripts.shell.Commands\n    commands: [echo]\n",
		"no tasks":            "id: x\nnamespace: a.b\n",
		"unsupported input":   base + "inputs:\n  - {id: n, type: INT}\n",
		"commands as subflow": base + "    flowId: other\n",
	}
	if _, err := Parse([]byte(base)); err != nil {
		t.Fatalf("base flow: %v", err)
	}
	for name, src := range tests {
		if _, err := Parse([]byte(src)); err == nil {
			t.Errorf("%s: want a parse error", name)
		}
	}
}

// TestFlows checks every flow of the pack parses and keeps the pack's rules.
func TestFlows(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join("..", "..", "..", "flows", "*.yaml"))
	if len(paths) == 0 {
		t.Fatal("no flows found")
	}
	flows := map[string]*Flow{}
	for _, p := range paths {
		if fleetFlow(p) {
			continue
		}
		f, err := Load(p)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		flows[f.ID] = f
		for _, task := range append(append([]Task{}, f.Tasks...), f.Errors...) {
			checkTaskRules(t, p, task)
		}
	}
	for _, f := range flows {
		for _, task := range f.Tasks {
			if task.FlowID != "" {
				checkSubflow(t, f.ID, task, flows[task.FlowID])
			}
		}
	}
}

// checkSubflow checks a Subflow task names a flow of the pack and only
// inputs that flow declares.
func checkSubflow(t *testing.T, parent string, task Task, child *Flow) {
	t.Helper()
	if child == nil || child.Namespace != task.Namespace {
		t.Errorf("%s: task %s: flow %s.%s is not in flows/", parent, task.ID, task.Namespace, task.FlowID)
		return
	}
	for name := range task.SubflowInputs {
		if !slices.ContainsFunc(child.Inputs, func(in Input) bool { return in.ID == name }) {
			t.Errorf("%s: task %s: flow %s has no input %q", parent, task.ID, child.ID, name)
		}
	}
}

func checkTaskRules(t *testing.T, path string, task Task) {
	t.Helper()
	if task.Type != CommandsType {
		return
	}
	img := task.ContainerImage
	if img == "" || !strings.Contains(img, ":") || strings.HasSuffix(img, ":latest") {
		t.Errorf("%s: task %s: containerImage %q is not pinned", path, task.ID, img)
	}
	if task.TaskRunner["type"] != "io.kestra.plugin.scripts.runner.docker.Docker" || task.Description == "" {
		t.Errorf("%s: task %s: want a Docker taskRunner and a description", path, task.ID)
	}
	for _, c := range task.Commands {
		if strings.Contains(c, "secret(") || strings.Contains(c, "inputs.") {
			t.Errorf("%s: task %s: secrets and inputs go in env, not in commands", path, task.ID)
		}
	}
}

// fleetFlow reports the fleet flows (rotate-overdue, rotate-now): their
// LoopUntil, Parallel and If tasks are Kestra's to run, and
// rotators/internal/kestraengine runs them in Kestra's engine.
func fleetFlow(path string) bool {
	b := filepath.Base(path)
	return b == "rotate-overdue.yaml" || b == "rotate-now.yaml"
}

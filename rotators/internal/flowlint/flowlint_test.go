package flowlint

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFlows lints every flow of the pack, one subtest per file.
func TestFlows(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "flows")
	paths, err := flowFiles(dir)
	if err != nil || len(paths) == 0 {
		t.Fatalf("no flows in %s: %v", dir, err)
	}
	findings, err := LintDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			for _, f := range findings {
				if f.File == p {
					t.Errorf("%s", f)
				}
			}
		})
	}
}

// base is a flow that keeps every rule; each case below breaks one.
const base = `id: base
namespace: secops.test
labels: {team: secops}
inputs:
  - {id: secret, type: STRING, defaults: "vault://a/b", validator: '^vault://.+$'}
  - {id: mode, type: SELECT, values: [single, dual], defaults: single}
  - {id: dry_run, type: BOOL, defaults: false}
variables:
  owner: secops
concurrency: {limit: 1, behavior: QUEUE}
tasks:
  - id: stage
    type: io.kestra.plugin.scripts.shell.Commands
    timeout: PT5M
    containerImage: ghcr.io/x/y:1.0
    taskRunner: {type: io.kestra.plugin.scripts.runner.docker.Docker}
    env:
      TOKEN: "{{ secret('TOKEN') }}"
      ROTATE_SECRET: "{{ inputs.secret }}"
    commands:
      - stage --rotation "{{ execution.id }}"
    retry: {type: constant, interval: PT1S, maxAttempts: 2}
  - id: fan
    type: io.kestra.plugin.core.flow.Parallel
    tasks:
      - id: one
        type: io.kestra.plugin.core.log.Log
        message: "{{ outputs.stage.vars.version }} {{ vars.owner }}"
      - id: two
        type: io.kestra.plugin.core.log.Log
        message: two
  - id: check
    type: io.kestra.plugin.core.log.Log
    message: "{{ outputs.one }}"
errors:
  - id: rollback
    type: io.kestra.plugin.core.log.Log
    message: "{{ outputs.check }}"
triggers:
  - id: monthly
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "0 3 1 * *"
    inputs: {dry_run: true}
    disabled: true
`

const sqs = "  - id: queue\n    type: io.kestra.plugin.aws.sqs.RealtimeTrigger\n    queueUrl: u\n"

// TestClean checks flows that keep every rule: base, and variants using
// what the rules must allow.
// loop is a LoopUntil task for the cases below.
const loop = "  - id: batches\n    type: io.kestra.plugin.core.flow.LoopUntil\n    condition: \"{{ outputs.step.vars.last }}\"\n" +
	"    checkFrequency: {maxIterations: 3}\n    tasks:\n" +
	"      - {id: step, type: io.kestra.plugin.core.log.Log, message: \"{{ outputs.batches.iterationCount }}\"}\n" +
	"      - {id: tag, type: io.kestra.plugin.core.execution.Labels, labels: {secret: \"{{ inputs.secret }}\"}}\n"

func TestClean(t *testing.T) {
	sw := "  - id: pick\n    type: io.kestra.plugin.core.flow.Switch\n    value: \"{{ inputs.mode }}\"\n" +
		"    cases:\n      dual:\n        - {id: d, type: io.kestra.plugin.core.log.Log, message: \"{{ outputs.check }}\"}\n" +
		"    errors:\n      - {id: e, type: io.kestra.plugin.core.log.Log, message: \"{{ outputs.d }}\"}\n"
	variants := map[string][2]string{
		"base":                 {"", ""},
		"registry credentials": {"Docker}", "Docker, credentials: {password: \"{{ secret('X') }}\"}}"},
		"process runner":       {"    containerImage: ghcr.io/x/y:1.0\n    taskRunner: {type: io.kestra.plugin.scripts.runner.docker.Docker}", "    taskRunner: {type: io.kestra.plugin.core.runner.Process}"},
		"digest":               {"y:1.0", "y@sha256:" + strings.Repeat("ab", 32)},
		"label list":           {"{team: secops}", "[{key: team, value: secops}]"},
		"switch":               {"errors:\n", sw + "errors:\n"},
		"bracket outputs":      {"{{ outputs.one }}", "{{ outputs['one'].value }} {{ inputs['secret'] }}"},
		// a loop's condition reads its children, its children its iterationCount
		"loop until": {"errors:\n", loop + "errors:\n"},
	}
	for name, v := range variants {
		src := strings.Replace(base, v[0], v[1], 1)
		if v[0] != "" && src == base {
			t.Fatalf("%s: base has no %q", name, v[0])
		}
		if fs := Lint("base.yaml", []byte(src)); len(fs) > 0 {
			t.Errorf("%s: want no findings:\n%s", name, dump(fs))
		}
	}
}

func TestRules(t *testing.T) {
	r := func(old, new string) string {
		if !strings.Contains(base, old) {
			t.Fatalf("base has no %q", old)
		}
		return strings.Replace(base, old, new, 1)
	}
	stage := "    retry: {type: constant, interval: PT1S, maxAttempts: 2}\n"
	tests := []struct{ name, src, rule, want string }{
		{"syntax", "id: [\n", "yaml", "line"},
		{"duplicate key", base + "namespace: x\n", "yaml", "duplicate key"},
		{"duplicate task key", r(stage, stage+"    env: {}\n"), "yaml", "duplicate key \"env\""},
		{"two documents", base + "---\nid: y\n", "yaml", "second YAML document"},
		{"yaml 1.1 bool", r("team: secops", "team: on"), "yaml", "quote it"},
		{"anchor", r("variables:\n", "variables: &v\n"), "yaml", "anchor"},
		{"merge key", r("  owner: secops\n", "  owner: secops\n  <<: {a: b}\n"), "yaml", "merge key"},
		{"flow id", r("id: base", "id: -base"), "id", "flow id"},
		{"file name", r("id: base", "id: other"), "file-name", "other"},
		{"namespace", r("namespace: secops.test", "namespace: SecOps"), "id", "lower case"},
		{"top-level typo", base + "varaibles: {}\n", "property", "did you mean variables"},
		{"pluginDefaults", base + "pluginDefaults: []\n", "portable", "removed in Kestra 2.0"},
		{"no tasks", "id: base\nnamespace: a\n", "required", "tasks is required"},
		{"task id dot", r("id: check", "id: che.ck"), "id", "no dots"},
		{"duplicate task id", r("id: rollback", "id: stage"), "id", "not unique"},
		{"unknown type", r("core.log.Log\n        message: two", "core.log.Logg\n        message: two"), "type", "did you mean"},
		{"ForEach", r("core.flow.Parallel", "core.flow.ForEach"), "portable", "removed in Kestra 2.0"},
		{"task typo", r(stage, stage+"    envs: {}\n"), "property", "did you mean env"},
		{"runIf", r(stage, stage+"    runIf: x\n"), "portable", "runIf"},
		{"deprecated script prop", r(stage, stage+"    warningOnStdErr: false\n"), "portable", "deprecated"},
		{"workerGroup", r(stage, stage+"    workerGroup: {key: a}\n"), "portable", "workerSelector"},
		{"maxAttempt", r("maxAttempts: 2", "maxAttempt: 2"), "portable", "maxAttempts"},
		{"retry type", r("type: constant", "type: linear"), "retry", "linear"},
		{"sqs secretAccessKey", base + sqs + "    secretAccessKey: k\n", "property", "did you mean secretKeyId"},
		{"servicebus casing", base + "  - id: sb\n    type: io.kestra.plugin.azure.servicebus.RealtimeTrigger\n    queueName: q\n", "type", "RealTimeTrigger"},
		{"eventhubs casing", base + "  - id: eh\n    type: io.kestra.plugin.azure.eventhubs.RealTimeTrigger\n", "type", "eventhubs.RealtimeTrigger"},
		{"servicebus queue", base + "  - id: sb\n    type: io.kestra.plugin.azure.servicebus.RealTimeTrigger\n", "required", "queueName"},
		{"trigger conditions", r("    disabled: true\n", "    disabled: true\n    conditions: []\n"), "portable", "conditions"},
		{"Schedule backfill", r("    disabled: true\n", "    disabled: true\n    backfill: {}\n"), "portable", "backfill"},
		{"Flow trigger", base + "  - id: f\n    type: io.kestra.plugin.core.trigger.Flow\n", "portable", "no Flow trigger"},
		{"schedule enabled", r("    disabled: true\n", ""), "schedule-disabled", "disabled: true"},
		{"schedule input", r("{dry_run: true}", "{nope: true}"), "inputs-ref", "nope"},
		{"later task", r("{{ outputs.one }}", "{{ outputs.rollback }}"), "outputs-ref", "not run yet"},
		{"parallel sibling", r("message: two", "message: \"{{ outputs.one }}\""), "outputs-ref", "not run yet"},
		{"no such task", r("{{ outputs.one }}", "{{ outputs['nope'] }}"), "outputs-ref", "no task \"nope\""},
		{"itself", r("{{ outputs.one }}", "{{ outputs.check.x }}"), "outputs-ref", "itself"},
		{"loop condition on a later task", r("errors:\n", strings.Replace(loop, "outputs.step.vars.last", "outputs.rollback", 1)+"errors:\n"), "outputs-ref", "not run yet"},
		{"outputs in trigger", r("{dry_run: true}", "{dry_run: \"{{ outputs.stage }}\"}"), "outputs-ref", "no task outputs exist here"},
		{"undeclared input", r("{{ outputs.one }}", "{{ inputs.nope }}"), "inputs-ref", "inputs.nope"},
		{"undeclared var", r("{{ vars.owner }}", "{{ vars.nope }}"), "vars-ref", "vars.nope"},
		{"json filter", r("{{ outputs.one }}", "{{ trigger.body | json }}"), "portable", "toJson"},
		{"json function", r("{{ outputs.one }}", "{{ json(trigger.body) }}"), "portable", "fromJson"},
		{"taskrun.value", r("{{ outputs.one }}", "{{ taskrun.value }}"), "portable", "ForEach"},
		{"no tag", r("y:1.0", "y"), "image", "not pinned"},
		{"latest", r("y:1.0", "y:latest"), "image", "not pinned"},
		{"registry port", r("ghcr.io/x/y:1.0", "reg:5000/y"), "image", "not pinned"},
		{"image expression", r("ghcr.io/x/y:1.0", "\"{{ vars.owner }}\""), "image", "expression"},
		{"no image", r("    containerImage: ghcr.io/x/y:1.0\n", ""), "image", "ubuntu"},
		{"secret in commands", r("      - stage", "      - echo {{ secret('X') }}\n      - stage"), "commands-secret", "env"},
		{"input in commands", r("      - stage", "      - echo \"{{ inputs.secret }}\"\n      - stage"), "commands-input", "inject"},
		{"trigger in commands", r("      - stage", "      - echo {{ trigger.body.secret }}\n      - stage"), "commands-input", "inject"},
		{"secret outside env", r(stage, stage+"    inputFiles: {a: \"{{ secret('X') }}\"}\n"), "secret-env", "env"},
		{"runner type", r("runner.docker.Docker}", "runner.kubernetes.Kubernetes}"), "type", "taskRunner"},
		{"runner typo", r("runner.docker.Docker}", "runner.docker.Docker, pullpolicy: NEVER}"), "property", "pullPolicy"},
		{"no concurrency", r("concurrency: {limit: 1, behavior: QUEUE}\n", ""), "concurrency", "limit: 1"},
		{"concurrency limit", r("limit: 1", "limit: 0"), "concurrency", ">= 1"},
		{"concurrency FAIL", r("behavior: QUEUE", "behavior: FAIL"), "concurrency", "use QUEUE"},
		{"concurrency CANCEL", r("behavior: QUEUE", "behavior: CANCEL"), "concurrency", "use QUEUE"},
		{"no timeout", r("    timeout: PT5M\n", ""), "timeout", "concurrency slot"},
		{"outputFiles as uid 10001", r(stage, stage+"    outputFiles: [report.csv]\n"), "runner", "user: root"},
		{"BOOLEAN", r("type: BOOL,", "type: BOOLEAN,"), "portable", "BOOL"},
		{"input type", r("type: BOOL,", "type: BOOLEANS,"), "input", "unknown type"},
		{"input id", r("{id: mode,", "{id: -mode,"), "id", "input id"},
		{"select default", r("defaults: single}", "defaults: triple}"), "input", "not one of"},
		{"validator default", r("\"vault://a/b\"", "\"awssm://a\""), "input", "validator"},
		{"bool default", r("defaults: false}", "defaults: \"no\"}"), "input", "not a boolean"},
		{"system label", r("{team: secops}", "{system.readOnly: \"true\"}"), "label", "system."},
	}
	for _, tc := range tests {
		name := "base.yaml"
		if tc.rule == "reserved-id" {
			name = "pause.yaml"
		}
		if !has(Lint(name, []byte(tc.src)), tc.rule, tc.want) {
			t.Errorf("%s: want a %s finding containing %q, got:\n%s", tc.name, tc.rule, tc.want, dump(Lint(name, []byte(tc.src))))
		}
	}
}

func TestReservedID(t *testing.T) {
	src := strings.Replace(base, "id: base", "id: pause", 1)
	if fs := Lint("flows/pause.yaml", []byte(src)); !has(fs, "reserved-id", "pause") || has(fs, "file-name", "") {
		t.Errorf("want only a reserved-id finding:\n%s", dump(fs))
	}
}

// TestSubflowCalls checks LintDir matches Subflow tasks with the inputs of
// the flows they call.
func TestSubflowCalls(t *testing.T) {
	dir := t.TempDir()
	child := "id: child\nnamespace: a.b\ninputs:\n  - {id: secret, type: STRING}\n  - {id: mode, type: STRING, defaults: x}\n" +
		"tasks:\n  - {id: log, type: io.kestra.plugin.core.log.Log, message: hi}\n"
	parent := "id: parent\nnamespace: a.b\ntasks:\n  - id: call\n    type: io.kestra.plugin.core.flow.Subflow\n" +
		"    namespace: a.b\n    flowId: child\n    inputs: {mode: y, nope: z}\n"
	for name, src := range map[string]string{"child.yaml": child, "parent.yaml": parent} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	fs, err := LintDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 2 || !has(fs, "subflow", `no input "nope"`) || !has(fs, "subflow", `requires input "secret"`) {
		t.Errorf("want two subflow findings:\n%s", dump(fs))
	}
}

func has(fs []Finding, rule, want string) bool {
	for _, f := range fs {
		if f.Rule == rule && strings.Contains(f.Msg, want) {
			return true
		}
	}
	return false
}

func dump(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString("  " + f.String() + "\n")
	}
	return b.String()
}

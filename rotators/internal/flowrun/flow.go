// Package flowrun runs a Kestra flow of the pack locally, the way Kestra
// would, for tests and the demo. It is a test tool for the pack's own flows,
// not a Kestra replacement: it knows only what those flows use, and Kestra
// (with kestra-check/ for its parser) remains the authority.
//
// The flow's Commands tasks run in order as `/bin/sh -c "set -e\n<commands>"`
// with their rendered env, their ::{...}:: lines become outputs, and a failed
// task runs the errors: branch. A Subflow task (wait and transmitFailed true)
// runs the called flow as a child execution, found through Runner.Flows, and
// takes its state.
//
// Kestra's own engine is the authority on how a flow behaves:
// rotators/internal/kestraengine runs every flow in Kestra 1.3.19's executor and
// worker (a few also under the Docker task runner and in 2.0.0), the entry
// points through Kestra's own trigger code, and its verdict wins where the
// two differ. flowrun keeps only what that suite cannot do here: faults
// injected between tasks (BeforeTask: a password changed or a key deleted
// behind the flow's back before validate, a replica stopped mid fan-out),
// dry runs and strategies of every flow, and checks of intermediate stages
// (AWSPENDING left, a version's expiry) that the engine tests do not make.
// The tests the engine suite covers whole (the webhook, the Pub/Sub event,
// the IAM key rotation) are gone from here.
//
// It is deliberately small and strict. It understands the Pebble expressions
// the pack's flows use, and rejects every other expression, task type and
// property, so that it can never silently do something different from
// Kestra (pebble.go has the grammar):
//
//	{{ inputs.X }}  {{ execution.id }}  {{ secret('NAME') }}  {{ envs.x }}
//	{{ outputs.TASK.vars.KEY }}  {{ trigger.X.Y }}  (from Runner.Trigger)
//	'literal'  a ~ b  a == b  (cond ? a : b)  ( ... )
//	x | replace({'from': 'to', ...})  x | jq('.a.b') | first
//
// Unlike Kestra it masks nothing: secret() values that a task prints stay
// in the logs, so tests see every leak.
package flowrun

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// CommandsType is the task type flowrun runs (besides Subflow).
const CommandsType = "io.kestra.plugin.scripts.shell.Commands"

// LabelsType labels the execution in Kestra; flowrun passes over it.
const LabelsType = "io.kestra.plugin.core.execution.Labels"

// OutputValuesType records values as task outputs in Kestra; flowrun passes
// over it (rotate-secret's reads errorLogs(), which only Kestra's worker has).
const OutputValuesType = "io.kestra.plugin.core.output.OutputValues"

// Flow is the part of a Kestra flow that flowrun reads. Unknown properties
// are rejected when it is parsed.
type Flow struct {
	ID          string            `yaml:"id"`
	Namespace   string            `yaml:"namespace"`
	Description string            `yaml:"description"`
	Labels      map[string]string `yaml:"labels"`
	Inputs      []Input           `yaml:"inputs"`
	Concurrency *Concurrency      `yaml:"concurrency"`
	Tasks       []Task            `yaml:"tasks"`
	Errors      []Task            `yaml:"errors"`
	Triggers    []map[string]any  `yaml:"triggers"` // not run by flowrun
	Outputs     []map[string]any  `yaml:"outputs"`  // flow outputs: not evaluated by flowrun
}

// Input is a flow input.
type Input struct {
	ID          string   `yaml:"id"`
	Type        string   `yaml:"type"`
	Description string   `yaml:"description"`
	Defaults    any      `yaml:"defaults"`
	Required    *bool    `yaml:"required"`
	Values      []string `yaml:"values"`
	Validator   string   `yaml:"validator"`
}

// Concurrency is the flow's concurrency limit.
type Concurrency struct {
	Limit    int    `yaml:"limit"`
	Behavior string `yaml:"behavior"`
}

// Task is a Commands task or a Subflow task.
type Task struct {
	ID             string            `yaml:"id"`
	Type           string            `yaml:"type"`
	Description    string            `yaml:"description"`
	ContainerImage string            `yaml:"containerImage"`
	TaskRunner     map[string]any    `yaml:"taskRunner"`
	Env            map[string]string `yaml:"env"`
	Commands       []string          `yaml:"commands"`
	Retry          *Retry            `yaml:"retry"`
	Timeout        string            `yaml:"timeout"`
	OutputFiles    []string          `yaml:"outputFiles"` // globs, kept after the task (TaskRun.OutputFiles)

	// Labels task (io.kestra.plugin.core.execution.Labels): a no-op here.
	Labels map[string]string `yaml:"labels"`

	// OutputValues task: a no-op here.
	Values       map[string]string `yaml:"values"`
	AllowFailure bool              `yaml:"allowFailure"`

	// Subflow properties.
	Namespace      string            `yaml:"namespace"`
	FlowID         string            `yaml:"flowId"`
	SubflowInputs  map[string]string `yaml:"inputs"`
	Wait           *bool             `yaml:"wait"`
	TransmitFailed *bool             `yaml:"transmitFailed"`
}

// Retry is a task retry policy; flowrun supports type constant.
type Retry struct {
	Type       string `yaml:"type"`
	Interval   string `yaml:"interval"`
	MaxAttempt int    `yaml:"maxAttempts"`
}

var (
	flowIDPattern    = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._-]*$`)
	namespacePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)
	taskIDPattern    = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_-]*$`)
)

// Load reads and parses a flow file; the flow id must equal the file name.
func Load(path string) (*Flow, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if want := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)); f.ID != want {
		return nil, fmt.Errorf("%s: flow id %q is not the file name %q", path, f.ID, want)
	}
	return f, nil
}

// Parse parses one YAML document strictly (unknown properties and duplicate
// keys are errors) and checks the flow's structure and expressions.
func Parse(b []byte) (*Flow, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var f Flow
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("parse flow: %w", err)
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("parse flow: want exactly one YAML document")
	}
	if err := f.check(); err != nil {
		return nil, err
	}
	return &f, nil
}

func (f *Flow) check() error {
	if !flowIDPattern.MatchString(f.ID) || len(f.ID) > 100 {
		return fmt.Errorf("flow id %q is invalid", f.ID)
	}
	if !namespacePattern.MatchString(f.Namespace) {
		return fmt.Errorf("namespace %q is invalid", f.Namespace)
	}
	if len(f.Tasks) == 0 {
		return errors.New("flow has no tasks")
	}
	for _, in := range f.Inputs {
		if err := in.check(); err != nil {
			return err
		}
	}
	seen := map[string]bool{}
	for _, t := range append(append([]Task{}, f.Tasks...), f.Errors...) {
		if !taskIDPattern.MatchString(t.ID) || seen[t.ID] {
			return fmt.Errorf("task id %q is invalid or not unique", t.ID)
		}
		seen[t.ID] = true
		if err := t.check(); err != nil {
			return fmt.Errorf("task %s: %w", t.ID, err)
		}
	}
	return nil
}

func (in Input) check() error {
	switch in.Type {
	case "STRING", "SELECT", "BOOL":
	default:
		return fmt.Errorf("input %s: type %q is not supported by flowrun", in.ID, in.Type)
	}
	if in.Validator != "" {
		if _, err := regexp.Compile(in.Validator); err != nil {
			return fmt.Errorf("input %s: validator: %w", in.ID, err)
		}
	}
	return nil
}

// check validates a task's properties; Commands tasks also have every
// expression checked, since they are the tasks flowrun renders.
func (t Task) check() error {
	switch t.Type {
	case CommandsType:
		if t.Namespace != "" || t.FlowID != "" || t.SubflowInputs != nil || t.Wait != nil || t.TransmitFailed != nil {
			return errors.New("a Commands task has Subflow properties")
		}
		if len(t.Commands) == 0 {
			return errors.New("no commands")
		}
		if t.Retry != nil && (t.Retry.Type != "constant" || t.Retry.MaxAttempt < 1) {
			return errors.New("flowrun supports retry type constant with maxAttempts >= 1 only")
		}
		if t.Timeout != "" {
			if _, err := isoDuration(t.Timeout); err != nil {
				return fmt.Errorf("timeout: %w", err)
			}
		}
		for _, g := range t.OutputFiles {
			if _, err := filepath.Match(g, ""); err != nil || strings.Contains(g, "{{") || filepath.IsAbs(g) {
				return fmt.Errorf("outputFiles %q: flowrun keeps relative globs without expressions only", g)
			}
		}
		for _, s := range t.texts() {
			if err := CheckExpressions(s); err != nil {
				return err
			}
		}
		return nil
	case SubflowType:
		return t.checkSubflow()
	case LabelsType:
		if len(t.Labels) == 0 || t.Commands != nil || t.FlowID != "" {
			return errors.New("a Labels task has labels only")
		}
		return nil
	case OutputValuesType:
		if len(t.Values) == 0 || t.Commands != nil || t.FlowID != "" {
			return errors.New("an OutputValues task has values only")
		}
		return nil
	}
	return fmt.Errorf("task type %q is not supported by flowrun", t.Type)
}

// texts returns the strings Kestra renders for a Commands task.
func (t Task) texts() []string {
	out := append([]string{}, t.Commands...)
	for _, v := range t.Env {
		out = append(out, v)
	}
	return out
}

// Task returns the task with the given id from tasks or errors.
func (f *Flow) Task(id string) (Task, bool) {
	for _, t := range append(append([]Task{}, f.Tasks...), f.Errors...) {
		if t.ID == id {
			return t, true
		}
	}
	return Task{}, false
}

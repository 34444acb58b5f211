package flowrun

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// SubflowType is the task type that runs another flow of the pack.
const SubflowType = "io.kestra.plugin.core.flow.Subflow"

// maxSubflowDepth stops a flow that calls itself, as Kestra's own
// recursion check would.
const maxSubflowDepth = 5

// FlowsIn returns a Runner.Flows that finds flows among the .yaml files of
// dir, by namespace and id, the way Kestra finds a Subflow task's flow.
func FlowsIn(dir string) func(namespace, id string) (*Flow, error) {
	return func(namespace, id string) (*Flow, error) {
		paths, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
		if err != nil {
			return nil, err
		}
		for _, p := range paths {
			if strings.TrimSuffix(filepath.Base(p), ".yaml") != id {
				continue
			}
			f, err := Load(p)
			if err != nil {
				return nil, err
			}
			if f.Namespace == namespace {
				return f, nil
			}
		}
		return nil, fmt.Errorf("flow %s.%s: %w", namespace, id, os.ErrNotExist)
	}
}

// checkSubflow validates a Subflow task: flowrun runs it the way Kestra
// does with wait and transmitFailed true (their defaults), and refuses the
// other modes rather than run them differently.
func (t Task) checkSubflow() error {
	if t.ContainerImage != "" || t.TaskRunner != nil || t.Env != nil || t.Commands != nil {
		return fmt.Errorf("a Subflow task has Commands properties")
	}
	if t.Namespace == "" || t.FlowID == "" {
		return fmt.Errorf("a Subflow task needs namespace and flowId")
	}
	if (t.Wait != nil && !*t.Wait) || (t.TransmitFailed != nil && !*t.TransmitFailed) {
		return fmt.Errorf("flowrun runs Subflow tasks with wait: true and transmitFailed: true only")
	}
	if t.Retry != nil || t.Timeout != "" {
		return fmt.Errorf("flowrun does not support retry or timeout on a Subflow task")
	}
	for _, k := range slices.Sorted(maps.Keys(t.SubflowInputs)) {
		if err := CheckExpressions(t.SubflowInputs[k]); err != nil {
			return fmt.Errorf("input %s: %w", k, err)
		}
	}
	return nil
}

// runSubflow runs the called flow as a child execution with its own id and
// the rendered inputs, and waits for it: the task's state is the child's
// (transmitFailed). Invalid inputs fail the task without a child, as in
// Kestra, where no execution is created.
func (r *Runner) runSubflow(ctx context.Context, t Task, rc Context, tr *TaskRun) {
	if r.depth >= maxSubflowDepth {
		tr.fail("subflow depth %d reached", maxSubflowDepth)
		return
	}
	if r.Flows == nil {
		tr.fail("Runner.Flows is not set: cannot find flow %s.%s", t.Namespace, t.FlowID)
		return
	}
	child, err := r.Flows(t.Namespace, t.FlowID)
	if err != nil {
		tr.fail("%v", err)
		return
	}
	inputs := map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(t.SubflowInputs)) {
		v, err := rc.Render(t.SubflowInputs[k])
		if err != nil {
			tr.fail("rendering input %s failed: %v", k, err)
			return
		}
		inputs[k] = v
	}
	cr := *r
	cr.depth, cr.ExecutionID, cr.Trigger = r.depth+1, "", nil
	e, err := cr.Run(ctx, child, inputs)
	if err != nil {
		tr.fail("subflow %s.%s: no execution created: %v", t.Namespace, t.FlowID, err)
		return
	}
	tr.Subflow, tr.Attempts = e, 1
	tr.Logs = append(tr.Logs, LogLine{Level: "INFO", Message: fmt.Sprintf("flowrun: subflow execution %s of %s.%s ended %s", e.ID, t.Namespace, t.FlowID, e.State)})
	if e.State == Success {
		tr.State, tr.ExitCode = Success, 0
		return
	}
	tr.ExitCode = 1
}

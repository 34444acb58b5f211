package flowrun

import (
	"context"
	"crypto/rand"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// State is an execution or task run state, named as in Kestra.
type State string

// States.
const (
	Success State = "SUCCESS"
	Failed  State = "FAILED"
)

// Execution is one run of a flow.
type Execution struct {
	ID        string
	Namespace string
	FlowID    string
	Inputs    map[string]string // after defaults
	State     State
	TaskRuns  []*TaskRun // in the order they ran, errors tasks last
}

// TaskRun is what one task did.
type TaskRun struct {
	TaskID   string
	Errors   bool // ran in the errors: branch
	State    State
	ExitCode int // of the last attempt; -1 when the script never ran or was killed
	Attempts int
	Script   string   // the rendered script given to /bin/sh -c
	EnvNames []string // names of the rendered env; values are not kept
	Logs     []LogLine
	Outputs  map[string]any // the task's vars
	Metrics  []Metric
	Duration time.Duration
	// Subflow is the child execution of a Subflow task, nil otherwise.
	Subflow *Execution
	// OutputFiles are the files the task's outputFiles globs matched in its
	// last attempt, by path relative to its working directory.
	OutputFiles map[string][]byte
}

// TaskRun returns the run of a task, or nil if it did not run.
func (e *Execution) TaskRun(id string) *TaskRun {
	for _, tr := range e.TaskRuns {
		if tr.TaskID == id {
			return tr
		}
	}
	return nil
}

// Runner runs flows locally.
type Runner struct {
	// BinDir holds the pack's binaries; it is first on the tasks' PATH, as
	// /usr/local/bin is in the image.
	BinDir string
	// Secrets are what secret('NAME') returns, by name (see Context).
	Secrets map[string]string
	// Envs are what {{ envs.name }} returns: settings that are not secret
	// (VAULT_ADDR, AWS_REGION), by upper-cased name (see Context).
	Envs map[string]string
	// ExecutionID is the execution id to use; a random Kestra-like id if empty.
	ExecutionID string
	// BeforeTask, if set, is called before each task (errors tasks included).
	BeforeTask func(taskID string)
	// AfterTask, if set, is called with each finished task run.
	AfterTask func(*TaskRun)
	// Sleep waits between retry attempts; time.Sleep if nil.
	Sleep func(time.Duration)
	// TaskTimeout kills an attempt that runs longer: the task's own timeout
	// when it is shorter, else 5 minutes if zero.
	TaskTimeout time.Duration
	// WorkerEnv (KEY=VALUE) is added to every task's environment before its
	// own env:, as a worker's task runner could add it. Tests use it for
	// endpoints only (AWS_ENDPOINT_URL of moto), never for flow logic.
	WorkerEnv []string
	// Flows finds the flow a Subflow task calls (see FlowsIn); without it
	// Subflow tasks fail.
	Flows func(namespace, id string) (*Flow, error)
	// Trigger is what the flow's trigger received, for {{ trigger.X }}
	// (a Webhook's body under "body"); subflows get none.
	Trigger map[string]any

	depth int // of subflow calls
}

// Run runs flow f with inputs. An error means no execution was created
// (invalid inputs); a task failure is an execution in state FAILED.
func (r *Runner) Run(ctx context.Context, f *Flow, inputs map[string]string) (*Execution, error) {
	in, err := resolveInputs(f, inputs)
	if err != nil {
		return nil, err
	}
	e := &Execution{ID: r.ExecutionID, Namespace: f.Namespace, FlowID: f.ID, Inputs: in, State: Success}
	if e.ID == "" {
		e.ID = NewExecutionID()
	}
	rc := Context{Inputs: in, ExecutionID: e.ID, Secrets: upperKeys(r.Secrets), Envs: upperKeys(r.Envs), Outputs: map[string]map[string]any{}, Trigger: r.Trigger}
	if !r.runTasks(ctx, f.Tasks, false, rc, e) {
		e.State = Failed
		r.runTasks(ctx, f.Errors, true, rc, e)
	}
	return e, nil
}

// runTasks runs tasks in order until one fails; it reports whether all succeeded.
func (r *Runner) runTasks(ctx context.Context, tasks []Task, errorsBranch bool, rc Context, e *Execution) bool {
	for _, t := range tasks {
		if r.BeforeTask != nil {
			r.BeforeTask(t.ID)
		}
		tr := r.runTask(ctx, t, rc)
		tr.Errors = errorsBranch
		e.TaskRuns = append(e.TaskRuns, tr)
		if tr.State == Success {
			rc.Outputs[t.ID] = tr.Outputs
		}
		if r.AfterTask != nil {
			r.AfterTask(tr)
		}
		if tr.State != Success {
			return false
		}
	}
	return true
}

// runTask renders and runs one task, with its retry policy.
func (r *Runner) runTask(ctx context.Context, t Task, rc Context) *TaskRun {
	start := time.Now()
	tr := &TaskRun{TaskID: t.ID, State: Failed, ExitCode: -1, Outputs: map[string]any{}}
	defer func() { tr.Duration = time.Since(start) }()
	switch t.Type {
	case SubflowType:
		r.runSubflow(ctx, t, rc, tr)
		return tr
	case LabelsType, OutputValuesType:
		tr.State, tr.ExitCode = Success, 0
		return tr
	case CommandsType:
	default:
		tr.fail("flowrun runs only %s and %s tasks, not %s", CommandsType, SubflowType, t.Type)
		return tr
	}
	script, env, err := r.render(t, rc)
	if err != nil {
		tr.fail("rendering failed: %v", err)
		return tr
	}
	tr.Script = script
	tr.EnvNames = slices.Sorted(maps.Keys(t.Env))
	attempts, interval, err := retryPolicy(t.Retry)
	if err != nil {
		tr.fail("%v", err)
		return tr
	}
	timeout := r.timeout()
	if t.Timeout != "" {
		// Kestra kills the task run after its timeout; a shorter
		// Runner.TaskTimeout still wins (tests of hung tasks).
		d, err := isoDuration(t.Timeout)
		if err != nil {
			tr.fail("timeout: %v", err)
			return tr
		}
		if r.TaskTimeout == 0 || d < r.TaskTimeout {
			timeout = d
		}
	}
	for tr.Attempts < attempts {
		if tr.Attempts > 0 {
			tr.Logs = append(tr.Logs, LogLine{Level: "WARN", Message: fmt.Sprintf("flowrun: retrying in %s (attempt %d of %d)", interval, tr.Attempts+1, attempts)})
			r.sleep(interval)
		}
		tr.Attempts++
		a, err := runScript(ctx, script, append(slices.Clone(r.WorkerEnv), env...), timeout, t.OutputFiles)
		if err != nil {
			tr.fail("%v", err)
			return tr
		}
		tr.ExitCode, tr.Outputs, tr.Metrics, tr.OutputFiles = a.exitCode, a.outputs, a.metrics, a.files
		tr.Logs = append(tr.Logs, a.logs...)
		if a.exitCode == 0 {
			tr.State = Success
			return tr
		}
	}
	return tr
}

// render builds the script (failFast: set -e first) and the environment.
func (r *Runner) render(t Task, rc Context) (string, []string, error) {
	cmds := make([]string, len(t.Commands))
	for i, c := range t.Commands {
		s, err := rc.Render(c)
		if err != nil {
			return "", nil, fmt.Errorf("commands[%d]: %w", i, err)
		}
		cmds[i] = s
	}
	env := []string{"PATH=" + r.BinDir + ":/usr/local/bin:/usr/bin:/bin"}
	for _, k := range slices.Sorted(maps.Keys(t.Env)) {
		v, err := rc.Render(t.Env[k])
		if err != nil {
			return "", nil, fmt.Errorf("env %s: %w", k, err)
		}
		env = append(env, k+"="+v)
	}
	return "set -e\n" + strings.Join(cmds, "\n"), env, nil
}

func retryPolicy(rt *Retry) (int, time.Duration, error) {
	if rt == nil {
		return 1, 0, nil
	}
	d, err := isoDuration(rt.Interval)
	if err != nil {
		return 0, 0, fmt.Errorf("retry interval: %w", err)
	}
	return rt.MaxAttempt, d, nil
}

func (tr *TaskRun) fail(format string, args ...any) {
	tr.Logs = append(tr.Logs, LogLine{Level: "ERROR", Message: "flowrun: " + fmt.Sprintf(format, args...)})
}

func (r *Runner) sleep(d time.Duration) {
	if r.Sleep != nil {
		r.Sleep(d)
		return
	}
	time.Sleep(d)
}

func (r *Runner) timeout() time.Duration {
	if r.TaskTimeout > 0 {
		return r.TaskTimeout
	}
	return 5 * time.Minute
}

func upperKeys(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[strings.ToUpper(k)] = v
	}
	return out
}

// NewExecutionID returns a 22-character base62 id, the shape of Kestra's.
func NewExecutionID() string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	b := make([]byte, 22)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

package flowrun

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// WriteLog prints the execution as a readable log: a header, then each task
// with its log lines and outputs, then the final state. It prints what the
// tasks printed and the inputs, which hold references, never values.
func (e *Execution) WriteLog(w io.Writer) {
	e.WriteHeader(w)
	for _, tr := range e.TaskRuns {
		tr.WriteLog(w)
	}
	e.WriteFooter(w)
}

// WriteHeader prints the execution id, the flow and the inputs.
func (e *Execution) WriteHeader(w io.Writer) {
	fmt.Fprintf(w, "execution %s of flow %s.%s\n", e.ID, e.Namespace, e.FlowID)
	for _, k := range slices.Sorted(maps.Keys(e.Inputs)) {
		fmt.Fprintf(w, "  input %s = %s\n", k, e.Inputs[k])
	}
}

// WriteFooter prints the final state and a one-line summary per task.
func (e *Execution) WriteFooter(w io.Writer) {
	var parts []string
	for _, tr := range e.TaskRuns {
		parts = append(parts, fmt.Sprintf("%s=%d", tr.TaskID, tr.ExitCode))
	}
	fmt.Fprintf(w, "execution %s: %s (exit codes: %s)\n", e.ID, e.State, strings.Join(parts, " "))
}

// WriteLog prints one task run: a header line, its log lines, its outputs.
func (tr *TaskRun) WriteLog(w io.Writer) {
	branch := ""
	if tr.Errors {
		branch = " [errors branch]"
	}
	attempts := ""
	if tr.Attempts > 1 {
		attempts = fmt.Sprintf(", %d attempts", tr.Attempts)
	}
	fmt.Fprintf(w, "\n── task %s%s: %s, exit %d%s, %s\n", tr.TaskID, branch, tr.State, tr.ExitCode, attempts, tr.Duration.Round(time.Millisecond))
	for _, l := range tr.Logs {
		fmt.Fprintf(w, "   %-5s %s\n", l.Level, l.Message)
	}
	if len(tr.Outputs) > 0 {
		var kv []string
		for _, k := range slices.Sorted(maps.Keys(tr.Outputs)) {
			v, err := scalar(tr.Outputs[k])
			if err != nil {
				v = fmt.Sprint(tr.Outputs[k])
			}
			kv = append(kv, k+"="+v)
		}
		fmt.Fprintf(w, "   outputs: %s\n", strings.Join(kv, " "))
	}
	if tr.Subflow != nil {
		var b strings.Builder
		tr.Subflow.WriteLog(&b)
		for _, line := range strings.Split(strings.TrimRight(b.String(), "\n"), "\n") {
			fmt.Fprintf(w, "   | %s\n", line)
		}
	}
}

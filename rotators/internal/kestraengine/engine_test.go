package kestraengine

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// engine is one JVM running Kestra's executor and worker in process; run
// sends it one execution request at a time.
type engine struct {
	runner  string // Process or Docker, for the table rows
	version string // Kestra's
	mu      sync.Mutex
	cmd     *exec.Cmd
	in      io.WriteCloser
	out     *bufio.Scanner
	stderr  *os.File
	// stderrTail is the end of the JVM's stderr, read by stop.
	stderrTail string
	hosts      string // the JVM's hosts file, removed by stop; "" when none
}

// execution is what the engine prints for one execution.
type execution struct {
	ID       string         `json:"id"`
	State    string         `json:"state"`
	Inputs   map[string]any `json:"inputs"`
	TaskRuns []taskRun      `json:"taskRuns"`
	Logs     []logLine      `json:"logs"`
	Error    string         `json:"error"`
	Labels   []label        `json:"labels"`
	// DurationMs is Kestra's own start-to-end time of the execution.
	DurationMs int64 `json:"durationMs"`
	Took       time.Duration
	Runner     string // the task runner it ran under: Process or Docker
	Version    string // Kestra's version
}

type label struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

type taskRun struct {
	TaskID   string `json:"taskId"`
	State    string `json:"state"`
	Attempts int    `json:"attempts"`
	// DurationMs is Kestra's start-to-end time of the task run.
	DurationMs int64          `json:"durationMs"`
	Outputs    map[string]any `json:"outputs"`
	// Child is the execution a Subflow task started.
	Child *execution `json:"child"`
}

type logLine struct {
	TaskID  string `json:"taskId"`
	Level   string `json:"level"`
	Message string `json:"message"`
}

func (e *execution) task(id string) *taskRun {
	for i := range e.TaskRuns {
		if e.TaskRuns[i].TaskID == id {
			return &e.TaskRuns[i]
		}
	}
	return nil
}

// check logs the execution as a row of the flow x engine x runner x
// result x time table and fails t unless it ended in state with each of
// tasks in its state.
func (e *execution) check(t *testing.T, row, state string, tasks map[string]string) {
	t.Helper()
	e.row(t, row)
	if e.State != state {
		t.Fatalf("got state %s, want %s\n%s", e.State, state, e)
	}
	for id, want := range tasks {
		if tr := e.task(id); tr == nil || tr.State != want {
			t.Errorf("task %s: got %v, want %s\n%s", id, tr, want, e)
		}
	}
}

// logged reports whether task logged a line containing text.
func (e *execution) logged(task, text string) bool {
	for _, l := range e.Logs {
		if l.TaskID == task && strings.Contains(l.Message, text) {
			return true
		}
	}
	return false
}

func (e *execution) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "execution %s %s %s\n", e.ID, e.State, e.Error)
	for _, tr := range e.TaskRuns {
		fmt.Fprintf(&b, "  task %s %s attempts=%d outputs=%v\n", tr.TaskID, tr.State, tr.Attempts, tr.Outputs)
		if tr.Child != nil {
			fmt.Fprintf(&b, "  child of %s: %s", tr.TaskID, tr.Child)
		}
	}
	for _, l := range e.Logs {
		fmt.Fprintf(&b, "  log %s %s %s\n", l.TaskID, l.Level, l.Message)
	}
	return b.String()
}

// engineOpts choose the engine: Kestra's version, the task runner, and a
// Kestra configuration file added to the engine's own ("" for none).
type engineOpts struct {
	version string
	docker  bool // the flows as written (Docker runner); else Kestra's Process runner in its place
	config  string
}

// startEngine builds kestra-check if needed and starts its Engine. secrets
// become SECRET_<NAME> (base64) and settings ENV_<NAME>, as on a Kestra OSS
// server; the pack's binaries are first on the PATH the Process runner's
// commands inherit.
func startEngine(root, binDir string, o engineOpts, secrets, settings map[string]string, extraEnv []string) (*engine, error) {
	version := o.version
	out, err := exec.Command("bash", filepath.Join(root, "kestra-check", "run.sh"), "--java", version).Output()
	if err != nil {
		return nil, fmt.Errorf("kestra-check/run.sh --java %s: %w", version, err)
	}
	lines := strings.SplitN(strings.TrimSpace(string(out)), "\n", 2)
	if len(lines) != 2 {
		return nil, fmt.Errorf("kestra-check/run.sh --java: unexpected output")
	}
	hosts := ""
	args, runner := []string{"-XX:TieredStopAtLevel=1", "-cp", lines[1], "io.github.kestrarotation.kestracheck.Engine", "--process"}, "Process"
	if version == "1.3.19" {
		// server type WORKER, as Kestra's own test of errorLogs() sets it: Pebble's
		// errorLogs() (rotate-secret's errors branch) works only on a worker. 2.0.0's
		// in-process engine does not start as WORKER (a JDBC queue bean is missing)
		args = append([]string{"-Dkestra.server-type=WORKER"}, args...)
		// A worker names itself by InetAddress.getLocalHost(), which fails on a
		// machine whose hostname no hosts file or DNS names (a fresh root, a
		// bare container): the JVM gets a hosts file of its own naming it.
		if hosts, err = hostsFile(); err != nil {
			return nil, err
		}
		args = append([]string{"-Djdk.net.hosts.file=" + hosts}, args...)
	}
	if o.docker {
		args, runner = args[:len(args)-1], "Docker"
	}
	if o.config != "" {
		// Micronaut reads its configuration files, then this one over them
		args = append([]string{"-Dmicronaut.config.files=" + o.config}, args...)
	}
	cmd := exec.Command(lines[0], args...)
	cmd.Dir = root
	env := []string{"PATH=" + binDir + ":" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "TMPDIR=" + os.TempDir()}
	for k, v := range secrets {
		env = append(env, "SECRET_"+k+"="+base64.StdEncoding.EncodeToString([]byte(v)))
	}
	for k, v := range settings {
		env = append(env, "ENV_"+k+"="+v)
	}
	cmd.Env = append(env, extraEnv...)
	stderr, err := os.CreateTemp("", "kestraengine-*.stderr")
	if err != nil {
		return nil, err
	}
	cmd.Stderr = stderr
	e := &engine{cmd: cmd, stderr: stderr, runner: runner, version: version, hosts: hosts}
	if e.in, err = cmd.StdinPipe(); err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	e.out = bufio.NewScanner(stdout)
	e.out.Buffer(make([]byte, 1<<20), 64<<20)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	var ready struct{ Ready bool }
	if err := e.next(&ready); err != nil || !ready.Ready {
		e.stop() // removes the stderr file: its end goes into the error
		return nil, fmt.Errorf("engine did not start: %v; the end of its stderr:\n%s", err, e.stderrTail)
	}
	return e, nil
}

// hostsFile writes the hosts file an engine's JVM resolves names with:
// localhost and this machine's hostname on loopback, the only names the
// engine needs (the servers are on 127.0.0.1).
func hostsFile() (string, error) {
	name, err := os.Hostname()
	if err != nil {
		return "", fmt.Errorf("hostname: %w", err)
	}
	f, err := os.CreateTemp("", "kestraengine-*.hosts")
	if err != nil {
		return "", err
	}
	_, err = f.WriteString("127.0.0.1 localhost " + name + "\n::1 localhost\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return f.Name(), err
}

// next reads the engine's next @@engine line into v, skipping Kestra's own
// log output.
func (e *engine) next(v any) error {
	for e.out.Scan() {
		if rest, ok := strings.CutPrefix(e.out.Text(), "@@engine "); ok {
			return json.Unmarshal([]byte(rest), v)
		}
	}
	if err := e.out.Err(); err != nil {
		return err
	}
	return io.EOF
}

// run runs flow (a file under the module root) with inputs, after saving
// the flows it calls (with), and returns the finished execution.
func (e *engine) run(t *testing.T, flow string, with []string, inputs map[string]string) *execution {
	t.Helper()
	return e.send(t, map[string]any{"flow": flow, "with": with, "inputs": inputs})
}

// fire starts flow's realtime trigger triggerID with output, the trigger's
// output for one message (kestra-check's Realtime), and returns the
// execution once finished.
func (e *engine) fire(t *testing.T, flow string, with []string, triggerID string, output map[string]any) *execution {
	t.Helper()
	return e.send(t, map[string]any{"flow": flow, "with": with, "realtime": map[string]any{"trigger": triggerID, "output": output}})
}

// call calls the webhook of flow whose key is key with a JSON body, the
// way Kestra's webhook controller hands a call to the trigger (kestra-check's
// Webhooks), and returns the execution it started, once finished.
func (e *engine) call(t *testing.T, flow string, with []string, key, body string) *execution {
	t.Helper()
	return e.send(t, map[string]any{"flow": flow, "with": with, "webhook": map[string]string{"key": key, "body": body}})
}

func (e *engine) send(t *testing.T, r map[string]any) *execution {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	req, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := fmt.Fprintf(e.in, "%s\n", req); err != nil {
		t.Fatalf("engine: %v (stderr in %s)", err, e.stderr.Name())
	}
	var x execution
	if err := e.next(&x); err != nil {
		t.Fatalf("engine: %v (stderr in %s)", err, e.stderr.Name())
	}
	x.Took, x.Runner, x.Version = time.Since(start), e.runner, e.version
	if x.Error != "" {
		t.Fatalf("engine: %s", x.Error)
	}
	return &x
}

func (e *engine) stop() {
	if e.in != nil {
		e.in.Close()
	}
	done := make(chan struct{})
	go func() { e.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		e.cmd.Process.Kill()
		<-done
	}
	e.stderr.Close()
	if b, err := os.ReadFile(e.stderr.Name()); err == nil {
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		e.stderrTail = strings.Join(lines[max(0, len(lines)-20):], "\n")
	}
	os.Remove(e.stderr.Name())
	if e.hosts != "" {
		os.Remove(e.hosts)
	}
}

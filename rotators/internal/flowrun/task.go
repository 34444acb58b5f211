package flowrun

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"
)

// protocolLine is Kestra's ^::(\{.*})::$ with Java's meaning of "." (no
// line terminator: \n, \r, U+0085, U+2028, U+2029).
var protocolLine = regexp.MustCompile(`^::(\{[^\n\r\x{85}\x{2028}\x{2029}]*\})::$`)

// LogLine is one line of a task's log.
type LogLine struct {
	Level   string // INFO (stdout), ERROR (stderr), WARN, or a logs payload's level
	Message string
}

// Metric is one entry of a ::{"metrics":[...]}:: line.
type Metric struct {
	Name  string            `json:"name"`
	Type  string            `json:"type"`
	Value json.Number       `json:"value"`
	Tags  map[string]string `json:"tags"`
}

// attempt is the result of one run of a task's script.
type attempt struct {
	mu       sync.Mutex
	exitCode int
	logs     []LogLine
	outputs  map[string]any
	metrics  []Metric
	files    map[string][]byte // outputFiles, by path relative to the working directory
}

// runScript runs script with /bin/sh -c in a fresh working directory, with
// env (KEY=VALUE) only, as a container would, parses its output and keeps
// the files matching outputFiles, as Kestra does, whatever the exit code.
func runScript(ctx context.Context, script string, env []string, timeout time.Duration, outputFiles []string) (*attempt, error) {
	dir, err := os.MkdirTemp("", "flowrun-task-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.Dir = dir
	cmd.Env = append([]string{"HOME=" + dir, "WORKING_DIR=" + dir}, env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start /bin/sh: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	defer stop()
	a := &attempt{outputs: map[string]any{}}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); a.read(stdout, "INFO") }()
	go func() { defer wg.Done(); a.read(stderr, "ERROR") }()
	wg.Wait()
	_ = cmd.Wait()
	a.exitCode = cmd.ProcessState.ExitCode()
	a.keepFiles(dir, outputFiles)
	if ctx.Err() != nil {
		a.add(LogLine{Level: "ERROR", Message: fmt.Sprintf("flowrun: killed after %s", timeout)})
		a.exitCode = -1
	}
	return a, nil
}

// keepFiles reads the regular files of dir matching the globs.
func (a *attempt) keepFiles(dir string, globs []string) {
	for _, g := range globs {
		matches, _ := filepath.Glob(filepath.Join(dir, g)) // patterns are checked when the flow is parsed
		for _, m := range matches {
			if st, err := os.Lstat(m); err != nil || !st.Mode().IsRegular() {
				continue
			}
			b, err := os.ReadFile(m)
			if err != nil {
				a.add(LogLine{Level: "WARN", Message: "flowrun: outputFiles: " + err.Error()})
				continue
			}
			if a.files == nil {
				a.files = map[string][]byte{}
			}
			rel, _ := filepath.Rel(dir, m)
			a.files[rel] = b
		}
	}
}

// read turns a stream into log lines and protocol payloads. Kestra logs
// stdout lines as INFO and stderr lines as ERROR.
func (a *attempt) read(r io.Reader, level string) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for sc.Scan() {
		line := strings.TrimSuffix(sc.Text(), "\r")
		if line == "" {
			continue
		}
		if m := protocolLine.FindStringSubmatch(line); m != nil {
			a.payload(m[1])
			continue
		}
		a.add(LogLine{Level: level, Message: line})
	}
	if err := sc.Err(); err != nil {
		a.add(LogLine{Level: "WARN", Message: "flowrun: reading output: " + err.Error()})
		_, _ = io.Copy(io.Discard, r)
	}
}

func (a *attempt) add(l LogLine) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.logs = append(a.logs, l)
}

// payload applies one ::{...}:: line: outputs merge shallowly (last key
// wins), metrics and logs are appended, other keys are dropped, and JSON
// that does not parse is lost with a warning, as in Kestra.
func (a *attempt) payload(text string) {
	var p struct {
		Outputs map[string]any `json:"outputs"`
		Metrics []Metric       `json:"metrics"`
		Logs    []LogLine      `json:"logs"`
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(text)))
	dec.UseNumber()
	if err := dec.Decode(&p); err != nil {
		a.add(LogLine{Level: "WARN", Message: "flowrun: unable to parse a ::{...}:: line: " + err.Error()})
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for k, v := range p.Outputs {
		a.outputs[k] = v
	}
	a.metrics = append(a.metrics, p.Metrics...)
	a.logs = append(a.logs, p.Logs...)
}

// isoDuration parses the ISO-8601 durations flows use for retry intervals
// (PT15S, PT1M30S, PT0.5S, PT2H).
func isoDuration(s string) (time.Duration, error) {
	rest, ok := strings.CutPrefix(s, "PT")
	if !ok || rest == "" {
		return 0, fmt.Errorf("duration %q: want PT<n>H<n>M<n>S", s)
	}
	var total time.Duration
	for rest != "" {
		i := strings.IndexAny(rest, "HMS")
		if i <= 0 {
			return 0, fmt.Errorf("duration %q: want PT<n>H<n>M<n>S", s)
		}
		d, err := time.ParseDuration(rest[:i] + strings.ToLower(rest[i:i+1]))
		if err != nil {
			return 0, fmt.Errorf("duration %q: %w", s, err)
		}
		total, rest = total+d, rest[i+1:]
	}
	return total, nil
}

package kestraengine

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/kestra-rotation/rotation-pack/rotators/internal/testimage"
)

// The Docker-runner part: the flows as written (taskRunner
// io.kestra.plugin.scripts.runner.docker.Docker, containerImage the pack's
// image) in a second engine whose Kestra configuration alone points that
// runner at podman's Docker-compatible API, as docs/flows.md tells a user
// without Docker to do.

var (
	dockerOnce sync.Once
	dockerEng  *engine
	dockerErr  error
	podmanSvc  *podmanService
	dockerImg  testimage.Image
	flowRef    string // the flows' containerImage, tagged onto dockerImg
)

// podmanService is `podman system service` on a unix socket in dir.
type podmanService struct {
	cmd  *exec.Cmd
	dir  string
	sock string
}

// kestraDocker returns the package's Docker-runner engine, started on
// first use after the image (built once, shared with rotators/internal/imagetest)
// is tagged as the flows' containerImage.
func kestraDocker(t *testing.T) *engine {
	t.Helper()
	k := kestra(t) // the fixtures' token and prefix
	dockerOnce.Do(func() { dockerEng, dockerErr = startDocker(t, k) })
	if dockerErr != nil {
		t.Fatal(dockerErr)
	}
	return dockerEng
}

func startDocker(t *testing.T, _ *engine) (*engine, error) {
	start := time.Now()
	im, err := testimage.Build(env.Root)
	if err != nil {
		return nil, err
	}
	dockerImg = im
	t.Logf("image %s (built now: %v) in %s", im.Ref, im.Built, time.Since(start).Round(100*time.Millisecond))
	ref, err := flowImage(filepath.Join(env.Root, "flows", "postgres-password-vault.yaml"))
	if err != nil {
		return nil, err
	}
	flowRef = ref
	// the flows name the released image; the tag makes the one just built
	// answer for it (the runner never pulls)
	if out, err := im.Cmd(context.Background(), "tag", im.Ref, ref).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("podman tag %s %s: %w: %s", im.Ref, ref, err, out)
	}
	if podmanSvc, err = startPodmanService(im); err != nil {
		return nil, err
	}
	config := filepath.Join(podmanSvc.dir, "kestra-docker.yml")
	// forced: the flows' own runner properties give way; host, because the
	// runner ignores DOCKER_HOST; networkMode host, for the loopback servers
	if err := os.WriteFile(config, []byte(`kestra:
  plugins:
    defaults:
      - type: io.kestra.plugin.scripts.runner.docker.Docker
        forced: true
        values:
          host: unix://`+podmanSvc.sock+`
          networkMode: host
          pullPolicy: NEVER
`), 0o644); err != nil {
		return nil, err
	}
	return startEngine(env.Root, env.BinDir, engineOpts{version: "1.3.19", docker: true, config: config},
		map[string]string{"VAULT_TOKEN": flowToken},
		map[string]string{"VAULT_ADDR": env.Bao.Addr}, nil)
}

// flowImage returns the containerImage a flow file names (one for all its
// tasks).
func flowImage(file string) (string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	m := regexp.MustCompile(`(?m)^\s+containerImage:\s*(\S+)\s*$`).FindAllSubmatch(b, -1)
	if len(m) == 0 {
		return "", fmt.Errorf("%s: no containerImage", file)
	}
	for _, x := range m {
		if string(x[1]) != string(m[0][1]) {
			return "", fmt.Errorf("%s: containerImage %s and %s", file, m[0][1], x[1])
		}
	}
	return string(m[0][1]), nil
}

// startPodmanService starts podman's Docker-compatible API on a socket in
// a new directory and waits (up to 30 s) until it answers /_ping.
func startPodmanService(im testimage.Image) (*podmanService, error) {
	dir, err := os.MkdirTemp("", "kestraengine-podman-")
	if err != nil {
		return nil, err
	}
	s := &podmanService{dir: dir, sock: filepath.Join(dir, "podman.sock")}
	// --time=0: no idle exit while the engine is between executions
	// events to a file, where inContainers reads them, whatever the host's default
	s.cmd = im.Cmd(context.Background(), "--events-backend=file", "system", "service", "--time=0", "unix://"+s.sock)
	s.cmd.Stdout, s.cmd.Stderr = nil, nil
	if err := s.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("podman system service: %w", err)
	}
	c := http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", s.sock)
		}}}
	for i := 0; i < 150; i++ {
		if resp, err := c.Get("http://podman/_ping"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	s.stop()
	return nil, fmt.Errorf("podman system service: no answer on %s within 30s", s.sock)
}

// stop ends the service (SIGTERM, then SIGKILL after 10 s) and removes its
// directory.
func (s *podmanService) stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
	os.RemoveAll(s.dir)
}

// TestDockerRunner runs flows/postgres-password-vault.yaml (a rotation,
// and a wrong admin secret through errors:) and the compliance report
// under Kestra's Docker task runner, judged and leak-scanned as under the
// Process runner; podman's events prove each task ran in a container of
// the flow's image, removed afterwards.
func TestDockerRunner(t *testing.T) {
	k := kestraDocker(t)
	for _, tt := range pgVaultCases[:3] {
		if tt.dryRun {
			continue
		}
		t.Run("postgres-password-vault "+tt.name, func(t *testing.T) {
			inContainers(t, tt.run(t, k), "flows/postgres-password-vault.yaml")
		})
	}
	t.Run("rotation-compliance-report", func(t *testing.T) {
		inContainers(t, complianceReport(t, k), "flows/rotation-compliance-report.yaml")
	})
}

// inContainers fails t unless every task run of x that ran commands (a
// script task of flow, SUCCESS or FAILED) had exactly one container of the
// flows' image, created and removed, as podman's event log tells: Kestra's
// Docker runner labels each container with the execution and task ids.
// The engine runs the other tasks (Labels) itself, in no container.
func inContainers(t *testing.T, x *execution, flow string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := dockerImg.Cmd(ctx, "--events-backend=file", "events", "--stream=false", "--since", "30m", "--filter", "type=container",
		"--filter", "label=kestra.io/execution-id="+x.ID, "--format", "{{.Status}} {{.Image}} {{index .Attributes \"kestra.io/task-id\"}}").Output()
	if err != nil {
		t.Fatalf("podman events: %v", err)
	}
	got := map[string]int{} // "<status> <task>" -> count, for the flows' image
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[1] == flowRef {
			got[f[0]+" "+f[2]]++
		}
	}
	n := 0
	scripts := scriptTasks(t, flow)
	for _, tr := range x.TaskRuns {
		if (tr.State != "SUCCESS" && tr.State != "FAILED") || !scripts[tr.TaskID] {
			continue
		}
		n++
		for _, ev := range []string{"create", "start", "remove"} {
			if c := got[ev+" "+tr.TaskID]; c != 1 {
				t.Errorf("task %s: got %d %q events of a %s container, want 1", tr.TaskID, c, ev, flowRef)
			}
		}
	}
	if n == 0 {
		t.Errorf("no task ran\n%s", x)
	}
}

// scriptTasks returns the ids of flow's tasks (errors: included) that run
// commands: io.kestra.plugin.scripts.* types.
func scriptTasks(t *testing.T, flow string) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(env.Root, flow))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Tasks, Errors []struct {
			ID   string `yaml:"id"`
			Type string `yaml:"type"`
		}
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v", flow, err)
	}
	ids := map[string]bool{}
	for _, task := range append(f.Tasks, f.Errors...) {
		if strings.HasPrefix(task.Type, "io.kestra.plugin.scripts.") {
			ids[task.ID] = true
		}
	}
	if len(ids) == 0 {
		t.Fatalf("%s: no script task", flow)
	}
	return ids
}

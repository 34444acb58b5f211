package flowlint

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// composeFile is the part of docker/compose.yaml the quickstart test reads.
type composeFile struct {
	Networks map[string]struct {
		Name string `yaml:"name"`
	} `yaml:"networks"`
	Services map[string]struct {
		Image       string            `yaml:"image"`
		Command     string            `yaml:"command"`
		Volumes     []string          `yaml:"volumes"`
		Entrypoint  []string          `yaml:"entrypoint"`
		Environment map[string]string `yaml:"environment"`
	} `yaml:"services"`
}

// pinnedTagRe is a release tag with at least major.minor (v1.3.19, 15.10).
var pinnedTagRe = regexp.MustCompile(`^v?[0-9]+\.[0-9]+(\.[0-9]+)*([-_.][A-Za-z0-9.]+)?$`)

func imagePinned(img string) bool {
	if digestRe.MatchString(img) {
		return true
	}
	last := img[strings.LastIndex(img, "/")+1:]
	i := strings.LastIndex(last, ":")
	return i >= 0 && pinnedTagRe.MatchString(last[i+1:])
}

func TestImagePinned(t *testing.T) {
	for img, want := range map[string]bool{"kestra/kestra:v1.3.19": true, "postgres:15.10": true, "postgres:15": false,
		"kestra/kestra:latest": false, "openbao/openbao": false, "reg:5000/x": false, "x@sha256:" + strings.Repeat("0", 64): true} {
		if got := imagePinned(img); got != want {
			t.Errorf("imagePinned(%q) = %v, want %v", img, got, want)
		}
	}
}

// TestComposeQuickstart parses docker/compose.yaml strictly (one document,
// no duplicate keys), checks every image is pinned, that Kestra is a 1.3
// release (the line kestra-check parses with), that the --flow-path it
// loads is a mounted directory of the repository whose flows pass the
// linter, and that its SECRET_ variables are base64.
func TestComposeQuickstart(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "docker")
	b, err := os.ReadFile(filepath.Join(dir, "compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var c composeFile
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	if err := dec.Decode(new(any)); !errors.Is(err, io.EOF) {
		t.Fatal("compose.yaml: want exactly one YAML document")
	}
	if len(c.Services) < 3 {
		t.Fatalf("compose.yaml has %d services", len(c.Services))
	}
	for name, s := range c.Services {
		if !imagePinned(s.Image) {
			t.Errorf("service %s: image %q is not pinned to a release tag or digest", name, s.Image)
		}
	}
	k, ok := c.Services["kestra"]
	if !ok || !strings.HasPrefix(k.Image, "kestra/kestra:v1.3.") {
		t.Fatalf("want a kestra service on kestra/kestra:v1.3.x, got %q", k.Image)
	}
	flowPath := regexp.MustCompile(`--flow-path\s+(\S+)`).FindStringSubmatch(k.Command)
	if flowPath == nil {
		t.Fatalf("kestra command %q loads no --flow-path", k.Command)
	}
	src := ""
	for _, v := range k.Volumes {
		parts := strings.Split(v, ":")
		if len(parts) >= 2 && parts[1] == flowPath[1] {
			src = filepath.Join(dir, parts[0])
		}
	}
	if src == "" {
		t.Fatalf("no volume mounts %s", flowPath[1])
	}
	paths, err := flowFiles(src)
	if err != nil || len(paths) == 0 {
		t.Fatalf("%s holds no flows: %v", src, err)
	}
	findings, err := LintDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range findings {
		t.Errorf("a flow the quickstart loads: %s", f)
	}
	checkTaskNetwork(t, k.Environment["KESTRA_CONFIGURATION"], c.Networks["default"].Name)
	checkFirstRun(t, k.Environment, k.Volumes, c.Services["seed"].Entrypoint, filepath.Join(src, "postgres-password-vault.yaml"))
	for name, v := range k.Environment {
		if strings.HasPrefix(name, "SECRET_") {
			if _, err := base64.StdEncoding.DecodeString(v); err != nil || v == "" {
				t.Errorf("%s is not base64 (Kestra OSS skips it)", name)
			}
		}
	}
}

// checkTaskNetwork checks that Kestra's global plugin default puts the
// Docker task runner's containers on the compose network, where the flows'
// tasks reach openbao and postgres by name.
func checkTaskNetwork(t *testing.T, config, network string) {
	t.Helper()
	var cfg struct {
		Kestra struct {
			Plugins struct {
				Defaults []struct {
					Type   string         `yaml:"type"`
					Values map[string]any `yaml:"values"`
				} `yaml:"defaults"`
			} `yaml:"plugins"`
		} `yaml:"kestra"`
	}
	if err := yaml.Unmarshal([]byte(config), &cfg); err != nil {
		t.Fatalf("KESTRA_CONFIGURATION: %v", err)
	}
	for _, d := range cfg.Kestra.Plugins.Defaults {
		if d.Type == dockerRunner && network != "" && d.Values["networkMode"] == network {
			return
		}
	}
	t.Errorf("KESTRA_CONFIGURATION has no kestra.plugins.defaults entry giving %s the networkMode %q", dockerRunner, network)
}

// The Vault flows' login lines: a secret read only when an optional setting,
// or its default, names the method (docs/stores/vault.md, "In Kestra").
var chosenByEnvRe = regexp.MustCompile(`\(envs\.(\w+) \?\? '([^']*)'\) == '([^']*)' \? secret\(`)

// secretNeeded reports whether the secret() of a flow line is read with
// the compose file's settings: always, unless the line's ternary picks it
// by a setting's value (or default) that is not the compared one.
func secretNeeded(line string, env map[string]string) bool {
	m := chosenByEnvRe.FindStringSubmatch(line)
	if m == nil {
		return true
	}
	v, ok := env["ENV_"+strings.ToUpper(m[1])]
	if !ok {
		v = m[2]
	}
	return v == m[3]
}

// checkFirstRun checks what the quickstart's first run needs: every
// secret('X') and envs.x of the flow it runs defined (SECRET_X, ENV_X; a
// setting the input defaults never read may be left out),
// Kestra's basic auth configured (1.x OSS refuses the API without it), its
// data directory on a volume, and every credential the seed writes naming
// an sslmode (the pack verifies TLS off loopback; postgres has no TLS here).
func checkFirstRun(t *testing.T, env map[string]string, volumes, seed []string, flow string) {
	t.Helper()
	src, err := os.ReadFile(flow)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(src), "\n") {
		if !secretNeeded(line, env) {
			continue
		}
		for _, m := range secretCallRe.FindAllStringSubmatch(line, -1) {
			if env["SECRET_"+strings.ToUpper(m[1])] == "" {
				t.Errorf("the flow reads secret('%s'): kestra has no SECRET_%s", m[1], strings.ToUpper(m[1]))
			}
		}
	}
	for _, m := range envsRe.FindAllStringSubmatch(string(src), -1) {
		if regexp.MustCompile(`envs\.` + m[1] + `\s*\?\?`).MatchString(string(src)) {
			continue // a setting with a default (envs.x ?? 'v') may be left undefined
		}
		if unusedByDefault(t, src, m[1]) {
			continue
		}
		if env["ENV_"+strings.ToUpper(m[1])] == "" {
			t.Errorf("the flow reads envs.%s: kestra has no ENV_%s", m[1], strings.ToUpper(m[1]))
		}
	}
	var cfg struct {
		Kestra struct {
			Server struct {
				BasicAuth struct {
					Username string `yaml:"username"`
					Password string `yaml:"password"`
				} `yaml:"basic-auth"`
			} `yaml:"server"`
		} `yaml:"kestra"`
	}
	if err := yaml.Unmarshal([]byte(env["KESTRA_CONFIGURATION"]), &cfg); err != nil {
		t.Fatalf("KESTRA_CONFIGURATION: %v", err)
	}
	if ba := cfg.Kestra.Server.BasicAuth; !strings.Contains(ba.Username, "@") || len(ba.Password) < 8 {
		t.Errorf("KESTRA_CONFIGURATION: kestra.server.basic-auth needs an email username and a password of 8+ characters, got %q", ba.Username)
	}
	data := false
	for _, v := range volumes {
		if parts := strings.Split(v, ":"); len(parts) >= 2 && parts[1] == "/app/data" && !strings.HasPrefix(parts[0], ".") && !strings.HasPrefix(parts[0], "/") {
			data = true
		}
	}
	if !data {
		t.Error("kestra: no named volume on /app/data, where server local keeps its database")
	}
	puts := 0
	for _, line := range strings.Split(strings.Join(seed, "\n"), "\n") {
		if !strings.Contains(line, "kv put") {
			continue
		}
		puts++
		if strings.Contains(line, "host=") && !strings.Contains(line, "host=127.0.0.1") && !strings.Contains(line, "sslmode=") {
			t.Errorf("seed: %q names a host off loopback without sslmode: the pack would insist on verify-full", line)
		}
	}
	if puts == 0 {
		t.Error("seed writes no credential")
	}
}

// unusedByDefault reports whether every read of envs.name in the flow src
// is the else branch of a ternary on "inputs.X == '-'" (the empty string
// otherwise) with X an input whose default is "-": with the input defaults
// (the quickstart's first run) Pebble never evaluates it, so the setting
// need not be defined (KUBECONFIG behind kube_secret_name).
func unusedByDefault(t *testing.T, src []byte, name string) bool {
	t.Helper()
	var flow struct {
		Inputs []struct {
			ID       string `yaml:"id"`
			Defaults any    `yaml:"defaults"`
		} `yaml:"inputs"`
	}
	if err := yaml.Unmarshal(src, &flow); err != nil {
		t.Fatal(err)
	}
	guarded := regexp.MustCompile(`inputs\.(\w+) == '-' \? '' : envs\.`+regexp.QuoteMeta(name)+`\b`).FindAllStringSubmatch(string(src), -1)
	if len(guarded) == 0 || len(guarded) != len(regexp.MustCompile(`\benvs\.`+regexp.QuoteMeta(name)+`\b`).FindAllIndex(src, -1)) {
		return false
	}
	for _, g := range guarded {
		dashed := false
		for _, in := range flow.Inputs {
			dashed = dashed || (in.ID == g[1] && in.Defaults == "-")
		}
		if !dashed {
			return false
		}
	}
	return true
}

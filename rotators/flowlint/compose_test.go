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
	dir := filepath.Join("..", "..", "docker")
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

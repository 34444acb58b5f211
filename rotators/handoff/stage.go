package handoff

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"regexp"
	"strings"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

var protocolLine = regexp.MustCompile(`^::(\{.*})::$`)

// Staged is what a store's stage step reported: its log lines (which the
// store scrubbed) and its Kestra outputs.
type Staged struct {
	Lines   []string
	Outputs map[string]any
}

// Stage hands a value that a target minted (an access key) to the store:
// it runs "<scheme>-stage --secret REF --rotation ID --stdin" and writes the
// JSON value to the helper's standard input, a private pipe, so the value
// never travels in argv, the environment or a file.
func (f Fetcher) Stage(ctx context.Context, ref core.Ref, rotation string, v core.Value) (Staged, error) {
	name := ref.Scheme + "-stage"
	path, err := f.find(name)
	if err != nil {
		return Staged{}, err
	}
	body, err := v.MarshalJSON()
	if err != nil {
		return Staged{}, err
	}
	cmd := exec.CommandContext(ctx, path, "--secret", ref.String(), "--rotation", rotation, "--stdin", "--strategy", string(core.Single))
	cmd.Env = childEnv()
	cmd.Stdin = bytes.NewReader(body)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &limitedBuffer{buf: &stdout, max: 64 << 10}
	cmd.Stderr = &limitedBuffer{buf: &stderr, max: 4096}
	if err := cmd.Run(); err != nil {
		return Staged{}, helperError(name, err, stderr.String())
	}
	st := Staged{Outputs: map[string]any{}}
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		line := sc.Text()
		m := protocolLine.FindStringSubmatch(line)
		if m == nil {
			if strings.TrimSpace(line) != "" {
				st.Lines = append(st.Lines, line)
			}
			continue
		}
		var p struct{ Outputs map[string]any }
		if json.Unmarshal([]byte(m[1]), &p) == nil {
			for k, val := range p.Outputs {
				st.Outputs[k] = val
			}
		}
	}
	if _, ok := st.Outputs["pending_version"]; !ok {
		return st, fmt.Errorf("%s reported no pending_version", name)
	}
	return st, nil
}

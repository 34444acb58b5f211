// Package kestra writes Kestra's script protocol: ::{"outputs":…}:: and
// ::{"metrics":…}:: lines on stdout, one compact JSON object per line, with
// the line terminators that Java's regex "." refuses escaped.
package kestra

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
)

// Metric is one Kestra metric. Only counter and timer are used: gauge is
// unknown to older cores and would void the whole line.
type Metric struct {
	Name  string            `json:"name"`
	Type  string            `json:"type"`
	Value float64           `json:"value"`
	Tags  map[string]string `json:"tags"`
}

// Counter and Timer build metrics; a nil tag map is sent as {}.
func Counter(name string, v float64, tags map[string]string) Metric {
	return Metric{Name: name, Type: "counter", Value: v, Tags: nonNil(tags)}
}

// Timer is a duration in seconds.
func Timer(name string, seconds float64, tags map[string]string) Metric {
	return Metric{Name: name, Type: "timer", Value: seconds, Tags: nonNil(tags)}
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// Emitter writes protocol lines. One Write per line under a mutex, so lines
// from concurrent goroutines never interleave.
type Emitter struct {
	mu sync.Mutex
	w  io.Writer
}

// NewEmitter writes to w (the process's stdout).
func NewEmitter(w io.Writer) *Emitter { return &Emitter{w: w} }

// Outputs writes one ::{"outputs":{...}}:: line. Values should be small
// non-secret scalars: ids, versions, counts, booleans.
func (e *Emitter) Outputs(outputs map[string]any) error {
	return e.line(map[string]any{"outputs": outputs})
}

// Metrics writes one ::{"metrics":[...]}:: line.
func (e *Emitter) Metrics(metrics ...Metric) error {
	return e.line(map[string]any{"metrics": metrics})
}

func (e *Emitter) line(payload any) error {
	b, err := Encode(payload)
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	_, err = e.w.Write(b)
	return err
}

// Encode renders one protocol line, newline included. json.Marshal already
// escapes U+2028 and U+2029 and never emits raw control characters; U+0085
// (NEL) it leaves raw, and Java's "." does not match it, so it is escaped here.
func Encode(payload any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(true)
	if err := enc.Encode(payload); err != nil {
		return nil, fmt.Errorf("encode kestra line: %w", err)
	}
	body := strings.TrimRight(buf.String(), "\n")
	body = strings.ReplaceAll(body, "\u0085", `\u0085`)
	return []byte("::" + body + "::\n"), nil
}

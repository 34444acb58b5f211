package step

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// fakeTarget lists sessions from a script: call i returns lists[min(i, last)].
type fakeTarget struct {
	core.Target
	mu    sync.Mutex
	lists [][]core.Session
	calls int
}

func (f *fakeTarget) Sessions(context.Context, core.UsageRequest) ([]core.Session, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := min(f.calls, len(f.lists)-1)
	f.calls++
	return f.lists[i], nil
}

func sess(id string) core.Session {
	return core.Session{ID: id, User: "app", Client: "127.0.0.1:5" + id, Since: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func testEnv(o Options) (*Env, *bytes.Buffer) {
	var out bytes.Buffer
	return &Env{Opts: o, Log: newLogger(&out), Scrub: &core.Scrubber{}, Name: "x-revoke"}, &out
}

func TestAwaitUnused(t *testing.T) {
	a, b, c := sess("1"), sess("2"), sess("3")
	tests := []struct {
		name      string
		lists     [][]core.Session
		opts      Options
		wantErr   error
		wantLeft  int
		wantFound int
		wantLog   string
	}{
		{"nothing open", [][]core.Session{nil}, Options{Grace: time.Second}, nil, 0, 0, "no session uses it"},
		{"ends within grace", [][]core.Session{{a, b}, {b}, {}}, Options{Grace: 2 * time.Second}, nil, 0, 2, "still in use"},
		{"later sessions never count", [][]core.Session{{a}, {c}}, Options{Grace: time.Second}, nil, 0, 1, "still in use"},
		{"still open after grace", [][]core.Session{{a, b}, {b, c}}, Options{Grace: 600 * time.Millisecond}, core.ErrConflict, 1, 2, "app@127.0.0.1:52"},
		{"no grace: a moment for closing sessions", [][]core.Session{{a}, {}}, Options{}, nil, 0, 1, "still in use"},
		{"no grace: still open", [][]core.Session{{a}}, Options{}, core.ErrConflict, 1, 1, "after --grace 0s"},
		{"force", [][]core.Session{{a}}, Options{Force: true}, nil, 1, 1, "going on while in use (--force)"},
		{"dry run looks once", [][]core.Session{{a}}, Options{DryRun: true, Grace: time.Hour}, nil, 1, 1, "plan: wait up to --grace 1h0m0s"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeTarget{lists: tc.lists}
			e, out := testEnv(tc.opts)
			u, err := awaitUnused(context.Background(), f, gate{what: "the old password"}, e)
			if !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Fatalf("got error %v, want %v", err, tc.wantErr)
			}
			if u.found != tc.wantFound || u.left != tc.wantLeft {
				t.Errorf("got found %d left %d, want %d and %d", u.found, u.left, tc.wantFound, tc.wantLeft)
			}
			if text := out.String() + errText(err); !strings.Contains(text, tc.wantLog) {
				t.Errorf("got output %q, want it to contain %q", text, tc.wantLog)
			}
			if tc.opts.DryRun && f.calls != 1 {
				t.Errorf("dry run: got %d looks, want 1", f.calls)
			}
		})
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestAwaitUnusedWithoutChecker(t *testing.T) {
	e, out := testEnv(Options{})
	if _, err := awaitUnused(context.Background(), struct{ core.Target }{}, gate{what: "x"}, e); err != nil {
		t.Fatalf("got %v, want nil", err)
	}
	if !strings.Contains(out.String(), "cannot list sessions") {
		t.Errorf("got %q, want a line saying the target was not checked", out.String())
	}
}

func TestCheckGrace(t *testing.T) {
	tests := []struct {
		grace, timeout time.Duration
		ok             bool
	}{{0, time.Minute, true}, {30 * time.Second, time.Minute, true}, {time.Minute, time.Minute, false}, {58 * time.Second, time.Minute, false}}
	for _, tc := range tests {
		err := checkGrace(Options{Grace: tc.grace, Timeout: tc.timeout})
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, core.ErrUsage)) {
			t.Errorf("grace %s timeout %s: got %v, want ok %v", tc.grace, tc.timeout, err, tc.ok)
		}
	}
}

func TestListSessions(t *testing.T) {
	var ss []core.Session
	for _, id := range []string{"1", "2", "3", "4", "5", "6", "7"} {
		ss = append(ss, sess(id))
	}
	got := listSessions(ss)
	if !strings.Contains(got, "app@127.0.0.1:51 (session 1, since 2026-01-02T03:04:05Z)") || !strings.HasSuffix(got, "and 2 more") {
		t.Errorf("got %q", got)
	}
	if got := (core.Session{ID: "9", User: "u"}).String(); got != "u@local (session 9, connect time unknown)" {
		t.Errorf("got %q", got)
	}
}

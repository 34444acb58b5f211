package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kestra-rotation/rotation-pack/rotators/handoff"
)

// proc is one process to start and measure.
type proc struct {
	path string
	args []string
	env  []string // the whole environment of the child
	// helperPipe hands the child one end of a socket pair as fd 3 with
	// ROTATE_HELPER_FD=3, as a target step does for its <store>-get helper;
	// what arrives is drained and dropped (it is a secret value). A helper
	// accepts only a socket made by its parent, so under GNU time a small
	// Python parent (helperWrap) makes the pair; %M is then the larger of the
	// helper's peak RSS and Python's (about 9 MiB).
	helperPipe bool
	stdin      string
}

// sample is what one run cost: wall time from start to reap, and the peak
// resident set of the process tree (GNU time's %M, wait4's ru_maxrss: the
// largest of the process and its waited-for descendants, not their sum).
type sample struct {
	wall   time.Duration
	rssKiB int64
}

// gnuTime is GNU time, which runs a command with a real fork (Debian
// package time). It is how peak RSS is measured: Go starts children with
// vfork, so the kernel charges the child, until its exec, with the peak RSS
// of the parent's memory, and wait4 would report at least the benchmark's
// own RSS (about 25 MiB) for every tool. Under GNU time the floor is GNU
// time's own RSS (about 2 MiB).
const gnuTime = "/usr/bin/time"

// run starts p, waits for it and returns its wall time. A non-zero exit is
// an error carrying the last line of stderr: stdout is never kept, since a
// baseline CLI prints the secret there.
func (p proc) run(ctx context.Context) (sample, error) { return p.exec(ctx, "") }

// runRSS runs p under GNU time and returns its peak RSS (and a wall time
// that includes GNU time's own start, not used in the tables).
func (p proc) runRSS(ctx context.Context, tmp string) (sample, error) {
	f, err := os.CreateTemp(tmp, "rss-")
	if err != nil {
		return sample{}, err
	}
	f.Close()
	defer os.Remove(f.Name())
	s, err := p.exec(ctx, f.Name())
	if err != nil {
		return s, err
	}
	b, err := os.ReadFile(f.Name())
	if err != nil {
		return s, err
	}
	fields := strings.Fields(string(b))
	if len(fields) == 0 {
		return s, fmt.Errorf("%s wrote no RSS", gnuTime)
	}
	if s.rssKiB, err = strconv.ParseInt(fields[len(fields)-1], 10, 64); err != nil {
		return s, fmt.Errorf("%s output: %w", gnuTime, err)
	}
	return s, nil
}

// helperWrap is the parent of a helper measured under GNU time: it makes
// the socket pair, starts the helper with one end as fd 3, drains the other.
const helperWrap = `import os, socket, subprocess, sys
a, b = socket.socketpair()
os.dup2(b.fileno(), 3)
p = subprocess.Popen(sys.argv[1:], pass_fds=(3,), env=dict(os.environ, ROTATE_HELPER_FD="3"))
os.close(3); b.close()
while a.recv(65536): pass
sys.exit(p.wait())`

// exec runs p, under GNU time writing %M to rssFile when that is set.
func (p proc) exec(ctx context.Context, rssFile string) (sample, error) {
	path, args := p.path, p.args
	switch {
	case rssFile != "" && p.helperPipe:
		path, args = gnuTime, append([]string{"-f", "%M", "-o", rssFile, "--", "python3", "-c", helperWrap, p.path}, p.args...)
	case rssFile != "":
		path, args = gnuTime, append([]string{"-f", "%M", "-o", rssFile, "--", p.path}, p.args...)
	}
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = p.env
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	if p.stdin != "" {
		cmd.Stdin = strings.NewReader(p.stdin)
	}
	var r *os.File
	if p.helperPipe && rssFile == "" {
		var w *os.File
		var err error
		if r, w, err = handoff.SocketPair(); err != nil {
			return sample{}, fmt.Errorf("socket pair: %w", err)
		}
		defer r.Close()
		cmd.ExtraFiles = []*os.File{w}
		cmd.Env = append(slices.Clip(cmd.Env), "ROTATE_HELPER_FD=3")
		defer w.Close()
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return sample{}, fmt.Errorf("start %s: %w", p.path, err)
	}
	if r != nil {
		cmd.ExtraFiles[0].Close() // the child holds the only other end now
		_, _ = io.Copy(io.Discard, r)
	}
	err := cmd.Wait()
	s := sample{wall: time.Since(start)}
	if err != nil {
		return s, fmt.Errorf("%s %s: %w: %s", baseName(p.path), strings.Join(p.args, " "), err, lastLine(stderr.String()))
	}
	return s, nil
}

// repeat runs p n times for its wall time and n times under GNU time for
// its peak RSS, alternating, and returns the medians.
func (p proc) repeat(ctx context.Context, n int, tmp string) (stat, error) {
	var walls, rss []sample
	for range n {
		s, err := p.run(ctx)
		if err != nil {
			return stat{}, err
		}
		walls = append(walls, s)
		if s, err = p.runRSS(ctx, tmp); err != nil {
			return stat{}, err
		}
		rss = append(rss, s)
	}
	return combine(walls, rss), nil
}

// combine takes the median wall time of walls and the median RSS of rss.
func combine(walls, rss []sample) stat {
	st := medians(walls)
	st.rssKiB = medians(rss).rssKiB
	return st
}

// stat is the median of repeated samples.
type stat struct {
	wall   time.Duration
	rssKiB int64
	n      int
}

func medians(ss []sample) stat {
	walls := make([]time.Duration, len(ss))
	rss := make([]int64, len(ss))
	for i, s := range ss {
		walls[i], rss[i] = s.wall, s.rssKiB
	}
	return stat{wall: median(walls), rssKiB: median(rss), n: len(ss)}
}

// median of xs (the mean of the two middle values for an even count).
func median[T time.Duration | int64](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

func baseName(p string) string { return p[strings.LastIndexByte(p, '/')+1:] }

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	const max = 300
	if len(s) > max {
		s = s[:max]
	}
	return s
}

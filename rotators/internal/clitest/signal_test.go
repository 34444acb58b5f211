package clitest

import (
	"bytes"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestSignalStopsCleanly: a step stopped by SIGTERM, SIGINT or SIGQUIT
// exits 3 (safe to re-run) with one error line, never Go's goroutine dump
// and exit 2 of a SIGQUIT. The store is a listener that accepts and stays
// silent; the signal goes once the binary is waiting on it.
func TestSignalStopsCleanly(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs the built binaries")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 8)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	for _, s := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT} {
		t.Run(s.String(), func(t *testing.T) {
			cmd := exec.Command(filepath.Join(env.BinDir, "vault-stage"), "--secret", "vault://secret/apps/db", "--rotation", "r1", "--timeout", "1m")
			cmd.Env = []string{"VAULT_ADDR=http://" + ln.Addr().String(), "VAULT_TOKEN=t", "VAULT_MAX_RETRIES=0"}
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			c := <-accepted
			defer c.Close()
			if err := cmd.Process.Signal(s); err != nil {
				t.Fatal(err)
			}
			_ = cmd.Wait() // the exit code is the point
			code := cmd.ProcessState.ExitCode()
			lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
			if code != 3 || len(lines) != 1 || strings.Contains(stderr.String(), "goroutine") {
				t.Errorf("got exit %d, stderr %q; want exit 3 and one error line", code, stderr.String())
			}
		})
	}
}

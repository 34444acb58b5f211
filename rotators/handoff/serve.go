package handoff

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"syscall"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// Serve writes one envelope to the parent's socket. It refuses, with
// ErrUsage, unless the process was started as a helper (helperFD). So
// "vault-get" typed into a flow prints nothing secret.
func Serve(name string, v core.Version) error {
	return serve(name, FromVersion(v))
}

// ServeMissing tells the parent that the secret or stage does not exist, so
// that it can tell "absent" from a failure of the helper.
func ServeMissing(name string) error {
	return serve(name, Envelope{Missing: true})
}

func serve(name string, env Envelope) error {
	fd, err := helperFD(name)
	if err != nil {
		return err
	}
	f := os.NewFile(uintptr(fd), "helper-socket")
	defer f.Close()
	b, err := json.Marshal(env)
	if err != nil {
		return fmt.Errorf("encode envelope: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		return fmt.Errorf("write to parent: %w", err)
	}
	return nil
}

// CheckHelper reports whether the process was started as a helper, without
// using the pipe; a store's get step calls it before reading the store.
func CheckHelper(name string) error {
	_, err := helperFD(name)
	return err
}

// helperFD returns the descriptor to write to: the one the variable EnvFD
// names, when it is a Unix stream socket whose peer is the process that
// started this one (the socket pair's creator, SO_PEERCRED) and not this
// process's stdout or stderr. Pipes, FIFOs, files and sockets of any other
// process are refused, so no shell redirection makes a helper print.
func helperFD(name string) (int, error) {
	refuse := fmt.Errorf("%w: %s never prints secret values; rotation binaries start it as a helper and read the value from a socket they made for it", core.ErrUsage, name)
	s := os.Getenv(EnvFD)
	fd, err := strconv.Atoi(s)
	if s == "" || err != nil || fd < 3 {
		return 0, refuse
	}
	var st syscall.Stat_t
	if syscall.Fstat(fd, &st) != nil || st.Mode&syscall.S_IFMT != syscall.S_IFSOCK || sameFile(&st, 1) || sameFile(&st, 2) {
		return 0, refuse
	}
	domain, err1 := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_DOMAIN)
	typ, err2 := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_TYPE)
	peer, err3 := syscall.GetsockoptUcred(fd, syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	if err1 != nil || err2 != nil || err3 != nil || domain != syscall.AF_UNIX || typ != syscall.SOCK_STREAM || int(peer.Pid) != os.Getppid() {
		return 0, refuse
	}
	return fd, nil
}

// sameFile reports whether descriptor fd is the file st describes.
func sameFile(st *syscall.Stat_t, fd int) bool {
	var o syscall.Stat_t
	return syscall.Fstat(fd, &o) == nil && o.Dev == st.Dev && o.Ino == st.Ino
}

package handoff

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"syscall"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// Serve writes one envelope to the parent's private pipe. It refuses, with
// ErrUsage, unless the process was started as a helper: ROTATE_HELPER_FD set
// by the parent and naming a pipe that is not this process's stdout or
// stderr. So "vault-get" typed into a flow prints nothing secret.
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
	f := os.NewFile(uintptr(fd), "helper-pipe")
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

func helperFD(name string) (int, error) {
	refuse := fmt.Errorf("%w: %s never prints secret values; rotation binaries start it as a helper and read the value from a private pipe", core.ErrUsage, name)
	s := os.Getenv(EnvFD)
	fd, err := strconv.Atoi(s)
	if s == "" || err != nil || fd < 3 {
		return 0, refuse
	}
	var st, out, errOut syscall.Stat_t
	if syscall.Fstat(fd, &st) != nil || st.Mode&syscall.S_IFMT != syscall.S_IFIFO {
		return 0, refuse
	}
	for _, std := range []struct {
		fd int
		st *syscall.Stat_t
	}{{1, &out}, {2, &errOut}} {
		if syscall.Fstat(std.fd, std.st) == nil && std.st.Dev == st.Dev && std.st.Ino == st.Ino {
			return 0, refuse
		}
	}
	return fd, nil
}

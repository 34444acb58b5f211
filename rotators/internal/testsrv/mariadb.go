package testsrv

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// MariaDB is a running throw-away MariaDB server (Debian's mariadb-server)
// listening on Host:Port, with a root account that needs a password over TCP
// and the general query log on, so tests can read what the server logged.
type MariaDB struct {
	Host          string // always 127.0.0.1
	Port          int
	AdminUser     string // root
	AdminPassword string // random
	GeneralLog    string // path of the general query log
	CAFile        string // StartMariaDBTLS only: the CA that signed the server's certificate

	process
}

const mariadbStartTimeout = 90 * time.Second

// mariadbBinary finds a MariaDB program: in $ROTATE_TEST_MARIADB_BIN if set,
// else on PATH, else in /usr/sbin or /usr/bin (Debian's mariadb-server puts
// mariadbd in the first and mariadb-install-db in the second).
func mariadbBinary(name string) (string, error) {
	dirs := []string{"/usr/sbin", "/usr/bin"}
	if d := os.Getenv("ROTATE_TEST_MARIADB_BIN"); d != "" {
		dirs = []string{d}
	} else if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, d := range dirs {
		if p := filepath.Join(d, name); fileExists(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found (set ROTATE_TEST_MARIADB_BIN or run scripts/install-deps.sh)", name)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// StartMariaDB initialises a data directory in a temp dir and starts
// mariadbd on a free loopback port; as root, both run as the mysql OS user
// (the temp dir is made 0755 so that user can traverse it). ctx bounds the
// startup only; the server runs until Stop.
func StartMariaDB(ctx context.Context) (*MariaDB, error) { return startMariaDB(ctx, false) }

// StartMariaDBTLS is StartMariaDB with TLS on, with a certificate for the
// loopback names signed by a throw-away CA, whose PEM file is m.CAFile.
// Clients may still connect without TLS.
func StartMariaDBTLS(ctx context.Context) (*MariaDB, error) { return startMariaDB(ctx, true) }

func startMariaDB(ctx context.Context, withTLS bool) (m *MariaDB, err error) {
	server, err := mariadbBinary("mariadbd")
	if err != nil {
		return nil, fmt.Errorf("start mariadb: %w", err)
	}
	installer, err := mariadbBinary("mariadb-install-db")
	if err != nil {
		return nil, fmt.Errorf("start mariadb: %w", err)
	}
	cred, err := osUserCredential("mysql")
	if err != nil {
		return nil, fmt.Errorf("start mariadb: %w", err)
	}
	port, err := FreePort()
	if err != nil {
		return nil, fmt.Errorf("start mariadb: %w", err)
	}
	dir, err := os.MkdirTemp("", "testsrv-mariadb-")
	if err != nil {
		return nil, fmt.Errorf("start mariadb: %w", err)
	}
	m = &MariaDB{Host: "127.0.0.1", Port: port, AdminUser: "root", AdminPassword: randomHex(16), process: process{dir: dir},
		GeneralLog: filepath.Join(dir, "run", "general.log")}
	defer func() {
		if err != nil {
			m.Stop()
			m, err = nil, fmt.Errorf("start mariadb: %w", err)
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, mariadbStartTimeout)
	defer cancel()
	data, run := filepath.Join(dir, "data"), filepath.Join(dir, "run")
	if err := prepareServerDirs(dir, cred, data, run); err != nil {
		return m, err
	}
	if err := installDB(ctx, installer, dir, data, cred); err != nil {
		return m, err
	}
	args := []string{"--no-defaults", "--datadir=" + data,
		"--socket=" + filepath.Join(run, "sock"), "--pid-file=" + filepath.Join(run, "pid"), "--port=" + strconv.Itoa(port),
		"--bind-address=127.0.0.1", "--skip-name-resolve", "--skip-log-bin", "--innodb-flush-log-at-trx-commit=0",
		"--innodb-buffer-pool-size=64M", "--general-log=1", "--general-log-file=" + m.GeneralLog, "--max-connections=500"}
	if withTLS {
		st, err := writeServerTLS(run, cred)
		if err != nil {
			return m, err
		}
		m.CAFile = st.caFile
		args = append(args, "--ssl-cert="+st.certFile, "--ssl-key="+st.keyFile)
	}
	cmd := exec.Command(server, args...)
	cmd.Dir = dir
	if m.proc, err = startProc(cmd, filepath.Join(dir, "mariadb.log"), cred); err != nil {
		return m, err
	}
	if err := m.proc.waitFor(ctx, "mariadb", mariadbStartTimeout, func() error { return m.ping(ctx, "") }); err != nil {
		return m, err
	}
	return m, m.setRootPassword(ctx)
}

// installDB creates the system tables in data, with a root account that
// has no password yet (setRootPassword gives it one).
func installDB(ctx context.Context, installer, dir, data string, cred *syscall.Credential) error {
	cmd := exec.CommandContext(ctx, installer, "--no-defaults", "--datadir="+data,
		"--auth-root-authentication-method=normal", "--skip-test-db", "--skip-name-resolve")
	cmd.Dir, cmd.Env = dir, append(os.Environ(), "HOME="+dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL, Credential: cred}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("mariadb-install-db: %w\n%s", err, out)
	}
	return nil
}

// osUserCredential returns the credential of an OS user when running as
// root, and nil (run as ourselves) otherwise.
func osUserCredential(name string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("running as root needs the %s OS user (install the server's Debian package): %w", name, err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("%s uid: %w", name, err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("%s gid: %w", name, err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// prepareServerDirs makes dir traversable and creates dirs owned by cred's user.
func prepareServerDirs(dir string, cred *syscall.Credential, dirs ...string) error {
	if err := os.Chmod(dir, 0o755); err != nil {
		return fmt.Errorf("chmod temp dir: %w", err)
	}
	for _, d := range dirs {
		if err := os.Mkdir(d, 0o700); err != nil {
			return fmt.Errorf("mkdir: %w", err)
		}
		if cred != nil {
			if err := os.Chown(d, int(cred.Uid), int(cred.Gid)); err != nil {
				return fmt.Errorf("chown: %w", err)
			}
		}
	}
	return nil
}

// Config returns a driver config for user and password over TCP.
func (m *MariaDB) Config(user, password string) *mysql.Config {
	c := mysql.NewConfig()
	c.User, c.Passwd, c.Net, c.Addr = user, password, "tcp", fmt.Sprintf("%s:%d", m.Host, m.Port)
	c.Timeout = 5 * time.Second
	return c
}

func (m *MariaDB) ping(ctx context.Context, password string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	conn, err := mysql.NewConnector(m.Config(m.AdminUser, password))
	if err != nil {
		return err
	}
	db := sql.OpenDB(conn)
	defer db.Close()
	return db.PingContext(ctx)
}

// setRootPassword gives every root account the random admin password.
func (m *MariaDB) setRootPassword(ctx context.Context) error {
	conn, err := mysql.NewConnector(m.Config(m.AdminUser, ""))
	if err != nil {
		return err
	}
	db := sql.OpenDB(conn)
	defer db.Close()
	for _, host := range []string{"127.0.0.1", "::1", "localhost"} {
		q := fmt.Sprintf("ALTER USER 'root'@'%s' IDENTIFIED BY '%s'", host, m.AdminPassword) // hex: no quoting needed
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("set root password: %w", err)
		}
	}
	return nil
}

// AdminExec runs statements as root and fails the test if one fails.
func (m *MariaDB) AdminExec(t testing.TB, stmts ...string) {
	t.Helper()
	db := m.AdminDB(t)
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			t.Fatalf("mariadb admin exec: %v", err)
		}
	}
}

// AdminDB opens a connection pool as root; the caller closes it.
func (m *MariaDB) AdminDB(t testing.TB) *sql.DB {
	t.Helper()
	conn, err := mysql.NewConnector(m.Config(m.AdminUser, m.AdminPassword))
	if err != nil {
		t.Fatalf("mariadb config: %v", err)
	}
	return sql.OpenDB(conn)
}

// Stop shuts the server down (SIGTERM, then SIGKILL after a grace) and
// removes the temp dir. It is safe to call more than once and on a nil *MariaDB.
func (m *MariaDB) Stop() {
	if m != nil {
		m.shutdown(syscall.SIGTERM, 15*time.Second)
	}
}

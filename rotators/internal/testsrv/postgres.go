package testsrv

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Postgres is a running throw-away PostgreSQL cluster listening on
// Host:Port with password (scram-sha-256) authentication over TCP.
type Postgres struct {
	Host          string // always 127.0.0.1
	Port          int
	AdminUser     string // superuser, "postgres"
	AdminPassword string // random
	CAFile        string // StartPostgresTLS only: the CA that signed the server's certificate

	process
}

// pgStartTimeout bounds initdb plus the wait for the first connection.
const pgStartTimeout = 60 * time.Second

// PGBin returns the directory holding initdb and postgres: $ROTATE_TEST_PGBIN,
// else /usr/lib/postgresql/15/bin (Debian's postgresql-15).
func PGBin() string {
	if d := os.Getenv("ROTATE_TEST_PGBIN"); d != "" {
		return d
	}
	return "/usr/lib/postgresql/15/bin"
}

// StartPostgres runs initdb in a temp dir and starts postgres on a free
// loopback port, then waits until the admin user can connect. initdb and
// postgres refuse to run as root, so as root they run as the "postgres" OS
// user. ctx bounds the startup only; the server runs until Stop.
func StartPostgres(ctx context.Context) (*Postgres, error) { return startPostgres(ctx, false) }

// StartPostgresTLS is StartPostgres with ssl=on and a certificate for the
// loopback names signed by a throw-away CA, whose PEM file is p.CAFile.
// Clients may still connect without TLS.
func StartPostgresTLS(ctx context.Context) (*Postgres, error) { return startPostgres(ctx, true) }

func startPostgres(ctx context.Context, withTLS bool) (p *Postgres, err error) {
	bin := PGBin()
	if _, err := os.Stat(filepath.Join(bin, "initdb")); err != nil {
		return nil, fmt.Errorf("start postgres: initdb not found (set ROTATE_TEST_PGBIN or run scripts/install-deps.sh): %w", err)
	}
	cred, err := pgCredential()
	if err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	port, err := FreePort()
	if err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	dir, err := os.MkdirTemp("", "testsrv-pg-")
	if err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	p = &Postgres{Host: "127.0.0.1", Port: port, AdminUser: "postgres", AdminPassword: randomHex(16), process: process{dir: dir}}
	defer func() {
		if err != nil {
			p.Stop()
			p, err = nil, fmt.Errorf("start postgres: %w", err)
		}
	}()
	data, sock, pwfile := filepath.Join(dir, "data"), filepath.Join(dir, "sock"), filepath.Join(dir, "pw")
	if err := preparePGDir(dir, data, sock, pwfile, p.AdminPassword, cred); err != nil {
		return p, err
	}
	ctx, cancel := context.WithTimeout(ctx, pgStartTimeout)
	defer cancel()
	initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), "-D", data, "-U", p.AdminUser,
		"--pwfile="+pwfile, "--auth-local=trust", "--auth-host=scram-sha-256",
		"--locale=C", "--encoding=UTF8", "--no-sync", "--no-instructions")
	initdb.Dir = dir
	initdb.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL, Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		return p, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	_ = os.Remove(pwfile)
	args := []string{"-D", data, "-p", strconv.Itoa(port), "-k", sock,
		"-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
		"-c", "full_page_writes=off"}
	if withTLS {
		st, err := writeServerTLS(dir, cred)
		if err != nil {
			return p, err
		}
		p.CAFile = st.caFile
		args = append(args, "-c", "ssl=on", "-c", "ssl_cert_file="+st.certFile, "-c", "ssl_key_file="+st.keyFile)
	}
	cmd := exec.Command(filepath.Join(bin, "postgres"), args...)
	cmd.Dir = dir
	if p.proc, err = startProc(cmd, filepath.Join(dir, "postgres.log"), cred); err != nil {
		return p, err
	}
	return p, p.proc.waitFor(ctx, "postgres", pgStartTimeout, func() error {
		return p.ping(ctx)
	})
}

// pgCredential returns the postgres OS user's credential when running as
// root, and nil (run as ourselves) otherwise.
func pgCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root needs the postgres OS user (install postgresql-15): %w", err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("postgres uid: %w", err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("postgres gid: %w", err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// preparePGDir creates the data and socket dirs and the password file, owned
// by cred's user when cred is set; dir itself must be traversable by them.
func preparePGDir(dir, data, sock, pwfile, password string, cred *syscall.Credential) error {
	if err := os.Chmod(dir, 0o755); err != nil {
		return fmt.Errorf("chmod temp dir: %w", err)
	}
	for _, d := range []string{data, sock} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return fmt.Errorf("mkdir: %w", err)
		}
	}
	if err := os.WriteFile(pwfile, []byte(password+"\n"), 0o600); err != nil {
		return fmt.Errorf("password file: %w", err)
	}
	if cred == nil {
		return nil
	}
	for _, f := range []string{data, sock, pwfile} {
		if err := os.Chown(f, int(cred.Uid), int(cred.Gid)); err != nil {
			return fmt.Errorf("chown: %w", err)
		}
	}
	return nil
}

// ping connects as the admin user over TCP.
func (p *Postgres) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, p.AdminDSN())
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	return conn.Close(ctx)
}

// AdminExec runs one statement as the superuser and fails the test if it
// fails: for setting up roles and breaking passwords behind a test's back.
func (p *Postgres) AdminExec(t testing.TB, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, p.AdminDSN())
	if err != nil {
		t.Fatalf("admin connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("admin exec: %v", err)
	}
}

// DSN returns a postgres:// URL for user and password on database db, with
// every part escaped and TLS disabled.
func (p *Postgres) DSN(user, password, db string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(user, password),
		Host:     net.JoinHostPort(p.Host, strconv.Itoa(p.Port)),
		Path:     "/" + db,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// AdminDSN returns the DSN of the admin user on the postgres database.
func (p *Postgres) AdminDSN() string {
	return p.DSN(p.AdminUser, p.AdminPassword, "postgres")
}

// Stop shuts the server down immediately (SIGQUIT, what `pg_ctl stop -m
// immediate` sends), kills what is left of its process group and removes the
// temp dir. It is safe to call more than once and on a nil *Postgres.
func (p *Postgres) Stop() {
	if p != nil {
		p.shutdown(syscall.SIGQUIT, 10*time.Second)
	}
}

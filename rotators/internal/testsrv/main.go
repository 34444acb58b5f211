package testsrv

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Needs says what a test package wants started once for all its tests.
type Needs struct {
	Bao      bool // an OpenBao dev server
	Postgres bool // a PostgreSQL cluster
	Binaries bool // the image's binaries built into Env.BinDir (BuildBinaries)
	Moto     bool // a moto server (AWS) with authentication on
	MariaDB  bool // a MariaDB server
	// MariaDBTLS: the MariaDB server also speaks TLS (StartMariaDBTLS), for
	// accounts that REQUIRE SSL; clients may still connect without it.
	MariaDBTLS bool
	Redis      bool // a Redis server with ACLs
	GCPSM      bool // the GCP Secret Manager test double (gRPC, in process)
	AzKV       bool // the Azure Key Vault test double (HTTPS, in process)
	Kube       bool // a Kubernetes control plane (StartKube)
}

// Env is what Main started; fields that were not needed stay zero.
type Env struct {
	Bao     *Bao
	PG      *Postgres
	Moto    *Moto
	MariaDB *MariaDB
	Redis   *Redis
	GCPSM   *GCPSM
	AzKV    *AzKV
	Kube    *Kube
	BinDir  string
	Root    string // the module root
}

// Main starts what needs asks for, runs the tests, stops everything and
// returns the exit code for os.Exit. Under -short it starts nothing.
func Main(m *testing.M, needs Needs, env *Env) int {
	flag.Parse()
	if testing.Short() {
		return m.Run()
	}
	stop, err := env.start(needs)
	defer stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "test servers:", err)
		return 1
	}
	return m.Run()
}

func (e *Env) start(needs Needs) (stop func(), err error) {
	var stops []func()
	stop = func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if e.Root, err = RepoRoot(); err != nil {
		return stop, err
	}
	if needs.Binaries {
		dir, err := os.MkdirTemp("", "rotation-bin-")
		if err != nil {
			return stop, err
		}
		stops = append(stops, func() { os.RemoveAll(dir) })
		if err := BuildBinaries(e.Root, dir); err != nil {
			return stop, err
		}
		e.BinDir = dir
	}
	for _, srv := range e.servers(needs) {
		if !srv.want {
			continue
		}
		stopper, err := srv.start(ctx)
		if err != nil {
			return stop, err
		}
		stops = append(stops, stopper.Stop)
	}
	return stop, nil
}

// servers lists what Main can start, in start order; each start records
// its server in e. Add a server here and a field in Needs and Env.
func (e *Env) servers(needs Needs) []struct {
	want  bool
	start func(context.Context) (interface{ Stop() }, error)
} {
	return []struct {
		want  bool
		start func(context.Context) (interface{ Stop() }, error)
	}{
		{needs.Bao, func(ctx context.Context) (s interface{ Stop() }, err error) {
			e.Bao, err = StartBao(ctx)
			return e.Bao, err
		}},
		{needs.Postgres, func(ctx context.Context) (s interface{ Stop() }, err error) {
			e.PG, err = StartPostgres(ctx)
			return e.PG, err
		}},
		{needs.Moto, func(ctx context.Context) (s interface{ Stop() }, err error) {
			e.Moto, err = StartMoto(ctx)
			return e.Moto, err
		}},
		{needs.MariaDB, func(ctx context.Context) (s interface{ Stop() }, err error) {
			if needs.MariaDBTLS {
				e.MariaDB, err = StartMariaDBTLS(ctx)
			} else {
				e.MariaDB, err = StartMariaDB(ctx)
			}
			return e.MariaDB, err
		}},
		{needs.Redis, func(ctx context.Context) (s interface{ Stop() }, err error) {
			e.Redis, err = StartRedis(ctx)
			return e.Redis, err
		}},
		{needs.GCPSM, func(ctx context.Context) (s interface{ Stop() }, err error) {
			e.GCPSM, err = StartGCPSM(ctx)
			return e.GCPSM, err
		}},
		{needs.AzKV, func(ctx context.Context) (s interface{ Stop() }, err error) {
			e.AzKV, err = StartAzKV(ctx)
			return e.AzKV, err
		}},
		{needs.Kube, func(ctx context.Context) (s interface{ Stop() }, err error) {
			e.Kube, err = StartKube(ctx)
			return e.Kube, err
		}},
	}
}

// BuildBinaries builds into dir what the image ships, as docker/build.sh
// lays it out: the dispatcher cmd/rotation-pack and the family binaries
// cmd/rotation-pack-<family>, with every command a symbolic link to its
// family's binary, so that the suites run the binaries users run. The
// commands are those the dispatcher lists (rotation-pack --help).
func BuildBinaries(moduleRoot, dir string) error {
	ents, err := os.ReadDir(filepath.Join(moduleRoot, "cmd"))
	if err != nil {
		return err
	}
	args := []string{"build", "-o", dir + string(filepath.Separator)}
	for _, e := range ents {
		if n := e.Name(); n == "rotation-pack" || strings.HasPrefix(n, "rotation-pack-") {
			args = append(args, "./cmd/"+n)
		}
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = moduleRoot
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return linkCommands(dir)
}

// linkCommands links each command that rotation-pack --help lists in dir
// to the family binary that runs it.
func linkCommands(dir string) error {
	n := 0
	fams, err := filepath.Glob(filepath.Join(dir, "rotation-pack-*"))
	if err != nil {
		return err
	}
	for _, f := range fams {
		out, err := exec.Command(f, "--help").Output()
		if err != nil {
			return fmt.Errorf("%s --help: %w", filepath.Base(f), err)
		}
		_, list, _ := strings.Cut(string(out), "\nCommands:\n")
		for _, l := range strings.Split(list, "\n") {
			name, _, _ := strings.Cut(strings.TrimSpace(l), " ")
			if name == "" {
				continue
			}
			if err := os.Symlink(filepath.Base(f), filepath.Join(dir, name)); err != nil {
				return err
			}
			n++
		}
	}
	if n == 0 {
		return fmt.Errorf("no commands listed by the family binaries in %s", dir)
	}
	return nil
}

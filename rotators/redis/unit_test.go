package redis

import (
	"errors"
	"net"
	"strconv"
	"testing"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/step"
)

func TestParseClientList(t *testing.T) {
	list := "id=6 addr=127.0.0.1:46138 laddr=127.0.0.1:16379 fd=7 name= age=12 idle=0 flags=N db=0 cmd=client|list user=app redir=-1 resp=2\n" +
		"id=7 addr=127.0.0.1:46140 laddr=127.0.0.1:16379 fd=8 name=x age=0 user=default\n"
	got := parseClientList(list)
	if len(got) != 2 || got[0]["user"] != "app" || got[0]["age"] != "12" || got[0]["addr"] != "127.0.0.1:46138" || got[1]["name"] != "x" {
		t.Errorf("got %v", got)
	}
}

func TestHash(t *testing.T) {
	// ACL GETUSER lists this for >p1.
	if got, want := hash("p1"), "f64551fcd6f07823cb87971cfb91446425da18286b3ab1ef935e0cbd7a69f68a"; got != want {
		t.Errorf("hash(p1) = %s, want %s", got, want)
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		msg  string
		want error
	}{
		{"WRONGPASS invalid username-password pair or user is disabled.", core.ErrRejected},
		{"NOPERM User rotator has no permissions to run the 'acl|setuser' command", core.ErrDenied},
		{"LOADING Redis is loading the dataset in memory", core.ErrUnavailable},
	}
	for _, tc := range tests {
		if got := classify(errors.New(tc.msg)); !errors.Is(got, tc.want) {
			t.Errorf("classify(%q) = %v, want %v", tc.msg, got, tc.want)
		}
	}
}

func TestDescribeUsesRedisURL(t *testing.T) {
	tg, err := Open(t.Context(), step.Flags{})
	if err != nil {
		t.Fatal(err)
	}
	v := core.Value{}.With("username", "app")
	if got := tg.Describe(v); got != `redis user "app" at 127.0.0.1:6379` {
		t.Errorf("got %q", got)
	}
	t.Setenv("REDIS_URL", "rediss://admin:s3cret@cache.example:6380/2")
	tg, err = Open(t.Context(), step.Flags{})
	if err != nil {
		t.Fatal(err)
	}
	if got := tg.Describe(v); got != `redis user "app" at cache.example:6380` {
		t.Errorf("got %q", got)
	}
}

func TestConnectRefusedIsUnavailable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().(*net.TCPAddr)
	l.Close() // nothing listens there now
	creds := core.Value{}.With("host", "127.0.0.1").With("port", strconv.Itoa(addr.Port)).With("username", "app").With("password", "x")
	if err := (Target{}).Check(t.Context(), creds); !errors.Is(err, core.ErrUnavailable) {
		t.Errorf("got %v, want ErrUnavailable", err)
	}
}

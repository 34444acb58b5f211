package kestraengine

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/hashicorp/vault/api"
	"github.com/jackc/pgx/v5"

	"github.com/kestra-rotation/rotation-pack/rotators/awssm/awssmtest"
	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
	"github.com/kestra-rotation/rotation-pack/rotators/vault/vaulttest"
)

// fleet is a set of secrets in Vault and Secrets Manager, half PostgreSQL
// roles and half Redis ACL users, opted in to unattended rotation by tags,
// with one admin credential per store and target.
type fleet struct {
	vc      *api.Client
	sm      *secretsmanager.Client
	folder  string // Vault: secret/<folder>
	awsName string // Secrets Manager: names start with it
	admins  map[string]string
	secrets []*member
	seen    []string
}

// member is one secret of the fleet and what the test expects of it.
type member struct {
	ref, store, target, user, initial string
	optOut, planted, stuck, running   bool
}

func (m *member) value(password string) core.Value {
	if m.target == "postgres" {
		return pgValue(m.user, password, env.PG.Port)
	}
	return redisValue(m.user, password)
}

func redisValue(user, password string) core.Value {
	return core.Value{}.With("engine", "redis").With("host", "127.0.0.1").With("port", strconv.Itoa(env.Redis.Port)).
		With("username", user).With("password", password)
}

// newFleet creates n secrets, alternating stores and targets. Secret 0 is
// not opted in; secret 1 (Secrets Manager) names a Redis admin credential
// with a wrong password, so its deploy fails.
func newFleet(t *testing.T, n int) *fleet {
	t.Helper()
	id := conformance.RandomID("")
	f := &fleet{vc: vaulttest.Client(t, env.Bao.Addr, env.Bao.Token),
		sm:     secretsmanager.NewFromConfig(env.Moto.AWSConfig(env.Moto.AdminKeyID, env.Moto.AdminSecret)),
		folder: prefix + "fleet-" + id + "/", awsName: awssmtest.Prefix + "kengine-fleet-" + id + "/", admins: map[string]string{}}
	pgAdmin, pgPW := "rotator_"+conformance.RandomID(""), conformance.RandomID("admin-")
	env.PG.AdminExec(t, fmt.Sprintf("CREATE ROLE %s LOGIN CREATEROLE PASSWORD '%s'", pgAdmin, pgPW))
	rdAdmin, rdPW := "rotator_"+conformance.RandomID(""), conformance.RandomID("admin-")
	env.Redis.AdminDo(t, "ACL", "SETUSER", rdAdmin, "on", ">"+rdPW, "-@all", "+acl|setuser", "+acl|getuser",
		"+acl|save", "+client|list", "+client|id", "+ping", "+time")
	wrong := conformance.RandomID("wrong-")
	f.seen = []string{pgPW, rdPW, wrong, env.PG.AdminPassword, env.Redis.AdminPassword, env.Bao.Token, flowToken, awsSecret, env.Moto.AdminSecret}
	for _, st := range []string{"vault", "awssm"} {
		f.admins[st+"/postgres"] = f.put(t, st, "admin-"+id+"/postgres", nil, pgValue(pgAdmin, pgPW, env.PG.Port))
		f.admins[st+"/redis"] = f.put(t, st, "admin-"+id+"/redis", nil, redisValue(rdAdmin, rdPW))
	}
	f.admins["awssm/redis-wrong"] = f.put(t, "awssm", "admin-"+id+"/redis-wrong", nil, redisValue(rdAdmin, wrong))
	for i := range n {
		m := &member{store: []string{"vault", "awssm"}[i%2], target: []string{"postgres", "postgres", "redis", "redis"}[i%4],
			user: "app_" + conformance.RandomID(""), initial: conformance.RandomID("initial-"), optOut: i == 0, planted: i == 3}
		if m.target == "postgres" {
			env.PG.AdminExec(t, fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD '%s'", pgx.Identifier{m.user}.Sanitize(), m.initial))
		} else {
			env.Redis.AdminDo(t, "ACL", "SETUSER", m.user, "on", ">"+m.initial, "~app:*", "-@all", "+ping", "+get")
		}
		tags := map[string]string{"rotation-auto": "true", "rotation-target": m.target,
			"rotation-admin": f.admins[m.store+"/"+m.target], "rotation-strategy": map[string]string{"postgres": "single", "redis": "dual"}[m.target]}
		if m.optOut {
			delete(tags, "rotation-auto")
		}
		if m.planted {
			tags["rotation-admin"] = f.admins["awssm/redis-wrong"]
		}
		m.ref = f.put(t, m.store, fmt.Sprintf("s-%03d", i), tags, m.value(m.initial))
		f.secrets = append(f.secrets, m)
		f.seen = append(f.seen, m.initial)
	}
	return f
}

// put writes a secret with tags (Vault custom_metadata, AWS tags) and
// returns its reference.
func (f *fleet) put(t *testing.T, store, name string, tags map[string]string, v core.Value) string {
	t.Helper()
	if store == "vault" {
		path := f.folder + name
		if strings.HasPrefix(name, "admin-") {
			// where the documented policy lets the rotation read it, outside the listed folder
			path = "rotation-admin/" + path
		}
		ref := vaulttest.Put(t, f.vc, path, v).String()
		if tags != nil {
			md := map[string]any{}
			for k, v := range tags {
				md[k] = v
			}
			if err := f.vc.KVv2("secret").PatchMetadata(context.Background(), path, api.KVMetadataPatchInput{CustomMetadata: md}); err != nil {
				t.Fatal(err)
			}
		}
		return ref
	}
	b, err := json.Marshal(v.Map())
	if err != nil {
		t.Fatal(err)
	}
	in := &secretsmanager.CreateSecretInput{Name: aws.String(f.awsName + name), SecretString: aws.String(string(b))}
	for k, v := range tags {
		in.Tags = append(in.Tags, smtypes.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	if _, err := f.sm.CreateSecret(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	return "awssm://" + f.awsName + name
}

// stage leaves a PENDING of rotation on m, as a rotation whose execution
// died after staging would.
func (f *fleet) stage(t *testing.T, m *member, rotation string) {
	t.Helper()
	cmd := exec.Command(filepath.Join(env.BinDir, "vault-stage"), "--secret", m.ref, "--rotation", rotation)
	cmd.Env = []string{"VAULT_ADDR=" + env.Bao.Addr, "VAULT_TOKEN=" + env.Bao.Token, "PATH=" + os.Getenv("PATH")}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("vault-stage %s: %v\n%s", m.ref, err, out)
	}
}

// current reads m's CURRENT password from its store, as applications do.
func (f *fleet) current(t *testing.T, m *member) string {
	t.Helper()
	var v struct{ Password string }
	if m.store == "vault" {
		s, err := f.vc.KVv2("secret").Get(context.Background(), m.ref[len("vault://secret/"):])
		if err != nil {
			t.Fatal(err)
		}
		v.Password, _ = s.Data["password"].(string)
		return v.Password
	}
	out, err := f.sm.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(m.ref[len("awssm://"):]),
		VersionStage: aws.String("AWSCURRENT")})
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(aws.ToString(out.SecretString)), &v); err != nil {
		t.Fatal(err)
	}
	return v.Password
}

// hasPending reports whether a Vault secret still has a PENDING entry.
func (f *fleet) hasPending(t *testing.T, m *member) bool {
	t.Helper()
	_, err := f.vc.KVv2("secret").GetMetadata(context.Background(), "_pending/"+m.ref[len("vault://secret/"):])
	return err == nil
}

func (m *member) logsIn(password string) bool {
	if m.target == "postgres" {
		return (&pgFixture{user: m.user}).logsIn(password)
	}
	return redisLogsIn(m.user, password)
}

// inputs are the fleet flows' inputs for this fleet.
func (f *fleet) inputs(parallelism int) map[string]string {
	return map[string]string{"vault": "list", "vault_prefix": "vault://secret/" + f.folder, "awssm": "list",
		"awssm_prefix": "awssm://" + f.awsName + "s-", "max_age": "1s", "parallelism": strconv.Itoa(parallelism), "stuck_after": "20s"}
}

// summary is the summary task's outputs.
type summary struct {
	Rotated []struct{ Secret, Execution string }
	Failed  []struct {
		Secret, Execution, Step string
		ExitCode                string `json:"exit_code"`
	}
	StillOverdue                                                  []string `json:"still_overdue"`
	RotatedCount, FailedCount, SkippedCount, OverdueCount, NotRun int
}

func (x *execution) summary(t *testing.T) summary {
	t.Helper()
	tr := x.task("summary")
	if tr == nil {
		t.Fatalf("no summary task\n%s", x)
	}
	b, err := json.Marshal(tr.Outputs["vars"])
	if err != nil {
		t.Fatal(err)
	}
	var s summary
	var counts struct {
		R int `json:"rotated_count"`
		F int `json:"failed_count"`
		S int `json:"skipped_count"`
		O int `json:"still_overdue_count"`
		N int `json:"not_run_count"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &counts); err != nil {
		t.Fatal(err)
	}
	s.RotatedCount, s.FailedCount, s.SkippedCount, s.OverdueCount, s.NotRun = counts.R, counts.F, counts.S, counts.O, counts.N
	return s
}

// children returns the rotate-secret executions the fleet flow started.
func (x *execution) children() []*execution {
	var out []*execution
	for _, tr := range x.TaskRuns {
		if tr.Child != nil {
			out = append(out, tr.Child)
		}
	}
	return out
}

func (x *execution) label(key string) string {
	for _, l := range x.Labels {
		if l.Key == key {
			return l.Value
		}
	}
	return ""
}

// waitAtLeast sleeps until d has passed since start.
func waitAtLeast(start time.Time, d time.Duration) {
	if left := d - time.Since(start); left > 0 {
		time.Sleep(left)
	}
}

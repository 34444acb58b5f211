package flowrun_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/jackc/pgx/v5"

	"github.com/kestra-rotation/rotation-pack/rotators/awssm/awssmtest"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/flowrun"
)

// TestIAMKeyFlowValidationFailureRollsBack deletes the new key behind the
// flow's back before validate: validate refuses, rollback discards
// AWSPENDING, and the old key is still CURRENT and works.
func TestIAMKeyFlowValidationFailureRollsBack(t *testing.T) {
	needServers(t)
	f := newAWSFixture(t, "aws-iam-access-key-awssm.yaml")
	old := f.newIAMUser(t)
	user, _ := old.String("username")
	e := f.run(t, func(task string) {
		if task != "validate" {
			return
		}
		pend, _, ok := f.stage(t, "AWSPENDING")
		id, _ := pend.String("access_key_id")
		if !ok || id == "" {
			t.Fatalf("no PENDING key before validate")
		}
		if _, err := f.ic.DeleteAccessKey(context.Background(), &iam.DeleteAccessKeyInput{UserName: aws.String(user), AccessKeyId: aws.String(id)}); err != nil {
			t.Fatal(err)
		}
	}, dryRun(false))
	if e.State != flowrun.Failed {
		t.Fatalf("execution %s, want FAILED", e.State)
	}
	wantTask(t, e, "validate", 4)
	wantTask(t, e, "rollback", 0)
	if e.TaskRun("promote") != nil {
		t.Error("promote ran after a failed validation")
	}
	if cur, _, _ := f.stage(t, "AWSCURRENT"); !cur.Equal(old) {
		t.Error("AWSCURRENT changed")
	}
	if f.pendingLeft(t) {
		t.Error("AWSPENDING left after rollback")
	}
	if err := stsLogin(old); err != nil {
		t.Errorf("the CURRENT key no longer works after rollback: %v", err)
	}
	f.checkLeaks(t, e)
}

// TestIAMKeyFlowDryRun changes nothing and succeeds.
func TestIAMKeyFlowDryRun(t *testing.T) {
	needServers(t)
	f := newAWSFixture(t, "aws-iam-access-key-awssm.yaml")
	old := f.newIAMUser(t)
	user, _ := old.String("username")
	e := f.run(t, nil, dryRun(true))
	if e.State != flowrun.Success {
		t.Fatalf("execution %s, want SUCCESS", e.State)
	}
	if cur, _, _ := f.stage(t, "AWSCURRENT"); !cur.Equal(old) || f.pendingLeft(t) {
		t.Error("a dry run changed the secret")
	}
	keys, err := f.ic.ListAccessKeys(context.Background(), &iam.ListAccessKeysInput{UserName: aws.String(user)})
	if err != nil || len(keys.AccessKeyMetadata) != 1 {
		t.Errorf("a dry run changed the user's keys: %v", err)
	}
	f.checkLeaks(t, e)
}

// TestPostgresAWSSMFlow runs flows/postgres-password-awssm.yaml end to end,
// then again with validation made to fail, which rolls back.
func TestPostgresAWSSMFlow(t *testing.T) {
	needServers(t)
	for _, breakIt := range []bool{false, true} {
		t.Run(fmt.Sprintf("validation_broken=%v", breakIt), func(t *testing.T) {
			f := newAWSFixture(t, "postgres-password-awssm.yaml")
			user := "app_" + conformance.RandomID("")
			pw, adminUser, adminPW := conformance.RandomID("initial-"), "rotator_"+conformance.RandomID(""), conformance.RandomID("admin-")
			env.PG.AdminExec(t, fmt.Sprintf("CREATE ROLE %s LOGIN CREATEROLE PASSWORD '%s'", adminUser, adminPW))
			env.PG.AdminExec(t, fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD '%s'", user, pw))
			initial := dbValue(user, pw)
			f.seen.see(pw, adminPW, env.PG.AdminPassword)
			f.secretRef = awssmtest.Create(t, f.sm, f.name, initial).String()
			admin := awssmtest.Create(t, f.sm, "rotation-admin/"+f.name, dbValue(adminUser, adminPW)).String()
			before := func(task string) {
				if breakIt && task == "validate" {
					env.PG.AdminExec(t, fmt.Sprintf("ALTER ROLE %s PASSWORD '%s'", pgx.Identifier{user}.Sanitize(), conformance.RandomID("broken-")))
				}
			}
			e := f.run(t, before, map[string]string{"admin_secret": admin, "strategy": "single", "dry_run": "false"})
			cur, _, _ := f.stage(t, "AWSCURRENT")
			if breakIt {
				wantTask(t, e, "validate", 4)
				wantTask(t, e, "rollback", 0)
				if e.State != flowrun.Failed || !cur.Equal(initial) || f.pendingLeft(t) {
					t.Errorf("after a failed validation: state %s, CURRENT unchanged %v, PENDING left %v", e.State, cur.Equal(initial), f.pendingLeft(t))
				}
			} else {
				for _, id := range allTasks {
					wantTask(t, e, id, 0)
				}
				if err := login(initial); err == nil {
					t.Error("the old password still logs in")
				}
			}
			if err := login(cur); err != nil {
				t.Errorf("CURRENT does not log in: %v", err)
			}
			f.checkLeaks(t, e)
		})
	}
}

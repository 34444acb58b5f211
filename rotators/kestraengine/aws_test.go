package kestraengine

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/jackc/pgx/v5"

	"github.com/kestra-rotation/rotation-pack/rotators/awssm/awssmtest"
	"github.com/kestra-rotation/rotation-pack/rotators/conformance"
)

// TestPostgresAWSSM runs flows/postgres-password-awssm.yaml in Kestra's
// engine against moto and PostgreSQL: a rotation, and a wrong admin secret
// through errors:.
func TestPostgresAWSSM(t *testing.T) {
	k := kestra(t)
	sm := secretsmanager.NewFromConfig(env.Moto.AWSConfig(env.Moto.AdminKeyID, env.Moto.AdminSecret))
	for _, tt := range []struct {
		name       string
		wrongAdmin bool
		wantState  string
		wantTasks  map[string]string
	}{
		{"single", false, "SUCCESS", map[string]string{"stage": "SUCCESS", "deploy": "SUCCESS", "validate": "SUCCESS",
			"promote": "SUCCESS", "revoke": "SUCCESS", "verify_old_refused": "SUCCESS"}},
		{"wrong admin secret, errors branch", true, "FAILED", map[string]string{"stage": "SUCCESS", "deploy": "FAILED", "rollback": "SUCCESS"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			user, initial := "app_"+conformance.RandomID(""), conformance.RandomID("initial-")
			adminUser, adminPW := "rotator_"+conformance.RandomID(""), conformance.RandomID("admin-")
			env.PG.AdminExec(t, fmt.Sprintf("CREATE ROLE %s LOGIN CREATEROLE PASSWORD '%s'", adminUser, adminPW))
			env.PG.AdminExec(t, fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD '%s'", pgx.Identifier{user}.Sanitize(), initial))
			storedAdminPW := adminPW
			if tt.wrongAdmin {
				storedAdminPW = conformance.RandomID("wrong-")
			}
			name := awssmtest.Prefix + "kengine-" + conformance.RandomID("")
			secretRef := awssmtest.Create(t, sm, name, pgValue(user, initial, env.PG.Port)).String()
			adminRef := awssmtest.Create(t, sm, name+"-admin", pgValue(adminUser, storedAdminPW, env.PG.Port)).String()
			x := k.run(t, "flows/postgres-password-awssm.yaml", nil, map[string]string{"secret": secretRef, "admin_secret": adminRef})
			x.check(t, "postgres-password-awssm ("+tt.name+")", tt.wantState, tt.wantTasks)
			out, err := sm.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(name), VersionStage: aws.String("AWSCURRENT")})
			if err != nil {
				t.Fatal(err)
			}
			var cur struct{ Password string }
			if err := json.Unmarshal([]byte(aws.ToString(out.SecretString)), &cur); err != nil {
				t.Fatal(err)
			}
			f := &pgFixture{user: user}
			if tt.wrongAdmin {
				if cur.Password != initial || !f.logsIn(initial) {
					t.Errorf("want AWSCURRENT and PostgreSQL unchanged")
				}
			} else if cur.Password == initial || !f.logsIn(cur.Password) || f.logsIn(initial) {
				t.Errorf("want a new AWSCURRENT that logs in and the old password refused: changed %v, new logs in %v, old logs in %v", cur.Password != initial, f.logsIn(cur.Password), f.logsIn(initial))
			}
			scan(t, x, []string{initial, adminPW, storedAdminPW, cur.Password, env.PG.AdminPassword, awsSecret, env.Moto.AdminSecret, flowToken})
		})
	}
}

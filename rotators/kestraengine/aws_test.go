package kestraengine

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/kestra-rotation/rotation-pack/rotators/awssm/awssmtest"
	"github.com/kestra-rotation/rotation-pack/rotators/conformance"
)

// TestPostgresAWSSM runs flows/postgres-password-awssm.yaml in Kestra's
// engine against moto and PostgreSQL.
func TestPostgresAWSSM(t *testing.T) {
	k := kestra(t)
	sm := secretsmanager.NewFromConfig(env.Moto.AWSConfig(env.Moto.AdminKeyID, env.Moto.AdminSecret))
	for _, tt := range storeCases {
		t.Run(tt.name, func(t *testing.T) {
			a := newPGAccount(t, tt.wrongAdmin)
			name := awssmtest.Prefix + "kengine-" + conformance.RandomID("")
			secretRef := awssmtest.Create(t, sm, name, pgValue(a.user, a.initial, env.PG.Port)).String()
			adminRef := awssmtest.Create(t, sm, name+"-admin", pgValue(a.adminUser, a.storedAdminPW, env.PG.Port)).String()
			x := k.run(t, "flows/postgres-password-awssm.yaml", nil, map[string]string{"secret": secretRef, "admin_secret": adminRef})
			x.check(t, "postgres-password-awssm ("+tt.name+")", tt.wantState, tt.wantTasks)
			// moto answers an old version unless the stage is named
			out, err := sm.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(name), VersionStage: aws.String("AWSCURRENT")})
			if err != nil {
				t.Fatal(err)
			}
			var cur struct{ Password string }
			if err := json.Unmarshal([]byte(aws.ToString(out.SecretString)), &cur); err != nil {
				t.Fatal(err)
			}
			a.judge(t, cur.Password, !tt.wrongAdmin)
			scan(t, x, append(a.values(), cur.Password, awsSecret, env.Moto.AdminSecret))
		})
	}
}

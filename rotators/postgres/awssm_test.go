package postgres_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/kestra-rotation/rotation-pack/rotators/awssm/awssmtest"
	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/internal/conformance"
)

// TestTargetConformanceAWSSM rotates PostgreSQL roles whose credentials
// live in AWS Secrets Manager (moto, authentication on).
func TestTargetConformanceAWSSM(t *testing.T) {
	if testing.Short() {
		t.Skip("needs PostgreSQL and moto")
	}
	sm := secretsmanager.NewFromConfig(env.Moto.AWSConfig(env.Moto.AdminKeyID, env.Moto.AdminSecret))
	h := harnessWith(t, awssmtest.Harness(t, env.Moto, env.BinDir),
		func(t testing.TB, name string, v core.Value) core.Ref { return awssmtest.Create(t, sm, name, v) })
	conformance.TargetSuite(t, h)
}

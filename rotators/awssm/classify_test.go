package awssm

import (
	"errors"
	"net/http"
	"testing"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

func TestClassifyExitCodes(t *testing.T) {
	apiErr := func(status int, code string) error {
		return &smithy.OperationError{ServiceID: "Secrets Manager", OperationName: "GetSecretValue",
			Err: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
				Err: &smithy.GenericAPIError{Code: code, Message: code}}}
	}
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"proxy 502 page the SDK cannot name", apiErr(502, "UnknownError"), core.ExitUnavailable},
		{"throttled", apiErr(400, "ThrottlingException"), core.ExitUnavailable},
		{"not found", apiErr(400, "ResourceNotFoundException"), core.ExitUsage},
		{"denied", apiErr(400, "AccessDeniedException"), core.ExitUsage},
		{"unknown 400", apiErr(400, "SomethingNew"), core.ExitInternal},
		{"plain error", errors.New("boom"), core.ExitInternal},
	}
	for _, tc := range tests {
		if got := core.ExitCode(classify(tc.err)); got != tc.want {
			t.Errorf("%s: got exit %d, want %d", tc.name, got, tc.want)
		}
	}
}

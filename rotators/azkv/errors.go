package azkv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// classify maps Key Vault and credential errors onto the core error
// classes. A disabled version is not found (it cannot be read): Azure
// answers 403 with inner code SecretDisabled, Lowkey Vault 404.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var re *azcore.ResponseError
	var af *azidentity.AuthenticationFailedError
	switch {
	case errors.As(err, &af):
		return fmt.Errorf("%w: %w", core.ErrDenied, err)
	case !errors.As(err, &re):
		return err
	}
	switch code := re.StatusCode; {
	case code == http.StatusNotFound:
		return fmt.Errorf("%w: %w", core.ErrNotFound, err)
	case code == http.StatusForbidden && isDisabled(re):
		return fmt.Errorf("%w: version is disabled: %w", core.ErrNotFound, err)
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return fmt.Errorf("%w: %w", core.ErrDenied, err)
	case code == http.StatusConflict:
		return fmt.Errorf("%w: %w", core.ErrConflict, err)
	case code == http.StatusTooManyRequests || code >= 500:
		return fmt.Errorf("%w: %w", core.ErrUnavailable, err)
	}
	return fmt.Errorf("%w: %w", core.ErrUsage, err)
}

func isDisabled(re *azcore.ResponseError) bool {
	return re.ErrorCode == "SecretDisabled" || strings.Contains(re.Error(), "SecretDisabled") || strings.Contains(re.Error(), "disabled secret")
}

func isNotFound(err error) bool { return errors.Is(err, core.ErrNotFound) }

func isConflict(err error) bool { return errors.Is(err, core.ErrConflict) }

// credential classifies the errors of getting a token. Entra refusing the
// credential is ErrDenied (classify), a network failure or the step's
// deadline stays as it is (exit 3); anything else means no credential is
// configured (DefaultAzureCredential tried them all), which retrying
// cannot fix: ErrUsage, where it used to be an internal error (exit 1).
type credential struct{ azcore.TokenCredential }

func (c credential) GetToken(ctx context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	tok, err := c.TokenCredential.GetToken(ctx, o)
	var af *azidentity.AuthenticationFailedError
	var ne net.Error
	if err == nil || errors.As(err, &af) || errors.As(err, &ne) || ctx.Err() != nil {
		return tok, err
	}
	return tok, fmt.Errorf("%w: no usable azure credential: %w", core.ErrUsage, err)
}

package azkv

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
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

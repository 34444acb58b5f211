package azkvdouble_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
)

// TestTestDoubleListSecretsPages: every live secret once, over pages of at
// most 25, with its latest version's tags; a deleted secret is not listed.
func TestTestDoubleListSecretsPages(t *testing.T) {
	_, c := newTestDouble(t)
	ctx := context.Background()
	prefix := "list-pages-"
	for i := range 30 {
		set(t, c, fmt.Sprintf("%s%02d", prefix, i), "v")
	}
	tag := "new"
	if _, err := c.SetSecret(ctx, prefix+"00", azsecrets.SetSecretParameters{Value: &tag, Tags: map[string]*string{"k": &tag}}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteSecret(ctx, prefix+"29", nil); err != nil {
		t.Fatal(err)
	}
	seen, pages := map[string]int{}, 0
	for p := c.NewListSecretPropertiesPager(nil); p.More(); pages++ {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Value) > 25 {
			t.Errorf("page of %d secrets, want at most 25", len(page.Value))
		}
		for _, s := range page.Value {
			if name := s.ID.Name(); strings.HasPrefix(name, prefix) {
				seen[name]++
				if s.ID.Version() != "" {
					t.Errorf("%s listed with version %q, want none", name, s.ID.Version())
				}
				if got := s.Tags["k"]; (name == prefix+"00") != (got != nil && *got == "new") {
					t.Errorf("%s: tag k = %v, want the latest version's tags", name, got)
				}
			}
		}
	}
	if len(seen) != 29 || seen[prefix+"29"] != 0 || pages < 2 {
		t.Errorf("got %d secrets (deleted one %d times) over %d pages, want 29 over at least 2", len(seen), seen[prefix+"29"], pages)
	}
	for name, n := range seen {
		if n != 1 {
			t.Errorf("%s listed %d times", name, n)
		}
	}
}

package azkv

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/inventory"
)

// inventoryWorkers bounds the version listings in flight (Key Vault
// throttles per vault).
const inventoryWorkers = 4

// Inventory lists a vault's secrets (list secret properties, 25 a page),
// keeps those whose name starts with the prefix, and lists each one's
// versions: CURRENT is the latest, its tags the rotation facts. A
// <name>-pending sibling is reported with its secret, not on its own: its
// oldest enabled version with a rotation_id tag is a PENDING left over.
// Only properties are read (…/readMetadata/action), never a value.
type Inventory struct {
	s *Store
}

// OpenInventory connects like Open: DefaultAzureCredential, AZKV_VAULT_URL, AZKV_CA_CERT.
func OpenInventory(ctx context.Context) (inventory.Lister, error) {
	st, err := Open(ctx)
	if err != nil {
		return nil, err
	}
	return &Inventory{s: st.(*Store)}, nil
}

// List implements inventory.Lister for azkv://<vault>/<name prefix>.
func (inv *Inventory) List(ctx context.Context, s inventory.Scope, fn func(inventory.Facts) error) error {
	if !vaultPattern.MatchString(s.Host) || strings.Contains(s.Path, "/") {
		return fmt.Errorf("%w: --prefix azkv://%s: want azkv://<vault>/<secret name prefix>", core.ErrUsage, s.Prefix)
	}
	t := target{vaultURL: strings.TrimRight(strings.ReplaceAll(inv.s.urlTemplate, "{vault}", s.Host), "/")}
	c, err := inv.s.client(t.vaultURL)
	if err != nil {
		return err
	}
	byName := map[string]*azsecrets.SecretProperties{} // lower-case names: Key Vault ignores case
	for pager := c.NewListSecretPropertiesPager(nil); pager.More(); {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return classify(err)
		}
		for _, p := range page.Value {
			if p.ID != nil {
				byName[strings.ToLower(p.ID.Name())] = p
			}
		}
	}
	var keep []*azsecrets.SecretProperties
	for lower, p := range byName {
		base, isSibling := strings.CutSuffix(lower, PendingSuffix)
		if strings.HasPrefix(lower, strings.ToLower(s.Path)) && !(isSibling && byName[base] != nil) {
			keep = append(keep, p)
		}
	}
	var mu sync.Mutex
	return inventory.ForEach(ctx, inventoryWorkers, len(keep), func(ctx context.Context, i int) error {
		name := keep[i].ID.Name()
		f, err := inv.describe(ctx, c, s.Host, keep[i], byName[strings.ToLower(name+PendingSuffix)] != nil)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		mu.Lock()
		defer mu.Unlock()
		return fn(f)
	})
}

// describe lists one secret's versions and, if it has a sibling, the
// sibling's live versions.
func (inv *Inventory) describe(ctx context.Context, c kv, vault string, p *azsecrets.SecretProperties, hasSibling bool) (inventory.Facts, error) {
	name := p.ID.Name()
	f := inventory.Facts{Secret: "azkv://" + vault + "/" + name, Tags: map[string]string{}}
	for k := range p.Tags {
		f.Tags[k] = tag(p.Tags, k)
	}
	versions, err := inv.s.versions(ctx, c, name)
	if err != nil {
		return inventory.Facts{}, err
	}
	cur := created(p.Attributes)
	f.Versions, f.CurrentSince = len(versions), cur
	for _, v := range versions {
		at := created(v.Attributes)
		if v.ID != nil && at.Equal(cur) && (f.CurrentVersion == "" || tag(v.Tags, tagRotation) == tag(p.Tags, tagRotation)) {
			f.CurrentVersion = v.ID.Version() // created in the same second as another: the tags decide
		}
		if f.Created.IsZero() || at.Before(f.Created) {
			f.Created = at
		}
	}
	if rot := tag(p.Tags, tagRotation); rot != "" {
		f.Rotation, f.Strategy = rot, tag(p.Tags, tagStrategy)
		f.LastRotated, _ = time.Parse(time.RFC3339, tag(p.Tags, tagRotatedAt))
	}
	if hasSibling {
		cands, err := inv.s.candidates(ctx, c, target{pending: name + PendingSuffix})
		if err != nil {
			return inventory.Facts{}, fmt.Errorf("PENDING sibling: %w", err)
		}
		if len(cands) > 0 {
			f.Pending, f.PendingRot, f.PendingSince = true, cands[0].rotation, cands[0].created
		}
	}
	return f, nil
}

func created(a *azsecrets.SecretAttributes) time.Time {
	if a == nil || a.Created == nil {
		return time.Time{}
	}
	return *a.Created
}

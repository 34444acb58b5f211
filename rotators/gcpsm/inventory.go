package gcpsm

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"sync"
	"time"

	secretmanager "cloud.google.com/go/secretmanager/apiv1"
	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
	"github.com/googleapis/gax-go/v2"
	"google.golang.org/api/iterator"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/inventory"
)

// Inventory page size and the ListSecretVersions calls in flight.
const (
	inventoryPageSize = 100
	inventoryWorkers  = 8
)

// lister is the part of the Secret Manager client the inventory uses;
// neither call returns secret data.
type lister interface {
	ListSecrets(ctx context.Context, req *secretmanagerpb.ListSecretsRequest, opts ...gax.CallOption) *secretmanager.SecretIterator
	ListSecretVersions(ctx context.Context, req *secretmanagerpb.ListSecretVersionsRequest, opts ...gax.CallOption) *secretmanager.SecretVersionIterator
}

// Inventory lists a project's secrets (ListSecrets, pages of 100), keeps
// those whose id starts with the prefix, and reads each one's versions
// (ListSecretVersions, newest first): the latest is CURRENT, and the
// annotations describe it while rotation_version is its number. The
// PENDING sibling <id>-pending (labelled rotation-pack=pending when the pack
// created it) is reported with its secret, not on its own: its annotations
// rotation_id and pending_version are a PENDING left over.
type Inventory struct {
	c lister
}

// OpenInventory connects like Open: ADC, or a loopback GCPSM_ENDPOINT.
func OpenInventory(ctx context.Context) (inventory.Lister, error) {
	c, _, err := newClient(ctx)
	if err != nil {
		return nil, err
	}
	return &Inventory{c: c}, nil
}

// List implements inventory.Lister for gcpsm://<project>/<id prefix>.
func (inv *Inventory) List(ctx context.Context, s inventory.Scope, fn func(inventory.Facts) error) error {
	if !projectPattern.MatchString(s.Host) || strings.Contains(s.Path, "/") {
		return fmt.Errorf("%w: --prefix gcpsm://%s: want gcpsm://<project>/<secret id prefix>", core.ErrUsage, s.Prefix)
	}
	byID := map[string]*secretmanagerpb.Secret{}
	var ids []string
	it := inv.c.ListSecrets(ctx, &secretmanagerpb.ListSecretsRequest{Parent: "projects/" + s.Host, PageSize: inventoryPageSize})
	for {
		sec, err := it.Next()
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			return classify(err)
		}
		id := sec.GetName()[strings.LastIndex(sec.GetName(), "/")+1:]
		byID[id] = sec
		ids = append(ids, id)
	}
	var keep []string
	for _, id := range ids {
		base, isSibling := strings.CutSuffix(id, PendingSuffix)
		if strings.HasPrefix(id, s.Path) && byID[id].GetLabels()["rotation-pack"] != "pending" && !(isSibling && byID[base] != nil) {
			keep = append(keep, id)
		}
	}
	var mu sync.Mutex
	return inventory.ForEach(ctx, inventoryWorkers, len(keep), func(ctx context.Context, i int) error {
		f, err := inv.describe(ctx, s.Host, byID[keep[i]], byID[keep[i]+PendingSuffix])
		if err != nil {
			return fmt.Errorf("%s: %w", keep[i], err)
		}
		mu.Lock()
		defer mu.Unlock()
		return fn(f)
	})
}

// describe reads one secret's versions; sib is its PENDING sibling, or nil.
func (inv *Inventory) describe(ctx context.Context, project string, sec, sib *secretmanagerpb.Secret) (inventory.Facts, error) {
	id := sec.GetName()[strings.LastIndex(sec.GetName(), "/")+1:]
	f := inventory.Facts{Secret: "gcpsm://" + project + "/" + id, Created: pbTime(sec.GetCreateTime()), Tags: tags(sec)}
	it := inv.c.ListSecretVersions(ctx, &secretmanagerpb.ListSecretVersionsRequest{Parent: sec.GetName(), PageSize: inventoryPageSize})
	for {
		v, err := it.Next()
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			return inventory.Facts{}, classify(err)
		}
		if f.CurrentVersion == "" { // newest first: the latest, whatever its state
			n, err := versionNumber(v.GetName())
			if err != nil {
				return inventory.Facts{}, err
			}
			f.CurrentVersion, f.CurrentSince = strconv.FormatInt(n, 10), pbTime(v.GetCreateTime())
		}
		if v.GetState() != secretmanagerpb.SecretVersion_DESTROYED {
			f.Versions++
		}
	}
	an := sec.GetAnnotations()
	if f.CurrentVersion != "" && an[anVersion] == f.CurrentVersion {
		f.Rotation, f.Strategy = an[anRotation], an[anStrategy]
		f.LastRotated, _ = time.Parse(time.RFC3339, an[anRotatedAt])
	}
	if san := sib.GetAnnotations(); san[anRotation] != "" && san[anPending] != "" {
		f.Pending, f.PendingRot = true, san[anRotation]
		f.PendingSince, _ = time.Parse(time.RFC3339, san[anStagedAt])
	}
	return f, nil
}

// tags are the secret's labels, and its annotations whose key starts with
// "rotation-" (inventory.TagAuto and the other opt-in keys): label values
// cannot hold the ':' and '/' of a reference such as rotation-admin's,
// annotation values can. An annotation wins over a label of the same key.
// The pack's own annotations (rotation_id, ...) use '_' and are not tags.
func tags(sec *secretmanagerpb.Secret) map[string]string {
	out := maps.Clone(sec.GetLabels())
	for k, v := range sec.GetAnnotations() {
		if strings.HasPrefix(k, "rotation-") {
			if out == nil {
				out = map[string]string{}
			}
			out[k] = v
		}
	}
	return out
}

// pbTime is the zero time for an absent timestamp (AsTime would say 1970).
func pbTime(ts *timestamppb.Timestamp) time.Time {
	if ts == nil {
		return time.Time{}
	}
	return ts.AsTime()
}

package vault

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
	"github.com/kestra-rotation/rotation-pack/rotators/inventory"
)

// inventoryWorkers bounds the metadata reads in flight.
const inventoryWorkers = 8

// lister is the part of the Vault API the inventory adds: LIST on
// <mount>/metadata/<folder>/ (KV v2 has no list in the KVv2 helper).
type lister interface {
	ListWithContext(ctx context.Context, path string) (*api.Secret, error)
}

// Inventory lists KV v2 secrets: LIST recursively under
// <mount>/metadata/<folder>/ and under the PENDING folder
// <mount>/metadata/_pending/<folder>/, then reads each secret's metadata
// (versions, custom_metadata rotation facts). A left-over PENDING's envelope
// is read for its rotation id and staged time only; its value is dropped
// unread.
type Inventory struct {
	list  lister
	mount func(mount string) kv
	sess  *session
}

// OpenInventory connects like Open: VAULT_ADDR, VAULT_TOKEN or a login
// method, and friends.
func OpenInventory(context.Context) (inventory.Lister, error) {
	sess, _, err := newSession()
	if err != nil {
		return nil, err
	}
	return &Inventory{list: loggedInLister{sess, sess.c.Logical()}, sess: sess,
		mount: func(m string) kv { return loggedIn{sess, sess.c.KVv2(m)} }}, nil
}

// Close revokes the token the inventory logged in for, if it did.
func (inv *Inventory) Close(ctx context.Context) error { return inv.sess.Close(ctx) }

// List implements inventory.Lister for vault://<mount>/<folder>/.
func (inv *Inventory) List(ctx context.Context, s inventory.Scope, fn func(inventory.Facts) error) error {
	prefix := strings.Trim(s.Query.Get("pending"), "/")
	if prefix == "" {
		prefix = DefaultPendingPrefix
	}
	if s.Host == "" {
		return fmt.Errorf("%w: --prefix vault://%s: want vault://<mount>/<folder>/", core.ErrUsage, s.Prefix)
	}
	folder := strings.Trim(s.Path, "/")
	paths, err := inv.walk(ctx, s.Host, folder, prefix)
	if err != nil {
		return err
	}
	pending, err := inv.walk(ctx, s.Host, join(prefix, folder), "")
	if err != nil {
		return fmt.Errorf("list PENDING folder: %w", err)
	}
	pend := map[string]bool{}
	for _, p := range pending {
		pend[strings.TrimPrefix(p, prefix+"/")] = true
	}
	return inv.describeAll(ctx, s.Host, prefix, paths, pend, fn)
}

// join joins KV path segments, either of which may be empty (the mount's root).
func join(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "/" + b
}

// walk returns the secret paths under folder, recursively; skip is a folder
// left out wherever it is met (the PENDING folder, when the scope holds it).
func (inv *Inventory) walk(ctx context.Context, mount, folder, skip string) ([]string, error) {
	sec, err := inv.list.ListWithContext(ctx, mount+"/metadata/"+folder)
	if err != nil {
		return nil, classify(err)
	}
	if sec == nil || sec.Data == nil {
		return nil, nil // an empty or absent folder
	}
	keys, _ := sec.Data["keys"].([]interface{})
	var out []string
	for _, k := range keys {
		key, _ := k.(string)
		path := join(folder, strings.TrimSuffix(key, "/"))
		switch {
		case key == "" || strings.HasSuffix(key, "/") && path == skip:
		case strings.HasSuffix(key, "/"):
			sub, err := inv.walk(ctx, mount, path, skip)
			if err != nil {
				return nil, err
			}
			out = append(out, sub...)
		default:
			out = append(out, path)
		}
	}
	return out, nil
}

// describeAll reads every secret's metadata with a few workers and hands the
// facts to fn one at a time.
func (inv *Inventory) describeAll(ctx context.Context, mount, prefix string, paths []string, pend map[string]bool, fn func(inventory.Facts) error) error {
	var mu sync.Mutex
	return inventory.ForEach(ctx, inventoryWorkers, len(paths), func(ctx context.Context, i int) error {
		f, err := inv.describe(ctx, mount, prefix, paths[i], pend[paths[i]])
		if err != nil {
			return fmt.Errorf("%s/%s: %w", mount, paths[i], err)
		}
		mu.Lock()
		defer mu.Unlock()
		return fn(f)
	})
}

// describe turns one secret's metadata (and its PENDING envelope, if any)
// into facts.
func (inv *Inventory) describe(ctx context.Context, mount, prefix, path string, hasPending bool) (inventory.Facts, error) {
	k := inv.mount(mount)
	md, err := k.GetMetadata(ctx, path)
	if err != nil {
		return inventory.Facts{}, classify(err)
	}
	cur := strconv.Itoa(md.CurrentVersion)
	f := inventory.Facts{Secret: "vault://" + mount + "/" + path, Created: md.CreatedTime, CurrentVersion: cur,
		CurrentSince: md.Versions[cur].CreatedTime, Tags: map[string]string{}}
	for _, v := range md.Versions {
		if !v.Destroyed && v.DeletionTime.IsZero() {
			f.Versions++
		}
	}
	for key, v := range md.CustomMetadata {
		f.Tags[key], _ = v.(string)
	}
	if str(md.CustomMetadata, mdVersion) == cur {
		f.Rotation, f.Strategy = str(md.CustomMetadata, mdRotation), str(md.CustomMetadata, mdStrategy)
		f.LastRotated, _ = time.Parse(time.RFC3339, str(md.CustomMetadata, mdRotatedAt))
	}
	if hasPending {
		f.Pending = true
		f.PendingRot, f.PendingSince, err = pendingFacts(ctx, k, prefix+"/"+path)
		if err != nil {
			return inventory.Facts{}, fmt.Errorf("PENDING: %w", err)
		}
	}
	return f, nil
}

// pendingFacts reads the rotation id and staged time of a PENDING envelope.
// The envelope also holds the value; it is never looked at.
func pendingFacts(ctx context.Context, k kv, path string) (string, time.Time, error) {
	sec, err := k.Get(ctx, path)
	if err = classify(err); isNotFound(err) {
		return "", time.Time{}, nil // deleted meanwhile, or its latest version soft-deleted
	} else if err != nil {
		return "", time.Time{}, err
	}
	rot, _ := sec.Data["rotation_id"].(string)
	staged, _ := sec.Data["staged_at"].(string)
	at, _ := time.Parse(time.RFC3339Nano, staged)
	return rot, at, nil
}

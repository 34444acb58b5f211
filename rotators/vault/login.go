package vault

import (
	"context"

	"github.com/hashicorp/vault/api"
)

// loggedIn is the KV v2 client behind the session's login: every call first
// makes sure the process has logged in (once), so that Open stays free of
// network calls and a binary that fails before touching Vault never logs in.
type loggedIn struct {
	s *session
	k *api.KVv2
}

func (l loggedIn) Get(ctx context.Context, path string) (*api.KVSecret, error) {
	if err := l.s.ready(ctx); err != nil {
		return nil, err
	}
	return l.k.Get(ctx, path)
}

func (l loggedIn) GetVersion(ctx context.Context, path string, version int) (*api.KVSecret, error) {
	if err := l.s.ready(ctx); err != nil {
		return nil, err
	}
	return l.k.GetVersion(ctx, path, version)
}

func (l loggedIn) Put(ctx context.Context, path string, data map[string]interface{}, opts ...api.KVOption) (*api.KVSecret, error) {
	if err := l.s.ready(ctx); err != nil {
		return nil, err
	}
	return l.k.Put(ctx, path, data, opts...)
}

func (l loggedIn) GetMetadata(ctx context.Context, path string) (*api.KVMetadata, error) {
	if err := l.s.ready(ctx); err != nil {
		return nil, err
	}
	return l.k.GetMetadata(ctx, path)
}

func (l loggedIn) PatchMetadata(ctx context.Context, path string, metadata api.KVMetadataPatchInput) error {
	if err := l.s.ready(ctx); err != nil {
		return err
	}
	return l.k.PatchMetadata(ctx, path, metadata)
}

func (l loggedIn) DeleteMetadata(ctx context.Context, path string) error {
	if err := l.s.ready(ctx); err != nil {
		return err
	}
	return l.k.DeleteMetadata(ctx, path)
}

// loggedInLister is the LIST call of the inventory behind the same login.
type loggedInLister struct {
	s *session
	l *api.Logical
}

func (l loggedInLister) ListWithContext(ctx context.Context, path string) (*api.Secret, error) {
	if err := l.s.ready(ctx); err != nil {
		return nil, err
	}
	return l.l.ListWithContext(ctx, path)
}

package gcpsmdouble

import (
	"context"
	"sort"
	"strconv"
	"strings"

	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// Page sizes: GCP decides when page_size is 0 (the double takes
// DefaultPageSize) and caps it at MaxPageSize.
const (
	DefaultPageSize = 25
	MaxPageSize     = 25000
)

// pageBounds returns the first index and the size of a page; the token is
// the index of the first item, as the double itself wrote it.
func pageBounds(size int32, token string, n int) (int, int, error) {
	from := 0
	if token != "" {
		i, err := strconv.Atoi(token)
		if err != nil || i < 0 || i > n {
			return 0, 0, status.Errorf(codes.InvalidArgument, "invalid page_token %q", token)
		}
		from = i
	}
	switch {
	case size < 0:
		return 0, 0, status.Error(codes.InvalidArgument, "page_size must not be negative")
	case size == 0:
		size = DefaultPageSize
	case size > MaxPageSize:
		size = MaxPageSize
	}
	return from, min(from+int(size), n), nil
}

func nextToken(to, n int) string {
	if to >= n {
		return ""
	}
	return strconv.Itoa(to)
}

// ListSecrets pages through a project's secrets in name order; filters are
// not implemented (INVALID_ARGUMENT rather than a silently wrong answer).
func (d *TestDouble) ListSecrets(_ context.Context, req *secretmanagerpb.ListSecretsRequest) (*secretmanagerpb.ListSecretsResponse, error) {
	if !projectPattern.MatchString(req.GetParent()) {
		return nil, status.Errorf(codes.InvalidArgument, "invalid parent %q", req.GetParent())
	}
	if req.GetFilter() != "" {
		return nil, status.Error(codes.InvalidArgument, "the test double implements no list filter")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	var names []string
	for name := range d.secrets {
		if strings.HasPrefix(name, req.GetParent()+"/secrets/") {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	from, to, err := pageBounds(req.GetPageSize(), req.GetPageToken(), len(names))
	if err != nil {
		return nil, err
	}
	resp := &secretmanagerpb.ListSecretsResponse{NextPageToken: nextToken(to, len(names)), TotalSize: int32(len(names))}
	for _, name := range names[from:to] {
		resp.Secrets = append(resp.Secrets, proto.Clone(d.secrets[name].meta).(*secretmanagerpb.Secret))
	}
	return resp, nil
}

// ListSecretVersions pages through a secret's versions, newest first, in
// every state (metadata only, never data).
func (d *TestDouble) ListSecretVersions(_ context.Context, req *secretmanagerpb.ListSecretVersionsRequest) (*secretmanagerpb.ListSecretVersionsResponse, error) {
	if req.GetFilter() != "" {
		return nil, status.Error(codes.InvalidArgument, "the test double implements no list filter")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	s, err := d.secret(req.GetParent())
	if err != nil {
		return nil, err
	}
	n := len(s.versions)
	from, to, err := pageBounds(req.GetPageSize(), req.GetPageToken(), n)
	if err != nil {
		return nil, err
	}
	resp := &secretmanagerpb.ListSecretVersionsResponse{NextPageToken: nextToken(to, n), TotalSize: int32(n)}
	for i := from; i < to; i++ {
		resp.Versions = append(resp.Versions, proto.Clone(s.versions[n-1-i].meta).(*secretmanagerpb.SecretVersion))
	}
	return resp, nil
}

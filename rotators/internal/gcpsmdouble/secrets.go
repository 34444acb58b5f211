package gcpsmdouble

import (
	"context"
	"regexp"
	"strings"

	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// MaxAliases is GCP's limit of version aliases per secret.
const MaxAliases = 50

var (
	secretIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`)
	projectPattern  = regexp.MustCompile(`^projects/[a-z0-9-]{1,63}$`)
	aliasPattern    = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,62}$`)
)

// secret returns the secret of a full name. Callers hold mu.
func (d *TestDouble) secret(name string) (*secretState, error) {
	s, ok := d.secrets[name]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "Secret [%s] not found or has no versions.", name)
	}
	return s, nil
}

// CreateSecret creates a secret without versions; ALREADY_EXISTS if the id is taken.
func (d *TestDouble) CreateSecret(_ context.Context, req *secretmanagerpb.CreateSecretRequest) (*secretmanagerpb.Secret, error) {
	if !projectPattern.MatchString(req.GetParent()) || !secretIDPattern.MatchString(req.GetSecretId()) {
		return nil, status.Errorf(codes.InvalidArgument, "invalid parent %q or secret id %q", req.GetParent(), req.GetSecretId())
	}
	if req.GetSecret().GetReplication() == nil {
		return nil, status.Error(codes.InvalidArgument, "Secret.replication is required")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	name := req.GetParent() + "/secrets/" + req.GetSecretId()
	if _, ok := d.secrets[name]; ok {
		return nil, status.Errorf(codes.AlreadyExists, "Secret [%s] already exists.", name)
	}
	if len(req.GetSecret().GetVersionAliases()) > 0 {
		return nil, status.Error(codes.InvalidArgument, "a new secret has no versions to alias")
	}
	meta := proto.Clone(req.GetSecret()).(*secretmanagerpb.Secret)
	meta.Name, meta.CreateTime, meta.Etag = name, timestamppb.New(d.now()), d.nextEtag()
	d.secrets[name] = &secretState{meta: meta}
	return proto.Clone(meta).(*secretmanagerpb.Secret), nil
}

// GetSecret returns a secret's metadata.
func (d *TestDouble) GetSecret(_ context.Context, req *secretmanagerpb.GetSecretRequest) (*secretmanagerpb.Secret, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	s, err := d.secret(req.GetName())
	if err != nil {
		return nil, err
	}
	return proto.Clone(s.meta).(*secretmanagerpb.Secret), nil
}

// UpdateSecret sets the fields named by update_mask (labels, annotations,
// version_aliases), if the etag, when given, is the current one.
func (d *TestDouble) UpdateSecret(_ context.Context, req *secretmanagerpb.UpdateSecretRequest) (*secretmanagerpb.Secret, error) {
	in := req.GetSecret()
	paths := req.GetUpdateMask().GetPaths()
	if len(paths) == 0 {
		return nil, status.Error(codes.InvalidArgument, "update_mask is required")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	s, err := d.secret(in.GetName())
	if err != nil {
		return nil, err
	}
	if in.GetEtag() != "" && in.GetEtag() != s.meta.Etag {
		return nil, status.Errorf(codes.FailedPrecondition, "etag %s does not match the current etag of secret [%s]", in.GetEtag(), in.GetName())
	}
	next := proto.Clone(s.meta).(*secretmanagerpb.Secret)
	for _, p := range paths {
		switch p {
		case "labels":
			next.Labels = in.GetLabels()
		case "annotations":
			next.Annotations = in.GetAnnotations()
		case "version_aliases":
			if err := s.checkAliases(in.GetVersionAliases()); err != nil {
				return nil, err
			}
			next.VersionAliases = in.GetVersionAliases()
		default:
			return nil, status.Errorf(codes.InvalidArgument, "update_mask path %q is not supported by the test double", p)
		}
	}
	next.Etag = d.nextEtag()
	s.meta = next
	return proto.Clone(next).(*secretmanagerpb.Secret), nil
}

// checkAliases applies GCP's alias rules.
func (s *secretState) checkAliases(aliases map[string]int64) error {
	if len(aliases) > MaxAliases {
		return status.Errorf(codes.InvalidArgument, "at most %d version aliases, got %d", MaxAliases, len(aliases))
	}
	for a, n := range aliases {
		if !aliasPattern.MatchString(a) || a == "latest" || a == "NEW" {
			return status.Errorf(codes.InvalidArgument, "invalid version alias %q", a)
		}
		if n < 1 || n > int64(len(s.versions)) || s.versions[n-1].meta.State == secretmanagerpb.SecretVersion_DESTROYED {
			return status.Errorf(codes.InvalidArgument, "version alias %q points at version %d, which does not exist or is destroyed", a, n)
		}
	}
	return nil
}

// DeleteSecret deletes a secret and all its versions, if the etag, when
// given, is the current one.
func (d *TestDouble) DeleteSecret(_ context.Context, req *secretmanagerpb.DeleteSecretRequest) (*emptypb.Empty, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	s, err := d.secret(req.GetName())
	if err != nil {
		return nil, err
	}
	if req.GetEtag() != "" && req.GetEtag() != s.meta.Etag {
		return nil, status.Errorf(codes.FailedPrecondition, "etag %s does not match the current etag of secret [%s]", req.GetEtag(), req.GetName())
	}
	delete(d.secrets, req.GetName())
	return &emptypb.Empty{}, nil
}

// splitVersion splits projects/P/secrets/S/versions/V into the secret name and V.
func splitVersion(name string) (secret, version string, err error) {
	secret, version, ok := strings.Cut(name, "/versions/")
	if !ok || version == "" || strings.Contains(version, "/") || strings.Count(secret, "/") != 3 {
		return "", "", status.Errorf(codes.InvalidArgument, "invalid version name %q", name)
	}
	return secret, version, nil
}

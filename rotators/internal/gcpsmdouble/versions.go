package gcpsmdouble

import (
	"context"
	"hash/crc32"
	"strconv"

	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// MaxPayloadBytes is GCP's limit on a version's data.
const MaxPayloadBytes = 64 << 10

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// AddSecretVersion adds a new ENABLED version with the next number. It
// takes no etag. A data_crc32c that does not match the data is refused.
func (d *TestDouble) AddSecretVersion(_ context.Context, req *secretmanagerpb.AddSecretVersionRequest) (*secretmanagerpb.SecretVersion, error) {
	data := req.GetPayload().GetData()
	if len(data) > MaxPayloadBytes {
		return nil, status.Errorf(codes.InvalidArgument, "payload is larger than %d bytes", MaxPayloadBytes)
	}
	crc := int64(crc32.Checksum(data, castagnoli))
	given := req.GetPayload().DataCrc32C
	if given != nil && *given != crc {
		return nil, status.Error(codes.InvalidArgument, "data_crc32c does not match the payload: data corrupted in transit")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	s, err := d.secret(req.GetParent())
	if err != nil {
		return nil, err
	}
	n := len(s.versions) + 1
	v := &versionState{data: append([]byte(nil), data...), crc: crc, meta: &secretmanagerpb.SecretVersion{
		Name:                           req.GetParent() + "/versions/" + strconv.Itoa(n),
		CreateTime:                     timestamppb.New(d.now()),
		State:                          secretmanagerpb.SecretVersion_ENABLED,
		Etag:                           d.nextEtag(),
		ClientSpecifiedPayloadChecksum: given != nil,
	}}
	s.versions = append(s.versions, v)
	return proto.Clone(v.meta).(*secretmanagerpb.SecretVersion), nil
}

// version resolves projects/P/secrets/S/versions/{N|latest|alias}. "latest"
// is the highest number whatever its state. Callers hold mu.
func (d *TestDouble) version(name string) (*versionState, error) {
	secretName, ver, err := splitVersion(name)
	if err != nil {
		return nil, err
	}
	s, err := d.secret(secretName)
	if err != nil {
		return nil, err
	}
	var n int64
	switch num, perr := strconv.ParseInt(ver, 10, 64); {
	case ver == "latest":
		n = int64(len(s.versions))
	case perr == nil:
		n = num
	default:
		alias, ok := s.meta.VersionAliases[ver]
		if !ok {
			return nil, status.Errorf(codes.NotFound, "Secret Version [%s] not found.", name)
		}
		n = alias
	}
	if n < 1 || n > int64(len(s.versions)) {
		return nil, status.Errorf(codes.NotFound, "Secret Version [%s] not found.", name)
	}
	return s.versions[n-1], nil
}

// GetSecretVersion returns a version's metadata, in any state.
func (d *TestDouble) GetSecretVersion(_ context.Context, req *secretmanagerpb.GetSecretVersionRequest) (*secretmanagerpb.SecretVersion, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	v, err := d.version(req.GetName())
	if err != nil {
		return nil, err
	}
	return proto.Clone(v.meta).(*secretmanagerpb.SecretVersion), nil
}

// AccessSecretVersion returns an ENABLED version's data with its CRC32C;
// DISABLED and DESTROYED versions are FAILED_PRECONDITION.
func (d *TestDouble) AccessSecretVersion(_ context.Context, req *secretmanagerpb.AccessSecretVersionRequest) (*secretmanagerpb.AccessSecretVersionResponse, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	v, err := d.version(req.GetName())
	if err != nil {
		return nil, err
	}
	if v.meta.State != secretmanagerpb.SecretVersion_ENABLED {
		return nil, status.Errorf(codes.FailedPrecondition, "Secret Version [%s] is in %s state.", v.meta.Name, v.meta.State)
	}
	crc := v.crc
	return &secretmanagerpb.AccessSecretVersionResponse{
		Name:    v.meta.Name,
		Payload: &secretmanagerpb.SecretPayload{Data: append([]byte(nil), v.data...), DataCrc32C: &crc},
	}, nil
}

// EnableSecretVersion makes a DISABLED version readable again.
func (d *TestDouble) EnableSecretVersion(_ context.Context, req *secretmanagerpb.EnableSecretVersionRequest) (*secretmanagerpb.SecretVersion, error) {
	return d.setState(req.GetName(), req.GetEtag(), secretmanagerpb.SecretVersion_ENABLED)
}

// DisableSecretVersion makes a version unreadable until it is enabled.
func (d *TestDouble) DisableSecretVersion(_ context.Context, req *secretmanagerpb.DisableSecretVersionRequest) (*secretmanagerpb.SecretVersion, error) {
	return d.setState(req.GetName(), req.GetEtag(), secretmanagerpb.SecretVersion_DISABLED)
}

// DestroySecretVersion destroys a version's data for good; its number stays used.
func (d *TestDouble) DestroySecretVersion(_ context.Context, req *secretmanagerpb.DestroySecretVersionRequest) (*secretmanagerpb.SecretVersion, error) {
	return d.setState(req.GetName(), req.GetEtag(), secretmanagerpb.SecretVersion_DESTROYED)
}

// setState changes a version's state if the etag, when given, is current.
func (d *TestDouble) setState(name, etag string, to secretmanagerpb.SecretVersion_State) (*secretmanagerpb.SecretVersion, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	v, err := d.version(name)
	if err != nil {
		return nil, err
	}
	if etag != "" && etag != v.meta.Etag {
		return nil, status.Errorf(codes.FailedPrecondition, "etag %s does not match the current etag of version [%s]", etag, v.meta.Name)
	}
	if v.meta.State == secretmanagerpb.SecretVersion_DESTROYED {
		return nil, status.Errorf(codes.FailedPrecondition, "Secret Version [%s] is in DESTROYED state.", v.meta.Name)
	}
	v.meta.State, v.meta.Etag = to, d.nextEtag()
	if to == secretmanagerpb.SecretVersion_DESTROYED {
		v.data, v.meta.DestroyTime = nil, timestamppb.New(d.now())
	}
	return proto.Clone(v.meta).(*secretmanagerpb.SecretVersion), nil
}

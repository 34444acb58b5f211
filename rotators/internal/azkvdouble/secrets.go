package azkvdouble

import (
	"maps"
	"regexp"
	"time"
)

// Limits of Key Vault secrets, as Microsoft documents them.
const (
	MaxValueBytes = 25 << 10
	MaxTags       = 15
	pageSize      = 25 // versions per page when maxresults is not given
	recoverable   = "Recoverable+Purgeable"
	retentionDays = 90
)

var namePattern = regexp.MustCompile(`^[0-9a-zA-Z-]{1,127}$`)

// secret is one secret: its versions in creation order.
type secret struct {
	name      string
	versions  []*version
	deletedAt time.Time // set while soft-deleted
	readyAt   time.Time // a recovered secret is unavailable until then
}

type version struct {
	id          string
	value       string
	contentType string
	enabled     bool
	created     int64 // whole Unix seconds, as Azure reports them
	updated     int64
	exp, nbf    *int64
	tags        map[string]string
}

// latest is the most recently created version.
func (s *secret) latest() *version { return s.versions[len(s.versions)-1] }

// find returns a version by id, or the latest for "".
func (s *secret) find(id string) *version {
	if id == "" {
		return s.latest()
	}
	for _, v := range s.versions {
		if v.id == id {
			return v
		}
	}
	return nil
}

// attributes is the JSON attributes object of a version.
func (v *version) attributes() map[string]any {
	a := map[string]any{"enabled": v.enabled, "created": v.created, "updated": v.updated,
		"recoveryLevel": recoverable, "recoverableDays": retentionDays}
	if v.exp != nil {
		a["exp"] = *v.exp
	}
	if v.nbf != nil {
		a["nbf"] = *v.nbf
	}
	return a
}

// item is a version without its value (SecretItem / bundle without value).
func (v *version) item(base, name string) map[string]any {
	m := map[string]any{"id": base + "/secrets/" + name + "/" + v.id, "attributes": v.attributes()}
	if v.contentType != "" {
		m["contentType"] = v.contentType
	}
	if len(v.tags) > 0 {
		m["tags"] = maps.Clone(v.tags)
	}
	return m
}

// bundle is a SecretBundle with the value.
func (v *version) bundle(base, name string) map[string]any {
	m := v.item(base, name)
	m["value"] = v.value
	return m
}

// deletedBundle is a DeletedSecretBundle (latest version, no value).
func (s *secret) deletedBundle(base string) map[string]any {
	m := s.latest().item(base, s.name)
	m["recoveryId"] = base + "/deletedsecrets/" + s.name
	m["deletedDate"] = s.deletedAt.Unix()
	m["scheduledPurgeDate"] = s.deletedAt.Add(retentionDays * 24 * time.Hour).Unix()
	return m
}

// setRequest is the body of PUT /secrets/{name} and PATCH /secrets/{name}/{version}.
type setRequest struct {
	Value       *string           `json:"value"`
	ContentType *string           `json:"contentType"`
	Tags        map[string]string `json:"tags"`
	Attributes  *struct {
		Enabled *bool  `json:"enabled"`
		Exp     *int64 `json:"exp"`
		Nbf     *int64 `json:"nbf"`
	} `json:"attributes"`
}

// apply sets the request's attributes, content type and tags on v.
func (req setRequest) apply(v *version) {
	if req.ContentType != nil {
		v.contentType = *req.ContentType
	}
	if req.Tags != nil {
		v.tags = maps.Clone(req.Tags)
	}
	if a := req.Attributes; a != nil {
		if a.Enabled != nil {
			v.enabled = *a.Enabled
		}
		if a.Exp != nil {
			v.exp = a.Exp
		}
		if a.Nbf != nil {
			v.nbf = a.Nbf
		}
	}
}

package azkvdouble

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// vaultHandler routes the Key Vault secrets API; every route needs a token.
func (d *TestDouble) vaultHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /secrets", d.listSecrets)
	mux.HandleFunc("PUT /secrets/{name}", d.setSecret)
	mux.HandleFunc("GET /secrets/{name}/versions", d.listVersions)
	mux.HandleFunc("GET /secrets/{name}/{$}", d.getSecret)
	mux.HandleFunc("GET /secrets/{name}", d.getSecret)
	mux.HandleFunc("GET /secrets/{name}/{version}", d.getSecret)
	mux.HandleFunc("PATCH /secrets/{name}/{version}", d.updateSecret)
	mux.HandleFunc("DELETE /secrets/{name}", d.deleteSecret)
	mux.HandleFunc("GET /deletedsecrets/{name}", d.getDeleted)
	mux.HandleFunc("POST /deletedsecrets/{name}/recover", d.recoverDeleted)
	mux.HandleFunc("DELETE /deletedsecrets/{name}", d.purgeDeleted)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("api-version") == "" {
			writeError(w, http.StatusBadRequest, "BadParameter", "api-version is required")
			return
		}
		if d.authorized(w, r) {
			mux.ServeHTTP(w, r)
		}
	})
}

func base(r *http.Request) string { return "https://" + r.Host }

func notFound(w http.ResponseWriter, name string) {
	writeError(w, http.StatusNotFound, "SecretNotFound", fmt.Sprintf("A secret with (name/id) %s was not found in this key vault.", name))
}

// live returns a live, available secret or writes 404. Callers hold mu.
func (d *TestDouble) live(w http.ResponseWriter, name string) *secret {
	s := d.secrets[strings.ToLower(name)]
	if s == nil || d.now().Before(s.readyAt) {
		notFound(w, name)
		return nil
	}
	return s
}

func (d *TestDouble) setSecret(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	var req setRequest
	if !namePattern.MatchString(name) || json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req) != nil || req.Value == nil {
		writeError(w, http.StatusBadRequest, "BadParameter", "a secret name of letters, digits and dashes and a value are required")
		return
	}
	if len(*req.Value) > MaxValueBytes || len(req.Tags) > MaxTags {
		writeError(w, http.StatusBadRequest, "BadParameter", "value too large or too many tags")
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	key := strings.ToLower(name)
	if s := d.deleted[key]; s != nil || (d.secrets[key] != nil && d.now().Before(d.secrets[key].readyAt)) {
		writeError(w, http.StatusConflict, "Conflict", fmt.Sprintf("Secret %s is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.", name))
		return
	}
	s := d.secrets[key]
	if s == nil {
		s = &secret{name: name}
		d.secrets[key] = s
	}
	now := d.now().Unix()
	v := &version{id: randomHex(16), value: *req.Value, enabled: true, created: now, updated: now}
	req.apply(v)
	s.versions = append(s.versions, v)
	writeJSON(w, http.StatusOK, v.bundle(base(r), s.name))
}

func (d *TestDouble) getSecret(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.live(w, r.PathValue("name"))
	if s == nil {
		return
	}
	v := s.find(r.PathValue("version"))
	switch {
	case v == nil:
		notFound(w, r.PathValue("name")+"/"+r.PathValue("version"))
	case !v.enabled:
		writeErrorInner(w, http.StatusForbidden, "Forbidden", "Operation get is not allowed on a disabled secret.", "SecretDisabled")
	default:
		writeJSON(w, http.StatusOK, v.bundle(base(r), s.name))
	}
}

func (d *TestDouble) updateSecret(w http.ResponseWriter, r *http.Request) {
	var req setRequest
	if json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req) != nil || req.Value != nil || len(req.Tags) > MaxTags {
		writeError(w, http.StatusBadRequest, "BadParameter", "update takes attributes, contentType and tags only")
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.live(w, r.PathValue("name"))
	if s == nil {
		return
	}
	v := s.find(r.PathValue("version"))
	if v == nil {
		notFound(w, r.PathValue("name")+"/"+r.PathValue("version"))
		return
	}
	req.apply(v)
	v.updated = d.now().Unix()
	writeJSON(w, http.StatusOK, v.item(base(r), s.name))
}

// listVersions pages through the versions, oldest first, maxresults (≤25) a page.
func (d *TestDouble) listVersions(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	size, from := page(r)
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.live(w, r.PathValue("name"))
	if s == nil {
		return
	}
	items := []map[string]any{}
	for i := from; i < len(s.versions) && i < from+size; i++ {
		items = append(items, s.versions[i].item(base(r), s.name))
	}
	page := map[string]any{"value": items, "nextLink": nil}
	if from+size < len(s.versions) {
		page["nextLink"] = fmt.Sprintf("%s/secrets/%s/versions?api-version=%s&maxresults=%d&$skiptoken=%d", base(r), s.name, q.Get("api-version"), size, from+size)
	}
	writeJSON(w, http.StatusOK, page)
}

func (d *TestDouble) deleteSecret(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.live(w, r.PathValue("name"))
	if s == nil {
		return
	}
	key := strings.ToLower(s.name)
	delete(d.secrets, key)
	s.deletedAt = d.now()
	d.deleted[key] = s
	writeJSON(w, http.StatusOK, s.deletedBundle(base(r)))
}

func (d *TestDouble) getDeleted(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.deleted[strings.ToLower(r.PathValue("name"))]
	if s == nil {
		writeError(w, http.StatusNotFound, "DeletedSecretNotFound", "Deleted Secret not found")
		return
	}
	writeJSON(w, http.StatusOK, s.deletedBundle(base(r)))
}

// recoverDeleted brings a soft-deleted secret back; as in Azure the name is
// usable again only after a while (RecoverDelay).
func (d *TestDouble) recoverDeleted(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	key := strings.ToLower(r.PathValue("name"))
	s := d.deleted[key]
	if s == nil {
		writeError(w, http.StatusNotFound, "DeletedSecretNotFound", "Deleted Secret not found")
		return
	}
	delete(d.deleted, key)
	s.deletedAt, s.readyAt = time.Time{}, d.now().Add(d.RecoverDelay)
	d.secrets[key] = s
	writeJSON(w, http.StatusOK, s.latest().item(base(r), s.name))
}

func (d *TestDouble) purgeDeleted(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	key := strings.ToLower(r.PathValue("name"))
	if d.deleted[key] == nil {
		writeError(w, http.StatusNotFound, "DeletedSecretNotFound", "Deleted Secret not found")
		return
	}
	delete(d.deleted, key)
	w.WriteHeader(http.StatusNoContent)
}

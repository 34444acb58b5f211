package azkvdouble

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
)

// listSecrets pages through the live secrets, maxresults (≤25) a page, as
// SecretItems of their current (latest) version: id without a version,
// attributes and tags of that version, never a value. Soft-deleted
// secrets, and recovered ones not yet available, are not listed.
func (d *TestDouble) listSecrets(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	size, from := page(r)
	d.mu.Lock()
	defer d.mu.Unlock()
	var live []*secret
	for _, s := range d.secrets {
		if !d.now().Before(s.readyAt) {
			live = append(live, s)
		}
	}
	sort.Slice(live, func(i, j int) bool { return live[i].name < live[j].name })
	items := []map[string]any{}
	for i := from; i < len(live) && i < from+size; i++ {
		item := live[i].latest().item(base(r), live[i].name)
		item["id"] = base(r) + "/secrets/" + live[i].name
		items = append(items, item)
	}
	page := map[string]any{"value": items, "nextLink": nil}
	if from+size < len(live) {
		page["nextLink"] = fmt.Sprintf("%s/secrets?api-version=%s&maxresults=%d&$skiptoken=%d", base(r), q.Get("api-version"), size, from+size)
	}
	writeJSON(w, http.StatusOK, page)
}

// page reads maxresults (1 to 25, else 25) and the $skiptoken this double
// writes into nextLink (the index of the first item).
func page(r *http.Request) (size, from int) {
	q := r.URL.Query()
	size, err := strconv.Atoi(q.Get("maxresults"))
	if err != nil || size < 1 || size > pageSize {
		size = pageSize
	}
	from, _ = strconv.Atoi(q.Get("$skiptoken"))
	return size, from
}

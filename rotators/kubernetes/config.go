package kubernetes

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/kestra-rotation/rotation-pack/rotators/core"
)

// config is the target's configuration from the environment.
type config struct {
	namespace string            // "" when KUBE_SECRET names none
	secret    string            // the Secret's name
	keys      map[string]string // Secret key -> template; nil: every field under its own name
	consumers []workload        // named consumers
	selector  string            // label selector of more consumers, "" when none
}

// workload is one consumer: kind is deployment, statefulset or daemonset.
type workload struct{ kind, name string }

func (w workload) String() string { return w.kind + "/" + w.name }

// resource is the workload's API resource: deployments, statefulsets, daemonsets.
func (w workload) resource() string { return w.kind + "s" }

var kinds = map[string]string{"deployment": "deployment", "deployments": "deployment", "deploy": "deployment",
	"statefulset": "statefulset", "statefulsets": "statefulset", "sts": "statefulset",
	"daemonset": "daemonset", "daemonsets": "daemonset", "ds": "daemonset"}

func parseConfig(getenv func(string) string) (config, error) {
	var c config
	s := strings.TrimSpace(getenv("KUBE_SECRET"))
	if s == "" {
		return c, fmt.Errorf("%w: KUBE_SECRET is required: [namespace/]name of the Kubernetes Secret to write", core.ErrUsage)
	}
	if ns, name, ok := strings.Cut(s, "/"); ok {
		c.namespace, s = ns, name
		if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
			return c, fmt.Errorf("%w: KUBE_SECRET namespace %q: %s", core.ErrUsage, ns, errs[0])
		}
	}
	if errs := validation.IsDNS1123Subdomain(s); len(errs) > 0 {
		return c, fmt.Errorf("%w: KUBE_SECRET name %q: %s", core.ErrUsage, s, errs[0])
	}
	c.secret = s
	if k := strings.TrimSpace(getenv("KUBE_SECRET_KEYS")); k != "" {
		if err := json.Unmarshal([]byte(k), &c.keys); err != nil || len(c.keys) == 0 {
			return c, fmt.Errorf("%w: KUBE_SECRET_KEYS: want a JSON object of Secret key to template, such as {\"password\":\"{password}\"}", core.ErrUsage)
		}
		for key, tmpl := range c.keys {
			if errs := validation.IsConfigMapKey(key); len(errs) > 0 {
				return c, fmt.Errorf("%w: KUBE_SECRET_KEYS key %q: %s", core.ErrUsage, key, errs[0])
			}
			if err := checkTemplate(tmpl); err != nil {
				return c, fmt.Errorf("%w: KUBE_SECRET_KEYS %q: %w", core.ErrUsage, key, err)
			}
		}
	}
	for _, item := range strings.Split(getenv("KUBE_CONSUMERS"), ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		kind, name, ok := strings.Cut(item, "/")
		k, known := kinds[strings.ToLower(kind)]
		if !ok || !known || len(validation.IsDNS1123Subdomain(name)) > 0 {
			return c, fmt.Errorf("%w: KUBE_CONSUMERS %q: want deployment/NAME, statefulset/NAME or daemonset/NAME", core.ErrUsage, item)
		}
		c.consumers = append(c.consumers, workload{k, name})
	}
	if sel := strings.TrimSpace(getenv("KUBE_CONSUMER_SELECTOR")); sel != "" {
		if _, err := labels.Parse(sel); err != nil {
			return c, fmt.Errorf("%w: KUBE_CONSUMER_SELECTOR: %v", core.ErrUsage, err)
		}
		c.selector = sel
	}
	return c, nil
}

func (c config) describeConsumers() string {
	var parts []string
	for _, w := range c.consumers {
		parts = append(parts, w.String())
	}
	if c.selector != "" {
		parts = append(parts, "selector "+c.selector)
	}
	return strings.Join(parts, ",")
}

// placeholder is {field} or {field:url} in a template.
var placeholder = regexp.MustCompile(`\{([A-Za-z0-9_.-]+)(:url)?\}`)

func checkTemplate(tmpl string) error {
	rest := placeholder.ReplaceAllString(tmpl, "")
	if strings.ContainsAny(rest, "{}") {
		return fmt.Errorf("template: want {field} or {field:url} placeholders only")
	}
	return nil
}

// render is the Secret data for a value: each key's template with the
// value's fields put in ({field:url} escaped for a URL's user info).
func (c config) render(v core.Value) (map[string][]byte, error) {
	keys := c.keys
	if keys == nil {
		keys = map[string]string{}
		for _, f := range v.Keys() {
			if len(validation.IsConfigMapKey(f)) == 0 {
				keys[f] = "{" + f + "}"
			}
		}
	}
	out := make(map[string][]byte, len(keys))
	var missing []string
	for key, tmpl := range keys {
		s := placeholder.ReplaceAllStringFunc(tmpl, func(m string) string {
			p := placeholder.FindStringSubmatch(m)
			txt, ok := v.Text(p[1]), hasField(v, p[1])
			if !ok {
				missing = append(missing, p[1])
			}
			if p[2] == ":url" { // user info of a URL: QueryEscape's "+" would be a literal plus there
				return strings.ReplaceAll(url.QueryEscape(txt), "+", "%20")
			}
			return txt
		})
		out[key] = []byte(s)
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, fmt.Errorf("%w: KUBE_SECRET_KEYS names fields the secret does not have: %s", core.ErrUsage, strings.Join(missing, ", "))
	}
	return out, nil
}

func hasField(v core.Value, f string) bool {
	for _, k := range v.Keys() {
		if k == f {
			return true
		}
	}
	return false
}

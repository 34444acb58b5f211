package testsrv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/util/yaml"
)

// DocYAML returns the first ```yaml block after heading in the doc at path
// (relative to the repository root): fixtures that must be what the docs
// show, so that the docs cannot drift from what the tests run.
func DocYAML(t testing.TB, root, path, heading string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		t.Fatal(err)
	}
	_, sect, ok := strings.Cut(string(b), heading)
	_, block, ok2 := strings.Cut(sect, "```yaml\n")
	block, _, ok3 := strings.Cut(block, "```")
	if !ok || !ok2 || !ok3 {
		t.Fatalf("%s: no yaml block under %s", path, heading)
	}
	return block
}

// KubeDocNamespace is the namespace the Kubernetes target's doc writes its
// Role for; KubeDocRBAC replaces it.
const KubeDocNamespace = "shop"

// KubeDocRBAC returns the Role and RoleBinding of docs/targets/kubernetes.md
// ("Least privilege") for namespace ns.
func KubeDocRBAC(t testing.TB, root, ns string) (*rbacv1.Role, *rbacv1.RoleBinding) {
	t.Helper()
	block := DocYAML(t, root, filepath.Join("docs", "targets", "kubernetes.md"), "## Least privilege")
	block = strings.ReplaceAll(block, "namespace: "+KubeDocNamespace, "namespace: "+ns)
	dec := yaml.NewYAMLOrJSONDecoder(strings.NewReader(block), 4096)
	role, binding := &rbacv1.Role{}, &rbacv1.RoleBinding{}
	if err := dec.Decode(role); err != nil {
		t.Fatalf("doc Role: %v", err)
	}
	if err := dec.Decode(binding); err != nil {
		t.Fatalf("doc RoleBinding: %v", err)
	}
	if role.Kind != "Role" || binding.Kind != "RoleBinding" || len(binding.Subjects) != 1 {
		t.Fatalf("doc RBAC: got kinds %q, %q with %d subjects, want a Role and a RoleBinding of one subject", role.Kind, binding.Kind, len(binding.Subjects))
	}
	return role, binding
}

package components

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/drone/envsubst/v2"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// Spec says how to render one provider's components.
type Spec struct {
	// ConfigDir is the provider's kustomize config (e.g. core/config/default in the module).
	ConfigDir string
	// SourceImage is the manager image the config names (without tag); Image replaces it.
	SourceImage, Image string
	// Variables fill clusterctl's ${NAME:=default} variables; a variable not given takes its
	// default.
	Variables map[string]string
}

// Generate renders a provider's components with kustomize's API, as the provider's release
// does: Image replaces the manager image, every container is pulled only if not present (the
// images are built or loaded, never pulled), and clusterctl's variables are substituted. The
// output still holds cert-manager's Certificate and Issuer objects; Prepare replaces them.
func Generate(spec Spec) ([]byte, error) {
	if spec.ConfigDir == "" || spec.SourceImage == "" || spec.Image == "" {
		return nil, fmt.Errorf("a provider spec needs a config directory, a source image and an image")
	}
	abs, err := filepath.Abs(spec.ConfigDir)
	if err != nil {
		return nil, fmt.Errorf("locate %s: %w", spec.ConfigDir, err)
	}
	overlay, err := os.MkdirTemp("", "zdt-components-")
	if err != nil {
		return nil, fmt.Errorf("create the kustomize overlay: %w", err)
	}
	defer os.RemoveAll(overlay)
	// kustomize takes a directory resource only as a path relative to the kustomization.
	rel, err := filepath.Rel(overlay, abs)
	if err != nil {
		return nil, fmt.Errorf("locate %s from the overlay: %w", abs, err)
	}
	name, tag, err := splitImage(spec.Image)
	if err != nil {
		return nil, err
	}
	kustomization := fmt.Sprintf(`apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- %s
images:
- name: %s
  newName: %s
  newTag: %q
patches:
- target:
    kind: Deployment
  patch: |-
    - op: replace
      path: /spec/template/spec/containers/0/imagePullPolicy
      value: IfNotPresent
`, rel, spec.SourceImage, name, tag)
	if err := os.WriteFile(filepath.Join(overlay, "kustomization.yaml"), []byte(kustomization), 0o644); err != nil {
		return nil, fmt.Errorf("write the kustomize overlay: %w", err)
	}
	opts := krusty.MakeDefaultOptions()
	// The overlay refers to the module's config outside its own directory.
	opts.LoadRestrictions = types.LoadRestrictionsNone
	m, err := krusty.MakeKustomizer(opts).Run(filesys.MakeFsOnDisk(), overlay)
	if err != nil {
		return nil, fmt.Errorf("kustomize %s: %w", spec.ConfigDir, err)
	}
	out, err := m.AsYaml()
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", spec.ConfigDir, err)
	}
	rendered, err := envsubst.Eval(string(out), func(v string) string { return spec.Variables[v] })
	if err != nil {
		return nil, fmt.Errorf("substitute variables in %s: %w", spec.ConfigDir, err)
	}
	if !strings.Contains(rendered, spec.Image) {
		return nil, fmt.Errorf("the components of %s do not name %s: is %s the manager image of the config?", spec.ConfigDir, spec.Image, spec.SourceImage)
	}
	return []byte(rendered), nil
}

// splitImage splits an image reference into its name and tag.
func splitImage(ref string) (string, string, error) {
	i := strings.LastIndex(ref, ":")
	if i < 0 || strings.Contains(ref[i:], "/") {
		return "", "", fmt.Errorf("image %q has no tag", ref)
	}
	return ref[:i], ref[i+1:], nil
}

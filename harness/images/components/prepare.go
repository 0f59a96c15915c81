package components

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// InjectCAAnnotation is cert-manager's annotation asking for a CA bundle to be injected.
const InjectCAAnnotation = "cert-manager.io/inject-ca-from"

const certManagerGroup = "cert-manager.io"

// Parse reads the objects of a multi-document YAML manifest.
func Parse(manifest []byte) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(manifest), 4096)
	var objs []*unstructured.Unstructured
	for {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			if err == io.EOF {
				return objs, nil
			}
			return nil, fmt.Errorf("read the components: %w", err)
		}
		if len(m) == 0 {
			continue
		}
		objs = append(objs, &unstructured.Unstructured{Object: m})
	}
}

// Prepare turns a provider's components into objects that install without cert-manager: each
// cert-manager Certificate becomes the TLS Secret it would have produced (signed by ca, with
// ca.crt), Certificates and Issuers are left out, and ca's bundle is set wherever an object
// asks for it with InjectCAAnnotation (webhook configurations, CRD conversion webhooks).
func Prepare(objs []*unstructured.Unstructured, ca *CA, now time.Time) ([]*unstructured.Unstructured, error) {
	certs := map[string]bool{} // namespace/name of every Certificate
	var out []*unstructured.Unstructured
	for _, o := range objs {
		if groupOf(o) != certManagerGroup {
			continue
		}
		if o.GetKind() != "Certificate" {
			continue
		}
		secret, err := certificateSecret(o, ca, now)
		if err != nil {
			return nil, err
		}
		certs[o.GetNamespace()+"/"+o.GetName()] = true
		out = append(out, secret)
	}
	bundle := base64.StdEncoding.EncodeToString(ca.PEM)
	for _, o := range objs {
		if groupOf(o) == certManagerGroup {
			continue // Certificates became Secrets; Issuers are not needed
		}
		o = o.DeepCopy()
		if from, ok := o.GetAnnotations()[InjectCAAnnotation]; ok {
			if !certs[from] {
				return nil, fmt.Errorf("%s %s asks for the CA of Certificate %s, which the components lack", o.GetKind(), o.GetName(), from)
			}
			if err := injectCA(o, bundle); err != nil {
				return nil, err
			}
		}
		out = append(out, o)
	}
	return out, nil
}

// certificateSecret issues the Secret a cert-manager Certificate stands for.
func certificateSecret(cert *unstructured.Unstructured, ca *CA, now time.Time) (*unstructured.Unstructured, error) {
	name, _, _ := unstructured.NestedString(cert.Object, "spec", "secretName")
	if name == "" {
		return nil, fmt.Errorf("Certificate %s/%s has no spec.secretName", cert.GetNamespace(), cert.GetName())
	}
	dnsNames, _, _ := unstructured.NestedStringSlice(cert.Object, "spec", "dnsNames")
	if common, _, _ := unstructured.NestedString(cert.Object, "spec", "commonName"); common != "" && len(dnsNames) == 0 {
		dnsNames = []string{common}
	}
	crt, key, err := ca.ServingCert(now, dnsNames)
	if err != nil {
		return nil, fmt.Errorf("Certificate %s/%s: %w", cert.GetNamespace(), cert.GetName(), err)
	}
	secret := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1",
		"kind":       "Secret",
		"metadata": map[string]any{
			"name":      name,
			"namespace": cert.GetNamespace(),
			"labels":    toAny(cert.GetLabels()),
			"annotations": map[string]any{
				"zdt.dev/issued-for": "cert-manager.io/v1 Certificate " + cert.GetName(),
			},
		},
		"type": "kubernetes.io/tls",
		"data": map[string]any{
			"tls.crt": base64.StdEncoding.EncodeToString(crt),
			"tls.key": base64.StdEncoding.EncodeToString(key),
			"ca.crt":  base64.StdEncoding.EncodeToString(ca.PEM),
		},
	}}
	if len(cert.GetLabels()) == 0 {
		unstructured.RemoveNestedField(secret.Object, "metadata", "labels")
	}
	return secret, nil
}

// injectCA sets the CA bundle of every webhook client config of o.
func injectCA(o *unstructured.Unstructured, bundle string) error {
	switch o.GetKind() {
	case "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration":
		hooks, _, err := unstructured.NestedSlice(o.Object, "webhooks")
		if err != nil {
			return fmt.Errorf("%s %s: %w", o.GetKind(), o.GetName(), err)
		}
		for i, h := range hooks {
			hook, ok := h.(map[string]any)
			if !ok {
				return fmt.Errorf("%s %s: webhook %d is not an object", o.GetKind(), o.GetName(), i)
			}
			if err := unstructured.SetNestedField(hook, bundle, "clientConfig", "caBundle"); err != nil {
				return fmt.Errorf("%s %s: %w", o.GetKind(), o.GetName(), err)
			}
			hooks[i] = hook
		}
		return unstructured.SetNestedSlice(o.Object, hooks, "webhooks")
	case "CustomResourceDefinition":
		if _, found, _ := unstructured.NestedMap(o.Object, "spec", "conversion", "webhook", "clientConfig"); !found {
			return nil // no conversion webhook: nothing to inject
		}
		return unstructured.SetNestedField(o.Object, bundle, "spec", "conversion", "webhook", "clientConfig", "caBundle")
	default:
		return fmt.Errorf("%s %s asks for a CA bundle, which zdt injects only into webhook configurations and CRDs", o.GetKind(), o.GetName())
	}
}

func groupOf(o *unstructured.Unstructured) string {
	group, _, _ := strings.Cut(o.GetAPIVersion(), "/")
	if !strings.Contains(o.GetAPIVersion(), "/") {
		return ""
	}
	return group
}

func toAny(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

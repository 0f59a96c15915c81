package chaos

import (
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/zdt-dev/zdt/scenarios/faults"
)

// OwnedLabel marks the objects zdt creates in a cluster it did not create, so that they can be
// found and removed.
const OwnedLabel = "dev.zdt.owned"

// APIInjectors are the kinds injected through the Kubernetes API alone: every provider that
// reaches a workload cluster's API injects them.
func APIInjectors() Injectors {
	return Injectors{
		faults.PodKill:       podKill,
		faults.NodeCordon:    nodeCordon,
		faults.EvictionError: evictionError,
	}
}

func ownedLabels() map[string]string { return map[string]string{OwnedLabel: "true"} }

func metavOpts() metav1.PatchOptions { return metav1.PatchOptions{FieldManager: "zdt"} }

func ignoreNotFound(err error) error {
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// dnsLabel turns a fault's name into a lower-case DNS label.
func dnsLabel(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	out := strings.Trim(b.String(), "-")
	if len(out) > 50 {
		out = out[:50]
	}
	if out == "" {
		out = "fault"
	}
	return out
}

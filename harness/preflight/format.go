package preflight

import (
	"fmt"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/version"

	"github.com/zdt-dev/zdt/scenarios"
)

// cpu formats millicores the way Kubernetes writes requests: 750m, 2.
func cpu(milli int64) string { return resource.NewMilliQuantity(milli, resource.DecimalSI).String() }

// mem formats bytes the way Kubernetes writes requests: 768Mi, 8Gi.
func mem(b int64) string { return resource.NewQuantity(b, resource.BinarySI).String() }

// parseVersion parses a Kubernetes version such as v1.36.3, v1.36.3+k3s1 or v1.36.
func parseVersion(s string) (*version.Version, error) {
	if v, err := scenarios.ParseVersion(s); err == nil { // the same as ParseSemantic, kept
		return v, nil
	}
	if v, err := version.ParseSemantic(s); err == nil {
		return v, nil
	}
	v, err := version.ParseGeneric(s)
	if err != nil {
		return nil, fmt.Errorf("version %q: %w", s, err)
	}
	return v, nil
}

// minorOf returns "v1.36" for v1.36.3.
func minorOf(v *version.Version) string { return fmt.Sprintf("v%d.%d", v.Major(), v.Minor()) }

// scaled resolves an int-or-percent such as maxSurge against total, as Kubernetes does.
func scaled(v *intstr.IntOrString, total int, roundUp bool, def int) (int, error) {
	if v == nil {
		return def, nil
	}
	return intstr.GetScaledValueFromIntOrPercent(v, total, roundUp)
}

// list joins names, shortening long lists: "a, b, c and 4 more".
func list(names []string) string {
	const max = 6
	if len(names) <= max {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:max], ", "), len(names)-max)
}

// plural returns "1 node" or "3 nodes".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

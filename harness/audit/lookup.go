package audit

import (
	"fmt"
	"sort"
	"strings"
	"sync/atomic"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/version"

	"github.com/zdt-dev/zdt/model"
)

// Status says whether an API is still fine, deprecated or gone at a given release.
type Status string

// The statuses of an API at a release, from best to worst.
const (
	// Current means the release serves the API without a deprecation warning.
	Current Status = "current"
	// Deprecated means the release serves the API but warns that it will go.
	Deprecated Status = "deprecated"
	// Removed means the release no longer serves the API: applying the object fails.
	Removed Status = "removed"
)

type key struct{ apiVersion, kind string }

// KindOfResource returns the kind of the table whose group, version and resource (the plural
// lowercase name the API server's metrics use, e.g. "ingresses") match; ok is false for an API
// the table does not know.
func KindOfResource(group, version, resource string) (kind string, ok bool) {
	gv := schema.GroupVersion{Group: group, Version: version}
	for k := range index {
		if k.apiVersion != gv.String() {
			continue
		}
		plural, _ := meta.UnsafeGuessKindToResource(gv.WithKind(k.kind))
		if plural.Resource == resource {
			return k.kind, true
		}
	}
	return "", false
}

// index maps every apiVersion and kind of the table to its change.
var index = func() map[key]Change {
	m := map[key]Change{}
	for _, r := range Releases() {
		for _, c := range append(append([]Change(nil), r.Removed...), r.Deprecated...) {
			k := key{c.APIVersion, c.Kind}
			if _, dup := m[k]; dup {
				panic(fmt.Sprintf("audit: %s %s appears twice in the table", c.APIVersion, c.Kind))
			}
			m[k] = c
		}
	}
	return m
}()

// Lookup returns what the table knows of an apiVersion and kind.
func Lookup(apiVersion, kind string) (Change, bool) {
	c, ok := index[key{apiVersion, kind}]
	return c, ok
}

// At returns the status of the change at the given minor release.
func (c Change) At(minor int) Status {
	switch {
	case c.RemovedIn > 0 && minor >= c.RemovedIn:
		return Removed
	case c.DeprecatedIn > 0 && minor >= c.DeprecatedIn:
		return Deprecated
	}
	return Current
}

// ParseTarget parses a target release such as v1.37, 1.37 or v1.37.2 and returns its minor.
func ParseTarget(s string) (int, error) {
	// A sweep's every run checks the same target: the last one parsed is kept.
	if t := lastTarget.Load(); t != nil && t.s == s {
		return t.minor, nil
	}
	minor, err := parseTarget(s)
	if err == nil {
		lastTarget.Store(&parsedTarget{s, minor})
	}
	return minor, err
}

type parsedTarget struct {
	s     string
	minor int
}

var lastTarget atomic.Pointer[parsedTarget]

func parseTarget(s string) (int, error) {
	v, err := version.ParseGeneric(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("target version %q: must look like v1.37: %w", s, err)
	}
	if v.Major() != 1 {
		return 0, fmt.Errorf("target version %q: only Kubernetes 1.x is known", s)
	}
	return int(v.Minor()), nil
}

// Finding is an object whose API is deprecated or removed at the target release.
type Finding struct {
	Object model.ObjectRef `json:"object"`
	Change
	// Status is Deprecated or Removed.
	Status Status `json:"status"`
}

// Check returns the objects whose API the target release deprecates or no longer serves, the
// removed ones first, then by source, kind and name.
func Check(minor int, objects []model.ObjectRef) []Finding {
	var out []Finding
	for _, o := range objects {
		c, ok := Lookup(o.APIVersion, o.Kind)
		if !ok {
			continue
		}
		if st := c.At(minor); st != Current {
			out = append(out, Finding{Object: o, Change: c, Status: st})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Status != b.Status {
			return a.Status == Removed
		}
		if a.Object.Source != b.Object.Source {
			return a.Object.Source < b.Object.Source
		}
		if a.Object.Kind != b.Object.Kind {
			return a.Object.Kind < b.Object.Kind
		}
		return a.Object.Name < b.Object.Name
	})
	return out
}

// Worst returns the worst status among the findings: Current when there are none.
func Worst(findings []Finding) Status {
	worst := Current
	for _, f := range findings {
		if f.Status == Removed {
			return Removed
		}
		worst = Deprecated
	}
	return worst
}

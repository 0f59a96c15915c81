package scenarios

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/scenarios/calibration"
	"github.com/zdt-dev/zdt/scenarios/manifests"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// InvalidError lists every problem found in a scenario file, each naming its field path.
type InvalidError struct {
	// Source is the file (or built-in name) the scenario came from.
	Source string
	// Problems are one line each, e.g. "spec.workloads[1].replicas: Invalid value: -1: must not be negative".
	Problems []string
}

func (e *InvalidError) Error() string {
	return fmt.Sprintf("%s: %d problem(s):\n  %s", e.Source, len(e.Problems), strings.Join(e.Problems, "\n  "))
}

// MaxScenarioBytes bounds a scenario file: anything larger is not a scenario someone wrote.
const MaxScenarioBytes = 1 << 20

// Parse decodes a scenario strictly (unknown and duplicate fields are errors), applies defaults
// and validates it. On any problem it returns an *InvalidError listing all of them.
func Parse(source string, data []byte) (*Scenario, error) {
	return ParseWith(source, data, nil)
}

// ParseWith is Parse with profile in place of the default calibration profile (nil: the
// default): the scenario's own spec.calibration fields still override it.
func ParseWith(source string, data []byte, profile *calibration.Calibration) (*Scenario, error) {
	invalid := &InvalidError{Source: source}
	if len(data) > MaxScenarioBytes {
		invalid.Problems = append(invalid.Problems, fmt.Sprintf("the file is %d bytes; a scenario is at most %d (put manifests in spec.manifests files)", len(data), MaxScenarioBytes))
		return nil, invalid
	}
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		invalid.Problems = append(invalid.Problems, "not valid YAML: "+err.Error())
		return nil, invalid
	}
	invalid.Problems = append(invalid.Problems, duplicateKeys(data)...)
	var s Scenario
	// Decoding into a filled calibration profile keeps the defaults of fields left out.
	cal := DefaultCalibration()
	if profile != nil {
		cal = *profile
	}
	s.Spec.Calibration = &cal
	strict, err := sigsjson.UnmarshalStrict(js, &s, sigsjson.DisallowDuplicateFields, sigsjson.DisallowUnknownFields)
	for _, e := range strict {
		invalid.Problems = append(invalid.Problems, strictProblem(e.Error()))
	}
	if err != nil {
		// A value that does not fit its type: find every one, each with its field path.
		if typed := typeProblems(js); len(typed) > 0 {
			invalid.Problems = append(invalid.Problems, typed...)
		} else {
			invalid.Problems = append(invalid.Problems, strings.TrimPrefix(err.Error(), "json: "))
		}
		return nil, invalid
	}
	SetDefaults(&s)
	for _, e := range Validate(&s) {
		invalid.Problems = append(invalid.Problems, e.Error())
	}
	if len(invalid.Problems) > 0 {
		return nil, invalid
	}
	return &s, nil
}

// strictProblem turns `unknown field "spec.foo"` into `spec.foo: unknown field; ...`.
func strictProblem(msg string) string {
	for _, kind := range []string{"unknown field", "duplicate field"} {
		if rest, ok := strings.CutPrefix(msg, kind+" "); ok {
			fieldPath := strings.Trim(rest, `"`)
			fix := "remove it or check its spelling against the README"
			if kind == "duplicate field" {
				fix = "keep only one of them"
			}
			return fmt.Sprintf("%s: %s; %s", fieldPath, kind, fix)
		}
	}
	return msg
}

// The built-in library: scenarios in library/*.yaml, the manifests some of them name under
// library/manifests.
//
//go:embed library
var embedded embed.FS

// library is the library folder, where builtin: manifest paths start.
var library = mustSub(embedded, "library")

func mustSub(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err)
	}
	return sub
}

// BuiltinPrefix marks a manifest path of the built-in library (spec.manifests).
const BuiltinPrefix = "builtin:"

// ReadManifests reads the objects of the scenario's spec.manifests into s.Objects. Relative
// paths are taken from dir (the scenario file's folder); they become absolute, so that the
// resolved scenario (a run directory's, a sweep's reproducer) reads them from anywhere. Paths
// starting with BuiltinPrefix are read from the built-in library. A path that cannot be read is
// an *InvalidError naming its field.
func ReadManifests(s *Scenario, source, dir string) error {
	s.Objects = nil
	invalid := &InvalidError{Source: source}
	for i, p := range s.Spec.Manifests {
		var objs []model.ObjectRef
		var err error
		if rest, ok := strings.CutPrefix(p, BuiltinPrefix); ok {
			objs, err = manifests.Read(library, []string{rest})
		} else {
			if !filepath.IsAbs(p) {
				p = filepath.Join(dir, p)
			}
			p = filepath.Clean(p)
			s.Spec.Manifests[i] = p
			objs, err = manifests.Read(nil, []string{p})
		}
		if err != nil {
			invalid.Problems = append(invalid.Problems, fmt.Sprintf("spec.manifests[%d]: %v; paths are relative to the scenario file", i, err))
			continue
		}
		s.Objects = append(s.Objects, objs...)
	}
	if len(invalid.Problems) > 0 {
		return invalid
	}
	return nil
}

// Names lists the built-in scenarios.
func Names() []string {
	entries, _ := fs.Glob(library, "*.yaml")
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e, ".yaml"))
	}
	sort.Strings(names)
	return names
}

// Builtin returns the YAML of a built-in scenario.
func Builtin(name string) ([]byte, bool) {
	data, err := fs.ReadFile(library, name+".yaml")
	return data, err == nil
}

// Open reads a scenario from a file path or, when no such file exists, from the built-in
// library by name. It returns the scenario and the YAML it came from.
// OpenAsWritten opens a scenario as Open does (checked the same way) and returns it as its file
// says, without the defaults: what a scenario built from it (zdt scenario import, zdt predict)
// copies, so that the new file says only what the base says.
func OpenAsWritten(nameOrPath string) (*Scenario, error) {
	_, raw, err := Open(nameOrPath)
	if err != nil {
		return nil, err
	}
	var s Scenario
	if err := yaml.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("scenario %s: %w", nameOrPath, err)
	}
	return &s, nil
}

func Open(nameOrPath string) (*Scenario, []byte, error) { return OpenWith(nameOrPath, nil) }

// OpenWith is Open with a calibration profile in place of the default one (ParseWith).
func OpenWith(nameOrPath string, profile *calibration.Calibration) (*Scenario, []byte, error) {
	data, err := os.ReadFile(nameOrPath)
	source := nameOrPath
	if errors.Is(err, fs.ErrNotExist) && !strings.ContainsAny(nameOrPath, `/\`) {
		name := strings.TrimSuffix(path.Base(nameOrPath), ".yaml")
		var ok bool
		if data, ok = Builtin(name); ok {
			err, source = nil, "builtin:"+name
		}
	}
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("scenario %q: no such file and no built-in scenario of that name (built-in: %s)",
				nameOrPath, strings.Join(Names(), ", "))
		}
		return nil, nil, fmt.Errorf("read scenario: %w", err)
	}
	s, err := ParseWith(source, data, profile)
	if err != nil {
		return nil, data, err
	}
	if strings.HasPrefix(source, "builtin:") {
		// The library's manifests sit next to its scenarios.
		for i, p := range s.Spec.Manifests {
			if !strings.HasPrefix(p, BuiltinPrefix) {
				s.Spec.Manifests[i] = BuiltinPrefix + path.Clean(p)
			}
		}
		err = ReadManifests(s, source, "")
	} else {
		err = ReadManifests(s, source, filepath.Dir(nameOrPath))
	}
	if err != nil {
		return nil, data, err
	}
	return s, data, nil
}

// Marshal renders a scenario as YAML (the resolved scenario of a run directory).
func Marshal(s *Scenario) ([]byte, error) {
	return yaml.Marshal(s)
}

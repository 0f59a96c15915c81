package scenarios

import (
	_ "embed"
	"fmt"
	"os"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/zdt-dev/zdt/scenarios/calibration"
)

// ProfileKind is the kind of a calibration profile file.
const ProfileKind = "CalibrationProfile"

// Profile is a calibration profile file: the simulator's timings fitted to a real cluster by
// zdt calibrate, with where and when they were measured. Fields the file leaves out keep their
// base values (calibration.Base).
type Profile struct {
	APIVersion string                  `json:"apiVersion"`
	Kind       string                  `json:"kind"`
	Metadata   ProfileMetadata         `json:"metadata"`
	Spec       calibration.Calibration `json:"spec"`
}

// ProfileMetadata says where a profile comes from.
type ProfileMetadata struct {
	Name string `json:"name"`
	// Provider and Machine are where the real runs were made, e.g. "kind", "2 cores, 24 GiB".
	Provider string `json:"provider,omitempty"`
	Machine  string `json:"machine,omitempty"`
	// Measured is the date of the real runs (RFC 3339).
	Measured string `json:"measured,omitempty"`
	// Runs are the real run directories the profile was fitted from.
	Runs []string `json:"runs,omitempty"`
	// Fitted lists, per field, what it was fitted from (e.g. "nodeJoin: 4 workers, median 39.5s").
	Fitted []string `json:"fitted,omitempty"`
}

//go:embed profiles/default.yaml
var defaultProfileYAML []byte

// defaultProfile is the shipped profile, parsed once.
var defaultProfile = func() calibration.Calibration {
	p, err := ParseProfile("builtin:profiles/default.yaml", defaultProfileYAML)
	if err != nil {
		panic(err) // a test parses it: a broken file never ships
	}
	return p.Spec
}()

// DefaultCalibration returns the default timing profile: the base values with the shipped
// profile (profiles/default.yaml, fitted by zdt calibrate) over them.
func DefaultCalibration() calibration.Calibration { return defaultProfile }

// DefaultProfileYAML is the shipped profile file as it is embedded.
func DefaultProfileYAML() []byte { return append([]byte(nil), defaultProfileYAML...) }

// ParseProfile decodes a calibration profile strictly over the base values and validates it;
// every problem names its field (spec.nodeJoin, ...).
func ParseProfile(source string, data []byte) (*Profile, error) {
	invalid := &InvalidError{Source: source}
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		invalid.Problems = append(invalid.Problems, "not valid YAML: "+err.Error())
		return nil, invalid
	}
	p := &Profile{Spec: calibration.Base()}
	strict, err := sigsjson.UnmarshalStrict(js, p, sigsjson.DisallowDuplicateFields, sigsjson.DisallowUnknownFields)
	for _, e := range strict {
		invalid.Problems = append(invalid.Problems, strictProblem(e.Error()))
	}
	if err != nil {
		invalid.Problems = append(invalid.Problems, strings.TrimPrefix(err.Error(), "json: "))
		return nil, invalid
	}
	if p.APIVersion != APIVersion {
		invalid.Problems = append(invalid.Problems, field.Invalid(field.NewPath("apiVersion"), p.APIVersion, "must be "+APIVersion).Error())
	}
	if p.Kind != ProfileKind {
		invalid.Problems = append(invalid.Problems, field.Invalid(field.NewPath("kind"), p.Kind, "must be "+ProfileKind+" (a file written by zdt calibrate)").Error())
	}
	for _, e := range p.Spec.Validate(field.NewPath("spec")) {
		invalid.Problems = append(invalid.Problems, e.Error())
	}
	if len(invalid.Problems) > 0 {
		return nil, invalid
	}
	return p, nil
}

// ReadProfile reads a calibration profile file (zdt run --calibration FILE).
func ReadProfile(path string) (*Profile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("calibration profile: %w", err)
	}
	if len(data) > MaxScenarioBytes {
		return nil, fmt.Errorf("calibration profile %s: %d bytes is not a profile", path, len(data))
	}
	return ParseProfile(path, data)
}

// MarshalProfile renders a profile as YAML.
func MarshalProfile(p *Profile) ([]byte, error) {
	p.APIVersion, p.Kind = APIVersion, ProfileKind
	return yaml.Marshal(p)
}

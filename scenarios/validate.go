package scenarios

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apimachinery/pkg/util/version"

	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/scenarios/faults"
)

// Validate checks a defaulted scenario and returns every problem found, each with its field path.
func Validate(s *Scenario) field.ErrorList {
	var errs field.ErrorList
	if s.APIVersion != APIVersion {
		errs = append(errs, field.NotSupported(field.NewPath("apiVersion"), s.APIVersion, []string{APIVersion}))
	}
	if s.Kind != Kind {
		errs = append(errs, field.NotSupported(field.NewPath("kind"), s.Kind, []string{Kind}))
	}
	name := field.NewPath("metadata", "name")
	if s.Metadata.Name == "" {
		errs = append(errs, field.Required(name, "a scenario needs a name, e.g. ha-three-workers"))
	} else {
		for _, msg := range validation.IsDNS1123Label(s.Metadata.Name) {
			errs = append(errs, field.Invalid(name, s.Metadata.Name, msg))
		}
	}
	spec := field.NewPath("spec")
	errs = append(errs, validateCluster(&s.Spec.Cluster, spec.Child("cluster"))...)
	errs = append(errs, validateVersions(&s.Spec.Versions, spec.Child("versions"))...)
	errs = append(errs, validateStrategy(s)...)
	for i, m := range s.Spec.Manifests {
		if strings.TrimSpace(strings.TrimPrefix(m, BuiltinPrefix)) == "" {
			errs = append(errs, field.Required(spec.Child("manifests").Index(i), "a file or folder of manifests, relative to the scenario file"))
		}
	}
	errs = append(errs, validateExpect(s.Spec.Expect, spec.Child("expect"))...)
	workloads := sets.New[string]()
	wp := spec.Child("workloads")
	if len(s.Spec.Workloads) == 0 {
		errs = append(errs, field.Required(wp, "add at least one workload to send load at"))
	}
	for i := range s.Spec.Workloads {
		w := &s.Spec.Workloads[i]
		p := wp.Index(i)
		if workloads.Has(w.Name) {
			errs = append(errs, field.Duplicate(p.Child("name"), w.Name))
		}
		workloads.Insert(w.Name)
		errs = append(errs, validateWorkload(w, p)...)
	}
	for i := range s.Spec.Workloads {
		if b := s.Spec.Workloads[i].PDB; b != nil {
			for j, other := range b.ExtraSelects {
				if !workloads.Has(other) {
					errs = append(errs, field.NotFound(wp.Index(i).Child("pdb", "extraSelects").Index(j), other))
				}
			}
		}
	}
	errs = append(errs, validateLoad(&s.Spec.Load, workloads, spec.Child("load"))...)
	pools := sets.New[string]()
	for _, p := range s.Spec.Cluster.WorkerPools {
		pools.Insert(p.Name)
	}
	fc := faults.ValidateContext{Workloads: workloads, Pools: pools}
	for i := range s.Spec.Faults {
		errs = append(errs, faults.Validate(&s.Spec.Faults[i], fc, spec.Child("faults").Index(i))...)
	}
	errs = append(errs, validateCriteria(&s.Spec.Criteria, spec.Child("criteria"))...)
	if s.Spec.Calibration != nil {
		errs = append(errs, s.Spec.Calibration.Validate(spec.Child("calibration"))...)
	}
	return append(errs, validateBounds(s)...)
}

func nonNegative(d *metav1.Duration, p *field.Path) field.ErrorList {
	if d != nil && d.Duration < 0 {
		return field.ErrorList{field.Invalid(p, d.Duration.String(), "must not be negative")}
	}
	return nil
}

func positiveQty(q *resource.Quantity, p *field.Path) field.ErrorList {
	if q != nil && q.Sign() <= 0 {
		return field.ErrorList{field.Invalid(p, q.String(), "must be greater than zero")}
	}
	return nil
}

func intOrPercent(v *intstr.IntOrString, p *field.Path) field.ErrorList {
	if v == nil {
		return nil
	}
	if v.Type == intstr.Int {
		if v.IntVal < 0 {
			return field.ErrorList{field.Invalid(p, v.IntVal, "must not be negative")}
		}
		return nil
	}
	n, err := intstr.GetScaledValueFromIntOrPercent(v, 100, false)
	if err != nil || !strings.HasSuffix(v.StrVal, "%") {
		return field.ErrorList{field.Invalid(p, v.StrVal, "must be a whole number or a percentage like 25%")}
	}
	if n < 0 || n > 100 {
		return field.ErrorList{field.Invalid(p, v.StrVal, "must be between 0% and 100%")}
	}
	return nil
}

func validateCapacity(c *Capacity, p *field.Path) field.ErrorList {
	if c == nil {
		return nil
	}
	errs := positiveQty(c.CPU, p.Child("cpu"))
	errs = append(errs, positiveQty(c.Memory, p.Child("memory"))...)
	if c.Pods != nil && *c.Pods < 1 {
		errs = append(errs, field.Invalid(p.Child("pods"), *c.Pods, "must be at least 1"))
	}
	return errs
}

func validateCluster(c *Cluster, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	zones := sets.New[string]()
	for i, z := range c.Zones {
		if z == "" {
			errs = append(errs, field.Required(p.Child("zones").Index(i), "a zone needs a name"))
		} else if zones.Has(z) {
			errs = append(errs, field.Duplicate(p.Child("zones").Index(i), z))
		}
		zones.Insert(z)
	}
	cp := p.Child("controlPlane")
	if r := c.ControlPlane.Replicas; r != nil && (*r < 1 || *r%2 == 0) {
		errs = append(errs, field.Invalid(cp.Child("replicas"), *r, "must be odd and at least 1 (etcd needs a majority): use 1, 3 or 5"))
	}
	errs = append(errs, validateCapacity(c.ControlPlane.Capacity, cp.Child("capacity"))...)
	pp := p.Child("workerPools")
	if len(c.WorkerPools) == 0 {
		errs = append(errs, field.Required(pp, "add at least one worker pool (MachineDeployment)"))
	}
	names := sets.New[string]()
	for i := range c.WorkerPools {
		wp := &c.WorkerPools[i]
		ip := pp.Index(i)
		if wp.Name == "" {
			errs = append(errs, field.Required(ip.Child("name"), "a worker pool needs a name, e.g. md-0"))
		} else {
			for _, msg := range validation.IsDNS1123Label(wp.Name) {
				errs = append(errs, field.Invalid(ip.Child("name"), wp.Name, msg))
			}
			if names.Has(wp.Name) {
				errs = append(errs, field.Duplicate(ip.Child("name"), wp.Name))
			}
			names.Insert(wp.Name)
		}
		if wp.Replicas != nil && *wp.Replicas < 0 {
			errs = append(errs, field.Invalid(ip.Child("replicas"), *wp.Replicas, "must not be negative"))
		}
		errs = append(errs, intOrPercent(wp.MaxSurge, ip.Child("maxSurge"))...)
		errs = append(errs, intOrPercent(wp.MaxUnavailable, ip.Child("maxUnavailable"))...)
		if wp.MaxSurge != nil && wp.MaxUnavailable != nil && wp.Replicas != nil {
			surge, _ := intstr.GetScaledValueFromIntOrPercent(wp.MaxSurge, int(*wp.Replicas), true)
			unav, _ := intstr.GetScaledValueFromIntOrPercent(wp.MaxUnavailable, int(*wp.Replicas), false)
			if surge == 0 && unav == 0 {
				errs = append(errs, field.Invalid(ip.Child("maxSurge"), wp.MaxSurge.String(), "maxSurge and maxUnavailable cannot both be 0: the rollout could never start; set maxSurge: 1"))
			}
		}
		errs = append(errs, nonNegative(wp.NodeDrainTimeout, ip.Child("nodeDrainTimeout"))...)
		errs = append(errs, validateCapacity(wp.Capacity, ip.Child("capacity"))...)
		for j, z := range wp.Zones {
			if !zones.Has(z) {
				errs = append(errs, field.NotSupported(ip.Child("zones").Index(j), z, c.Zones))
			}
		}
		errs = append(errs, validatePoolStart(wp, ip.Child("start"))...)
	}
	return errs
}

func validateExpect(x *Expectation, p *field.Path) field.ErrorList {
	if x == nil {
		return nil
	}
	var errs field.ErrorList
	verdicts := []string{"PASS", "FAIL", "INCONCLUSIVE"}
	if !slices.Contains(verdicts, x.Verdict) {
		errs = append(errs, field.NotSupported(p.Child("verdict"), x.Verdict, verdicts))
	}
	if x.Verdict == "PASS" && (x.Criterion != "" || x.Cause != "") {
		errs = append(errs, field.Forbidden(p.Child("criterion"), "a PASS fails no criterion: remove criterion and cause"))
	}
	if x.Cause != "" && x.Criterion == "" {
		errs = append(errs, field.Required(p.Child("criterion"), "name the criterion whose cause must contain "+strconv.Quote(x.Cause)))
	}
	return errs
}

func validatePoolStart(wp *WorkerPool, p *field.Path) field.ErrorList {
	st := wp.Start
	if st == nil {
		return nil
	}
	var errs field.ErrorList
	if st.NotReady < 0 {
		errs = append(errs, field.Invalid(p.Child("notReady"), st.NotReady, "must not be negative"))
	}
	if st.Cordoned < 0 {
		errs = append(errs, field.Invalid(p.Child("cordoned"), st.Cordoned, "must not be negative"))
	}
	if wp.Replicas != nil && st.NotReady+st.Cordoned > *wp.Replicas {
		errs = append(errs, field.Invalid(p.Child("cordoned"), st.Cordoned,
			fmt.Sprintf("notReady and cordoned nodes (%d) are more than the pool's %d replicas", st.NotReady+st.Cordoned, *wp.Replicas)))
	}
	if st.Version != "" {
		if _, err := ParseVersion(st.Version); err != nil {
			errs = append(errs, field.Invalid(p.Child("version"), st.Version, "must be a version such as v1.33.4"))
		}
	}
	return errs
}

// ParseVersion parses a Kubernetes version such as v1.36.3.
func ParseVersion(s string) (*version.Version, error) {
	if v, ok := parsedVersions.Load(s); ok {
		return v.(*version.Version), nil
	}
	if !strings.HasPrefix(s, "v") {
		return nil, fmt.Errorf("must look like v1.36.3")
	}
	v, err := version.ParseSemantic(s)
	if err != nil {
		return nil, fmt.Errorf("must look like v1.36.3")
	}
	if parsedCount.Add(1) <= maxParsedVersions {
		parsedVersions.Store(s, v)
	}
	return v, nil
}

// parsedVersions keeps the versions parsed so far (a version.Version is never changed in
// place): a sweep compares the same few versions millions of times. At most maxParsedVersions
// are kept, whatever a fuzzer feeds in.
var (
	parsedVersions sync.Map
	parsedCount    atomic.Int64
)

const maxParsedVersions = 1024

// VersionLess reports whether Kubernetes version a is older than b. Versions that do not parse
// compare as strings.
func VersionLess(a, b string) bool {
	va, errA := ParseVersion(a)
	vb, errB := ParseVersion(b)
	if errA != nil || errB != nil {
		return a < b
	}
	return va.LessThan(vb)
}

func validateVersions(v *Versions, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	from, err := ParseVersion(v.From)
	if err != nil {
		errs = append(errs, field.Invalid(p.Child("from"), v.From, err.Error()))
	}
	to, err := ParseVersion(v.To)
	if err != nil {
		errs = append(errs, field.Invalid(p.Child("to"), v.To, err.Error()))
	}
	if from == nil || to == nil {
		return errs
	}
	if !from.LessThan(to) {
		errs = append(errs, field.Invalid(p.Child("to"), v.To, fmt.Sprintf("must be newer than from (%s): zdt certifies upgrades", v.From)))
		return errs
	}
	if to.Major() != from.Major() {
		errs = append(errs, field.Invalid(p.Child("to"), v.To, "must have the same major version as from"))
	}
	for i, s := range v.Via {
		via, err := ParseVersion(s)
		if err != nil {
			errs = append(errs, field.Invalid(p.Child("via").Index(i), s, err.Error()))
			continue
		}
		if via.Minor() <= from.Minor() || via.Minor() >= to.Minor() {
			errs = append(errs, field.Invalid(p.Child("via").Index(i), s,
				fmt.Sprintf("must be a minor between %s and %s (exclusive)", v.From, v.To)))
		}
	}
	return errs
}

func validateWorkload(w *Workload, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if w.Name == "" {
		errs = append(errs, field.Required(p.Child("name"), "a workload needs a name, e.g. web"))
	} else {
		for _, msg := range validation.IsDNS1123Label(w.Name) {
			errs = append(errs, field.Invalid(p.Child("name"), w.Name, msg))
		}
		if w.Name == ReservedTarget {
			errs = append(errs, field.Invalid(p.Child("name"), w.Name, "is reserved for the Kubernetes API prober's samples; pick another name"))
		}
	}
	replicas := int32(1)
	if w.Replicas != nil {
		replicas = *w.Replicas
		if replicas < 0 {
			errs = append(errs, field.Invalid(p.Child("replicas"), replicas, "must not be negative"))
		}
	}
	if r := w.Requests; r != nil {
		if r.CPU != nil && r.CPU.Sign() < 0 {
			errs = append(errs, field.Invalid(p.Child("requests", "cpu"), r.CPU.String(), "must not be negative"))
		}
		if r.Memory != nil && r.Memory.Sign() < 0 {
			errs = append(errs, field.Invalid(p.Child("requests", "memory"), r.Memory.String(), "must not be negative"))
		}
	}
	if s := w.Strategy; s != nil {
		errs = append(errs, intOrPercent(s.MaxSurge, p.Child("strategy", "maxSurge"))...)
		errs = append(errs, intOrPercent(s.MaxUnavailable, p.Child("strategy", "maxUnavailable"))...)
	}
	errs = append(errs, nonNegative(w.StartupTime, p.Child("startupTime"))...)
	if pr := w.ReadinessProbe; pr != nil {
		pp := p.Child("readinessProbe")
		errs = append(errs, nonNegative(pr.InitialDelay, pp.Child("initialDelay"))...)
		if pr.Period != nil && pr.Period.Duration < time.Second {
			errs = append(errs, field.Invalid(pp.Child("period"), pr.Period.Duration.String(), "must be at least 1s (the Pod API's minimum)"))
		}
		if pr.FailureThreshold != nil && *pr.FailureThreshold < 1 {
			errs = append(errs, field.Invalid(pp.Child("failureThreshold"), *pr.FailureThreshold, "must be at least 1"))
		}
		if pr.SuccessThreshold != nil && *pr.SuccessThreshold != 1 {
			errs = append(errs, field.Invalid(pp.Child("successThreshold"), *pr.SuccessThreshold, "must be 1 for readiness probes"))
		}
	}
	if w.PreStop != nil {
		errs = append(errs, nonNegative(&w.PreStop.Sleep, p.Child("preStop", "sleep"))...)
	}
	errs = append(errs, nonNegative(w.TerminationGracePeriod, p.Child("terminationGracePeriod"))...)
	if sh := w.Shutdown; sh != nil {
		if sh.OnSigterm != "" && !slices.Contains(ShutdownModes, sh.OnSigterm) {
			errs = append(errs, field.NotSupported(p.Child("shutdown", "onSigterm"), sh.OnSigterm, ShutdownModes))
		}
		errs = append(errs, nonNegative(sh.DrainTime, p.Child("shutdown", "drainTime"))...)
	}
	if b := w.PDB; b != nil {
		errs = append(errs, validatePDB(b, replicas, p.Child("pdb"))...)
	}
	if t := w.TopologySpread; t != nil {
		tp := p.Child("topologySpread")
		if t.TopologyKey != "" && t.TopologyKey != TopologyHostname && t.TopologyKey != TopologyZone {
			errs = append(errs, field.NotSupported(tp.Child("topologyKey"), t.TopologyKey, []string{TopologyHostname, TopologyZone}))
		}
		if t.MaxSkew != nil && *t.MaxSkew < 1 {
			errs = append(errs, field.Invalid(tp.Child("maxSkew"), *t.MaxSkew, "must be at least 1"))
		}
		if t.WhenUnsatisfiable != "" && t.WhenUnsatisfiable != DoNotSchedule && t.WhenUnsatisfiable != ScheduleAnyway {
			errs = append(errs, field.NotSupported(tp.Child("whenUnsatisfiable"), t.WhenUnsatisfiable, []WhenUnsatisfiable{DoNotSchedule, ScheduleAnyway}))
		}
	}
	return errs
}

func validatePDB(b *PDB, replicas int32, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch {
	case b.MinAvailable == nil && b.MaxUnavailable == nil:
		errs = append(errs, field.Required(p.Child("minAvailable"), "set minAvailable or maxUnavailable"))
	case b.MinAvailable != nil && b.MaxUnavailable != nil:
		errs = append(errs, field.Forbidden(p.Child("maxUnavailable"), "set only one of minAvailable and maxUnavailable"))
	}
	errs = append(errs, intOrPercent(b.MinAvailable, p.Child("minAvailable"))...)
	errs = append(errs, intOrPercent(b.MaxUnavailable, p.Child("maxUnavailable"))...)
	if m := b.MinAvailable; m != nil && m.Type == intstr.Int && m.IntVal > replicas && replicas >= 0 {
		errs = append(errs, field.Invalid(p.Child("minAvailable"), m.IntVal,
			fmt.Sprintf("exceeds replicas (%d): no eviction could ever be allowed; use at most replicas-1", replicas)))
	}
	if b.UnhealthyPodEvictionPolicy != "" && b.UnhealthyPodEvictionPolicy != IfHealthyBudget && b.UnhealthyPodEvictionPolicy != AlwaysAllow {
		errs = append(errs, field.NotSupported(p.Child("unhealthyPodEvictionPolicy"), b.UnhealthyPodEvictionPolicy,
			[]UnhealthyPodEvictionPolicy{IfHealthyBudget, AlwaysAllow}))
	}
	if b.Name != "" {
		for _, msg := range validation.IsDNS1123Label(b.Name) {
			errs = append(errs, field.Invalid(p.Child("name"), b.Name, msg))
		}
	}
	return errs
}

func validateLoad(l *Load, workloads sets.Set[string], p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if l.Rate != nil && *l.Rate <= 0 {
		errs = append(errs, field.Invalid(p.Child("rate"), *l.Rate, "must be greater than 0 requests per second"))
	}
	if pc := l.Pacer; pc != nil {
		pp := p.Child("pacer")
		switch pc.Type {
		case "", PacerConstant:
		case PacerLinear:
			if pc.Slope == nil {
				errs = append(errs, field.Required(pp.Child("slope"), "a linear pacer needs a slope in requests per second per second"))
			}
		case PacerSine:
			if pc.Period == nil || pc.Period.Duration <= 0 {
				errs = append(errs, field.Required(pp.Child("period"), "a sine pacer needs a period greater than 0, e.g. 1m"))
			}
			if pc.Amplitude == nil || *pc.Amplitude < 0 {
				errs = append(errs, field.Required(pp.Child("amplitude"), "a sine pacer needs an amplitude of at least 0"))
			} else if l.Rate != nil && *pc.Amplitude >= *l.Rate {
				errs = append(errs, field.Invalid(pp.Child("amplitude"), *pc.Amplitude, fmt.Sprintf("must be below rate (%g) so the rate stays positive", *l.Rate)))
			}
		default:
			errs = append(errs, field.NotSupported(pp.Child("type"), pc.Type, []PacerType{PacerConstant, PacerLinear, PacerSine}))
		}
	}
	if l.Duration != "" && l.Duration != UntilUpgradeDone {
		if d, err := time.ParseDuration(l.Duration); err != nil || d <= 0 {
			errs = append(errs, field.Invalid(p.Child("duration"), l.Duration, `must be "whole-upgrade" or a positive duration such as 20m`))
		}
	}
	for i, t := range l.Targets {
		if !workloads.Has(t) {
			errs = append(errs, field.NotSupported(p.Child("targets").Index(i), t, sets.List(workloads)))
		}
	}
	seen := sets.New[string]()
	for i, c := range l.Connections {
		cp := p.Child("connections").Index(i)
		if c != "new" && c != "reused" {
			errs = append(errs, field.NotSupported(cp, c, []string{"new", "reused"}))
		} else if seen.Has(c) {
			errs = append(errs, field.Duplicate(cp, c))
		}
		seen.Insert(c)
	}
	if l.Timeout != nil && l.Timeout.Duration <= 0 {
		errs = append(errs, field.Invalid(p.Child("timeout"), l.Timeout.Duration.String(), "must be greater than 0"))
	}
	errs = append(errs, nonNegative(l.Warmup, p.Child("warmup"))...)
	return errs
}

// ReservedTarget is the sample target of the API prober; no workload may take its name.
const ReservedTarget = model.APITarget

func validateCriteria(c *Criteria, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if c.MaxDroppedRequests != nil && *c.MaxDroppedRequests < 0 {
		errs = append(errs, field.Invalid(p.Child("maxDroppedRequests"), *c.MaxDroppedRequests, "must not be negative"))
	}
	errs = append(errs, nonNegative(c.MaxAPIDowntime, p.Child("maxAPIDowntime"))...)
	errs = append(errs, nonNegative(c.MaxPDBStall, p.Child("maxPDBStall"))...)
	if m := c.MinReadyPercent; m != nil && (*m < 0 || *m > 100) {
		errs = append(errs, field.Invalid(p.Child("minReadyPercent"), *m, "must be between 0 and 100"))
	}
	if r := c.Resolution; r != nil && (r.Duration < time.Millisecond || r.Duration > time.Minute) {
		errs = append(errs, field.Invalid(p.Child("resolution"), r.Duration.String(), "must be between 1ms and 1m: the shortest disruption the run must see"))
	}
	if m := c.MinReadyReplicas; m != nil && *m < 0 {
		errs = append(errs, field.Invalid(p.Child("minReadyReplicas"), *m, "must not be negative (0 turns the availability floor off)"))
	}
	if d := c.UpgradeDeadline; d != nil && d.Duration <= 0 {
		errs = append(errs, field.Invalid(p.Child("upgradeDeadline"), d.Duration.String(), "must be greater than 0"))
	}
	return errs
}

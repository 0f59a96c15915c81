// Package importer builds a scenario from a user's own manifests (zdt scenario import): the
// Deployments and StatefulSets become workloads, with what their PodDisruptionBudgets,
// HorizontalPodAutoscalers and Services say about them. What manifests cannot show (how the
// application behaves at SIGTERM, how long it takes to start) is an assumption, written as a
// comment beside the field and settable per workload with annotations; whatever cannot be
// mapped is listed, never dropped.
package importer

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/intstr"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/zdt-dev/zdt/scenarios"
)

// The annotations that state, on a Deployment or StatefulSet (or its pod template), what the
// manifests cannot show.
const (
	// AnnotationOnSigterm is the application's behaviour at SIGTERM: Graceful, Drain or Exit.
	AnnotationOnSigterm = "zdt.dev/on-sigterm"
	// AnnotationStartupTime is how long the application takes to serve after its container
	// starts, as a Go duration (20s).
	AnnotationStartupTime = "zdt.dev/startup-time"
)

// What is assumed when the manifests and the annotations say nothing.
const (
	assumedOnSigterm   = scenarios.ShutdownGraceful
	assumedStartupTime = 5 * time.Second
)

// Object is one decoded object with where it came from.
type Object struct {
	Obj    runtime.Object
	Kind   string
	Name   string // namespace/name
	Source string // file and document number
}

var scheme = runtime.NewScheme()

func init() {
	for _, add := range []func(*runtime.Scheme) error{appsv1.AddToScheme, corev1.AddToScheme, policyv1.AddToScheme, autoscalingv2.AddToScheme} {
		if err := add(scheme); err != nil {
			panic(err)
		}
	}
}

// Decode reads every YAML or JSON document of r (what helm template or kustomize build
// prints). Objects of the kinds the importer reads are decoded into their Kubernetes types;
// every other object is returned with Obj nil, so that it can be listed as not mapped.
func Decode(source string, r io.Reader) ([]Object, error) {
	codecs := serializer.NewCodecFactory(scheme)
	dec := codecs.UniversalDeserializer()
	yr := utilyaml.NewYAMLReader(bufio.NewReader(r))
	var out []Object
	for doc := 1; ; doc++ {
		data, err := yr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", source, doc, err)
		}
		if len(bytes.TrimSpace(stripComments(data))) == 0 {
			continue
		}
		var meta struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			} `json:"metadata"`
		}
		if err := utilyaml.Unmarshal(data, &meta); err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", source, doc, err)
		}
		if meta.Kind == "" {
			return nil, fmt.Errorf("%s: document %d has no kind: not a Kubernetes object", source, doc)
		}
		o := Object{Kind: meta.Kind, Name: qualified(meta.Metadata.Namespace, meta.Metadata.Name), Source: fmt.Sprintf("%s#%d", source, doc)}
		if meta.Kind == "List" {
			var list corev1.List
			if err := utilyaml.Unmarshal(data, &list); err != nil {
				return nil, fmt.Errorf("%s: document %d: %w", source, doc, err)
			}
			for i, item := range list.Items {
				items, err := Decode(fmt.Sprintf("%s#%d.items[%d]", source, doc, i), bytes.NewReader(item.Raw))
				if err != nil {
					return nil, err
				}
				out = append(out, items...)
			}
			continue
		}
		if obj, _, err := dec.Decode(data, nil, nil); err == nil {
			o.Obj = obj
		} else if !runtime.IsNotRegisteredError(err) {
			return nil, fmt.Errorf("%s (%s %s): %w", o.Source, meta.Kind, o.Name, err)
		}
		out = append(out, o)
	}
}

func stripComments(b []byte) []byte {
	var out []byte
	for _, line := range bytes.Split(b, []byte("\n")) {
		if t := bytes.TrimSpace(line); len(t) > 0 && t[0] != '#' {
			out = append(out, line...)
			out = append(out, '\n')
		}
	}
	return out
}

func qualified(ns, name string) string {
	if ns == "" {
		return name
	}
	return ns + "/" + name
}

// Options are what the manifests do not say about the upgrade.
type Options struct {
	// Base is the scenario the cluster, versions, load and criteria are taken from.
	Base *scenarios.Scenario
	// From and To override the base's versions when set.
	From, To string
	// Name is the scenario's name (default: the base's name with -imported).
	Name string
}

// Note is something the import assumed or could not map, with the object it is about.
type Note struct {
	Object string // Kind namespace/name
	Field  string // the scenario field it is about (spec.workloads[2].shutdown), if any
	Text   string
}

// Result is the imported scenario with what the import assumed and what it left out.
type Result struct {
	Scenario    *scenarios.Scenario
	Assumptions []Note
	Unmapped    []Note
	// Sources names each workload's object.
	Sources map[string]string
}

// workload is one Deployment or StatefulSet being mapped.
type workload struct {
	kind, ns, name string
	replicas       *int32
	template       *corev1.PodTemplateSpec
	annotations    map[string]string
	strategy       *scenarios.Strategy
	source         string
}

func (w *workload) ref() string { return w.kind + " " + qualified(w.ns, w.name) }

// Import maps the objects to a scenario.
func Import(objs []Object, opts Options) (*Result, error) {
	if opts.Base == nil {
		return nil, errors.New("importer: no base scenario")
	}
	res := &Result{Sources: map[string]string{}}
	var ws []*workload
	var pdbs []*policyv1.PodDisruptionBudget
	var hpas []*autoscalingv2.HorizontalPodAutoscaler
	var services []*corev1.Service
	ignored := map[string]int{}
	for _, o := range objs {
		switch v := o.Obj.(type) {
		case *appsv1.Deployment:
			w := &workload{kind: "Deployment", ns: v.Namespace, name: v.Name, replicas: v.Spec.Replicas, template: &v.Spec.Template, annotations: v.Annotations, source: o.Source}
			switch v.Spec.Strategy.Type {
			case appsv1.RecreateDeploymentStrategyType:
				res.Unmapped = append(res.Unmapped, Note{Object: w.ref(), Text: "strategy Recreate (every pod deleted before new ones start) is not modelled: the rolling update defaults are used"})
			default:
				if ru := v.Spec.Strategy.RollingUpdate; ru != nil && (ru.MaxSurge != nil || ru.MaxUnavailable != nil) {
					w.strategy = &scenarios.Strategy{MaxSurge: ru.MaxSurge, MaxUnavailable: ru.MaxUnavailable}
				}
			}
			ws = append(ws, w)
		case *appsv1.StatefulSet:
			w := &workload{kind: "StatefulSet", ns: v.Namespace, name: v.Name, replicas: v.Spec.Replicas, template: &v.Spec.Template, annotations: v.Annotations, source: o.Source}
			res.Unmapped = append(res.Unmapped, Note{Object: w.ref(), Text: "mapped as a Deployment: its pods' stable identities, ordered rollout and volumes are not modelled (a drain replaces them like any pod)"})
			ws = append(ws, w)
		case *appsv1.DaemonSet:
			res.Unmapped = append(res.Unmapped, Note{Object: "DaemonSet " + qualified(v.Namespace, v.Name), Text: "not modelled as a workload: a drain leaves DaemonSet pods in place and they go with their node; traffic to them is not measured"})
		case *policyv1.PodDisruptionBudget:
			pdbs = append(pdbs, v)
		case *autoscalingv2.HorizontalPodAutoscaler:
			hpas = append(hpas, v)
		case *corev1.Service:
			services = append(services, v)
		default:
			ignored[o.Kind]++
		}
	}
	if len(ws) == 0 {
		return nil, errors.New("no Deployment or StatefulSet in the manifests: nothing to import")
	}
	if len(ignored) > 0 {
		var kinds []string
		for _, k := range sortedKeys(ignored) {
			kinds = append(kinds, fmt.Sprintf("%d %s", ignored[k], k))
		}
		res.Unmapped = append(res.Unmapped, Note{Object: strings.Join(kinds, ", "), Text: "not kinds the import reads (Deployments, StatefulSets, DaemonSets, PodDisruptionBudgets, Services, HorizontalPodAutoscalers)"})
	}

	sc := *opts.Base
	sc.Spec = opts.Base.Spec
	sc.Spec.Workloads = nil
	sc.Spec.Faults = nil
	sc.Spec.Expect = nil
	sc.Spec.Manifests = nil
	sc.Spec.Calibration = nil
	sc.Objects = nil
	sc.Metadata.Name = opts.Name
	if sc.Metadata.Name == "" {
		sc.Metadata.Name = opts.Base.Metadata.Name + "-imported"
	}
	sc.Metadata.Description = fmt.Sprintf("Imported from manifests: %d workloads, cluster, load and criteria from %s.", len(ws), opts.Base.Metadata.Name)
	if opts.From != "" {
		sc.Spec.Versions.From = opts.From
	}
	if opts.To != "" {
		sc.Spec.Versions.To = opts.To
	}

	names := workloadNames(ws)
	usedPDB := map[*policyv1.PodDisruptionBudget]bool{}
	var targets []string
	for i, w := range ws {
		field := fmt.Sprintf("spec.workloads[%d]", i)
		sw := scenarios.Workload{Name: names[i], Strategy: w.strategy}
		res.Sources[sw.Name] = w.ref() + " (" + w.source + ")"
		note := func(f, text string) {
			res.Assumptions = append(res.Assumptions, Note{Object: w.ref(), Field: field + "." + f, Text: text})
		}
		unmapped := func(text string) { res.Unmapped = append(res.Unmapped, Note{Object: w.ref(), Text: text}) }
		podLabels := labels.Set(w.template.Labels)

		// Replicas: an HPA's minimum is what the upgrade can count on.
		sw.Replicas = w.replicas
		if sw.Replicas == nil {
			one := int32(1)
			sw.Replicas = &one
		}
		for _, h := range hpas {
			if h.Namespace == w.ns && h.Spec.ScaleTargetRef.Kind == w.kind && h.Spec.ScaleTargetRef.Name == w.name {
				min := int32(1)
				if h.Spec.MinReplicas != nil {
					min = *h.Spec.MinReplicas
				}
				sw.Replicas = &min
				note("replicas", fmt.Sprintf("HorizontalPodAutoscaler %s's minReplicas: the fewest pods the upgrade can count on", h.Name))
			}
		}

		spec := &w.template.Spec
		sw.Requests = requests(spec.Containers)
		if sw.Requests == nil {
			note("requests", "no container requests CPU or memory: the scheduler counts nothing for these pods")
		}
		main := mainContainer(spec.Containers)
		if main != nil && main.ReadinessProbe != nil {
			p := main.ReadinessProbe
			sw.ReadinessProbe = &scenarios.Probe{
				InitialDelay:     dur(time.Duration(p.InitialDelaySeconds) * time.Second),
				Period:           dur(time.Duration(orDefault(p.PeriodSeconds, 10)) * time.Second),
				FailureThreshold: ptr(orDefault(p.FailureThreshold, 3)),
				SuccessThreshold: ptr(orDefault(p.SuccessThreshold, 1)),
			}
		}
		if len(spec.Containers) > 1 {
			unmapped(fmt.Sprintf("%d containers: the pod is modelled by container %q (the first with a readiness probe, else the first); the others' probes and hooks are not", len(spec.Containers), main.Name))
		}
		if main != nil && main.Lifecycle != nil && main.Lifecycle.PreStop != nil {
			ps := main.Lifecycle.PreStop
			switch {
			case ps.Sleep != nil:
				sw.PreStop = &scenarios.PreStop{Sleep: metav1.Duration{Duration: time.Duration(ps.Sleep.Seconds) * time.Second}}
			case ps.Exec != nil:
				if d, ok := execSleep(ps.Exec.Command); ok {
					sw.PreStop = &scenarios.PreStop{Sleep: metav1.Duration{Duration: d}}
				} else {
					unmapped(fmt.Sprintf("preStop exec %q: no sleep found in it, so its duration is unknown; taken as no preStop", strings.Join(ps.Exec.Command, " ")))
				}
			case ps.HTTPGet != nil:
				unmapped(fmt.Sprintf("preStop httpGet %s: how long the handler takes is unknown; taken as no preStop", ps.HTTPGet.Path))
			}
		}
		grace := int64(30)
		if spec.TerminationGracePeriodSeconds != nil {
			grace = *spec.TerminationGracePeriodSeconds
		}
		sw.TerminationGracePeriod = dur(time.Duration(grace) * time.Second)

		// What the manifests cannot show.
		ann := merged(w.annotations, w.template.Annotations)
		if v, ok := ann[AnnotationOnSigterm]; ok {
			mode := scenarios.ShutdownMode(v)
			if !slices.Contains(scenarios.ShutdownModes, mode) {
				return nil, fmt.Errorf("%s: annotation %s is %q; want one of %v", w.ref(), AnnotationOnSigterm, v, scenarios.ShutdownModes)
			}
			sw.Shutdown = &scenarios.Shutdown{OnSigterm: mode}
		} else {
			sw.Shutdown = &scenarios.Shutdown{OnSigterm: assumedOnSigterm}
			note("shutdown.onSigterm", fmt.Sprintf("assumed %s: the manifests cannot show how the application behaves at SIGTERM; set the annotation %s (Graceful, Drain or Exit)", assumedOnSigterm, AnnotationOnSigterm))
		}
		if v, ok := ann[AnnotationStartupTime]; ok {
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				return nil, fmt.Errorf("%s: annotation %s is %q; want a duration such as 20s", w.ref(), AnnotationStartupTime, v)
			}
			sw.StartupTime = dur(d)
		} else {
			sw.StartupTime = dur(assumedStartupTime)
			note("startupTime", fmt.Sprintf("assumed %s: the manifests cannot show how long the application takes to serve; set the annotation %s", assumedStartupTime, AnnotationStartupTime))
		}

		// Spread: a topology spread constraint, or pod anti-affinity on the node or zone.
		sw.TopologySpread = spread(spec, podLabels, note, unmapped)

		// The PodDisruptionBudget whose selector matches the pods.
		for _, p := range pdbs {
			if p.Namespace != w.ns {
				continue
			}
			sel, err := metav1.LabelSelectorAsSelector(p.Spec.Selector)
			if err != nil {
				unmapped(fmt.Sprintf("PodDisruptionBudget %s: its selector does not parse (%v)", p.Name, err))
				continue
			}
			if p.Spec.Selector == nil || !sel.Matches(podLabels) {
				continue
			}
			usedPDB[p] = true
			if sw.PDB != nil {
				unmapped(fmt.Sprintf("PodDisruptionBudget %s also selects these pods: only %s is modelled (the API refuses evictions of a pod under two budgets)", p.Name, sw.PDB.Name))
				continue
			}
			sw.PDB = &scenarios.PDB{Name: p.Name, MinAvailable: p.Spec.MinAvailable, MaxUnavailable: p.Spec.MaxUnavailable}
			if p.Spec.UnhealthyPodEvictionPolicy != nil {
				sw.PDB.UnhealthyPodEvictionPolicy = scenarios.UnhealthyPodEvictionPolicy(*p.Spec.UnhealthyPodEvictionPolicy)
			}
			if sw.PDB.MinAvailable == nil && sw.PDB.MaxUnavailable == nil {
				unmapped(fmt.Sprintf("PodDisruptionBudget %s sets neither minAvailable nor maxUnavailable: taken as minAvailable 1, as Kubernetes does", p.Name))
				one := intstr.FromInt32(1)
				sw.PDB.MinAvailable = &one
			}
		}

		// A workload behind a Service gets load.
		for _, s := range services {
			if s.Namespace == w.ns && len(s.Spec.Selector) > 0 && labels.SelectorFromSet(s.Spec.Selector).Matches(podLabels) {
				targets = append(targets, sw.Name)
				break
			}
		}
		sc.Spec.Workloads = append(sc.Spec.Workloads, sw)
	}
	for _, p := range pdbs {
		if !usedPDB[p] {
			res.Unmapped = append(res.Unmapped, Note{Object: "PodDisruptionBudget " + qualified(p.Namespace, p.Name), Text: "selects no imported workload's pods"})
		}
	}
	if len(targets) == 0 {
		for _, w := range sc.Spec.Workloads {
			targets = append(targets, w.Name)
		}
		res.Assumptions = append(res.Assumptions, Note{Field: "spec.load.targets", Text: "no Service selects an imported workload: load goes to every workload"})
	}
	sc.Spec.Load.Targets = targets
	res.Scenario = &sc
	return res, nil
}

// spread maps the first topology spread constraint on the node or the zone, or else a pod
// anti-affinity term on the pods' own labels.
func spread(spec *corev1.PodSpec, podLabels labels.Set, note func(string, string), unmapped func(string)) *scenarios.TopologySpread {
	known := func(key string) bool {
		return key == scenarios.TopologyHostname || key == scenarios.TopologyZone
	}
	var out *scenarios.TopologySpread
	for _, c := range spec.TopologySpreadConstraints {
		if !known(c.TopologyKey) {
			unmapped(fmt.Sprintf("topology spread on %s: only %s and %s are modelled", c.TopologyKey, scenarios.TopologyHostname, scenarios.TopologyZone))
			continue
		}
		if out != nil {
			unmapped(fmt.Sprintf("a second topology spread constraint (on %s): only the first is modelled", c.TopologyKey))
			continue
		}
		skew := c.MaxSkew
		out = &scenarios.TopologySpread{TopologyKey: c.TopologyKey, MaxSkew: &skew, WhenUnsatisfiable: scenarios.WhenUnsatisfiable(c.WhenUnsatisfiable)}
	}
	if out != nil || spec.Affinity == nil || spec.Affinity.PodAntiAffinity == nil {
		return out
	}
	aa := spec.Affinity.PodAntiAffinity
	self := func(t corev1.PodAffinityTerm) bool {
		sel, err := metav1.LabelSelectorAsSelector(t.LabelSelector)
		return err == nil && t.LabelSelector != nil && sel.Matches(podLabels) && known(t.TopologyKey)
	}
	one := int32(1)
	for _, t := range aa.RequiredDuringSchedulingIgnoredDuringExecution {
		if self(t) {
			note("topologySpread", fmt.Sprintf("from required pod anti-affinity on %s: modelled as maxSkew 1, DoNotSchedule, which also allows a second pod on a %s once every one holds one", t.TopologyKey, domainWord(t.TopologyKey)))
			return &scenarios.TopologySpread{TopologyKey: t.TopologyKey, MaxSkew: &one, WhenUnsatisfiable: scenarios.DoNotSchedule}
		}
	}
	for _, t := range aa.PreferredDuringSchedulingIgnoredDuringExecution {
		if self(t.PodAffinityTerm) {
			note("topologySpread", fmt.Sprintf("from preferred pod anti-affinity on %s: modelled as maxSkew 1, ScheduleAnyway", t.PodAffinityTerm.TopologyKey))
			return &scenarios.TopologySpread{TopologyKey: t.PodAffinityTerm.TopologyKey, MaxSkew: &one, WhenUnsatisfiable: scenarios.ScheduleAnyway}
		}
	}
	unmapped("pod anti-affinity that is not on the pods' own labels by node or zone: not modelled")
	return nil
}

func domainWord(key string) string {
	if key == scenarios.TopologyZone {
		return "zone"
	}
	return "node"
}

// requests sums the containers' requests (init containers run before and are left out).
func requests(cs []corev1.Container) *scenarios.Resources {
	var cpu, mem resource.Quantity
	var any bool
	for _, c := range cs {
		if q, ok := c.Resources.Requests[corev1.ResourceCPU]; ok {
			cpu.Add(q)
			any = true
		}
		if q, ok := c.Resources.Requests[corev1.ResourceMemory]; ok {
			mem.Add(q)
			any = true
		}
	}
	if !any {
		return nil
	}
	r := &scenarios.Resources{}
	if !cpu.IsZero() {
		r.CPU = &cpu
	}
	if !mem.IsZero() {
		r.Memory = &mem
	}
	return r
}

// mainContainer is the container that models the pod: the first with a readiness probe.
func mainContainer(cs []corev1.Container) *corev1.Container {
	for i := range cs {
		if cs[i].ReadinessProbe != nil {
			return &cs[i]
		}
	}
	if len(cs) == 0 {
		return nil
	}
	return &cs[0]
}

var sleepRe = regexp.MustCompile(`(?:^|[\s;&|(])sleep\s+([0-9]+(?:\.[0-9]+)?)(s|m)?(?:$|[\s;&|)])`)

// execSleep finds "sleep N" in a preStop exec command (["sleep","5"], ["/bin/sh","-c","sleep 5"]).
func execSleep(cmd []string) (time.Duration, bool) {
	m := sleepRe.FindStringSubmatch(strings.Join(cmd, " "))
	if m == nil {
		return 0, false
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, false
	}
	unit := time.Second
	if m[2] == "m" {
		unit = time.Minute
	}
	return time.Duration(v * float64(unit)), true
}

// workloadNames gives each workload its name, with its namespace in front where two
// namespaces use the same name.
func workloadNames(ws []*workload) []string {
	count := map[string]int{}
	for _, w := range ws {
		count[w.name]++
	}
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.name
		if count[w.name] > 1 && w.ns != "" {
			out[i] = w.ns + "-" + w.name
		}
	}
	return out
}

func merged(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func orDefault(v, d int32) int32 {
	if v == 0 {
		return d
	}
	return v
}

func ptr[T any](v T) *T { return &v }

func dur(d time.Duration) *metav1.Duration { return &metav1.Duration{Duration: d} }

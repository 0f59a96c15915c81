package scenarios

import (
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Defaults used where Kubernetes or Cluster API have none of their own.
const (
	DefaultSeed          = 1
	DefaultZone          = "zone-a"
	DefaultRate          = 50.0
	DefaultShutdownDrain = 5 * time.Second
)

func ptr[T any](v T) *T { return &v }

func dur(v time.Duration) *metav1.Duration { return &metav1.Duration{Duration: v} }

func qty(s string) *resource.Quantity { q := resource.MustParse(s); return &q }

func intOrStr(s string) *intstr.IntOrString { v := intstr.Parse(s); return &v }

// SetDefaults fills every omitted field the way Kubernetes and Cluster API would default it (or
// with zdt's default where they have none). It never overwrites a field that is set.
func SetDefaults(s *Scenario) {
	sp := &s.Spec
	if sp.Seed == nil {
		sp.Seed = ptr(int64(DefaultSeed))
	}
	if len(sp.Cluster.Zones) == 0 {
		sp.Cluster.Zones = []string{DefaultZone}
	}
	cp := &sp.Cluster.ControlPlane
	if cp.Replicas == nil {
		cp.Replicas = ptr(int32(3))
	}
	cp.Capacity = defaultCapacity(cp.Capacity)
	strategyDefaults(s)
	for i := range sp.Cluster.WorkerPools {
		p := &sp.Cluster.WorkerPools[i]
		if p.Replicas == nil {
			p.Replicas = ptr(int32(1)) // MachineDeployment default
		}
		if p.MaxSurge == nil {
			p.MaxSurge = intOrStr("1") // Cluster API MachineDeployment default
		}
		if p.MaxUnavailable == nil {
			p.MaxUnavailable = intOrStr("0")
		}
		if p.NodeDrainTimeout == nil {
			p.NodeDrainTimeout = dur(0) // Cluster API: wait for ever
		}
		p.Capacity = defaultCapacity(p.Capacity)
		if len(p.Zones) == 0 {
			p.Zones = append([]string(nil), sp.Cluster.Zones...)
		}
	}
	for i := range sp.Workloads {
		setWorkloadDefaults(&sp.Workloads[i])
	}
	setLoadDefaults(&sp.Load, sp.Workloads)
	for i := range sp.Faults {
		f := &sp.Faults[i]
		if f.Name == "" {
			f.Name = fmt.Sprintf("%s-%d", f.Kind, i)
		}
		if f.Target.Count == nil {
			f.Target.Count = ptr(int32(1))
		}
		if f.Duration == nil {
			f.Duration = dur(0)
		}
	}
	c := &sp.Criteria
	if c.MaxDroppedRequests == nil {
		c.MaxDroppedRequests = ptr(int64(0))
	}
	if c.MaxAPIDowntime == nil {
		c.MaxAPIDowntime = dur(0)
	}
	if c.MaxPDBStall == nil {
		c.MaxPDBStall = dur(5 * time.Minute)
	}
	if c.MinReadyPercent == nil {
		c.MinReadyPercent = ptr(int32(0))
	}
	if c.Resolution == nil {
		c.Resolution = dur(time.Second)
	}
	if c.MinReadyReplicas == nil {
		c.MinReadyReplicas = ptr(int32(1))
	}
	if c.UpgradeDeadline == nil {
		c.UpgradeDeadline = dur(2 * time.Hour)
	}
	if sp.Calibration == nil {
		cal := DefaultCalibration()
		sp.Calibration = &cal
	}
}

func defaultCapacity(c *Capacity) *Capacity {
	if c == nil {
		c = &Capacity{}
	}
	if c.CPU == nil {
		c.CPU = qty("4")
	}
	if c.Memory == nil {
		c.Memory = qty("8Gi")
	}
	if c.Pods == nil {
		c.Pods = ptr(int32(110)) // kubelet maxPods default
	}
	return c
}

func setWorkloadDefaults(w *Workload) {
	if w.Replicas == nil {
		w.Replicas = ptr(int32(1)) // Deployment default
	}
	if w.Requests == nil {
		w.Requests = &Resources{}
	}
	if w.Requests.CPU == nil {
		w.Requests.CPU = qty("100m")
	}
	if w.Requests.Memory == nil {
		w.Requests.Memory = qty("128Mi")
	}
	if w.Strategy == nil {
		w.Strategy = &Strategy{}
	}
	if w.Strategy.MaxSurge == nil {
		w.Strategy.MaxSurge = intOrStr("25%") // Deployment default
	}
	if w.Strategy.MaxUnavailable == nil {
		w.Strategy.MaxUnavailable = intOrStr("25%")
	}
	if w.StartupTime == nil {
		w.StartupTime = dur(2 * time.Second)
	}
	if p := w.ReadinessProbe; p != nil { // probe defaults from the Pod API
		if p.InitialDelay == nil {
			p.InitialDelay = dur(0)
		}
		if p.Period == nil {
			p.Period = dur(10 * time.Second)
		}
		if p.FailureThreshold == nil {
			p.FailureThreshold = ptr(int32(3))
		}
		if p.SuccessThreshold == nil {
			p.SuccessThreshold = ptr(int32(1))
		}
	}
	if w.TerminationGracePeriod == nil {
		w.TerminationGracePeriod = dur(30 * time.Second) // Pod default
	}
	if w.Shutdown == nil {
		w.Shutdown = &Shutdown{}
	}
	if w.Shutdown.OnSigterm == "" {
		w.Shutdown.OnSigterm = ShutdownGraceful
	}
	if w.Shutdown.DrainTime == nil {
		w.Shutdown.DrainTime = dur(DefaultShutdownDrain)
	}
	if b := w.PDB; b != nil {
		if b.Name == "" {
			b.Name = w.Name
		}
		if b.UnhealthyPodEvictionPolicy == "" {
			b.UnhealthyPodEvictionPolicy = IfHealthyBudget
		}
	}
	if t := w.TopologySpread; t != nil {
		if t.TopologyKey == "" {
			t.TopologyKey = TopologyHostname
		}
		if t.MaxSkew == nil {
			t.MaxSkew = ptr(int32(1))
		}
		if t.WhenUnsatisfiable == "" {
			t.WhenUnsatisfiable = DoNotSchedule
		}
	}
}

func setLoadDefaults(l *Load, workloads []Workload) {
	if l.Rate == nil {
		l.Rate = ptr(DefaultRate)
	}
	if l.Pacer == nil {
		l.Pacer = &Pacer{}
	}
	if l.Pacer.Type == "" {
		l.Pacer.Type = PacerConstant
	}
	if l.Duration == "" {
		l.Duration = UntilUpgradeDone
	}
	if len(l.Targets) == 0 {
		for _, w := range workloads {
			l.Targets = append(l.Targets, w.Name)
		}
	}
	if len(l.Connections) == 0 {
		l.Connections = []string{"new", "reused"}
	}
	if l.Timeout == nil {
		l.Timeout = dur(5 * time.Second)
	}
	if l.Warmup == nil {
		l.Warmup = dur(30 * time.Second)
	}
}

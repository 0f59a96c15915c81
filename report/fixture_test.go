package report

import (
	"fmt"
	"time"

	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/scenarios"
)

// The fixtures are small, hand-built runs of a three-worker upgrade, deterministic so that the
// golden files do not move. "broken" is a badly configured cluster (web without preStop that
// exits on SIGTERM, cache with minAvailable equal to its replicas on one node); "healthy" is
// the same upgrade done right; "unreliable" is the healthy run with a load generator that fell
// behind.

const fixtureScenarioBroken = `apiVersion: zdt.dev/v1alpha1
kind: Scenario
metadata:
  name: fixture-broken
  description: A three-worker upgrade with a web workload lacking a preStop hook and a cache whose PDB allows no disruption.
spec:
  seed: 7
  cluster:
    controlPlane: {replicas: 3}
    workerPools:
      - name: md-0
        replicas: 3
        maxSurge: 1
        maxUnavailable: 0
        nodeDrainTimeout: 5m
  versions: {from: v1.35.2, to: v1.36.3}
  workloads:
    - name: web
      replicas: 3
      readinessProbe: {period: 2s}
      shutdown: {onSigterm: Exit}
      pdb: {maxUnavailable: 1}
    - name: cache
      replicas: 2
      readinessProbe: {period: 2s}
      preStop: {sleep: 5s}
      pdb: {minAvailable: 2}
  load: {rate: 10, connections: [new, reused]}
  preflight: {ignore: [pdb-blocking-drain]}
  criteria:
    maxDroppedRequests: 0
    maxAPIDowntime: 5s
    maxPDBStall: 2m
    minReadyPercent: 50
    upgradeDeadline: 1h
`

const fixtureScenarioHealthy = `apiVersion: zdt.dev/v1alpha1
kind: Scenario
metadata:
  name: fixture-healthy
  description: A three-worker upgrade of well-configured workloads.
spec:
  seed: 7
  cluster:
    controlPlane: {replicas: 3}
    workerPools:
      - name: md-0
        replicas: 3
        maxSurge: 1
        maxUnavailable: 0
  versions: {from: v1.35.2, to: v1.36.3}
  workloads:
    - name: web
      replicas: 3
      readinessProbe: {period: 2s}
      preStop: {sleep: 5s}
      pdb: {maxUnavailable: 1}
      topologySpread: {}
    - name: cache
      replicas: 2
      readinessProbe: {period: 2s}
      preStop: {sleep: 5s}
      pdb: {maxUnavailable: 1}
      topologySpread: {}
  load: {rate: 10, connections: [new, reused]}
  criteria:
    maxDroppedRequests: 0
    maxAPIDowntime: 5s
    maxPDBStall: 2m
    minReadyPercent: 50
    upgradeDeadline: 1h
`

type fixture struct {
	name       string
	yaml       string
	broken     bool
	unreliable bool
	// runDir keeps the fixture as a run directory under testdata/runs, for FromDir and for
	// make report-screenshot.
	runDir bool
}

var fixtures = []fixture{
	{name: "broken", yaml: fixtureScenarioBroken, broken: true, runDir: true},
	{name: "healthy", yaml: fixtureScenarioHealthy},
	{name: "unreliable", yaml: fixtureScenarioHealthy, unreliable: true},
}

func s(v float64) time.Duration { return time.Duration(v * float64(time.Second)) }

// run is a fixture's data, as a provider would have recorded it.
type run struct {
	sc       *scenarios.Scenario
	info     *model.RunInfo
	samples  []model.Sample
	timeline []model.Interval
	states   []model.StateSample
}

// dropWindow is a stretch in which the fixture's requests to a target fail.
type dropWindow struct {
	target   string
	from, to time.Duration
}

func (f fixture) build() (*run, error) {
	sc, err := scenarios.Parse(f.name, []byte(f.yaml))
	if err != nil {
		return nil, fmt.Errorf("fixture %s: %w", f.name, err)
	}
	r := &run{sc: sc}
	end := 940 * time.Second
	if !f.broken {
		end = 700 * time.Second
	}
	iv := func(level model.Level, reason model.Reason, loc model.Locator, msg string, from, to float64) {
		r.timeline = append(r.timeline, model.Interval{Level: level, Reason: reason, Locator: loc, Message: msg, From: s(from), To: s(to)})
	}
	phases := []model.Phase{
		{Name: "preflight", From: 0, To: s(10), Outcome: model.PhaseSucceeded},
		{Name: "control-plane", Step: "v1.36.3", From: s(30), To: s(330), Outcome: model.PhaseSucceeded},
		{Name: "pool/md-0", Step: "v1.36.3", From: s(340), To: s(920), Outcome: model.PhaseSucceeded},
		{Name: "postflight", From: s(920), To: s(935), Outcome: model.PhaseSucceeded},
	}
	for _, p := range phases {
		iv(model.Info, model.ReasonPhase, model.Locator{Phase: p.Name}, "", p.From.Seconds(), p.To.Seconds())
	}
	// Control plane: surge one machine, then remove an old one, three times.
	for i := range 3 {
		base := 30 + 100*float64(i)
		cp := model.Locator{Phase: "control-plane", Machine: fmt.Sprintf("cp-new-%d", i), Node: fmt.Sprintf("cp-new-%d", i)}
		iv(model.Info, model.ReasonMachineCreated, cp, "machine provisioned, node Ready", base, base+60)
		old := model.Locator{Phase: "control-plane", Machine: fmt.Sprintf("cp-old-%d", i), Node: fmt.Sprintf("cp-old-%d", i)}
		iv(model.Info, model.ReasonMachineDeleted, old, "etcd member removed, machine deleted", base+60, base+70)
	}
	apiDown := [2]float64{}
	if f.broken {
		apiDown = [2]float64{195, 196.8}
		iv(model.Error, model.ReasonAPIUnavailable, model.Locator{Cluster: "fixture"}, "no healthy apiserver behind the API load balancer", apiDown[0], apiDown[1])
	}
	// Workers: old-a, old-b, old-c replaced in turn by new-a, new-b, new-c.
	type worker struct{ created, drain, drainEnd float64 }
	workers := map[string]worker{"a": {340, 400, 440}, "b": {450, 510, 560}, "c": {820, 880, 910}}
	if !f.broken {
		workers["c"] = worker{570, 630, 660}
		phases[2].To, phases[3].From, phases[3].To = s(680), s(680), s(695)
	}
	var drops []dropWindow
	for _, n := range []string{"a", "b", "c"} {
		w := workers[n]
		oldNode, newNode := "md-0-old-"+n, "md-0-new-"+n
		iv(model.Info, model.ReasonMachineCreated, model.Locator{Pool: "md-0", Machine: newNode, Node: newNode}, "machine provisioned, node Ready", w.created, w.drain)
		iv(model.Info, model.ReasonNodeCordoned, model.Locator{Pool: "md-0", Node: oldNode}, "", w.drain, w.drain)
		drainEnd := w.drainEnd
		if f.broken && n == "b" {
			drainEnd = 810
			for _, pod := range []string{"cache-1", "cache-2"} {
				iv(model.Warning, model.ReasonEvictionBlocked, model.Locator{Node: oldNode, Pod: pod, PDB: "cache", Workload: "cache"},
					"Cannot evict pod as it would violate the pod's disruption budget.", w.drain+2, 810)
			}
			iv(model.Warning, model.ReasonDrainTimeout, model.Locator{Pool: "md-0", Node: oldNode, Machine: oldNode}, "nodeDrainTimeout 5m0s passed; deleting the machine", 810, 810)
			for _, pod := range []string{"cache-1", "cache-2"} {
				iv(model.Warning, model.ReasonPodTerminating, model.Locator{Node: oldNode, Pod: pod, Workload: "cache"}, "machine deleted", 810, 810.5)
				iv(model.Warning, model.ReasonEndpointRemoved, model.Locator{Node: oldNode, Pod: pod, Workload: "cache"}, "", 812, 812)
			}
			drops = append(drops, dropWindow{"cache", s(810), s(816.2)})
		}
		iv(model.Info, model.ReasonNodeDrain, model.Locator{Pool: "md-0", Node: oldNode}, "", w.drain, drainEnd)
		iv(model.Info, model.ReasonMachineDeleted, model.Locator{Pool: "md-0", Machine: oldNode, Node: oldNode}, "machine deleted", drainEnd, drainEnd+10)
		pod := model.Locator{Node: oldNode, Pod: "web-" + n, Workload: "web"}
		iv(model.Warning, model.ReasonPodTerminating, pod, "evicted", w.drain+2, w.drain+32)
		removed := w.drain + 2.5
		if f.broken {
			removed = w.drain + 3.5 // Exit on SIGTERM: the pod is gone before kube-proxy catches up
			drops = append(drops, dropWindow{"web", s(w.drain + 2), s(w.drain + 4.3)})
		}
		iv(model.Warning, model.ReasonEndpointRemoved, pod, "", removed, removed+0.5)
	}
	if f.broken {
		phases[2].Message = "node md-0-old-b deleted after nodeDrainTimeout"
	}

	// Samples: every stream at 10 rps, aggregated over 5 s where nothing fails.
	targets := []string{"cache", "web"}
	conns := []model.ConnMode{model.ConnNew, model.ConnReused}
	var streams []model.StreamStats
	for ti, t := range targets {
		for ci, c := range conns {
			var sent int64
			for chunk := time.Duration(0); chunk < end; chunk += 5 * time.Second {
				lat := func(i int64) time.Duration {
					return time.Duration(6+(i*37+int64(ti*11+ci*5))%9)*time.Millisecond + time.Duration(i%7)*100*time.Microsecond
				}
				failing := func(at time.Duration) bool {
					for _, d := range drops {
						if d.target == t && at >= d.from && at < d.to {
							return true
						}
					}
					return false
				}
				single := false
				for _, d := range drops {
					single = single || (d.target == t && d.from < chunk+5*time.Second && d.to > chunk)
				}
				if !single {
					i := int64(chunk / (100 * time.Millisecond))
					r.samples = append(r.samples, model.Sample{Target: t, Conn: c, At: chunk, Latency: lat(i), Code: 200,
						Backend: fmt.Sprintf("%s-%d", t, i%3), Count: 50, Span: 5 * time.Second})
					sent += 50
					continue
				}
				for at := chunk; at < chunk+5*time.Second; at += 100 * time.Millisecond {
					i := int64(at / (100 * time.Millisecond))
					smp := model.Sample{Target: t, Conn: c, At: at, Latency: lat(i), Code: 200, Backend: fmt.Sprintf("%s-%d", t, i%3)}
					if failing(at) {
						smp.Code, smp.Backend = 0, ""
						smp.Error = "connection refused"
						if c == model.ConnReused {
							smp.Error = "connection reset by peer"
						}
						smp.Latency = time.Millisecond
					}
					r.samples = append(r.samples, smp)
					sent++
				}
			}
			st := model.StreamStats{Target: t, Conn: c, Planned: sent, Sent: sent, Recorded: sent, MaxLag: 2 * time.Millisecond}
			if f.unreliable && t == "web" && c == model.ConnNew {
				st.Planned = sent * 100 / 95
				st.Recorded = sent - 120
				st.MaxLag = 1500 * time.Millisecond
			}
			streams = append(streams, st)
		}
	}
	// The API prober, once a second.
	for sec := range int64(end / time.Second) {
		at := time.Duration(sec) * time.Second
		smp := model.Sample{Target: model.APITarget, Conn: model.ConnNew, At: at, Latency: 3 * time.Millisecond, Code: 200, Backend: "apiserver"}
		if at >= s(apiDown[0]) && at < s(apiDown[1]) {
			smp.Code, smp.Error, smp.Backend = 503, "", ""
		}
		r.samples = append(r.samples, smp)
	}

	// States every 5 s.
	for at := time.Duration(0); at <= end; at += 5 * time.Second {
		t := at.Seconds()
		web, cache := 3, 2
		old, upgraded := 6, 0
		sched := 3
		for i := range 3 {
			if t >= 90+100*float64(i) {
				upgraded++
				old--
			}
		}
		for _, n := range []string{"a", "b", "c"} {
			w := workers[n]
			if t >= w.drain {
				upgraded++
			}
			if t >= w.drain && t < w.drain+10 {
				web-- // evicted, replacement not ready yet
			}
			drainEnd := w.drainEnd
			if f.broken && n == "b" {
				drainEnd = 810
			}
			if t >= drainEnd {
				old--
			}
			if t >= w.drain && t < drainEnd {
				sched-- // cordoned
			}
			if t >= w.drain && t < drainEnd+10 {
				sched++ // the surge machine is up
			}
		}
		if f.broken && t >= 810 && t < 816 {
			cache = 0
		}
		floor := 2
		r.states = append(r.states, model.StateSample{
			At: at,
			Workloads: []model.WorkloadState{
				{Name: "cache", Desired: 2, Ready: cache, Endpoints: cache, PDBFloor: floor},
				{Name: "web", Desired: 3, Ready: web, Endpoints: web, PDBFloor: floor},
			},
			NodesByVersion:   map[string]int{"v1.35.2": old, "v1.36.3": upgraded},
			SchedulableNodes: sched, FreeCPUMilli: int64(4000*sched - 250*(web+cache)), FreeMemoryBytes: int64(sched) << 33,
			APIAvailable: !(t >= apiDown[0] && t < apiDown[1]),
		})
	}
	r.info = &model.RunInfo{
		Scenario: sc.Metadata.Name, Provider: "sim", Seed: 7,
		Start:  time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		End:    end,
		Plan:   []string{"v1.35.2", "v1.36.3"},
		Phases: phases,
		Preflight: []model.CheckResult{
			{Name: "nodes-ready", Status: model.CheckPass, Message: "6 of 6 nodes Ready"},
			{Name: "version-skew", Status: model.CheckPass, Message: "v1.35.2 -> v1.36.3 is one minor"},
			{Name: "spare-capacity", Status: model.CheckPass, Message: "room for one surge machine and every drain"},
		},
		Postflight: []model.CheckResult{
			{Name: "node-versions", Status: model.CheckPass, Message: "every node runs v1.36.3 and is Ready"},
			{Name: "workloads-available", Status: model.CheckPass, Message: "every workload has its desired ready replicas"},
		},
		Streams: streams,
		Version: "v0.0.0-fixture",
	}
	if f.broken {
		r.info.Preflight = append(r.info.Preflight,
			model.CheckResult{Name: "pdb-blocking-drain", Status: model.CheckWarn, Message: "PDB cache has minAvailable 2 for 2 pods of cache: no pod may ever be evicted (ignored by the scenario)",
				Fix: "set maxUnavailable: 1 on PDB cache"},
			model.CheckResult{Name: "workload-hygiene", Status: model.CheckWarn, Message: "web has no preStop hook and exits at once on SIGTERM; cache has no topology spread"})
	}
	return r, nil
}
